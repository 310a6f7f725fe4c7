//! The middleware seam (`mistral_sdk::middleware`) on a loopback server: one observer per call
//! across its retries, async header injection on every attempt, the decoded body or the error
//! at the end, streams observed to their end, a cut and a drop; `capture_response` for a
//! success's request id; the model deprecation warning once per model.

use futures::future::BoxFuture;
use futures::StreamExt;
use mistral_sdk::middleware::{AttemptResult, CallEnd, CallInfo, CallObserver, Middleware};
use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
use mistral_sdk::{Client, Error, ResponseMeta};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What the recording middleware saw, one line per thing.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

struct Recorder {
    log: Log,
    /// Refuse the call before its first attempt.
    refuse: bool,
}

struct Observer {
    log: Log,
    refuse: bool,
    events: usize,
}

impl Middleware for Recorder {
    fn start(&self, call: &CallInfo) -> Box<dyn CallObserver> {
        let body = call.body.as_ref().map(|b| serde_json::from_slice::<Value>(b).unwrap()["model"].clone());
        self.log.push(format!("start {} {} {} model={:?}", call.operation, call.http_method, call.path, body));
        Box::new(Observer { log: self.log.clone(), refuse: self.refuse, events: 0 })
    }
}

impl CallObserver for Observer {
    fn before_attempt<'a>(&'a mut self, attempt: u32, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            // Async work (a token, a signature) before the attempt.
            tokio::task::yield_now().await;
            if self.refuse {
                return Err(Error::Config("refused by the middleware".into()));
            }
            request.headers_mut().insert("x-trace", format!("attempt-{attempt}").parse().unwrap());
            self.log.push(format!("attempt {attempt}"));
            Ok(())
        })
    }

    fn after_attempt(&mut self, attempt: u32, result: AttemptResult<'_>) {
        match result {
            AttemptResult::Response { status, .. } => self.log.push(format!("response {attempt} {}", status.as_u16())),
            AttemptResult::Failed { .. } => self.log.push(format!("failed {attempt}")),
            _ => {}
        }
    }

    fn event(&mut self, _: &mistral_sdk::RawEvent) {
        self.events += 1;
    }

    fn end(self: Box<Self>, end: CallEnd<'_>) {
        let line = match end {
            CallEnd::Response { status, body, .. } => {
                let id = body.map(|b| serde_json::from_slice::<Value>(b).unwrap()["id"].clone());
                format!("end response {} id={:?}", status.as_u16(), id)
            }
            CallEnd::StreamComplete => format!("end stream complete after {} events", self.events),
            CallEnd::StreamDropped => format!("end stream dropped after {} events", self.events),
            CallEnd::Error(e) => format!("end error {}", e.status().map(|s| s.as_u16()).unwrap_or(0)),
            _ => "end other".into(),
        };
        self.log.push(line);
    }
}

fn client(server: &MockServer, log: &Log, refuse: bool) -> Client {
    Client::builder()
        .api_key("k")
        .server(server.uri())
        .retry_policy(mistral_sdk::RetryPolicy { initial_backoff: std::time::Duration::from_millis(1), ..Default::default() })
        .middleware(Recorder { log: log.clone(), refuse })
        .build()
        .unwrap()
}

fn chat() -> ChatCompletionRequest {
    ChatCompletionRequest::new("mistral-small-latest", vec![Message::User(UserMessage::new("hi"))])
}

fn completion() -> Value {
    json!({"id": "cmpl-1", "object": "chat.completion", "model": "mistral-small-latest", "created": 1,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
}

#[tokio::test]
async fn one_observer_follows_a_call_through_its_retries_to_the_decoded_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(header("x-trace", "attempt-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion()).insert_header("x-request-id", "req-42"))
        .mount(&server)
        .await;
    let log = Log::default();
    let meta = ResponseMeta::new();
    let answer = client(&server, &log, false).chat().complete(chat()).capture_response(&meta).await.unwrap();
    assert_eq!(answer.id, "cmpl-1");
    assert_eq!(
        log.lines(),
        [
            "start chat_completion_v1_chat_completions_post POST /v1/chat/completions model=Some(String(\"mistral-small-latest\"))",
            "attempt 1",
            "response 1 503",
            "attempt 2",
            "response 2 200",
            "end response 200 id=Some(String(\"cmpl-1\"))",
        ]
    );
    assert_eq!(meta.request_id().as_deref(), Some("req-42"));
    assert_eq!(meta.status().map(|s| s.as_u16()), Some(200));
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent[0].headers.get("x-trace").unwrap(), "attempt-1", "every attempt carries the middleware's header");
}

#[tokio::test]
async fn an_api_error_ends_the_call_and_a_refusal_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(422).set_body_json(json!({"detail": []}))).mount(&server).await;
    let log = Log::default();
    let meta = ResponseMeta::new();
    let err = client(&server, &log, false).chat().complete(chat()).capture_response(&meta).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(422));
    assert_eq!(log.lines().last().unwrap(), "end error 422");
    assert!(meta.status().is_none(), "only successes are captured");

    let log = Log::default();
    let err = client(&server, &log, true).chat().complete(chat()).await.unwrap_err();
    assert!(err.to_string().contains("refused by the middleware"), "{err}");
    assert_eq!(log.lines().last().unwrap(), "end error 0");
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "the refused call sent nothing");
}

fn sse(chunks: usize, done: bool) -> ResponseTemplate {
    let chunk = json!({"id": "s", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": null}]});
    let mut body: String = (0..chunks).map(|_| format!("data: {chunk}\n\n")).collect();
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

#[tokio::test]
async fn streams_are_observed_to_their_end_their_cut_and_their_drop() {
    for (template, take, expected) in [
        (sse(3, true), usize::MAX, "end stream complete after 3 events"),
        (sse(3, false), usize::MAX, "end error 0"),
        (sse(3, true), 1, "end stream dropped after 1 events"),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(template).mount(&server).await;
        let log = Log::default();
        let mut stream = client(&server, &log, false).chat().stream(chat()).await.unwrap();
        let mut n = 0;
        while n < take {
            match stream.next().await {
                Some(_) => n += 1,
                None => break,
            }
        }
        drop(stream);
        let lines = log.lines();
        assert_eq!(lines.last().unwrap(), expected, "{lines:?}");
        assert_eq!(lines.iter().filter(|l| l.starts_with("end")).count(), 1, "ended once: {lines:?}");
    }
}

#[tokio::test]
async fn a_deprecated_model_is_warned_about_once_per_model() {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let sink = buf.clone();
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::WARN).with_writer(move || sink.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion()).insert_header("x-model-deprecation-timestamp", "2027-01-31"))
        .mount(&server)
        .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let old = |model: &str| ChatCompletionRequest::new(model, vec![Message::User(UserMessage::new("hi"))]);
    for model in ["mistral-old-2401", "mistral-old-2401", "mistral-older-2312"] {
        client.chat().complete(old(model)).await.unwrap();
    }
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.matches("is deprecated").count(), 2, "{text}");
    assert_eq!(text.matches("The model mistral-old-2401 is deprecated and will be removed on 2027-01-31").count(), 1, "{text}");
    assert!(text.contains("mistral-older-2312"), "{text}");
}
