//@ field ConversationRequest.inputs: ConversationInputs
//@ field ConversationRequest.tools: Nullable<Vec<AgentTool>>
//@ field ConversationRequest.agent_id: Nullable<String>
//@ field ConversationStreamRequest.inputs: ConversationInputs
//@ field ConversationStreamRequest.tools: Nullable<Vec<AgentTool>>
//@ field ConversationStreamRequest.agent_id: Nullable<String>
//@ field ConversationAppendRequest.inputs: Option<ConversationInputs>
//@ field ConversationAppendStreamRequest.inputs: Option<ConversationInputs>
//@ field ConversationResponse.conversation_id: String
//@ field ConversationResponse.outputs: Vec<ConversationResponseOutputsItem>
//@ field ConversationResponse.usage: ConversationUsageInfo
//@ variants ConversationResponseOutputsItem: MessageOutput, ToolExecution, FunctionCall, AgentHandoff
//@ variant ConversationInputs::InputEntries(Vec<ConversationHistoryEntriesItem>)
//@ variant ConversationHistoryEntriesItem::FunctionResult(FunctionResultEntry)
//@ variant ConversationHistoryEntriesItem::FunctionCall(FunctionCallEntry)
//@ variant ConversationHistoryEntriesItem::MessageOutput(MessageOutputEntry)
//@ variant ConversationHistoryEntriesItem::ToolExecution(ToolExecutionEntry)
//@ variant ConversationHistoryEntriesItem::AgentHandoff(AgentHandoffEntry)
//@ field FunctionCallEntry.tool_call_id: String
//@ field FunctionCallEntry.name: String
//@ field FunctionCallEntry.arguments: FunctionCallEntryArguments
//@ variants FunctionCallEntryArguments: String, ValueMap
//@ field FunctionResultEntry.tool_call_id: String
//@ field FunctionResultEntry.result: String
//@ field MessageOutputEntry.content: MessageOutputEntryContent
//@ variant MessageOutputEntryContent::String(String)
//@ variant AgentTool::Function(FunctionTool)
//@ field FunctionTool.function: Function
//@ field Function.name: String
//@ field Function.description: Option<String>
//@ field Function.parameters: std::collections::BTreeMap<String, serde_json::Value>
//@ variant ConversationEvent::ConversationResponseStarted(ResponseStartedEvent)
//@ variant ConversationEvent::FunctionCallDelta(FunctionCallEvent)
//@ variant ConversationEvent::MessageOutputDelta(MessageOutputEvent)
//@ variant ConversationEvent::ConversationResponseDone(ResponseDoneEvent)
//@ field ResponseStartedEvent.conversation_id: String
//@ field FunctionCallEvent.tool_call_id: String
//@ field FunctionCallEvent.name: String
//@ field FunctionCallEvent.arguments: String
//@ field MessageOutputEvent.id: String
//@ field MessageOutputEvent.content: MessageOutputEventContent
//@ variant MessageOutputEventContent::String(String)
//@ variants MessageOutputEventContent: String, OutputContentChunks
//@ variant MessageOutputEventContent::OutputContentChunks(Box<OutputContentChunks>)
//@ variant OutputContentChunks::Text(TextChunk)
//@ field TextChunk.text: String
//@ field FunctionTool.type: Option<FunctionToolType>
//@ field ResponseDoneEvent.usage: ConversationUsageInfo
//@ field ConversationRequest.completion_args: Nullable<CompletionArgs>
//@ field ConversationStreamRequest.completion_args: Nullable<CompletionArgs>
//@ field ConversationAppendRequest.completion_args: Option<CompletionArgs>
//@ field ConversationAppendStreamRequest.completion_args: Option<CompletionArgs>
//@ field CompletionArgs.response_format: Nullable<ResponseFormat>
//! A conversation that runs local functions: the loop of the official SDK's
//! `beta.conversations.run_async` with a `RunContext`.
//!
//! Register functions on a [`RunContext`] (a name, a description, an argument type whose JSON
//! schema becomes the parameters, and an async handler). [`run`](crate::api::beta::conversations::Conversations::run)
//! starts the conversation with those functions as tools; whenever the model calls one, the
//! handler runs and its result goes back as a function-result entry, until the model answers
//! with a message. A handler's error, arguments that do not match, an unknown function and a
//! refused confirmation all go back to the model as the function's result; the loop goes on.
//!
//! ```no_run
//! # async fn demo(client: mistralai::Client) -> mistralai::Result<()> {
//! use mistralai::models::{ConversationInputs, ConversationRequest};
//! use mistralai::run::RunContext;
//!
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! struct Weather {
//!     /// The city.
//!     city: String,
//! }
//!
//! let ctx = RunContext::new()
//!     .function("get_weather", "The weather in a city now", |args: Weather| async move {
//!         Ok::<_, std::io::Error>(format!("Sunny in {}", args.city))
//!     })
//!     .max_rounds(5);
//! let request = ConversationRequest::new(ConversationInputs::String("Weather in Paris?".into())).model("mistral-medium-latest");
//! let result = client.beta().conversations().run(&ctx, request).await?;
//! println!("{}", result.output_text().unwrap_or_default());
//! # Ok(())
//! # }
//! ```
//!
//! With an `agent_id`, the request's tools are the agent's: declare the functions on the agent
//! (the [`RunContext::tools`] list is what to declare); the loop still runs them.
//!
//! For an answer of a given shape, as the Python SDK's `output_format`: give the run a
//! `response_format` ([`RunContext::output_format`]; with the `structured-outputs` feature,
//! `mistralai::structured::response_format::<T>()` makes one from a type) and read the answer
//! with [`RunResult::output_as`].

use crate::models::{
    AgentTool, CompletionArgs, ConversationAppendRequest, ConversationAppendStreamRequest, ConversationEvent, ConversationHistoryEntriesItem,
    ConversationInputs, ConversationRequest, ConversationResponse, ConversationResponseOutputsItem, ConversationStreamRequest, ConversationUsageInfo,
    Function, FunctionCallEntry, FunctionCallEntryArguments, FunctionResultEntry, FunctionTool, FunctionToolType, MessageOutputEntry,
    MessageOutputEntryContent, MessageOutputEventContent, OutputContentChunks, ResponseFormat,
};
use crate::{Error, Event, EventStream, Result};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

type Handler = Arc<dyn Fn(Value) -> BoxFuture<'static, std::result::Result<String, String>> + Send + Sync>;
type Confirm = Arc<dyn Fn(PendingCall) -> BoxFuture<'static, Confirmation> + Send + Sync>;

/// A local function the model may call.
#[derive(Clone)]
struct LocalFunction {
    name: String,
    description: String,
    parameters: Value,
    handler: Handler,
}

/// A function call waiting for the user's confirmation (see [`RunContext::on_confirm`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PendingCall {
    pub name: String,
    pub tool_call_id: String,
    /// The arguments as the model sent them.
    pub arguments: Value,
}

/// The answer of a confirmation callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmation {
    /// Run the function.
    Approve,
    /// Do not run it; the reason goes back to the model as the function's result.
    Refuse(String),
}

/// The local functions of a conversation and the loop's limits. Build it once and share it.
#[derive(Clone)]
pub struct RunContext {
    functions: Vec<Arc<LocalFunction>>,
    max_rounds: usize,
    confirm: Option<Confirm>,
    /// The names whose calls need the user's approval.
    needs_confirmation: Vec<String>,
    /// The `response_format` of every request the run sends.
    output_format: Option<ResponseFormat>,
}

impl std::fmt::Debug for RunContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.functions.iter().map(|f| f.name.as_str()).collect();
        f.debug_struct("RunContext")
            .field("functions", &names)
            .field("max_rounds", &self.max_rounds)
            .field("needs_confirmation", &self.needs_confirmation)
            .field("output_format", &self.output_format)
            .finish()
    }
}

impl Default for RunContext {
    fn default() -> Self {
        RunContext { functions: Vec::new(), max_rounds: 10, confirm: None, needs_confirmation: Vec::new(), output_format: None }
    }
}

impl RunContext {
    /// No functions; at most 10 rounds of function calls.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `name`: the model sees `description` and `A`'s JSON schema (made strict as
    /// for structured outputs) and calls it with arguments decoded into `A`. The handler's `Ok`
    /// value goes back to the model (a string as it is, anything else as JSON); its `Err` goes
    /// back as `{"error": "<message>"}`. A later function of the same name replaces it.
    pub fn function<A, R, E, F, Fut>(mut self, name: impl Into<String>, description: impl Into<String>, handler: F) -> Self
    where
        A: DeserializeOwned + schemars::JsonSchema + Send + 'static,
        R: Serialize,
        E: std::fmt::Display,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = std::result::Result<R, E>> + Send + 'static,
    {
        let settings = schemars::generate::SchemaSettings::draft2020_12().with(|s| s.meta_schema = None);
        let mut parameters = settings.into_generator().into_root_schema_for::<A>().to_value();
        if let Value::Object(root) = &mut parameters {
            root.remove("title");
            root.remove("description");
        }
        crate::runtime::json_schema::strict(&mut parameters);
        let handler: Handler = Arc::new(move |args: Value| match serde_json::from_value::<A>(args) {
            Ok(a) => {
                let fut = handler(a);
                Box::pin(async move {
                    match fut.await {
                        Ok(r) => Ok(result_text(&r)),
                        Err(e) => Err(e.to_string()),
                    }
                })
            }
            Err(e) => Box::pin(std::future::ready(Err(format!("the arguments do not match the parameters: {e}")))),
        });
        let name = name.into();
        self.functions.retain(|f| f.name != name);
        self.functions.push(Arc::new(LocalFunction { name, description: description.into(), parameters, handler }));
        self
    }

    /// Marks the function `name` as needing the user's approval before each run (see
    /// [`on_confirm`](Self::on_confirm); without a callback it is refused). It holds for that
    /// name whether the function is registered before or after, or registered again.
    pub fn require_confirmation(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        if !self.needs_confirmation.contains(&name) {
            self.needs_confirmation.push(name);
        }
        self
    }

    /// The callback asked before a function marked by
    /// [`require_confirmation`](Self::require_confirmation) runs.
    pub fn on_confirm<F, Fut>(mut self, callback: F) -> Self
    where
        F: Fn(PendingCall) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Confirmation> + Send + 'static,
    {
        self.confirm = Some(Arc::new(move |call| Box::pin(callback(call))));
        self
    }

    /// How many rounds of function calls the loop answers before it stops (default 10). The
    /// result then says [`RunStop::MaxRounds`], the last calls unanswered.
    pub fn max_rounds(mut self, n: usize) -> Self {
        self.max_rounds = n;
        self
    }

    /// The format of the model's answer: every request the run sends carries it as its
    /// completion arguments' `response_format` (replacing the request's own), but for a start
    /// that names an agent, whose completion arguments are the agent's. Read the answer with
    /// [`RunResult::output_as`].
    pub fn output_format(mut self, format: ResponseFormat) -> Self {
        self.output_format = Some(format);
        self
    }

    /// `args` with the run's output format, when it has one.
    fn start_args(&self, args: crate::Nullable<CompletionArgs>) -> crate::Nullable<CompletionArgs> {
        match &self.output_format {
            Some(format) => {
                let mut args = args.into_option().unwrap_or_default();
                args.response_format = crate::Nullable::Value(format.clone());
                crate::Nullable::Value(args)
            }
            None => args,
        }
    }

    /// The completion arguments of an append: the output format, when the run has one.
    fn append_args(&self) -> Option<CompletionArgs> {
        let format = self.output_format.clone()?;
        Some(CompletionArgs { response_format: crate::Nullable::Value(format), ..Default::default() })
    }

    /// The registered functions as the tools a conversation (or an agent) declares.
    pub fn tools(&self) -> Vec<AgentTool> {
        self.functions
            .iter()
            .map(|f| {
                let parameters: BTreeMap<String, Value> = match &f.parameters {
                    Value::Object(m) => m.clone().into_iter().collect(),
                    _ => BTreeMap::new(),
                };
                AgentTool::Function(FunctionTool {
                    r#type: Some(FunctionToolType::Function),
                    function: Function { name: f.name.clone(), description: Some(f.description.clone()), strict: None, parameters },
                })
            })
            .collect()
    }

    fn merged_tools(&self, mut tools: Vec<AgentTool>) -> Vec<AgentTool> {
        tools.retain(|t| !matches!(t, AgentTool::Function(ft) if self.functions.iter().any(|f| f.name == ft.function.name)));
        tools.extend(self.tools());
        tools
    }

    /// Runs one function call: its result text, whatever happens.
    async fn call(&self, name: &str, tool_call_id: &str, arguments: Value) -> String {
        let Some(f) = self.functions.iter().find(|f| f.name == name).cloned() else {
            return error_text(format!("no function `{name}` is available"));
        };
        if self.needs_confirmation.iter().any(|n| n == name) {
            let answer = match &self.confirm {
                Some(confirm) => {
                    confirm(PendingCall { name: name.to_string(), tool_call_id: tool_call_id.to_string(), arguments: arguments.clone() }).await
                }
                None => Confirmation::Refuse("no one is there to confirm it".into()),
            };
            if let Confirmation::Refuse(why) = answer {
                return error_text(format!("the user refused to run `{name}`: {why}"));
            }
        }
        match (f.handler)(arguments).await {
            Ok(text) => text,
            Err(e) => error_text(e),
        }
    }
}

fn result_text<R: Serialize>(r: &R) -> String {
    match serde_json::to_value(r) {
        Ok(Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(e) => error_text(format!("the result does not encode: {e}")),
    }
}

fn error_text(message: impl Into<String>) -> String {
    json!({"error": message.into()}).to_string()
}

fn arguments_value(a: &FunctionCallEntryArguments) -> Value {
    match a {
        FunctionCallEntryArguments::String(s) if s.trim().is_empty() => json!({}),
        FunctionCallEntryArguments::String(s) => serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone())),
        FunctionCallEntryArguments::ValueMap(m) => Value::Object(m.clone().into_iter().collect()),
        FunctionCallEntryArguments::Unknown(v) => v.clone(),
    }
}

/// Why the loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RunStop {
    /// The model answered without calling a function.
    Answered,
    /// [`RunContext::max_rounds`] rounds were answered and the model called functions again;
    /// those calls are the last entries, unanswered.
    MaxRounds,
}

/// What a run did: every entry in order (the model's outputs and the function results sent).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    pub conversation_id: String,
    pub entries: Vec<ConversationHistoryEntriesItem>,
    /// One per response of the API.
    pub usage: Vec<ConversationUsageInfo>,
    /// How many rounds of function calls were answered.
    pub rounds: usize,
    pub stop: RunStop,
}

impl RunResult {
    /// The text of the last message output (its string content, or its text chunks).
    pub fn output_text(&self) -> Option<String> {
        self.entries.iter().rev().find_map(|e| match e {
            ConversationHistoryEntriesItem::MessageOutput(m) => Some(match &m.content {
                MessageOutputEntryContent::String(s) => s.clone(),
                other => serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.as_array().map(|chunks| chunks.iter().filter_map(|c| c.get("text")?.as_str()).collect::<String>()))
                    .unwrap_or_default(),
            }),
            _ => None,
        })
    }

    /// The last message output decoded as JSON of `T` (see [`RunContext::output_format`]). A
    /// run without a message, or text that does not decode, is [`Error::Parse`] with the text.
    pub fn output_as<T: DeserializeOwned>(&self) -> Result<T> {
        crate::runtime::json_schema::decode_text("conversations.run", 0, self.output_text().unwrap_or_default())
    }

    /// The function calls the model made, in order.
    pub fn function_calls(&self) -> impl Iterator<Item = &FunctionCallEntry> {
        self.entries.iter().filter_map(|e| match e {
            ConversationHistoryEntriesItem::FunctionCall(c) => Some(c),
            _ => None,
        })
    }

    /// The function results sent back, in order.
    pub fn function_results(&self) -> impl Iterator<Item = &FunctionResultEntry> {
        self.entries.iter().filter_map(|e| match e {
            ConversationHistoryEntriesItem::FunctionResult(r) => Some(r),
            _ => None,
        })
    }
}

fn history(item: ConversationResponseOutputsItem) -> ConversationHistoryEntriesItem {
    match item {
        ConversationResponseOutputsItem::MessageOutput(e) => ConversationHistoryEntriesItem::MessageOutput(e),
        ConversationResponseOutputsItem::ToolExecution(e) => ConversationHistoryEntriesItem::ToolExecution(e),
        ConversationResponseOutputsItem::FunctionCall(e) => ConversationHistoryEntriesItem::FunctionCall(e),
        ConversationResponseOutputsItem::AgentHandoff(e) => ConversationHistoryEntriesItem::AgentHandoff(e),
        ConversationResponseOutputsItem::Unknown(v) => ConversationHistoryEntriesItem::Unknown(v),
    }
}

/// Runs every call of one round at once; the results in the calls' order.
async fn answer(ctx: &RunContext, calls: &[(String, String, Value)]) -> Vec<FunctionResultEntry> {
    let runs = calls.iter().map(|(id, name, args)| async move { FunctionResultEntry::new(id.clone(), ctx.call(name, id, args.clone()).await) });
    futures::future::join_all(runs).await
}

fn results_input(results: &[FunctionResultEntry]) -> ConversationInputs {
    ConversationInputs::InputEntries(results.iter().cloned().map(ConversationHistoryEntriesItem::FunctionResult).collect())
}

//@ cfg-of ConversationRequest
impl<'c> crate::api::beta::conversations::Conversations<'c> {
    /// Starts a conversation with `ctx`'s functions as tools (added to the request's own, unless
    /// it names an agent) and runs it until the model answers with a message: see
    /// [`run`](crate::run).
    pub async fn run(&self, ctx: &RunContext, mut request: ConversationRequest) -> Result<RunResult> {
        if request.agent_id.as_option().is_none() {
            let tools = request.tools.into_option().unwrap_or_default();
            request.tools = crate::Nullable::Value(ctx.merged_tools(tools));
            request.completion_args = ctx.start_args(request.completion_args);
        }
        let response = self.start(request).await?;
        self.run_from(ctx, response, Vec::new()).await
    }

    /// Continues the conversation `conversation_id` with `inputs` under `ctx`, as
    /// [`run`](Self::run) does (the conversation's tools are those it was started with).
    pub async fn run_append(&self, ctx: &RunContext, conversation_id: &str, inputs: ConversationInputs) -> Result<RunResult> {
        let request = ConversationAppendRequest { inputs: Some(inputs), completion_args: ctx.append_args(), ..Default::default() };
        let response = self.append(conversation_id, request).await?;
        self.run_from(ctx, response, Vec::new()).await
    }

    async fn run_from(
        &self,
        ctx: &RunContext,
        mut response: ConversationResponse,
        mut entries: Vec<ConversationHistoryEntriesItem>,
    ) -> Result<RunResult> {
        let conversation_id = response.conversation_id.clone();
        let mut usage = Vec::new();
        let mut rounds = 0;
        loop {
            usage.push(std::mem::take(&mut response.usage));
            let mut calls = Vec::new();
            for item in std::mem::take(&mut response.outputs) {
                if let ConversationResponseOutputsItem::FunctionCall(c) = &item {
                    calls.push((c.tool_call_id.clone(), c.name.clone(), arguments_value(&c.arguments)));
                }
                entries.push(history(item));
            }
            if calls.is_empty() {
                return Ok(RunResult { conversation_id, entries, usage, rounds, stop: RunStop::Answered });
            }
            if rounds >= ctx.max_rounds {
                return Ok(RunResult { conversation_id, entries, usage, rounds, stop: RunStop::MaxRounds });
            }
            rounds += 1;
            let results = answer(ctx, &calls).await;
            entries.extend(results.iter().cloned().map(ConversationHistoryEntriesItem::FunctionResult));
            let request =
                ConversationAppendRequest { inputs: Some(results_input(&results)), completion_args: ctx.append_args(), ..Default::default() };
            response = self.append(&conversation_id, request).await?;
        }
    }

    /// [`run`](Self::run), streamed: every event of every response, each function result as it
    /// is sent, then [`RunEvent::Done`] with the whole result (the entries assembled from the
    /// events).
    pub async fn run_stream(&self, ctx: &RunContext, mut request: ConversationStreamRequest) -> Result<RunStream<'c>> {
        if request.agent_id.as_option().is_none() {
            let tools = request.tools.into_option().unwrap_or_default();
            request.tools = crate::Nullable::Value(ctx.merged_tools(tools));
            request.completion_args = ctx.start_args(request.completion_args);
        }
        let events = self.start_stream(request).await?;
        Ok(self.run_events(ctx, events, String::new()))
    }

    /// [`run_append`](Self::run_append), streamed as [`run_stream`](Self::run_stream) is.
    pub async fn run_append_stream(&self, ctx: &RunContext, conversation_id: &str, inputs: ConversationInputs) -> Result<RunStream<'c>> {
        let request = ConversationAppendStreamRequest { inputs: Some(inputs), completion_args: ctx.append_args(), ..Default::default() };
        let events = self.append_stream(conversation_id, request).await?;
        Ok(self.run_events(ctx, events, conversation_id.to_string()))
    }

    /// The run's stream from the first response's events on.
    fn run_events(&self, ctx: &RunContext, events: EventStream<Event<ConversationEvent>>, conversation_id: String) -> RunStream<'c> {
        let result = RunResult { conversation_id, entries: Vec::new(), usage: Vec::new(), rounds: 0, stop: RunStop::Answered };
        let state = StreamState {
            conversations: *self,
            ctx: ctx.clone(),
            events: Some(events),
            round: Round::default(),
            result: Some(result),
            queue: Vec::new(),
        };
        let inner = futures::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(item) = st.queue.pop() {
                    return Some((item, st));
                }
                st.step().await?;
            }
        });
        RunStream { inner: inner.boxed() }
    }
}

/// What [`RunStream`] yields.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RunEvent {
    /// An event of the conversation's stream, as the API sent it.
    Conversation(ConversationEvent),
    /// A local function ran; this result is sent back.
    FunctionResult(FunctionResultEntry),
    /// The run is over; nothing follows.
    Done(RunResult),
}

/// The events of [`run_stream`](crate::api::beta::conversations::Conversations::run_stream).
#[must_use = "streams do nothing unless polled"]
pub struct RunStream<'c> {
    inner: BoxStream<'c, Result<RunEvent>>,
}

impl std::fmt::Debug for RunStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunStream")
    }
}

impl Stream for RunStream<'_> {
    type Item = Result<RunEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl RunStream<'_> {
    /// Reads the whole run and returns its result.
    pub async fn result(mut self) -> Result<RunResult> {
        while let Some(event) = self.next().await {
            if let RunEvent::Done(result) = event? {
                return Ok(result);
            }
        }
        Err(Error::Stream { operation: "conversations.run_stream", message: "the run ended without its result".into(), raw: None })
    }
}

/// The entries one streamed response builds, in the order they start.
#[derive(Default)]
struct Round {
    /// Message outputs by id, function calls by tool call id, in order.
    parts: Vec<Part>,
}

enum Part {
    Message { id: String, text: String },
    Call { tool_call_id: String, name: String, arguments: String },
}

struct StreamState<'c> {
    conversations: crate::api::beta::conversations::Conversations<'c>,
    ctx: RunContext,
    events: Option<EventStream<Event<ConversationEvent>>>,
    round: Round,
    result: Option<RunResult>,
    /// What to yield next, last first.
    queue: Vec<Result<RunEvent>>,
}

impl StreamState<'_> {
    /// Reads one event (or ends a round); `None` when the run is over and everything yielded.
    async fn step(&mut self) -> Option<()> {
        let events = self.events.as_mut()?;
        let result = self.result.as_mut()?;
        match events.next().await {
            Some(Ok(event)) => {
                let event = event.data;
                match &event {
                    ConversationEvent::ConversationResponseStarted(e) => result.conversation_id.clone_from(&e.conversation_id),
                    ConversationEvent::ConversationResponseDone(e) => result.usage.push(e.usage.clone()),
                    ConversationEvent::MessageOutputDelta(m) => {
                        let text = match &m.content {
                            MessageOutputEventContent::String(s) => s.clone(),
                            MessageOutputEventContent::OutputContentChunks(chunk) => match &**chunk {
                                OutputContentChunks::Text(t) => t.text.clone(),
                                _ => String::new(),
                            },
                            MessageOutputEventContent::Unknown(_) => String::new(),
                        };
                        match self.round.parts.iter_mut().find(|p| matches!(p, Part::Message { id, .. } if *id == m.id)) {
                            Some(Part::Message { text: so_far, .. }) => so_far.push_str(&text),
                            _ => self.round.parts.push(Part::Message { id: m.id.clone(), text }),
                        }
                    }
                    ConversationEvent::FunctionCallDelta(c) => {
                        match self.round.parts.iter_mut().find(|p| matches!(p, Part::Call { tool_call_id, .. } if *tool_call_id == c.tool_call_id)) {
                            Some(Part::Call { arguments, .. }) => arguments.push_str(&c.arguments),
                            _ => self.round.parts.push(Part::Call {
                                tool_call_id: c.tool_call_id.clone(),
                                name: c.name.clone(),
                                arguments: c.arguments.clone(),
                            }),
                        }
                    }
                    _ => {}
                }
                self.queue.push(Ok(RunEvent::Conversation(event)));
                Some(())
            }
            Some(Err(e)) => {
                self.events = None;
                self.queue.push(Err(e));
                Some(())
            }
            None => {
                // The response is complete: its entries, then the calls it asks for.
                let mut calls = Vec::new();
                for part in std::mem::take(&mut self.round.parts) {
                    match part {
                        Part::Message { text, .. } => result
                            .entries
                            .push(ConversationHistoryEntriesItem::MessageOutput(MessageOutputEntry::new(MessageOutputEntryContent::String(text)))),
                        Part::Call { tool_call_id, name, arguments } => {
                            let args = arguments_value(&FunctionCallEntryArguments::String(arguments.clone()));
                            calls.push((tool_call_id.clone(), name.clone(), args));
                            result.entries.push(ConversationHistoryEntriesItem::FunctionCall(FunctionCallEntry::new(
                                tool_call_id,
                                name,
                                FunctionCallEntryArguments::String(arguments),
                            )));
                        }
                    }
                }
                if calls.is_empty() || result.rounds >= self.ctx.max_rounds {
                    result.stop = if calls.is_empty() { RunStop::Answered } else { RunStop::MaxRounds };
                    self.events = None;
                    let done = self.result.take()?;
                    self.queue.push(Ok(RunEvent::Done(done)));
                    return Some(());
                }
                result.rounds += 1;
                let results = answer(&self.ctx, &calls).await;
                result.entries.extend(results.iter().cloned().map(ConversationHistoryEntriesItem::FunctionResult));
                let request = ConversationAppendStreamRequest {
                    inputs: Some(results_input(&results)),
                    completion_args: self.ctx.append_args(),
                    ..Default::default()
                };
                let id = result.conversation_id.clone();
                match self.conversations.append_stream(id, request).await {
                    Ok(events) => self.events = Some(events),
                    Err(e) => {
                        self.events = None;
                        self.queue.push(Err(e));
                    }
                }
                for r in results.into_iter().rev() {
                    self.queue.push(Ok(RunEvent::FunctionResult(r)));
                }
                Some(())
            }
        }
    }
}
