//@ field UsageInfo.prompt_tokens: i64
//@ field UsageInfo.completion_tokens: i64
//@ field ChatCompletionResponse.id: String
//@ field ChatCompletionResponse.model: String
//@ field ChatCompletionChoice.finish_reason: ChatCompletionChoiceFinishReason
//@ field ConversationResponse.conversation_id: String
//! OpenTelemetry GenAI traces and metrics (feature `otel`, on the `opentelemetry` API crate),
//! built on the [middleware](crate::middleware) seam: add [`Otel`] to a client and every call
//! is a span with the GenAI semantic conventions' attributes, and GenAI calls record the
//! conventions' metrics. The application owns the SDK and exporter (`opentelemetry_sdk`, OTLP,
//! …): [`Otel::new`] uses the global tracer and meter providers, [`Otel::with_providers`] given
//! ones.
//!
//! ```no_run
//! let client = mistral_sdk::Client::builder().api_key("…").middleware(mistral_sdk::otel::Otel::new()).build()?;
//! # Ok::<(), mistral_sdk::Error>(())
//! ```
//!
//! **Spans.** One per logical call, covering its retries, kind `CLIENT`, a child of the current
//! OpenTelemetry context. GenAI operations are named `{gen_ai.operation.name} {model}` (`chat
//! mistral-small-latest`; `invoke_agent` and `create_agent` by the agent's name when known):
//! `chat` (chat completions), `text_completion` (FIM), `embeddings`, `generate_content` (OCR),
//! `create_agent` (creating or updating an agent), `invoke_agent` (agents completions and
//! conversations); other calls are named by their operation id. Attributes:
//! `gen_ai.operation.name`, `gen_ai.provider.name = "mistral_ai"`, the request's model and
//! parameters (`temperature`, `top_p`, `max_tokens`, `seed`, `stop_sequences`,
//! `frequency_penalty`, `presence_penalty`, `choice.count`, `encoding_formats`; a temperature of 0
//! is recorded), the response's id, model and finish reasons, `gen_ai.usage.input_tokens` and
//! `output_tokens`, `gen_ai.conversation.id` on conversation calls, `server.address` and
//! `server.port`, `http.request.method`, `http.response.status_code`; on failure `error.type`
//! (the status code, `timeout`, `connection`, …), `mistral_ai.error.code` (the API error's
//! `code`) and an error status. Message contents, tool definitions and system instructions are
//! recorded only with [`Otel::capture_content`]. A streamed answer keeps its span open until its
//! last event, an error or the stream being dropped, and gets the same attributes from the
//! assembled chunks.
//!
//! **Metrics.** `gen_ai.client.operation.duration` (s) and `gen_ai.client.token.usage`
//! (`{token}`, by `gen_ai.token.type`) histograms with the conventions' bucket boundaries, and
//! `gen_ai.client.operation.time_to_first_chunk` (s) for streams.
//!
//! **Propagation.** Every attempt carries the call span's W3C `traceparent` (and `tracestate`),
//! unless the request already has one (a header you set wins).
//!
//! Tracing never fails a call: a body that does not parse only leaves attributes out.

use crate::middleware::{AttemptResult, CallEnd, CallInfo, CallObserver, Middleware, ToolCallInfo, ToolObserver};
use opentelemetry::global::BoxedTracer;
use opentelemetry::metrics::{Histogram, Meter, MeterProvider};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Context, InstrumentationScope, KeyValue};
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

//@ cfg-of UsageInfo, ChatCompletionResponse, ChatCompletionChoice, ConversationResponse
/// The wire shapes this module reads from JSON bodies exist in this crate's spec (checked when
/// the crate is generated).
const _SHAPES_CHECKED: () = ();

const SCOPE: &str = "mistral-sdk";
/// The conventions' buckets for `gen_ai.client.operation.duration` (seconds).
const DURATION_BUCKETS: [f64; 14] = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
/// The conventions' buckets for `gen_ai.client.token.usage`.
const TOKEN_BUCKETS: [f64; 14] =
    [1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0, 67108864.0];

/// The OpenTelemetry middleware (see [the module](self)).
#[derive(Clone)]
pub struct Otel {
    inner: Arc<Inner>,
    capture_content: bool,
}

struct Inner {
    tracer: BoxedTracer,
    duration: Histogram<f64>,
    tokens: Histogram<u64>,
    first_chunk: Histogram<f64>,
}

impl std::fmt::Debug for Otel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Otel").field("capture_content", &self.capture_content).finish_non_exhaustive()
    }
}

impl Default for Otel {
    fn default() -> Self {
        Self::new()
    }
}

fn scope() -> InstrumentationScope {
    InstrumentationScope::builder(SCOPE).with_version(env!("CARGO_PKG_VERSION")).build()
}

impl Otel {
    /// Spans and metrics through the global providers (`opentelemetry::global`).
    pub fn new() -> Self {
        let tracer = opentelemetry::global::tracer_provider().tracer_with_scope(scope());
        Self::build(BoxedTracer::new(Box::new(tracer)), opentelemetry::global::meter_provider().meter_with_scope(scope()))
    }

    /// Spans and metrics through these providers.
    pub fn with_providers<T, M>(tracer_provider: &T, meter_provider: &M) -> Self
    where
        T: opentelemetry::global::ObjectSafeTracerProvider,
        M: MeterProvider + ?Sized,
    {
        Self::build(BoxedTracer::new(tracer_provider.boxed_tracer(scope())), meter_provider.meter_with_scope(scope()))
    }

    fn build(tracer: BoxedTracer, meter: Meter) -> Self {
        let duration = meter
            .f64_histogram("gen_ai.client.operation.duration")
            .with_unit("s")
            .with_description("GenAI operation duration")
            .with_boundaries(DURATION_BUCKETS.to_vec())
            .build();
        let tokens = meter
            .u64_histogram("gen_ai.client.token.usage")
            .with_unit("{token}")
            .with_description("Number of input and output tokens used")
            .with_boundaries(TOKEN_BUCKETS.to_vec())
            .build();
        let first_chunk = meter
            .f64_histogram("gen_ai.client.operation.time_to_first_chunk")
            .with_unit("s")
            .with_description("Time to the first chunk of a streamed answer")
            .with_boundaries(DURATION_BUCKETS.to_vec())
            .build();
        Otel { inner: Arc::new(Inner { tracer, duration, tokens, first_chunk }), capture_content: false }
    }

    /// Also record message contents (`gen_ai.input.messages`, `gen_ai.output.messages`), tool
    /// definitions and system instructions. Off by default: they may hold personal data.
    pub fn capture_content(mut self, on: bool) -> Self {
        self.capture_content = on;
        self
    }
}

/// The GenAI operation name of an SDK method, when it is one.
fn gen_ai_operation(method: &str) -> Option<&'static str> {
    Some(match method {
        "chat.complete" | "chat.stream" => "chat",
        "fim.complete" | "fim.stream" => "text_completion",
        "embeddings.create" => "embeddings",
        "ocr.process" => "generate_content",
        "beta.agents.create" | "beta.agents.update" => "create_agent",
        "agents.complete" | "agents.stream" => "invoke_agent",
        m if m.starts_with("beta.conversations.") && ["start", "append", "restart"].iter().any(|a| m.contains(a)) => "invoke_agent",
        _ => return None,
    })
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

impl Middleware for Otel {
    fn start(&self, call: &CallInfo) -> Box<dyn CallObserver> {
        let op = gen_ai_operation(call.method);
        let body: Value = call.body.as_ref().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
        let model = text(&body["model"]);
        let mut attributes = vec![KeyValue::new("http.request.method", call.http_method.to_string())];
        let name = match op {
            Some(op) => {
                attributes.push(KeyValue::new("gen_ai.operation.name", op));
                attributes.push(KeyValue::new("gen_ai.provider.name", "mistral_ai"));
                request_attributes(&body, &mut attributes);
                if let Some(id) = conversation_id_of_path(call) {
                    attributes.push(KeyValue::new("gen_ai.conversation.id", id));
                }
                if let Some(agent) = text(&body["agent_id"]) {
                    attributes.push(KeyValue::new("gen_ai.agent.id", agent));
                }
                if self.capture_content {
                    content_attributes(&body, &mut attributes);
                }
                let subject = match op {
                    "invoke_agent" | "create_agent" => text(&body["name"]),
                    _ => model.clone(),
                };
                match subject {
                    Some(s) => format!("{op} {s}"),
                    None => op.to_string(),
                }
            }
            None => call.operation.to_string(),
        };
        let span = self.inner.tracer.span_builder(name).with_kind(SpanKind::Client).with_attributes(attributes).start(&self.inner.tracer);
        let cx = Context::current_with_span(span);
        Box::new(Observer {
            otel: self.clone(),
            cx,
            op,
            model,
            started: Instant::now(),
            first_chunk: None,
            server: None,
            attempts: 0,
            status: None,
            stream: Assembled::default(),
        })
    }

    fn tool(&self, tool: &ToolCallInfo) -> Option<Box<dyn ToolObserver>> {
        let mut attributes = vec![
            KeyValue::new("gen_ai.operation.name", "execute_tool"),
            KeyValue::new("gen_ai.provider.name", "mistral_ai"),
            KeyValue::new("gen_ai.tool.name", tool.name.clone()),
            KeyValue::new("gen_ai.tool.call.id", tool.call_id.clone()),
            KeyValue::new("gen_ai.tool.type", "function"),
        ];
        if self.capture_content {
            attributes.push(KeyValue::new("gen_ai.tool.call.arguments", tool.arguments.clone()));
        }
        let span = self
            .inner
            .tracer
            .span_builder(format!("execute_tool {}", tool.name))
            .with_kind(SpanKind::Internal)
            .with_attributes(attributes)
            .start(&self.inner.tracer);
        Some(Box::new(ToolSpan { cx: Context::current_with_span(span), capture_content: self.capture_content }))
    }
}

/// The span of a tool the run loop executes: `execute_tool {name}`.
struct ToolSpan {
    cx: Context,
    capture_content: bool,
}

impl ToolObserver for ToolSpan {
    fn end(self: Box<Self>, result: Result<&str, &str>) {
        let span = self.cx.span();
        match result {
            Ok(text) if self.capture_content => span.set_attribute(KeyValue::new("gen_ai.tool.call.result", text.to_string())),
            Ok(_) => {}
            Err(message) => {
                span.set_attribute(KeyValue::new("error.type", "tool_error"));
                span.set_status(Status::error(message.to_string()));
            }
        }
        span.end();
    }
}

/// `gen_ai.request.*` from a request body.
fn request_attributes(body: &Value, out: &mut Vec<KeyValue>) {
    if let Some(m) = text(&body["model"]) {
        out.push(KeyValue::new("gen_ai.request.model", m));
    }
    for (field, key) in [
        ("temperature", "gen_ai.request.temperature"),
        ("top_p", "gen_ai.request.top_p"),
        ("frequency_penalty", "gen_ai.request.frequency_penalty"),
        ("presence_penalty", "gen_ai.request.presence_penalty"),
    ] {
        if let Some(v) = body[field].as_f64() {
            out.push(KeyValue::new(key, v));
        }
    }
    for (field, key) in [("max_tokens", "gen_ai.request.max_tokens"), ("random_seed", "gen_ai.request.seed"), ("n", "gen_ai.request.choice.count")] {
        if let Some(v) = body[field].as_i64() {
            out.push(KeyValue::new(key, v));
        }
    }
    let strings = |v: &Value| -> Option<Vec<opentelemetry::StringValue>> {
        match v {
            Value::String(s) => Some(vec![s.clone().into()]),
            Value::Array(a) => Some(a.iter().filter_map(|x| x.as_str().map(|s| s.to_string().into())).collect()),
            _ => None,
        }
    };
    if let Some(stop) = strings(&body["stop"]) {
        out.push(KeyValue::new("gen_ai.request.stop_sequences", opentelemetry::Value::Array(stop.into())));
    }
    if let Some(formats) = strings(&body["encoding_format"]) {
        out.push(KeyValue::new("gen_ai.request.encoding_formats", opentelemetry::Value::Array(formats.into())));
    }
}

/// Contents (opt-in): input messages, system instructions and tool definitions, as JSON.
fn content_attributes(body: &Value, out: &mut Vec<KeyValue>) {
    let messages = match (&body["messages"], &body["inputs"]) {
        (Value::Array(m), _) => Some(m.clone()),
        (_, Value::String(s)) => Some(vec![serde_json::json!({"role": "user", "content": s})]),
        (_, Value::Array(m)) => Some(m.clone()),
        _ => None,
    };
    if let Some(messages) = messages {
        let (system, rest): (Vec<Value>, Vec<Value>) = messages.into_iter().partition(|m| m["role"] == "system");
        out.push(KeyValue::new("gen_ai.input.messages", Value::Array(rest.iter().map(semconv_message).collect()).to_string()));
        if !system.is_empty() {
            let parts: Vec<Value> = system.iter().flat_map(|m| semconv_message(m)["parts"].as_array().cloned().unwrap_or_default()).collect();
            out.push(KeyValue::new("gen_ai.system_instructions", Value::Array(parts).to_string()));
        }
    }
    if let Some(instructions) = text(&body["instructions"]) {
        out.push(KeyValue::new("gen_ai.system_instructions", serde_json::json!([{"type": "text", "content": instructions}]).to_string()));
    }
    if let Value::Array(tools) = &body["tools"] {
        out.push(KeyValue::new("gen_ai.tool.definitions", Value::Array(tools.clone()).to_string()));
    }
}

/// A chat message as the conventions write it: `{"role", "parts": [{"type": "text",
/// "content"}, {"type": "tool_call", …}]}`.
fn semconv_message(m: &Value) -> Value {
    let mut parts = Vec::new();
    match &m["content"] {
        Value::String(s) => parts.push(serde_json::json!({"type": "text", "content": s})),
        Value::Array(chunks) => {
            for c in chunks {
                if let Some(t) = c["text"].as_str() {
                    parts.push(serde_json::json!({"type": "text", "content": t}));
                }
            }
        }
        _ => {}
    }
    if let Value::Array(calls) = &m["tool_calls"] {
        for c in calls {
            parts.push(
                serde_json::json!({"type": "tool_call", "id": c["id"], "name": c["function"]["name"], "arguments": c["function"]["arguments"]}),
            );
        }
    }
    if m["role"] == "tool" {
        parts = vec![serde_json::json!({"type": "tool_call_response", "id": m["tool_call_id"], "response": m["content"]})];
    }
    serde_json::json!({"role": m["role"].as_str().unwrap_or("user"), "parts": parts})
}

/// The conversation id in a conversation call's path (`/v1/conversations/{conversation_id}…`).
fn conversation_id_of_path(call: &CallInfo) -> Option<String> {
    let template: Vec<&str> = call.path_template.split('/').collect();
    let at = template.iter().position(|s| *s == "{conversation_id}")?;
    call.path.split('/').nth(at).map(str::to_string)
}

/// What a streamed answer's events add up to.
#[derive(Default)]
struct Assembled {
    id: Option<String>,
    model: Option<String>,
    finish_reasons: Vec<String>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    conversation_id: Option<String>,
    text: String,
}

impl Assembled {
    /// Reads a JSON body or event: ids, model, finish reasons, usage, a conversation id.
    fn read(&mut self, v: &Value, op: Option<&str>, capture: bool) {
        if op != Some("create_agent") {
            self.id = self.id.take().or_else(|| text(&v["id"]));
        }
        self.model = self.model.take().or_else(|| text(&v["model"]));
        if let Value::Array(choices) = &v["choices"] {
            for c in choices {
                if let Some(r) = c["finish_reason"].as_str() {
                    self.finish_reasons.push(r.to_string());
                }
                if capture {
                    for content in [&c["delta"]["content"], &c["message"]["content"]] {
                        if let Some(t) = content.as_str() {
                            self.text.push_str(t);
                        }
                    }
                }
            }
        }
        let usage = if v["usage"].is_object() { &v["usage"] } else { &v["usage_info"] };
        if let Some(n) = usage["prompt_tokens"].as_i64() {
            self.input_tokens = Some(n);
        }
        if let Some(n) = usage["completion_tokens"].as_i64() {
            self.output_tokens = Some(n);
        }
        if let Some(c) = text(&v["conversation_id"]) {
            self.conversation_id = Some(c);
        }
        if let (true, Value::Array(outputs)) = (capture, &v["outputs"]) {
            for o in outputs {
                if let Some(t) = o["content"].as_str() {
                    self.text.push_str(t);
                }
            }
        }
    }
}

struct Observer {
    otel: Otel,
    cx: Context,
    op: Option<&'static str>,
    model: Option<String>,
    started: Instant,
    first_chunk: Option<Duration>,
    server: Option<(String, i64)>,
    attempts: u32,
    status: Option<u16>,
    stream: Assembled,
}

impl Observer {
    fn metric_attributes(&self, error: Option<&str>) -> Vec<KeyValue> {
        let mut a = Vec::new();
        if let Some(op) = self.op {
            a.push(KeyValue::new("gen_ai.operation.name", op));
            a.push(KeyValue::new("gen_ai.provider.name", "mistral_ai"));
        }
        if let Some(m) = &self.model {
            a.push(KeyValue::new("gen_ai.request.model", m.clone()));
        }
        if let Some(m) = &self.stream.model {
            a.push(KeyValue::new("gen_ai.response.model", m.clone()));
        }
        if let Some((host, port)) = &self.server {
            a.push(KeyValue::new("server.address", host.clone()));
            a.push(KeyValue::new("server.port", *port));
        }
        if let Some(e) = error {
            a.push(KeyValue::new("error.type", e.to_string()));
        }
        a
    }

    /// Sets the response attributes, records the metrics and ends the span.
    fn finish(&mut self, error: Option<&crate::Error>, dropped: bool) {
        let span = self.cx.span();
        let got = &self.stream;
        if let Some(id) = &got.id {
            span.set_attribute(KeyValue::new("gen_ai.response.id", id.clone()));
        }
        if let Some(m) = &got.model {
            span.set_attribute(KeyValue::new("gen_ai.response.model", m.clone()));
        }
        if !got.finish_reasons.is_empty() {
            let reasons: Vec<opentelemetry::StringValue> = got.finish_reasons.iter().map(|r| r.clone().into()).collect();
            span.set_attribute(KeyValue::new("gen_ai.response.finish_reasons", opentelemetry::Value::Array(reasons.into())));
        }
        if let Some(n) = got.input_tokens {
            span.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", n));
        }
        if let Some(n) = got.output_tokens {
            span.set_attribute(KeyValue::new("gen_ai.usage.output_tokens", n));
        }
        if let Some(c) = &got.conversation_id {
            span.set_attribute(KeyValue::new("gen_ai.conversation.id", c.clone()));
        }
        if self.otel.capture_content && !got.text.is_empty() {
            let out = serde_json::json!([{"role": "assistant", "parts": [{"type": "text", "content": got.text}]}]);
            span.set_attribute(KeyValue::new("gen_ai.output.messages", out.to_string()));
        }
        if let Some(s) = self.status {
            span.set_attribute(KeyValue::new("http.response.status_code", s as i64));
        }
        if self.attempts > 1 {
            span.set_attribute(KeyValue::new("http.request.resend_count", (self.attempts - 1) as i64));
        }
        if dropped {
            span.add_event("the stream was dropped before its end", Vec::new());
        }
        let error_type = error.map(error_type);
        if let (Some(e), Some(t)) = (error, &error_type) {
            span.set_attribute(KeyValue::new("error.type", t.clone()));
            if let Some(code) = e.api_error().and_then(|a| a.service.as_ref()).and_then(|s| s.code.clone()) {
                span.set_attribute(KeyValue::new("mistral_ai.error.code", code));
            }
            span.add_event("exception", vec![KeyValue::new("exception.type", t.clone()), KeyValue::new("exception.message", e.to_string())]);
            span.set_status(Status::error(e.to_string()));
        }
        // Metrics for GenAI operations only.
        if self.op.is_some() {
            let attrs = self.metric_attributes(error_type.as_deref());
            self.otel.inner.duration.record(self.started.elapsed().as_secs_f64(), &attrs);
            for (kind, n) in [("input", got.input_tokens), ("output", got.output_tokens)] {
                if let Some(n) = n.and_then(|n| u64::try_from(n).ok()) {
                    let mut a = attrs.clone();
                    a.push(KeyValue::new("gen_ai.token.type", kind));
                    self.otel.inner.tokens.record(n, &a);
                }
            }
            if let Some(d) = self.first_chunk {
                self.otel.inner.first_chunk.record(d.as_secs_f64(), &attrs);
            }
        }
        span.end();
    }
}

impl Observer {
    /// A conversation's server-side work as child spans with the entries' own times: each
    /// `tool.execution` as `execute_tool {name}` (type `extension`), each `message.output` as
    /// `chat {model}`, as the official SDK reports them.
    fn conversation_children(&self, outputs: &[Value]) {
        let tracer = &self.otel.inner.tracer;
        for o in outputs {
            let (Some(start), Some(end)) = (o["created_at"].as_str().and_then(rfc3339), o["completed_at"].as_str().and_then(rfc3339)) else {
                continue;
            };
            let mut attributes = vec![KeyValue::new("gen_ai.provider.name", "mistral_ai")];
            let name = match o["type"].as_str() {
                Some("tool.execution") => {
                    let tool = text(&o["name"]).unwrap_or_default();
                    attributes.push(KeyValue::new("gen_ai.operation.name", "execute_tool"));
                    attributes.push(KeyValue::new("gen_ai.tool.name", tool.clone()));
                    attributes.push(KeyValue::new("gen_ai.tool.type", "extension"));
                    if let Some(id) = text(&o["id"]) {
                        attributes.push(KeyValue::new("gen_ai.tool.call.id", id));
                    }
                    if self.otel.capture_content {
                        for (field, key) in [("arguments", "gen_ai.tool.call.arguments"), ("info", "gen_ai.tool.call.result")] {
                            match &o[field] {
                                Value::Null => {}
                                Value::String(t) => attributes.push(KeyValue::new(key, t.clone())),
                                other => attributes.push(KeyValue::new(key, other.to_string())),
                            }
                        }
                    }
                    format!("execute_tool {tool}")
                }
                Some("message.output") => {
                    attributes.push(KeyValue::new("gen_ai.operation.name", "chat"));
                    for (field, key) in [("id", "gen_ai.response.id"), ("model", "gen_ai.response.model"), ("agent_id", "gen_ai.agent.id")] {
                        if let Some(t) = text(&o[field]) {
                            attributes.push(KeyValue::new(key, t));
                        }
                    }
                    if self.otel.capture_content {
                        let out = serde_json::json!([semconv_message(&serde_json::json!({"role": "assistant", "content": o["content"]}))]);
                        attributes.push(KeyValue::new("gen_ai.output.messages", out.to_string()));
                    }
                    match text(&o["model"]) {
                        Some(m) => format!("chat {m}"),
                        None => "chat".to_string(),
                    }
                }
                _ => continue,
            };
            let mut span = tracer
                .span_builder(name)
                .with_kind(SpanKind::Internal)
                .with_start_time(start)
                .with_attributes(attributes)
                .start_with_context(tracer, &self.cx);
            opentelemetry::trace::Span::end_with_timestamp(&mut span, end);
        }
    }
}

/// An RFC 3339 time (`2025-06-10T12:00:00.123456Z`, `…+02:00`) as a `SystemTime`.
fn rfc3339(t: &str) -> Option<std::time::SystemTime> {
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> { t.get(r)?.parse().ok() };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let (y, mo, d, h, mi, s) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &t[19..];
    let mut nanos = 0i64;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        let padded = format!("{:0<9}", &frac[..digits.min(9)]);
        nanos = padded.parse().ok()?;
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            sign * (o[1..3].parse::<i64>().ok()? * 3600 + o[4..6].parse::<i64>().ok()? * 60)
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, mo) = if mo <= 2 { (y - 1, mo + 9) } else { (y, mo - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + h * 3600 + mi * 60 + s - offset;
    let since = Duration::new(u64::try_from(secs).ok()?, nanos as u32);
    Some(std::time::UNIX_EPOCH + since)
}

/// `error.type`: the status code of an HTTP error, else the kind of failure.
fn error_type(e: &crate::Error) -> String {
    use crate::Error as E;
    if let Some(s) = e.status() {
        return s.as_u16().to_string();
    }
    match e {
        E::Timeout { .. } => "timeout",
        E::Connection { .. } => "connection",
        E::Stream { .. } => "stream",
        E::Decode(_) => "decode",
        E::TooLarge { .. } => "too_large",
        E::Config(_) | E::MissingSetting { .. } => "config",
        _ => "_OTHER",
    }
    .to_string()
}

impl CallObserver for Observer {
    fn before_attempt<'a>(&'a mut self, attempt: u32, request: &'a mut reqwest::Request) -> futures::future::BoxFuture<'a, Result<(), crate::Error>> {
        self.attempts = attempt;
        if self.server.is_none() {
            let url = request.url();
            if let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) {
                self.server = Some((host.to_string(), port as i64));
                let span = self.cx.span();
                span.set_attribute(KeyValue::new("server.address", host.to_string()));
                span.set_attribute(KeyValue::new("server.port", port as i64));
            }
        }
        // The call span's context on every attempt, unless the request already has one.
        let sc = self.cx.span().span_context().clone();
        if sc.is_valid() && !request.headers().contains_key("traceparent") {
            let value = format!("00-{:032x}-{:016x}-{:02x}", sc.trace_id(), sc.span_id(), sc.trace_flags().to_u8());
            if let Ok(v) = value.parse() {
                request.headers_mut().insert("traceparent", v);
            }
            let state = sc.trace_state().header();
            match state.parse() {
                Ok(v) if !state.is_empty() => {
                    request.headers_mut().insert("tracestate", v);
                }
                _ => {}
            }
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn after_attempt(&mut self, _attempt: u32, result: AttemptResult<'_>) {
        if let AttemptResult::Response { status, .. } = result {
            self.status = Some(status.as_u16());
        }
    }

    fn event(&mut self, event: &crate::RawEvent) {
        if self.first_chunk.is_none() {
            self.first_chunk = Some(self.started.elapsed());
        }
        if let Ok(v) = serde_json::from_str::<Value>(&event.data) {
            let capture = self.otel.capture_content;
            self.stream.read(&v, self.op, capture);
            // Conversation events: the text deltas (their usage comes with `…response.done`).
            if let (true, Some(t)) = (capture, v["content"].as_str()) {
                self.stream.text.push_str(t);
            }
        }
    }

    fn end(mut self: Box<Self>, end: CallEnd<'_>) {
        match end {
            CallEnd::Response { body, .. } => {
                if let Some(v) = body.and_then(|b| serde_json::from_slice::<Value>(b).ok()) {
                    let capture = self.otel.capture_content;
                    self.stream.read(&v, self.op, capture);
                    if let Value::Array(outputs) = &v["outputs"] {
                        self.conversation_children(outputs);
                    }
                }
                self.finish(None, false);
            }
            CallEnd::StreamComplete => self.finish(None, false),
            CallEnd::StreamDropped => self.finish(None, true),
            CallEnd::Error(e) => self.finish(Some(e), false),
        }
    }
}
