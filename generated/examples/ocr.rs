//! OCR of a document by URL: each page's Markdown.
use mistral_sdk::Client;
use mistral_sdk::models::{DocumentURLChunk, OCRRequest, OCRRequestDocument};

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let url = std::env::args().nth(1).unwrap_or_else(|| "https://arxiv.org/pdf/2201.04234".into());
    let request = OCRRequest::new("mistral-ocr-latest", OCRRequestDocument::from(DocumentURLChunk::new(url)));
    let response = client.ocr().process(request).await?;
    println!("{} page(s) read by {}", response.pages.len(), response.model);
    for page in &response.pages {
        println!("--- page {}\n{}", page.index, page.markdown);
    }
    Ok(())
}
