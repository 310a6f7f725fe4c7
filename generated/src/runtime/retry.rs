//! Retry policy: which failures are retried, how long to wait, when to give up.

use std::time::Duration;

/// When and how requests are retried.
///
/// The default retries `429`, `500`, `502`, `503`, `504` and connection failures (the request
/// never got a response) up to 4 attempts in all, waiting 0.5 s, 1 s, 2 s … (doubling, at most
/// 8 s) with proportional jitter of ±25 %, honours a `Retry-After` header (seconds or an HTTP
/// date) up to 60 s, and never starts an attempt after 60 s in total. Timeouts are not retried.
/// [`RetryPolicy::none`] turns retries off. Set it on the client or per call.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retries).
    pub max_attempts: u32,
    /// Wait before the first retry.
    pub initial_backoff: Duration,
    /// Upper bound of one computed wait.
    pub max_backoff: Duration,
    /// Factor between successive waits.
    pub multiplier: f64,
    /// Proportional jitter: each wait is scaled by a random factor in `1 ± jitter`.
    pub jitter: f64,
    /// A `Retry-After` longer than this is capped to it.
    pub max_retry_after: Duration,
    /// No attempt starts later than this after the first one.
    pub total_budget: Duration,
    /// HTTP statuses that are retried.
    pub retry_statuses: Vec<u16>,
    /// Retry when no response was received (connection refused, reset, closed early).
    pub retry_connection_errors: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            multiplier: 2.0,
            jitter: 0.25,
            max_retry_after: Duration::from_secs(60),
            total_budget: Duration::from_secs(60),
            retry_statuses: vec![429, 500, 502, 503, 504],
            retry_connection_errors: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy { max_attempts: 1, ..Default::default() }
    }

    /// The default policy with another number of attempts in all.
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The default policy with another first wait (later waits scale from it).
    pub fn with_initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// Another total time budget.
    pub fn with_total_budget(mut self, d: Duration) -> Self {
        self.total_budget = d;
        self
    }

    pub(crate) fn retries_status(&self, status: u16) -> bool {
        self.retry_statuses.contains(&status)
    }

    /// The wait before retry number `retry` (1 for the first retry).
    pub(crate) fn backoff(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let base = self.initial_backoff.as_secs_f64() * self.multiplier.powi(retry.saturating_sub(1) as i32);
        let base = base.min(self.max_backoff.as_secs_f64());
        let factor = 1.0 + self.jitter * (2.0 * random_unit() - 1.0);
        Duration::from_secs_f64((base * factor).max(0.0))
    }
}

/// A number in [0, 1).
fn random_unit() -> f64 {
    (random_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A random 64-bit number from the standard library's randomly keyed hasher over a counter and
/// the time (no `rand` dependency): for jitter and trace ids, which need to differ, not to be
/// secret.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0));
    h.finish()
}

/// Parses `Retry-After`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO))
}
