//@ needs completion
//@ field ChatCompletionResponse.choices: Vec<ChatCompletionChoice>
//@ field ChatCompletionChoice.message: Option<AssistantMessage>
//@ field AssistantMessage.content: Nullable<MessageContent>
//@ field AssistantMessage.tool_calls: Nullable<Vec<ToolCall>>
//@ variants MessageContent: String, ContentChunkList
//@ variant MessageContent::String(String)
//@ variant MessageContent::ContentChunkList(Vec<ContentChunk>)
//@ variant ContentChunk::Text(TextChunk)
//@ field TextChunk.text: String
//@ field ToolCall.id: Option<String>
//@ field ToolCall.function: FunctionCall
//@ field FunctionCall.name: String
//@ field FunctionCall.arguments: FunctionCallArguments
//@ variants FunctionCallArguments: String, ValueMap
//@ variant FunctionCallArguments::String(String)
//@ field CompletionChunk.choices: Vec<CompletionResponseStreamChoice>
//@ field CompletionResponseStreamChoice.delta: DeltaMessage
//@ field DeltaMessage.content: Nullable<MessageContent>
//@ field ToolMessage.content: Option<MessageContent>
//@ field ToolMessage.tool_call_id: Nullable<String>
//@ field ToolMessage.name: Nullable<String>
//@ variant ChatTool::Function(Tool)
//@ field Tool.function: Function
//@ field Function.name: String
//@ field Function.description: Option<String>
//@ field Function.strict: Option<bool>
//@ field Function.parameters: std::collections::BTreeMap<String, serde_json::Value>
//! What everyday code reaches for on chat and agents answers: the answer's text and tool
//! calls, a chunk's text, text content printed with `{}`, a tool declared from a JSON schema,
//! and a tool call's arguments decoded into a type with its result message in one line.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use mistral_sdk::models::{ChatCompletionRequest, ChatTool, Message, ToolMessage, UserMessage};
//!
//! #[derive(serde::Deserialize)]
//! struct Weather { city: String }
//!
//! let weather = ChatTool::function("get_weather", "The weather in a city", serde_json::json!({
//!     "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]
//! }));
//! let mut messages = vec![Message::from(UserMessage::new("Weather in Paris?"))];
//! let request = ChatCompletionRequest::new("mistral-small-latest", messages.clone()).tools(vec![weather]);
//! let response = client.chat().complete(request).await?;
//! for call in response.tool_calls() {
//!     let args: Weather = call.arguments()?;                        // typed arguments
//!     messages.push(ToolMessage::answer(call, format!("Sunny in {}", args.city)).into());
//! }
//! println!("{}", response.text().unwrap_or_default());             // the answer's text
//! # Ok(())
//! # }
//! ```

use crate::models::{
    AssistantMessage, ChatCompletionResponse, ChatTool, CompletionChunk, Function, FunctionCallArguments, MessageContent, Tool, ToolCall, ToolMessage,
};

impl AssistantMessage {
    /// The message's text, when it has content.
    pub fn text(&self) -> Option<String> {
        self.content.as_option().map(MessageContent::text)
    }

    /// The tools the model calls (empty when none); `tool_calls(…)` is the builder's setter.
    pub fn calls(&self) -> &[ToolCall] {
        self.tool_calls.as_option().map_or(&[], Vec::as_slice)
    }
}

impl ChatCompletionResponse {
    /// The first choice's message (`choices[0].message`).
    pub fn message(&self) -> Option<&AssistantMessage> {
        self.choices.first()?.message.as_ref()
    }

    /// The first choice's text: what `res.choices[0].message.content` holds, as text.
    pub fn text(&self) -> Option<String> {
        self.message()?.text()
    }

    /// The first choice's tool calls (empty when none).
    pub fn tool_calls(&self) -> &[ToolCall] {
        self.message().map_or(&[], AssistantMessage::calls)
    }
}

impl CompletionChunk {
    /// The text this chunk adds to the first choice (empty when none).
    pub fn text(&self) -> String {
        self.choices.first().and_then(|c| c.delta.content.as_option()).map(MessageContent::text).unwrap_or_default()
    }
}

impl ToolCall {
    /// The function's name.
    pub fn name(&self) -> &str {
        &self.function.name
    }

    /// The arguments as JSON (the model sends them as a JSON string or an object).
    pub fn arguments_json(&self) -> crate::Result<serde_json::Value> {
        match &self.function.arguments {
            FunctionCallArguments::String(s) if s.trim().is_empty() => Ok(serde_json::Value::Object(Default::default())),
            FunctionCallArguments::String(s) => serde_json::from_str(s).map_err(|e| self.parse_error(s.clone(), "", e.to_string())),
            FunctionCallArguments::ValueMap(m) => Ok(serde_json::Value::Object(m.clone().into_iter().collect())),
            FunctionCallArguments::Unknown(v) => Ok(v.clone()),
        }
    }

    /// The arguments decoded into `T`; [`Error::Parse`](crate::Error::Parse) with the text and
    /// the path where they do not match.
    pub fn arguments<T: serde::de::DeserializeOwned>(&self) -> crate::Result<T> {
        let value = self.arguments_json()?;
        serde_path_to_error::deserialize(&value).map_err(|e| {
            let path = e.path().to_string();
            self.parse_error(value.to_string(), if path == "." { "" } else { &path }, e.into_inner().to_string())
        })
    }

    fn parse_error(&self, text: String, path: &str, message: String) -> crate::Error {
        crate::Error::Parse { operation: "tool_call.arguments", choice: 0, text, path: path.to_string(), message }
    }
}

impl ToolMessage {
    /// The result of `call`: its id and name, and `result` as the content (a string as it is,
    /// anything else as JSON).
    pub fn answer(call: &ToolCall, result: impl serde::Serialize) -> ToolMessage {
        let content = match serde_json::to_value(&result) {
            Ok(serde_json::Value::String(s)) => s,
            Ok(v) => v.to_string(),
            Err(e) => serde_json::json!({"error": format!("the result does not encode: {e}")}).to_string(),
        };
        let mut message = ToolMessage::new(MessageContent::String(content));
        message.tool_call_id = call.id.clone().into();
        message.name = crate::Nullable::Value(call.function.name.clone());
        message
    }
}

impl ChatTool {
    /// A function tool from its JSON schema (`{"type": "object", "properties": …}`), sent with
    /// `"type": "function"`. A schema that is not an object gives empty parameters.
    pub fn function(name: impl Into<String>, description: impl Into<String>, parameters: serde_json::Value) -> ChatTool {
        let parameters: std::collections::BTreeMap<String, serde_json::Value> = match parameters {
            serde_json::Value::Object(m) => m.into_iter().collect(),
            _ => Default::default(),
        };
        let mut function = Function::new(name.into(), parameters);
        function.description = Some(description.into());
        ChatTool::Function(Tool::new(function))
    }
}
