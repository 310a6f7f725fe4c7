//! Live transcription over a WebSocket: a raw 16 kHz PCM file sent in chunks as if from a
//! microphone, the transcript printed as it comes. `cargo run --example realtime --features realtime -- audio.pcm`
use futures::StreamExt;
use mistral_sdk::Client;
use mistral_sdk::realtime::{AudioEncoding, AudioFormat, RealtimeEvent};

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let path = std::env::args().nth(1).unwrap_or_else(|| "audio.pcm".into());
    let audio = tokio::fs::read(&path).await.map_err(|source| mistral_sdk::Error::Io { operation: "reading the audio", source })?;
    let chunks: Vec<mistral_sdk::bytes::Bytes> = audio.chunks(3200).map(mistral_sdk::bytes::Bytes::copy_from_slice).collect();
    let mut events = client
        .audio()
        .realtime("voxtral-mini-transcribe-realtime-2602")
        .audio_format(AudioFormat { encoding: AudioEncoding::PcmS16le, sample_rate: 16_000 })
        .transcribe(futures::stream::iter(chunks))
        .await?;
    while let Some(event) = events.next().await {
        match event? {
            RealtimeEvent::TextDelta(delta) => print!("{}", delta.text),
            RealtimeEvent::Done(_) => break,
            _ => {}
        }
    }
    println!();
    Ok(())
}
