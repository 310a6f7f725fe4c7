//! Structured outputs: completions whose content is JSON of a Rust type.
//!
//! `client.chat().parse::<T>(request)` (and `client.agents().parse`) sets the request's
//! `response_format` to a strict JSON schema made from `T` ([`response_format`]), sends it, and
//! decodes each choice's content into `T`. Content that does not decode is
//! [`Error::Parse`], which keeps the text. `parse_stream` streams the text
//! as it comes and gives the decoded values at the end.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
//!
//! #[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
//! struct City {
//!     name: String,
//!     country: String,
//!     population: Option<u64>,
//! }
//!
//! let request = ChatCompletionRequest::new("mistral-small-latest", vec![Message::from(UserMessage::new("The largest city of France?"))]);
//! let parsed = client.chat().parse::<City>(request).await?;
//! println!("{} ({})", parsed.value().name, parsed.value().country);
//! # Ok(())
//! # }
//! ```
//!
//! The schema is what `schemars` derives (JSON Schema 2020-12), reduced to what the API takes in
//! strict mode: every object gets `additionalProperties: false` (a map keeps its value schema),
//! `oneOf` becomes `anyOf` (the variants of a Rust enum never overlap), and `$schema`, the root
//! `title` and the non-standard integer and float `format`s (`uint32`, `double`) are dropped.

use crate::models::{
    AssistantMessage, ChatCompletionResponse, CompletionChunk, JsonSchema, MessageContent, ResponseFormat, ResponseFormats, UsageInfo,
};
use crate::runtime::json_schema::decode_text;
use crate::{Error, Event, EventStream, Result};
use futures::stream::{BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The strict JSON schema of `T`, reduced to what the API accepts (see the [module](self)).
pub fn json_schema<T: schemars::JsonSchema>() -> Value {
    let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| s.meta_schema = None);
    let schema = settings.into_generator().into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Value::Object(root) = &mut value {
        root.remove("title");
    }
    crate::runtime::json_schema::strict(&mut value);
    value
}

/// Makes a schema strict in place: what [`json_schema`] applies to `schemars`' output.
pub use crate::runtime::json_schema::strict;

/// The `response_format` that asks for JSON of `T`: a strict `json_schema` named after `T`.
pub fn response_format<T: schemars::JsonSchema>() -> ResponseFormat {
    // A root schema is an object but for a type that accepts anything (`true`).
    let schema = match json_schema::<T>() {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let description = schema.get("description").and_then(Value::as_str).map(String::from);
    ResponseFormat {
        r#type: Some(ResponseFormats::JsonSchema),
        json_schema: crate::Nullable::Value(JsonSchema {
            name: schema_name::<T>(),
            description: description.map_or(crate::Nullable::Absent, crate::Nullable::Value),
            schema: schema.into_iter().collect(),
            strict: Some(true),
        }),
    }
}

/// `T`'s schema name as the API takes it (`[a-zA-Z0-9_-]`, at most 64 characters).
fn schema_name<T: schemars::JsonSchema>() -> String {
    let name: String = T::schema_name().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(64).collect();
    if name.is_empty() {
        "response".into()
    } else {
        name
    }
}

/// A completion whose choices' content decoded into `T`: one value per choice, in order, at
/// least one.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    response: ChatCompletionResponse,
    values: Vec<T>,
}

impl<T> Parsed<T> {
    /// The first choice's value.
    pub fn value(&self) -> &T {
        &self.values[0]
    }
    /// Every choice's value, in the order of `response().choices`.
    pub fn values(&self) -> &[T] {
        &self.values
    }
    /// The response as the API sent it (usage, finish reasons, the raw content).
    pub fn response(&self) -> &ChatCompletionResponse {
        &self.response
    }
    /// The first choice's value.
    pub fn into_value(self) -> T {
        self.into_parts().1.swap_remove(0)
    }
    /// The response and every choice's value.
    pub fn into_parts(self) -> (ChatCompletionResponse, Vec<T>) {
        (self.response, self.values)
    }
}

/// Decodes each choice's content of `response` into `T` (the content is JSON text; the text
/// chunks of a chunk list are joined first). A choice without content, or content that does not
/// decode, is [`Error::Parse`] with the text.
pub fn parse_response<T: DeserializeOwned>(operation: &'static str, response: ChatCompletionResponse) -> Result<Parsed<T>> {
    if response.choices.is_empty() {
        return Err(parse_error(operation, 0, String::new(), String::new(), "the response has no choice".into()));
    }
    let mut values = Vec::with_capacity(response.choices.len());
    for (i, choice) in response.choices.iter().enumerate() {
        let text = choice.message.as_ref().map(message_text).unwrap_or_default();
        values.push(decode_text(operation, i, text)?);
    }
    Ok(Parsed { response, values })
}

fn parse_error(operation: &'static str, choice: usize, text: String, path: String, message: String) -> Error {
    Error::Parse { operation, choice, text, path, message }
}

fn message_text(m: &AssistantMessage) -> String {
    m.content.as_option().map(content_text).unwrap_or_default()
}

fn content_text(content: &MessageContent) -> String {
    content.text() // from `mistral_sdk::completion`
}

/// A structured-output request: `.await` it for [`Parsed<T>`]. [`configure`](Self::configure)
/// reaches the underlying request builder (timeouts, headers, retries).
#[must_use = "a request does nothing until it is awaited"]
pub struct Parse<'c, B, T> {
    builder: B,
    operation: &'static str,
    _t: PhantomData<fn() -> (&'c (), T)>,
}

impl<B: std::fmt::Debug, T> std::fmt::Debug for Parse<'_, B, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parse").field("builder", &self.builder).finish()
    }
}

impl<B, T> Parse<'_, B, T> {
    /// Sets request options on the builder: `.configure(|b| b.timeout(Duration::from_secs(30)))`.
    pub fn configure(mut self, f: impl FnOnce(B) -> B) -> Self {
        self.builder = f(self.builder);
        self
    }
}

impl<'c, B, T> IntoFuture for Parse<'c, B, T>
where
    B: IntoFuture<Output = Result<ChatCompletionResponse>> + Send + 'c,
    B::IntoFuture: Send,
    T: DeserializeOwned + 'c,
{
    type Output = Result<Parsed<T>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Parsed<T>>> + Send + 'c>>;
    fn into_future(self) -> Self::IntoFuture {
        let operation = self.operation;
        let fut = self.builder.into_future();
        Box::pin(async move { parse_response(operation, fut.await?) })
    }
}

/// A structured-output stream request: `.await` it for a [`ParsedStream`].
/// [`configure`](Self::configure) reaches the underlying stream builder (timeout, idle timeout,
/// retries, headers), as [`Parse::configure`] does.
#[must_use = "a request does nothing until it is awaited"]
pub struct ParseStream<'c, B, T> {
    builder: B,
    operation: &'static str,
    _t: PhantomData<fn() -> (&'c (), T)>,
}

impl<B: std::fmt::Debug, T> std::fmt::Debug for ParseStream<'_, B, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParseStream").field("builder", &self.builder).finish()
    }
}

impl<B, T> ParseStream<'_, B, T> {
    /// Sets request options on the builder:
    /// `.configure(|b| b.timeout(Duration::from_secs(30)).idle_timeout(Duration::from_secs(5)))`.
    pub fn configure(mut self, f: impl FnOnce(B) -> B) -> Self {
        self.builder = f(self.builder);
        self
    }
}

impl<'c, B, T> IntoFuture for ParseStream<'c, B, T>
where
    B: IntoFuture<Output = Result<EventStream<Event<CompletionChunk>>>> + Send + 'c,
    B::IntoFuture: Send,
    T: DeserializeOwned + Send + 'c,
{
    type Output = Result<ParsedStream<'c, T>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<ParsedStream<'c, T>>> + Send + 'c>>;
    fn into_future(self) -> Self::IntoFuture {
        let operation = self.operation;
        let fut = self.builder.into_future();
        Box::pin(async move { Ok(ParsedStream::new(operation, fut.await?)) })
    }
}

/// What [`ParsedStream`] yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StructuredEvent<T> {
    /// Text added to a choice's content (`choice` is the choice's index).
    Delta {
        /// The choice's index.
        choice: i64,
        /// The text added.
        text: String,
    },
    /// The stream has ended: every choice's content decoded, in index order, and the usage when
    /// the server sent it. Nothing follows.
    Done {
        /// Every choice's value, in index order.
        values: Vec<T>,
        /// Token usage, when the server sent it.
        usage: Option<UsageInfo>,
    },
}

/// The events of a structured-output stream: text deltas, then [`StructuredEvent::Done`] (or an
/// error, [`Error::Parse`] when the whole content does not decode).
#[must_use = "streams do nothing unless polled"]
pub struct ParsedStream<'c, T> {
    inner: BoxStream<'c, Result<StructuredEvent<T>>>,
}

impl<T> std::fmt::Debug for ParsedStream<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ParsedStream")
    }
}

impl<T> Stream for ParsedStream<'_, T> {
    type Item = Result<StructuredEvent<T>>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl<'c, T: DeserializeOwned + Send + 'c> ParsedStream<'c, T> {
    /// Reads a completion stream's text per choice and decodes it into `T` at the end.
    pub fn new(operation: &'static str, events: EventStream<Event<CompletionChunk>>) -> Self {
        struct State {
            events: Option<EventStream<Event<CompletionChunk>>>,
            texts: Vec<(i64, String)>,
            usage: Option<UsageInfo>,
        }
        let state = State { events: Some(events), texts: Vec::new(), usage: None };
        let inner = futures::stream::unfold(state, move |mut st| async move {
            let events = st.events.as_mut()?;
            loop {
                match events.next().await {
                    Some(Ok(event)) => {
                        let chunk = event.data;
                        if chunk.usage.is_some() {
                            st.usage = chunk.usage;
                        }
                        let mut deltas = Vec::new();
                        for c in chunk.choices {
                            let text = c.delta.content.as_option().map(content_text).unwrap_or_default();
                            if text.is_empty() {
                                continue;
                            }
                            match st.texts.iter_mut().find(|(i, _)| *i == c.index) {
                                Some((_, so_far)) => so_far.push_str(&text),
                                None => st.texts.push((c.index, text.clone())),
                            }
                            deltas.push(Ok(StructuredEvent::Delta { choice: c.index, text }));
                        }
                        if !deltas.is_empty() {
                            return Some((deltas, st));
                        }
                    }
                    Some(Err(e)) => {
                        st.events = None;
                        return Some((vec![Err(e)], st));
                    }
                    None => {
                        st.events = None;
                        st.texts.sort_by_key(|(i, _)| *i);
                        let texts = std::mem::take(&mut st.texts);
                        let done = if texts.is_empty() {
                            Err(parse_error(operation, 0, String::new(), String::new(), "the stream carried no content".into()))
                        } else {
                            texts
                                .into_iter()
                                .enumerate()
                                .map(|(n, (_, text))| decode_text(operation, n, text))
                                .collect::<Result<Vec<T>>>()
                                .map(|values| StructuredEvent::Done { values, usage: st.usage.take() })
                        };
                        return Some((vec![done], st));
                    }
                }
            }
        })
        .flat_map(futures::stream::iter);
        ParsedStream { inner: inner.boxed() }
    }

    /// Reads the whole stream and returns the decoded values (the deltas are dropped).
    pub async fn values(mut self) -> Result<Vec<T>> {
        while let Some(event) = self.next().await {
            if let StructuredEvent::Done { values, .. } = event? {
                return Ok(values);
            }
        }
        Err(Error::Stream { operation: "structured output", message: "the stream ended without its values".into(), raw: None })
    }
}

/// `parse` and `parse_stream` on a provider client's chat handle (`mistral_sdk::azure::Chat`, …:
/// a struct holding `client: &'c crate::Client`), sent through that client's provider. Unused
/// when no provider client is compiled (`structured-outputs` with `agents` alone).
#[allow(unused_macros)]
macro_rules! provider_chat {
    ($($handle:ident)::+) => {
        impl<'c> $($handle)::+<'c> {
            /// [`Chat::parse`](crate::api::chat::Chat::parse) through this provider: the content
            /// constrained to JSON of `T` and decoded.
            pub fn parse<T: serde::de::DeserializeOwned + schemars::JsonSchema>(
                &self,
                request: crate::models::ChatCompletionRequest,
            ) -> crate::structured::Parse<'c, crate::api::chat::CompleteBuilder<'c>, T> {
                crate::api::chat::Chat { client: self.client }.parse(request)
            }

            /// [`Chat::parse_stream`](crate::api::chat::Chat::parse_stream) through this provider.
            pub fn parse_stream<T: serde::de::DeserializeOwned + schemars::JsonSchema + Send + 'c>(
                &self,
                request: crate::models::ChatCompletionRequest,
            ) -> crate::structured::ParseStream<'c, crate::api::chat::StreamBuilder<'c>, T> {
                crate::api::chat::Chat { client: self.client }.parse_stream(request)
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use provider_chat;

#[cfg(any(feature = "agents", feature = "chat"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat"))))]
impl crate::models::ChatTool {
    /// A function tool whose arguments are `T` (its strict JSON schema as the parameters,
    /// declared `strict: true`): decode a call's arguments with `call.arguments::<T>()`.
    pub fn function_for<T: schemars::JsonSchema>(name: impl Into<String>, description: impl Into<String>) -> crate::models::ChatTool {
        let mut parameters = json_schema::<T>();
        if let Value::Object(root) = &mut parameters {
            root.remove("description");
        }
        let parameters: std::collections::BTreeMap<String, Value> = match parameters {
            Value::Object(m) => m.into_iter().collect(),
            _ => Default::default(),
        };
        let mut function = crate::models::Function::new(name.into(), parameters);
        function.description = Some(description.into());
        function.strict = Some(true);
        crate::models::ChatTool::Function(crate::models::Tool::new(function))
    }
}

#[cfg(feature = "chat")]
#[cfg_attr(docsrs, doc(cfg(feature = "chat")))]
impl<'c> crate::api::chat::Chat<'c> {
    /// Completes `request` with its content constrained to JSON of `T` (the request's
    /// `response_format` is replaced by `T`'s strict schema) and decodes it: see
    /// [`structured`](crate::structured).
    pub fn parse<T: DeserializeOwned + schemars::JsonSchema>(
        &self,
        mut request: crate::models::ChatCompletionRequest,
    ) -> Parse<'c, crate::api::chat::CompleteBuilder<'c>, T> {
        request.response_format = Some(response_format::<T>());
        Parse { builder: self.complete(request), operation: "chat.parse", _t: PhantomData }
    }

    /// Streams a structured-output completion: the text deltas as they come, then the content
    /// decoded into `T` ([`StructuredEvent::Done`]). Per-call options go through
    /// [`ParseStream::configure`].
    pub fn parse_stream<T: DeserializeOwned + schemars::JsonSchema + Send + 'c>(
        &self,
        mut request: crate::models::ChatCompletionRequest,
    ) -> ParseStream<'c, crate::api::chat::StreamBuilder<'c>, T> {
        request.response_format = Some(response_format::<T>());
        ParseStream { builder: self.stream(request), operation: "chat.parse_stream", _t: PhantomData }
    }
}

#[cfg(feature = "agents")]
#[cfg_attr(docsrs, doc(cfg(feature = "agents")))]
impl<'c> crate::api::agents::Agents<'c> {
    /// Completes `request` with the agent, its content constrained to JSON of `T`: see
    /// [`Chat::parse`](crate::api::chat::Chat::parse).
    pub fn parse<T: DeserializeOwned + schemars::JsonSchema>(
        &self,
        mut request: crate::models::AgentsCompletionRequest,
    ) -> Parse<'c, crate::api::agents::CompleteBuilder<'c>, T> {
        request.response_format = Some(response_format::<T>());
        Parse { builder: self.complete(request), operation: "agents.parse", _t: PhantomData }
    }

    /// Streams a structured-output agent completion: see [`ParsedStream`] and
    /// [`ParseStream::configure`].
    pub fn parse_stream<T: DeserializeOwned + schemars::JsonSchema + Send + 'c>(
        &self,
        mut request: crate::models::AgentsCompletionRequest,
    ) -> ParseStream<'c, crate::api::agents::StreamBuilder<'c>, T> {
        request.response_format = Some(response_format::<T>());
        ParseStream { builder: self.stream(request), operation: "agents.parse_stream", _t: PhantomData }
    }
}
