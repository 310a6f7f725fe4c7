//! A batch of 1,000,000 small chat requests through the loopback batch stand-in (the
//! `batch-test-server` process): upload, job, download and decoding of 1,000,000 result lines.
//! Two ways, each in a process of its own so that its peak RSS is its own, alternated over the
//! rounds:
//! - `sdk`: `client.batch().run::<Chat>(…).submit(iterator)`, `wait`, `results()` (typed);
//! - `hand`: what a careful user writes without the helper: the JSONL written to a file with
//!   `serde_json`, uploaded from disk with the SDK's raw files API, the job created and polled,
//!   the output file saved to disk and read back line by line into `ChatCompletionResponse`.
//!
//! `cargo bench -p sdk-tests --bench batch` (`BATCH_BENCH_REQUESTS`, `BATCH_BENCH_ROUNDS`).

use futures::StreamExt;
use mistral_sdk::batch::Chat;
use mistral_sdk::models::{ChatCompletionRequest, ChatCompletionResponse, CreateBatchJobRequest, FilePurpose, FilesUploadBody, Message, UserMessage};
use mistral_sdk::{Client, FilePart, Wait};
use std::io::{BufRead, Write};
use std::time::{Duration, Instant};

fn request(i: usize) -> ChatCompletionRequest {
    ChatCompletionRequest::new("mistral-small-latest", vec![Message::User(UserMessage::new(format!("Question number {i}?")))]).max_tokens(16)
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

async fn sdk(client: &Client, n: usize) -> usize {
    let requests = (0..n).map(|i| (format!("q{i}"), request(i)));
    let mut run = client.batch().run::<Chat>("mistral-small-latest").submit(requests).await.unwrap();
    run.wait(Wait::every(Duration::from_millis(5))).await.unwrap();
    let mut ok = 0;
    let mut results = run.results();
    while let Some(item) = results.next().await {
        if item.unwrap().result.is_ok() {
            ok += 1;
        }
    }
    ok
}

async fn hand(client: &Client, n: usize, dir: &std::path::Path) -> usize {
    let input = dir.join("requests.jsonl");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..n {
            let mut body = serde_json::to_value(request(i)).unwrap();
            body.as_object_mut().unwrap().remove("model");
            serde_json::to_writer(&mut w, &serde_json::json!({"custom_id": format!("q{i}"), "body": body})).unwrap();
            w.write_all(b"\n").unwrap();
        }
        w.flush().unwrap();
    }
    let file = client.files().upload(FilesUploadBody::new(FilePart::from_path(&input).await.unwrap()).purpose(FilePurpose::Batch)).await.unwrap();
    let create =
        CreateBatchJobRequest::new(mistral_sdk::models::ApiEndpoint::V1ChatCompletions).input_files(vec![file.id]).model("mistral-small-latest");
    let job = client.batch().jobs().create(create).await.unwrap();
    let job = client.batch().jobs().wait(&job.id, Wait::every(Duration::from_millis(5))).await.unwrap();
    let output = dir.join("results.jsonl");
    let mistral_sdk::Nullable::Value(out) = job.output_file else { panic!("no output file") };
    client.files().download(out).await.unwrap().save(&output).await.unwrap();
    #[derive(serde::Deserialize)]
    struct Line {
        #[allow(dead_code)]
        custom_id: String,
        response: Response,
    }
    #[derive(serde::Deserialize)]
    struct Response {
        body: ChatCompletionResponse,
    }
    let mut ok = 0;
    for line in std::io::BufReader::new(std::fs::File::open(&output).unwrap()).lines() {
        let line: Line = serde_json::from_str(&line.unwrap()).unwrap();
        if !line.response.body.choices.is_empty() {
            ok += 1;
        }
    }
    ok
}

/// One variant in this process: prints `seconds peak_rss_kib`.
fn child(variant: &str, base: &str, n: usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let client = Client::builder().api_key("k").server(base).timeout(Duration::from_secs(600)).build().unwrap();
    let dir = std::env::temp_dir().join(format!("batch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let start = Instant::now();
    let ok = runtime.block_on(async {
        match variant {
            "sdk" => sdk(&client, n).await,
            _ => hand(&client, n, &dir).await,
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(ok, n, "every request answered");
    println!("{elapsed} {}", peak_rss_kib());
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::var("BATCH_BENCH_REQUESTS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    if let Ok(variant) = std::env::var("BATCH_BENCH_VARIANT") {
        child(&variant, &std::env::var("BATCH_BENCH_BASE").unwrap(), n);
        return;
    }
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        // `cargo test --benches` runs bench targets with `--test`: nothing to check here.
        return;
    }
    let rounds: usize = std::env::var("BATCH_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_batch-test-server"))
        .arg("0")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the batch-test-server binary");
    let mut first = String::new();
    std::io::BufReader::new(server.stdout.as_mut().unwrap()).read_line(&mut first).unwrap();
    let base = first.trim().to_string();
    let exe = std::env::current_exe().unwrap();
    let mut results: std::collections::BTreeMap<&str, (Vec<f64>, Vec<f64>)> = Default::default();
    println!("{n} chat requests through {base}, {rounds} rounds, each variant in its own process");
    for round in 0..rounds {
        for variant in ["sdk", "hand"] {
            let out = std::process::Command::new(&exe)
                .env("BATCH_BENCH_VARIANT", variant)
                .env("BATCH_BENCH_BASE", &base)
                .env("BATCH_BENCH_REQUESTS", n.to_string())
                .output()
                .unwrap();
            assert!(out.status.success(), "{variant}: {}", String::from_utf8_lossy(&out.stderr));
            let text = String::from_utf8_lossy(&out.stdout);
            let mut parts = text.split_whitespace();
            let secs: f64 = parts.next().unwrap().parse().unwrap();
            let rss: f64 = parts.next().unwrap().parse().unwrap();
            println!("round {round} {variant:>4}: {secs:.2} s, peak RSS {:.1} MiB", rss / 1024.0);
            let entry = results.entry(variant).or_default();
            entry.0.push(secs);
            entry.1.push(rss / 1024.0);
        }
    }
    server.kill().ok();
    server.wait().ok();
    let (sdk_s, sdk_rss) = (median(results["sdk"].0.clone()), median(results["sdk"].1.clone()));
    let (hand_s, hand_rss) = (median(results["hand"].0.clone()), median(results["hand"].1.clone()));
    println!("sdk : median {sdk_s:.2} s ({:.0} requests/s), peak RSS {sdk_rss:.1} MiB", n as f64 / sdk_s);
    println!("hand: median {hand_s:.2} s ({:.0} requests/s), peak RSS {hand_rss:.1} MiB", n as f64 / hand_s);
    println!("sdk / hand: time {:.2}x, peak RSS {:.2}x", sdk_s / hand_s, sdk_rss / hand_rss);
}
