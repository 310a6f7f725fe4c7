//! The one error type of the SDK.

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use std::fmt;

/// Everything that can go wrong calling the API. `Display` names the operation.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with a status the operation declares as an error (for example 422 with
    /// an `HTTPValidationError`); the typed body is in [`ApiError::error`].
    Api(Box<ApiError>),
    /// The API answered with a status the spec does not declare for this operation.
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
            Error::Api(e) => write!(f, "{}: the API returned {}: {}", e.operation, e.status, body_preview(&e.body)),
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
