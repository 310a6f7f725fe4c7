//! Every item of a paginated list as one stream, fetched page by page.
use futures::TryStreamExt;
use mistral_sdk::prelude::*;

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let agents: Vec<_> = client.beta().agents().list_pages().page_size(20).items().try_collect().await?;
    println!("{} agents", agents.len());
    for agent in agents.iter().take(5) {
        println!("- {} ({})", agent.name, agent.id);
    }
    Ok(())
}
