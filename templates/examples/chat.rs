//! A chat answer's text. `cargo run --example chat` with `MISTRAL_API_KEY` set (and
//! `MISTRAL_BASE_URL` to use another server, such as a mock).
use mistral_sdk::prelude::*;

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let request = ChatCompletionRequest::new("mistral-small-latest", vec![UserMessage::new("Name three French painters.").into()]).temperature(0.3);
    let response = client.chat().complete(request).await?;
    println!("{}", response.text().unwrap_or_default());
    println!("({:?} tokens)", response.usage.total_tokens);
    Ok(())
}
