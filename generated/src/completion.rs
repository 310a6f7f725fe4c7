//! Assembling a completion stream (`chat().stream`, `fim().stream`, `agents().stream`) into the
//! final message, so nobody hand-merges deltas.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
//! let request = ChatCompletionRequest::new("mistral-small-latest", vec![Message::from(UserMessage::new("Hello"))]);
//! // The whole answer:
//! let text = client.chat().stream(request.clone()).await?.collect_text().await?;
//! // Or print as it comes and keep everything (text, tool calls, finish reason, usage):
//! let mut stream = client.chat().stream(request).await?;
//! let mut so_far = mistral_sdk::completion::Completion::default();
//! while let Some(delta) = so_far.next_from(&mut stream).await? {
//!     print!("{delta}");
//! }
//! println!("\n{:?} {:?}", so_far.finish_reason(), so_far.usage);
//! # let _ = text;
//! # Ok(())
//! # }
//! ```

use crate::models::{
    CompletionChunk, CompletionResponseStreamChoiceFinishReason, ContentChunk, FunctionCallArguments, MessageContent, ToolCall, UsageInfo,
};
use crate::{Event, EventStream, Result};
use futures::StreamExt;

/// A completion assembled from its stream's chunks: per choice the text and tool calls so far.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    /// The completion's id (from the first chunk).
    pub id: String,
    /// The model that answered.
    pub model: String,
    /// One entry per choice index seen, in index order.
    pub choices: Vec<Choice>,
    /// Token usage, sent with the last chunk.
    pub usage: Option<UsageInfo>,
}

/// One choice of a [`Completion`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choice {
    /// The choice's index.
    pub index: i64,
    /// The text deltas joined (the text chunks of structured content included).
    pub text: String,
    /// Tool calls, merged by their `index`: the name and id from the first delta that has them,
    /// string `arguments` concatenated.
    pub tool_calls: Vec<ToolCall>,
    /// Why the choice ended (`stop`, `length`, `tool_calls`, …), once it has.
    pub finish_reason: Option<CompletionResponseStreamChoiceFinishReason>,
}

impl Completion {
    /// Adds one chunk; returns the text it added to the first choice (empty when none).
    pub fn push(&mut self, chunk: &CompletionChunk) -> String {
        if self.id.is_empty() {
            self.id.clone_from(&chunk.id);
        }
        if self.model.is_empty() {
            self.model.clone_from(&chunk.model);
        }
        if chunk.usage.is_some() {
            self.usage.clone_from(&chunk.usage);
        }
        let mut first_delta = String::new();
        for c in &chunk.choices {
            let pos = match self.choices.iter().position(|x| x.index == c.index) {
                Some(p) => p,
                None => {
                    self.choices.push(Choice { index: c.index, ..Default::default() });
                    self.choices.sort_by_key(|x| x.index);
                    self.choices.iter().position(|x| x.index == c.index).unwrap_or(0)
                }
            };
            let choice = &mut self.choices[pos];
            let delta = c.delta.content.as_option().map(text_of).unwrap_or_default();
            choice.text.push_str(&delta);
            if pos == 0 {
                first_delta.push_str(&delta);
            }
            for call in c.delta.tool_calls.as_option().into_iter().flatten() {
                merge_tool_call(&mut choice.tool_calls, call);
            }
            if c.finish_reason.is_some() {
                choice.finish_reason.clone_from(&c.finish_reason);
            }
        }
        first_delta
    }

    /// Reads the next event of `stream` into this completion. `Ok(Some(delta))` gives the text
    /// it added to the first choice (possibly empty), `Ok(None)` the end of the stream.
    pub async fn next_from(&mut self, stream: &mut EventStream<Event<CompletionChunk>>) -> Result<Option<String>> {
        match stream.next().await {
            Some(Ok(event)) => Ok(Some(self.push(&event.data))),
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }

    /// The first choice's text.
    pub fn text(&self) -> &str {
        self.choices.first().map_or("", |c| c.text.as_str())
    }

    /// The first choice's tool calls.
    pub fn tool_calls(&self) -> &[ToolCall] {
        self.choices.first().map_or(&[], |c| c.tool_calls.as_slice())
    }

    /// The first choice's finish reason.
    pub fn finish_reason(&self) -> Option<&CompletionResponseStreamChoiceFinishReason> {
        self.choices.first().and_then(|c| c.finish_reason.as_ref())
    }
}

/// The text of a delta's content: a string, or the text chunks of a chunk list.
fn text_of(content: &MessageContent) -> String {
    content.text()
}

impl MessageContent {
    /// The text: the string, or the text chunks joined (other chunks, images and documents,
    /// left out).
    pub fn text(&self) -> String {
        match self {
            MessageContent::String(s) => s.clone(),
            MessageContent::ContentChunkList(chunks) => chunks
                .iter()
                .filter_map(|c| match c {
                    ContentChunk::Text(t) => Some(t.text.as_str()),
                    _ => None,
                })
                .collect(),
            MessageContent::Unknown(_) => String::new(),
        }
    }
}

/// Prints the text ([`MessageContent::text`]).
impl std::fmt::Display for MessageContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MessageContent::String(s) => f.write_str(s),
            other => f.write_str(&other.text()),
        }
    }
}

fn merge_tool_call(calls: &mut Vec<ToolCall>, delta: &ToolCall) {
    let existing = match delta.index {
        Some(i) => calls.iter_mut().find(|c| c.index == Some(i)),
        None => None,
    };
    let Some(call) = existing else {
        calls.push(delta.clone());
        return;
    };
    if call.id.is_none() {
        call.id.clone_from(&delta.id);
    }
    if call.r#type.is_none() {
        call.r#type.clone_from(&delta.r#type);
    }
    if call.function.name.is_empty() {
        call.function.name.clone_from(&delta.function.name);
    }
    match (&mut call.function.arguments, &delta.function.arguments) {
        (FunctionCallArguments::String(so_far), FunctionCallArguments::String(more)) => so_far.push_str(more),
        (so_far, more) => *so_far = more.clone(),
    }
}

impl EventStream<Event<CompletionChunk>> {
    /// Reads the whole stream into a [`Completion`].
    pub async fn collect_completion(mut self) -> Result<Completion> {
        let mut completion = Completion::default();
        while completion.next_from(&mut self).await?.is_some() {}
        Ok(completion)
    }

    /// Reads the whole stream and returns the first choice's text.
    pub async fn collect_text(self) -> Result<String> {
        let mut completion = self.collect_completion().await?;
        Ok(if completion.choices.is_empty() { String::new() } else { std::mem::take(&mut completion.choices[0].text) })
    }
}
