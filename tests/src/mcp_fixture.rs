//! An MCP server for the tests (`tests/tests/mcp.rs` in process and over HTTP, and the
//! `mcp-test-server` binary over stdio): tools listed over two pages, text, image, `isError`,
//! slow and exiting tools, and prompts.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ErrorData, GetPromptRequestParams, GetPromptResponse, GetPromptResult,
    Implementation, ListPromptsResult, ListToolsResult, PaginatedRequestParams, Prompt, PromptArgument, PromptMessage, Role, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{RoleServer, ServerHandler};
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The test server. `can_exit`: whether the `exit` tool ends the process (the stdio binary).
#[derive(Clone, Default)]
pub struct Fixture {
    pub can_exit: bool,
}

fn schema(v: Value) -> Arc<Map<String, Value>> {
    Arc::new(v.as_object().cloned().unwrap_or_default())
}

fn tools() -> Vec<Tool> {
    let text = schema(json!({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}));
    let pair = schema(json!({"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}));
    let none = schema(json!({"type": "object", "properties": {}}));
    vec![
        Tool::new("echo", "Says the text back", text),
        Tool::new("add", "Adds two integers", pair),
        Tool::new("picture", "Draws a picture", none.clone()),
        Tool::new("broken", "Always fails", none.clone()),
        Tool::new("slow", "Never answers", none.clone()),
        Tool::new("exit", "Ends the server process", none),
    ]
}

impl ServerHandler for Fixture {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_prompts().build())
            .with_server_info(Implementation::new("sdk-test-server", "1.0.0"))
    }

    async fn list_tools(&self, request: Option<PaginatedRequestParams>, _: RequestContext<RoleServer>) -> Result<ListToolsResult, ErrorData> {
        // Two pages: the client must follow the cursor.
        let all = tools();
        let second = request.and_then(|r| r.cursor).as_deref() == Some("page-2");
        let mut page = ListToolsResult::with_all_items(if second { all[3..].to_vec() } else { all[..3].to_vec() });
        if !second {
            page.next_cursor = Some("page-2".into());
        }
        Ok(page)
    }

    async fn call_tool(&self, request: CallToolRequestParams, _: RequestContext<RoleServer>) -> Result<CallToolResponse, ErrorData> {
        let args = request.arguments.unwrap_or_default();
        let result = match &*request.name {
            "echo" => CallToolResult::success(vec![ContentBlock::text(format!("echo: {}", args.get("text").and_then(Value::as_str).unwrap_or("")))]),
            "add" => {
                let n = |k: &str| args.get(k).and_then(Value::as_i64).unwrap_or(0);
                CallToolResult::success(vec![ContentBlock::text((n("a") + n("b")).to_string()), ContentBlock::text("(exact)")])
            }
            "picture" => CallToolResult::success(vec![ContentBlock::image("iVBORw0KGgo=", "image/png")]),
            "broken" => CallToolResult::error(vec![ContentBlock::text("disk full")]),
            "slow" => {
                tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                CallToolResult::success(vec![])
            }
            "exit" if self.can_exit => std::process::exit(3),
            other => return Err(ErrorData::invalid_params(format!("no tool `{other}`"), None)),
        };
        Ok(result.into())
    }

    async fn list_prompts(&self, _: Option<PaginatedRequestParams>, _: RequestContext<RoleServer>) -> Result<ListPromptsResult, ErrorData> {
        let greet = Prompt::new("greet", Some("Greets someone"), Some(vec![PromptArgument::new("name").with_description("Who").with_required(true)]));
        Ok(ListPromptsResult::with_all_items(vec![greet, Prompt::new("drawing", Some("A picture"), None)]))
    }

    async fn get_prompt(&self, request: GetPromptRequestParams, _: RequestContext<RoleServer>) -> Result<GetPromptResponse, ErrorData> {
        let name = request.arguments.unwrap_or_default().get("name").and_then(Value::as_str).unwrap_or("you").to_string();
        let messages = match request.name.as_str() {
            "greet" => vec![PromptMessage::new_text(Role::User, format!("Say hello to {name}.")), PromptMessage::new_text(Role::Assistant, "Hello!")],
            _ => vec![PromptMessage::new(Role::User, ContentBlock::image("iVBORw0KGgo=", "image/png"))],
        };
        Ok(GetPromptResponse::Complete(GetPromptResult::new(messages).with_description("A greeting")))
    }
}
