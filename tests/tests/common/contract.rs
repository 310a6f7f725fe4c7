//! Support for the generated contract tests (`tests/contract.rs`).

use futures::StreamExt;

use mistral_sdk::{Client, RetryPolicy};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use wiremock::matchers::{body_json, body_string_contains, header, header_regex, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub type Call = for<'c> fn(&'c Client) -> Pin<Box<dyn Future<Output = mistral_sdk::Result<Value>> + Send + 'c>>;

/// An event of a stream as the streaming tests see it: the SSE event name, the typed data
/// re-encoded as JSON, and the typed data's `Debug` text (to tell a known variant from the
/// `Unknown` fallback).
#[derive(Debug, Clone, PartialEq)]
pub struct SeenEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
    pub debug: String,
}

pub type Events = Pin<Box<dyn futures::Stream<Item = mistral_sdk::Result<SeenEvent>> + Send>>;

/// Calls a streaming operation and gives its stream of events.
pub type StreamCall = for<'c> fn(&'c Client) -> Pin<Box<dyn Future<Output = mistral_sdk::Result<Events>> + Send + 'c>>;

/// The idle timeout [`events`] gives its streams, in milliseconds (0: none). Each test binary is
/// its own process under nextest, so a test may set it.
pub static IDLE_TIMEOUT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub fn events<T>(s: mistral_sdk::EventStream<mistral_sdk::Event<T>>) -> Events
where
    T: serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let idle = IDLE_TIMEOUT_MS.load(std::sync::atomic::Ordering::SeqCst);
    let s = if idle > 0 { s.idle_timeout(std::time::Duration::from_millis(idle)) } else { s };
    Box::pin(s.map(|r| r.map(|e| SeenEvent { event: e.event, id: e.id, data: to_json(&e.data), debug: format!("{:?}", e.data) })))
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Json,
    Empty,
    Binary,
    Sse,
}

/// One operation's contract: the exact request expected and the response served
/// ([`CaseData`]), and the SDK call that should send it.
pub struct Case {
    pub data: CaseData,
    /// The call and its decoded answer (operations that do not stream).
    pub call: Option<Call>,
    /// The call and its whole stream (streaming operations).
    pub stream: Option<StreamCall>,
}

impl std::ops::Deref for Case {
    type Target = CaseData;
    fn deref(&self) -> &CaseData {
        &self.data
    }
}

/// `CaseData { field: value, … }`, written as a macro call in the generated cases so the
/// generator's formatter need not parse 288 struct literals.
#[allow(unused_macros)] // test files that share `common` without the contract cases
macro_rules! case_data {
    ($($field:ident: $value:expr),* $(,)?) => {
        CaseData { $($field: $value),* }
    };
}
#[allow(unused_imports)]
pub(crate) use case_data;

/// The request a case expects and the response it serves.
pub struct CaseData {
    pub op: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub query: &'static [(&'static str, &'static str)],
    pub headers: &'static [(&'static str, &'static str)],
    pub auth: Option<(&'static str, &'static str)>,
    pub body: Option<&'static str>,
    pub multipart_fields: Option<&'static [&'static str]>,
    pub status: u16,
    pub response: Option<&'static str>,
    pub kind: Kind,
}

/// A value of `T` from JSON text.
pub fn j<T: serde::de::DeserializeOwned>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("test value {text}: {e}"))
}

pub fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("encodes")
}

pub async fn binary(r: mistral_sdk::BinaryResponse) -> mistral_sdk::Result<Value> {
    let bytes = r.bytes().await?;
    Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

impl Case {
    /// Makes the call: the decoded answer, or for a stream its one event's data.
    pub async fn run(&self, client: &Client) -> mistral_sdk::Result<Value> {
        match (self.call, self.stream) {
            (Some(call), _) => call(client).await,
            (None, Some(stream)) => {
                let mut s = stream(client).await?;
                let first = s.next().await.expect("one event")?;
                assert!(s.next().await.is_none(), "exactly one event");
                Ok(first.data)
            }
            (None, None) => unreachable!("{}: a case has a call or a stream", self.op),
        }
    }
}

pub async fn run_all(cases: Vec<Case>) {
    let server = MockServer::start().await;
    // Every scheme's key is `test-<scheme name>`, as the generated cases expect.
    let client = mistral_sdk::Scheme::ALL
        .iter()
        .fold(Client::builder(), |b, s| b.key(*s, format!("test-{}", s.name())))
        .server(server.uri())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut failures = Vec::new();
    let total = cases.len();
    for case in cases {
        server.reset().await;
        let mut mock = Mock::given(method(case.method)).and(path(case.path));
        for (k, v) in case.query {
            mock = mock.and(query_param(*k, *v));
        }
        for (k, v) in case.headers {
            mock = mock.and(header(*k, *v));
        }
        if let Some((k, v)) = case.auth {
            mock = mock.and(header(k, v));
        }
        if let Some(b) = case.body {
            mock = mock.and(header("content-type", "application/json")).and(body_json(serde_json::from_str::<Value>(b).unwrap()));
        }
        if let Some(fields) = case.multipart_fields {
            mock = mock.and(header_regex("content-type", "^multipart/form-data; boundary="));
            for f in fields {
                mock = mock.and(body_string_contains(format!("name=\"{f}\"")));
            }
        }
        let template = ResponseTemplate::new(case.status);
        let template = match (case.kind, case.response) {
            (Kind::Json, Some(r)) => template.set_body_raw(r, "application/json"),
            (Kind::Sse, Some(r)) => template.set_body_raw(format!("data: {r}\n\ndata: [DONE]\n\n"), "text/event-stream"),
            (Kind::Binary, Some(r)) => template.set_body_raw(r, "application/octet-stream"),
            _ => template,
        };
        mock.respond_with(template).expect(1).mount(&server).await;
        let result = case.run(&client).await;
        match result {
            Ok(got) => {
                let expected = match (case.kind, case.response) {
                    (Kind::Empty, _) | (_, None) => Value::Null,
                    (Kind::Binary, Some(r)) => Value::String(r.to_string()),
                    (_, Some(r)) => serde_json::from_str(r).unwrap(),
                };
                if !crate::common::json_eq(&got, &expected) {
                    failures.push(format!("{}: decoded {got} but the server sent {expected}", case.op));
                }
            }
            Err(e) => {
                let received = server.received_requests().await.unwrap_or_default();
                let seen: Vec<String> = received
                    .iter()
                    .map(|r| format!("{} {} body={}", r.method, r.url, String::from_utf8_lossy(&r.body).chars().take(300).collect::<String>()))
                    .collect();
                failures.push(format!("{}: {e}\n    received: {seen:?}", case.op));
            }
        }
    }
    println!("{} of {total} operations passed their contract test", total - failures.len());
    assert!(failures.is_empty(), "{} contract failures:\n{}", failures.len(), failures.join("\n"));
}
