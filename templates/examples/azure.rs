//! Chat through Azure AI Foundry. `AZURE_ENDPOINT` (the resource root), `AZURE_API_KEY`.
//! `cargo run --example azure --features azure`
use mistral_sdk::models::{ChatCompletionRequest, UserMessage};

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let azure = mistral_sdk::azure::Client::from_env()?;
    let request = ChatCompletionRequest::new("mistral-small-2503", vec![UserMessage::new("Hello from Azure").into()]);
    let response = azure.chat().complete(request).await?;
    println!("{}", response.text().unwrap_or_default());
    Ok(())
}
