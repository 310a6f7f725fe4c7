//! Realtime transcription: audio streamed over a WebSocket to
//! `/v1/audio/transcriptions/realtime?model=…`, typed events back.
//!
//! [`Realtime::transcribe`] sends an audio stream and yields the events as they come, both at
//! once; [`Realtime::connect`] gives the [`RealtimeConnection`] to drive by hand (append audio,
//! flush, end, update the session) and read its events as a `Stream`. The URL is the client's
//! server with `https` made `wss` (`http` made `ws`), and the API key goes in the `Authorization`
//! header, as for every other call.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client, audio: impl futures::Stream<Item = mistral_sdk::bytes::Bytes> + Send + 'static) -> mistral_sdk::Result<()> {
//! use futures::StreamExt;
//! use mistral_sdk::realtime::{AudioEncoding, AudioFormat, RealtimeEvent};
//!
//! let format = AudioFormat { encoding: AudioEncoding::PcmS16le, sample_rate: 16_000 };
//! let mut events = client.audio().realtime("voxtral-mini-transcribe-realtime-2602").audio_format(format).transcribe(audio).await?;
//! while let Some(event) = events.next().await {
//!     match event? {
//!         RealtimeEvent::TextDelta(d) => print!("{}", d.text),
//!         RealtimeEvent::Done(done) => println!("\n{}", done.text),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The messages follow the official Python SDK (`mistralai.extra.realtime`); the public spec
//! does not describe them. An event of a type this SDK does not know, or one that does not
//! decode, is [`RealtimeEvent::Unknown`] with its text, never an error.

use crate::models::{TranscriptionStreamDone, TranscriptionStreamLanguage, TranscriptionStreamSegmentDelta, TranscriptionStreamTextDelta};
use crate::{Error, Result};
use base64::Engine as _;
use bytes::Bytes;
use futures::stream::{SplitSink, SplitStream, Stream, StreamExt};
use futures::SinkExt;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

/// The operation name errors carry.
const OPERATION: &str = "audio.realtime";
/// The path of the WebSocket endpoint.
pub const PATH: &str = "/v1/audio/transcriptions/realtime";

crate::runtime::operation!(OP_REALTIME = "audio_realtime_transcription" "audio.realtime", GET "/v1/audio/transcriptions/realtime", [ApiKey], [], [101u16]);

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The raw audio's encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AudioEncoding {
    #[serde(rename = "pcm_s16le")]
    /// Signed 16-bit little-endian PCM.
    PcmS16le,
    #[serde(rename = "pcm_s32le")]
    /// Signed 32-bit little-endian PCM.
    PcmS32le,
    #[serde(rename = "pcm_f16le")]
    /// 16-bit float little-endian PCM.
    PcmF16le,
    #[serde(rename = "pcm_f32le")]
    /// 32-bit float little-endian PCM.
    PcmF32le,
    #[serde(rename = "pcm_mulaw")]
    /// G.711 µ-law.
    PcmMulaw,
    #[serde(rename = "pcm_alaw")]
    /// G.711 A-law.
    PcmAlaw,
    /// An encoding this SDK does not know, as the server wrote it.
    #[serde(untagged)]
    Other(String),
}

/// How the audio sent is encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioFormat {
    /// How the samples are encoded.
    pub encoding: AudioEncoding,
    /// Samples per second (16,000 for speech).
    pub sample_rate: u32,
}

/// The session the server keeps for a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealtimeSession {
    /// The session's request id, to quote to support.
    pub request_id: String,
    /// The transcription model.
    pub model: String,
    /// The audio the session expects.
    pub audio_format: AudioFormat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How far behind the audio the transcription aims to be, in milliseconds.
    pub target_streaming_delay_ms: Option<i64>,
}

/// An error the server reports on the connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealtimeError {
    /// The error the server reports.
    pub error: RealtimeErrorDetail,
}

/// See [`RealtimeError`]: `message` is a string or an object with a `detail`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RealtimeErrorDetail {
    #[serde(default)]
    /// What went wrong, as the server said it (text or JSON).
    pub message: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The server's error code, when it gives one.
    pub code: Option<i64>,
}

impl RealtimeError {
    /// The error's message as text.
    pub fn message(&self) -> String {
        match &self.error.message {
            Value::String(s) => s.clone(),
            Value::Object(o) => o.get("detail").and_then(Value::as_str).map_or_else(|| Value::Object(o.clone()).to_string(), String::from),
            Value::Null => "realtime transcription error".into(),
            other => other.to_string(),
        }
    }
}

/// What the server sends on a realtime connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RealtimeEvent {
    /// `session.created`: the first event, with the session's settings.
    SessionCreated(RealtimeSession),
    /// `session.updated`: after [`RealtimeConnection::update_session`].
    SessionUpdated(RealtimeSession),
    /// `error`: the server reports a problem; the connection usually closes after it.
    Error(RealtimeError),
    /// `transcription.language`: the language detected.
    Language(TranscriptionStreamLanguage),
    /// `transcription.segment`: a segment of the transcript, with its times.
    Segment(TranscriptionStreamSegmentDelta),
    /// `transcription.text.delta`: text added to the transcript.
    TextDelta(TranscriptionStreamTextDelta),
    /// `transcription.done`: the whole transcript; nothing follows.
    Done(TranscriptionStreamDone),
    /// An event this SDK does not know (`kind` is its `type`), or one that does not decode
    /// (`error` says why): the message's text as received.
    Unknown {
        /// The message's `type`, when it has one.
        kind: Option<String>,
        /// The message as received.
        text: String,
        /// Why it did not decode, when it was a known type.
        error: Option<String>,
    },
}

impl RealtimeEvent {
    /// Decodes one text message; never fails (see [`RealtimeEvent::Unknown`]).
    pub fn parse(text: &str) -> RealtimeEvent {
        let unknown = |kind: Option<String>, error: String| RealtimeEvent::Unknown { kind, text: text.to_string(), error: Some(error) };
        let value: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return unknown(None, format!("invalid JSON: {e}")),
        };
        let Some(kind) = value.get("type").and_then(Value::as_str).map(String::from) else {
            return unknown(None, "no `type`".into());
        };
        fn de<T: serde::de::DeserializeOwned>(v: Value) -> std::result::Result<T, String> {
            serde_json::from_value(v).map_err(|e| e.to_string())
        }
        let session = |v: Value| de::<Value>(v).and_then(|v| de::<RealtimeSession>(v.get("session").cloned().unwrap_or(Value::Null)));
        let decoded = match kind.as_str() {
            "session.created" => session(value).map(RealtimeEvent::SessionCreated),
            "session.updated" => session(value).map(RealtimeEvent::SessionUpdated),
            "error" => de(value).map(RealtimeEvent::Error),
            "transcription.language" => de(value).map(RealtimeEvent::Language),
            "transcription.segment" => de(value).map(RealtimeEvent::Segment),
            "transcription.text.delta" => de(value).map(RealtimeEvent::TextDelta),
            "transcription.done" => de(value).map(RealtimeEvent::Done),
            _ => return RealtimeEvent::Unknown { kind: Some(kind), text: text.to_string(), error: None },
        };
        decoded.unwrap_or_else(|e| unknown(Some(kind), e))
    }
}

#[cfg(feature = "audio")]
#[cfg_attr(docsrs, doc(cfg(feature = "audio")))]
impl<'c> crate::api::audio::Audio<'c> {
    /// Realtime transcription with `model` over a WebSocket: see [`realtime`](crate::realtime).
    pub fn realtime(&self, model: impl Into<String>) -> Realtime<'c> {
        Realtime { client: self.client, model: model.into(), audio_format: None, delay: None, headers: Vec::new(), timeout: None, idle_timeout: None }
    }
}

/// Settings of a realtime connection; [`connect`](Self::connect) or
/// [`transcribe`](Self::transcribe) opens it.
#[derive(Debug, Clone)]
#[must_use = "nothing is connected until `connect` or `transcribe` is awaited"]
pub struct Realtime<'c> {
    client: &'c crate::Client,
    model: String,
    audio_format: Option<AudioFormat>,
    delay: Option<u32>,
    headers: Vec<(String, String)>,
    timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
}

impl Realtime<'_> {
    /// The format of the audio you will send (sent as a session update once connected).
    pub fn audio_format(mut self, format: AudioFormat) -> Self {
        self.audio_format = Some(format);
        self
    }
    /// How far behind the audio the transcript may lag, in milliseconds.
    pub fn target_streaming_delay_ms(mut self, ms: u32) -> Self {
        self.delay = Some(ms);
        self
    }
    /// A header for the WebSocket handshake.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// How long the handshake and the wait for `session.created` may take (default: the
    /// client's timeout).
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }
    /// The longest silence from the server once connected: when no message (pings included)
    /// arrives for this long, the event stream ends with [`Error::Timeout`] instead of waiting
    /// forever. Default: the client's `stream_idle_timeout` (300 s).
    pub fn idle_timeout(mut self, d: Duration) -> Self {
        self.idle_timeout = Some(d);
        self
    }

    /// Opens the connection: the handshake, then the events until `session.created` (kept for
    /// the connection's event stream), then the session update if a format or delay was set.
    /// A refused handshake is the HTTP error (`Error::UnexpectedStatus` with its status and
    /// body); an `error` event before the session is [`Error::Realtime`].
    pub async fn connect(self) -> Result<RealtimeConnection> {
        let timeout = self.timeout.or(self.client.inner.timeout);
        let open = self.open();
        let conn = match timeout {
            Some(t) => tokio::time::timeout(t, open).await.map_err(|_| Error::Timeout { operation: OPERATION, source: None })??,
            None => open.await?,
        };
        if self.audio_format.is_some() || self.delay.is_some() {
            conn.update_session(self.audio_format.clone(), self.delay).await?;
        }
        Ok(conn)
    }

    async fn open(&self) -> Result<RealtimeConnection> {
        let inner = &self.client.inner;
        let call = crate::runtime::provider::Call { operation: &OP_REALTIME, path: PATH, json_body: None, event_stream: false, server_url: None };
        let route = inner.provider.route(&call).await?;
        let mut url = reqwest::Url::parse(&format!("{}{}", route.base_url, route.path))
            .map_err(|e| Error::Config(format!("realtime: the server URL `{}` is not a URL: {e}", route.base_url)))?;
        let scheme = match url.scheme() {
            "https" | "wss" => "wss",
            _ => "ws",
        };
        let _ = url.set_scheme(scheme);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("model", &self.model);
            for (name, value) in &route.query {
                q.append_pair(name, value);
            }
        }
        let mut request = url.as_str().into_client_request().map_err(|e| realtime_error(format!("cannot build the handshake: {e}")))?;
        let headers = request.headers_mut();
        for (name, value) in &inner.default_headers {
            headers.insert(name.clone(), value.clone());
        }
        for (name, value) in &route.headers {
            headers.insert(name.clone(), value.clone());
        }
        for (name, value) in &self.headers {
            match (reqwest::header::HeaderName::from_bytes(name.as_bytes()), reqwest::header::HeaderValue::from_str(value)) {
                (Ok(n), Ok(v)) => {
                    headers.insert(n, v);
                }
                _ => return Err(Error::Config(format!("realtime: invalid header `{name}`"))),
            }
        }
        let (socket, _) = tokio_tungstenite::connect_async(request).await.map_err(handshake_error)?;
        let (sink, stream) = socket.split();
        let idle = crate::runtime::sse::IdleTimer::new(self.idle_timeout.or(inner.stream_idle_timeout));
        let mut events = RealtimeEvents { stream, pending: Vec::new(), done: false, finished: false, idle };
        // Read up to `session.created`, keeping it and what came before it for the event stream.
        let mut before = Vec::new();
        loop {
            let Some(event) = events.next().await else {
                return Err(realtime_error("the server closed the connection before `session.created`".into()));
            };
            let event = event?;
            match &event {
                RealtimeEvent::Error(e) => return Err(realtime_error(format!("the server refused the session: {}", e.message()))),
                RealtimeEvent::SessionCreated(session) => {
                    let session = session.clone();
                    before.push(event);
                    before.reverse();
                    events.pending = before;
                    return Ok(RealtimeConnection { sender: RealtimeSender { sink: Arc::new(tokio::sync::Mutex::new(sink)) }, events, session });
                }
                _ => before.push(event),
            }
        }
    }

    /// Connects, sends `audio` (each item as an `input_audio.append`, then `input_audio.flush`
    /// and `input_audio.end`, as the official SDK ends it)
    /// while the events are read, and yields the events until `transcription.done` or an
    /// `error` event (both yielded). The sending stops when the stream is dropped.
    pub async fn transcribe<S>(self, audio: S) -> Result<Transcription>
    where
        S: Stream<Item = Bytes> + Send + 'static,
    {
        let conn = self.connect().await?;
        let (sender, events) = conn.split();
        let task = tokio::spawn(async move {
            let mut audio = std::pin::pin!(audio);
            while let Some(chunk) = audio.next().await {
                sender.append_audio(&chunk).await?;
            }
            // As the official SDK ends it: flush what was sent, then end the audio.
            sender.flush().await?;
            sender.end_audio().await
        });
        Ok(Transcription { events, task: Some(task) })
    }
}

fn realtime_error(message: String) -> Error {
    Error::Realtime { operation: OPERATION, message }
}

fn handshake_error(e: tungstenite::Error) -> Error {
    match e {
        tungstenite::Error::Http(response) => {
            let (parts, body) = response.into_parts();
            let status = reqwest::StatusCode::from_u16(parts.status.as_u16()).unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
            let error = crate::ApiError::new(OPERATION, status, handshake_headers(&parts.headers), Bytes::from(body.unwrap_or_default()));
            if error.service.is_some() {
                Error::Api(Box::new(error))
            } else {
                Error::UnexpectedStatus(Box::new(error))
            }
        }
        other => realtime_error(format!("the WebSocket handshake failed: {other}")),
    }
}

/// The refused handshake's headers, kept in the error (tungstenite's `http` may not be
/// `reqwest`'s version, so they are copied by name and bytes).
fn handshake_headers(from: &tungstenite::http::HeaderMap) -> reqwest::header::HeaderMap {
    let mut out = reqwest::header::HeaderMap::new();
    for (name, value) in from {
        if let (Ok(n), Ok(v)) =
            (reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()), reqwest::header::HeaderValue::from_bytes(value.as_bytes()))
        {
            out.append(n, v);
        }
    }
    out
}

/// An open realtime connection: send with its methods, read its events as a `Stream` (the first
/// is `session.created`). [`split`](Self::split) separates the two to use them from two tasks.
#[derive(Debug)]
pub struct RealtimeConnection {
    sender: RealtimeSender,
    events: RealtimeEvents,
    session: RealtimeSession,
}

impl RealtimeConnection {
    /// The session as `session.created` gave it.
    pub fn session(&self) -> &RealtimeSession {
        &self.session
    }
    /// Sends audio (`input_audio.append`, base64 in JSON).
    pub async fn append_audio(&self, audio: &[u8]) -> Result<()> {
        self.sender.append_audio(audio).await
    }
    /// Asks the server to transcribe the audio received so far (`input_audio.flush`).
    pub async fn flush(&self) -> Result<()> {
        self.sender.flush().await
    }
    /// Says no more audio will come (`input_audio.end`); `transcription.done` follows.
    pub async fn end_audio(&self) -> Result<()> {
        self.sender.end_audio().await
    }
    /// Changes the session (`session.update`); `session.updated` follows.
    pub async fn update_session(&self, audio_format: Option<AudioFormat>, target_streaming_delay_ms: Option<u32>) -> Result<()> {
        self.sender.update_session(audio_format, target_streaming_delay_ms).await
    }
    /// Closes the connection (a normal close frame).
    pub async fn close(self) -> Result<()> {
        self.sender.close().await
    }
    /// The sending half and the events.
    pub fn split(self) -> (RealtimeSender, RealtimeEvents) {
        (self.sender, self.events)
    }
}

impl Stream for RealtimeConnection {
    type Item = Result<RealtimeEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.events).poll_next(cx)
    }
}

/// The sending half of a [`RealtimeConnection`]; cheap to clone.
#[derive(Clone)]
pub struct RealtimeSender {
    sink: Arc<tokio::sync::Mutex<SplitSink<Socket, Message>>>,
}

impl std::fmt::Debug for RealtimeSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RealtimeSender")
    }
}

impl RealtimeSender {
    async fn send(&self, message: Value) -> Result<()> {
        let text = message.to_string();
        self.sink.lock().await.send(Message::text(text)).await.map_err(|e| realtime_error(format!("cannot send: {e}")))
    }
    /// See [`RealtimeConnection::append_audio`].
    pub async fn append_audio(&self, audio: &[u8]) -> Result<()> {
        self.send(json!({"type": "input_audio.append", "audio": base64::engine::general_purpose::STANDARD.encode(audio)})).await
    }
    /// See [`RealtimeConnection::flush`].
    pub async fn flush(&self) -> Result<()> {
        self.send(json!({"type": "input_audio.flush"})).await
    }
    /// See [`RealtimeConnection::end_audio`].
    pub async fn end_audio(&self) -> Result<()> {
        self.send(json!({"type": "input_audio.end"})).await
    }
    /// See [`RealtimeConnection::update_session`]; at least one setting must be given.
    pub async fn update_session(&self, audio_format: Option<AudioFormat>, target_streaming_delay_ms: Option<u32>) -> Result<()> {
        let mut session = serde_json::Map::new();
        if let Some(f) = audio_format {
            session.insert("audio_format".into(), json!(f));
        }
        if let Some(d) = target_streaming_delay_ms {
            session.insert("target_streaming_delay_ms".into(), json!(d));
        }
        if session.is_empty() {
            return Err(Error::Config("realtime: a session update needs an audio format or a streaming delay".into()));
        }
        self.send(json!({"type": "session.update", "session": session})).await
    }
    /// See [`RealtimeConnection::close`].
    pub async fn close(&self) -> Result<()> {
        self.sink.lock().await.close().await.map_err(|e| realtime_error(format!("cannot close: {e}")))
    }
}

/// The events of a [`RealtimeConnection`]. The stream ends after `transcription.done`; a
/// connection that closes or breaks before it ends the stream with [`Error::Realtime`].
pub struct RealtimeEvents {
    stream: SplitStream<Socket>,
    /// Events read during the handshake, in reverse order.
    pending: Vec<RealtimeEvent>,
    /// `transcription.done` was seen.
    done: bool,
    /// Nothing more is yielded.
    finished: bool,
    /// The longest silence allowed from the server.
    idle: crate::runtime::sse::IdleTimer,
}

impl std::fmt::Debug for RealtimeEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealtimeEvents").field("done", &self.done).finish()
    }
}

impl Stream for RealtimeEvents {
    type Item = Result<RealtimeEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(event) = self.pending.pop() {
            return Poll::Ready(Some(Ok(event)));
        }
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            let message = match self.stream.poll_next_unpin(cx) {
                Poll::Pending => {
                    if self.idle.expired(cx) {
                        self.finished = true;
                        return Poll::Ready(Some(Err(Error::Timeout { operation: OPERATION, source: None })));
                    }
                    return Poll::Pending;
                }
                Poll::Ready(m) => {
                    self.idle.reset();
                    m
                }
            };
            let text = match message {
                Some(Ok(Message::Text(t))) => t.as_str().to_string(),
                Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Close(frame))) => {
                    self.finished = true;
                    if self.done {
                        return Poll::Ready(None);
                    }
                    let why = frame.map(|f| format!(" (code {}: {})", u16::from(f.code), f.reason)).unwrap_or_default();
                    return Poll::Ready(Some(Err(realtime_error(format!("the server closed the connection before `transcription.done`{why}")))));
                }
                None => {
                    self.finished = true;
                    if self.done {
                        return Poll::Ready(None);
                    }
                    return Poll::Ready(Some(Err(realtime_error("the connection ended before `transcription.done`".into()))));
                }
                Some(Err(e)) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(realtime_error(format!("the connection broke: {e}")))));
                }
            };
            let event = RealtimeEvent::parse(&text);
            if matches!(event, RealtimeEvent::Done(_)) {
                self.done = true;
                self.finished = true;
            }
            return Poll::Ready(Some(Ok(event)));
        }
    }
}

/// The events of [`Realtime::transcribe`]: they end after `transcription.done` or an `error`
/// event. Dropping it stops the sending.
pub struct Transcription {
    events: RealtimeEvents,
    task: Option<tokio::task::JoinHandle<Result<()>>>,
}

impl Transcription {
    /// Whether the audio has all been sent (`input_audio.end` included) or the sending stopped.
    pub fn sent(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl std::fmt::Debug for Transcription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcription").field("events", &self.events).finish()
    }
}

impl Drop for Transcription {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Stream for Transcription {
    type Item = Result<RealtimeEvent>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // The sender fails only when the socket does, which the events report: its result is
        // not read.
        let next = Pin::new(&mut self.events).poll_next(cx);
        if let Poll::Ready(Some(Ok(RealtimeEvent::Error(_)))) = &next {
            self.events.finished = true;
        }
        next
    }
}
