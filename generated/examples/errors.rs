//! Handling errors: the status, the service's message and the request id of an API error, and
//! the other kinds (timeouts, connections) told apart.
use mistral_sdk::RetryPolicy;
use mistral_sdk::prelude::*;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let client = match Client::from_env() {
        Ok(c) => c,
        Err(e) => return eprintln!("configuration: {e}"),
    };
    let result = client.models().retrieve("a-model-that-does-not-exist").timeout(Duration::from_secs(20)).retry(RetryPolicy::none()).await;
    match result {
        Ok(model) => println!("found {:?}", model.id()),
        Err(e @ Error::Api(_)) => {
            // 401, 404, 422, 429…: one shape whatever the status.
            println!("{}: status {:?}, message {:?}, request id {:?}", e.operation().unwrap_or("?"), e.status(), e.message(), e.request_id());
        }
        Err(Error::Timeout { .. }) => println!("timed out"),
        Err(e) => println!("other error: {e}"),
    }
}
