//! The hand-written runtime the generated code calls. It is ordinary Rust, kept in the
//! generator's `templates/runtime/` and copied verbatim into the SDK. Public items are
//! re-exported at the crate root; the rest is for generated code.

pub mod binary;
pub mod client;
pub mod error;
pub mod hooks;
pub mod http;
pub mod json_schema;
mod macros;
pub mod middleware;
pub mod multipart;
mod nullable;
pub mod paginate;
pub mod provider;
pub mod retry;
pub mod secret;
mod serde_helpers;
pub mod sse;
pub mod wait;

#[allow(unused_imports)]
pub(crate) use macros::*;
pub use nullable::Nullable;
pub use serde_helpers::*;
