//! `cargo bench -p sdk-tests --bench sse`: server-sent events throughput on loopback. One server
//! on 127.0.0.1 answers every request with the same stream of 100,000 chat completion chunks
//! then `[DONE]`; each reader decodes every chunk into `mistral_sdk::models::CompletionChunk`
//! and sums the text:
//!
//! - the SDK: `client.chat().stream(request)`;
//! - raw reqwest: `bytes_stream()` plus a minimal parser (LF only, `data:` lines only);
//! - reqwest plus the `eventsource-stream` crate;
//! - the official Python SDK (`chat.stream`), when `target/pybench` holds a virtualenv with
//!   it: `python3 -m venv target/pybench && target/pybench/bin/pip install -r tools/pybench/requirements.txt`.
//!
//! (`SSE_BENCH_PYTHON_RUNS` sets its number of runs, 3 by default, 0 to skip it.)
//!
//! The Rust readers run in interleaved rounds; prints medians, chunks per second and ratios
//! (goals: the SDK at least 0.8× raw reqwest and at least 20× the Python SDK).

use eventsource_stream::Eventsource;
use futures::StreamExt;
use mistral_sdk::models::{ChatCompletionRequest, CompletionChunk, Message, UserMessage};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHUNKS: usize = 100_000;

fn body() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..CHUNKS {
        let chunk = format!(
            r#"{{"id":"cmpl-e5cc70bb28c444948073e77776eb30ef","object":"chat.completion.chunk","created":1702256327,"model":"mistral-small-latest","choices":[{{"index":0,"delta":{{"content":"word{} "}},"finish_reason":null}}]}}"#,
            i % 100
        );
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(chunk.as_bytes());
        out.extend_from_slice(b"\n\n");
    }
    out.extend_from_slice(b"data: [DONE]\n\n");
    out
}

async fn server(body: &'static [u8]) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { break };
            tokio::spawn(async move {
                // Read the head and the (small) JSON body, then send the stream and close.
                let mut buf = vec![0u8; 64 * 1024];
                let mut filled = 0;
                loop {
                    let Ok(n) = sock.read(&mut buf[filled..]).await else { return };
                    if n == 0 {
                        return;
                    }
                    filled += n;
                    if let Some(end) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                        let len: usize =
                            head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
                        while filled < end + 4 + len {
                            let Ok(n) = sock.read(&mut buf[filled..]).await else { return };
                            if n == 0 {
                                return;
                            }
                            filled += n;
                        }
                        break;
                    }
                }
                let head =
                    format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                if sock.write_all(head.as_bytes()).await.is_ok() {
                    let _ = sock.write_all(body).await;
                }
            });
        }
    });
    format!("http://{addr}")
}

fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("mistral-small-latest", vec![Message::from(UserMessage::new("hi"))])
}

fn text_len(c: &CompletionChunk) -> usize {
    use mistral_sdk::models::MessageContent;
    match c.choices.first().and_then(|ch| ch.delta.content.as_option()) {
        Some(MessageContent::String(s)) => s.len(),
        _ => 0,
    }
}

async fn via_sdk(client: &mistral_sdk::Client) -> (usize, usize) {
    let mut s = client.chat().stream(request()).await.unwrap();
    let (mut n, mut chars) = (0, 0);
    while let Some(ev) = s.next().await {
        let ev = ev.unwrap();
        n += 1;
        chars += text_len(&ev.data);
    }
    (n, chars)
}

async fn raw_response(http: &reqwest::Client, uri: &str) -> reqwest::Response {
    let mut req = request();
    req.stream = Some(true);
    http.post(format!("{uri}/v1/chat/completions")).bearer_auth("bench-key").header("accept", "text/event-stream").json(&req).send().await.unwrap()
}

/// Raw reqwest and the least parser that reads this stream: split at blank lines, strip `data: `.
async fn via_raw(http: &reqwest::Client, uri: &str) -> (usize, usize) {
    let mut body = raw_response(http, uri).await.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let (mut n, mut chars) = (0, 0);
    'read: while let Some(bytes) = body.next().await {
        buf.extend_from_slice(&bytes.unwrap());
        let mut start = 0;
        while let Some(p) = buf[start..].windows(2).position(|w| w == b"\n\n") {
            let event = &buf[start..start + p];
            start += p + 2;
            let data = event.strip_prefix(b"data: ").unwrap_or(event);
            if data == b"[DONE]" {
                break 'read;
            }
            let chunk: CompletionChunk = serde_json::from_slice(data).unwrap();
            n += 1;
            chars += text_len(&chunk);
        }
        buf.drain(..start);
    }
    (n, chars)
}

async fn via_eventsource(http: &reqwest::Client, uri: &str) -> (usize, usize) {
    let mut events = raw_response(http, uri).await.bytes_stream().eventsource();
    let (mut n, mut chars) = (0, 0);
    while let Some(ev) = events.next().await {
        let ev = ev.unwrap();
        if ev.data == "[DONE]" {
            break;
        }
        let chunk: CompletionChunk = serde_json::from_str(&ev.data).unwrap();
        n += 1;
        chars += text_len(&chunk);
    }
    (n, chars)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn python_median(uri: &str, runs: usize) -> Option<Duration> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.to_path_buf();
    let python = root.join("target/pybench/bin/python");
    if !python.exists() || runs == 0 {
        return None;
    }
    let script = root.join("tools/pybench/stream_chat.py");
    let mut times = Vec::new();
    for _ in 0..runs {
        let out = std::process::Command::new(&python).arg(&script).arg(uri).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut fields = text.split_whitespace();
        let secs: f64 = fields.next()?.parse().ok()?;
        let chunks: usize = fields.next()?.parse().ok()?;
        assert_eq!(chunks, CHUNKS, "the Python SDK read {chunks} chunks: {}", String::from_utf8_lossy(&out.stderr));
        times.push(Duration::from_secs_f64(secs));
    }
    Some(median(times))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let body: &'static [u8] = Box::leak(body().into_boxed_slice());
    let uri = rt.block_on(server(body));
    let sdk = mistral_sdk::Client::builder().api_key("bench-key").server(&uri).build().unwrap();
    let http = reqwest::Client::new();
    let rounds = 7;
    let (mut t_sdk, mut t_raw, mut t_es) = (Vec::new(), Vec::new(), Vec::new());
    let expected = rt.block_on(via_raw(&http, &uri));
    assert_eq!(expected.0, CHUNKS);
    for _ in 0..rounds {
        let t = Instant::now();
        assert_eq!(rt.block_on(via_sdk(&sdk)), expected);
        t_sdk.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(rt.block_on(via_raw(&http, &uri)), expected);
        t_raw.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(rt.block_on(via_eventsource(&http, &uri)), expected);
        t_es.push(t.elapsed());
    }
    let (sdk_t, raw_t, es_t) = (median(t_sdk), median(t_raw), median(t_es));
    let rate = |d: Duration| CHUNKS as f64 / d.as_secs_f64();
    println!("{CHUNKS} chat chunks ({} MB) per stream, {rounds} interleaved rounds, medians:", body.len() / 1_000_000);
    println!("  SDK chat().stream:            {:7.1} ms  {:>9.0} chunks/s", sdk_t.as_secs_f64() * 1e3, rate(sdk_t));
    println!("  raw reqwest + minimal parser: {:7.1} ms  {:>9.0} chunks/s", raw_t.as_secs_f64() * 1e3, rate(raw_t));
    println!("  reqwest + eventsource-stream: {:7.1} ms  {:>9.0} chunks/s", es_t.as_secs_f64() * 1e3, rate(es_t));
    println!("  SDK throughput / raw reqwest:        {:.2}x (goal: at least 0.8x)", raw_t.as_secs_f64() / sdk_t.as_secs_f64());
    println!("  SDK throughput / eventsource-stream: {:.2}x (the hand-written parser must beat it)", es_t.as_secs_f64() / sdk_t.as_secs_f64());
    long_lines();
    // Keep the runtime (and its server) alive while Python reads.
    let _guard = rt.enter();
    let py_runs = std::env::var("SSE_BENCH_PYTHON_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    match python_median(&uri, py_runs) {
        Some(py) => {
            println!("  official Python SDK chat.stream: {:7.1} ms  {:>9.0} chunks/s (median of {py_runs})", py.as_secs_f64() * 1e3, rate(py));
            println!("  SDK throughput / Python SDK:         {:.1}x (goal: at least 20x)", py.as_secs_f64() / sdk_t.as_secs_f64());
        }
        None => println!("  official Python SDK: skipped (no target/pybench; see the top of benches/sse.rs)"),
    }
}

/// One event whose data line is 4, 16 and 64 MiB long, fed in 16 KiB network chunks: the parser
/// scans each byte once, so the time grows linearly (it was quadratic: 4 MiB took 2.3 s and 64 MiB
/// did not finish in 60 s in a debug build).
fn long_lines() {
    for mib in [4usize, 16, 64] {
        let mut input = b"data: ".to_vec();
        input.resize(6 + (mib << 20), b'x');
        input.extend_from_slice(b"\n\n");
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let mut parser = mistral_sdk::runtime::sse::SseParser::new();
            for chunk in input.chunks(16 << 10) {
                parser.feed(chunk);
            }
            let ev = parser.next_event().expect("one event");
            assert_eq!(ev.data.len(), mib << 20);
            times.push(t.elapsed());
        }
        let m = median(times);
        println!(
            "  one {mib:>2} MiB line in 16 KiB chunks: {:7.1} ms (median of 5), {:.0} MiB/s",
            m.as_secs_f64() * 1e3,
            mib as f64 / m.as_secs_f64()
        );
    }
}
