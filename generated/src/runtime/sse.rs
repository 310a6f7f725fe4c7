//! Server-sent events: an incremental parser and a typed stream over a response body.

use super::http::StreamEnd;
use crate::Error;
use bytes::{Bytes, BytesMut};
use futures::Stream;
use std::collections::VecDeque;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

/// One server-sent event as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawEvent {
    /// `event:` (empty when not sent).
    pub event: String,
    /// `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` received on the stream, as `EventSource.lastEventId` reports it.
    pub id: Option<String>,
    /// `retry:` in milliseconds when sent.
    pub retry: Option<u64>,
}

/// An incremental SSE parser (the WHATWG algorithm): LF, CR and CRLF line endings, multi-line
/// data, comments, one leading space stripped, input split anywhere.
#[derive(Debug, Default)]
pub struct SseParser {
    buf: BytesMut,
    /// How many bytes at the start of `buf` are known to hold no line end: each chunk is
    /// scanned once, so a long line costs linear time, not quadratic.
    scanned: usize,
    /// The largest event (data so far plus the unterminated line) before [`SseParser::too_large`].
    max_event: Option<usize>,
    too_large: bool,
    /// A CR ended the last line; a following LF belongs to it.
    after_cr: bool,
    event: RawEvent,
    has_data: bool,
    ready: VecDeque<RawEvent>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser that stops (see [`too_large`](Self::too_large)) once one event, or a line not
    /// yet ended, holds more than `max` bytes.
    pub fn with_max_event_size(max: usize) -> Self {
        SseParser { max_event: Some(max), ..Self::default() }
    }

    /// Whether an event grew past the limit; nothing more is parsed then.
    pub fn too_large(&self) -> bool {
        self.too_large
    }

    /// Feeds bytes; complete events become available from [`SseParser::next_event`].
    pub fn feed(&mut self, mut chunk: &[u8]) {
        if chunk.is_empty() || self.too_large {
            return;
        }
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        self.after_cr = false;
        self.buf.extend_from_slice(chunk);
        // Lines are handled in place; the consumed prefix is dropped once at the end.
        let mut buf = std::mem::take(&mut self.buf);
        let mut start = 0;
        let mut from = self.scanned;
        while let Some(p) = memchr::memchr2(b'\n', b'\r', &buf[from..]) {
            let end = from + p;
            let mut next = end + 1;
            if buf[end] == b'\r' {
                match buf.get(next) {
                    Some(b'\n') => next += 1,
                    Some(_) => {}
                    // A CR at the end of the input: an LF opening the next chunk belongs to it.
                    None => self.after_cr = true,
                }
            }
            self.line(&buf[start..end]);
            start = next;
            from = next;
        }
        let _ = buf.split_to(start);
        self.scanned = buf.len();
        self.buf = buf;
        let over = |max: usize| self.buf.len() + self.event.data.len() > max || self.ready.iter().any(|e| e.data.len() > max);
        if self.max_event.is_some_and(over) {
            self.too_large = true;
            self.buf.clear();
            self.scanned = 0;
            self.ready.clear();
        }
    }

    fn line(&mut self, line: &[u8]) {
        if line.is_empty() {
            if self.has_data {
                let mut ev = std::mem::take(&mut self.event);
                // The last event id carries over to later events (WHATWG "last event ID buffer").
                self.event.id = ev.id.clone();
                if ev.data.ends_with('\n') {
                    ev.data.pop();
                }
                self.ready.push_back(ev);
            } else {
                // An event without data is dropped, but its id/retry stay as the spec says.
                self.event.event.clear();
            }
            self.has_data = false;
            return;
        }
        if line[0] == b':' {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.find(':') {
            Some(i) => {
                let v = &text[i + 1..];
                (&text[..i], v.strip_prefix(' ').unwrap_or(v))
            }
            None => (&text[..], ""),
        };
        match field {
            "event" => self.event.event = value.to_string(),
            "data" => {
                self.event.data.push_str(value);
                self.event.data.push('\n');
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.event.id = Some(value.to_string()),
            "retry" => {
                if let Ok(ms) = value.parse() {
                    self.event.retry = Some(ms);
                }
            }
            _ => {}
        }
    }

    pub fn next_event(&mut self) -> Option<RawEvent> {
        self.ready.pop_front()
    }

    /// Whether bytes of an unfinished event remain (a stream ending now was cut short).
    pub fn has_partial(&self) -> bool {
        self.has_data || !self.buf.iter().all(|b| b.is_ascii_whitespace())
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// How a stream's events become items.
pub trait SseDecode: Sized {
    /// `None` ends the stream (the `[DONE]` sentinel); an error gives its message and the
    /// event's raw data back.
    fn decode(event: RawEvent) -> Option<Result<Self, (String, String)>>;
}

/// A typed stream of server-sent events. Dropping it closes the connection.
pub struct EventStream<T> {
    operation: &'static str,
    body: Option<ByteStream>,
    parser: SseParser,
    idle: IdleTimer,
    max_event_size: Option<usize>,
    done: bool,
    /// What ends the answer, and whether it has come.
    end: StreamEnd,
    ended: bool,
    /// The call's middleware observers: each event, then the stream's end (or its drop).
    observers: super::middleware::Observers,
    _item: PhantomData<fn() -> T>,
}

impl<T> Drop for EventStream<T> {
    fn drop(&mut self) {
        if !self.observers.is_empty() {
            self.observers.end(super::middleware::CallEnd::StreamDropped);
        }
    }
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").field("operation", &self.operation).field("done", &self.done).finish()
    }
}

impl<T: SseDecode> EventStream<T> {
    pub fn new(operation: &'static str, response: reqwest::Response) -> Self {
        EventStream {
            operation,
            body: Some(Box::pin(response.bytes_stream())),
            parser: SseParser::new(),
            idle: IdleTimer::new(None),
            max_event_size: None,
            done: false,
            end: StreamEnd::Open,
            ended: false,
            observers: Default::default(),
            _item: PhantomData,
        }
    }

    /// Reports each event and the stream's end to the call's middleware.
    pub(crate) fn observed(mut self, observers: super::middleware::Observers) -> Self {
        self.observers = observers;
        self
    }

    /// What ends the answer: when the connection closes before it, the stream ends with
    /// [`Error::Stream`] (truncated) instead of ending cleanly.
    pub fn stream_end(mut self, end: StreamEnd) -> Self {
        self.end = end;
        self
    }

    /// Ends the stream with an error when no bytes arrive for this long.
    pub fn idle_timeout(mut self, d: std::time::Duration) -> Self {
        self.idle = IdleTimer::new(Some(d));
        self
    }

    /// Ends the stream with [`Error::TooLarge`] when one event (or a line not yet ended) holds
    /// more than `bytes` (the client's `max_event_size`, 16 MiB by default).
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = Some(bytes);
        self.parser.max_event = Some(bytes);
        self
    }

    fn fail(&mut self, message: String, raw: Option<String>) -> Poll<Option<Result<T, Error>>> {
        self.done = true;
        self.body = None;
        Poll::Ready(Some(Err(Error::Stream { operation: self.operation, message, raw })))
    }
}

impl<T: SseDecode> Stream for EventStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let polled = this.poll_events(cx);
        if !this.observers.is_empty() {
            match &polled {
                Poll::Ready(None) => this.observers.end(super::middleware::CallEnd::StreamComplete),
                // The stream's last item: a malformed event alone does not end it.
                Poll::Ready(Some(Err(e))) if this.done => this.observers.end(super::middleware::CallEnd::Error(e)),
                _ => {}
            }
        }
        polled
    }
}

impl<T: SseDecode> EventStream<T> {
    fn poll_events(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, Error>>> {
        let this = self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(ev) = this.parser.next_event() {
                if ev.data == "[DONE]" || matches!(this.end, StreamEnd::Sentinel(s) if ev.data == s) {
                    this.done = true;
                    this.body = None;
                    return Poll::Ready(None);
                }
                if let (StreamEnd::Events(names), false) = (this.end, this.ended) {
                    // The event name settles it; the data is parsed for its `type` only when it
                    // mentions one of the names (not for every delta of the answer).
                    this.ended = names.contains(&ev.event.as_str())
                        || (names.iter().any(|n| ev.data.contains(n)) && event_type(&ev.data).is_some_and(|t| names.contains(&t)));
                }
                if !this.observers.is_empty() {
                    this.observers.event(&ev);
                }
                match T::decode(ev) {
                    None => {
                        this.done = true;
                        this.body = None;
                        return Poll::Ready(None);
                    }
                    // A malformed event is reported; the stream goes on with the next one.
                    Some(Err((message, raw))) => return Poll::Ready(Some(Err(Error::Stream { operation: this.operation, message, raw: Some(raw) }))),
                    Some(Ok(item)) => return Poll::Ready(Some(Ok(item))),
                }
            }
            let Some(body) = this.body.as_mut() else { return Poll::Ready(None) };
            match body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    this.idle.reset();
                    this.parser.feed(&bytes);
                    if this.parser.too_large() {
                        this.done = true;
                        this.body = None;
                        let limit = this.max_event_size.unwrap_or(usize::MAX);
                        return Poll::Ready(Some(Err(Error::TooLarge { operation: this.operation, what: "server-sent event", limit })));
                    }
                }
                Poll::Ready(Some(Err(e))) => return this.fail(format!("reading the stream: {e}"), None),
                Poll::Ready(None) => {
                    this.body = None;
                    if this.parser.has_partial() {
                        return this.fail("the stream ended in the middle of an event".into(), None);
                    }
                    match this.end {
                        StreamEnd::Sentinel(s) => return this.fail(format!("the connection closed before `{s}`: the answer is truncated"), None),
                        StreamEnd::Events(names) if !this.ended => {
                            let names = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or ");
                            return this.fail(format!("the connection closed before a {names} event: the answer is truncated"), None);
                        }
                        _ => {}
                    }
                    this.done = true;
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    if this.idle.expired(cx) {
                        let d = this.idle.limit().unwrap_or_default();
                        return this.fail(format!("no event for {d:?}"), None);
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

use std::future::Future as _;

/// The `type` of an event's JSON data, read without keeping the rest.
fn event_type(data: &str) -> Option<&str> {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(borrow, rename = "type")]
        kind: Option<&'a str>,
    }
    serde_json::from_str::<Typed>(data).ok()?.kind
}

/// The silence allowed between two reads of a stream (server-sent events, a realtime
/// connection): armed while a read is pending, started over when one completes.
pub(crate) struct IdleTimer {
    limit: Option<std::time::Duration>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl IdleTimer {
    /// No limit with `None`.
    pub(crate) fn new(limit: Option<std::time::Duration>) -> Self {
        IdleTimer { limit, sleep: None }
    }
    pub(crate) fn limit(&self) -> Option<std::time::Duration> {
        self.limit
    }
    /// A read completed: the silence starts over.
    pub(crate) fn reset(&mut self) {
        self.sleep = None;
    }
    /// A read is pending: whether the silence has outlasted the limit. Until it has, the timer
    /// is registered to wake the task when it does.
    pub(crate) fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(d) = self.limit else { return false };
        self.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(d))).as_mut().poll(cx).is_ready()
    }
}

/// An event whose `data` is JSON of type `T`, with the event's name and id kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<T> {
    pub event: String,
    pub id: Option<String>,
    pub retry: Option<u64>,
    pub data: T,
}

impl<T: serde::de::DeserializeOwned> SseDecode for Event<T> {
    fn decode(ev: RawEvent) -> Option<Result<Self, (String, String)>> {
        // The fast path decodes directly; only a failure pays for tracking the JSON path.
        Some(match serde_json::from_str::<T>(&ev.data) {
            Ok(data) => Ok(Event { event: ev.event, id: ev.id, retry: ev.retry, data }),
            Err(plain) => {
                let mut de = serde_json::Deserializer::from_str(&ev.data);
                let message = match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Err(e) => format!("event data does not decode at `{}`: {}", e.path(), e.inner()),
                    Ok(_) => format!("event data does not decode: {plain}"),
                };
                Err((message, ev.data))
            }
        })
    }
}
