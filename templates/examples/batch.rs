//! A batch job: the requests uploaded as a JSONL file, the job created, then polled until done.
use mistral_sdk::models::{ApiEndpoint, CreateBatchJobRequest, FilePurpose, FilesUploadBody};
use mistral_sdk::{Client, FilePart};
use std::time::Duration;

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let lines: Vec<String> = ["Bonjour", "Merci", "Au revoir"]
        .iter()
        .enumerate()
        .map(|(i, word)| {
            let body = serde_json::json!({"messages": [{"role": "user", "content": format!("Translate to English: {word}")}]});
            serde_json::json!({"custom_id": i.to_string(), "body": body}).to_string()
        })
        .collect();
    let file = FilePart::from_bytes(lines.join("\n").into_bytes(), "requests.jsonl");
    let uploaded = client.files().upload(FilesUploadBody::new(file).purpose(FilePurpose::Batch)).await?;
    let request = CreateBatchJobRequest::new(ApiEndpoint::V1ChatCompletions).input_files(vec![uploaded.id.clone()]).model("mistral-small-latest");
    let job = client.batch().jobs().create(request).await?;
    println!("job {} created", job.id);
    for _ in 0..3 {
        let job = client.batch().jobs().get(&job.id).await?;
        println!("status {:?}: {} of {} done", job.status, job.completed_requests, job.total_requests);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
}
