//! File parts and binary responses over wiremock on 127.0.0.1: parts from a path, from bytes and
//! from a stream of known or unknown length, their file names and content types (set or
//! guessed), the typed form fields; a file from disk re-read on a retry; downloads as a stream,
//! into any `AsyncWrite`, with content type and length.

mod common;
#[path = "common/cases.rs"]
#[rustfmt::skip]
mod cases;

use futures::StreamExt;
use mistral_sdk::bytes::Bytes;
use mistral_sdk::models::{FilePurpose, FilesUploadBody};
use mistral_sdk::{Client, FilePart, RetryPolicy};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

async fn server_for_uploads() -> MockServer {
    let server = MockServer::start().await;
    let reply = cases::cases().into_iter().find(|c| c.op == "files_api_routes_upload_file").unwrap().response.unwrap();
    Mock::given(method("POST"))
        .and(path("/v1/files"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(reply, "application/json"))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder().api_key("k").server(server.uri()).retry_policy(RetryPolicy::none()).build().unwrap()
}

/// The multipart part named `name`: its headers (lowercased) and content.
fn part(req: &Request, name: &str) -> Option<(String, Vec<u8>)> {
    let ct = req.headers.get("content-type")?.to_str().ok()?;
    let boundary = ct.split("boundary=").nth(1)?;
    let delim = format!("--{boundary}");
    let body = &req.body;
    let mut parts = Vec::new();
    let mut rest = &body[..];
    while let Some(p) = find(rest, delim.as_bytes()) {
        rest = &rest[p + delim.len()..];
        let end = find(rest, delim.as_bytes()).unwrap_or(rest.len());
        parts.push(&rest[..end]);
    }
    parts.into_iter().find_map(|p| {
        let split = find(p, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&p[..split]).to_ascii_lowercase();
        if !head.contains(&format!("name=\"{name}\"")) {
            return None;
        }
        let content = p[split + 4..].strip_suffix(b"\r\n").unwrap_or(&p[split + 4..]).to_vec();
        Some((head, content))
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test]
async fn a_part_from_a_stream_of_unknown_length_is_sent_chunked_with_a_guessed_type() {
    let server = server_for_uploads().await;
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(b"{\"a\":1}\n")), Ok(Bytes::from_static(b"{\"a\":2}\n"))];
    let file = FilePart::from_stream(futures::stream::iter(pieces), None, "train.jsonl");
    client(&server).files().upload(FilesUploadBody::new(file).purpose(FilePurpose::FineTune)).await.unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    assert!(req.headers.get("content-length").is_none(), "unknown length: sent chunked");
    let (head, content) = part(req, "file").expect("a file part");
    assert_eq!(content, b"{\"a\":1}\n{\"a\":2}\n");
    assert!(head.contains("filename=\"train.jsonl\""), "{head}");
    assert!(head.contains("content-type: application/jsonl"), "{head}");
    // The other form fields are typed: an enum sent as its wire value.
    assert_eq!(part(req, "purpose").unwrap().1, b"fine-tune");
}

#[tokio::test]
async fn a_part_from_a_stream_of_known_length_sends_a_content_length() {
    let server = server_for_uploads().await;
    let pieces: Vec<Result<Bytes, std::io::Error>> = vec![Ok(Bytes::from_static(b"abc")), Ok(Bytes::from_static(b"def"))];
    let file = FilePart::from_stream(futures::stream::iter(pieces), Some(6), "data.bin").content_type("application/x-custom");
    client(&server).files().upload(FilesUploadBody::new(file)).await.unwrap();
    let req = &server.received_requests().await.unwrap()[0];
    let length: usize = req.headers.get("content-length").expect("content-length").to_str().unwrap().parse().unwrap();
    assert_eq!(length, req.body.len());
    let (head, content) = part(req, "file").unwrap();
    assert_eq!(content, b"abcdef");
    assert!(head.contains("content-type: application/x-custom"), "set types win: {head}");
}

#[tokio::test]
async fn a_part_from_a_path_is_named_after_the_file_and_re_read_on_a_retry() {
    let server = MockServer::start().await;
    let reply = cases::cases().into_iter().find(|c| c.op == "files_api_routes_upload_file").unwrap().response.unwrap();
    // First attempt: 503 (retried); second: success.
    Mock::given(method("POST")).and(path("/v1/files")).respond_with(ResponseTemplate::new(503)).up_to_n_times(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/files"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(reply, "application/json"))
        .mount(&server)
        .await;
    let dir = std::env::temp_dir().join(format!("mistralai-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("notes.md");
    std::fs::write(&p, "# hello\n").unwrap();
    let client = Client::builder()
        .api_key("k")
        .server(server.uri())
        .retry_policy(RetryPolicy::default().with_initial_backoff(Duration::from_millis(10)))
        .build()
        .unwrap();
    client.files().upload(FilesUploadBody::new(FilePart::from_path(&p).await.unwrap())).await.unwrap();
    std::fs::remove_dir_all(&dir).ok();
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2, "one retry");
    for req in &reqs {
        let (head, content) = part(req, "file").unwrap();
        assert_eq!(content, b"# hello\n", "every attempt sends the whole file");
        assert!(head.contains("filename=\"notes.md\"") && head.contains("content-type: text/markdown"), "{head}");
    }
    // A path that is not a file is refused up front.
    assert!(FilePart::from_path(std::env::temp_dir()).await.is_err());
}

#[tokio::test]
async fn a_download_streams_into_any_writer_with_its_type_and_length() {
    let server = MockServer::start().await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    Mock::given(method("GET"))
        .and(path("/v1/files/f-1/content"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "audio/mpeg"))
        .mount(&server)
        .await;
    let client = client(&server);
    let download = client.files().download("f-1").await.unwrap();
    assert_eq!(download.content_type(), Some("audio/mpeg"));
    assert_eq!(download.content_length(), Some(body.len() as u64));
    let mut sink: Vec<u8> = Vec::new();
    let n = download.write_to(&mut sink).await.unwrap();
    assert_eq!((n, sink.as_slice()), (body.len() as u64, body.as_slice()));

    // Or as a stream of chunks.
    let mut stream = Box::pin(client.files().download("f-1").await.unwrap().into_stream());
    let mut joined = Vec::new();
    while let Some(chunk) = stream.next().await {
        joined.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(joined, body);
}
