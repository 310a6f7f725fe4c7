//! The one error type of the SDK.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::fmt;

/// Everything that can go wrong calling the API. `Display` names the operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error: a status the operation declares (for example 422 with an
    /// `HTTPValidationError`, typed in [`ApiError::error`]), or any status whose body is the
    /// service's error shape (`{"object": "error", "message", "type", "code"}` or `{"detail"}`,
    /// in [`ApiError::service`]): 401, 403, 404 and 429 come here. [`Error::message`] reads it.
    Api(Box<ApiError>),
    /// The API answered with a status the spec does not declare for this operation, and a body
    /// that is not the service's error shape (an HTML page from a proxy, say).
    UnexpectedStatus(Box<ApiError>),
    /// A successful response whose body does not decode into the declared type.
    Decode(Box<DecodeError>),
    /// The request (or the wait for a response) took longer than the timeout. For streams and
    /// downloads the timeout covers the wait for the response's headers, not the body (an event
    /// stream's idle timeout covers the gaps between events, and a realtime connection's the
    /// gaps between messages); `source` is `None` then.
    Timeout { operation: &'static str, source: Option<reqwest::Error> },
    /// No response: connection refused, reset or closed early, DNS, TLS. Retried by default.
    Connection { operation: &'static str, source: reqwest::Error },
    /// The request could not be built or sent for another reason.
    Request { operation: &'static str, source: reqwest::Error },
    /// A request body could not be prepared (encoding, reading a file).
    Body { operation: &'static str, message: String },
    /// A stream of server-sent events broke or carried an event that does not decode.
    Stream { operation: &'static str, message: String, raw: Option<String> },
    /// The client is misconfigured (missing API key, bad server URL, bad header).
    Config(String),
    /// Reading or writing a local file.
    Io { operation: &'static str, source: std::io::Error },
    /// A response was larger than the client allows (`what`: `"response body"` or
    /// `"server-sent event"`); nothing more was read. The limits are set with
    /// `ClientBuilder::max_body_size` and `ClientBuilder::max_event_size`.
    TooLarge { operation: &'static str, what: &'static str, limit: usize },
    /// A parameter's value cannot be sent as it is: a path parameter that is empty, `.` or `..`
    /// would change which resource the request names. Nothing was sent.
    InvalidParameter { operation: &'static str, name: String, message: String },
    /// A provider client lacks a setting it cannot work without (Azure's `endpoint`, Google
    /// Cloud's `project_id`): `setting` names it, `hint` says how to give it.
    MissingSetting { provider: &'static str, setting: &'static str, hint: String },
    /// The provider routes calls by the body's `model` (Google Cloud puts it in the URL) and
    /// this call's body has none. Nothing was sent.
    MissingModel { operation: &'static str, provider: &'static str },
    /// An access token could not be fetched or refreshed (an expired one is never sent).
    /// Nothing was sent; the next call tries again.
    Token { operation: &'static str, provider: &'static str, source: Box<dyn std::error::Error + Send + Sync> },
    /// Paging through a list (`pages()`, `items()`) would not end: the server sent a cursor it
    /// had already sent, or the same items again for a new offset. The stream ends here.
    Pagination { operation: &'static str, message: String },
    /// A structured output (`parse::<T>()`) whose content is not JSON of `T`: `text` is the
    /// content as received, `choice` its index, `path` where decoding failed (empty at the root).
    Parse { operation: &'static str, choice: usize, text: String, path: String, message: String },
    /// A realtime (WebSocket) connection failed: the handshake broke, the server refused the
    /// session with an `error` event, or the connection closed or broke before the end.
    Realtime { operation: &'static str, message: String },
    /// The conversation loop cannot go on as asked (a decision for a call the run is not
    /// waiting for, a missing one, an approval of a function the run context does not
    /// register). Nothing was sent.
    Run { operation: &'static str, message: String },
    /// An MCP server (`mistral_sdk::mcp`) could not be started or reached, refused the session,
    /// or failed a request outside a tool call (a tool call's failure goes back to the model as
    /// its result instead). `server` is the name it was registered under.
    Mcp { operation: &'static str, server: String, message: String },
    /// An MCP server answered `401 Unauthorized`: it needs OAuth authorization first
    /// (`mistral_sdk::mcp::McpOAuth`). `www_authenticate` is its challenge, when it sent one.
    McpAuthorization { operation: &'static str, server: String, www_authenticate: Option<String> },
    /// A long-running job waited for (a workflow execution, a batch job) ended in `status`,
    /// not in success.
    JobFailed { operation: &'static str, id: String, status: String },
    /// Waiting for a job gave up: it was still running after `attempts` polls.
    JobStillRunning { operation: &'static str, id: String, attempts: u32 },
}

/// A non-success HTTP response.
#[derive(Debug)]
pub struct ApiError {
    pub operation: &'static str,
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The raw body, whatever it is.
    pub body: Bytes,
    /// The body decoded into the type the spec declares for this status, when it declares one
    /// and the body matches it.
    pub error: Option<crate::errors::ErrorBody>,
    /// Why the declared type did not decode, when it did not.
    pub error_decode: Option<String>,
    /// The body read as the service's common error shape, whatever the status.
    pub service: Option<ServiceError>,
}

impl ApiError {
    /// A response's error: the service's error shape is read from `body` when it has it.
    pub(crate) fn new(operation: &'static str, status: StatusCode, headers: HeaderMap, body: Bytes) -> ApiError {
        let service = ServiceError::parse(&body);
        ApiError { operation, status, headers, body, error: None, error_decode: None, service }
    }

    /// What the service says went wrong: its `message`, the validation `detail`, or `None`.
    pub fn message(&self) -> Option<String> {
        self.service.as_ref().and_then(ServiceError::text)
    }

    /// The request's id as the service's response headers carry it (`x-request-id`,
    /// `mistral-correlation-id`, `x-kong-request-id` or `request-id`), to quote to support.
    pub fn request_id(&self) -> Option<&str> {
        request_id_of(&self.headers)
    }
}

const REQUEST_ID_HEADERS: &[&str] = &["x-request-id", "mistral-correlation-id", "x-kong-request-id", "request-id"];

/// The request id among a response's headers.
pub(crate) fn request_id_of(headers: &reqwest::header::HeaderMap) -> Option<&str> {
    REQUEST_ID_HEADERS.iter().find_map(|h| headers.get(*h)?.to_str().ok())
}

/// The error body Mistral's services send whatever the status: `{"object": "error", "message",
/// "type", "param", "code"}`, or `{"detail": …}` for validation errors. Read leniently: a
/// `message` that is an object, a numeric `code`.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct ServiceError {
    pub message: Option<String>,
    /// The error's `type` (`invalid_request_error`, …).
    pub kind: Option<String>,
    pub code: Option<String>,
    pub param: Option<String>,
    /// A validation error's `detail` (a message, or a list of `{loc, msg, type}`).
    pub detail: Option<serde_json::Value>,
}

impl ServiceError {
    /// The shape, when `body` is a JSON object with a `message` or a `detail`.
    pub fn parse(body: &[u8]) -> Option<ServiceError> {
        let serde_json::Value::Object(map) = serde_json::from_slice(body).ok()? else { return None };
        if !map.contains_key("message") && !map.contains_key("detail") {
            return None;
        }
        let text = |key: &str| match map.get(key)? {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        };
        Some(ServiceError {
            message: text("message"),
            kind: text("type"),
            code: text("code"),
            param: text("param"),
            detail: map.get("detail").filter(|d| !d.is_null()).cloned(),
        })
    }

    /// The message, or the validation detail as text (`body.messages.0.content: Field required`).
    pub fn text(&self) -> Option<String> {
        if let Some(m) = &self.message {
            return Some(m.clone());
        }
        match self.detail.as_ref()? {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|item| {
                        let msg = item.get("msg").and_then(serde_json::Value::as_str).map_or_else(|| item.to_string(), String::from);
                        let loc = item
                            .get("loc")
                            .and_then(serde_json::Value::as_array)
                            .map(|loc| loc.iter().map(|p| p.as_str().map_or_else(|| p.to_string(), String::from)).collect::<Vec<_>>().join("."));
                        match loc {
                            Some(loc) if !loc.is_empty() => format!("{loc}: {msg}"),
                            _ => msg,
                        }
                    })
                    .collect();
                Some(parts.join("; "))
            }
            other => Some(other.to_string()),
        }
    }
}

/// A successful response body that does not match its declared type.
#[derive(Debug)]
pub struct DecodeError {
    pub operation: &'static str,
    pub status: StatusCode,
    /// The JSON path where decoding failed (`choices[0].message.content`).
    pub path: String,
    pub message: String,
    pub body: Bytes,
}

impl Error {
    /// The HTTP status, for API errors.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(e) | Error::UnexpectedStatus(e) => Some(e.status),
            Error::Decode(e) => Some(e.status),
            _ => None,
        }
    }

    /// The API error, for non-success responses.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) | Error::UnexpectedStatus(e) => Some(e),
            _ => None,
        }
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }

    /// What the service said went wrong, for API errors (its `message`, or the validation
    /// `detail` as text).
    pub fn message(&self) -> Option<String> {
        self.api_error().and_then(ApiError::message)
    }

    /// The request id of an API error's response, to quote to support.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(ApiError::request_id)
    }

    /// The method (`chat.complete`) or helper (`chat.parse`) the error comes from.
    pub fn operation(&self) -> Option<&'static str> {
        Some(match self {
            Error::Api(e) | Error::UnexpectedStatus(e) => e.operation,
            Error::Decode(e) => e.operation,
            Error::Timeout { operation, .. }
            | Error::Connection { operation, .. }
            | Error::Request { operation, .. }
            | Error::Body { operation, .. }
            | Error::Stream { operation, .. }
            | Error::Io { operation, .. }
            | Error::TooLarge { operation, .. }
            | Error::InvalidParameter { operation, .. }
            | Error::MissingModel { operation, .. }
            | Error::Token { operation, .. }
            | Error::Pagination { operation, .. }
            | Error::Parse { operation, .. }
            | Error::Realtime { operation, .. }
            | Error::Run { operation, .. }
            | Error::Mcp { operation, .. }
            | Error::McpAuthorization { operation, .. }
            | Error::JobFailed { operation, .. }
            | Error::JobStillRunning { operation, .. } => operation,
            Error::Config(_) | Error::MissingSetting { .. } => return None,
        })
    }
}

fn body_preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.chars().count() > 500 {
        let cut: String = text.chars().take(500).collect();
        format!("{cut}…")
    } else {
        text.to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(e) => match e.message() {
                Some(m) => write!(f, "{}: the API returned {}: {m}", e.operation, e.status),
                None => write!(f, "{}: the API returned {}: {}", e.operation, e.status, body_preview(&e.body)),
            },
            Error::UnexpectedStatus(e) => {
                write!(f, "{}: unexpected status {} (not declared in the spec): {}", e.operation, e.status, body_preview(&e.body))
            }
            Error::Decode(e) => {
                write!(f, "{}: the {} response does not match its declared type at `{}`: {}", e.operation, e.status, e.path, e.message)
            }
            Error::Timeout { operation, .. } => write!(f, "{operation}: timed out"),
            Error::Connection { operation, source } => write!(f, "{operation}: connection failed: {}", Causes(source)),
            Error::Request { operation, source } => write!(f, "{operation}: request failed: {}", Causes(source)),
            Error::Body { operation, message } => write!(f, "{operation}: cannot prepare the request body: {message}"),
            Error::Stream { operation, message, .. } => write!(f, "{operation}: event stream: {message}"),
            Error::Config(m) => write!(f, "client configuration: {m}"),
            Error::Io { operation, source } => write!(f, "{operation}: {source}"),
            Error::TooLarge { operation, what, limit } => write!(f, "{operation}: the {what} is larger than the limit of {limit} bytes"),
            Error::InvalidParameter { operation, name, message } => write!(f, "{operation}: parameter `{name}`: {message}"),
            Error::MissingSetting { provider, setting, hint } => write!(f, "{provider} client: no `{setting}`: {hint}"),
            Error::MissingModel { operation, provider } => {
                write!(f, "{operation}: the {provider} provider needs the request's `model` to route the call, and it has none")
            }
            Error::Token { operation, provider, source } => write!(f, "{operation}: no valid {provider} access token: {source}"),
            Error::Pagination { operation, message } => write!(f, "{operation}: pagination stopped: {message}"),
            Error::Realtime { operation, message } | Error::Run { operation, message } => write!(f, "{operation}: {message}"),
            Error::JobFailed { operation, id, status } => write!(f, "{operation}: `{id}` ended with status {status}"),
            Error::JobStillRunning { operation, id, attempts } => {
                write!(f, "{operation}: `{id}` is still running after {attempts} polls")
            }
            Error::Mcp { operation, server, message } => write!(f, "{operation}: MCP server `{server}`: {message}"),
            Error::McpAuthorization { operation, server, .. } => {
                write!(f, "{operation}: MCP server `{server}` needs authorization (401): authorize with OAuth first (mcp::McpOAuth)")
            }
            Error::Parse { operation, choice, path, message, .. } if path.is_empty() => {
                write!(f, "{operation}: choice {choice}: the content does not decode: {message}")
            }
            Error::Parse { operation, choice, path, message, .. } => {
                write!(f, "{operation}: choice {choice}: the content does not decode at `{path}`: {message}")
            }
        }
    }
}

/// An error and its causes, `: `-separated, each said once (reqwest's own message is generic:
/// "error sending request for url (…)"; the cause says what happened).
struct Causes<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for Causes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut last = self.0.to_string();
        let mut source = self.0.source();
        while let Some(s) = source {
            let text = s.to_string();
            if !last.contains(&text) {
                write!(f, ": {text}")?;
            }
            last = text;
            source = s.source();
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Timeout { source: Some(source), .. } | Error::Connection { source, .. } | Error::Request { source, .. } => Some(source),
            Error::Io { source, .. } => Some(source),
            Error::Token { source, .. } => Some(&**source),
            _ => None,
        }
    }
}

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
