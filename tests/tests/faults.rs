//! The SDK against hostile or broken servers: scripted raw TCP servers on 127.0.0.1. Every case
//! ends in success or the right typed error within a stated bound (each test body runs under
//! `bounded`), and none panics.

use futures::StreamExt;
use mistral_sdk::models::*;
use mistral_sdk::{Client, Error, RetryPolicy};
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Runs a test body and fails it when it takes longer than `limit`.
async fn bounded<T>(limit: Duration, f: impl std::future::IntoFuture<Output = T>) -> T {
    match tokio::time::timeout(limit, f.into_future()).await {
        Ok(v) => v,
        Err(_) => panic!("did not finish within {limit:?}"),
    }
}

/// One request as the server read it.
#[derive(Debug, Clone)]
struct Seen {
    head: String,
}

impl Seen {
    fn request_line(&self) -> &str {
        self.head.lines().next().unwrap_or_default()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

type Behave = Arc<dyn Fn(TcpStream, Seen) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A server that reads each request's head (and a `Content-Length` body) and then hands the
/// connection to a scripted behaviour.
struct Raw {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Raw {
    async fn start(behave: Behave) -> Raw {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let behave = behave.clone();
                let log = log.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut tmp = [0u8; 8192];
                    let head_end = loop {
                        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                        match sock.read(&mut tmp).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&tmp[..n]),
                        }
                    };
                    let seen = Seen { head: String::from_utf8_lossy(&buf[..head_end]).into_owned() };
                    let len: usize = seen.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                    while buf.len() < head_end + len {
                        match sock.read(&mut tmp).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&tmp[..n]),
                        }
                    }
                    log.lock().unwrap().push(seen.clone());
                    behave(sock, seen).await;
                });
            }
        });
        Raw { url, seen }
    }

    /// A server that writes `response` (whole HTTP bytes) and closes.
    async fn answering(response: Vec<u8>) -> Raw {
        let response = Arc::new(response);
        Raw::start(Arc::new(move |mut sock, _| {
            let response = response.clone();
            Box::pin(async move {
                let _ = sock.write_all(&response).await;
                let _ = sock.shutdown().await;
            })
        }))
        .await
    }

    fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn http(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(body);
    out
}

const MODEL: &str = r#"{"id":"m","object":"model","created":1,"owned_by":"mistralai","capabilities":{"completion_chat":true},"type":"base"}"#;

fn client(url: &str) -> Client {
    Client::builder().api_key("sk-test").server(url).retry_policy(RetryPolicy::none()).build().unwrap()
}

fn hold(ms: u64) -> Behave {
    Arc::new(move |sock, _| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            drop(sock);
        })
    })
}

fn writes_then_holds(bytes: Vec<u8>) -> Behave {
    let bytes = Arc::new(bytes);
    Arc::new(move |mut sock, _| {
        let bytes = bytes.clone();
        Box::pin(async move {
            let _ = sock.write_all(&bytes).await;
            let _ = sock.flush().await;
            tokio::time::sleep(Duration::from_secs(30)).await;
        })
    })
}

#[tokio::test]
async fn constructors_never_panic_on_a_bad_key() {
    for key in ["sk-key\n", "sk\r\nx-injected: 1", "sk\u{0}", "\tsk\u{7f}"] {
        let err = Client::new(key).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err}");
        assert!(err.to_string().contains("not allowed in an HTTP header"), "{err}");
        assert!(!err.to_string().contains("sk-key"), "the key is not printed: {err}");
    }
    assert!(Client::new("sk-key\n").unwrap_err().to_string().contains(r"'\n'"));
    let err = Client::builder().user_context_api_key("k\n").build().unwrap_err();
    assert!(matches!(err, Error::Config(_)));
    assert!(Client::new("sk-fine").is_ok());
    // The defaults that keep a call from hanging are on.
    let debug = format!("{:?}", Client::new("k").unwrap());
    assert!(debug.contains("timeout: Some(600s)"), "{debug}");
}

#[tokio::test]
async fn a_black_hole_times_out() {
    let server = Raw::start(hold(30_000)).await;
    let c = Client::builder().api_key("k").server(&server.url).timeout(Duration::from_millis(300)).retry_policy(RetryPolicy::none()).build().unwrap();
    let start = Instant::now();
    let err = bounded(Duration::from_secs(5), c.models().retrieve("m")).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(start.elapsed() < Duration::from_secs(2));
    // Per call, on a client with the default timeout.
    let err = bounded(Duration::from_secs(5), client(&server.url).models().retrieve("m").timeout(Duration::from_millis(200))).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    // Streams: the timeout bounds the wait for the response head.
    let req = ChatCompletionRequest::new("m", vec![UserMessage::new("hi").into()]);
    let err = bounded(Duration::from_secs(5), client(&server.url).chat().stream(req).timeout(Duration::from_millis(200))).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

#[tokio::test]
async fn stalled_headers_stalled_body_and_a_body_cut_short() {
    let c =
        |url: &str| Client::builder().api_key("k").server(url).timeout(Duration::from_millis(400)).retry_policy(RetryPolicy::none()).build().unwrap();
    let stalled_head = Raw::start(writes_then_holds(b"HTTP/1.1 200 OK\r\ncontent-type: appl".to_vec())).await;
    let err = bounded(Duration::from_secs(5), c(&stalled_head.url).models().retrieve("m")).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");

    let mut partial = http("200 OK", &[("content-type", "application/json")], MODEL.as_bytes());
    partial.truncate(partial.len() - 20);
    let stalled_body = Raw::start(writes_then_holds(partial.clone())).await;
    let err = bounded(Duration::from_secs(5), c(&stalled_body.url).models().retrieve("m")).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");

    let cut = Raw::answering(partial).await;
    let err = bounded(Duration::from_secs(5), c(&cut.url).models().retrieve("m")).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err}");
}

#[tokio::test]
async fn a_slow_drip_within_the_timeout_succeeds() {
    let response = Arc::new(http("200 OK", &[("content-type", "application/json")], MODEL.as_bytes()));
    let server = Raw::start(Arc::new(move |mut sock, _| {
        let response = response.clone();
        Box::pin(async move {
            for chunk in response.chunks(16) {
                if sock.write_all(chunk).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    }))
    .await;
    let model = bounded(Duration::from_secs(10), client(&server.url).models().retrieve("m").timeout(Duration::from_secs(8))).await.unwrap();
    assert!(format!("{model:?}").contains("\"m\""));
}

#[tokio::test]
async fn invalid_json_html_pages_invalid_utf8_and_a_wrong_content_encoding() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("invalid JSON", http("200 OK", &[("content-type", "application/json")], b"{\"id\": \"m\", ")),
        ("invalid UTF-8", http("200 OK", &[("content-type", "application/json")], b"{\"id\": \"\xff\xfe\", \"object\": \"model\"}")),
        ("wrong content-encoding", http("200 OK", &[("content-type", "application/json"), ("content-encoding", "br")], b"\x1b\x03\x00\xf8\xa5\x40")),
        ("HTML for JSON", http("200 OK", &[("content-type", "text/html")], b"<html><body>Hello from a proxy</body></html>")),
    ];
    for (name, response) in cases {
        let server = Raw::answering(response).await;
        let err = bounded(Duration::from_secs(5), client(&server.url).models().retrieve("m")).await.unwrap_err();
        let Error::Decode(d) = &err else { panic!("{name}: {err}") };
        assert_eq!(d.status, 200, "{name}");
        assert!(!d.body.is_empty(), "{name}: the body is kept");
    }
    // An HTML error page from a proxy: the status and the page are kept.
    let server = Raw::answering(http("502 Bad Gateway", &[("content-type", "text/html")], b"<html><h1>502 Bad Gateway</h1></html>")).await;
    let err = bounded(Duration::from_secs(5), client(&server.url).models().retrieve("m")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(502), "{err}");
    assert!(err.to_string().contains("502 Bad Gateway"), "{err}");
}

#[tokio::test]
async fn bodies_and_events_over_the_limit_are_refused() {
    // A declared 300 MB body: refused from its Content-Length, before reading.
    let server =
        Raw::start(writes_then_holds(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 300000000\r\n\r\n{\"id\":".to_vec()))
            .await;
    let start = Instant::now();
    let err = bounded(Duration::from_secs(5), client(&server.url).models().retrieve("m")).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { what: "response body", limit, .. } if limit == 256 << 20), "{err}");
    assert!(start.elapsed() < Duration::from_secs(2));

    // 300 MB sent chunked without a length: refused once the limit is passed.
    let endless = |piece: &'static [u8], head: &'static str| -> Behave {
        Arc::new(move |mut sock, _| {
            Box::pin(async move {
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
                for _ in 0..(300 << 20) / piece.len() {
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
            })
        })
    };
    let server = Raw::start(endless(&[b'a'; 65536], "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")).await;
    let c = Client::builder().api_key("k").server(&server.url).retry_policy(RetryPolicy::none()).max_body_size(8 << 20).build().unwrap();
    let err = bounded(Duration::from_secs(10), c.models().retrieve("m")).await.unwrap_err();
    assert!(err.to_string().contains("larger than the limit of 8388608 bytes"), "{err}");

    // An endless SSE line.
    let server = Raw::start(endless(
        &[b'x'; 65536],
        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n6\r\ndata: \r\n",
    ))
    .await;
    let c = Client::builder().api_key("k").server(&server.url).retry_policy(RetryPolicy::none()).max_event_size(1 << 20).build().unwrap();
    let req = ChatCompletionRequest::new("m", vec![UserMessage::new("hi").into()]);
    let mut stream = bounded(Duration::from_secs(5), c.chat().stream(req)).await.unwrap();
    let first = bounded(Duration::from_secs(10), stream.next()).await.unwrap();
    assert!(matches!(first, Err(Error::TooLarge { what: "server-sent event", limit: 1048576, .. })), "{first:?}");
    assert!(bounded(Duration::from_secs(1), stream.next()).await.is_none(), "the stream ends after the error");
}

#[tokio::test]
async fn a_download_that_stalls_mid_body_times_out() {
    let mut head = b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000000\r\n\r\n".to_vec();
    head.extend_from_slice(&[7u8; 4096]);
    let server = Raw::start(writes_then_holds(head)).await;
    let dir = std::env::temp_dir().join(format!("stall-{}", std::process::id()));
    let start = Instant::now();
    let download = bounded(Duration::from_secs(5), client(&server.url).files().download("f").idle_timeout(Duration::from_millis(300))).await.unwrap();
    let err = bounded(Duration::from_secs(5), download.save(&dir)).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    assert!(start.elapsed() < Duration::from_secs(3));
    // The client-wide setting covers downloads too.
    let c = Client::builder().api_key("k").server(&server.url).stream_idle_timeout(Duration::from_millis(300)).build().unwrap();
    let download = bounded(Duration::from_secs(5), c.files().download("f")).await.unwrap();
    let err = bounded(Duration::from_secs(5), download.bytes()).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    let _ = std::fs::remove_file(&dir);
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_ends_the_call_at_once() {
    let server = Raw::answering(http(
        "429 Too Many Requests",
        &[("retry-after", "3600"), ("content-type", "application/json")],
        b"{\"message\":\"slow down\"}",
    ))
    .await;
    let c = Client::builder().api_key("k").server(&server.url).build().unwrap(); // default retries
    let start = Instant::now();
    let err = bounded(Duration::from_secs(5), c.models().retrieve("m")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429), "{err}");
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    assert_eq!(server.requests().len(), 1, "no retry");
    // A Retry-After within the policy but past what the budget has left: also at once.
    let server = Raw::answering(http("503 Service Unavailable", &[("retry-after", "5")], b"")).await;
    let c = Client::builder()
        .api_key("k")
        .server(&server.url)
        .retry_policy(RetryPolicy::default().with_total_budget(Duration::from_secs(2)))
        .build()
        .unwrap();
    let start = Instant::now();
    let err = bounded(Duration::from_secs(5), c.models().retrieve("m")).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert!(start.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn no_key_follows_a_redirect_to_another_origin() {
    let other = Raw::answering(http("200 OK", &[("content-type", "application/json")], MODEL.as_bytes())).await;
    let target = format!("{}/v1/models/m", other.url);
    let location: &'static str = Box::leak(target.into_boxed_str());
    for status in ["301 Moved Permanently", "302 Found", "307 Temporary Redirect", "308 Permanent Redirect"] {
        let server = Raw::answering(http(status, &[("location", location)], b"")).await;
        let c = Client::builder()
            .api_key("sk-main")
            .admin_api_key("sk-admin")
            .user_context_api_key("sk-user")
            .server(&server.url)
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap();
        // One operation per scheme: bearer, admin bearer, x-api-key.
        let results = [
            bounded(Duration::from_secs(5), c.models().retrieve("m")).await.map(|_| ()),
            bounded(Duration::from_secs(5), c.beta().admin().scim().get_sync_run("r")).await.map(|_| ()),
            bounded(Duration::from_secs(5), c.beta().users().me()).await.map(|_| ()),
        ];
        for r in results {
            let err = r.unwrap_err();
            assert_eq!(err.status().map(|s| s.as_u16()), status[..3].parse().ok(), "{status}: {err}");
            let location_kept = err.api_error().and_then(|e| e.headers.get("location")).is_some();
            assert!(location_kept, "the Location is in the error");
        }
        assert_eq!(server.requests().len(), 3);
        assert!(server.requests()[2].header("x-api-key").is_some(), "the first origin got the key");
    }
    assert!(other.requests().is_empty(), "nothing reached the other origin: {:?}", other.requests());

    // Within the origin, a redirect is followed with the key.
    let same = Raw::start(Arc::new(|mut sock, seen: Seen| {
        Box::pin(async move {
            let response = if seen.request_line().contains("/v1/models/old") {
                http("307 Temporary Redirect", &[("location", "/v1/models/m")], b"")
            } else {
                http("200 OK", &[("content-type", "application/json")], MODEL.as_bytes())
            };
            let _ = sock.write_all(&response).await;
        })
    }))
    .await;
    bounded(Duration::from_secs(5), client(&same.url).models().retrieve("old")).await.unwrap();
    let seen = same.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("authorization").as_deref(), Some("Bearer sk-test"));
}

#[tokio::test]
async fn dot_segment_and_empty_path_parameters_are_refused_before_sending() {
    let server = Raw::answering(http("200 OK", &[("content-type", "application/json")], MODEL.as_bytes())).await;
    let c = client(&server.url);
    for bad in [".", "..", ""] {
        let errors = [
            c.models().retrieve(bad).await.map(|_| ()).unwrap_err(),
            c.beta().libraries().documents().delete("lib-1", bad).await.map(|_| ()).unwrap_err(),
            c.beta().libraries().documents().delete(bad, "doc-1").await.map(|_| ()).unwrap_err(),
            c.files().download(bad).await.map(|_| ()).unwrap_err(),
            c.beta().admin().scim().get_sync_run(bad).await.map(|_| ()).unwrap_err(),
        ];
        for err in errors {
            let Error::InvalidParameter { name, .. } = &err else { panic!("{bad:?}: {err}") };
            assert!(!name.is_empty(), "{err}");
        }
    }
    assert!(server.requests().is_empty(), "nothing was sent: {:?}", server.requests());
    // Dots inside a value, and encoded dots, stay in their segment.
    for ok in ["a.b", "...", "%2e", "%2E%2e", "./x"] {
        let _ = c.models().retrieve(ok).await;
    }
    let lines: Vec<String> = server.requests().iter().map(|s| s.request_line().to_string()).collect();
    assert_eq!(
        lines,
        [
            "GET /v1/models/a.b HTTP/1.1",
            "GET /v1/models/... HTTP/1.1",
            "GET /v1/models/%252e HTTP/1.1",
            "GET /v1/models/%252E%252e HTTP/1.1",
            "GET /v1/models/.%2Fx HTTP/1.1"
        ]
    );
}

#[tokio::test]
async fn connection_refused_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = bounded(Duration::from_secs(5), client(&url).models().retrieve("m")).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err}");
    // With the default retries it gives up within the backoff of 3 retries (0.5 + 1 + 2 s ±25%).
    let c = Client::builder().api_key("k").server(&url).build().unwrap();
    let err = bounded(Duration::from_secs(6), c.models().retrieve("m")).await.unwrap_err();
    assert!(matches!(err, Error::Connection { .. }), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_calls_on_one_client() {
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    let server = Raw::start(Arc::new(move |mut sock, _| {
        let count = count.clone();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            if sock.write_all(&http("200 OK", &[("content-type", "application/json")], MODEL.as_bytes())).await.is_ok() {
                count.fetch_add(1, Ordering::SeqCst);
            }
        })
    }))
    .await;
    let c = client(&server.url);
    let calls = (0..500).map(|i| {
        let c = c.clone();
        async move { c.models().retrieve(format!("m{i}")).await }
    });
    let results = bounded(Duration::from_secs(60), futures::future::join_all(calls)).await;
    let failed: Vec<String> = results.iter().filter_map(|r| r.as_ref().err().map(ToString::to_string)).collect();
    assert!(failed.is_empty(), "{} failed, e.g. {:?}", failed.len(), failed.first());
    assert_eq!(served.load(Ordering::SeqCst), 500);
}

/// Issue 18: a response head that arrived but does not parse means the server saw the request:
/// a POST (a billable chat completion) is not sent again, whatever the retry policy; a GET,
/// idempotent, still is. A connection closed before any head is retried as before.
#[tokio::test]
async fn a_malformed_response_head_is_not_retried_for_a_post() {
    use mistral_sdk::models::{ChatCompletionRequest, UserMessage};
    let fast = RetryPolicy { initial_backoff: Duration::from_millis(1), max_backoff: Duration::from_millis(2), ..RetryPolicy::default() };
    let oversized = format!("HTTP/1.1 200 OK\r\nx-big: {}\r\n\r\n", "a".repeat(512 * 1024)).into_bytes();
    let heads: [(&str, Vec<u8>); 3] = [
        ("a duplicate Content-Length", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 5\r\n\r\n{}".to_vec()),
        ("an invalid status line", b"HTTP/1.1 twohundred OK\r\ncontent-length: 2\r\n\r\n{}".to_vec()),
        ("oversized headers", oversized),
    ];
    for (what, head) in heads {
        let server = Raw::answering(head).await;
        let client = Client::builder().api_key("sk-test").server(&server.url).retry_policy(fast.clone()).build().unwrap();
        let request = ChatCompletionRequest::new("m", vec![UserMessage::new("hi").into()]);
        let err = bounded(Duration::from_secs(10), client.chat().complete(request)).await.unwrap_err();
        assert!(matches!(err, mistral_sdk::Error::Request { .. }), "{what}: {err:?}");
        assert_eq!(server.requests().len(), 1, "{what}: a POST whose answer arrived malformed is sent once");
        // The message says what went wrong, not only reqwest's generic line.
        assert!(err.to_string().matches(": ").count() >= 3, "{what}: {err}");

        let err = bounded(Duration::from_secs(10), client.models().retrieve("m")).await.unwrap_err();
        assert!(matches!(err, mistral_sdk::Error::Connection { .. } | mistral_sdk::Error::Request { .. }), "{what}: {err:?}");
        assert_eq!(server.requests().len(), 1 + 4, "{what}: a GET is retried (4 attempts)");
    }

    // No head at all (the connection closed after the request): retried, POST included.
    let server = Raw::start(Arc::new(|sock, _| Box::pin(async move { drop(sock) }))).await;
    let client = Client::builder().api_key("sk-test").server(&server.url).retry_policy(fast).build().unwrap();
    let request = ChatCompletionRequest::new("m", vec![UserMessage::new("hi").into()]);
    let err = bounded(Duration::from_secs(10), client.chat().complete(request)).await.unwrap_err();
    assert!(matches!(err, mistral_sdk::Error::Connection { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 4);
}
