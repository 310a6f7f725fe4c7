//@ needs otel
//! Export to Mistral's observability, as the official SDKs do (feature `otel-export`):
//! `MISTRAL_SDK_TELEMETRY=dedicated` sends the client's spans over OTLP/HTTP (protobuf) to
//! `{server}/telemetry/v1/traces` with the client's key as a bearer token (or to
//! `MISTRAL_OTLP_TRACES_ENDPOINT`), through a tracer provider the SDK owns, with secrets and
//! personal data redacted from every span before it leaves the process;
//! `MISTRAL_SDK_TELEMETRY=global` traces through the application's global OpenTelemetry
//! providers (the application owns the export, and its redaction); unset, empty or `false`:
//! off. Any other value is an [`Error::Config`] naming the variable.
//!
//! ```no_run
//! # fn main() -> mistral_sdk::Result<()> {
//! use mistral_sdk::telemetry::Telemetry;
//!
//! let (client, telemetry) = Telemetry::from_env(mistral_sdk::Client::from_env()?)?;
//! // … calls through `client` …
//! telemetry.shutdown(); // flushes the spans not yet sent (dropping it does too)
//! # Ok(()) }
//! ```
//!
//! Unlike the official SDKs, building a [`Client`] never reads `MISTRAL_SDK_TELEMETRY` by
//! itself: a library does not start exporting because of the environment unless the
//! application asks, so the application calls [`Telemetry::from_env`] (or
//! [`TelemetryConfig::apply`]) once and keeps the returned [`Telemetry`] alive.
//!
//! **Redaction** follows the TypeScript SDK's policies: by default [`PatternRedaction`] scans
//! every string value (span name, attributes, event and link attributes, status description,
//! resource) and replaces API tokens (bearer tokens, `sk-…`, GitHub, Slack, AWS, Google, JWTs,
//! private keys, webhook URLs, …), e-mail addresses, card-like numbers and IPv4 addresses with
//! `[REDACTED]`; [`AttributeRedaction`] removes the values of sensitive keys whole (contents,
//! messages, URLs, …) and scans the rest for tokens; [`CallbackRedaction`] is yours.
//! [`RedactingExporter`] applies a policy to any exporter, for the `global` mode's pipeline.

use crate::otel::Otel;
use crate::{Client, Error};
use opentelemetry::{Key, KeyValue, StringValue, Value};
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use regex::Regex;
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The variable that switches telemetry on.
pub const TELEMETRY_ENV: &str = "MISTRAL_SDK_TELEMETRY";
/// The variable that overrides where the dedicated exporter sends spans.
pub const OTLP_TRACES_ENDPOINT_ENV: &str = "MISTRAL_OTLP_TRACES_ENDPOINT";
/// The path of Mistral's trace intake under the client's server.
pub const TRACES_PATH: &str = "/telemetry/v1/traces";
/// `service.name` of the dedicated provider's resource (the official SDKs' name).
pub const SERVICE_NAME: &str = "mistralai_sdk";
/// What a redacted value or match becomes.
pub const REDACTED: &str = "[REDACTED]";

/// Where spans go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TelemetryMode {
    /// A tracer provider the SDK owns, exporting to Mistral (redacted).
    Dedicated,
    /// The application's global OpenTelemetry providers.
    Global,
}

impl TelemetryMode {
    /// `dedicated`, `global` (any case, spaces trimmed); `false` or empty: off (`None`).
    pub fn parse(value: &str) -> Result<Option<TelemetryMode>, Error> {
        match value.trim().to_ascii_lowercase().as_str() {
            "dedicated" => Ok(Some(TelemetryMode::Dedicated)),
            "global" => Ok(Some(TelemetryMode::Global)),
            "" | "false" => Ok(None),
            _ => Err(Error::Config(format!("invalid telemetry setting `{value}`: expected one of dedicated, global, false"))),
        }
    }

    /// The mode `MISTRAL_SDK_TELEMETRY` asks for (`None`: unset or off); an unknown value is an
    /// error naming the variable.
    pub fn from_env() -> Result<Option<TelemetryMode>, Error> {
        match std::env::var(TELEMETRY_ENV) {
            Ok(v) => TelemetryMode::parse(&v)
                .map_err(|_| Error::Config(format!("{TELEMETRY_ENV}=`{v}` is not a telemetry setting: expected one of dedicated, global, false"))),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(Error::Config(format!("{TELEMETRY_ENV} is not valid UTF-8"))),
        }
    }
}

/// How telemetry is set up: a mode, the redaction of the dedicated exporter, and whether
/// message contents are recorded.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    mode: TelemetryMode,
    redaction: Option<Arc<dyn RedactionPolicy>>,
    capture_content: bool,
    endpoint: Option<String>,
}

impl TelemetryConfig {
    /// This mode, redacted with [`PatternRedaction::new`], no message contents.
    pub fn new(mode: TelemetryMode) -> Self {
        TelemetryConfig { mode, redaction: Some(Arc::new(PatternRedaction::new())), capture_content: false, endpoint: None }
    }

    /// The configuration `MISTRAL_SDK_TELEMETRY` asks for (`None`: off), with
    /// `MISTRAL_OTLP_TRACES_ENDPOINT` as the endpoint when set.
    pub fn from_env() -> Result<Option<Self>, Error> {
        let endpoint = std::env::var(OTLP_TRACES_ENDPOINT_ENV).ok().map(|e| e.trim().to_string()).filter(|e| !e.is_empty());
        Ok(TelemetryMode::from_env()?.map(|mode| TelemetryConfig { endpoint, ..TelemetryConfig::new(mode) }))
    }

    /// The dedicated exporter's redaction policy (the `global` mode leaves redaction to the
    /// application's pipeline: wrap its exporter in [`RedactingExporter`]).
    pub fn redaction(mut self, policy: impl RedactionPolicy) -> Self {
        self.redaction = Some(Arc::new(policy));
        self
    }

    /// No redaction at all.
    pub fn no_redaction(mut self) -> Self {
        self.redaction = None;
        self
    }

    /// Also record message contents, tool definitions and system instructions (see
    /// [`Otel::capture_content`]); redaction still applies to them.
    pub fn capture_content(mut self, on: bool) -> Self {
        self.capture_content = on;
        self
    }

    /// Where the dedicated exporter sends spans (default: `{server}/telemetry/v1/traces`).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// `client` with the tracing middleware added, and the handle that owns the export.
    /// `dedicated` needs the client to hold a Mistral API key and to run inside nothing in
    /// particular: the export has a thread of its own.
    pub fn apply(self, client: Client) -> Result<(Client, Telemetry), Error> {
        match self.mode {
            TelemetryMode::Global => {
                let client = client.with_middleware(Otel::new().capture_content(self.capture_content));
                Ok((client, Telemetry { mode: Some(TelemetryMode::Global), provider: None, worker: None }))
            }
            TelemetryMode::Dedicated => {
                let bearer = client.inner.provider.bearer().ok_or_else(|| {
                    Error::Config(format!(
                        "dedicated telemetry sends the client's API key to Mistral and this client (provider `{}`) has none",
                        client.provider_name()
                    ))
                })?;
                let bearer = bearer.to_str().map_err(|_| Error::Config("the API key is not visible ASCII".into()))?.to_string();
                let endpoint = match self.endpoint {
                    Some(e) => e,
                    None => format!("{}{TRACES_PATH}", client.base_url().trim_end_matches('/')),
                };
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(Error::Config(format!("telemetry endpoint `{endpoint}` is not an http(s) URL")));
                }
                let worker = Worker::start()?;
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .map_err(|e| Error::Config(format!("building the telemetry HTTP client: {e}")))?;
                let exporter = opentelemetry_otlp::SpanExporter::builder()
                    .with_http()
                    .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                    .with_endpoint(endpoint.as_str())
                    .with_headers([("Authorization".to_string(), bearer)].into_iter().collect())
                    .with_http_client(ExportClient { http, runtime: worker.handle.clone() })
                    .build()
                    .map_err(|e| Error::Config(format!("telemetry exporter for `{endpoint}`: {e}")))?;
                let resource = Resource::builder().with_service_name(SERVICE_NAME).build();
                let builder = SdkTracerProvider::builder().with_resource(resource);
                let provider = match self.redaction {
                    Some(policy) => builder.with_batch_exporter(RedactingExporter { inner: exporter, policy }).build(),
                    None => builder.with_batch_exporter(exporter).build(),
                };
                let otel = Otel::with_providers(&provider, &*opentelemetry::global::meter_provider()).capture_content(self.capture_content);
                let client = client.with_middleware(otel);
                Ok((client, Telemetry { mode: Some(TelemetryMode::Dedicated), provider: Some(provider), worker: Some(worker) }))
            }
        }
    }
}

/// The telemetry a client was set up with: keep it alive while the client is used; shutting
/// it down (or dropping it) sends the spans not yet exported.
#[derive(Debug)]
pub struct Telemetry {
    mode: Option<TelemetryMode>,
    provider: Option<SdkTracerProvider>,
    worker: Option<Worker>,
}

impl Telemetry {
    /// `client` set up as `MISTRAL_SDK_TELEMETRY` asks (unchanged when it is off), and the
    /// handle of its export.
    pub fn from_env(client: Client) -> Result<(Client, Telemetry), Error> {
        match TelemetryConfig::from_env()? {
            Some(config) => config.apply(client),
            None => Ok((client, Telemetry { mode: None, provider: None, worker: None })),
        }
    }

    /// The mode in use (`None`: off).
    pub fn mode(&self) -> Option<TelemetryMode> {
        self.mode
    }

    /// The dedicated mode's tracer provider, for spans of your own that should go the same way.
    pub fn tracer_provider(&self) -> Option<&SdkTracerProvider> {
        self.provider.as_ref()
    }

    /// Sends the finished spans now (they go in batches otherwise).
    pub fn force_flush(&self) -> Result<(), Error> {
        match &self.provider {
            Some(p) => p.force_flush().map_err(|e| Error::Config(format!("flushing telemetry: {e}"))),
            None => Ok(()),
        }
    }

    /// Sends what is left and stops the export.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(p) = self.provider.take() {
            // Nothing to report to: tracing never fails the application.
            let _ = p.shutdown();
        }
        if let Some(mut w) = self.worker.take() {
            w.stop();
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The export's own thread and runtime: the batch processor exports from a thread of its own
/// with no async runtime, and a span may end in any runtime (or none); the HTTP calls run
/// here, so neither matters.
#[derive(Debug)]
struct Worker {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    fn start() -> Result<Worker, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Config(format!("starting the telemetry runtime: {e}")))?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("mistral-telemetry".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let _ = stopped.await;
                })
            })
            .map_err(|e| Error::Config(format!("starting the telemetry thread: {e}")))?;
        Ok(Worker { handle, stop: Some(stop), thread: Some(thread) })
    }

    fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            // Not from the worker itself (an export can't drop the last handle).
            if t.thread().id() != std::thread::current().id() {
                let _ = t.join();
            }
        }
    }
}

/// OTLP over the SDK's own HTTP stack (reqwest with rustls), run on the export thread.
#[derive(Debug)]
struct ExportClient {
    http: reqwest::Client,
    runtime: tokio::runtime::Handle,
}

impl HttpClient for ExportClient {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        let http = self.http.clone();
        let runtime = self.runtime.clone();
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)?;
            let sent = runtime.spawn(async move {
                let response = http.execute(request).await?;
                let status = response.status();
                let headers = response.headers().clone();
                let body = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, headers, body))
            });
            let (status, headers, body) = sent.await??;
            let mut response = Response::builder().status(status).body(body)?;
            *response.headers_mut() = headers;
            Ok(response)
        })
    }
}

/// Removes secrets and personal data from a span before it is exported (the TypeScript SDK's
/// `RedactionPolicy`).
pub trait RedactionPolicy: Send + Sync + std::fmt::Debug + 'static {
    /// The attributes to export in place of these (a value may be masked or left out).
    fn redact_attributes(&self, attributes: Vec<KeyValue>) -> Vec<KeyValue>;
    /// The span name to export.
    fn redact_span_name(&self, name: Cow<'static, str>) -> Cow<'static, str> {
        name
    }
    /// The error status description to export.
    fn redact_status_description(&self, description: Cow<'static, str>) -> Cow<'static, str> {
        description
    }
}

/// The patterns of API tokens and secrets (the TypeScript SDK's `DEFAULT_TOKEN_PATTERNS`).
const TOKEN_PATTERNS: &[&str] = &[
    r"(?i)bearer\s+[a-z0-9._-]+",
    r"\bgh[pousr]_[A-Za-z0-9_]{20,}\b",
    r"\bxox[baprs]-[A-Za-z0-9-]{10,}\b",
    r"\bsk-[A-Za-z0-9]{20,}\b",
    r"\bAKIA[0-9A-Z]{16}\b",
    r"\bAIza[0-9A-Za-z_-]{35}\b",
    r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\b",
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{10,}\b",
    r"\bsk-ant-[A-Za-z0-9\-_]{20,}\b",
    r"\bsk-proj-[A-Za-z0-9\-_]{20,}\b",
    r"\bhf_[A-Za-z0-9]{30,}\b",
    r"\bgithub_pat_[A-Za-z0-9_]{22,}\b",
    r"\bglpat-[A-Za-z0-9\-=_]{20,22}\b",
    r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
    r"\bsq0(?:atp|csp|idp)-[0-9A-Za-z\-_]{22,43}\b",
    r"\bPMAK-[a-zA-Z0-9]{24,59}\b",
    r"\bphc_[a-zA-Z0-9_]{43}\b",
    r"\brubygems_[a-f0-9]{48}\b",
    r"\blin_api_[0-9A-Za-z]{40}\b",
    r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9\-_]{50,}",
    r"\bsecret_[A-Za-z0-9]{43}\b",
    r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9]{60,}",
    r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
    r"\bpk_(?:live|test)_[0-9a-zA-Z]{24}\b",
    r"https://hooks\.slack\.com/services/[A-Za-z0-9/+]{40,}",
    r"https://discord(?:app)?\.com/api/webhooks/[0-9]{17,}/[A-Za-z0-9\-_]{60,}",
    r"https://hooks\.zapier\.com/hooks/catch/[A-Za-z0-9/]{16,}",
];

/// Personal data: e-mail addresses, card-like numbers (13 to 16 digits, spaces or dashes
/// between them; the TypeScript SDK's pattern also takes the separator after the last digit,
/// joining the next word to the mask), IPv4 addresses.
const PII_PATTERNS: &[&str] = &[
    r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
    r"\b(?:\d[ -]?){12,15}\d\b",
    r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
];

fn compiled(patterns: &[&str]) -> Vec<Regex> {
    patterns.iter().map(|p| Regex::new(p).expect("a built-in redaction pattern")).collect()
}

/// The token patterns, compiled once.
fn token_patterns() -> &'static [Regex] {
    static TOKENS: OnceLock<Vec<Regex>> = OnceLock::new();
    TOKENS.get_or_init(|| compiled(TOKEN_PATTERNS))
}

/// The token and personal-data patterns, compiled once.
fn default_patterns() -> &'static [Regex] {
    static ALL: OnceLock<Vec<Regex>> = OnceLock::new();
    ALL.get_or_init(|| compiled(&[TOKEN_PATTERNS, PII_PATTERNS].concat()))
}

/// Replaces every match of the patterns in `text` (`None`: nothing matched).
fn scrub(text: &str, patterns: &[Regex], replacement: &str) -> Option<String> {
    let mut out: Option<String> = None;
    for p in patterns {
        let current = out.as_deref().unwrap_or(text);
        if let Cow::Owned(replaced) = p.replace_all(current, regex::NoExpand(replacement)) {
            out = Some(replaced);
        }
    }
    out
}

fn scrub_value(value: Value, patterns: &[Regex], replacement: &str) -> Value {
    match value {
        Value::String(s) => match scrub(s.as_str(), patterns, replacement) {
            Some(r) => Value::String(r.into()),
            None => Value::String(s),
        },
        Value::Array(opentelemetry::Array::String(items)) => Value::Array(opentelemetry::Array::String(
            items
                .into_iter()
                .map(|s| match scrub(s.as_str(), patterns, replacement) {
                    Some(r) => StringValue::from(r),
                    None => s,
                })
                .collect(),
        )),
        other => other,
    }
}

fn scrub_cow(text: Cow<'static, str>, patterns: &[Regex], replacement: &str) -> Cow<'static, str> {
    match scrub(&text, patterns, replacement) {
        Some(r) => Cow::Owned(r),
        None => text,
    }
}

/// The default policy: keys and structure stay, matches of the patterns in every string value
/// (and the span name and status description) become `[REDACTED]`. Keeps the most of a
/// span's value; may miss free-form personal data the patterns do not describe.
#[derive(Debug, Clone)]
pub struct PatternRedaction {
    patterns: Option<Arc<Vec<Regex>>>,
    replacement: String,
}

impl Default for PatternRedaction {
    fn default() -> Self {
        Self::new()
    }
}

impl PatternRedaction {
    /// API tokens and secrets, e-mail addresses, card-like numbers, IPv4 addresses.
    pub fn new() -> Self {
        PatternRedaction { patterns: None, replacement: REDACTED.to_string() }
    }

    /// These patterns instead.
    pub fn with_patterns(patterns: Vec<Regex>) -> Self {
        PatternRedaction { patterns: Some(Arc::new(patterns)), replacement: REDACTED.to_string() }
    }

    /// What a match becomes (default `[REDACTED]`).
    pub fn replacement(mut self, text: impl Into<String>) -> Self {
        self.replacement = text.into();
        self
    }

    fn patterns(&self) -> &[Regex] {
        self.patterns.as_deref().map_or(default_patterns(), Vec::as_slice)
    }
}

impl RedactionPolicy for PatternRedaction {
    fn redact_attributes(&self, attributes: Vec<KeyValue>) -> Vec<KeyValue> {
        attributes.into_iter().map(|kv| KeyValue::new(kv.key, scrub_value(kv.value, self.patterns(), &self.replacement))).collect()
    }

    fn redact_span_name(&self, name: Cow<'static, str>) -> Cow<'static, str> {
        scrub_cow(name, self.patterns(), &self.replacement)
    }

    fn redact_status_description(&self, description: Cow<'static, str>) -> Cow<'static, str> {
        scrub_cow(description, self.patterns(), &self.replacement)
    }
}

/// Keys whose values are removed whole by [`AttributeRedaction`].
pub const SENSITIVE_KEYS: &[&str] = &[
    "client.address",
    "db.query.text",
    "db.statement",
    "exception.message",
    "exception.stacktrace",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.tool.definitions",
    "gen_ai.tool.call.arguments",
    "gen_ai.tool.call.result",
    "http.request.body",
    "http.request.header.authorization",
    "http.request.header.cookie",
    "http.response.body",
    "http.response.header.set-cookie",
    "http.target",
    "http.url",
    "server.address",
    "url.full",
    "url.path",
    "url.query",
];

/// Words in a key that make [`AttributeRedaction`] remove its value.
pub const SENSITIVE_FRAGMENTS: &[&str] = &[
    "api_key",
    "argument",
    "arguments",
    "authorization",
    "body",
    "completion",
    "content",
    "cookie",
    "input",
    "message",
    "messages",
    "output",
    "password",
    "payload",
    "prompt",
    "secret",
    "set_cookie",
    "token",
];

/// Keys [`AttributeRedaction`] always keeps (token patterns still apply to their values).
pub const SAFE_KEYS: &[&str] = &[
    "agent.trace.public",
    "client.port",
    "error.type",
    "exception.type",
    "gen_ai.agent.name",
    "gen_ai.conversation.id",
    "gen_ai.operation.name",
    "gen_ai.provider.name",
    "gen_ai.request.model",
    "gen_ai.response.finish_reasons",
    "gen_ai.response.id",
    "gen_ai.response.model",
    "gen_ai.tool.call.id",
    "gen_ai.tool.name",
    "gen_ai.tool.type",
    "http.request.method",
    "http.response.status_code",
    "network.protocol.name",
    "network.protocol.version",
    "server.port",
    "url.scheme",
];

/// The key-oriented policy ("safe by default", at the cost of most contents): a value is
/// replaced whole when its key is sensitive (listed, or holding a sensitive word) or it is not
/// a single string, number or boolean, unless the key is safe (listed, or `gen_ai.usage.…`);
/// token patterns scrub what is kept. The status description is replaced whole.
#[derive(Debug, Clone)]
pub struct AttributeRedaction {
    redact_non_primitive: bool,
    replacement: String,
}

impl Default for AttributeRedaction {
    fn default() -> Self {
        AttributeRedaction { redact_non_primitive: true, replacement: REDACTED.to_string() }
    }
}

impl AttributeRedaction {
    /// The lists above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keep arrays whose keys are not sensitive (default: replaced).
    pub fn keep_arrays(mut self) -> Self {
        self.redact_non_primitive = false;
        self
    }

    fn sensitive(&self, key: &str, value: &Value) -> bool {
        let key = key.to_ascii_lowercase();
        if SAFE_KEYS.contains(&key.as_str()) || key.starts_with("gen_ai.usage.") {
            return false;
        }
        if SENSITIVE_KEYS.contains(&key.as_str()) {
            return true;
        }
        let words = key.replace(['-', '.'], "_");
        if SENSITIVE_FRAGMENTS.iter().any(|f| words.split('_').any(|w| w == *f) || words.contains(f)) {
            return true;
        }
        self.redact_non_primitive && matches!(value, Value::Array(_))
    }
}

impl RedactionPolicy for AttributeRedaction {
    fn redact_attributes(&self, attributes: Vec<KeyValue>) -> Vec<KeyValue> {
        attributes
            .into_iter()
            .map(|kv| {
                if self.sensitive(kv.key.as_str(), &kv.value) {
                    KeyValue::new(kv.key, self.replacement.clone())
                } else {
                    KeyValue::new(kv.key, scrub_value(kv.value, token_patterns(), &self.replacement))
                }
            })
            .collect()
    }

    fn redact_status_description(&self, description: Cow<'static, str>) -> Cow<'static, str> {
        if description.is_empty() {
            description
        } else {
            Cow::Owned(self.replacement.clone())
        }
    }
}

/// Your function per attribute: the value to keep (masked or not), or `None` to leave the
/// attribute out. Span names and status descriptions are kept.
pub struct CallbackRedaction<F>(pub F);

impl<F> std::fmt::Debug for CallbackRedaction<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallbackRedaction(..)")
    }
}

impl<F> RedactionPolicy for CallbackRedaction<F>
where
    F: Fn(&Key, Value) -> Option<Value> + Send + Sync + 'static,
{
    fn redact_attributes(&self, attributes: Vec<KeyValue>) -> Vec<KeyValue> {
        attributes.into_iter().filter_map(|kv| (self.0)(&kv.key, kv.value).map(|v| KeyValue::new(kv.key, v))).collect()
    }
}

/// An exporter that applies a [`RedactionPolicy`] to every span (name, attributes, events',
/// links' attributes, status description) and to the resource before `inner` sees them.
#[derive(Debug)]
pub struct RedactingExporter<E> {
    inner: E,
    policy: Arc<dyn RedactionPolicy>,
}

impl<E: SpanExporter> RedactingExporter<E> {
    /// `inner` behind `policy`.
    pub fn new(inner: E, policy: impl RedactionPolicy) -> Self {
        RedactingExporter { inner, policy: Arc::new(policy) }
    }

    fn redact(&self, mut span: SpanData) -> SpanData {
        let p = &self.policy;
        span.name = p.redact_span_name(span.name);
        span.attributes = p.redact_attributes(std::mem::take(&mut span.attributes));
        for event in &mut span.events.events {
            event.attributes = p.redact_attributes(std::mem::take(&mut event.attributes));
        }
        for link in &mut span.links.links {
            link.attributes = p.redact_attributes(std::mem::take(&mut link.attributes));
        }
        if let opentelemetry::trace::Status::Error { description } = &mut span.status {
            *description = p.redact_status_description(std::mem::take(description));
        }
        span
    }
}

impl<E: SpanExporter> SpanExporter for RedactingExporter<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let batch: Vec<SpanData> = batch.into_iter().map(|s| self.redact(s)).collect();
        self.inner.export(batch)
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        let attributes: Vec<KeyValue> = resource.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect();
        let mut redacted = Resource::builder_empty().with_attributes(self.policy.redact_attributes(attributes));
        if let Some(url) = resource.schema_url() {
            redacted = redacted.with_schema_url(Vec::<KeyValue>::new(), url.to_string());
        }
        self.inner.set_resource(&redacted.build());
    }
}
