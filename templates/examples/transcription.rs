//! Transcribe an audio file (the path given, streamed from disk).
use mistral_sdk::models::AudioTranscriptionRequest;
use mistral_sdk::{Client, FilePart};

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let path = std::env::args().nth(1).unwrap_or_else(|| "speech.mp3".into());
    let request = AudioTranscriptionRequest::new("voxtral-mini-latest").file(FilePart::from_path(path).await?);
    let response = client.audio().transcriptions().complete(request).await?;
    println!("{}", response.text);
    Ok(())
}
