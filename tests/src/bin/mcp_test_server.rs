//! The test MCP server over stdio, for `tests/tests/mcp.rs` (a command the SDK spawns).

#[path = "../mcp_fixture.rs"]
mod mcp_fixture;

use rmcp::ServiceExt;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let service = mcp_fixture::Fixture { can_exit: true }.serve(rmcp::transport::stdio()).await.expect("the stdio session starts");
    let _ = service.waiting().await;
}
