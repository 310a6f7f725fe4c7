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
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use mistral_sdk::models::{ConversationInputs, ConversationRequest};
//! use mistral_sdk::run::RunContext;
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
//! Every function is declared `strict: true`, as the official SDK declares them, so the
//! service constrains the arguments to the schema.
//!
//! **On an agent.** A conversation with an `agent_id` takes its tools from the agent, not from
//! the request. So [`run`](crate::api::beta::conversations::Conversations::run) first reads the
//! agent and, when its function tools are not the context's (same names, descriptions,
//! parameters, `strict`), updates the agent as the official SDK does: its other tools are kept,
//! the context's functions replace those of the same name (and the output format its
//! `response_format`). An agent already up to date is not touched, so repeated runs do not
//! make new agent versions. A run pinned to an `agent_version` never updates the agent: that
//! version must declare the functions.
//!
//! **Calls the loop does not answer by itself.** The run stops with [`RunStop::Deferred`] and
//! a [`Deferred`] state ([`RunResult::deferred`]) when a round has calls that wait for the caller:
//! - a call the service holds for confirmation (a connector or agent tool configured with
//!   `requires_confirmation` comes back with `confirmation_status: "pending"`): it is never run
//!   or answered locally; resuming sends `tool_confirmations` (`allow` or `deny`);
//! - a call of a function marked by [`RunContext::require_confirmation`] when the context has
//!   no [`on_confirm`](RunContext::on_confirm) callback (with one, it is asked in process);
//! - a call of a function the request declares but the context does not register: the caller
//!   answers it ([`DeferredCall::answer`]), or with `run_append` and a function result.
//!
//! The other calls of that round run, and their results wait in the state with it. [`Deferred`]
//! serializes with serde (the fields of the official SDK's `DeferredToolCallsException.to_dict`),
//! so a web service can ask a person and resume in another request or process with
//! [`run_resume`](crate::api::beta::conversations::Conversations::run_resume) and one
//! [`Decision`] per call: approve (optionally with arguments merged over the model's), reject
//! with a message (default "Rejected by user"), or answer. A decision for a call the state does
//! not hold, a missing or repeated decision, and an approval of a function the context does not
//! register are [`Error::Run`] and nothing is sent.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client, ctx: mistral_sdk::run::RunContext, request: mistral_sdk::models::ConversationRequest) -> mistral_sdk::Result<()> {
//! use mistral_sdk::run::RunStop;
//! let result = client.beta().conversations().run(&ctx, request).await?;
//! if let Some(deferred) = result.deferred {
//!     let saved = serde_json::to_string(&deferred).expect("serializes"); // ask someone, later:
//!     let deferred: mistral_sdk::run::Deferred = serde_json::from_str(&saved).expect("decodes");
//!     let decisions = deferred.deferred_calls.iter().map(|c| c.approve()).collect();
//!     let result = client.beta().conversations().run_resume(&ctx, deferred, decisions).await?;
//!     assert_ne!(result.stop, RunStop::MaxRounds);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! # Chat and agents completions
//!
//! The same context drives `client.chat().run(&ctx, request)` and `client.agents().run(&ctx,
//! request)` (with the `chat` or `agents` feature): the context's functions are added to the
//! request's tools (replacing those of the same name), and each round the assistant message
//! with its tool calls and one `tool` message per result (its `tool_call_id` and name) go back
//! with the whole conversation; all calls of a round run at once. When the service ran
//! connector tools itself and returns what it did in `choices[0].messages`, those messages are
//! kept in the conversation and only the calls no `tool` message answers run locally.
//! [`CompletionRunResult::messages`] is the whole conversation (push a user message to go on);
//! `usage` has one entry per response, `rounds` and `stop` mean what they mean for
//! conversations. Deferred calls stop the run with a [`CompletionDeferred`], resumed by
//! `run_resume(&ctx, request, deferred, decisions)`; `run_stream` and `run_resume_stream`
//! stream every chunk ([`CompletionRunEvent`]). There are no calls the service holds for
//! confirmation on these APIs.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client, ctx: mistral_sdk::run::RunContext) -> mistral_sdk::Result<()> {
//! use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
//! let request = ChatCompletionRequest::new("mistral-small-latest", vec![Message::User(UserMessage::new("Weather in Paris?"))]);
//! let result = client.chat().run(&ctx, request).await?;
//! println!("{} ({} rounds)", result.output_text().unwrap_or_default(), result.rounds);
//! # Ok(())
//! # }
//! ```
//!
//! For an answer of a given shape, as the Python SDK's `output_format`: give the run a
//! `response_format` ([`RunContext::output_format`]; with the `structured-outputs` feature,
//! `mistral_sdk::structured::response_format::<T>()` makes one from a type) and read the answer
//! with [`RunResult::output_as`].

use crate::models::{
    Agent, AgentTool, CompletionArgs, ConfirmationStatus, ConversationAppendRequest, ConversationAppendStreamRequest, ConversationEntry,
    ConversationEvent, ConversationInputs, ConversationRequest, ConversationResponse, ConversationResponseOutputsItem, ConversationStreamRequest,
    ConversationUsageInfo, Function, FunctionCallEntry, FunctionCallEntryArguments, FunctionResultEntry, FunctionTool, FunctionToolType,
    MessageOutputEntry, MessageOutputEntryContent, MessageOutputEventContent, OutputContentChunks, ResponseFormat, ToolCallConfirmation,
    ToolCallConfirmationConfirmation, UpdateAgentRequest,
};
use crate::{Error, Event, EventStream, Result};
use futures::future::BoxFuture;
use futures::stream::{BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub(crate) type Handler = Arc<dyn Fn(Value) -> BoxFuture<'static, std::result::Result<String, String>> + Send + Sync>;
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
    /// The function's name.
    pub name: String,
    /// The call's id.
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
    /// for structured outputs, and declared `strict: true`) and calls it with arguments decoded
    /// into `A`. The handler's `Ok` value goes back to the model (a string as it is, anything
    /// else as JSON); its `Err` goes back as `{"error": "<message>"}`. A later function of the
    /// same name replaces it.
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

    /// Registers a function from its parts (an MCP tool): `parameters` as they are, the
    /// handler's `Err` sent as `{"error": …}`. A later function of the same name replaces it.
    #[allow(dead_code)]
    pub(crate) fn register(mut self, name: String, description: String, parameters: Value, handler: Handler) -> Self {
        self.functions.retain(|f| f.name != name);
        self.functions.push(Arc::new(LocalFunction { name, description, parameters, handler }));
        self
    }

    /// Marks the function `name` as needing the user's approval before each run: the
    /// [`on_confirm`](Self::on_confirm) callback is asked, or, without one, the run stops with
    /// the call [deferred](crate::run#calls-the-loop-does-not-answer-by-itself). It holds for
    /// that name whether the function is registered before or after, or registered again.
    pub fn require_confirmation(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        if !self.needs_confirmation.contains(&name) {
            self.needs_confirmation.push(name);
        }
        self
    }

    /// The callback asked, in process, before a function marked by
    /// [`require_confirmation`](Self::require_confirmation) runs. Calls the service holds for
    /// confirmation are not asked here: they always stop the run (see [`Deferred`]).
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
    /// completion arguments' `response_format` (replacing the request's own); on an agent, the
    /// agent's completion arguments get it. Read the answer with [`RunResult::output_as`].
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

    /// The registered functions as the tools a conversation (or an agent) declares, each
    /// `strict: true`.
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
                    function: Function { name: f.name.clone(), description: Some(f.description.clone()), strict: Some(true), parameters },
                })
            })
            .collect()
    }

    /// `tools` with the context's functions in place of those of the same name.
    fn merged_tools(&self, mut tools: Vec<AgentTool>) -> Vec<AgentTool> {
        tools.retain(|t| !matches!(t, AgentTool::Function(ft) if self.registered(&ft.function.name)));
        tools.extend(self.tools());
        tools
    }

    fn registered(&self, name: &str) -> bool {
        self.functions.iter().any(|f| f.name == name)
    }

    fn needs_confirmation(&self, name: &str) -> bool {
        self.needs_confirmation.iter().any(|n| n == name)
    }

    /// Runs one function call, asking the callback first when the function needs it: its
    /// result text, whatever happens.
    async fn call(&self, mw: &[Arc<dyn crate::middleware::Middleware>], name: &str, tool_call_id: &str, arguments: Value) -> String {
        if !self.registered(name) {
            return error_text(format!("no function `{name}` is available"));
        }
        if self.needs_confirmation(name) {
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
        self.execute(mw, name, tool_call_id, arguments).await
    }

    /// Runs a registered function, without asking: its result text. The client's middleware
    /// observes the execution (an `execute_tool` span with `otel`).
    async fn execute(&self, mw: &[Arc<dyn crate::middleware::Middleware>], name: &str, tool_call_id: &str, arguments: Value) -> String {
        let Some(f) = self.functions.iter().find(|f| f.name == name).cloned() else {
            return error_text(format!("no function `{name}` is available"));
        };
        let info = || crate::middleware::ToolCallInfo { name: name.to_string(), call_id: tool_call_id.to_string(), arguments: arguments.to_string() };
        let run = (f.handler)(arguments.clone());
        crate::runtime::middleware::observe_tool(mw, info, run).await.unwrap_or_else(error_text)
    }

    /// Why a call waits for the caller, if it does. `declared`: the function names the run's
    /// tools declare (`None` when not known, as on an append: every unregistered name is then
    /// the caller's).
    fn deferral(&self, call: &Call, declared: Option<&[String]>) -> Option<DeferralReason> {
        if call.pending {
            Some(DeferralReason::ServerSideConfirmationRequired)
        } else if !self.registered(&call.name) {
            declared.is_none_or(|d| d.contains(&call.name)).then_some(DeferralReason::NotRegistered)
        } else if self.needs_confirmation(&call.name) && self.confirm.is_none() {
            Some(DeferralReason::ConfirmationRequired)
        } else {
            None
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
    /// Some calls wait for the caller: [`RunResult::deferred`] holds them (see [`Deferred`]).
    Deferred,
}

/// What a run did: every entry in order (the model's outputs and the function results sent).
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The conversation the run went on in.
    pub conversation_id: String,
    /// Every entry in order: the model's outputs and the function results sent.
    pub entries: Vec<ConversationEntry>,
    /// One per response of the API.
    pub usage: Vec<ConversationUsageInfo>,
    /// How many rounds of function calls were answered.
    pub rounds: usize,
    /// Why the run stopped.
    pub stop: RunStop,
    /// With [`RunStop::Deferred`]: what waits for the caller, to resume with
    /// [`run_resume`](crate::api::beta::conversations::Conversations::run_resume).
    pub deferred: Option<Deferred>,
}

impl RunResult {
    fn new(conversation_id: String, entries: Vec<ConversationEntry>, rounds: usize) -> Self {
        RunResult { conversation_id, entries, usage: Vec::new(), rounds, stop: RunStop::Answered, deferred: None }
    }

    /// The text of the last message output (its string content, or its text chunks).
    pub fn output_text(&self) -> Option<String> {
        self.entries.iter().rev().find_map(|e| match e {
            ConversationEntry::MessageOutput(m) => Some(match &m.content {
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
            ConversationEntry::FunctionCall(c) => Some(c),
            _ => None,
        })
    }

    /// The function results sent back, in order.
    pub fn function_results(&self) -> impl Iterator<Item = &FunctionResultEntry> {
        self.entries.iter().filter_map(|e| match e {
            ConversationEntry::FunctionResult(r) => Some(r),
            _ => None,
        })
    }
}

/// Why a call waits for the caller (the official SDK's `DeferralReason`, plus
/// `not_registered`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeferralReason {
    /// A local function marked by [`RunContext::require_confirmation`], and no
    /// [`on_confirm`](RunContext::on_confirm) callback to ask.
    ConfirmationRequired,
    /// The service holds the call until it is allowed or denied (`confirmation_status:
    /// "pending"`): a connector or agent tool configured with `requires_confirmation`.
    ServerSideConfirmationRequired,
    /// A function the run's tools declare that the context does not register: the caller runs
    /// it and answers ([`DeferredCall::answer`]).
    NotRegistered,
}

/// A call that waits for the caller's [`Decision`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeferredCall {
    /// The call's id.
    pub tool_call_id: String,
    /// The function's name.
    pub tool_name: String,
    /// The arguments as the model sent them (a JSON object, or the text when it is not JSON).
    pub arguments: Value,
    /// Why it waits.
    pub reason: DeferralReason,
    /// Free for the caller (who asked, when); kept through serialization.
    #[serde(default)]
    pub metadata: serde_json::Map<String, Value>,
    /// The call's entry as the model made it.
    pub function_call: FunctionCallEntry,
}

impl DeferredCall {
    /// Run it (a local function) or allow it (a call the service holds).
    pub fn approve(&self) -> Decision {
        Decision::Approve { tool_call_id: self.tool_call_id.clone(), override_args: None }
    }

    /// Run it with `args` merged over the model's arguments (a JSON object; local functions
    /// only).
    pub fn approve_with(&self, args: Value) -> Decision {
        Decision::Approve { tool_call_id: self.tool_call_id.clone(), override_args: Some(args) }
    }

    /// Do not run it: "Rejected by user" goes back to the model (a call the service holds is
    /// denied).
    pub fn reject(&self) -> Decision {
        self.reject_with("Rejected by user")
    }

    /// Do not run it: `message` goes back to the model as the function's result (a call the
    /// service holds is denied).
    pub fn reject_with(&self, message: impl Into<String>) -> Decision {
        Decision::Reject { tool_call_id: self.tool_call_id.clone(), message: message.into() }
    }

    /// The caller ran the function itself: `result` goes back to the model (a string as it
    /// is, anything else as JSON). Not for calls the service holds.
    pub fn answer(&self, result: impl Serialize) -> Decision {
        Decision::Answer { tool_call_id: self.tool_call_id.clone(), result: result_text(&result) }
    }
}

/// What to do with a [`DeferredCall`] (made by its methods).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Decision {
    /// Run the function (with `override_args` merged over the model's), or allow a call the
    /// service holds.
    Approve {
        /// The call's id.
        tool_call_id: String,
        /// Arguments merged over the model's (a JSON object; local functions only).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        override_args: Option<Value>,
    },
    /// Do not run it: `message` is its result (a call the service holds is denied).
    Reject {
        /// The call's id.
        tool_call_id: String,
        /// What the model is told.
        message: String,
    },
    /// The caller ran it: `result` is its result.
    Answer {
        /// The call's id.
        tool_call_id: String,
        /// The function's result, as the model gets it.
        result: String,
    },
}

impl Decision {
    /// The id of the call it decides.
    pub fn tool_call_id(&self) -> &str {
        match self {
            Decision::Approve { tool_call_id, .. } | Decision::Reject { tool_call_id, .. } | Decision::Answer { tool_call_id, .. } => tool_call_id,
        }
    }
}

/// A run stopped for the caller's decisions ([`RunStop::Deferred`]): serializable, to resume
/// in another request or process with
/// [`run_resume`](crate::api::beta::conversations::Conversations::run_resume). The fields are
/// those of the official SDK's `DeferredToolCallsException.to_dict` (`conversation_id`,
/// `deferred_calls`, `outputs`, `executed_results`), plus `rounds` and `declared`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deferred {
    /// The conversation to resume.
    pub conversation_id: String,
    /// The calls that wait for a decision.
    pub deferred_calls: Vec<DeferredCall>,
    /// The run's entries so far (the resumed run's result starts with them).
    #[serde(default)]
    pub outputs: Vec<ConversationEntry>,
    /// Results of the same round's other calls, computed and not yet sent: they go with the
    /// decisions' results.
    #[serde(default)]
    pub executed_results: Vec<FunctionResultEntry>,
    /// Rounds answered before this one.
    #[serde(default)]
    pub rounds: usize,
    /// The function names the run's tools declare (`None`: not known).
    #[serde(default)]
    pub declared: Option<Vec<String>>,
}

impl Deferred {
    /// The result a resumed run starts from (the deferred run's entries and the results now
    /// sent, the round counted), and the names the run's tools declare.
    fn resumed(self, sent: Vec<FunctionResultEntry>) -> (RunResult, Option<Vec<String>>) {
        let mut entries = self.outputs;
        entries.extend(sent.into_iter().map(ConversationEntry::FunctionResult));
        (RunResult::new(self.conversation_id, entries, self.rounds + 1), self.declared)
    }
}

/// A function call of a response, as the loop needs it.
struct Call {
    entry: FunctionCallEntry,
    name: String,
    arguments: Value,
    /// The service holds it for confirmation.
    pending: bool,
}

impl Call {
    fn of(entry: &FunctionCallEntry) -> Call {
        Call {
            name: entry.name.clone(),
            arguments: arguments_value(&entry.arguments),
            pending: matches!(entry.confirmation_status.as_option(), Some(ConfirmationStatus::Pending)),
            entry: entry.clone(),
        }
    }
}

/// What one round of calls comes to.
enum Round {
    /// Every call answered: send these.
    Send(Vec<FunctionResultEntry>),
    /// Some wait for the caller; the others' results wait with them.
    Defer(Vec<DeferredCall>, Vec<FunctionResultEntry>),
}

/// Answers a round: the calls that wait for the caller are set aside, the others run at once
/// (results in the calls' order).
async fn answer_round(ctx: &RunContext, mw: &[Arc<dyn crate::middleware::Middleware>], calls: &[Call], declared: Option<&[String]>) -> Round {
    let mut deferred = Vec::new();
    let mut to_run = Vec::new();
    for call in calls {
        match ctx.deferral(call, declared) {
            Some(reason) => deferred.push(DeferredCall {
                tool_call_id: call.entry.tool_call_id.clone(),
                tool_name: call.name.clone(),
                arguments: call.arguments.clone(),
                reason,
                metadata: serde_json::Map::new(),
                function_call: call.entry.clone(),
            }),
            None => to_run.push(call),
        }
    }
    let runs = to_run.iter().map(|c| async move {
        let id = &c.entry.tool_call_id;
        FunctionResultEntry::new(id.clone(), ctx.call(mw, &c.name, id, c.arguments.clone()).await)
    });
    let results = futures::future::join_all(runs).await;
    if deferred.is_empty() {
        Round::Send(results)
    } else {
        Round::Defer(deferred, results)
    }
}

/// The function results and confirmations that resuming `deferred` with `decisions` sends.
/// Every decision is checked before anything runs: an error means nothing was run or sent.
/// `executed`: the round's results computed before the stop, sent first.
async fn resolve(
    ctx: &RunContext,
    mw: &[Arc<dyn crate::middleware::Middleware>],
    operation: &'static str,
    calls: &[DeferredCall],
    executed: Vec<FunctionResultEntry>,
    decisions: Vec<Decision>,
) -> Result<(Vec<FunctionResultEntry>, Vec<ToolCallConfirmation>)> {
    let fail = |message: String| Error::Run { operation, message };
    let mut chosen: Vec<(&DeferredCall, Decision)> = Vec::new();
    for d in decisions {
        let Some(call) = calls.iter().find(|c| c.tool_call_id == d.tool_call_id()) else {
            let waiting: Vec<&str> = calls.iter().map(|c| c.tool_call_id.as_str()).collect();
            return Err(fail(format!("no deferred call has the id `{}` (waiting: {})", d.tool_call_id(), waiting.join(", "))));
        };
        if chosen.iter().any(|(c, _)| c.tool_call_id == call.tool_call_id) {
            return Err(fail(format!("two decisions for the call `{}`", call.tool_call_id)));
        }
        chosen.push((call, d));
    }
    if let Some(missing) = calls.iter().find(|c| !chosen.iter().any(|(x, _)| x.tool_call_id == c.tool_call_id)) {
        return Err(fail(format!("no decision for the call `{}` of `{}`", missing.tool_call_id, missing.tool_name)));
    }
    let server_side = |c: &DeferredCall| c.reason == DeferralReason::ServerSideConfirmationRequired;
    let mut results: Vec<Option<String>> = Vec::new();
    let mut to_run: Vec<(usize, &str, &str, Value)> = Vec::new();
    let mut confirmations = Vec::new();
    for (call, decision) in &chosen {
        let id = &call.tool_call_id;
        match decision {
            Decision::Approve { override_args, .. } if server_side(call) => {
                if override_args.is_some() {
                    return Err(fail(format!(
                        "the call `{id}` of `{}` is held by the service: it can be allowed, not given other arguments",
                        call.tool_name
                    )));
                }
                confirmations.push(ToolCallConfirmation::new(id.clone(), ToolCallConfirmationConfirmation::Allow));
            }
            Decision::Reject { .. } if server_side(call) => {
                confirmations.push(ToolCallConfirmation::new(id.clone(), ToolCallConfirmationConfirmation::Deny));
            }
            Decision::Answer { .. } if server_side(call) => {
                return Err(fail(format!(
                    "the call `{id}` of `{}` is held by the service: it can be allowed or denied, not answered",
                    call.tool_name
                )));
            }
            Decision::Approve { override_args, .. } => {
                if !ctx.registered(&call.tool_name) {
                    return Err(fail(format!("the call `{id}` is approved, but the run context registers no function `{}`", call.tool_name)));
                }
                let mut args = arguments_value(&call.function_call.arguments);
                match (override_args, &mut args) {
                    (None, _) => {}
                    (Some(Value::Object(over)), Value::Object(original)) => original.extend(over.clone()),
                    (Some(Value::Object(over)), _) => args = Value::Object(over.clone()),
                    (Some(other), _) => return Err(fail(format!("the arguments approved for the call `{id}` are not a JSON object: {other}"))),
                }
                to_run.push((results.len(), call.tool_name.as_str(), id.as_str(), args));
                results.push(None);
            }
            Decision::Reject { message, .. } => results.push(Some(message.clone())),
            Decision::Answer { result, .. } => results.push(Some(result.clone())),
        }
    }
    let runs = to_run.into_iter().map(|(i, name, id, args)| async move { (i, ctx.execute(mw, name, id, args).await) });
    for (i, text) in futures::future::join_all(runs).await {
        results[i] = Some(text);
    }
    let ids = chosen.iter().filter(|(c, _)| !server_side(c)).map(|(c, _)| c.tool_call_id.clone());
    let mut sent = executed;
    sent.extend(ids.zip(results).map(|(id, text)| FunctionResultEntry::new(id, text.unwrap_or_default())));
    Ok((sent, confirmations))
}

fn history(item: ConversationResponseOutputsItem) -> ConversationEntry {
    match item {
        ConversationResponseOutputsItem::MessageOutput(e) => ConversationEntry::MessageOutput(e),
        ConversationResponseOutputsItem::ToolExecution(e) => ConversationEntry::ToolExecution(e),
        ConversationResponseOutputsItem::FunctionCall(e) => ConversationEntry::FunctionCall(e),
        ConversationResponseOutputsItem::AgentHandoff(e) => ConversationEntry::AgentHandoff(e),
        ConversationResponseOutputsItem::Unknown(v) => ConversationEntry::Unknown(v),
    }
}

fn results_input(results: &[FunctionResultEntry]) -> Option<ConversationInputs> {
    (!results.is_empty()).then(|| ConversationInputs::InputEntries(results.iter().cloned().map(ConversationEntry::FunctionResult).collect()))
}

fn confirmations_field(confirmations: Vec<ToolCallConfirmation>) -> crate::Nullable<Vec<ToolCallConfirmation>> {
    if confirmations.is_empty() {
        crate::Nullable::Absent
    } else {
        crate::Nullable::Value(confirmations)
    }
}

/// The function names among `tools`.
fn function_names(tools: &[AgentTool]) -> Vec<String> {
    tools
        .iter()
        .filter_map(|t| match t {
            AgentTool::Function(f) => Some(f.function.name.clone()),
            _ => None,
        })
        .collect()
}

/// The tools and completion arguments `agent` needs for `ctx`, when it does not have them.
fn agent_update(ctx: &RunContext, agent: &Agent) -> Option<UpdateAgentRequest> {
    let tools = agent.tools.clone().unwrap_or_default();
    let missing = ctx.tools().into_iter().any(|wanted| !tools.contains(&wanted));
    let args = agent.completion_args.clone();
    let format_differs = ctx.output_format.as_ref().is_some_and(|f| args.as_ref().and_then(|a| a.response_format.as_option()) != Some(f));
    if !missing && !format_differs {
        return None;
    }
    let mut update = UpdateAgentRequest { tools: Some(ctx.merged_tools(tools)), ..Default::default() };
    if let (true, Some(format)) = (format_differs, &ctx.output_format) {
        let mut args = args.unwrap_or_default();
        args.response_format = crate::Nullable::Value(format.clone());
        update.completion_args = Some(args);
    }
    Some(update)
}

#[cfg(feature = "beta-conversations")]
#[cfg_attr(docsrs, doc(cfg(feature = "beta-conversations")))]
impl<'c> crate::api::beta::conversations::Conversations<'c> {
    /// Starts a conversation with `ctx`'s functions as tools (added to the request's own; on an
    /// agent, declared on the agent: see [the module](crate::run)) and runs it until the model
    /// answers with a message, or calls wait for the caller: see [`run`](crate::run).
    pub async fn run(&self, ctx: &RunContext, mut request: ConversationRequest) -> Result<RunResult> {
        let agent = request.agent_id.as_option().map(|id| (id.as_str(), request.agent_version.as_option().is_some()));
        let declared = self.prepare(ctx, agent, &mut request.tools, &mut request.completion_args).await?;
        let response = self.start(request).await?;
        let result = RunResult::new(response.conversation_id.clone(), Vec::new(), 0);
        self.run_from(ctx, response, result, Some(declared)).await
    }

    /// Continues the conversation `conversation_id` with `inputs` under `ctx`, as
    /// [`run`](Self::run) does (the conversation's tools are those it was started with; a call
    /// of a function `ctx` does not register is the caller's: the run stops with it deferred).
    pub async fn run_append(&self, ctx: &RunContext, conversation_id: &str, inputs: ConversationInputs) -> Result<RunResult> {
        let request = ConversationAppendRequest { inputs: Some(inputs), completion_args: ctx.append_args(), ..Default::default() };
        let response = self.append(conversation_id, request).await?;
        self.run_from(ctx, response, RunResult::new(conversation_id.to_string(), Vec::new(), 0), None).await
    }

    /// Resumes a run that stopped with calls [`Deferred`], with one [`Decision`] per call: the
    /// approved local functions run, and their results, the rejections, the answers and the
    /// round's results computed before the stop go back in one append with the service's
    /// `tool_confirmations`; then the loop goes on as in [`run`](Self::run). The result's
    /// entries start with the deferred run's.
    pub async fn run_resume(&self, ctx: &RunContext, deferred: Deferred, decisions: Vec<Decision>) -> Result<RunResult> {
        let (sent, confirmations) = resolve(
            ctx,
            &self.client.inner.middleware,
            "conversations.run_resume",
            &deferred.deferred_calls,
            deferred.executed_results.clone(),
            decisions,
        )
        .await?;
        let request = ConversationAppendRequest {
            inputs: results_input(&sent),
            tool_confirmations: confirmations_field(confirmations),
            completion_args: ctx.append_args(),
            ..Default::default()
        };
        let response = self.append(&deferred.conversation_id, request).await?;
        let (result, declared) = deferred.resumed(sent);
        self.run_from(ctx, response, result, declared).await
    }

    /// Readies a start for `ctx`: on an agent (its id, and whether a version is pinned), its
    /// functions declared on the agent; else added to the request's `tools`, the output format
    /// put in its completion arguments. The function names the run's tools then declare.
    async fn prepare(
        &self,
        ctx: &RunContext,
        agent: Option<(&str, bool)>,
        tools: &mut crate::Nullable<Vec<AgentTool>>,
        args: &mut crate::Nullable<CompletionArgs>,
    ) -> Result<Vec<String>> {
        if let Some((agent_id, pinned)) = agent {
            return self.prepare_agent(ctx, agent_id, pinned).await;
        }
        let merged = ctx.merged_tools(std::mem::take(tools).into_option().unwrap_or_default());
        let names = function_names(&merged);
        *tools = crate::Nullable::Value(merged);
        *args = ctx.start_args(std::mem::take(args));
        Ok(names)
    }

    /// Declares `ctx`'s functions (and output format) on the agent when it lacks them; the
    /// function names the agent then declares.
    async fn prepare_agent(&self, ctx: &RunContext, agent_id: &str, pinned: bool) -> Result<Vec<String>> {
        let agents = crate::api::beta::agents::Agents { client: self.client };
        let agent = agents.get(agent_id).await?;
        let tools = match agent_update(ctx, &agent) {
            Some(update) if !pinned => {
                let tools = update.tools.clone().unwrap_or_default();
                agents.update(agent_id, update).await?;
                tools
            }
            _ => agent.tools.unwrap_or_default(),
        };
        Ok(function_names(&tools))
    }

    async fn run_from(
        &self,
        ctx: &RunContext,
        mut response: ConversationResponse,
        mut result: RunResult,
        declared: Option<Vec<String>>,
    ) -> Result<RunResult> {
        result.conversation_id.clone_from(&response.conversation_id);
        loop {
            result.usage.push(std::mem::take(&mut response.usage));
            let mut calls = Vec::new();
            for item in std::mem::take(&mut response.outputs) {
                if let ConversationResponseOutputsItem::FunctionCall(c) = &item {
                    calls.push(Call::of(c));
                }
                result.entries.push(history(item));
            }
            if calls.is_empty() {
                result.stop = RunStop::Answered;
                return Ok(result);
            }
            if result.rounds >= ctx.max_rounds {
                result.stop = RunStop::MaxRounds;
                return Ok(result);
            }
            let results = match answer_round(ctx, &self.client.inner.middleware, &calls, declared.as_deref()).await {
                Round::Send(results) => results,
                Round::Defer(calls, results) => {
                    stop_deferred(&mut result, calls, results, declared);
                    return Ok(result);
                }
            };
            result.rounds += 1;
            result.entries.extend(results.iter().cloned().map(ConversationEntry::FunctionResult));
            let request = ConversationAppendRequest { inputs: results_input(&results), completion_args: ctx.append_args(), ..Default::default() };
            response = self.append(&result.conversation_id, request).await?;
        }
    }

    /// [`run`](Self::run), streamed: every event of every response, each function result as it
    /// is sent, then [`RunEvent::Done`] with the whole result (the entries assembled from the
    /// events).
    pub async fn run_stream(&self, ctx: &RunContext, mut request: ConversationStreamRequest) -> Result<RunStream<'c>> {
        let agent = request.agent_id.as_option().map(|id| (id.as_str(), request.agent_version.as_option().is_some()));
        let declared = self.prepare(ctx, agent, &mut request.tools, &mut request.completion_args).await?;
        let events = self.start_stream(request).await?;
        Ok(self.run_events(ctx, events, RunResult::new(String::new(), Vec::new(), 0), Some(declared)))
    }

    /// [`run_append`](Self::run_append), streamed as [`run_stream`](Self::run_stream) is.
    pub async fn run_append_stream(&self, ctx: &RunContext, conversation_id: &str, inputs: ConversationInputs) -> Result<RunStream<'c>> {
        let request = ConversationAppendStreamRequest { inputs: Some(inputs), completion_args: ctx.append_args(), ..Default::default() };
        let events = self.append_stream(conversation_id, request).await?;
        Ok(self.run_events(ctx, events, RunResult::new(conversation_id.to_string(), Vec::new(), 0), None))
    }

    /// [`run_resume`](Self::run_resume), streamed as [`run_stream`](Self::run_stream) is.
    pub async fn run_resume_stream(&self, ctx: &RunContext, deferred: Deferred, decisions: Vec<Decision>) -> Result<RunStream<'c>> {
        let (sent, confirmations) = resolve(
            ctx,
            &self.client.inner.middleware,
            "conversations.run_resume",
            &deferred.deferred_calls,
            deferred.executed_results.clone(),
            decisions,
        )
        .await?;
        let request = ConversationAppendStreamRequest {
            inputs: results_input(&sent),
            tool_confirmations: confirmations_field(confirmations),
            completion_args: ctx.append_args(),
            ..Default::default()
        };
        let events = self.append_stream(&deferred.conversation_id, request).await?;
        let (result, declared) = deferred.resumed(sent);
        Ok(self.run_events(ctx, events, result, declared))
    }

    /// The run's stream from the first response's events on.
    fn run_events(
        &self,
        ctx: &RunContext,
        events: EventStream<Event<ConversationEvent>>,
        result: RunResult,
        declared: Option<Vec<String>>,
    ) -> RunStream<'c> {
        let state = StreamState {
            conversations: *self,
            ctx: ctx.clone(),
            events: Some(events),
            parts: Vec::new(),
            result: Some(result),
            declared,
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
        RunStream { inner: inner.boxed(), operation: "conversations.run_stream" }
    }
}

/// Ends `result` with `calls` waiting for the caller.
fn stop_deferred(result: &mut RunResult, calls: Vec<DeferredCall>, executed: Vec<FunctionResultEntry>, declared: Option<Vec<String>>) {
    result.stop = RunStop::Deferred;
    result.deferred = Some(Deferred {
        conversation_id: result.conversation_id.clone(),
        deferred_calls: calls,
        outputs: result.entries.clone(),
        executed_results: executed,
        rounds: result.rounds,
        declared,
    });
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

/// A run's event stream type: `$name` yields `Result<$event>` and ends with `$event::Done`,
/// whose result `result()` returns.
macro_rules! run_stream {
    ($(#[$doc:meta])* $name:ident, $event:ident, $result:ty) => {
        $(#[$doc])*
        #[must_use = "streams do nothing unless polled"]
        pub struct $name<'c> {
            inner: BoxStream<'c, Result<$event>>,
            operation: &'static str,
        }

        impl std::fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(stringify!($name))
            }
        }

        impl Stream for $name<'_> {
            type Item = Result<$event>;
            fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
                self.inner.poll_next_unpin(cx)
            }
        }

        impl $name<'_> {
            /// Reads the whole run and returns its result.
            pub async fn result(mut self) -> Result<$result> {
                while let Some(event) = self.next().await {
                    if let $event::Done(result) = event? {
                        return Ok(result);
                    }
                }
                Err(Error::Stream { operation: self.operation, message: "the run ended without its result".into(), raw: None })
            }
        }
    };
}
#[allow(unused_imports)] // the completions loop's stream, compiled with `chat` or `agents`
use run_stream;

run_stream!(
    /// The events of [`run_stream`](crate::api::beta::conversations::Conversations::run_stream).
    RunStream,
    RunEvent,
    RunResult
);

/// An entry one streamed response builds (message outputs by id, function calls by tool call
/// id), in the order they start.
enum Part {
    Message { id: String, text: String },
    Call { tool_call_id: String, name: String, arguments: String, pending: bool },
}

struct StreamState<'c> {
    conversations: crate::api::beta::conversations::Conversations<'c>,
    ctx: RunContext,
    events: Option<EventStream<Event<ConversationEvent>>>,
    parts: Vec<Part>,
    result: Option<RunResult>,
    declared: Option<Vec<String>>,
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
                        match self.parts.iter_mut().find(|p| matches!(p, Part::Message { id, .. } if *id == m.id)) {
                            Some(Part::Message { text: so_far, .. }) => so_far.push_str(&text),
                            _ => self.parts.push(Part::Message { id: m.id.clone(), text }),
                        }
                    }
                    ConversationEvent::FunctionCallDelta(c) => {
                        let held = matches!(c.confirmation_status.as_option(), Some(ConfirmationStatus::Pending));
                        match self.parts.iter_mut().find(|p| matches!(p, Part::Call { tool_call_id, .. } if *tool_call_id == c.tool_call_id)) {
                            Some(Part::Call { arguments, pending, .. }) => {
                                arguments.push_str(&c.arguments);
                                *pending |= held;
                            }
                            _ => self.parts.push(Part::Call {
                                tool_call_id: c.tool_call_id.clone(),
                                name: c.name.clone(),
                                arguments: c.arguments.clone(),
                                pending: held,
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
                for part in std::mem::take(&mut self.parts) {
                    match part {
                        Part::Message { text, .. } => {
                            result.entries.push(ConversationEntry::MessageOutput(MessageOutputEntry::new(MessageOutputEntryContent::String(text))))
                        }
                        Part::Call { tool_call_id, name, arguments, pending } => {
                            let mut entry = FunctionCallEntry::new(tool_call_id, name, FunctionCallEntryArguments::String(arguments));
                            if pending {
                                entry.confirmation_status = crate::Nullable::Value(ConfirmationStatus::Pending);
                            }
                            calls.push(Call::of(&entry));
                            result.entries.push(ConversationEntry::FunctionCall(entry));
                        }
                    }
                }
                if calls.is_empty() || result.rounds >= self.ctx.max_rounds {
                    result.stop = if calls.is_empty() { RunStop::Answered } else { RunStop::MaxRounds };
                    return self.finish();
                }
                let results = match answer_round(&self.ctx, &self.conversations.client.inner.middleware, &calls, self.declared.as_deref()).await {
                    Round::Send(results) => results,
                    Round::Defer(calls, results) => {
                        stop_deferred(result, calls, results, self.declared.clone());
                        return self.finish();
                    }
                };
                result.rounds += 1;
                result.entries.extend(results.iter().cloned().map(ConversationEntry::FunctionResult));
                let request = ConversationAppendStreamRequest {
                    inputs: results_input(&results),
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

    /// Ends the run: its result is the last item.
    fn finish(&mut self) -> Option<()> {
        self.events = None;
        let done = self.result.take()?;
        self.queue.push(Ok(RunEvent::Done(done)));
        Some(())
    }
}

#[cfg(any(feature = "agents", feature = "chat"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat"))))]
mod completions {
    //! The same loop over chat and agents completions: `client.chat().run(&ctx, request)` and
    //! `client.agents().run(&ctx, request)`, and their streamed twins.

    use super::{answer_round, resolve, Call, Decision, DeferredCall, Round, RunContext, RunStop};
    use crate::completion::Completion;
    use crate::models::{
        AssistantMessage, ChatCompletionResponse, ChatTool, CompletionChunk, FunctionCallArguments, FunctionCallEntry, FunctionCallEntryArguments,
        FunctionResultEntry, Message, MessageContent, ResponseFormat, Tool, ToolCall, ToolMessage, ToolTypes, UsageInfo,
    };
    use crate::{Error, Event, EventStream, Result};
    use futures::future::BoxFuture;
    use futures::stream::{BoxStream, Stream, StreamExt};
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    /// A completions API the loop drives: chat or agents.
    pub(super) trait Completions<'c>: Copy + Send + Sync + 'c {
        type Request: Clone + Send + Sync + 'static;
        /// The name errors carry (`chat.run`).
        const OPERATION: &'static str;
        fn messages(request: &mut Self::Request) -> &mut Vec<Message>;
        fn tools(request: &mut Self::Request) -> &mut crate::Nullable<Vec<ChatTool>>;
        fn response_format(request: &mut Self::Request) -> &mut Option<ResponseFormat>;
        fn send(self, request: Self::Request) -> BoxFuture<'c, Result<ChatCompletionResponse>>;
        fn send_stream(self, request: Self::Request) -> BoxFuture<'c, Result<EventStream<Event<CompletionChunk>>>>;
        /// The client's middleware, which observes the tools the loop runs.
        fn middleware(self) -> &'c [std::sync::Arc<dyn crate::middleware::Middleware>];
    }

    impl RunContext {
        /// The registered functions as the tools of a chat or agents completion, each `strict: true`.
        pub fn chat_tools(&self) -> Vec<ChatTool> {
            self.tools()
                .into_iter()
                .filter_map(|t| match t {
                    crate::models::AgentTool::Function(f) => {
                        Some(ChatTool::Function(Tool { r#type: Some(ToolTypes::Function), function: f.function }))
                    }
                    _ => None,
                })
                .collect()
        }
    }

    /// What a chat or agents completion run did (see [`run`](crate::run#chat-and-agents-completions)).
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub struct CompletionRunResult {
        /// The whole conversation: the request's messages, then the model's messages and the
        /// tool results the run added. Push a user message and send it again to go on.
        pub messages: Vec<Message>,
        /// Where the run's own messages start in `messages`.
        pub start: usize,
        /// One per response of the API.
        pub usage: Vec<UsageInfo>,
        /// How many rounds of function calls were answered.
        pub rounds: usize,
        /// Why the run stopped.
        pub stop: RunStop,
        /// With [`RunStop::Deferred`]: what waits for the caller, to resume with `run_resume`.
        pub deferred: Option<CompletionDeferred>,
    }

    impl CompletionRunResult {
        fn new(messages: Vec<Message>, start: usize, rounds: usize) -> Self {
            CompletionRunResult { messages, start, usage: Vec::new(), rounds, stop: RunStop::Answered, deferred: None }
        }

        /// The messages the run added: the model's and the tool results, in order.
        pub fn new_messages(&self) -> &[Message] {
            &self.messages[self.start.min(self.messages.len())..]
        }

        /// The text of the last assistant message (its string content, or its text chunks).
        pub fn output_text(&self) -> Option<String> {
            self.new_messages().iter().rev().find_map(|m| match m {
                Message::Assistant(a) => Some(a.content.as_option().map(MessageContent::text).unwrap_or_default()),
                _ => None,
            })
        }

        /// The last assistant message decoded as JSON of `T` (see [`RunContext::output_format`]).
        /// A run without an answer, or text that does not decode, is [`Error::Parse`] with the text.
        pub fn output_as<T: DeserializeOwned>(&self) -> Result<T> {
            crate::runtime::json_schema::decode_text("chat.run", 0, self.output_text().unwrap_or_default())
        }

        /// The tool calls the model made during the run, in order.
        pub fn tool_calls(&self) -> impl Iterator<Item = &ToolCall> {
            self.new_messages()
                .iter()
                .filter_map(|m| match m {
                    Message::Assistant(a) => a.tool_calls.as_option(),
                    _ => None,
                })
                .flatten()
        }

        /// The tool results of the run (the local functions' and those the service ran), in order.
        pub fn tool_results(&self) -> impl Iterator<Item = &ToolMessage> {
            self.new_messages().iter().filter_map(|m| match m {
                Message::Tool(t) => Some(t),
                _ => None,
            })
        }
    }

    /// A chat or agents completion run stopped for the caller's decisions ([`RunStop::Deferred`]):
    /// resume it with `run_resume` and one [`Decision`] per call. It serializes; it decodes (to
    /// resume in another process) with the `full-serde` feature, which gives the message types
    /// `Deserialize`.
    #[derive(Debug, Clone, PartialEq, Serialize)]
    #[cfg_attr(feature = "full-serde", derive(serde::Deserialize))]
    #[non_exhaustive]
    pub struct CompletionDeferred {
        /// The conversation so far, up to the assistant message whose calls wait.
        pub messages: Vec<Message>,
        /// Where the run's own messages start in `messages`.
        pub start: usize,
        /// The calls that wait for a decision.
        pub deferred_calls: Vec<DeferredCall>,
        /// Results of the same round's other calls, computed and not yet sent.
        pub executed_results: Vec<ToolMessage>,
        /// Rounds answered before this one.
        pub rounds: usize,
        /// The function names the run's tools declare.
        pub declared: Vec<String>,
    }

    /// The tool message that answers `id` (a function named `name`) with `text`.
    fn tool_message(id: &str, name: &str, text: String) -> Message {
        Message::Tool(ToolMessage::new(MessageContent::String(text)).tool_call_id(id.to_string()).name(name.to_string()))
    }

    /// A chat tool call as the loop's call (the conversation's entry shape: id, name, arguments).
    fn call_of(call: &ToolCall, index: usize) -> Call {
        let id = call.id.clone().filter(|id| !id.is_empty()).unwrap_or_else(|| format!("call_{index}"));
        let arguments = match &call.function.arguments {
            FunctionCallArguments::String(s) => FunctionCallEntryArguments::String(s.clone()),
            FunctionCallArguments::ValueMap(m) => FunctionCallEntryArguments::ValueMap(m.clone()),
            FunctionCallArguments::Unknown(v) => FunctionCallEntryArguments::String(v.to_string()),
        };
        Call::of(&FunctionCallEntry::new(id, call.function.name.clone(), arguments))
    }

    /// Readies a request for `ctx`: its functions added to the tools (replacing those of the
    /// same name), the output format set. The function names the tools then declare.
    fn prepare<'c, A: Completions<'c>>(ctx: &RunContext, request: &mut A::Request) -> Vec<String> {
        let tools = A::tools(request);
        let mut merged = std::mem::take(tools).into_option().unwrap_or_default();
        merged.retain(|t| !matches!(t, ChatTool::Function(f) if ctx.registered(&f.function.name)));
        merged.extend(ctx.chat_tools());
        let names = merged
            .iter()
            .filter_map(|t| match t {
                ChatTool::Function(f) => Some(f.function.name.clone()),
                _ => None,
            })
            .collect();
        *tools = crate::Nullable::Value(merged);
        if let Some(format) = &ctx.output_format {
            *A::response_format(request) = Some(format.clone());
        }
        names
    }

    /// What one response adds to the conversation, and the calls left for the loop: the
    /// service's own tool runs (`choices[0].messages`, when it ran connector tools) come first,
    /// then the answer; calls the service already answered are not the loop's.
    fn take_response(response: &mut ChatCompletionResponse, operation: &'static str) -> Result<(Vec<Message>, Vec<Call>)> {
        let Some(choice) = response.choices.first_mut() else {
            return Err(Error::Run { operation, message: "the response has no choice".into() });
        };
        let mut added: Vec<Message> = Vec::new();
        for m in choice.messages.take().unwrap_or_default() {
            let role = m.role.as_option().map(String::as_str).unwrap_or("assistant");
            if role == "tool" {
                let mut t = ToolMessage::new(m.content.into_option().unwrap_or(MessageContent::String(String::new())));
                if let Some(id) = m.tool_call_id.into_option() {
                    t = t.tool_call_id(id);
                }
                added.push(Message::Tool(t));
            } else {
                added.push(Message::Assistant(AssistantMessage { content: m.content, tool_calls: m.tool_calls, ..Default::default() }));
            }
        }
        // The answer once: `messages` may end with it already.
        if let Some(answer) = choice.message.take().filter(|a| added.last() != Some(&Message::Assistant(a.clone()))) {
            added.push(Message::Assistant(answer));
        }
        let answered: Vec<String> = added
            .iter()
            .filter_map(|m| match m {
                Message::Tool(t) => t.tool_call_id.as_option().cloned(),
                _ => None,
            })
            .collect();
        let calls = match added.iter().rev().find_map(|m| match m {
            Message::Assistant(a) => Some(a),
            _ => None,
        }) {
            Some(a) => a
                .tool_calls
                .as_option()
                .map(|calls| calls.iter().enumerate().map(|(i, c)| call_of(c, i)).filter(|c| !answered.contains(&c.entry.tool_call_id)).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok((added, calls))
    }

    /// Answers a round's calls: `Ok(messages)` to send, or the run stopped deferred.
    async fn round(
        ctx: &RunContext,
        mw: &[std::sync::Arc<dyn crate::middleware::Middleware>],
        calls: &[Call],
        declared: &[String],
        result: &mut CompletionRunResult,
    ) -> Option<Vec<Message>> {
        let name_of = |id: &str| calls.iter().find(|c| c.entry.tool_call_id == id).map(|c| c.name.clone()).unwrap_or_default();
        let to_messages = |results: Vec<FunctionResultEntry>| -> Vec<Message> {
            results.into_iter().map(|r| tool_message(&r.tool_call_id, &name_of(&r.tool_call_id), r.result)).collect()
        };
        match answer_round(ctx, mw, calls, Some(declared)).await {
            Round::Send(results) => Some(to_messages(results)),
            Round::Defer(deferred_calls, results) => {
                let executed = to_messages(results).into_iter().filter_map(|m| if let Message::Tool(t) = m { Some(t) } else { None }).collect();
                result.stop = RunStop::Deferred;
                result.deferred = Some(CompletionDeferred {
                    messages: result.messages.clone(),
                    start: result.start,
                    deferred_calls,
                    executed_results: executed,
                    rounds: result.rounds,
                    declared: declared.to_vec(),
                });
                None
            }
        }
    }

    /// The loop from `request` (its messages the conversation so far) on.
    async fn drive<'c, A: Completions<'c>>(
        api: A,
        ctx: &RunContext,
        mut request: A::Request,
        mut result: CompletionRunResult,
        declared: Vec<String>,
    ) -> Result<CompletionRunResult> {
        loop {
            let mut response = api.send(request.clone()).await?;
            result.usage.push(response.usage.clone());
            let (added, calls) = take_response(&mut response, A::OPERATION)?;
            result.messages.extend(added.iter().cloned());
            A::messages(&mut request).extend(added);
            if calls.is_empty() {
                result.stop = RunStop::Answered;
                return Ok(result);
            }
            if result.rounds >= ctx.max_rounds {
                result.stop = RunStop::MaxRounds;
                return Ok(result);
            }
            let Some(sent) = round(ctx, api.middleware(), &calls, &declared, &mut result).await else { return Ok(result) };
            result.rounds += 1;
            result.messages.extend(sent.iter().cloned());
            A::messages(&mut request).extend(sent);
        }
    }

    pub(super) async fn run<'c, A: Completions<'c>>(api: A, ctx: &RunContext, mut request: A::Request) -> Result<CompletionRunResult> {
        let declared = prepare::<A>(ctx, &mut request);
        let messages = A::messages(&mut request).clone();
        let start = messages.len();
        drive(api, ctx, request, CompletionRunResult::new(messages, start, 0), declared).await
    }

    /// The request and result a resumed run goes on from: the decisions' results (and the
    /// round's others) appended to the conversation.
    async fn resumed<'c, A: Completions<'c>>(
        api: A,
        ctx: &RunContext,
        mut request: A::Request,
        deferred: CompletionDeferred,
        decisions: Vec<Decision>,
    ) -> Result<(A::Request, CompletionRunResult, Vec<String>)> {
        let (sent, _) = resolve(ctx, api.middleware(), A::OPERATION, &deferred.deferred_calls, Vec::new(), decisions).await?;
        let name_of = |id: &str| deferred.deferred_calls.iter().find(|c| c.tool_call_id == id).map(|c| c.tool_name.clone()).unwrap_or_default();
        let mut messages = deferred.messages;
        messages.extend(deferred.executed_results.into_iter().map(Message::Tool));
        messages.extend(sent.into_iter().map(|r| tool_message(&r.tool_call_id, &name_of(&r.tool_call_id), r.result)));
        prepare::<A>(ctx, &mut request);
        *A::messages(&mut request) = messages.clone();
        Ok((request, CompletionRunResult::new(messages, deferred.start, deferred.rounds + 1), deferred.declared))
    }

    pub(super) async fn run_resume<'c, A: Completions<'c>>(
        api: A,
        ctx: &RunContext,
        request: A::Request,
        deferred: CompletionDeferred,
        decisions: Vec<Decision>,
    ) -> Result<CompletionRunResult> {
        let (request, result, declared) = resumed::<A>(api, ctx, request, deferred, decisions).await?;
        drive(api, ctx, request, result, declared).await
    }

    /// What [`CompletionRunStream`] yields.
    #[derive(Debug, Clone, PartialEq)]
    #[non_exhaustive]
    pub enum CompletionRunEvent {
        /// A chunk of the model's streamed answer, as the API sent it.
        Chunk(CompletionChunk),
        /// A local function ran; this result is sent back.
        ToolResult(ToolMessage),
        /// The run is over; nothing follows.
        Done(CompletionRunResult),
    }

    super::run_stream!(
        /// The events of a streamed chat or agents completion run (`run_stream`).
        CompletionRunStream,
        CompletionRunEvent,
        CompletionRunResult
    );

    struct StreamState<'c, A: Completions<'c>> {
        api: A,
        ctx: RunContext,
        request: A::Request,
        declared: Vec<String>,
        chunks: Option<EventStream<Event<CompletionChunk>>>,
        so_far: Completion,
        result: Option<CompletionRunResult>,
        /// What to yield next, last first.
        queue: Vec<Result<CompletionRunEvent>>,
    }

    impl<'c, A: Completions<'c>> StreamState<'c, A> {
        /// Reads one chunk (or ends a round); `None` when the run is over and everything yielded.
        async fn step(&mut self) -> Option<()> {
            let chunks = self.chunks.as_mut()?;
            match chunks.next().await {
                Some(Ok(event)) => {
                    self.so_far.push(&event.data);
                    self.queue.push(Ok(CompletionRunEvent::Chunk(event.data)));
                    Some(())
                }
                Some(Err(e)) => {
                    self.chunks = None;
                    self.queue.push(Err(e));
                    Some(())
                }
                None => {
                    let result = self.result.as_mut()?;
                    let done = std::mem::take(&mut self.so_far);
                    if let Some(usage) = done.usage.clone() {
                        result.usage.push(usage);
                    }
                    let mut answer = AssistantMessage::default();
                    if !done.text().is_empty() {
                        answer.content = crate::Nullable::Value(MessageContent::String(done.text().to_string()));
                    }
                    if !done.tool_calls().is_empty() {
                        answer.tool_calls = crate::Nullable::Value(done.tool_calls().to_vec());
                    }
                    let calls: Vec<Call> = done.tool_calls().iter().enumerate().map(|(i, c)| call_of(c, i)).collect();
                    result.messages.push(Message::Assistant(answer.clone()));
                    A::messages(&mut self.request).push(Message::Assistant(answer));
                    if calls.is_empty() || result.rounds >= self.ctx.max_rounds {
                        result.stop = if calls.is_empty() { RunStop::Answered } else { RunStop::MaxRounds };
                        return self.finish();
                    }
                    let Some(sent) = round(&self.ctx, self.api.middleware(), &calls, &self.declared, result).await else { return self.finish() };
                    result.rounds += 1;
                    result.messages.extend(sent.iter().cloned());
                    A::messages(&mut self.request).extend(sent.iter().cloned());
                    match self.api.send_stream(self.request.clone()).await {
                        Ok(chunks) => self.chunks = Some(chunks),
                        Err(e) => {
                            self.chunks = None;
                            self.queue.push(Err(e));
                        }
                    }
                    for m in sent.into_iter().rev() {
                        if let Message::Tool(t) = m {
                            self.queue.push(Ok(CompletionRunEvent::ToolResult(t)));
                        }
                    }
                    Some(())
                }
            }
        }

        fn finish(&mut self) -> Option<()> {
            self.chunks = None;
            let done = self.result.take()?;
            self.queue.push(Ok(CompletionRunEvent::Done(done)));
            Some(())
        }
    }

    fn events<'c, A: Completions<'c>>(
        api: A,
        ctx: &RunContext,
        request: A::Request,
        chunks: EventStream<Event<CompletionChunk>>,
        result: CompletionRunResult,
        declared: Vec<String>,
    ) -> CompletionRunStream<'c> {
        let state = StreamState {
            api,
            ctx: ctx.clone(),
            request,
            declared,
            chunks: Some(chunks),
            so_far: Completion::default(),
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
        CompletionRunStream { inner: inner.boxed(), operation: A::OPERATION }
    }

    pub(super) async fn run_stream<'c, A: Completions<'c>>(api: A, ctx: &RunContext, mut request: A::Request) -> Result<CompletionRunStream<'c>> {
        let declared = prepare::<A>(ctx, &mut request);
        let messages = A::messages(&mut request).clone();
        let start = messages.len();
        let chunks = api.send_stream(request.clone()).await?;
        Ok(events(api, ctx, request, chunks, CompletionRunResult::new(messages, start, 0), declared))
    }

    pub(super) async fn run_resume_stream<'c, A: Completions<'c>>(
        api: A,
        ctx: &RunContext,
        request: A::Request,
        deferred: CompletionDeferred,
        decisions: Vec<Decision>,
    ) -> Result<CompletionRunStream<'c>> {
        let (request, result, declared) = resumed::<A>(api, ctx, request, deferred, decisions).await?;
        let chunks = api.send_stream(request.clone()).await?;
        Ok(events(api, ctx, request, chunks, result, declared))
    }

    /// One API's methods: `run`, `run_stream`, `run_resume`, `run_resume_stream`.
    macro_rules! loop_methods {
        ($api:ty, $request:ty, $op:literal, $what:literal) => {
            impl<'c> Completions<'c> for $api {
                type Request = $request;
                const OPERATION: &'static str = $op;
                fn messages(request: &mut $request) -> &mut Vec<Message> {
                    &mut request.messages
                }
                fn tools(request: &mut $request) -> &mut crate::Nullable<Vec<ChatTool>> {
                    &mut request.tools
                }
                fn response_format(request: &mut $request) -> &mut Option<ResponseFormat> {
                    &mut request.response_format
                }
                fn send(self, request: $request) -> BoxFuture<'c, Result<ChatCompletionResponse>> {
                    Box::pin(async move { self.complete(request).await })
                }
                fn send_stream(self, request: $request) -> BoxFuture<'c, Result<EventStream<Event<CompletionChunk>>>> {
                    Box::pin(async move { self.stream(request).await })
                }
                fn middleware(self) -> &'c [std::sync::Arc<dyn crate::middleware::Middleware>] {
                    &self.client.inner.middleware
                }
            }

            impl<'c> $api {
                #[doc = concat!("Sends the ", $what, " with `ctx`'s functions as tools (added to the request's own) and runs")]
                /// them until the model answers: the assistant message with its tool calls and one
                /// `tool` message per result (all calls of a round run at once) go back each round.
                /// Calls that wait for the caller stop the run ([`RunStop::Deferred`]). See
                /// [the module](crate::run#chat-and-agents-completions).
                pub async fn run(&self, ctx: &RunContext, request: $request) -> Result<CompletionRunResult> {
                    run(*self, ctx, request).await
                }

                /// [`run`](Self::run), streamed: every chunk of every answer, each tool result as it is
                /// sent, then [`CompletionRunEvent::Done`] with the whole result.
                pub async fn run_stream(&self, ctx: &RunContext, request: $request) -> Result<CompletionRunStream<'c>> {
                    run_stream(*self, ctx, request).await
                }

                /// Resumes a run that stopped with calls deferred, with one [`Decision`] per call; `request`
                /// gives the model and settings (its messages are replaced by the deferred conversation).
                pub async fn run_resume(
                    &self,
                    ctx: &RunContext,
                    request: $request,
                    deferred: CompletionDeferred,
                    decisions: Vec<Decision>,
                ) -> Result<CompletionRunResult> {
                    run_resume(*self, ctx, request, deferred, decisions).await
                }

                /// [`run_resume`](Self::run_resume), streamed as [`run_stream`](Self::run_stream) is.
                pub async fn run_resume_stream(
                    &self,
                    ctx: &RunContext,
                    request: $request,
                    deferred: CompletionDeferred,
                    decisions: Vec<Decision>,
                ) -> Result<CompletionRunStream<'c>> {
                    run_resume_stream(*self, ctx, request, deferred, decisions).await
                }
            }
        };
    }

    #[cfg(feature = "chat")]
    #[cfg_attr(docsrs, doc(cfg(feature = "chat")))]
    loop_methods!(crate::api::chat::Chat<'c>, crate::models::ChatCompletionRequest, "chat.run", "chat completion");
    #[cfg(feature = "agents")]
    #[cfg_attr(docsrs, doc(cfg(feature = "agents")))]
    loop_methods!(crate::api::agents::Agents<'c>, crate::models::AgentsCompletionRequest, "agents.run", "agents completion");
}

#[cfg(any(feature = "agents", feature = "chat"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat"))))]
pub use completions::{CompletionDeferred, CompletionRunEvent, CompletionRunResult, CompletionRunStream};
