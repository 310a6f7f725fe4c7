//! Embeddings of two sentences and their cosine similarity.
use mistral_sdk::prelude::*;

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let response =
        client.embeddings().create(EmbeddingRequest::new("mistral-embed", vec!["A cat sat on the mat.", "A feline rested on the rug."])).await?;
    let vectors: Vec<Vec<f64>> = response.data.into_iter().filter_map(|d| d.embedding).collect();
    if let [a, b] = &vectors[..] {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        println!("cosine similarity: {:.3}", dot / (norm(a) * norm(b)).max(f64::EPSILON));
    }
    println!("{} vectors", vectors.len());
    Ok(())
}
