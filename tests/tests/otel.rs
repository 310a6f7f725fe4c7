//! OpenTelemetry GenAI spans and metrics (`mistral_sdk::otel`) read back from the SDK's
//! in-memory exporters: span names, kinds, attributes, status and exception events for chat,
//! embeddings, agents, conversations and streams (completed, cut, dropped), a 503-then-200 call
//! (one span, two attempts), the `traceparent` each attempt carries, and the metrics.

use futures::StreamExt;
use mistral_sdk::models::{
    AgentsCompletionRequest, ChatCompletionRequest, ConversationInputs, ConversationRequest, EmbeddingRequest, Message, TextInput, UserMessage,
};
use mistral_sdk::otel::Otel;
use mistral_sdk::{Client, RetryPolicy};
use opentelemetry::trace::{Status, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::Value as OtelValue;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData};
use opentelemetry_sdk::metrics::{InMemoryMetricExporter, PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Telemetry {
    spans: InMemorySpanExporter,
    metrics: InMemoryMetricExporter,
    tracer_provider: SdkTracerProvider,
    meter_provider: SdkMeterProvider,
}

impl Telemetry {
    fn new() -> Self {
        let spans = InMemorySpanExporter::default();
        let metrics = InMemoryMetricExporter::default();
        let tracer_provider = SdkTracerProvider::builder().with_simple_exporter(spans.clone()).build();
        let meter_provider = SdkMeterProvider::builder().with_reader(PeriodicReader::builder(metrics.clone()).build()).build();
        Telemetry { spans, metrics, tracer_provider, meter_provider }
    }

    fn otel(&self) -> Otel {
        Otel::with_providers(&self.tracer_provider, &self.meter_provider)
    }

    fn client(&self, server: &MockServer, otel: Otel) -> Client {
        let retry = RetryPolicy { initial_backoff: Duration::from_millis(1), ..Default::default() };
        Client::builder().api_key("k").server(server.uri()).retry_policy(retry).middleware(otel).build().unwrap()
    }

    fn spans(&self) -> Vec<SpanData> {
        self.spans.get_finished_spans().unwrap()
    }
}

fn attr<'a>(span: &'a SpanData, key: &str) -> Option<&'a OtelValue> {
    span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value)
}

fn attr_str(span: &SpanData, key: &str) -> Option<String> {
    attr(span, key).map(|v| v.as_str().into_owned())
}

/// A string-array attribute value.
fn strings(items: &[&str]) -> OtelValue {
    OtelValue::Array(items.iter().map(|s| opentelemetry::StringValue::from(s.to_string())).collect::<Vec<_>>().into())
}

/// A JSON-text attribute, parsed (key order is not part of the meaning).
fn attr_json(span: &SpanData, key: &str) -> Option<serde_json::Value> {
    attr_str(span, key).map(|s| serde_json::from_str(&s).unwrap())
}

fn user(text: &str) -> Vec<Message> {
    vec![Message::User(UserMessage::new(text))]
}

fn completion(finish: &str) -> serde_json::Value {
    json!({"id": "cmpl-9", "object": "chat.completion", "model": "mistral-small-2506", "created": 1,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Bonjour"}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}})
}

#[tokio::test]
async fn a_chat_call_is_one_client_span_with_the_genai_attributes_across_its_retries() {
    let t = Telemetry::new();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(completion("stop"))).mount(&server).await;
    let client = t.client(&server, t.otel());
    let request = ChatCompletionRequest::new("mistral-small-latest", user("Salut")).temperature(0.0).max_tokens(64).stop(vec!["\n\n".to_string()]);
    // A parent span of the application: the SDK's span is its child.
    let app_tracer = t.tracer_provider.tracer("app");
    let parent = app_tracer.start("handle request");
    let cx = opentelemetry::Context::current_with_span(parent);
    let parent_id = cx.span().span_context().span_id();
    {
        let _guard = cx.clone().attach();
        client.chat().complete(request).await.unwrap();
    }
    cx.span().end();

    let spans = t.spans();
    let span = spans.iter().find(|s| s.name == "chat mistral-small-latest").expect("the chat span");
    assert_eq!(spans.iter().filter(|s| s.name.starts_with("chat")).count(), 1, "one span for two attempts");
    assert_eq!(span.span_kind, opentelemetry::trace::SpanKind::Client);
    assert_eq!(span.parent_span_id, parent_id);
    assert_eq!(attr_str(span, "gen_ai.operation.name").as_deref(), Some("chat"));
    assert_eq!(attr_str(span, "gen_ai.provider.name").as_deref(), Some("mistral_ai"));
    assert_eq!(attr_str(span, "gen_ai.request.model").as_deref(), Some("mistral-small-latest"));
    assert_eq!(attr(span, "gen_ai.request.temperature"), Some(&OtelValue::F64(0.0)), "a temperature of 0 is recorded");
    assert_eq!(attr(span, "gen_ai.request.max_tokens"), Some(&OtelValue::I64(64)));
    assert_eq!(attr(span, "gen_ai.request.stop_sequences"), Some(&strings(&["\n\n"])));
    assert_eq!(attr_str(span, "gen_ai.response.id").as_deref(), Some("cmpl-9"));
    assert_eq!(attr_str(span, "gen_ai.response.model").as_deref(), Some("mistral-small-2506"));
    assert_eq!(attr(span, "gen_ai.response.finish_reasons"), Some(&strings(&["stop"])));
    assert_eq!(attr(span, "gen_ai.usage.input_tokens"), Some(&OtelValue::I64(12)));
    assert_eq!(attr(span, "gen_ai.usage.output_tokens"), Some(&OtelValue::I64(3)));
    assert_eq!(attr_str(span, "server.address").as_deref(), Some("127.0.0.1"));
    assert!(attr(span, "server.port").is_some());
    assert_eq!(attr(span, "http.request.resend_count"), Some(&OtelValue::I64(1)));
    assert!(attr(span, "gen_ai.input.messages").is_none(), "contents only when opted in");
    assert_eq!(span.status, Status::Unset);

    // Every attempt carried the span's context.
    let expected = format!("00-{:032x}-{:016x}-01", span.span_context.trace_id(), span.span_context.span_id());
    for r in server.received_requests().await.unwrap() {
        assert_eq!(r.headers.get("traceparent").unwrap().to_str().unwrap(), expected);
    }

    // Metrics: the duration and the token usage, with the conventions' buckets.
    t.meter_provider.force_flush().unwrap();
    let finished = t.metrics.get_finished_metrics().unwrap();
    let metrics: Vec<_> = finished.iter().flat_map(|r| r.scope_metrics()).flat_map(|s| s.metrics()).collect();
    let duration = metrics.iter().find(|m| m.name() == "gen_ai.client.operation.duration").expect("duration");
    assert_eq!(duration.unit(), "s");
    let AggregatedMetrics::F64(MetricData::Histogram(h)) = duration.data() else { panic!("a histogram") };
    let point = h.data_points().next().unwrap();
    assert_eq!(point.bounds().take(3).collect::<Vec<_>>(), [0.01, 0.02, 0.04]);
    assert_eq!(point.count(), 1);
    let tokens = metrics.iter().find(|m| m.name() == "gen_ai.client.token.usage").expect("token usage");
    let AggregatedMetrics::U64(MetricData::Histogram(h)) = tokens.data() else { panic!("a histogram") };
    let mut by_type: Vec<(String, u64)> = h
        .data_points()
        .map(|p| (p.attributes().find(|kv| kv.key.as_str() == "gen_ai.token.type").unwrap().value.as_str().into_owned(), p.sum()))
        .collect();
    by_type.sort();
    assert_eq!(by_type, [("input".to_string(), 12), ("output".to_string(), 3)]);
}

#[tokio::test]
async fn a_header_the_caller_set_is_not_overwritten_and_contents_are_opt_in() {
    let t = Telemetry::new();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(completion("stop"))).mount(&server).await;
    let client = t.client(&server, t.otel().capture_content(true));
    let mine = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let request = ChatCompletionRequest::new(
        "m",
        vec![Message::System(mistral_sdk::models::SystemMessage::new("Be brief")), Message::User(UserMessage::new("Salut"))],
    );
    client.chat().complete(request).header("traceparent", mine).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent[0].headers.get("traceparent").unwrap(), mine);
    let span = &t.spans()[0];
    assert_eq!(attr_json(span, "gen_ai.input.messages"), Some(json!([{"role": "user", "parts": [{"type": "text", "content": "Salut"}]}])));
    assert_eq!(attr_json(span, "gen_ai.system_instructions"), Some(json!([{"type": "text", "content": "Be brief"}])));
    assert_eq!(attr_json(span, "gen_ai.output.messages"), Some(json!([{"role": "assistant", "parts": [{"type": "text", "content": "Bonjour"}]}])));
}

#[tokio::test]
async fn errors_set_the_status_the_error_type_and_the_api_code() {
    let t = Telemetry::new();
    let server = MockServer::start().await;
    let body = json!({"object": "error", "message": "Invalid model", "type": "invalid_request", "code": "1500"});
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400).set_body_json(body)).mount(&server).await;
    let client = t.client(&server, t.otel());
    let err = client.embeddings().create(EmbeddingRequest::new("nope", TextInput::String("x".into()))).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(400));
    let span = &t.spans()[0];
    assert_eq!(span.name, "embeddings nope");
    assert_eq!(attr_str(span, "error.type").as_deref(), Some("400"));
    assert_eq!(attr_str(span, "mistral_ai.error.code").as_deref(), Some("1500"));
    assert!(matches!(&span.status, Status::Error { description } if description.contains("Invalid model")), "{:?}", span.status);
    assert!(span.events.iter().any(|e| e.name == "exception"));
}

fn sse(chunks: &[serde_json::Value], done: bool) -> ResponseTemplate {
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    if done {
        body.push_str("data: [DONE]\n\n");
    }
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

fn chunk(text: &str, finish: Option<&str>) -> serde_json::Value {
    let mut c = json!({"id": "s-1", "object": "chat.completion.chunk", "model": "mistral-small-2506",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]});
    if finish.is_some() {
        c["usage"] = json!({"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7});
    }
    c
}

#[tokio::test]
async fn streams_keep_their_span_open_until_the_end_a_cut_or_a_drop() {
    for (case, template, read_all) in [
        ("completed", sse(&[chunk("Bon", None), chunk("jour", Some("stop"))], true), true),
        ("cut", sse(&[chunk("Bon", None)], false), true),
        ("dropped", sse(&[chunk("Bon", None), chunk("jour", Some("stop"))], true), false),
    ] {
        let t = Telemetry::new();
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(template).mount(&server).await;
        let client = t.client(&server, t.otel().capture_content(true));
        let mut stream = client.chat().stream(ChatCompletionRequest::new("m", user("Salut"))).await.unwrap();
        if read_all {
            while stream.next().await.is_some() {}
        } else {
            stream.next().await.unwrap().unwrap();
        }
        if !read_all {
            assert!(t.spans().is_empty(), "{case}: the span stays open while the stream is held");
        }
        drop(stream);
        let spans = t.spans();
        assert_eq!(spans.len(), 1, "{case}");
        let span = &spans[0];
        assert_eq!(attr_str(span, "gen_ai.response.id").as_deref(), Some("s-1"), "{case}");
        match case {
            "completed" => {
                assert_eq!(attr(span, "gen_ai.usage.output_tokens"), Some(&OtelValue::I64(2)));
                assert_eq!(attr(span, "gen_ai.response.finish_reasons"), Some(&strings(&["stop"])));
                assert!(attr_str(span, "gen_ai.output.messages").unwrap().contains("Bonjour"));
                assert_eq!(span.status, Status::Unset);
                t.meter_provider.force_flush().unwrap();
                let names: Vec<String> = t
                    .metrics
                    .get_finished_metrics()
                    .unwrap()
                    .iter()
                    .flat_map(|r| r.scope_metrics())
                    .flat_map(|s| s.metrics())
                    .map(|m| m.name().to_string())
                    .collect();
                assert!(names.contains(&"gen_ai.client.operation.time_to_first_chunk".to_string()), "{names:?}");
            }
            "cut" => {
                assert_eq!(attr_str(span, "error.type").as_deref(), Some("stream"));
                assert!(matches!(span.status, Status::Error { .. }));
            }
            _ => {
                assert!(span.events.iter().any(|e| e.name.contains("dropped")), "{case}");
                assert_eq!(span.status, Status::Unset);
            }
        }
    }
}

#[tokio::test]
async fn agents_and_conversations_are_invoke_agent_spans_with_their_ids() {
    let t = Telemetry::new();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/agents/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("tool_calls")))
        .mount(&server)
        .await;
    let conversation = json!({"object": "conversation.response", "conversation_id": "conv_7",
        "outputs": [{"object": "entry", "type": "message.output", "role": "assistant", "content": "ok"}],
        "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}});
    Mock::given(method("POST"))
        .and(path("/v1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(conversation.clone()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/conversations/conv_7"))
        .respond_with(ResponseTemplate::new(200).set_body_json(conversation))
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": []}))).mount(&server).await;
    let client = t.client(&server, t.otel());
    client.agents().complete(AgentsCompletionRequest::new(user("hi"), "ag_1".to_string())).await.unwrap();
    let start = ConversationRequest::new(ConversationInputs::String("hi".into())).model("mistral-medium-latest");
    client.beta().conversations().start(start).await.unwrap();
    let append = mistral_sdk::models::ConversationAppendRequest::default().inputs(ConversationInputs::String("more".into()));
    client.beta().conversations().append("conv_7", append).await.unwrap();
    let _ = client.models().list().await;

    let spans = t.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    assert_eq!(names[..3], ["invoke_agent", "invoke_agent", "invoke_agent"], "{names:?}");
    assert_eq!(attr_str(&spans[0], "gen_ai.agent.id").as_deref(), Some("ag_1"));
    assert_eq!(attr_str(&spans[1], "gen_ai.conversation.id").as_deref(), Some("conv_7"), "from the response");
    assert_eq!(attr_str(&spans[2], "gen_ai.conversation.id").as_deref(), Some("conv_7"), "from the path");
    assert_eq!(attr(&spans[1], "gen_ai.usage.input_tokens"), Some(&OtelValue::I64(4)));
    // Not a GenAI operation: named by its operation id, without GenAI attributes.
    assert_eq!(names[3], "list_models_v1_models_get");
    assert!(attr(&spans[3], "gen_ai.operation.name").is_none());
}

#[tokio::test]
async fn without_the_middleware_no_span_and_no_header() {
    let t = Telemetry::new();
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(completion("stop"))).mount(&server).await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    // Even inside an application span: the SDK adds nothing unless `Otel` is added.
    let parent = t.tracer_provider.tracer("app").start("handle request");
    let _guard = opentelemetry::Context::current_with_span(parent).attach();
    client.chat().complete(ChatCompletionRequest::new("m", user("hi"))).await.unwrap();
    let sent = server.received_requests().await.unwrap();
    assert!(sent[0].headers.get("traceparent").is_none());
    assert!(t.spans().is_empty());
}

#[tokio::test]
async fn workflow_executions_always_carry_a_sampled_traceparent() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&server).await;
    let no_retry = RetryPolicy { max_attempts: 1, ..Default::default() };
    fn execute<'c>(client: &'c Client, retry: &RetryPolicy) -> mistral_sdk::api::workflows::ExecuteWorkflowBuilder<'c> {
        client.workflows().execute_workflow("wf", mistral_sdk::models::WorkflowExecutionRequest::default()).retry(retry.clone())
    }
    let sent = |i: usize| {
        let server = &server;
        async move { server.received_requests().await.unwrap()[i].headers.get("traceparent").map(|v| v.to_str().unwrap().to_string()) }
    };
    let plain = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    // Without tracing: a new, sampled trace.
    let _ = execute(&plain, &no_retry).await;
    let first = sent(0).await.expect("a traceparent");
    assert!(first.starts_with("00-") && first.ends_with("-01") && first.len() == 55, "{first}");
    // The caller's own header is kept, sampled or not.
    let mine = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    let _ = execute(&plain, &no_retry).header("traceparent", mine).await;
    assert_eq!(sent(1).await.as_deref(), Some(mine));
    // Another operation gets none.
    let _ = plain.models().list().retry(no_retry.clone()).await;
    assert_eq!(sent(2).await, None);
    // Inside a sampled OpenTelemetry span: the call span's context, sampled.
    let t = Telemetry::new();
    let traced = t.client(&server, t.otel());
    let _ = execute(&traced, &no_retry).await;
    let span = &t.spans()[0];
    assert_eq!(sent(3).await, Some(format!("00-{:032x}-{:016x}-01", span.span_context.trace_id(), span.span_context.span_id())));
}

#[tokio::test]
async fn the_run_loop_gives_an_execute_tool_span_per_local_function() {
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    struct City {
        city: String,
    }
    let t = Telemetry::new();
    let server = MockServer::start().await;
    let calls = json!({"id": "c", "object": "chat.completion", "model": "m", "created": 1,
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": "", "tool_calls": [
            {"id": "t1", "type": "function", "function": {"name": "weather", "arguments": "{\"city\":\"Oslo\"}"}},
            {"id": "t2", "type": "function", "function": {"name": "flaky", "arguments": "{\"city\":\"Oslo\"}"}}]}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}});
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(calls)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(completion("stop"))).mount(&server).await;
    let client = t.client(&server, t.otel().capture_content(true));
    let ctx = mistral_sdk::run::RunContext::new()
        .function("weather", "The weather", |c: City| async move { Ok::<_, String>(format!("Sunny in {}", c.city)) })
        .function("flaky", "Fails", |_: City| async move { Err::<String, _>("down") });
    client.chat().run(&ctx, ChatCompletionRequest::new("m", user("go"))).await.unwrap();
    let spans = t.spans();
    let weather = spans.iter().find(|s| s.name == "execute_tool weather").expect("the weather span");
    assert_eq!(attr_str(weather, "gen_ai.operation.name").as_deref(), Some("execute_tool"));
    assert_eq!(attr_str(weather, "gen_ai.tool.call.id").as_deref(), Some("t1"));
    assert_eq!(attr_str(weather, "gen_ai.tool.type").as_deref(), Some("function"));
    assert_eq!(attr_str(weather, "gen_ai.tool.call.result").as_deref(), Some("Sunny in Oslo"));
    assert_eq!(weather.status, Status::Unset);
    let flaky = spans.iter().find(|s| s.name == "execute_tool flaky").expect("the flaky span");
    assert_eq!(attr_str(flaky, "error.type").as_deref(), Some("tool_error"));
    assert!(matches!(&flaky.status, Status::Error { description } if description == "down"));
    assert_eq!(spans.iter().filter(|s| s.name == "chat m").count(), 2, "one chat span per round");
}

#[tokio::test]
async fn a_conversation_s_server_side_work_is_child_spans_with_its_own_times() {
    let t = Telemetry::new();
    let server = MockServer::start().await;
    let response = json!({"object": "conversation.response", "conversation_id": "conv_1",
        "outputs": [
            {"object": "entry", "type": "tool.execution", "id": "te_1", "name": "web_search", "arguments": "{\"q\":\"x\"}",
             "created_at": "2026-12-05T10:00:00.250Z", "completed_at": "2026-12-05T10:00:01.500Z"},
            {"object": "entry", "type": "message.output", "id": "mo_1", "role": "assistant", "content": "Found it", "model": "mistral-medium-2508",
             "created_at": "2026-12-05T11:00:01.500+01:00", "completed_at": "2026-12-05T10:00:02Z"}],
        "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11}});
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(response)).mount(&server).await;
    let client = t.client(&server, t.otel());
    let start = ConversationRequest::new(ConversationInputs::String("find x".into())).model("mistral-medium-latest");
    client.beta().conversations().start(start).await.unwrap();
    let spans = t.spans();
    let parent = spans.iter().find(|s| s.name == "invoke_agent").expect("the conversation span");
    let tool = spans.iter().find(|s| s.name == "execute_tool web_search").expect("the tool execution");
    let message = spans.iter().find(|s| s.name == "chat mistral-medium-2508").expect("the message output");
    for child in [tool, message] {
        assert_eq!(child.parent_span_id, parent.span_context.span_id());
        assert_eq!(child.span_context.trace_id(), parent.span_context.trace_id());
    }
    let at = |secs: u64, millis: u64| std::time::UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis);
    // 2026-12-05T10:00:00Z is 1796464800 seconds after the epoch.
    assert_eq!(tool.start_time, at(1_796_464_800, 250));
    assert_eq!(tool.end_time, at(1_796_464_801, 500));
    assert_eq!(message.start_time, at(1_796_464_801, 500), "the offset is applied");
    assert_eq!(attr_str(tool, "gen_ai.tool.type").as_deref(), Some("extension"));
    assert_eq!(attr_str(message, "gen_ai.response.id").as_deref(), Some("mo_1"));
}
