//! What everyday code needs in one import: `use mistral_sdk::prelude::*;` brings the client, the
//! error, the request and message types of chat, FIM, agents, embeddings and OCR, and
//! `futures::StreamExt` (for `.next()` on streams), without the generic names of
//! `mistral_sdk::models::*` (`File`, `Function`, `Source`, `Tool`) that clash with other crates.
//! Each type is there when its API feature is on.

pub use crate::{Client, Error, Nullable, Result};
pub use futures::StreamExt as _;
#[cfg(feature = "chat")]
#[cfg_attr(docsrs, doc(cfg(feature = "chat")))]
pub use crate::models::ChatCompletionRequest;
#[cfg(any(feature = "agents", feature = "chat"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat"))))]
pub use crate::models::ChatCompletionResponse;
#[cfg(any(feature = "agents", feature = "chat", feature = "fim"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "fim"))))]
pub use crate::models::CompletionChunk;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))))]
pub use crate::models::Message;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))))]
pub use crate::models::UserMessage;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))))]
pub use crate::models::SystemMessage;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))))]
pub use crate::models::AssistantMessage;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))))]
pub use crate::models::ToolMessage;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))))]
pub use crate::models::MessageContent;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))))]
pub use crate::models::ContentChunk;
#[cfg(any(feature = "agents", feature = "beta-conversations", feature = "chat", feature = "classifiers", feature = "fim"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "beta-conversations", feature = "chat", feature = "classifiers", feature = "fim"))))]
pub use crate::models::TextChunk;
#[cfg(any(feature = "agents", feature = "chat"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat"))))]
pub use crate::models::ChatTool;
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers", feature = "fim"))))]
pub use crate::models::ToolCall;
#[cfg(any(feature = "agents", feature = "beta-agents", feature = "beta-conversations", feature = "chat", feature = "ocr"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "beta-agents", feature = "beta-conversations", feature = "chat", feature = "ocr"))))]
pub use crate::models::ResponseFormat;
#[cfg(feature = "fim")]
#[cfg_attr(docsrs, doc(cfg(feature = "fim")))]
pub use crate::models::FIMCompletionRequest;
#[cfg(feature = "agents")]
#[cfg_attr(docsrs, doc(cfg(feature = "agents")))]
pub use crate::models::AgentsCompletionRequest;
#[cfg(feature = "embeddings")]
#[cfg_attr(docsrs, doc(cfg(feature = "embeddings")))]
pub use crate::models::EmbeddingRequest;
#[cfg(feature = "embeddings")]
#[cfg_attr(docsrs, doc(cfg(feature = "embeddings")))]
pub use crate::models::EmbeddingResponse;
#[cfg(feature = "ocr")]
#[cfg_attr(docsrs, doc(cfg(feature = "ocr")))]
pub use crate::models::OCRRequest;
#[cfg(feature = "ocr")]
#[cfg_attr(docsrs, doc(cfg(feature = "ocr")))]
pub use crate::models::OCRResponse;
#[cfg(feature = "beta-conversations")]
#[cfg_attr(docsrs, doc(cfg(feature = "beta-conversations")))]
pub use crate::models::ConversationRequest;
#[cfg(feature = "beta-conversations")]
#[cfg_attr(docsrs, doc(cfg(feature = "beta-conversations")))]
pub use crate::models::ConversationInputs;
#[cfg(feature = "models")]
#[cfg_attr(docsrs, doc(cfg(feature = "models")))]
pub use crate::models::ModelList;
#[cfg(feature = "files")]
#[cfg_attr(docsrs, doc(cfg(feature = "files")))]
pub use crate::models::FilePurpose;
