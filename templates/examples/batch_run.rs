//! A typed batch run with a progress bar: 20,000 chat requests (more than go inline, so they
//! are written as JSONL while they upload), the job's counts drawn as it runs, then the answers
//! read back as they download, each with its `custom_id`.
use futures::StreamExt;
use mistral_sdk::batch::Chat;
use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
use mistral_sdk::{Client, Wait};
use std::io::Write;
use std::time::Duration;

const REQUESTS: usize = 20_000;

/// `[#########...........]  9000/20000 done, 12 failed`, redrawn in place.
fn draw(done: i64, total: i64, failed: i64) {
    let width = 30;
    let filled = if total > 0 { (done * width / total) as usize } else { 0 };
    print!("\r[{}{}] {done:>6}/{total} done, {failed} failed", "#".repeat(filled), ".".repeat(width as usize - filled));
    std::io::stdout().flush().ok();
}

#[tokio::main]
async fn main() -> mistral_sdk::Result<()> {
    let client = Client::from_env()?;
    let requests = (0..REQUESTS).map(|i| {
        let question = format!("Give one word that rhymes with the number {i}.");
        (format!("rhyme-{i}"), ChatCompletionRequest::new("mistral-small-latest", vec![Message::User(UserMessage::new(question))]).max_tokens(8))
    });
    let mut run = client.batch().run::<Chat>("mistral-small-latest").submit(requests).await?;
    println!("batch job {} created", run.id());
    let mut progress = run.progress(Wait::every(Duration::from_millis(500)).backoff(1.5, Duration::from_secs(10)));
    while let Some(p) = progress.next().await {
        let p = p?;
        draw(p.completed, p.total, p.failed);
    }
    drop(progress);
    println!();
    run.refresh().await?;
    let (mut answers, mut failures) = (0, 0);
    let mut results = run.results();
    while let Some(item) = results.next().await {
        let item = item?;
        match &item.result {
            Ok(answer) if answers < 3 => println!("{}: {}", item.custom_id.as_deref().unwrap_or("?"), answer.text().unwrap_or_default()),
            Ok(_) => {}
            Err(e) => {
                failures += 1;
                eprintln!("{}: {e}", item.custom_id.as_deref().unwrap_or("?"));
            }
        }
        if item.result.is_ok() {
            answers += 1;
        }
    }
    println!("{answers} answers, {failures} failures");
    Ok(())
}
