//! The batch stand-in (`tests/src/batch_service.rs`) as a process of its own, for the batch
//! benchmark: serves on 127.0.0.1 (port from the first argument, 0 for any), a job is over after
//! one poll, uploaded lines are not kept; prints its base URL on the first line of stdout.

#[path = "../batch_service.rs"]
mod batch_service;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let service = batch_service::start(port, 1, false).await;
    println!("{}", service.base);
    std::future::pending::<()>().await;
}
