//! What everyday code needs in one import: `use mistral_sdk::prelude::*;` brings the client, the
//! error, the request and message types of chat, FIM, agents, embeddings and OCR, and
//! `futures::StreamExt` (for `.next()` on streams), without the generic names of
//! `mistral_sdk::models::*` (`File`, `Function`, `Source`, `Tool`) that clash with other crates.
//! Each type is there when its API feature is on.

pub use crate::{Client, Error, Nullable, Result};
pub use futures::StreamExt as _;
//@ cfg-of ChatCompletionRequest
pub use crate::models::ChatCompletionRequest;
//@ cfg-of ChatCompletionResponse
pub use crate::models::ChatCompletionResponse;
//@ cfg-of CompletionChunk
pub use crate::models::CompletionChunk;
//@ cfg-of Message
pub use crate::models::Message;
//@ cfg-of UserMessage
pub use crate::models::UserMessage;
//@ cfg-of SystemMessage
pub use crate::models::SystemMessage;
//@ cfg-of AssistantMessage
pub use crate::models::AssistantMessage;
//@ cfg-of ToolMessage
pub use crate::models::ToolMessage;
//@ cfg-of MessageContent
pub use crate::models::MessageContent;
//@ cfg-of ContentChunk
pub use crate::models::ContentChunk;
//@ cfg-of TextChunk
pub use crate::models::TextChunk;
//@ cfg-of ChatTool
pub use crate::models::ChatTool;
//@ cfg-of ToolCall
pub use crate::models::ToolCall;
//@ cfg-of ResponseFormat
pub use crate::models::ResponseFormat;
//@ cfg-of FIMCompletionRequest
pub use crate::models::FIMCompletionRequest;
//@ cfg-of AgentsCompletionRequest
pub use crate::models::AgentsCompletionRequest;
//@ cfg-of EmbeddingRequest
pub use crate::models::EmbeddingRequest;
//@ cfg-of EmbeddingResponse
pub use crate::models::EmbeddingResponse;
//@ cfg-of OCRRequest
pub use crate::models::OCRRequest;
//@ cfg-of OCRResponse
pub use crate::models::OCRResponse;
//@ cfg-of ConversationRequest
pub use crate::models::ConversationRequest;
//@ cfg-of ConversationInputs
pub use crate::models::ConversationInputs;
//@ cfg-of ModelList
pub use crate::models::ModelList;
//@ cfg-of FilePurpose
pub use crate::models::FilePurpose;
