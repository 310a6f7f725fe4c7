//! Waiting for long-running work (workflow executions, batch jobs): poll until a terminal
//! status, with progress as a stream. The helpers for each kind of job are built on it.

use crate::Error;
use futures::stream::{BoxStream, StreamExt};
use std::future::Future;
use std::time::Duration;

/// How to poll a long-running job.
#[derive(Debug, Clone, PartialEq)]
pub struct Wait {
    /// The first interval between two polls (5 s by default, as the official SDK polls).
    pub interval: Duration,
    /// Each interval is the previous one times this (1: fixed), up to `max_interval`.
    pub backoff: f64,
    /// The longest interval.
    pub max_interval: Duration,
    /// How many polls before giving up with [`Error::JobStillRunning`] (`None`: no limit).
    pub max_attempts: Option<u32>,
}

impl Default for Wait {
    fn default() -> Self {
        Wait { interval: Duration::from_secs(5), backoff: 1.0, max_interval: Duration::from_secs(60), max_attempts: None }
    }
}

impl Wait {
    /// Polls every `interval`.
    pub fn every(interval: Duration) -> Self {
        Wait { interval, ..Wait::default() }
    }

    /// Lets each interval grow by `factor` (1.5 is a good start), up to `max_interval`.
    pub fn backoff(mut self, factor: f64, max_interval: Duration) -> Self {
        self.backoff = factor.max(1.0);
        self.max_interval = max_interval;
        self
    }

    /// Gives up after `n` polls of a job still running ([`Error::JobStillRunning`]).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n);
        self
    }
}

/// Where a polled job stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not finished yet.
    Running,
    /// Finished well.
    Done,
    /// Finished otherwise, with this status.
    Failed(String),
}

/// Polls `fetch` until `phase` says the job is over: every snapshot, in order; the stream ends
/// after a `Done` one, and with [`Error::JobFailed`] after a `Failed` one, or
/// [`Error::JobStillRunning`] after `wait.max_attempts` running ones. A failed poll is the
/// stream's last item. Dropping the stream stops the polling.
pub fn watch<'a, T, F, Fut>(operation: &'static str, id: String, wait: Wait, mut fetch: F, phase: fn(&T) -> Phase) -> BoxStream<'a, Result<T, Error>>
where
    T: Send + 'a,
    F: FnMut() -> Fut + Send + 'a,
    Fut: Future<Output = Result<T, Error>> + Send + 'a,
{
    enum State {
        Poll { attempt: u32, interval: Duration },
        Fail(Error),
        Over,
    }
    let stream = futures::stream::unfold(State::Poll { attempt: 0, interval: wait.interval }, move |state| {
        // The poll's future is made here (it borrows `fetch`) and runs only when awaited.
        let poll = matches!(state, State::Poll { .. }).then(&mut fetch);
        let (wait, id) = (wait.clone(), id.clone());
        async move {
            let (attempt, interval) = match state {
                State::Over => return None,
                State::Fail(e) => return Some((Err(e), State::Over)),
                State::Poll { attempt, interval } => (attempt, interval),
            };
            if attempt > 0 {
                tokio::time::sleep(interval).await;
            }
            let snapshot = match poll?.await {
                Ok(s) => s,
                Err(e) => return Some((Err(e), State::Over)),
            };
            let polls = attempt + 1;
            let next = match phase(&snapshot) {
                Phase::Done => State::Over,
                Phase::Failed(status) => State::Fail(Error::JobFailed { operation, id, status }),
                Phase::Running if wait.max_attempts.is_some_and(|max| polls >= max) => {
                    State::Fail(Error::JobStillRunning { operation, id, attempts: polls })
                }
                Phase::Running => {
                    let grown = if attempt == 0 { interval } else { interval.mul_f64(wait.backoff) };
                    State::Poll { attempt: polls, interval: grown.min(wait.max_interval) }
                }
            };
            Some((Ok(snapshot), next))
        }
    });
    stream.boxed()
}

/// [`watch`] to the end: the last snapshot of a job done, or the error.
pub async fn until_done<T>(mut snapshots: BoxStream<'_, Result<T, Error>>) -> Result<T, Error> {
    let mut last = None;
    while let Some(item) = snapshots.next().await {
        last = Some(item?);
    }
    last.ok_or_else(|| Error::Config("the job's status could not be read".into()))
}
