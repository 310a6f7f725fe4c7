//! One non-generic send path for every operation: URL, auth, headers, retries, tracing, hooks,
//! error decoding. Generated methods only fill in an [`HttpRequest`] and decode the result.

use super::client::Client;
use super::hooks::HookContext;
use super::middleware::{CallEnd, CallInfo, Observers};
use super::retry::{parse_retry_after, RetryPolicy};
use crate::{ApiError, DecodeError, Error};
use bytes::Bytes;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Decodes an error body into the typed error enum.
pub type ErrorDecoder = fn(&[u8]) -> Result<crate::errors::ErrorBody, serde_json::Error>;

/// What the runtime needs to know about an operation; one `static` per operation.
#[derive(Debug)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: &'static str,
    /// The SDK's method (`chat.complete`): what errors name.
    pub name: &'static str,
    pub method: Method,
    /// The path template, for traces.
    pub path: &'static str,
    /// Accepted schemes, in order of preference (empty: no authentication).
    pub security: &'static [crate::auth::Scheme],
    /// Declared error statuses (`0` for `default`, `400..=499` as 4 etc. is not used) and their
    /// body decoders.
    pub errors: &'static [(u16, ErrorDecoder)],
    /// Statuses declared as success.
    pub success: &'static [u16],
    /// For an event stream: what ends it when the answer is complete.
    pub stream_end: StreamEnd,
}

/// How an event stream's protocol says the answer is complete. A stream whose connection ends
/// before that (a proxy closing it on an event boundary) ends with `Error::Stream`, so a cut
/// answer is never taken for a whole one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// No terminator: the stream is complete when the server closes it.
    Open,
    /// An event whose data is this text (`[DONE]`) ends the stream.
    Sentinel(&'static str),
    /// An event of one of these types (the SSE `event:` name or the data's `type`) is the
    /// last one (`conversation.response.done`, or its `…error`).
    Events(&'static [&'static str]),
}

/// Per-call options, settable on every request builder.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    pub timeout: Option<Duration>,
    pub retry: Option<RetryPolicy>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub server_url: Option<String>,
    /// For event streams: the longest silence between bytes (instead of the client's).
    pub idle_timeout: Option<Duration>,
    /// A header value that was invalid when set; reported when the call is made.
    pub invalid_header: Option<String>,
    /// Where the successful response's status and headers go (`capture_response`).
    pub capture: Option<super::middleware::ResponseMeta>,
}

impl RequestOptions {
    pub fn header(&mut self, name: &str, value: &str) {
        match (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            (Ok(n), Ok(v)) => self.headers.push((n, v)),
            _ => self.invalid_header = Some(name.to_string()),
        }
    }
}

/// A multipart body, rebuilt for every attempt (so retries resend files from the start).
pub type MultipartFactory = Arc<dyn Fn() -> Result<reqwest::multipart::Form, Error> + Send + Sync>;

/// The request body.
#[derive(Clone, Default)]
pub enum RequestBody {
    #[default]
    Empty,
    Json(Bytes),
    Multipart(MultipartFactory),
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestBody::Empty => f.write_str("Empty"),
            RequestBody::Json(b) => write!(f, "Json({} bytes)", b.len()),
            RequestBody::Multipart(_) => f.write_str("Multipart"),
        }
    }
}

/// A request as generated code describes it.
#[derive(Debug, Default)]
pub struct HttpRequest {
    /// The path with parameters already encoded (see [`segment`]).
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub headers: Vec<(&'static str, String)>,
    pub body: RequestBody,
    /// `Accept` header; `application/json` when unset.
    pub accept: Option<&'static str>,
    /// The body is read as a stream (events, downloads): the timeout covers the wait for the
    /// response's headers only, since reqwest's would cut the body off.
    pub streaming: bool,
}

impl HttpRequest {
    pub fn new(path: String) -> Self {
        HttpRequest { path, ..Default::default() }
    }

    /// A JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(mut self, op: &'static Operation, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::Body { operation: op.name, message: e.to_string() })?;
        self.body = RequestBody::Json(Bytes::from(bytes));
        Ok(self)
    }

    /// A JSON body when one is set.
    pub fn json_opt<T: serde::Serialize>(self, op: &'static Operation, body: &Option<T>) -> Result<Self, Error> {
        match body {
            Some(b) => self.json(op, b),
            None => Ok(self),
        }
    }

    /// Adds a query parameter (arrays repeat the key; `None` adds nothing).
    pub fn query<V: QueryValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        value.push_to(name, &mut self.query);
    }

    /// Adds a query parameter of a model type (an enum, a union), as its JSON form: a string
    /// as is, other values as JSON text, `null` (an unset option) not at all.
    pub fn query_serde<V: serde::Serialize + ?Sized>(&mut self, name: &'static str, value: &V) {
        self.query(name, &serde_json::to_value(value).unwrap_or_default());
    }

    /// [`query_json`](Self::query_json) when the value is set.
    pub fn query_json_opt<V: serde::Serialize>(&mut self, op: &'static Operation, name: &'static str, value: &Option<V>) -> Result<(), Error> {
        match value {
            Some(v) => self.query_json(op, name, v),
            None => Ok(()),
        }
    }

    /// Adds a query parameter sent as JSON text (parameters whose spec uses `content`).
    pub fn query_json<V: serde::Serialize + ?Sized>(&mut self, op: &'static Operation, name: &'static str, value: &V) -> Result<(), Error> {
        let text = serde_json::to_string(value).map_err(|e| Error::Body { operation: op.name, message: e.to_string() })?;
        self.query.push((name, text));
        Ok(())
    }

    pub fn header<V: QueryValue + ?Sized>(&mut self, name: &'static str, value: &V) {
        let mut tmp = Vec::new();
        value.push_to(name, &mut tmp);
        self.headers.extend(tmp);
    }
}

/// Characters escaped in a path segment: everything but RFC 3986 unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes one path parameter so it stays one segment (`/`, `?`, `#`, spaces, unicode).
pub fn segment(value: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(value, SEGMENT)
}

/// Values that can go into a query string or header.
pub trait QueryValue {
    fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>);
}

macro_rules! display_query_value {
    ($($t:ty),*) => {$(
        impl QueryValue for $t {
            fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
                out.push((name, self.to_string()));
            }
        }
    )*};
}
display_query_value!(str, String, bool, i32, i64, u32, u64, f64);

impl<T: QueryValue> QueryValue for [T] {
    fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        for v in self {
            v.push_to(name, out);
        }
    }
}

impl<T: QueryValue> QueryValue for Vec<T> {
    fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        self.as_slice().push_to(name, out)
    }
}

impl<T: QueryValue + ?Sized> QueryValue for &T {
    fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        (**self).push_to(name, out)
    }
}

impl<T: QueryValue> QueryValue for Option<T> {
    fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        if let Some(v) = self {
            v.push_to(name, out)
        }
    }
}

impl<T: QueryValue> QueryValue for crate::Nullable<T> {
    fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        if let crate::Nullable::Value(v) = self {
            v.push_to(name, out)
        }
    }
}

impl QueryValue for serde_json::Value {
    fn push_to(&self, name: &'static str, out: &mut Vec<(&'static str, String)>) {
        match self {
            serde_json::Value::String(s) => out.push((name, s.clone())),
            serde_json::Value::Null => {}
            other => out.push((name, other.to_string())),
        }
    }
}

fn build_url(route: &super::provider::Route<'_>, query: &[(&'static str, String)]) -> Result<reqwest::Url, Error> {
    let base = route.base_url.trim_end_matches('/');
    let path = &route.path;
    let mut url = reqwest::Url::parse(&format!("{base}{path}")).map_err(|e| Error::Config(format!("URL `{base}{path}`: {e}")))?;
    if !query.is_empty() || !route.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
        for (k, v) in &route.query {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

/// Whether an error means no response was received (safe to retry).
fn is_connection_error(e: &reqwest::Error) -> bool {
    !e.is_timeout() && !e.is_builder() && !e.is_redirect() && !e.is_decode() && !e.is_body() && (e.is_connect() || e.is_request())
}

/// Whether the server did answer, with a response head that does not parse (an invalid status
/// line, a duplicate `Content-Length`, headers over the size limit): the request reached it, so
/// a non-idempotent one must not be sent again.
fn is_malformed_response(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper::Error>() {
            return h.is_parse() || h.is_parse_status();
        }
        source = s.source();
    }
    false
}

/// Methods whose request may be sent twice with the effect of once (RFC 9110, 9.2.2).
fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE)
}

/// Sends a request with retries; returns the response of a success status (and the call's
/// middleware observers, to be ended with its body or stream), or the error (the observers
/// ended with it).
pub async fn execute(
    client: &Client,
    op: &'static Operation,
    req: HttpRequest,
    opts: RequestOptions,
) -> Result<(reqwest::Response, Observers), Error> {
    let span = tracing::info_span!(
        "mistral.request",
        operation = op.id,
        sdk.method = op.name,
        method = %op.method,
        path = %req.path,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
    );
    let mut observers = Observers::start(&client.inner.middleware, || CallInfo {
        operation: op.id,
        method: op.name,
        http_method: op.method.clone(),
        path_template: op.path,
        path: req.path.clone(),
        body: match &req.body {
            RequestBody::Json(b) => Some(b.clone()),
            _ => None,
        },
        streaming: req.streaming,
    });
    let result = execute_inner(client, op, req, opts, &mut observers).instrument(span).await;
    observers.end_err(result).map(|resp| (resp, observers))
}

async fn execute_inner(
    client: &Client,
    op: &'static Operation,
    req: HttpRequest,
    opts: RequestOptions,
    observers: &mut Observers,
) -> Result<reqwest::Response, Error> {
    let inner = &client.inner;
    if let Some(name) = &opts.invalid_header {
        return Err(Error::Config(format!("{}: invalid per-call header `{name}`", op.name)));
    }
    let policy = opts.retry.as_ref().unwrap_or(&inner.retry);
    check_path(op, &req.path)?;
    let call = super::provider::Call {
        operation: op,
        path: &req.path,
        json_body: match &req.body {
            RequestBody::Json(b) => Some(b),
            _ => None,
        },
        event_stream: req.accept == Some("text/event-stream"),
        server_url: opts.server_url.as_deref(),
    };
    let timeout = opts.timeout.or(inner.timeout);
    let start = Instant::now();
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        // Asked before every attempt, so a token that expires during the retries is renewed;
        // within the attempt's timeout, so a token endpoint that never answers cannot hang it.
        let route = match timeout {
            Some(t) => {
                tokio::time::timeout(t, inner.provider.route(&call)).await.map_err(|_| Error::Timeout { operation: op.name, source: None })??
            }
            None => inner.provider.route(&call).await?,
        };
        let url = build_url(&route, &req.query)?;
        let mut builder = inner.http.request(op.method.clone(), url).headers(inner.default_headers.clone());
        for (name, value) in route.headers {
            builder = builder.header(name, value);
        }
        builder = builder.header(reqwest::header::ACCEPT, HeaderValue::from_static(req.accept.unwrap_or("application/json")));
        for (name, value) in &req.headers {
            builder = builder.header(*name, value.as_str());
        }
        for (name, value) in &opts.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if let (Some(t), false) = (timeout, req.streaming) {
            builder = builder.timeout(t);
        }
        builder = match &req.body {
            RequestBody::Empty => builder,
            RequestBody::Json(bytes) => {
                builder.header(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json")).body(bytes.clone())
            }
            RequestBody::Multipart(factory) => builder.multipart(factory()?),
        };
        let mut request = builder.build().map_err(|source| Error::Request { operation: op.name, source })?;
        let ctx = HookContext { operation: op.id, attempt };
        for hook in &inner.hooks {
            hook.on_request(&ctx, &mut request)?;
        }
        if !observers.is_empty() {
            observers.before_attempt(attempt, &mut request).await?;
        }
        if crate::SAMPLED_TRACEPARENT.contains(&op.id) {
            sampled_traceparent(&mut request, &opts);
        }
        let span = tracing::Span::current();
        span.record("attempts", attempt);
        let result = match (timeout, req.streaming) {
            (Some(t), true) => match tokio::time::timeout(t, inner.http.execute(request)).await {
                Ok(r) => r,
                Err(_) => return Err(Error::Timeout { operation: op.name, source: None }),
            },
            _ => inner.http.execute(request).await,
        };
        let retries_left = attempt < policy.max_attempts;
        if let Err(e) = &result {
            observers.after_failure(attempt, e);
        }
        match result {
            Ok(mut resp) => {
                for hook in &inner.hooks {
                    hook.on_response(&ctx, &mut resp);
                }
                let status = resp.status();
                span.record("status", status.as_u16());
                observers.after_response(attempt, status, resp.headers());
                if status.is_success() {
                    super::middleware::warn_deprecated_model(
                        resp.headers(),
                        match &req.body {
                            RequestBody::Json(b) => Some(b),
                            _ => None,
                        },
                    );
                    if let Some(meta) = &opts.capture {
                        meta.fill(status, resp.headers());
                    }
                    return Ok(resp);
                }
                if retries_left && policy.retries_status(status.as_u16()) {
                    let retry_after = resp.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
                    // A server that asks for a longer wait than the policy allows, or than the
                    // budget has left, gets its answer now rather than a retry after the budget.
                    let asked_too_long = retry_after.is_some_and(|ra| ra > policy.max_retry_after);
                    let wait = policy.backoff(attempt, retry_after);
                    if !asked_too_long && start.elapsed() + wait <= policy.total_budget {
                        tracing::debug!(status = status.as_u16(), wait_ms = wait.as_millis() as u64, "retrying");
                        drop(resp);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                }
                return Err(api_error(op, resp, inner.max_body_size).await);
            }
            Err(source) if source.is_timeout() => return Err(Error::Timeout { operation: op.name, source: Some(source) }),
            Err(source) if is_malformed_response(&source) && !is_idempotent(&op.method) => {
                return Err(Error::Request { operation: op.name, source });
            }
            Err(source) if is_connection_error(&source) => {
                if retries_left && policy.retry_connection_errors {
                    let wait = policy.backoff(attempt, None);
                    if start.elapsed() + wait <= policy.total_budget {
                        tracing::debug!(error = %source, wait_ms = wait.as_millis() as u64, "retrying after a connection failure");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                }
                return Err(Error::Connection { operation: op.name, source });
            }
            Err(source) => return Err(Error::Request { operation: op.name, source }),
        }
    }
}

/// A sampled `traceparent` on a request that must have one: a header the caller set is kept;
/// one a middleware added is kept when sampled; otherwise a new trace, sampled.
fn sampled_traceparent(request: &mut reqwest::Request, opts: &RequestOptions) {
    use super::retry::random_u64;
    if opts.headers.iter().any(|(name, _)| name == "traceparent") {
        return;
    }
    let current = request.headers().get("traceparent").and_then(|v| v.to_str().ok());
    if current.is_some_and(|v| v.ends_with("-01")) {
        return;
    }
    // Trace and span ids must not be all zeros.
    let value = format!("00-{:016x}{:016x}-{:016x}-01", random_u64(), random_u64() | 1, random_u64() | 1);
    if let Ok(v) = HeaderValue::from_str(&value) {
        request.headers_mut().insert("traceparent", v);
    }
}

async fn api_error(op: &'static Operation, resp: reqwest::Response, limit: usize) -> Error {
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = match read_body_limited(op.name, resp, limit).await {
        Ok(b) => b,
        Err(e) => return e,
    };
    let code = status.as_u16();
    let decoder = op
        .errors
        .iter()
        .find(|(s, _)| *s == code)
        .or_else(|| op.errors.iter().find(|(s, _)| *s == code / 100))
        .or_else(|| op.errors.iter().find(|(s, _)| *s == 0));
    let mut error = ApiError::new(op.name, status, headers, body);
    match decoder {
        Some((_, decode)) => {
            match decode(&error.body) {
                Ok(e) => error.error = Some(e),
                Err(e) => error.error_decode = Some(e.to_string()),
            }
            Error::Api(Box::new(error))
        }
        // Undeclared, but the service's own error shape: an API error all the same.
        None if error.service.is_some() => Error::Api(Box::new(error)),
        None => Error::UnexpectedStatus(Box::new(error)),
    }
}

/// Reads a JSON success body into `T`, naming the JSON path on failure.
pub async fn json<T: serde::de::DeserializeOwned>(op: &'static Operation, resp: reqwest::Response, limit: usize) -> Result<T, Error> {
    json_observed(op, resp, limit, &mut Observers::default()).await
}

/// [`json`], ending the call's observers with the body (or the error).
async fn json_observed<T: serde::de::DeserializeOwned>(
    op: &'static Operation,
    resp: reqwest::Response,
    limit: usize,
    observers: &mut Observers,
) -> Result<T, Error> {
    let status = resp.status();
    if observers.is_empty() {
        let body = read_body_limited(op.name, resp, limit).await?;
        return decode_json(op, status, body);
    }
    let headers = resp.headers().clone();
    let body = observers.end_err(read_body_limited(op.name, resp, limit).await)?;
    let decoded = decode_json(op, status, body.clone());
    match &decoded {
        Ok(_) => observers.end(CallEnd::Response { status, headers: &headers, body: Some(&body) }),
        Err(e) => observers.end(CallEnd::Error(e)),
    }
    decoded
}

fn body_error(operation: &'static str, source: reqwest::Error) -> Error {
    if source.is_timeout() {
        Error::Timeout { operation, source: Some(source) }
    } else {
        Error::Connection { operation, source }
    }
}

/// Reads a whole body, refusing one over `limit` bytes as soon as its `Content-Length` or the
/// bytes read so far say so (a server sending without end cannot exhaust memory).
pub(crate) async fn read_body_limited(operation: &'static str, resp: reqwest::Response, limit: usize) -> Result<Bytes, Error> {
    use futures::StreamExt;
    let declared = resp.content_length();
    collect_limited(operation, declared, limit, resp.bytes_stream().map(|r| r.map_err(|e| body_error(operation, e)))).await
}

/// Gathers a body's chunks into memory, refusing one over `limit` bytes: from its declared
/// length before reading anything, else as soon as the chunks pass it. JSON bodies and
/// `BinaryResponse::bytes` both read through it.
pub(crate) async fn collect_limited(
    operation: &'static str,
    declared: Option<u64>,
    limit: usize,
    chunks: impl futures::Stream<Item = Result<Bytes, Error>>,
) -> Result<Bytes, Error> {
    use futures::StreamExt;
    let too_large = || Error::TooLarge { operation, what: "response body", limit };
    let declared = declared.unwrap_or(0);
    if declared > limit as u64 {
        return Err(too_large());
    }
    let mut body = bytes::BytesMut::with_capacity(declared as usize);
    let mut chunks = std::pin::pin!(chunks);
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        if body.is_empty() && chunk.len() as u64 == declared {
            return Ok(chunk); // the whole body in one chunk: no copy
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The path a call is about to request, checked against its template: a path parameter that
/// fills a whole segment must not be empty, `.` or `..`, which URL parsing would remove or
/// resolve (`/v1/models/.` becomes `/v1/models/`), sending the request to another resource.
/// (Other characters are percent-encoded by [`segment`], so `%2e` is sent as `%252e`.)
pub(crate) fn check_path(op: &'static Operation, path: &str) -> Result<(), Error> {
    let mut values = path.split('/');
    for template in op.path.split('/') {
        let Some(value) = values.next() else { break };
        if let Some(name) = template.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
            let message = match value {
                "" => "is empty",
                "." | ".." => "is a dot segment (`.` or `..`), which would name another resource",
                _ => continue,
            };
            return Err(Error::InvalidParameter { operation: op.name, name: name.to_string(), message: message.to_string() });
        }
    }
    Ok(())
}

/// Decodes a JSON body, keeping the body and the failing path in the error.
pub fn decode_json<T: serde::de::DeserializeOwned>(op: &'static Operation, status: StatusCode, body: Bytes) -> Result<T, Error> {
    // The fast path decodes directly; only a failure pays for tracking the JSON path.
    if let Ok(v) = serde_json::from_slice(&body) {
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(&body);
    match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => Ok(v),
        Err(e) => {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            Err(Error::Decode(Box::new(DecodeError { operation: op.name, status, path, message, body })))
        }
    }
}

/// For operations without a response body: drains it (up to the body limit).
pub async fn empty(op: &'static Operation, resp: reqwest::Response, limit: usize) -> Result<(), Error> {
    read_body_limited(op.name, resp, limit).await.map(|_| ())
}

/// Decodes an error body (used through generated [`ErrorDecoder`]s).
pub fn decode_error<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

/// The text of a path parameter whose type is not a plain string or number (a union, say):
/// strings as they are, anything else as JSON text.
pub fn path_value<T: serde::Serialize + ?Sized>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// The future a request builder's `send()` returns, and what `.await` on the builder runs: the
/// call's result, with retries, once awaited. Boxed, so every method returns the same shape and
/// the future can be stored or sent to another task (`Send`).
pub type Pending<'c, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, Error>> + Send + 'c>>;

/// How a successful response becomes the operation's output. One async body per output type,
/// shared by every operation with that output: operations themselves stay synchronous, which
/// keeps the crate's compile time down.
pub trait Output: Sized + Send + 'static {
    /// The `Accept` header to send.
    const ACCEPT: &'static str = "application/json";
    /// Whether the body is read as a stream after the call returns (see `HttpRequest::streaming`).
    const STREAMING: bool = false;
    fn from_response(
        op: &'static Operation,
        resp: reqwest::Response,
        limits: ReadLimits,
        observers: Observers,
    ) -> impl std::future::Future<Output = Result<Self, Error>> + Send;
}

/// How a response body may be read: the call's settings, else the client's.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// The longest silence in an event stream or a download.
    pub idle_timeout: Option<Duration>,
    pub max_body_size: usize,
    pub max_event_size: usize,
}

impl Output for () {
    async fn from_response(op: &'static Operation, resp: reqwest::Response, limits: ReadLimits, mut observers: Observers) -> Result<Self, Error> {
        let (status, headers) = (resp.status(), resp.headers().clone());
        let body = observers.end_err(read_body_limited(op.name, resp, limits.max_body_size).await)?;
        observers.end(CallEnd::Response { status, headers: &headers, body: Some(&body) });
        Ok(())
    }
}

impl Output for crate::BinaryResponse {
    const ACCEPT: &'static str = "*/*";
    const STREAMING: bool = true;
    async fn from_response(op: &'static Operation, resp: reqwest::Response, limits: ReadLimits, mut observers: Observers) -> Result<Self, Error> {
        observers.end(CallEnd::Response { status: resp.status(), headers: resp.headers(), body: None });
        Ok(crate::BinaryResponse::new(op.name, resp).with_idle_timeout(limits.idle_timeout).with_max_body_size(limits.max_body_size))
    }
}

impl<T: super::sse::SseDecode + Send + 'static> Output for super::sse::EventStream<T> {
    const ACCEPT: &'static str = "text/event-stream";
    const STREAMING: bool = true;
    async fn from_response(op: &'static Operation, resp: reqwest::Response, limits: ReadLimits, observers: Observers) -> Result<Self, Error> {
        let stream = super::sse::EventStream::new(op.name, resp).max_event_size(limits.max_event_size).stream_end(op.stream_end).observed(observers);
        Ok(match limits.idle_timeout {
            Some(d) => stream.idle_timeout(d),
            None => stream,
        })
    }
}

/// Sends a prepared request and turns the response into `O`.
pub fn send<'c, O: Output>(client: &'c Client, op: &'static Operation, req: Result<HttpRequest, Error>, opts: RequestOptions) -> Pending<'c, O> {
    Box::pin(async move {
        let mut req = req?;
        req.accept.get_or_insert(O::ACCEPT);
        req.streaming = O::STREAMING;
        let limits = ReadLimits {
            idle_timeout: opts.idle_timeout.or(client.inner.stream_idle_timeout),
            max_body_size: client.inner.max_body_size,
            max_event_size: client.inner.max_event_size,
        };
        let (resp, observers) = execute(client, op, req, opts).await?;
        O::from_response(op, resp, limits, observers).await
    })
}

/// Sends a request whose output is a JSON body of type `T`.
pub fn send_json<'c, T: serde::de::DeserializeOwned + Send + 'static>(
    client: &'c Client,
    op: &'static Operation,
    req: Result<HttpRequest, Error>,
    opts: RequestOptions,
) -> Pending<'c, T> {
    Box::pin(async move {
        let req = req?;
        let (resp, mut observers) = execute(client, op, req, opts).await?;
        json_observed(op, resp, client.inner.max_body_size, &mut observers).await
    })
}

/// Runs a request-building closure (so generated code can use `?` while building).
#[inline]
pub fn build(f: impl FnOnce() -> Result<HttpRequest, Error>) -> Result<HttpRequest, Error> {
    f()
}
