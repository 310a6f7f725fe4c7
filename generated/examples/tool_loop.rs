//! A conversation that calls a local Rust function until the model answers (the SDK runs the
//! loop: it sends the tool's JSON schema, runs each call, sends the results back).
//! `cargo run --example tool_loop --features conversation-run`
use mistral_sdk::Client;
use mistral_sdk::models::ConversationRequest;
use mistral_sdk::run::RunContext;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Weather {
    /// The city to look up.
    city: String,
}

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let ctx = RunContext::new()
        .function("get_weather", "The weather now in a city", |w: Weather| async move { Ok::<_, String>(format!("Sunny, 21 °C in {}", w.city)) })
        .max_rounds(4);
    let request = ConversationRequest::new("What is the weather in Paris?").model("mistral-small-latest");
    let result = client.beta().conversations().run(&ctx, request).await?;
    for call in result.function_calls() {
        println!("called {}", call.name);
    }
    println!("{}", result.output_text().unwrap_or_default());
    Ok(())
}
