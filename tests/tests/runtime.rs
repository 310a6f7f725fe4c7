//! The client runtime on loopback: retries, timeouts, error decoding, percent-encoding, key
//! redaction, hooks, servers and auth schemes.

mod common;
use common::json_eq;
use mistral_sdk::errors::ErrorBody;
use mistral_sdk::{Client, Error, RetryPolicy};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MODELS: &str = r#"{"object":"list","data":[]}"#;

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_initial_backoff(Duration::from_millis(5))
}

fn client(uri: &str) -> Client {
    Client::builder().api_key("sk-secret-test-key").server(uri).retry_policy(fast_retries()).build().unwrap()
}

#[tokio::test]
async fn retries_a_503_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path("/v1/models")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MODELS, "application/json"))
        .mount(&server)
        .await;
    let list = client(&server.uri()).models().list().await.unwrap();
    assert!(json_eq(&serde_json::to_value(&list).unwrap(), &serde_json::from_str(MODELS).unwrap()));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn gives_up_after_max_attempts_with_the_last_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(502).set_body_string("bad gateway")).mount(&server).await;
    let err = client(&server.uri()).models().list().retry(fast_retries().with_max_attempts(3)).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    // The off switch.
    let err = client(&server.uri()).models().list().retry(RetryPolicy::none()).await.unwrap_err();
    assert!(matches!(err, Error::UnexpectedStatus(_)), "{err:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn honours_retry_after_on_429() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1")).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_raw(MODELS, "application/json")).mount(&server).await;
    let start = Instant::now();
    client(&server.uri()).models().list().await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(950), "waited the server's Retry-After, not the 5 ms backoff: {:?}", start.elapsed());

    // An HTTP date in the past means "now"; a value beyond the policy's `max_retry_after` ends
    // the call at once with the 429 (no sleep past what the policy allows).
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600")).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_raw(MODELS, "application/json")).mount(&server).await;
    let mut policy = fast_retries();
    policy.max_retry_after = Duration::from_millis(20);
    let start = Instant::now();
    let err = client(&server.uri()).models().list().retry(policy).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429), "{err}");
    assert!(start.elapsed() < Duration::from_millis(500));
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn respects_the_total_time_budget() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30")).mount(&server).await;
    let policy = fast_retries().with_total_budget(Duration::from_secs(1));
    let err = client(&server.uri()).models().list().retry(policy).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "a 30 s wait does not fit a 1 s budget");
}

/// A server whose first connection is reset before any response, then answers normally.
async fn flaky_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let seen = connections.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { break };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let _ = sock.read(&mut buf).await;
                if n == 0 {
                    // Reset: SO_LINGER 0 makes the close send RST (it does not block with 0).
                    #[allow(deprecated)]
                    let _ = sock.set_linger(Some(Duration::ZERO));
                    drop(sock);
                    return;
                }
                let body = MODELS;
                let resp =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = sock.write_all(resp.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (format!("http://{addr}"), connections)
}

#[tokio::test]
async fn retries_a_connection_reset() {
    let (uri, connections) = flaky_server().await;
    client(&uri).models().list().await.unwrap();
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_connection_failure_without_retries_is_a_connection_error() {
    let (uri, _) = flaky_server().await;
    let err = client(&uri).models().list().retry(RetryPolicy::none()).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err:?}");
    assert!(err.to_string().starts_with("models.list: connection failed"), "{err}");
    // The cause is in the message, not only reqwest's generic line.
    assert!(err.to_string().contains("error sending request") && err.to_string().matches(": ").count() >= 3, "{err}");
}

#[tokio::test]
async fn per_call_and_client_timeouts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MODELS, "application/json").set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let err = client(&server.uri()).models().list().timeout(Duration::from_millis(100)).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(err.to_string(), "models.list: timed out");
    assert_eq!(err.operation(), Some("models.list"));
    let c = Client::builder().api_key("k").server(server.uri()).timeout(Duration::from_millis(100)).build().unwrap();
    assert!(c.models().list().await.unwrap_err().is_timeout());
}

#[tokio::test]
async fn decodes_a_422_validation_error() {
    let server = MockServer::start().await;
    let body = json!({"detail": [{"loc": ["body", "model"], "msg": "Field required", "type": "missing"}]});
    Mock::given(method("POST")).and(path("/v1/chat/completions")).respond_with(ResponseTemplate::new(422).set_body_json(&body)).mount(&server).await;
    let req = mistral_sdk::models::ChatCompletionRequest::new("m", vec![]);
    let err = client(&server.uri()).chat().complete(req).await.unwrap_err();
    let Error::Api(api) = &err else { panic!("{err:?}") };
    assert_eq!(api.status.as_u16(), 422);
    let Some(ErrorBody::HTTPValidationError(v)) = &api.error else { panic!("{:?}", api.error) };
    let detail = v.detail.as_ref().unwrap();
    assert_eq!(detail[0].msg, "Field required");
    assert!(json_eq(&serde_json::from_slice(&api.body).unwrap(), &body), "raw body kept");
    assert_eq!(err.to_string(), "chat.complete: the API returned 422 Unprocessable Entity: body.model: Field required");
    assert_eq!(err.message().as_deref(), Some("body.model: Field required"));
}

#[tokio::test]
async fn decodes_a_404_observability_error_and_flags_undeclared_statuses() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/observability/judges/j1"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"detail": {"message": "no such judge", "error_code": "NOT_FOUND"}})))
        .mount(&server)
        .await;
    Mock::given(method("GET")).and(path("/v1/models")).respond_with(ResponseTemplate::new(418).set_body_string("teapot")).mount(&server).await;
    let c = client(&server.uri());
    let err = c.beta().observability().judges().fetch("j1").await.unwrap_err();
    let api = err.api_error().unwrap();
    assert_eq!(api.status.as_u16(), 404);
    assert!(matches!(api.error, Some(ErrorBody::ObservabilityError(_))) || api.error_decode.is_some(), "{api:?}");
    let err = c.models().list().await.unwrap_err();
    assert!(matches!(&err, Error::UnexpectedStatus(e) if e.body.as_ref() == b"teapot"), "{err:?}");
}

/// Issue 19: 401, 403, 404 and 429 are not declared by the spec, but the service answers them
/// with its one error shape: they are `Error::Api` with the message, the type, the code and the
/// request id readable, and the message names the method.
#[tokio::test]
async fn undeclared_statuses_with_the_service_error_shape_are_api_errors() {
    for (status, code) in [(401u16, json!("1000")), (403, json!(3000)), (404, json!("not_found")), (429, json!(null))] {
        let server = MockServer::start().await;
        let body =
            json!({"object": "error", "message": format!("status {status} says no"), "type": "invalid_request_error", "param": null, "code": code});
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(status).set_body_json(&body).insert_header("x-request-id", "req-42"))
            .mount(&server)
            .await;
        let req = mistral_sdk::models::ChatCompletionRequest::new("m", vec![]);
        let err = client(&server.uri()).chat().complete(req).retry(RetryPolicy::none()).await.unwrap_err();
        let Error::Api(api) = &err else { panic!("{status}: {err:?}") };
        assert_eq!(api.status.as_u16(), status);
        assert!(api.error.is_none(), "no typed body is declared for {status}");
        let service = api.service.as_ref().unwrap();
        assert_eq!(service.kind.as_deref(), Some("invalid_request_error"));
        assert_eq!(service.code, code.as_str().map(String::from).or_else(|| code.as_u64().map(|n| n.to_string())));
        assert_eq!(err.message(), Some(format!("status {status} says no")));
        assert_eq!(err.request_id(), Some("req-42"));
        assert_eq!(err.operation(), Some("chat.complete"));
        assert!(err.to_string().starts_with(&format!("chat.complete: the API returned {status}")), "{err}");
        assert!(err.to_string().ends_with(&format!("status {status} says no")), "{err}");
    }
}

#[tokio::test]
async fn a_body_that_does_not_match_names_the_json_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(r#"{"data":[], "object": 5}"#, "application/json"))
        .mount(&server)
        .await;
    let err = client(&server.uri()).models().list().await.unwrap_err();
    let Error::Decode(d) = &err else { panic!("{err:?}") };
    assert_eq!(d.path, "object");
    assert!(std::str::from_utf8(&d.body).unwrap().contains("\"object\": 5"), "body kept");
    assert!(err.to_string().contains("at `object`"), "{err}");
}

#[tokio::test]
async fn path_parameters_are_percent_encoded_per_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models/a%2Fb%3Fc%23d%20e%C3%BC%25"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "x", "object": "model", "type": "base", "capabilities": {}})))
        .mount(&server)
        .await;
    let r = client(&server.uri()).models().retrieve("a/b?c#d eü%").await;
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].url.path(), "/v1/models/a%2Fb%3Fc%23d%20e%C3%BC%25");
    assert!(requests[0].url.query().is_none(), "`?` stayed in the path");
    assert!(r.is_ok() || matches!(r, Err(Error::Decode(_))), "{r:?}");
}

#[tokio::test]
async fn query_arrays_repeat_the_key_and_names_map_to_rust() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let _ =
        client(&server.uri()).beta().prompts().list().fields(vec!["a".to_string(), "b".to_string()]).page_size(5).retry(RetryPolicy::none()).await;
    let url = &server.received_requests().await.unwrap()[0].url;
    let pairs: Vec<(String, String)> = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    assert!(pairs.contains(&("fields".into(), "a".into())) && pairs.contains(&("fields".into(), "b".into())), "{pairs:?}");
    assert!(pairs.contains(&("pageSize".into(), "5".into())), "{pairs:?}");
}

#[tokio::test]
async fn keys_are_redacted_from_debug_and_traces() {
    let c = Client::builder().api_key("sk-secret-test-key").admin_api_key("admin-secret").build().unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains("sk-secret-test-key") && !dbg.contains("admin-secret"), "{dbg}");
    assert!(dbg.contains("REDACTED"), "{dbg}");

    // Traces at the most verbose level name the operation but never the key.
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
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_raw(MODELS, "application/json")).mount(&server).await;
    client(&server.uri()).models().list().await.unwrap();
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("list_models_v1_models_get"), "span names the operation: {text}");
    assert!(text.contains("attempts=2"), "span records the attempts: {text}");
    assert!(text.contains("status=200"), "span records the status: {text}");
    assert!(!text.contains("sk-secret-test-key"), "{text}");
}

#[tokio::test]
async fn auth_schemes_user_agent_and_base_path() {
    // The crate's version as its manifest says (`cargo xtask changelog` bumps it).
    let manifest = std::fs::read_to_string(common::root().join("generated/Cargo.toml")).unwrap();
    let version = manifest.lines().find_map(|l| l.strip_prefix("version = \"")).and_then(|v| v.strip_suffix('"')).unwrap();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/proxy/v1/admin/users"))
        .and(header("authorization", "Bearer admin-secret"))
        .and(header("user-agent", format!("mistral-sdk-rust/{version}").as_str()))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let c = Client::builder()
        .api_key("main")
        .admin_api_key("admin-secret")
        .server(format!("{}/proxy", server.uri()))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = c.beta().admin().users().list().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(500), "the request matched: {err:?}");

    // An admin operation without the admin key says what is missing, before any request.
    let c = Client::builder().api_key("main").server(server.uri()).build().unwrap();
    let err = c.beta().admin().users().list().await.unwrap_err();
    assert!(matches!(&err, Error::Config(m) if m.contains("`AdminApiKey` scheme (ClientBuilder::admin_api_key)")), "{err:?}");
    assert!(Client::builder().server("mars").build().is_err());
    assert_eq!(Client::builder().server("eu").build().unwrap().base_url(), "https://api.mistral.ai");
}

#[tokio::test]
async fn hooks_see_and_change_requests_and_responses() {
    struct AddHeader(Arc<AtomicUsize>);
    impl mistral_sdk::Hook for AddHeader {
        fn on_request(&self, _: &mistral_sdk::HookContext, req: &mut mistral_sdk::reqwest::Request) -> Result<(), Error> {
            req.headers_mut().insert("x-trace", "abc".parse().unwrap());
            Ok(())
        }
        fn on_response(&self, ctx: &mistral_sdk::HookContext, _: &mut mistral_sdk::reqwest::Response) {
            assert_eq!(ctx.operation, "list_models_v1_models_get");
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-trace", "abc"))
        .and(header("x-call", "1"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(MODELS, "application/json"))
        .mount(&server)
        .await;
    let seen = Arc::new(AtomicUsize::new(0));
    let c = Client::builder().api_key("k").server(server.uri()).hook(AddHeader(seen.clone())).build().unwrap();
    c.models().list().header("x-call", "1").send().await.unwrap();
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn from_env_reads_the_key() {
    // SAFETY: this test is the only one in this binary touching the variable.
    unsafe { std::env::remove_var("MISTRAL_API_KEY") };
    assert!(matches!(Client::from_env(), Err(Error::Config(m)) if m.contains("MISTRAL_API_KEY")));
    unsafe { std::env::set_var("MISTRAL_API_KEY", "from-env") };
    assert!(Client::from_env().is_ok());
}
