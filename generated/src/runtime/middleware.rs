//! Middleware: the seam that tracing, metrics and your own instrumentation are built on.
//!
//! A [`Middleware`] added with `ClientBuilder::middleware` is asked, when a call starts, for a
//! [`CallObserver`] of that call: one object per logical call, holding its state (a span, a
//! timer), that sees every attempt of the call (the request before it is sent, which it may
//! change or refuse; the response head or the transport error after), every event of a streamed
//! answer as it arrives, and the call's end: the response with its body for JSON answers, the
//! end of a stream (complete, failed, or dropped by the caller before its end), or the error.
//!
//! Chosen over tower middleware (async-openai's choice) to keep the default build as it was:
//! tower's `Service` stack would make every call generic over the stack or boxed per layer,
//! and its types would be in the SDK's public API; this seam costs nothing when no middleware is
//! added (no allocation, no clone of the body) and one boxed observer per call when one is.
//! [`Hook`](crate::Hook) stays: a synchronous, per-attempt view of the request and response,
//! run before the middleware on each attempt.
//!
//! ```no_run
//! use mistral_sdk::middleware::{CallEnd, CallInfo, CallObserver, Middleware};
//! use std::time::Instant;
//!
//! struct Timing;
//! struct Timer(&'static str, Instant);
//!
//! impl Middleware for Timing {
//!     fn start(&self, call: &CallInfo) -> Box<dyn CallObserver> {
//!         Box::new(Timer(call.operation, Instant::now()))
//!     }
//! }
//!
//! impl CallObserver for Timer {
//!     fn end(self: Box<Self>, end: CallEnd<'_>) {
//!         println!("{} took {:?} ({})", self.0, self.1.elapsed(), if end.is_error() { "failed" } else { "ok" });
//!     }
//! }
//!
//! let client = mistral_sdk::Client::builder().api_key("…").middleware(Timing).build()?;
//! # Ok::<(), mistral_sdk::Error>(())
//! ```

use crate::Error;
use bytes::Bytes;
use futures::future::BoxFuture;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::sync::{Arc, Mutex};

/// What a middleware knows of a call when it starts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallInfo {
    /// The spec's operation id (`chat_completion_v1_chat_completions_post`).
    pub operation: &'static str,
    /// The SDK's method (`chat.complete`).
    pub method: &'static str,
    /// The HTTP method.
    pub http_method: reqwest::Method,
    /// The path template (`/v1/conversations/{conversation_id}`).
    pub path_template: &'static str,
    /// The path with its parameters.
    pub path: String,
    /// The JSON request body, when the call has one.
    pub body: Option<Bytes>,
    /// Whether the answer is read as a stream (events, a download).
    pub streaming: bool,
}

/// A transport-level outcome of one attempt.
#[derive(Debug)]
#[non_exhaustive]
pub enum AttemptResult<'a> {
    /// A response arrived (any status; retries and errors are decided after).
    Response { status: StatusCode, headers: &'a HeaderMap },
    /// No response: the connection failed or the attempt timed out.
    Failed { error: &'a (dyn std::error::Error + Send + Sync + 'static) },
}

/// How a call ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallEnd<'a> {
    /// A successful response: its body for JSON answers (`None` for a download, whose body the
    /// caller reads).
    Response { status: StatusCode, headers: &'a HeaderMap, body: Option<&'a Bytes> },
    /// A streamed answer ended after its last event.
    StreamComplete,
    /// The caller dropped a streamed answer before its end.
    StreamDropped,
    /// The call failed (an API error, a timeout, a stream cut short, …).
    Error(&'a Error),
}

impl CallEnd<'_> {
    /// Whether the call failed.
    pub fn is_error(&self) -> bool {
        matches!(self, CallEnd::Error(_))
    }
}

/// Makes one [`CallObserver`] per call.
pub trait Middleware: Send + Sync + 'static {
    /// A call starts (before its first attempt): the observer that follows it to its end.
    fn start(&self, call: &CallInfo) -> Box<dyn CallObserver>;

    /// The run loop (`mistral_sdk::run`) executes a tool in process (a local function or an
    /// MCP server's tool): an observer of that execution, if this middleware wants one.
    fn tool(&self, tool: &ToolCallInfo) -> Option<Box<dyn ToolObserver>> {
        let _ = tool;
        None
    }
}

/// A tool the run loop executes in process.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ToolCallInfo {
    /// The function's name, as the model called it.
    pub name: String,
    /// The call's id.
    pub call_id: String,
    /// The arguments, as JSON text.
    pub arguments: String,
}

/// One tool execution ([`Middleware::tool`]).
pub trait ToolObserver: Send + 'static {
    /// The execution's end: the result text the model gets, or the error message.
    fn end(self: Box<Self>, result: Result<&str, &str>);
}

/// Observes one tool execution with every middleware that wants to, around `run` (the run
/// loop's; not for applications).
#[doc(hidden)]
pub async fn observe_tool<F: std::future::Future<Output = Result<String, String>>>(
    middleware: &[Arc<dyn Middleware>],
    info: impl FnOnce() -> ToolCallInfo,
    run: F,
) -> Result<String, String> {
    if middleware.is_empty() {
        return run.await;
    }
    let info = info();
    let observers: Vec<Box<dyn ToolObserver>> = middleware.iter().filter_map(|m| m.tool(&info)).collect();
    let result = run.await;
    for o in observers {
        o.end(result.as_deref().map_err(String::as_str));
    }
    result
}

/// One call seen from its start to its end (see [the module](self)). Every method has a default
/// that does nothing.
pub trait CallObserver: Send + 'static {
    /// Before attempt `attempt` (1 for the first) is sent: may change the request (add a
    /// header, sign it) or fail the call with an error, which is the call's result.
    fn before_attempt<'a>(&'a mut self, attempt: u32, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        let _ = (attempt, request);
        Box::pin(std::future::ready(Ok(())))
    }

    /// After attempt `attempt`: its response head, or why none came.
    fn after_attempt(&mut self, attempt: u32, result: AttemptResult<'_>) {
        let _ = (attempt, result);
    }

    /// An event of a streamed answer, as it arrives.
    fn event(&mut self, event: &super::sse::RawEvent) {
        let _ = event;
    }

    /// The call's end. Called exactly once.
    fn end(self: Box<Self>, end: CallEnd<'_>) {
        let _ = end;
    }
}

/// The observers of one call (none when the client has no middleware: nothing is allocated).
#[derive(Default)]
pub struct Observers(Vec<Box<dyn CallObserver>>);

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Observers({})", self.0.len())
    }
}

impl Observers {
    pub(crate) fn start(middleware: &[Arc<dyn Middleware>], call: impl FnOnce() -> CallInfo) -> Self {
        if middleware.is_empty() {
            return Observers(Vec::new());
        }
        let info = call();
        Observers(middleware.iter().map(|m| m.start(&info)).collect())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) async fn before_attempt(&mut self, attempt: u32, request: &mut reqwest::Request) -> Result<(), Error> {
        for o in &mut self.0 {
            o.before_attempt(attempt, request).await?;
        }
        Ok(())
    }

    pub(crate) fn after_response(&mut self, attempt: u32, status: StatusCode, headers: &HeaderMap) {
        for o in &mut self.0 {
            o.after_attempt(attempt, AttemptResult::Response { status, headers });
        }
    }

    pub(crate) fn after_failure(&mut self, attempt: u32, error: &(dyn std::error::Error + Send + Sync + 'static)) {
        for o in &mut self.0 {
            o.after_attempt(attempt, AttemptResult::Failed { error });
        }
    }

    pub(crate) fn event(&mut self, event: &super::sse::RawEvent) {
        for o in &mut self.0 {
            o.event(event);
        }
    }

    /// Ends the call for every observer (once: later calls do nothing).
    pub(crate) fn end(&mut self, end: CallEnd<'_>) {
        for o in self.0.drain(..) {
            o.end(match &end {
                CallEnd::Response { status, headers, body } => CallEnd::Response { status: *status, headers, body: *body },
                CallEnd::StreamComplete => CallEnd::StreamComplete,
                CallEnd::StreamDropped => CallEnd::StreamDropped,
                CallEnd::Error(e) => CallEnd::Error(e),
            });
        }
    }

    /// Ends the call with `result`'s error, when it is one; returns it.
    pub(crate) fn end_err<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &result {
            self.end(CallEnd::Error(e));
        }
        result
    }
}

/// The status and headers of a call's successful response, filled in when it arrives
/// (`.capture_response(&meta)` on any request builder). Clones share the slot.
///
/// ```no_run
/// # async fn demo(client: mistral_sdk::Client, request: mistral_sdk::models::ChatCompletionRequest) -> mistral_sdk::Result<()> {
/// let meta = mistral_sdk::ResponseMeta::new();
/// let answer = client.chat().complete(request).capture_response(&meta).await?;
/// println!("request id for support: {:?}", meta.request_id());
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ResponseMeta(Arc<Mutex<Option<(StatusCode, HeaderMap)>>>);

impl ResponseMeta {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn fill(&self, status: StatusCode, headers: &HeaderMap) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((status, headers.clone()));
    }

    /// The response's status (`None` before it arrived, or when the call failed).
    pub fn status(&self) -> Option<StatusCode> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|(s, _)| *s)
    }

    /// The response's headers.
    pub fn headers(&self) -> Option<HeaderMap> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|(_, h)| h.clone())
    }

    /// The request's id as the service's headers carry it (`x-request-id`,
    /// `mistral-correlation-id`, …), to quote to support; errors have theirs in
    /// [`Error::request_id`](crate::Error::request_id).
    pub fn request_id(&self) -> Option<String> {
        let guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let (_, headers) = guard.as_ref()?;
        super::error::request_id_of(headers).map(str::to_string)
    }
}

/// `x-model-deprecation-timestamp` on a response: one `tracing` warning per model and process,
/// as the official SDKs warn (the model named by the request body, else "the model").
pub(crate) fn warn_deprecated_model(headers: &HeaderMap, request_body: Option<&Bytes>) {
    static WARNED: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let Some(when) = headers.get("x-model-deprecation-timestamp").and_then(|v| v.to_str().ok()) else { return };
    #[derive(serde::Deserialize)]
    struct Model {
        model: Option<String>,
    }
    let model = request_body.and_then(|b| serde_json::from_slice::<Model>(b).ok()).and_then(|m| m.model).unwrap_or_else(|| "the model".into());
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if warned.contains(&model) {
        return;
    }
    warned.push(model.clone());
    tracing::warn!(
        model = %model,
        removal = %when,
        "The model {model} is deprecated and will be removed on {when}. See https://docs.mistral.ai/getting-started/models/#api-versioning"
    );
}
