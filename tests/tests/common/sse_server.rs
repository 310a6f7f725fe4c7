//! A raw HTTP/1.1 server on 127.0.0.1 for the streaming tests: it answers every request with
//! `text/event-stream` in chunked transfer encoding, one HTTP chunk per scripted piece, so the
//! client's body stream sees exactly the byte boundaries a test chooses. Then it closes, stalls,
//! or keeps writing until the client goes away (which it records).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does after the scripted pieces.
#[derive(Debug, Clone)]
pub enum After {
    /// Ends the body properly and closes.
    End,
    /// Closes the connection without ending the chunked body (a cut stream).
    Cut,
    /// Keeps the connection open and silent.
    Stall,
    /// Writes this piece every 10 ms until a write fails (the client closed the connection).
    KeepWriting(Vec<u8>),
}

#[derive(Debug, Clone)]
pub struct Script {
    pub pieces: Vec<Vec<u8>>,
    pub after: After,
    /// A pause before each piece.
    pub gap: Duration,
}

pub struct SseServer {
    pub url: String,
    script: Arc<Mutex<Script>>,
    /// Connections whose client went away while the server was still writing.
    closed_by_client: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SseServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SseServer {
    pub async fn start() -> Self {
        Self::start_with_head_delay(Duration::ZERO).await
    }

    /// A server that waits this long before answering each request.
    pub async fn start_with_head_delay(head_delay: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(Script { pieces: Vec::new(), after: After::End, gap: Duration::ZERO }));
        let closed_by_client = Arc::new(AtomicUsize::new(0));
        let (s, c) = (script.clone(), closed_by_client.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = listener.accept().await else { return };
                let script = s.lock().unwrap().clone();
                let closed = c.clone();
                tokio::spawn(async move {
                    if serve(conn, script, head_delay).await == Outcome::ClientClosed {
                        closed.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
        });
        SseServer { url, script, closed_by_client, task }
    }

    /// The script for the next requests.
    pub fn set(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    /// Waits up to `limit` for a client to close a connection the server was writing to.
    pub async fn wait_client_closed(&self, limit: Duration) -> bool {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if self.closed_by_client.load(Ordering::SeqCst) > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        false
    }
}

#[derive(PartialEq)]
enum Outcome {
    Done,
    ClientClosed,
}

async fn serve(mut conn: TcpStream, script: Script, head_delay: Duration) -> Outcome {
    conn.set_nodelay(true).ok();
    // Read the request head and its body (Content-Length), and ignore them.
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        let Ok(n) = conn.read(&mut tmp).await else { return Outcome::Done };
        if n == 0 {
            return Outcome::Done;
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < length {
        match conn.read(&mut tmp).await {
            Ok(0) | Err(_) => return Outcome::Done,
            Ok(n) => have += n,
        }
    }
    tokio::time::sleep(head_delay).await;
    let head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\ncache-control: no-cache\r\n\r\n";
    if conn.write_all(head).await.is_err() {
        return Outcome::ClientClosed;
    }
    for piece in &script.pieces {
        if piece.is_empty() {
            continue;
        }
        if !script.gap.is_zero() {
            tokio::time::sleep(script.gap).await;
        }
        if write_chunk(&mut conn, piece).await.is_err() {
            return Outcome::ClientClosed;
        }
    }
    match script.after {
        After::End => {
            let _ = conn.write_all(b"0\r\n\r\n").await;
            let _ = conn.flush().await;
            Outcome::Done
        }
        After::Cut => Outcome::Done,
        After::Stall => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Outcome::Done
        }
        After::KeepWriting(piece) => {
            for _ in 0..3000 {
                if write_chunk(&mut conn, &piece).await.is_err() {
                    return Outcome::ClientClosed;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Outcome::Done
        }
    }
}

async fn write_chunk(conn: &mut TcpStream, piece: &[u8]) -> std::io::Result<()> {
    conn.write_all(format!("{:x}\r\n", piece.len()).as_bytes()).await?;
    conn.write_all(piece).await?;
    conn.write_all(b"\r\n").await?;
    conn.flush().await
}
