//! `cargo bench -p sdk-tests --bench overhead`: the SDK's per-request overhead over raw reqwest.
//! Both send GET /v1/models with a bearer key to the same keep-alive HTTP server on 127.0.0.1
//! and decode the same body into `ModelList`; 10,000 sequential calls each, in interleaved
//! rounds. Prints medians per call and the ratio (goal: under 1.10).

use mistral_sdk::models::ModelList;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BODY: &str = r#"{"object":"list","data":[{"id":"mistral-small-latest","object":"model","created":1700000000,"owned_by":"mistralai","capabilities":{"completion_chat":true,"function_calling":true},"type":"base"}]}"#;

async fn server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { break };
            sock.set_nodelay(true).ok();
            tokio::spawn(async move {
                let response = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}", BODY.len());
                let mut buf = vec![0u8; 8192];
                let mut filled = 0;
                loop {
                    let Ok(n) = sock.read(&mut buf[filled..]).await else { return };
                    if n == 0 {
                        return;
                    }
                    filled += n;
                    // One request per header block (GET, no body).
                    while let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        if sock.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                        buf.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                }
            });
        }
    });
    format!("http://{addr}")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let uri = server().await;
        let sdk = mistral_sdk::Client::builder().api_key("bench-key").server(&uri).build().unwrap();
        let raw = reqwest::Client::new();
        let url = format!("{uri}/v1/models");
        const ROUNDS: usize = 10;
        const PER_ROUND: usize = 1_000;
        // Warm up connections and code paths.
        for _ in 0..200 {
            sdk.models().list().await.unwrap();
            let b = raw.get(&url).bearer_auth("bench-key").header("accept", "application/json").send().await.unwrap().bytes().await.unwrap();
            let _: ModelList = serde_json::from_slice(&b).unwrap();
        }
        let (mut sdk_t, mut raw_t) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let t = Instant::now();
            for _ in 0..PER_ROUND {
                let b = raw.get(&url).bearer_auth("bench-key").header("accept", "application/json").send().await.unwrap().bytes().await.unwrap();
                let list: ModelList = serde_json::from_slice(&b).unwrap();
                std::hint::black_box(list);
            }
            raw_t.push(t.elapsed() / PER_ROUND as u32);
            let t = Instant::now();
            for _ in 0..PER_ROUND {
                let list = sdk.models().list().await.unwrap();
                std::hint::black_box(list);
            }
            sdk_t.push(t.elapsed() / PER_ROUND as u32);
        }
        let (s, r) = (median(sdk_t), median(raw_t));
        println!("GET /v1/models on loopback, {} sequential calls each, medians of {ROUNDS} interleaved rounds", ROUNDS * PER_ROUND);
        println!("raw reqwest + serde_json: {:.1} µs per call", r.as_secs_f64() * 1e6);
        println!("mistral-sdk:              {:.1} µs per call", s.as_secs_f64() * 1e6);
        println!("overhead: {:+.1}% (goal: under +10%)", (s.as_secs_f64() / r.as_secs_f64() - 1.0) * 100.0);
    });
}
