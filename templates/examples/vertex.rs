//! Chat through Google Cloud Vertex AI, with an access token from `GOOGLE_ACCESS_TOKEN`
//! (`gcloud auth print-access-token`; the `gcp-adc` feature finds credentials itself) and the
//! project from `GOOGLE_CLOUD_PROJECT`. `cargo run --example vertex --features gcp`
use mistral_sdk::models::{ChatCompletionRequest, UserMessage};

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let token = std::env::var("GOOGLE_ACCESS_TOKEN").unwrap_or_default();
    let project = std::env::var("GOOGLE_CLOUD_PROJECT").unwrap_or_else(|_| "my-project".into());
    let mut builder = mistral_sdk::gcp::Client::builder().project_id(project).region("europe-west4").access_token(token);
    if let Ok(server) = std::env::var("VERTEX_BASE_URL") {
        builder = builder.server(server);
    }
    let vertex = builder.build()?;
    let request = ChatCompletionRequest::new("mistral-small-2503", vec![UserMessage::new("Hello from Vertex").into()]);
    let response = vertex.chat().complete(request).await?;
    println!("{}", response.text().unwrap_or_default());
    Ok(())
}
