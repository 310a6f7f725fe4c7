//! A streamed chat answer, printed as it arrives; then the same request collected into text.
use mistral_sdk::prelude::*;
use std::io::Write;

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let request = ChatCompletionRequest::new("mistral-small-latest", vec![UserMessage::new("Write a haiku about Rust.").into()]);
    let mut stream = client.chat().stream(request.clone()).await?;
    while let Some(event) = stream.next().await {
        for choice in event?.data.choices {
            if let Some(text) = choice.delta.content.as_option() {
                print!("{text}");
                let _ = std::io::stdout().flush();
            }
        }
    }
    println!();
    // Or let the SDK assemble the deltas.
    let text = client.chat().stream(request).await?.collect_text().await?;
    println!("collected: {text}");
    Ok(())
}
