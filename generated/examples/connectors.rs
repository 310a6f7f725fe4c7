//! The connectors of the workspace, a page at a time.
use mistral_sdk::Client;

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let page = client.beta().connectors().list().page_size(50).await?;
    println!("{page:#?}");
    Ok(())
}
