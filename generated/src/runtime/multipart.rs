//! Multipart uploads: file parts from a path (streamed from disk), bytes, or an async stream.

use crate::Error;
use bytes::Bytes;
use futures::Stream;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

type BoxByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync>>;

#[derive(Clone)]
enum Source {
    Path(PathBuf),
    Bytes(Bytes),
    /// A stream can be sent once; a retry after it was consumed fails with a clear error.
    Stream(Arc<Mutex<Option<BoxByteStream>>>, Option<u64>),
}

/// A file to upload in a multipart request.
///
/// ```no_run
/// # async fn run() -> mistral_sdk::Result<()> {
/// let part = mistral_sdk::FilePart::from_path("train.jsonl").await?; // streamed, never read whole
/// let part = mistral_sdk::FilePart::from_bytes(b"{}".to_vec(), "data.json");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FilePart {
    source: Source,
    file_name: Option<String>,
    content_type: Option<String>,
}

impl std::fmt::Debug for FilePart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Path(p) => format!("path {}", p.display()),
            Source::Bytes(b) => format!("{} bytes", b.len()),
            Source::Stream(_, len) => format!("stream ({len:?} bytes)"),
        };
        f.debug_struct("FilePart").field("source", &source).field("file_name", &self.file_name).field("content_type", &self.content_type).finish()
    }
}

impl PartialEq for FilePart {
    fn eq(&self, other: &Self) -> bool {
        let same = match (&self.source, &other.source) {
            (Source::Path(a), Source::Path(b)) => a == b,
            (Source::Bytes(a), Source::Bytes(b)) => a == b,
            (Source::Stream(a, _), Source::Stream(b, _)) => Arc::ptr_eq(a, b),
            _ => false,
        };
        same && self.file_name == other.file_name && self.content_type == other.content_type
    }
}

impl FilePart {
    /// A file on disk, streamed when the request is sent (and re-read on a retry). The name
    /// defaults to the file's name, the content type is guessed from its extension.
    /// Errors (`Error::Io`) when the path cannot be read or is not a file.
    pub async fn from_path(path: impl Into<PathBuf>) -> Result<Self, Error> {
        let path = path.into();
        let io = |source| Error::Io { operation: "FilePart::from_path", source };
        let meta = tokio::fs::metadata(&path).await.map_err(io)?;
        if !meta.is_file() {
            return Err(io(std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{} is not a file", path.display()))));
        }
        let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        Ok(FilePart { source: Source::Path(path), file_name, content_type: None })
    }

    /// Bytes in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>, file_name: impl Into<String>) -> Self {
        FilePart { source: Source::Bytes(bytes.into()), file_name: Some(file_name.into()), content_type: None }
    }

    /// Any stream of bytes (an async reader through `tokio_util::io::ReaderStream`, say), with its
    /// length when known. It can be sent once: retries are not possible after it was read.
    pub fn from_stream<S>(stream: S, length: Option<u64>, file_name: impl Into<String>) -> Self
    where
        S: Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static,
    {
        FilePart {
            source: Source::Stream(Arc::new(Mutex::new(Some(Box::pin(stream)))), length),
            file_name: Some(file_name.into()),
            content_type: None,
        }
    }

    /// Sets the file name sent with the part.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Sets the content type (default: guessed from the file name's extension).
    pub fn content_type(mut self, ct: impl Into<String>) -> Self {
        self.content_type = Some(ct.into());
        self
    }

    fn guessed_type(&self) -> String {
        if let Some(ct) = &self.content_type {
            return ct.clone();
        }
        let ext = self.file_name.as_deref().and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase());
        let ct = match ext.as_deref() {
            Some("jsonl") => "application/jsonl",
            Some("json") => "application/json",
            Some("txt") => "text/plain",
            Some("md") => "text/markdown",
            Some("csv") => "text/csv",
            Some("pdf") => "application/pdf",
            Some("png") => "image/png",
            Some("jpg") | Some("jpeg") => "image/jpeg",
            Some("webp") => "image/webp",
            Some("gif") => "image/gif",
            Some("mp3") => "audio/mpeg",
            Some("wav") => "audio/wav",
            Some("flac") => "audio/flac",
            Some("ogg") => "audio/ogg",
            Some("m4a") => "audio/mp4",
            Some("mp4") => "video/mp4",
            Some("docx") => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Some("pptx") => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            Some("xlsx") => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _ => "application/octet-stream",
        };
        ct.to_string()
    }

    /// The part for one attempt.
    pub fn to_part(&self, operation: &'static str) -> Result<reqwest::multipart::Part, Error> {
        let part = match &self.source {
            Source::Bytes(b) => reqwest::multipart::Part::stream_with_length(reqwest::Body::from(b.clone()), b.len() as u64),
            Source::Path(p) => {
                let file = std::fs::File::open(p).map_err(|source| Error::Io { operation, source })?;
                let len = file.metadata().map_err(|source| Error::Io { operation, source })?.len();
                let stream = tokio_util::io::ReaderStream::with_capacity(tokio::fs::File::from_std(file), 64 * 1024);
                reqwest::multipart::Part::stream_with_length(reqwest::Body::wrap_stream(stream), len)
            }
            Source::Stream(cell, len) => {
                let stream = cell.lock().ok().and_then(|mut s| s.take()).ok_or_else(|| Error::Body {
                    operation,
                    message: "a streamed file part can be sent only once (not retried); use a path or bytes to allow retries".into(),
                })?;
                let body = reqwest::Body::wrap_stream(stream);
                match len {
                    Some(n) => reqwest::multipart::Part::stream_with_length(body, *n),
                    None => reqwest::multipart::Part::stream(body),
                }
            }
        };
        let part = part.mime_str(&self.guessed_type()).map_err(|e| Error::Body { operation, message: e.to_string() })?;
        Ok(match &self.file_name {
            Some(n) => part.file_name(n.clone()),
            None => part.file_name("file"),
        })
    }
}

impl serde::Serialize for FilePart {
    /// Files are sent as multipart parts, never inside JSON; in JSON a file shows as its name.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.file_name.as_deref().unwrap_or("file"))
    }
}

impl<'de> serde::Deserialize<'de> for FilePart {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("a file part cannot be decoded from JSON"))
    }
}

/// Adds a non-file form field: strings as they are, arrays as repeated fields, anything else as
/// JSON text.
pub fn form_field<T: serde::Serialize + ?Sized>(
    form: reqwest::multipart::Form,
    operation: &'static str,
    name: &'static str,
    value: &T,
) -> Result<reqwest::multipart::Form, Error> {
    let v = serde_json::to_value(value).map_err(|e| Error::Body { operation, message: e.to_string() })?;
    Ok(match v {
        serde_json::Value::Null => form,
        serde_json::Value::String(s) => form.text(name, s),
        serde_json::Value::Array(items) => items.into_iter().fold(form, |f, item| match item {
            serde_json::Value::String(s) => f.text(name, s),
            other => f.text(name, other.to_string()),
        }),
        other => form.text(name, other.to_string()),
    })
}
