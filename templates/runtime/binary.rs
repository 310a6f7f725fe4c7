//! Binary responses (file downloads, audio), read as a stream, never buffered whole unless asked.

use crate::Error;
use bytes::Bytes;
use futures::{Stream, StreamExt};

/// A binary response body.
#[derive(Debug)]
pub struct BinaryResponse {
    operation: &'static str,
    response: reqwest::Response,
}

impl BinaryResponse {
    pub fn new(operation: &'static str, response: reqwest::Response) -> Self {
        BinaryResponse { operation, response }
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
        let operation = self.operation;
        self.response.bytes_stream().map(move |r| r.map_err(|source| Error::Connection { operation, source }))
    }

    /// The whole body in memory (small files only).
    pub async fn bytes(self) -> Result<Bytes, Error> {
        super::http::read_body(self.operation, self.response).await
    }

    /// Copies the body into a writer chunk by chunk; returns the bytes written.
    pub async fn write_to<W: tokio::io::AsyncWrite + Unpin>(self, mut writer: W) -> Result<u64, Error> {
        use tokio::io::AsyncWriteExt;
        let operation = self.operation;
        let mut stream = self.response.bytes_stream();
        let mut n = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| Error::Connection { operation, source })?;
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
