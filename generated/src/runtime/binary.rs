//! Binary responses (file downloads, audio), read as a stream, never buffered whole unless asked.

use crate::Error;
use bytes::Bytes;
use futures::{Stream, StreamExt};

/// A binary response body.
#[derive(Debug)]
pub struct BinaryResponse {
    operation: &'static str,
    response: reqwest::Response,
    idle_timeout: Option<std::time::Duration>,
    max_body_size: usize,
}

impl BinaryResponse {
    pub fn new(operation: &'static str, response: reqwest::Response) -> Self {
        BinaryResponse { operation, response, idle_timeout: None, max_body_size: usize::MAX }
    }

    /// The longest silence while the body is read (the call's or the client's
    /// `idle_timeout`, 300 s by default); a server that stalls mid-body ends the read with
    /// [`Error::Timeout`] instead of hanging. `None`: no bound.
    pub fn with_idle_timeout(mut self, d: Option<std::time::Duration>) -> Self {
        self.idle_timeout = d;
        self
    }

    /// The largest body [`bytes`](Self::bytes) reads into memory (streaming reads are not bounded).
    pub fn with_max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The body's chunks, each awaited at most the idle timeout.
    fn chunks(self) -> impl Stream<Item = Result<Bytes, Error>> + Send {
        let BinaryResponse { operation, response, idle_timeout, .. } = self;
        let body = Box::pin(response.bytes_stream());
        futures::stream::unfold(Some(body), move |state| async move {
            let mut body = state?;
            let next = match idle_timeout {
                Some(d) => match tokio::time::timeout(d, body.next()).await {
                    Ok(next) => next,
                    Err(_) => return Some((Err(Error::Timeout { operation, source: None }), None)),
                },
                None => body.next().await,
            };
            match next? {
                Ok(chunk) => Some((Ok(chunk), Some(body))),
                Err(source) if source.is_timeout() => Some((Err(Error::Timeout { operation, source: Some(source) }), None)),
                Err(source) => Some((Err(Error::Connection { operation, source }), None)),
            }
        })
    }

    /// The `Content-Type` header, when sent.
    pub fn content_type(&self) -> Option<&str> {
        self.response.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }

    /// The body length, when known.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The body as a stream of chunks.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send {
        self.chunks()
    }

    /// The whole body in memory (small files only).
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let (operation, limit, declared) = (self.operation, self.max_body_size, self.content_length());
        super::http::collect_limited(operation, declared, limit, self.chunks()).await
    }

    /// Copies the body into a writer chunk by chunk; returns the bytes written.
    pub async fn write_to<W: tokio::io::AsyncWrite + Unpin>(self, mut writer: W) -> Result<u64, Error> {
        use tokio::io::AsyncWriteExt;
        let operation = self.operation;
        let mut stream = std::pin::pin!(self.chunks());
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await.map_err(|source| Error::Io { operation, source })?;
            n += chunk.len() as u64;
        }
        writer.flush().await.map_err(|source| Error::Io { operation, source })?;
        Ok(n)
    }

    /// Writes the body to a file (created or truncated).
    pub async fn save(self, path: impl AsRef<std::path::Path>) -> Result<u64, Error> {
        let operation = self.operation;
        let file = tokio::fs::File::create(path).await.map_err(|source| Error::Io { operation, source })?;
        self.write_to(tokio::io::BufWriter::new(file)).await
    }
}
