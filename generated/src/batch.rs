//! Typed batch runs: any number of requests to one batchable endpoint, typed by its request
//! and response types, run by Mistral's Batch API.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use futures::StreamExt;
//! use mistral_sdk::batch::Chat;
//! use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
//! use mistral_sdk::Wait;
//! use std::time::Duration;
//!
//! let requests = (0..50_000).map(|i| {
//!     let request = ChatCompletionRequest::new("mistral-small-latest", vec![Message::User(UserMessage::new(format!("Summarize document {i}")))]);
//!     (format!("doc-{i}"), request)
//! });
//! // Over 10,000 requests: written as JSONL and uploaded as it is made, never whole in memory.
//! let mut run = client.batch().run::<Chat>("mistral-small-latest").submit(requests).await?;
//! println!("job {}", run.id()); // `client.batch().resume::<Chat>(id)` picks it up elsewhere
//! let mut progress = run.progress(Wait::every(Duration::from_secs(10)));
//! while let Some(p) = progress.next().await {
//!     let p = p?;
//!     println!("{}/{} done, {} failed", p.completed, p.total, p.failed);
//! }
//! drop(progress);
//! run.refresh().await?;
//! let mut results = run.results();
//! while let Some(item) = results.next().await {
//!     let item = item?;
//!     match item.result {
//!         Ok(answer) => println!("{:?}: {:?}", item.custom_id, answer.text()),
//!         Err(e) => eprintln!("{:?}: {e}", item.custom_id),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! **Input.** [`BatchRunBuilder::submit`] takes an iterator, [`BatchRunBuilder::submit_stream`]
//! a stream, of `(custom_id, request)`. Up to [`INLINE_LIMIT`] requests (10,000, the API's
//! limit; [`BatchRunBuilder::inline_limit`] lowers it) go inline in the job's `requests`; more
//! are written as JSONL lines (`{"custom_id":…,"body":…}`) while the upload sends them, in
//! several input files when one would pass [`BatchRunBuilder::max_file_bytes`]. The job runs
//! one model (or agent) for every request: each body is sent without its `model`. An input file
//! is a stream and cannot be sent twice, so an upload is not retried.
//!
//! **The job.** [`BatchRun`] is a handle: [`BatchRun::progress`] polls the job's counts with
//! [`Wait`]'s backoff until it is over, [`BatchRun::wait`] until then,
//! [`BatchRun::cancel`] asks for cancellation, and `client.batch().resume::<E>(id)` makes the
//! handle again from the job's id, in another process say.
//!
//! **Results.** [`BatchRun::results`] streams the output file and then the error file (or the
//! inline `outputs`), line by line: each is a [`BatchItem`] with its `custom_id` and the
//! endpoint's typed response, or an [`ItemError`] (an error status with its body, the line's
//! error, or a line that does not decode, kept whole). Memory is bounded by one line, whatever
//! the batch's size.

use crate::models::{ApiEndpoint, BatchJob, BatchRequest, CreateBatchJobRequest, FilePurpose, FilesUploadBody};
use crate::{Client, Error, FilePart, Wait};
use bytes::{Bytes, BytesMut};
use futures::stream::{BoxStream, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// The most requests a job takes inline (the API's limit).
pub const INLINE_LIMIT: usize = 10_000;
/// The default largest input file: under the Files API's 512 MB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 500 * 1000 * 1000;
/// The size of the chunks an input file is uploaded in.
const CHUNK: usize = 64 * 1024;

/// A batchable endpoint: its path and its request and response types.
pub trait Endpoint: Send + Sync + 'static {
    /// What a request is built as.
    type Request: Serialize + Send + 'static;
    /// What a successful line decodes into.
    type Response: DeserializeOwned + Send + 'static;
    /// The endpoint's `ApiEndpoint` value.
    fn endpoint() -> ApiEndpoint;
}

// Unused in a build without any batchable endpoint's feature.
#[allow(unused_macros)]
macro_rules! endpoint {
    ($(#[$doc:meta])* $name:ident, $variant:ident, $request:ident, $response:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name;

        impl Endpoint for $name {
            type Request = crate::models::$request;
            type Response = crate::models::$response;
            fn endpoint() -> ApiEndpoint {
                ApiEndpoint::$variant
            }
        }
    };
}

#[cfg(feature = "chat")]
#[cfg_attr(docsrs, doc(cfg(feature = "chat")))]
endpoint!(
    /// `/v1/chat/completions`.
    Chat, V1ChatCompletions, ChatCompletionRequest, ChatCompletionResponse
);
#[cfg(feature = "fim")]
#[cfg_attr(docsrs, doc(cfg(feature = "fim")))]
endpoint!(
    /// `/v1/fim/completions`.
    Fim, V1FimCompletions, FIMCompletionRequest, FIMCompletionResponse
);
#[cfg(feature = "embeddings")]
#[cfg_attr(docsrs, doc(cfg(feature = "embeddings")))]
endpoint!(
    /// `/v1/embeddings`.
    Embeddings, V1Embeddings, EmbeddingRequest, EmbeddingResponse
);
#[cfg(feature = "classifiers")]
#[cfg_attr(docsrs, doc(cfg(feature = "classifiers")))]
endpoint!(
    /// `/v1/moderations`.
    Moderations, V1Moderations, ClassificationRequest, ModerationResponse
);
#[cfg(feature = "classifiers")]
#[cfg_attr(docsrs, doc(cfg(feature = "classifiers")))]
endpoint!(
    /// `/v1/chat/moderations`.
    ChatModerations, V1ChatModerations, ChatModerationRequest, ModerationResponse
);
#[cfg(feature = "classifiers")]
#[cfg_attr(docsrs, doc(cfg(feature = "classifiers")))]
endpoint!(
    /// `/v1/classifications`.
    Classifications, V1Classifications, ClassificationRequest, ClassificationResponse
);
#[cfg(feature = "classifiers")]
#[cfg_attr(docsrs, doc(cfg(feature = "classifiers")))]
endpoint!(
    /// `/v1/chat/classifications`.
    ChatClassifications, V1ChatClassifications, ChatClassificationRequest, ClassificationResponse
);
#[cfg(feature = "ocr")]
#[cfg_attr(docsrs, doc(cfg(feature = "ocr")))]
endpoint!(
    /// `/v1/ocr`.
    Ocr, V1Ocr, OCRRequest, OCRResponse
);
#[cfg(feature = "beta-conversations")]
#[cfg_attr(docsrs, doc(cfg(feature = "beta-conversations")))]
endpoint!(
    /// `/v1/conversations`.
    Conversations, V1Conversations, ConversationRequest, ConversationResponse
);

impl<'c> crate::api::batch::Batch<'c> {
    /// A batch run of requests to `E`, all with this model (see [the module](self)).
    pub fn run<E: Endpoint>(&self, model: impl Into<String>) -> BatchRunBuilder<'c, E> {
        BatchRunBuilder {
            client: self.client,
            runner: Runner::Model(model.into()),
            metadata: None,
            timeout_hours: None,
            inline_limit: INLINE_LIMIT,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            _endpoint: PhantomData,
        }
    }

    /// The handle of the batch job `job_id`, made earlier (by this process or another): fails
    /// with [`Error::Config`] when the job's endpoint is not `E`'s.
    pub async fn resume<E: Endpoint>(&self, job_id: &str) -> crate::Result<BatchRun<'c, E>> {
        let job = self.jobs().get(job_id).send().await?;
        let expected = serde_json::to_value(E::endpoint()).ok();
        if expected.as_ref().and_then(|v| v.as_str()) != Some(job.endpoint.as_str()) {
            return Err(Error::Config(format!("batch job `{job_id}` runs `{}`, not {:?}", job.endpoint, E::endpoint())));
        }
        Ok(BatchRun { client: self.client, job, _endpoint: PhantomData })
    }
}

enum Runner {
    Model(String),
    Agent(String),
}

/// A batch run being set up: [`submit`](Self::submit) it.
#[must_use = "a batch run does nothing until it is submitted"]
pub struct BatchRunBuilder<'c, E> {
    client: &'c Client,
    runner: Runner,
    metadata: Option<std::collections::BTreeMap<String, String>>,
    timeout_hours: Option<i64>,
    inline_limit: usize,
    max_file_bytes: u64,
    _endpoint: PhantomData<E>,
}

impl<'c, E: Endpoint> BatchRunBuilder<'c, E> {
    /// Runs the requests with this agent instead of the model.
    pub fn agent(mut self, agent_id: impl Into<String>) -> Self {
        self.runner = Runner::Agent(agent_id.into());
        self
    }

    /// Adds a metadata entry to the job.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.get_or_insert_with(Default::default).insert(key.into(), value.into());
        self
    }

    /// How long the job may run.
    pub fn timeout_hours(mut self, hours: i64) -> Self {
        self.timeout_hours = Some(hours);
        self
    }

    /// The most requests sent inline (at most, and by default, [`INLINE_LIMIT`]); `0` always
    /// uploads files.
    pub fn inline_limit(mut self, requests: usize) -> Self {
        self.inline_limit = requests.min(INLINE_LIMIT);
        self
    }

    /// The largest input file; more requests go to further files.
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes.max(1);
        self
    }

    /// Sends the requests (inline or as uploaded files) and creates the job. The iterator is
    /// read while an upload sends it, so it owns what it yields (`'static`: `into_iter()` of a
    /// `Vec`, a range mapped to requests, …); an empty one is [`Error::Config`].
    pub async fn submit<I>(self, requests: I) -> crate::Result<BatchRun<'c, E>>
    where
        I: IntoIterator<Item = (String, E::Request)>,
        I::IntoIter: Send + 'static,
    {
        self.submit_stream(futures::stream::iter(requests)).await
    }

    /// [`submit`](Self::submit), from a stream.
    pub async fn submit_stream<S>(self, requests: S) -> crate::Result<BatchRun<'c, E>>
    where
        S: Stream<Item = (String, E::Request)> + Send + 'static,
    {
        let mut requests: Pin<Box<dyn Stream<Item = (String, E::Request)> + Send>> = Box::pin(requests);
        let mut first = Vec::new();
        while first.len() <= self.inline_limit {
            match requests.next().await {
                Some(r) => first.push(r),
                None => break,
            }
        }
        if first.is_empty() {
            return Err(Error::Config("batch.run: no requests to run".into()));
        }
        let mut create = CreateBatchJobRequest::new(E::endpoint());
        if first.len() <= self.inline_limit {
            let mut inline = Vec::with_capacity(first.len());
            for (custom_id, request) in first {
                inline.push(BatchRequest::new(body(&custom_id, &request)?).custom_id(custom_id));
            }
            create = create.requests(inline);
        } else {
            let source = Arc::new(Mutex::new(Source { buffered: first.into(), rest: requests, pending: None, ended: false, failed: None }));
            let mut files = Vec::new();
            loop {
                let lines = FileLines { source: source.clone(), max: self.max_file_bytes, written: 0, full: false };
                let part = FilePart::from_stream(lines, None, format!("batch-input-{}.jsonl", files.len() + 1)).content_type("application/jsonl");
                let uploaded = self.client.files().upload(FilesUploadBody::new(part).purpose(FilePurpose::Batch)).send().await;
                let over = {
                    let mut s = source.lock().map_err(|_| Error::Config("a batch input file's writer panicked".into()))?;
                    if let Some(e) = s.failed.take() {
                        return Err(Error::Config(format!("batch request {e}")));
                    }
                    s.ended && s.pending.is_none() && s.buffered.is_empty()
                };
                files.push(uploaded?.id);
                if over {
                    break;
                }
            }
            create = create.input_files(files);
        }
        create = match self.runner {
            Runner::Model(m) => create.model(m),
            Runner::Agent(a) => create.agent_id(a),
        };
        if let Some(m) = self.metadata {
            create = create.metadata(m);
        }
        if let Some(h) = self.timeout_hours {
            create = create.timeout_hours(h);
        }
        let job = self.client.batch().jobs().create(create).send().await?;
        Ok(BatchRun { client: self.client, job, _endpoint: PhantomData })
    }
}

/// A request's body as the job sends it: the request's JSON without its `model` (the job's
/// model or agent runs every request).
fn body_of<T: Serialize>(custom_id: &str, request: &T) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::to_value(request) {
        Ok(serde_json::Value::Object(mut map)) => {
            map.remove("model");
            Ok(map)
        }
        Ok(_) => Err(format!("`{custom_id}` is not a JSON object")),
        Err(e) => Err(format!("`{custom_id}` could not be encoded: {e}")),
    }
}

/// The body of an inline request.
fn body<T: Serialize>(custom_id: &str, request: &T) -> crate::Result<std::collections::BTreeMap<String, serde_json::Value>> {
    body_of(custom_id, request).map(|map| map.into_iter().collect()).map_err(|e| Error::Config(format!("batch request {e}")))
}

/// One JSONL line of an input file.
fn line<T: Serialize>(custom_id: &str, request: &T) -> Result<Vec<u8>, String> {
    #[derive(Serialize)]
    struct Line<'a> {
        custom_id: &'a str,
        body: serde_json::Map<String, serde_json::Value>,
    }
    let body = body_of(custom_id, request)?;
    let mut out = serde_json::to_vec(&Line { custom_id, body }).map_err(|e| format!("`{custom_id}` could not be encoded: {e}"))?;
    out.push(b'\n');
    Ok(out)
}

/// The requests not yet written, shared by the input files one after the other.
struct Source<R> {
    buffered: VecDeque<(String, R)>,
    rest: Pin<Box<dyn Stream<Item = (String, R)> + Send>>,
    /// A line that did not fit in the last file.
    pending: Option<Vec<u8>>,
    ended: bool,
    /// Why a request could not be written (the upload then fails).
    failed: Option<String>,
}

/// One input file's bytes, made from the requests as the upload reads them, in chunks of about
/// [`CHUNK`]; it ends when the next line would pass `max` (that line waits for the next file)
/// or the requests end.
struct FileLines<R> {
    source: Arc<Mutex<Source<R>>>,
    max: u64,
    written: u64,
    full: bool,
}

impl<R: Serialize> Stream for FileLines<R> {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.full {
            return Poll::Ready(None);
        }
        let source = self.source.clone();
        let mut s = match source.lock() {
            Ok(s) => s,
            Err(_) => return Poll::Ready(Some(Err(std::io::Error::other("the batch request source panicked")))),
        };
        let mut chunk: Vec<u8> = Vec::new();
        loop {
            let next = if let Some(l) = s.pending.take() {
                l
            } else if let Some((id, r)) = s.buffered.pop_front() {
                match line(&id, &r) {
                    Ok(l) => l,
                    Err(e) => return fail(&mut s, e),
                }
            } else if s.ended {
                break;
            } else {
                match s.rest.as_mut().poll_next(cx) {
                    Poll::Ready(Some((id, r))) => match line(&id, &r) {
                        Ok(l) => l,
                        Err(e) => return fail(&mut s, e),
                    },
                    Poll::Ready(None) => {
                        s.ended = true;
                        break;
                    }
                    Poll::Pending if chunk.is_empty() => return Poll::Pending,
                    Poll::Pending => break,
                }
            };
            let size = self.written + chunk.len() as u64;
            if size > 0 && size + next.len() as u64 > self.max {
                s.pending = Some(next);
                self.full = true;
                break;
            }
            chunk.extend_from_slice(&next);
            if chunk.len() >= CHUNK {
                break;
            }
        }
        if chunk.is_empty() {
            return Poll::Ready(None);
        }
        self.written += chunk.len() as u64;
        Poll::Ready(Some(Ok(Bytes::from(chunk))))
    }
}

/// Records why a request could not be written and fails the upload.
fn fail<R>(source: &mut Source<R>, why: String) -> Poll<Option<Result<Bytes, std::io::Error>>> {
    source.failed = Some(why.clone());
    Poll::Ready(Some(Err(std::io::Error::other(why))))
}

/// A batch job's counts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BatchProgress {
    /// The job's status.
    pub status: crate::models::BatchJobStatus,
    /// Requests in the job.
    pub total: i64,
    /// Requests finished, well or not.
    pub completed: i64,
    /// Requests that succeeded.
    pub succeeded: i64,
    /// Requests that failed.
    pub failed: i64,
}

impl From<&BatchJob> for BatchProgress {
    fn from(job: &BatchJob) -> Self {
        BatchProgress {
            status: job.status.clone(),
            total: job.total_requests,
            completed: job.completed_requests,
            succeeded: job.succeeded_requests,
            failed: job.failed_requests,
        }
    }
}

/// A batch job of requests to `E` (see [the module](self)).
pub struct BatchRun<'c, E> {
    client: &'c Client,
    job: BatchJob,
    _endpoint: PhantomData<E>,
}

impl<E> std::fmt::Debug for BatchRun<'_, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchRun").field("job", &self.job).finish_non_exhaustive()
    }
}

impl<'c, E: Endpoint> BatchRun<'c, E> {
    /// The job's id (to resume it with `client.batch().resume::<E>(id)`).
    pub fn id(&self) -> &str {
        &self.job.id
    }

    /// The job as last read.
    pub fn job(&self) -> &BatchJob {
        &self.job
    }

    /// Reads the job again.
    pub async fn refresh(&mut self) -> crate::Result<&BatchJob> {
        self.job = self.client.batch().jobs().get(self.job.id.clone()).send().await?;
        Ok(&self.job)
    }

    /// The job's counts at each poll until it is over; the stream ends after a successful
    /// last state, or with [`Error::JobFailed`] (failed, timed out, cancelled) or
    /// [`Error::JobStillRunning`] (the `wait`'s attempts ran out).
    pub fn progress(&self, wait: Wait) -> BoxStream<'c, crate::Result<BatchProgress>> {
        self.client.batch().jobs().watch(&self.job.id, wait).map(|job| job.map(|j| BatchProgress::from(&j))).boxed()
    }

    /// Polls until the job is over and keeps its last state ([`Error::JobFailed`] when it did
    /// not succeed; the job is read again either way).
    pub async fn wait(&mut self, wait: Wait) -> crate::Result<&BatchJob> {
        match self.client.batch().jobs().wait(&self.job.id, wait).await {
            Ok(job) => {
                self.job = job;
                Ok(&self.job)
            }
            Err(e) => {
                let _ = self.refresh().await;
                Err(e)
            }
        }
    }

    /// Asks for the job to be cancelled; its state after the request.
    pub async fn cancel(&mut self) -> crate::Result<&BatchJob> {
        self.job = self.client.batch().jobs().cancel(self.job.id.clone()).send().await?;
        Ok(&self.job)
    }

    /// The results as they are now (read the job again after it ended, with
    /// [`refresh`](Self::refresh) or [`wait`](Self::wait)): the inline `outputs`, or the
    /// output file and then the error file streamed line by line.
    pub fn results(&self) -> BoxStream<'c, crate::Result<BatchItem<E::Response>>> {
        if let crate::Nullable::Value(outputs) = &self.job.outputs {
            let items: Vec<crate::Result<BatchItem<E::Response>>> = outputs
                .iter()
                .map(|o| {
                    let text = serde_json::to_vec(o).unwrap_or_default();
                    Ok(decode_line(&text))
                })
                .collect();
            return futures::stream::iter(items).boxed();
        }
        let files: Vec<String> = [&self.job.output_file, &self.job.error_file]
            .into_iter()
            .filter_map(|f| if let crate::Nullable::Value(id) = f { Some(id.clone()) } else { None })
            .collect();
        if files.is_empty() {
            let err = Error::Config(format!("batch job `{}` has no results yet (status {:?}): wait for it to end", self.job.id, self.job.status));
            return futures::stream::once(async move { Err(err) }).boxed();
        }
        let client = self.client;
        futures::stream::iter(files)
            .then(move |file| async move {
                match client.files().download(file).send().await {
                    Ok(body) => lines(body.into_stream()).map(|line| line.map(|l| decode_line::<E::Response>(&l))).boxed(),
                    Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
                }
            })
            .flatten()
            .boxed()
    }
}

/// The lines of a byte stream (blank ones skipped), each held alone in memory.
fn lines<'a>(chunks: impl Stream<Item = crate::Result<Bytes>> + Send + 'a) -> impl Stream<Item = crate::Result<Bytes>> + Send + 'a {
    struct State<S> {
        chunks: Pin<Box<S>>,
        buffer: BytesMut,
        done: bool,
    }
    let state = State { chunks: Box::pin(chunks), buffer: BytesMut::new(), done: false };
    futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(at) = memchr::memchr(b'\n', &st.buffer) {
                let line = st.buffer.split_to(at + 1).freeze().slice(..at);
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some((Ok(line), st));
            }
            if st.done {
                if st.buffer.iter().all(u8::is_ascii_whitespace) {
                    return None;
                }
                let line = st.buffer.split().freeze();
                return Some((Ok(line), st));
            }
            match st.chunks.next().await {
                Some(Ok(chunk)) => st.buffer.extend_from_slice(&chunk),
                Some(Err(e)) => {
                    st.done = true;
                    st.buffer.clear();
                    return Some((Err(e), st));
                }
                None => st.done = true,
            }
        }
    })
}

/// One result of a batch: the request's `custom_id` and its response or error.
#[derive(Debug)]
#[non_exhaustive]
pub struct BatchItem<R> {
    /// The id the request was sent with (`None` when the line does not say).
    pub custom_id: Option<String>,
    /// The response, or why there is none.
    pub result: Result<R, ItemError>,
}

/// Why a batch item has no response.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ItemError {
    /// The endpoint answered with an error status.
    Status {
        /// The status code.
        status: u16,
        /// The answer's body.
        body: serde_json::Value,
    },
    /// The line reports an error.
    Failed(serde_json::Value),
    /// The line is not a result this version understands: kept as it was.
    Undecodable {
        /// The line's text.
        line: String,
        /// Why it does not decode.
        error: String,
    },
}

impl std::fmt::Display for ItemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemError::Status { status, body } => write!(f, "status {status}: {body}"),
            ItemError::Failed(e) => write!(f, "failed: {e}"),
            ItemError::Undecodable { error, .. } => write!(f, "undecodable result line: {error}"),
        }
    }
}

impl std::error::Error for ItemError {}

/// A result line: `{"custom_id": …, "response": {"status_code": …, "body": …}, "error": …}`.
#[derive(Deserialize)]
struct Line<B> {
    #[serde(default)]
    custom_id: Option<String>,
    #[serde(default = "none")]
    response: Option<LineResponse<B>>,
    #[serde(default)]
    error: Option<serde_json::Value>,
}

fn none<T>() -> Option<T> {
    None
}

#[derive(Deserialize)]
struct LineResponse<B> {
    #[serde(default)]
    status_code: Option<u16>,
    #[serde(default = "none")]
    body: Option<B>,
}

fn decode_line<R: DeserializeOwned>(text: &[u8]) -> BatchItem<R> {
    // The common case in one pass: a success whose body is the endpoint's response.
    let typed_error = match serde_json::from_slice::<Line<R>>(text) {
        Ok(Line { custom_id, response: Some(LineResponse { status_code, body: Some(body) }), error: None })
            if status_code.is_none_or(|s| s < 400) =>
        {
            return BatchItem { custom_id, result: Ok(body) };
        }
        Ok(_) => "the line has neither a response body nor an error".to_string(),
        Err(e) => e.to_string(),
    };
    let undecodable = |error: String| ItemError::Undecodable { line: String::from_utf8_lossy(text).into_owned(), error };
    match serde_json::from_slice::<Line<serde_json::Value>>(text) {
        Ok(Line { custom_id, response, error }) => {
            let result = match (response, error) {
                (_, Some(e)) if !e.is_null() => Err(ItemError::Failed(e)),
                (Some(LineResponse { status_code: Some(status), body }), _) if status >= 400 => {
                    Err(ItemError::Status { status, body: body.unwrap_or(serde_json::Value::Null) })
                }
                _ => Err(undecodable(typed_error)),
            };
            BatchItem { custom_id, result }
        }
        Err(e) => BatchItem { custom_id: None, result: Err(undecodable(e.to_string())) },
    }
}
