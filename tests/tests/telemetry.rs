//! Export to Mistral's observability (`mistral_sdk::telemetry`, feature `otel-export`): a
//! loopback OTLP collector (wiremock) receives what the dedicated exporter posts, decodes the
//! protobuf, and checks the bearer key, the endpoint (the client's server, or
//! `MISTRAL_OTLP_TRACES_ENDPOINT`), the span, and that e-mail addresses and keys were redacted
//! before they left the process; the `MISTRAL_SDK_TELEMETRY` values; the redaction policies.

use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
use mistral_sdk::telemetry::{
    AttributeRedaction, CallbackRedaction, PatternRedaction, RedactionPolicy, Telemetry, TelemetryConfig, TelemetryMode, REDACTED,
};
use mistral_sdk::{Client, Error};
use opentelemetry::{KeyValue, Value};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message as _;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Every string anywhere in an exported request: resource, span names, attributes, events,
/// status messages.
fn strings(req: &ExportTraceServiceRequest) -> Vec<String> {
    fn value(v: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>, out: &mut Vec<String>) {
        match v.as_ref().and_then(|v| v.value.as_ref()) {
            Some(any_value::Value::StringValue(s)) => out.push(s.clone()),
            Some(any_value::Value::ArrayValue(a)) => a.values.iter().for_each(|v| value(&Some(v.clone()), out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for rs in &req.resource_spans {
        for kv in rs.resource.iter().flat_map(|r| &r.attributes) {
            value(&kv.value, &mut out);
        }
        for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
            out.push(span.name.clone());
            for kv in span.attributes.iter().chain(span.events.iter().flat_map(|e| &e.attributes)) {
                value(&kv.value, &mut out);
            }
            out.extend(span.status.iter().map(|s| s.message.clone()));
        }
    }
    out
}

fn attribute(req: &ExportTraceServiceRequest, span_name: &str, key: &str) -> Option<String> {
    let span = req.resource_spans.iter().flat_map(|r| &r.scope_spans).flat_map(|s| &s.spans).find(|s| s.name == span_name)?;
    let kv = span.attributes.iter().find(|kv| kv.key == key)?;
    match kv.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        other => Some(format!("{other:?}")),
    }
}

/// The export requests the collector received at `at`, decoded.
async fn exported(server: &MockServer, at: &str) -> Vec<(wiremock::Request, ExportTraceServiceRequest)> {
    let requests = server.received_requests().await.unwrap();
    requests
        .into_iter()
        .filter(|r| r.url.path() == at)
        .map(|r| {
            let decoded = ExportTraceServiceRequest::decode(r.body.as_slice()).expect("an OTLP protobuf export request");
            (r, decoded)
        })
        .collect()
}

fn chat_request(text: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new("mistral-small-latest", vec![Message::User(UserMessage::new(text))])
}

async fn collector() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST")).and(path("/telemetry/v1/traces")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Mock::given(method("POST")).and(path("/custom/traces")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "cmpl-1", "object": "chat.completion", "model": "mistral-small-2506", "created": 1,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Write to carol@example.net"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}})))
        .mount(&server)
        .await;
    server
}

/// The dedicated mode on a current-thread runtime (the export has a thread of its own): the
/// spans reach `{server}/telemetry/v1/traces` as OTLP protobuf with the key as bearer, named
/// and attributed as the `otel` middleware makes them, with the e-mail addresses and the key in
/// the captured messages redacted.
#[tokio::test]
async fn dedicated_mode_exports_redacted_spans_to_the_server() {
    let server = collector().await;
    let client = Client::builder().api_key("sk-secretkey1234567890abcdef").server(server.uri()).build().unwrap();
    let (client, telemetry) = TelemetryConfig::new(TelemetryMode::Dedicated).capture_content(true).apply(client).unwrap();
    assert_eq!(telemetry.mode(), Some(TelemetryMode::Dedicated));
    let question = "Mail alice@example.org my key sk-abcdefghijklmnopqrstuvwxyz123 please";
    let answer = client.chat().complete(chat_request(question)).await.unwrap();
    assert_eq!(answer.id, "cmpl-1");
    // The flush blocks; the export runs on its own thread, so a current-thread runtime is fine.
    telemetry.force_flush().unwrap();

    let got = exported(&server, "/telemetry/v1/traces").await;
    assert_eq!(got.len(), 1, "one batch");
    let (request, export) = &got[0];
    assert_eq!(request.headers.get("authorization").unwrap(), "Bearer sk-secretkey1234567890abcdef");
    assert_eq!(request.headers.get("content-type").unwrap(), "application/x-protobuf");
    assert_eq!(attribute(export, "chat mistral-small-latest", "gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(attribute(export, "chat mistral-small-latest", "gen_ai.provider.name").as_deref(), Some("mistral_ai"));
    assert_eq!(attribute(export, "chat mistral-small-latest", "gen_ai.response.id").as_deref(), Some("cmpl-1"));
    assert_eq!(attribute(export, "chat mistral-small-latest", "gen_ai.usage.input_tokens").as_deref(), Some("12"));
    let service = export.resource_spans[0].resource.as_ref().unwrap().attributes.iter().find(|kv| kv.key == "service.name").unwrap();
    assert_eq!(format!("{:?}", service.value.as_ref().unwrap().value.as_ref().unwrap()), "StringValue(\"mistralai_sdk\")");

    let input = attribute(export, "chat mistral-small-latest", "gen_ai.input.messages").expect("contents were captured");
    assert!(input.contains("Mail [REDACTED] my key [REDACTED] please"), "{input}");
    let output = attribute(export, "chat mistral-small-latest", "gen_ai.output.messages").unwrap();
    assert!(output.contains("Write to [REDACTED]"), "{output}");
    for s in strings(export) {
        for secret in ["alice@example.org", "carol@example.net", "sk-abcdefghijklmnopqrstuvwxyz123", "sk-secretkey"] {
            assert!(!s.contains(secret), "`{secret}` left the process in {s:?}");
        }
    }
    telemetry.shutdown();
}

/// An error's message (status description, exception event) is redacted too; without
/// redaction the same span carries it as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_messages_are_redacted_unless_redaction_is_off() {
    let server = collector().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "bob@example.com may not use this model", "code": "1403"})))
        .mount(&server)
        .await;
    for redacted in [true, false] {
        let client = Client::builder().api_key("k-1").server(server.uri()).build().unwrap();
        let config = TelemetryConfig::new(TelemetryMode::Dedicated).endpoint(format!("{}/custom/traces", server.uri()));
        let config = if redacted { config } else { config.no_redaction() };
        let (client, telemetry) = config.apply(client).unwrap();
        let request = mistral_sdk::models::EmbeddingRequest::new("mistral-embed", mistral_sdk::models::TextInput::String("hi".into()));
        let err = client.embeddings().create(request).await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
        telemetry.shutdown();
        let got = exported(&server, "/custom/traces").await;
        let (_, export) = got.last().expect("an export at the configured endpoint");
        let all = strings(export);
        assert!(all.iter().any(|s| s.contains("may not use this model")), "{all:?}");
        assert_eq!(all.iter().any(|s| s.contains("bob@example.com")), !redacted, "redaction {redacted}: {all:?}");
        server.reset().await;
        // `reset` forgets the mounts too.
        Mock::given(method("POST")).and(path("/custom/traces")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
        Mock::given(method("POST"))
            .and(path("/v1/embeddings"))
            .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "bob@example.com may not use this model", "code": "1403"})))
            .mount(&server)
            .await;
    }
}

/// `MISTRAL_SDK_TELEMETRY` and `MISTRAL_OTLP_TRACES_ENDPOINT` (each test runs in a process of its
/// own under nextest; this is the only test that sets them).
#[tokio::test]
async fn the_environment_switches_telemetry() {
    let server = collector().await;
    let client = || Client::builder().api_key("k-env").server(server.uri()).build().unwrap();
    std::env::remove_var("MISTRAL_SDK_TELEMETRY");
    let (_, off) = Telemetry::from_env(client()).unwrap();
    assert_eq!(off.mode(), None);
    std::env::set_var("MISTRAL_SDK_TELEMETRY", "sometimes");
    match Telemetry::from_env(client()) {
        Err(Error::Config(m)) => assert!(m.contains("MISTRAL_SDK_TELEMETRY") && m.contains("sometimes"), "{m}"),
        other => panic!("expected a configuration error, got {:?}", other.map(|(_, t)| t.mode())),
    }
    std::env::set_var("MISTRAL_SDK_TELEMETRY", "Global");
    assert_eq!(Telemetry::from_env(client()).unwrap().1.mode(), Some(TelemetryMode::Global));
    std::env::set_var("MISTRAL_SDK_TELEMETRY", " dedicated ");
    std::env::set_var("MISTRAL_OTLP_TRACES_ENDPOINT", format!("{}/custom/traces", server.uri()));
    let (client, telemetry) = Telemetry::from_env(client()).unwrap();
    client.chat().complete(chat_request("hi")).await.unwrap();
    telemetry.shutdown();
    assert_eq!(exported(&server, "/custom/traces").await.len(), 1);
    assert!(exported(&server, "/telemetry/v1/traces").await.is_empty());
    std::env::remove_var("MISTRAL_SDK_TELEMETRY");
    std::env::remove_var("MISTRAL_OTLP_TRACES_ENDPOINT");
}

#[test]
fn telemetry_settings_parse_as_the_official_sdks_read_them() {
    assert_eq!(TelemetryMode::parse("dedicated").unwrap(), Some(TelemetryMode::Dedicated));
    assert_eq!(TelemetryMode::parse(" GLOBAL ").unwrap(), Some(TelemetryMode::Global));
    assert_eq!(TelemetryMode::parse("false").unwrap(), None);
    assert_eq!(TelemetryMode::parse("").unwrap(), None);
    assert!(matches!(TelemetryMode::parse("true"), Err(Error::Config(_))));
}

/// A client whose provider holds no Mistral key cannot export to Mistral.
#[test]
fn dedicated_mode_needs_a_mistral_key() {
    let client = Client::builder().server("http://127.0.0.1:9").build().unwrap();
    match TelemetryConfig::new(TelemetryMode::Dedicated).apply(client) {
        Err(Error::Config(m)) => assert!(m.contains("API key"), "{m}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("built without a key"),
    }
}

fn text(kvs: &[KeyValue], key: &str) -> String {
    kvs.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.as_str().into_owned()).unwrap_or_default()
}

#[test]
fn the_pattern_policy_masks_tokens_and_personal_data_and_keeps_the_rest() {
    let p = PatternRedaction::new();
    let kvs = p.redact_attributes(vec![
        KeyValue::new("a", "write to jane.doe+x@mail.example.com today"),
        KeyValue::new("b", "Authorization: Bearer abc.def-123"),
        KeyValue::new("c", "card 4111 1111 1111 1111 ok"),
        KeyValue::new("d", "from 192.168.0.12"),
        KeyValue::new("e", "token ghp_abcdefghijklmnopqrstuvwxyz0123"),
        KeyValue::new("f", "nothing to see"),
        KeyValue::new("g", 42),
        KeyValue::new("h", Value::Array(vec![opentelemetry::StringValue::from("x@y.io"), "fine".into()].into())),
    ]);
    assert_eq!(text(&kvs, "a"), "write to [REDACTED] today");
    assert_eq!(text(&kvs, "b"), "Authorization: [REDACTED]");
    assert_eq!(text(&kvs, "c"), "card [REDACTED] ok");
    assert_eq!(text(&kvs, "d"), "from [REDACTED]");
    assert_eq!(text(&kvs, "e"), "token [REDACTED]");
    assert_eq!(text(&kvs, "f"), "nothing to see");
    assert_eq!(kvs.iter().find(|kv| kv.key.as_str() == "g").unwrap().value, Value::I64(42));
    assert_eq!(text(&kvs, "h"), "[\"[REDACTED]\",\"fine\"]");
    assert_eq!(p.redact_span_name("chat for a@b.fr".into()), "chat for [REDACTED]");
    assert_eq!(PatternRedaction::new().replacement("***").redact_status_description("x@y.io failed".into()), "*** failed");
    let custom = PatternRedaction::with_patterns(vec![regex::Regex::new("secret-\\d+").unwrap()]);
    assert_eq!(text(&custom.redact_attributes(vec![KeyValue::new("k", "secret-42 and a@b.fr")]), "k"), "[REDACTED] and a@b.fr");
}

#[test]
fn the_attribute_policy_removes_sensitive_values_whole() {
    let p = AttributeRedaction::new();
    let kvs = p.redact_attributes(vec![
        KeyValue::new("gen_ai.input.messages", "[{\"role\":\"user\"}]"),
        KeyValue::new("my.api_key", "abc"),
        KeyValue::new("custom.prompt_text", "hello"),
        KeyValue::new("gen_ai.request.model", "mistral-large-latest"),
        KeyValue::new("gen_ai.usage.input_tokens", 5),
        KeyValue::new("note", "see sk-abcdefghijklmnopqrstuvwxyz"),
        KeyValue::new("list", Value::Array(vec![1i64, 2].into())),
        KeyValue::new("server.address", "api.mistral.ai"),
    ]);
    assert_eq!(text(&kvs, "gen_ai.input.messages"), REDACTED);
    assert_eq!(text(&kvs, "my.api_key"), REDACTED);
    assert_eq!(text(&kvs, "custom.prompt_text"), REDACTED);
    assert_eq!(text(&kvs, "gen_ai.request.model"), "mistral-large-latest");
    assert_eq!(kvs.iter().find(|kv| kv.key.as_str() == "gen_ai.usage.input_tokens").unwrap().value, Value::I64(5));
    assert_eq!(text(&kvs, "note"), "see [REDACTED]");
    assert_eq!(text(&kvs, "list"), REDACTED);
    assert_eq!(text(&kvs, "server.address"), REDACTED);
    assert_eq!(p.redact_status_description("anything".into()), REDACTED);
}

#[test]
fn a_callback_policy_masks_or_drops() {
    let p = CallbackRedaction(|key: &opentelemetry::Key, value: Value| match key.as_str() {
        "drop" => None,
        "mask" => Some(Value::from("m")),
        _ => Some(value),
    });
    let kvs = p.redact_attributes(vec![KeyValue::new("drop", "x"), KeyValue::new("mask", "y"), KeyValue::new("keep", "z")]);
    assert_eq!(kvs.len(), 2);
    assert_eq!(text(&kvs, "mask"), "m");
    assert_eq!(text(&kvs, "keep"), "z");
}
