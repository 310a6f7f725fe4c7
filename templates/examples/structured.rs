//! Structured outputs: the answer as a Rust type, through a strict JSON schema made from it.
//! `cargo run --example structured --features structured-outputs`
use mistral_sdk::prelude::*;

#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
struct City {
    name: String,
    country: String,
    population: Option<u64>,
}

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let request = ChatCompletionRequest::new("mistral-small-latest", vec![UserMessage::new("The largest city of Japan, as data.").into()]);
    let parsed = client.chat().parse::<City>(request).await?;
    let city = parsed.value();
    println!("{} ({}): {:?} inhabitants", city.name, city.country, city.population);
    Ok(())
}
