//! The hand-written runtime the generated code calls. It is ordinary Rust, kept in the
//! generator's `templates/runtime/` and copied verbatim into the SDK. Not a public API: use the
//! items re-exported at the crate root.

mod macros;
mod nullable;
mod serde_helpers;

#[allow(unused_imports)]
pub(crate) use macros::*;
pub use nullable::Nullable;
pub use serde_helpers::*;
