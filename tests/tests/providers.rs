//! The Azure AI and Google Cloud Vertex AI clients against loopback servers: what each call puts
//! on the wire (method, path, query, headers, body), the typed answers and events, the token
//! cache, the typed errors, and retries and timeouts as on the main client.

use futures::StreamExt;
use mistral_sdk::models::{ChatCompletionRequest, FIMCompletionRequest, Message, OCRRequest, UserMessage};
use mistral_sdk::{azure, gcp, Error, RetryPolicy};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const COMPLETION: &str = r#"{"id":"c1","object":"chat.completion","model":"m","created":1,"choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
const OCR: &str =
    r#"{"pages":[{"index":0,"markdown":"Title","images":[],"dimensions":null}],"model":"mistral-ocr-latest","usage_info":{"pages_processed":1}}"#;
const STREAM: &str = concat!(
    "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Bon\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"jour\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: [DONE]\n\n",
);

fn chat(model: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new(model, vec![Message::from(UserMessage::new("Hello"))])
}

fn fim(model: &str) -> FIMCompletionRequest {
    FIMCompletionRequest::new(model, "def add(a, b):")
}

fn ocr() -> OCRRequest {
    serde_json::from_value(json!({"model": "mistral-ocr-latest", "document": {"type": "document_url", "document_url": "https://example.com/a.pdf"}}))
        .unwrap()
}

fn sse() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(STREAM, "text/event-stream")
}

fn json_body(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(text, "application/json")
}

/// The one request the server received.
async fn only_request(server: &MockServer) -> Request {
    let mut all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 1, "{all:?}");
    all.remove(0)
}

fn header<'r>(r: &'r Request, name: &str) -> &'r str {
    r.headers.get(name).unwrap_or_else(|| panic!("no {name} header")).to_str().unwrap()
}

fn body_of(r: &Request) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

async fn stream_text(mut stream: mistral_sdk::EventStream<mistral_sdk::Event<mistral_sdk::models::CompletionChunk>>) -> String {
    let mut text = String::new();
    let mut events = 0;
    while let Some(event) = stream.next().await {
        let event = event.unwrap();
        events += 1;
        for choice in &event.data.choices {
            if let mistral_sdk::Nullable::Value(mistral_sdk::models::MessageContent::String(s)) = &choice.delta.content {
                text.push_str(s);
            }
        }
    }
    assert_eq!(events, 2, "two events, then the stream ends at [DONE]");
    text
}

fn azure_client(server: &MockServer) -> azure::Client {
    azure::Client::builder().endpoint(server.uri()).api_key("az-key").build().unwrap()
}

#[tokio::test]
async fn azure_chat_complete_on_the_wire() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/models/chat/completions")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let answer = azure_client(&server).chat().complete(chat("azureai")).await.unwrap();
    assert_eq!(answer.id, "c1");
    let r = only_request(&server).await;
    assert_eq!(r.method.as_str(), "POST");
    // The resource root, as the official SDK takes it: Azure AI Foundry's path for chat.
    assert_eq!(r.url.path(), "/models/chat/completions");
    assert_eq!(r.url.query(), Some("api-version=2024-05-01-preview"));
    assert_eq!(header(&r, "authorization"), "Bearer az-key");
    assert_eq!(header(&r, "accept"), "application/json");
    assert_eq!(header(&r, "content-type"), "application/json");
    assert_eq!(body_of(&r), json!({"model": "azureai", "messages": [{"role": "user", "content": "Hello"}], "stream": false}));
}

#[tokio::test]
async fn azure_chat_stream_on_the_wire() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/models/chat/completions")).respond_with(sse()).mount(&server).await;
    let stream = azure_client(&server).chat().stream(chat("azureai")).await.unwrap();
    assert_eq!(stream_text(stream).await, "Bonjour");
    let r = only_request(&server).await;
    assert_eq!(r.url.query(), Some("api-version=2024-05-01-preview"));
    assert_eq!(header(&r, "authorization"), "Bearer az-key");
    assert_eq!(header(&r, "accept"), "text/event-stream");
    assert_eq!(body_of(&r)["stream"], json!(true));
}

#[tokio::test]
async fn azure_ocr_on_the_wire_with_an_endpoint_path_and_api_version() {
    // The model inference endpoint as the portal shows it (`…/models`): OCR still goes to
    // Foundry's own path under the resource root, chat under `/models`.
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/providers/mistral/azure/ocr")).respond_with(json_body(OCR)).mount(&server).await;
    Mock::given(method("POST")).and(path("/models/chat/completions")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let client = azure::Client::builder().endpoint(format!("{}/models/", server.uri())).api_key("k").api_version("2025-01-01").build().unwrap();
    client.chat().complete(chat("m")).await.unwrap();
    server.reset().await;
    Mock::given(method("POST")).and(path("/providers/mistral/azure/ocr")).respond_with(json_body(OCR)).mount(&server).await;
    let answer = client.ocr().process(ocr()).await.unwrap();
    assert_eq!(answer.pages.len(), 1);
    let r = only_request(&server).await;
    assert_eq!(r.url.path(), "/providers/mistral/azure/ocr");
    assert_eq!(r.url.query(), Some("api-version=2025-01-01"));
    assert_eq!(body_of(&r)["document"]["document_url"], json!("https://example.com/a.pdf"));
}

/// A serverless deployment (`*.models.ai.azure.com`) takes the spec's paths without `/v1`;
/// the form is read from the host, and `routes` overrides it (a gateway on loopback here).
#[tokio::test]
async fn azure_serverless_endpoints_take_the_spec_paths() {
    assert_eq!(azure::Routes::of("https://mistral-large.eastus2.models.ai.azure.com"), azure::Routes::Serverless);
    assert_eq!(azure::Routes::of("https://X.EASTUS.MODELS.AI.AZURE.COM:443/"), azure::Routes::Serverless);
    assert_eq!(azure::Routes::of("https://res.services.ai.azure.com"), azure::Routes::Foundry);
    assert_eq!(azure::Routes::of("https://res.services.ai.azure.com/models"), azure::Routes::Foundry);
    assert_eq!(azure::Routes::of("http://127.0.0.1:8080"), azure::Routes::Foundry);

    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/chat/completions")).respond_with(json_body(COMPLETION)).mount(&server).await;
    Mock::given(method("POST")).and(path("/ocr")).respond_with(json_body(OCR)).mount(&server).await;
    let client = azure::Client::builder().endpoint(server.uri()).routes(azure::Routes::Serverless).api_key("k").build().unwrap();
    client.chat().complete(chat("m")).await.unwrap();
    client.ocr().process(ocr()).await.unwrap();
    let paths: Vec<String> = server.received_requests().await.unwrap().iter().map(|r| r.url.path().to_string()).collect();
    assert_eq!(paths, ["/chat/completions", "/ocr"]);
}

#[test]
fn azure_without_endpoint_or_key_is_a_typed_error() {
    match azure::Client::builder().api_key("k").build() {
        Err(Error::MissingSetting { provider: "azure", setting: "endpoint", hint }) => assert!(hint.contains("AZURE_ENDPOINT"), "{hint}"),
        other => panic!("{other:?}"),
    }
    match azure::Client::builder().endpoint("https://x.models.ai.azure.com").build() {
        Err(Error::MissingSetting { setting: "api_key", .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(matches!(azure::Client::builder().endpoint("not a url").api_key("k").build(), Err(Error::Config(_))));
}

#[tokio::test]
async fn azure_retries_and_times_out_as_the_main_client() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let fast = RetryPolicy { initial_backoff: Duration::from_millis(1), max_backoff: Duration::from_millis(5), ..RetryPolicy::default() };
    let client = azure::Client::builder().endpoint(server.uri()).api_key("k").retry_policy(fast).build().unwrap();
    client.chat().complete(chat("m")).await.unwrap();
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|r| r.url.query() == Some("api-version=2024-05-01-preview")), "every attempt is routed");

    let slow = MockServer::start().await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION).set_delay(Duration::from_secs(5))).mount(&slow).await;
    let client = azure::Client::builder().endpoint(slow.uri()).api_key("k").timeout(Duration::from_millis(200)).build().unwrap();
    let err = client.chat().complete(chat("m")).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

/// A token provider that counts its calls, answers after a pause (so concurrent callers
/// overlap) with `tok-<n>`, valid for `valid`, or fails while `fail` is set.
#[derive(Clone)]
struct Counting {
    calls: Arc<AtomicUsize>,
    valid: Duration,
    fail: Arc<std::sync::atomic::AtomicBool>,
    project: Option<&'static str>,
}

impl Counting {
    fn new(valid: Duration) -> Self {
        Counting { calls: Arc::default(), valid, fail: Arc::default(), project: None }
    }
}

impl gcp::TokenProvider for Counting {
    fn fetch(&self) -> gcp::TokenFuture<'_, gcp::AccessToken> {
        Box::pin(async move {
            let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
            tokio::time::sleep(Duration::from_millis(50)).await;
            if self.fail.load(Ordering::SeqCst) {
                return Err("the token endpoint refused: invalid_grant".into());
            }
            Ok(gcp::AccessToken::new(format!("tok-{n}"), self.valid))
        })
    }

    fn project_id(&self) -> gcp::TokenFuture<'_, Option<String>> {
        Box::pin(std::future::ready(Ok(self.project.map(str::to_string))))
    }
}

fn gcp_client(server: &MockServer) -> gcp::Client {
    gcp::Client::builder().project_id("my-project").region("us-central1").server(server.uri()).access_token("ya29.fixed").build().unwrap()
}

const GCP_PATH: &str = "/v1/projects/my-project/locations/us-central1/publishers/mistralai/models";

#[tokio::test]
async fn gcp_chat_and_fim_complete_and_stream_on_the_wire() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{GCP_PATH}/mistral-small-2503:rawPredict")))
        .respond_with(json_body(COMPLETION))
        .mount(&server)
        .await;
    Mock::given(method("POST")).and(path(format!("{GCP_PATH}/mistral-small-2503:streamRawPredict"))).respond_with(sse()).mount(&server).await;
    let fim_answer = r#"{"id":"f1","object":"chat.completion","model":"codestral-2501","created":1,"choices":[{"index":0,"message":{"role":"assistant","content":"return a + b"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#;
    Mock::given(method("POST")).and(path(format!("{GCP_PATH}/codestral-2501:rawPredict"))).respond_with(json_body(fim_answer)).mount(&server).await;
    Mock::given(method("POST")).and(path(format!("{GCP_PATH}/codestral-2501:streamRawPredict"))).respond_with(sse()).mount(&server).await;
    let client = gcp_client(&server);

    let answer = client.chat().complete(chat("mistral-small-2503")).await.unwrap();
    assert_eq!(answer.id, "c1");
    assert_eq!(stream_text(client.chat().stream(chat("mistral-small-2503")).await.unwrap()).await, "Bonjour");
    let answer = client.fim().complete(fim("codestral-2501")).await.unwrap();
    assert_eq!(answer.id, "f1");
    assert_eq!(stream_text(client.fim().stream(fim("codestral-2501")).await.unwrap()).await, "Bonjour");

    let all = server.received_requests().await.unwrap();
    let seen: Vec<(&str, &str, bool, &str)> = all
        .iter()
        .map(|r| (r.url.path().rsplit('/').next().unwrap(), header(r, "accept"), body_of(r)["stream"].as_bool().unwrap(), header(r, "authorization")))
        .collect();
    assert_eq!(
        seen,
        [
            ("mistral-small-2503:rawPredict", "application/json", false, "Bearer ya29.fixed"),
            ("mistral-small-2503:streamRawPredict", "text/event-stream", true, "Bearer ya29.fixed"),
            ("codestral-2501:rawPredict", "application/json", false, "Bearer ya29.fixed"),
            ("codestral-2501:streamRawPredict", "text/event-stream", true, "Bearer ya29.fixed"),
        ]
    );
    assert!(all.iter().all(|r| r.method.as_str() == "POST" && r.url.query().is_none()));
    assert_eq!(body_of(&all[2]), json!({"model": "codestral-2501", "prompt": "def add(a, b):", "stream": false}));
    assert_eq!(client.fim().complete(fim("codestral-2501")).await.unwrap().id, "f1");
}

#[test]
fn gcp_builds_the_google_url_of_the_region() {
    let client = gcp::Client::builder().project_id("p").access_token("t").build().unwrap();
    assert_eq!(client.base_url(), "https://europe-west4-aiplatform.googleapis.com");
    let client = gcp::Client::builder().project_id("p").region("us-east5").access_token("t").build().unwrap();
    assert_eq!(client.base_url(), "https://us-east5-aiplatform.googleapis.com");
}

#[tokio::test]
async fn gcp_without_model_is_a_typed_error_and_sends_nothing() {
    let server = MockServer::start().await;
    let err = gcp_client(&server).chat().complete(chat("")).await.unwrap_err();
    assert!(matches!(err, Error::MissingModel { provider: "gcp", .. }), "{err}");
    assert!(err.to_string().contains("`model`"), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn gcp_token_is_fetched_once_for_many_concurrent_calls_and_again_after_expiry() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION)).mount(&server).await;
    // Valid for 3 s and replaced 2 s before that: fresh for the first second.
    let tokens = Counting::new(Duration::from_secs(3));
    let client = gcp::Client::builder()
        .project_id("my-project")
        .region("us-central1")
        .server(server.uri())
        .token_provider(tokens.clone())
        .token_refresh_margin(Duration::from_secs(2))
        .build()
        .unwrap();
    let calls = (0..20).map(|_| client.chat().complete(chat("m")).send());
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(tokens.calls.load(Ordering::SeqCst), 1, "one fetch for 20 concurrent calls");
    let all = server.received_requests().await.unwrap();
    assert!(all.iter().all(|r| header(r, "authorization") == "Bearer tok-1"));

    // Within the margin of its expiry the token is replaced, once.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let calls = (0..5).map(|_| client.chat().complete(chat("m")).send());
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(tokens.calls.load(Ordering::SeqCst), 2);
    let all = server.received_requests().await.unwrap();
    assert!(all[20..].iter().all(|r| header(r, "authorization") == "Bearer tok-2"));
}

#[tokio::test]
async fn gcp_token_failure_is_a_typed_error_and_the_next_call_tries_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let tokens = Counting::new(Duration::from_millis(300));
    tokens.fail.store(true, Ordering::SeqCst);
    let client = gcp::Client::builder()
        .project_id("p")
        .server(server.uri())
        .token_provider(tokens.clone())
        .token_refresh_margin(Duration::ZERO)
        .build()
        .unwrap();
    let err = client.chat().complete(chat("m")).await.unwrap_err();
    match &err {
        Error::Token { provider: "gcp", source, .. } => assert!(source.to_string().contains("invalid_grant"), "{source}"),
        other => panic!("{other:?}"),
    }
    assert!(std::error::Error::source(&err).is_some());
    assert!(server.received_requests().await.unwrap().is_empty(), "nothing is sent without a token");
    // An expired token is never reused: once it expires and cannot be refreshed, calls fail.
    tokens.fail.store(false, Ordering::SeqCst);
    client.chat().complete(chat("m")).await.unwrap();
    tokens.fail.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(matches!(client.chat().complete(chat("m")).await, Err(Error::Token { .. })));
    assert_eq!(tokens.calls.load(Ordering::SeqCst), 3);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Hands out tokens valid for the given durations in turn (the last one again after).
struct Lifetimes {
    valid: Vec<Duration>,
    calls: Arc<AtomicUsize>,
}

impl gcp::TokenProvider for Lifetimes {
    fn fetch(&self) -> gcp::TokenFuture<'_, gcp::AccessToken> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let valid = self.valid[n.min(self.valid.len() - 1)];
        Box::pin(std::future::ready(Ok(gcp::AccessToken::new(format!("tok-{}", n + 1), valid))))
    }
}

/// Issue 18: a token the provider returns already expired, or inside the refresh margin, is
/// never sent: the provider is asked once more, then the call fails with `Error::Token`.
#[tokio::test]
async fn gcp_a_token_returned_stale_is_fetched_again_then_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let build = |valid: Vec<Duration>| {
        let calls = Arc::new(AtomicUsize::new(0));
        let tokens = Lifetimes { valid, calls: calls.clone() };
        let client = gcp::Client::builder()
            .project_id("p")
            .server(server.uri())
            .token_provider(tokens)
            .token_refresh_margin(Duration::from_secs(60))
            .build()
            .unwrap();
        (client, calls)
    };
    // Expired, then inside the margin, then good: the first call fetches twice and fails,
    // the next fetches the good one.
    let (client, calls) = build(vec![Duration::ZERO, Duration::from_secs(30), Duration::from_secs(3600)]);
    match client.chat().complete(chat("m")).await {
        Err(Error::Token { provider: "gcp", source, .. }) => assert!(source.to_string().contains("refresh margin"), "{source}"),
        other => panic!("expected Error::Token, got {other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(server.received_requests().await.unwrap().is_empty(), "a stale token is never sent");
    client.chat().complete(chat("m")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let sent = server.received_requests().await.unwrap();
    assert_eq!(header(&sent[0], "authorization"), "Bearer tok-3");

    // Expired once, then good: one call, two fetches, the good token on the wire.
    server.reset().await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let (client, calls) = build(vec![Duration::ZERO, Duration::from_secs(3600)]);
    client.chat().complete(chat("m")).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(header(&server.received_requests().await.unwrap()[0], "authorization"), "Bearer tok-2");
}

/// Issue 18: a versioned model id goes on the wire with a literal `@`, as the official SDK
/// sends it; other reserved characters are still escaped.
#[tokio::test]
async fn gcp_a_versioned_model_keeps_its_at_sign() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let client = gcp_client(&server);
    client.chat().complete(chat("mistral-large@2407")).await.unwrap();
    client.chat().complete(chat("a/b c")).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent[0].url.path(), format!("{GCP_PATH}/mistral-large@2407:rawPredict"));
    assert_eq!(sent[1].url.path(), format!("{GCP_PATH}/a%2Fb%20c:rawPredict"));
}

#[tokio::test]
async fn gcp_project_comes_from_the_credentials_when_not_given() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(json_body(COMPLETION)).mount(&server).await;
    let mut tokens = Counting::new(Duration::from_secs(3600));
    tokens.project = Some("from-credentials");
    let client = gcp::Client::builder().server(server.uri()).token_provider(tokens).build().unwrap();
    client.chat().complete(chat("m")).await.unwrap();
    let r = only_request(&server).await;
    assert_eq!(r.url.path(), "/v1/projects/from-credentials/locations/europe-west4/publishers/mistralai/models/m:rawPredict");

    let client = gcp::Client::builder().server(server.uri()).token_provider(Counting::new(Duration::from_secs(3600))).build().unwrap();
    match client.chat().complete(chat("m")).await {
        Err(Error::MissingSetting { provider: "gcp", setting: "project_id", .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn gcp_retries_and_times_out_as_the_main_client() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(429)).up_to_n_times(2).mount(&server).await;
    Mock::given(method("POST")).respond_with(sse()).mount(&server).await;
    let fast = RetryPolicy { initial_backoff: Duration::from_millis(1), max_backoff: Duration::from_millis(5), ..RetryPolicy::default() };
    let client = gcp::Client::builder().project_id("p").server(server.uri()).access_token("t").retry_policy(fast).build().unwrap();
    assert_eq!(stream_text(client.chat().stream(chat("m")).await.unwrap()).await, "Bonjour");
    let all = server.received_requests().await.unwrap();
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|r| r.url.path().ends_with("/models/m:streamRawPredict")));

    let slow = MockServer::start().await;
    Mock::given(method("POST")).respond_with(sse().set_delay(Duration::from_secs(5))).mount(&slow).await;
    let client = gcp::Client::builder().project_id("p").server(slow.uri()).access_token("t").timeout(Duration::from_millis(200)).build().unwrap();
    assert!(client.chat().stream(chat("m")).await.unwrap_err().is_timeout());
}

/// Application Default Credentials from a service-account key file whose `token_uri` is a
/// loopback token endpoint: the JWT grant is exchanged there, and the project comes from the file.
#[tokio::test]
async fn gcp_service_account_credentials_are_exchanged_at_the_token_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(json_body(r#"{"access_token":"ya29.from-service-account","expires_in":3600,"token_type":"Bearer"}"#))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/projects/sa-project/locations/europe-west4/publishers/mistralai/models/m:rawPredict"))
        .respond_with(json_body(COMPLETION))
        .mount(&server)
        .await;
    let dir = std::env::temp_dir().join(format!("mistral-gcp-sa-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("key.json");
    let key = json!({
        "type": "service_account",
        "project_id": "sa-project",
        "private_key_id": "test",
        "private_key": include_str!("fixtures/test-service-account-key.pem"),
        "client_email": "sdk-test@sa-project.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": format!("{}/token", server.uri()),
    });
    std::fs::write(&key_file, key.to_string()).unwrap();
    let credentials = gcp::ApplicationDefaultCredentials::from_service_account_file(&key_file).unwrap();
    let client = gcp::Client::builder().server(server.uri()).token_provider(credentials).build().unwrap();
    client.chat().complete(chat("m")).await.unwrap();
    client.chat().complete(chat("m")).await.unwrap();
    let all = server.received_requests().await.unwrap();
    let token_requests: Vec<&Request> = all.iter().filter(|r| r.url.path() == "/token").collect();
    assert_eq!(token_requests.len(), 1, "the token is cached");
    let grant = String::from_utf8_lossy(&token_requests[0].body);
    assert!(grant.contains("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer") && grant.contains("assertion="), "{grant}");
    let calls: Vec<&Request> = all.iter().filter(|r| r.url.path() != "/token").collect();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|r| header(r, "authorization") == "Bearer ya29.from-service-account"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn gcp_debug_output_hides_the_token() {
    let client = gcp::Client::builder().project_id("p").access_token("ya29.secret").build().unwrap();
    let dbg = format!("{client:?}");
    assert!(!dbg.contains("ya29.secret") && dbg.contains("GcpProvider"), "{dbg}");
    let client = azure::Client::builder().endpoint("https://x.models.ai.azure.com").api_key("az-secret").build().unwrap();
    let dbg = format!("{client:?}");
    assert!(!dbg.contains("az-secret") && dbg.contains("AzureProvider"), "{dbg}");
}

/// A token provider that never answers.
struct Silent;

impl gcp::TokenProvider for Silent {
    fn fetch(&self) -> gcp::TokenFuture<'_, gcp::AccessToken> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test]
async fn gcp_token_endpoint_that_never_answers_is_a_timeout_not_a_hang() {
    let server = MockServer::start().await;
    let client =
        gcp::Client::builder().project_id("p").server(server.uri()).token_provider(Silent).timeout(Duration::from_millis(200)).build().unwrap();
    let err = tokio::time::timeout(Duration::from_secs(5), client.chat().complete(chat("m"))).await.expect("the call ends").unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
