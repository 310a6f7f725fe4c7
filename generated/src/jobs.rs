//! Waiting for long-running work: workflow executions (the official Python SDK's
//! `execute_workflow_and_wait` and `wait_for_workflow_completion`) and batch jobs, polled with
//! [`Wait`] (interval, backoff, a limit) until a terminal status, with progress as a `Stream`.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use mistral_sdk::jobs::ExecutionWait;
//! use mistral_sdk::models::WorkflowExecutionRequest;
//! use mistral_sdk::Wait;
//! use std::time::Duration;
//!
//! // The API waits (`wait_for_result`), or the SDK polls until the execution is over:
//! let result = client.workflows().execute_and_wait("my-workflow", WorkflowExecutionRequest::default(), ExecutionWait::Api { timeout_seconds: Some(60.0) }).await?;
//! let wait = Wait::every(Duration::from_secs(2)).backoff(1.5, Duration::from_secs(30)).max_attempts(100);
//! let result = client.workflows().execute_and_wait("my-workflow", WorkflowExecutionRequest::default(), ExecutionWait::Poll(wait)).await?;
//! // A batch job, with its counts as it goes:
//! use futures::StreamExt;
//! let mut progress = client.batch().jobs().watch("job-id", Wait::every(Duration::from_secs(10)));
//! while let Some(job) = progress.next().await {
//!     let job = job?;
//!     println!("{}/{} done", job.completed_requests, job.total_requests);
//! }
//! # let _ = result;
//! # Ok(())
//! # }
//! ```
//!
//! A status other than success (`FAILED`, `CANCELED`, `TERMINATED`, `TIMED_OUT`, …; for batch
//! jobs `FAILED`, `TIMEOUT_EXCEEDED`, `CANCELLED`) is [`Error::JobFailed`](crate::Error::JobFailed)
//! with the status; a job still running after `max_attempts` polls is
//! [`Error::JobStillRunning`](crate::Error::JobStillRunning). Dropping the future or the stream
//! stops the polling (nothing is cancelled on the server: cancel the job for that).

use crate::runtime::wait::Wait;

/// How [`execute_and_wait`](crate::api::workflows::Workflows::execute_and_wait) waits.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExecutionWait {
    /// The API's synchronous mode (`wait_for_result`), for up to `timeout_seconds` (the API's
    /// default when `None`). An answer without the result (the API stopped waiting) is then
    /// polled with [`Wait::default`].
    Api {
        /// How long the API may wait.
        timeout_seconds: Option<f64>,
    },
    /// The SDK polls the execution.
    Poll(Wait),
}

#[cfg(feature = "workflows")]
#[cfg_attr(docsrs, doc(cfg(feature = "workflows")))]
impl<'c> crate::api::workflows::Workflows<'c> {
    /// Executes `workflow` and waits until the execution is over: its result (JSON), or
    /// [`Error::JobFailed`](crate::Error::JobFailed) with the status it ended in.
    pub async fn execute_and_wait(
        &self,
        workflow: impl Into<String>,
        mut request: crate::models::WorkflowExecutionRequest,
        how: ExecutionWait,
    ) -> crate::Result<serde_json::Value> {
        use crate::models::WorkflowsExecuteWorkflowResponse as Answer;
        let wait = match how {
            ExecutionWait::Api { timeout_seconds } => {
                request.wait_for_result = Some(true);
                if let Some(t) = timeout_seconds {
                    request.timeout_seconds = crate::Nullable::Value(t);
                }
                Wait::default()
            }
            ExecutionWait::Poll(wait) => {
                request.wait_for_result = Some(false);
                wait
            }
        };
        let execution = match self.execute_workflow(workflow, request).await? {
            Answer::WorkflowExecutionSyncResponse(done) => return Ok(done.result),
            Answer::WorkflowExecutionResponse(started) => *started,
            Answer::Unknown(other) => {
                return Err(crate::Error::Config(format!("workflows.execute_and_wait: an execution answer of an unknown shape: {other}")));
            }
        };
        if execution_phase(&execution) == crate::Phase::Done {
            return Ok(execution.result.unwrap_or_default());
        }
        let done = self.wait_for_execution(&execution.execution_id, wait).await?;
        Ok(done.result.unwrap_or_default())
    }

    /// Polls the execution `execution_id` until it is over: its last state (`COMPLETED`), or
    /// [`Error::JobFailed`](crate::Error::JobFailed).
    pub fn wait_for_execution(
        &self,
        execution_id: &str,
        wait: Wait,
    ) -> impl std::future::Future<Output = crate::Result<crate::models::WorkflowExecutionResponse>> + Send + use<'c> {
        crate::runtime::wait::until_done(self.watch_execution(execution_id, wait))
    }

    /// The execution's state at each poll until it is over (see [`jobs`](crate::jobs)).
    pub fn watch_execution(
        &self,
        execution_id: &str,
        wait: Wait,
    ) -> futures::stream::BoxStream<'c, crate::Result<crate::models::WorkflowExecutionResponse>> {
        let executions = self.executions();
        let id = execution_id.to_string();
        let fetch_id = id.clone();
        crate::runtime::wait::watch(
            "workflows.wait_for_execution",
            id,
            wait,
            move || executions.get_workflow_execution(fetch_id.clone()).send(),
            execution_phase,
        )
    }
}

#[cfg(feature = "workflows")]
#[cfg_attr(docsrs, doc(cfg(feature = "workflows")))]
fn execution_phase(e: &crate::models::WorkflowExecutionResponse) -> crate::Phase {
    use crate::models::WorkflowExecutionStatus as S;
    match &e.status {
        // No status yet, or retrying: still going.
        None | Some(S::Running) | Some(S::RetryingAfterError) => crate::Phase::Running,
        Some(S::Completed) => crate::Phase::Done,
        Some(other) => crate::Phase::Failed(
            serde_json::to_value(other).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{other:?}")),
        ),
    }
}

#[cfg(feature = "batch")]
#[cfg_attr(docsrs, doc(cfg(feature = "batch")))]
impl<'c> crate::api::batch::jobs::Jobs<'c> {
    /// Polls the batch job `job_id` until it is over: its last state (`SUCCESS`), or
    /// [`Error::JobFailed`](crate::Error::JobFailed).
    pub fn wait(&self, job_id: &str, wait: Wait) -> impl std::future::Future<Output = crate::Result<crate::models::BatchJob>> + Send + use<'c> {
        crate::runtime::wait::until_done(self.watch(job_id, wait))
    }

    /// The job's state (its counts: total, completed, succeeded, failed) at each poll until it
    /// is over.
    pub fn watch(&self, job_id: &str, wait: Wait) -> futures::stream::BoxStream<'c, crate::Result<crate::models::BatchJob>> {
        let jobs = *self;
        let id = job_id.to_string();
        let fetch_id = id.clone();
        crate::runtime::wait::watch("batch.jobs.wait", id, wait, move || jobs.get(fetch_id.clone()).send(), batch_phase)
    }
}

#[cfg(feature = "batch")]
#[cfg_attr(docsrs, doc(cfg(feature = "batch")))]
fn batch_phase(job: &crate::models::BatchJob) -> crate::Phase {
    use crate::models::BatchJobStatus as S;
    match &job.status {
        S::Queued | S::Running | S::CancellationRequested => crate::Phase::Running,
        S::Success => crate::Phase::Done,
        other => crate::Phase::Failed(
            serde_json::to_value(other).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{other:?}")),
        ),
    }
}
