//! A 1 GiB upload (streamed from disk) and a 1 GiB download (streamed to disk) through the SDK
//! against a raw HTTP server on 127.0.0.1, with the peak resident memory of this test process
//! (`VmHWM` in /proc/self/status) at most 64 MiB: neither side ever holds the file. Its own
//! binary, so nothing else in the process counts.

mod common;
#[path = "common/cases.rs"]
#[rustfmt::skip]
mod cases;

use mistral_sdk::models::FilesUploadBody;
use mistral_sdk::{Client, FilePart, RetryPolicy};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const GIB: u64 = 1 << 30;
const LIMIT_KIB: u64 = 64 * 1024;

/// Peak resident set size of this process so far, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).expect("VmHWM")
}

/// Reads one request, counting (and dropping) its body; answers 200 with `reply`: JSON, or
/// `download` bytes of generated content.
async fn serve_one(mut conn: TcpStream, reply: Reply) -> u64 {
    let mut buf = vec![0u8; 256 * 1024];
    let mut head = Vec::new();
    let head_end = loop {
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "client closed before the request head");
        head.extend_from_slice(&buf[..n]);
        if let Some(p) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let text = String::from_utf8_lossy(&head[..head_end]).to_ascii_lowercase();
    let length: u64 = text.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let chunked = text.contains("transfer-encoding: chunked");
    let mut received = (head.len() - head_end) as u64;
    let mut tail = head[head_end..].to_vec();
    loop {
        let done = if chunked { tail.ends_with(b"\r\n0\r\n\r\n") } else { received >= length };
        if done {
            break;
        }
        let n = conn.read(&mut buf).await.unwrap();
        assert!(n > 0, "client closed mid-body after {received} bytes");
        received += n as u64;
        tail.extend_from_slice(&buf[..n]);
        let keep = tail.len().saturating_sub(7);
        tail.drain(..keep);
    }
    match reply {
        Reply::Json(body) => {
            // `connection: close`: this server answers one request per connection, so the client
            // must not send the next one on it.
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
            conn.write_all(head.as_bytes()).await.unwrap();
            conn.write_all(body.as_bytes()).await.unwrap();
        }
        Reply::Download(size) => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: {size}\r\nconnection: close\r\n\r\n");
            conn.write_all(head.as_bytes()).await.unwrap();
            let block: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
            let mut sent = 0;
            while sent < size {
                let n = block.len().min((size - sent) as usize);
                conn.write_all(&block[..n]).await.unwrap();
                sent += n as u64;
            }
        }
    }
    conn.flush().await.unwrap();
    received
}

enum Reply {
    Json(&'static str),
    Download(u64),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gibibyte_up_and_down_in_constant_memory() {
    let dir = std::env::temp_dir().join(format!("mistralai-large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let upload_path = dir.join("big.jsonl");
    // A sparse file: 1 GiB to read, nothing to write first.
    std::fs::File::create(&upload_path).unwrap().set_len(GIB).unwrap();
    let download_path = dir.join("downloaded.bin");

    let case = |op: &str| cases::cases().into_iter().find(|c| c.op == op).unwrap();
    let upload_reply: &'static str = case("files_api_routes_upload_file").response.unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (conn, _) = listener.accept().await.unwrap();
        let uploaded = serve_one(conn, Reply::Json(upload_reply)).await;
        let (conn, _) = listener.accept().await.unwrap();
        serve_one(conn, Reply::Download(GIB)).await;
        uploaded
    });
    let client = Client::builder().api_key("k").server(&url).retry_policy(RetryPolicy::none()).build().unwrap();
    let before = peak_rss_kib();

    let start = Instant::now();
    let file = FilePart::from_path(&upload_path).await.unwrap();
    client.files().upload(FilesUploadBody::new(file)).await.expect("upload");
    let up = start.elapsed();

    let start = Instant::now();
    let download = client.files().download("file-1").await.expect("download");
    assert_eq!(download.content_length(), Some(GIB));
    assert_eq!(download.content_type(), Some("application/octet-stream"));
    let written = download.save(&download_path).await.expect("save");
    let down = start.elapsed();

    let uploaded = server.await.unwrap();
    let peak = peak_rss_kib();
    let on_disk = std::fs::metadata(&download_path).unwrap().len();
    std::fs::remove_dir_all(&dir).ok();

    assert!(uploaded > GIB, "the server received {uploaded} bytes (the file plus the multipart framing)");
    assert_eq!((written, on_disk), (GIB, GIB));
    eprintln!("upload {up:?}, download {down:?}; peak RSS {} MiB (before the transfers: {} MiB)", peak / 1024, before / 1024);
    assert!(peak <= LIMIT_KIB, "peak RSS {} KiB is over {LIMIT_KIB} KiB", peak);
}
