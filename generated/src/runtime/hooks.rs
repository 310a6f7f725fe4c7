//! Hooks: see or change every request before it is sent and every response before it is
//! decoded. Chosen over a middleware stack (reqwest-middleware) to keep the dependency tree and
//! the compile time small; a hook can log, add headers, sign requests, record metrics or fail a
//! call early.

/// What a hook knows about the call.
#[derive(Debug, Clone, Copy)]
pub struct HookContext {
    /// The operation id from the spec (`chat_completion_v1_chat_completions_post`).
    pub operation: &'static str,
    /// 1 for the first attempt, 2 for the first retry, …
    pub attempt: u32,
}

/// Called on every attempt, in the order hooks were added.
pub trait Hook: Send + Sync + 'static {
    /// Before the request is sent; may change it, or fail the call by returning an error.
    fn on_request(&self, ctx: &HookContext, request: &mut reqwest::Request) -> Result<(), crate::Error> {
        let _ = (ctx, request);
        Ok(())
    }

    /// When a response arrives, before retry decisions and decoding; may change its headers
    /// (`response.headers_mut()`).
    fn on_response(&self, ctx: &HookContext, response: &mut reqwest::Response) {
        let _ = (ctx, response);
    }
}
