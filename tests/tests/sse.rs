//! The SSE parser (every line ending, splits at every offset, a property test over arbitrary
//! bytes) and typed event streams over wiremock. The per-operation streaming tests are in
//! `streaming.rs`.

use futures::StreamExt;
use mistral_sdk::runtime::sse::{RawEvent, SseParser};
use mistral_sdk::{Error, Event, EventStream};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn parse_all(chunks: &[&[u8]]) -> Vec<RawEvent> {
    let mut p = SseParser::new();
    let mut out = Vec::new();
    for c in chunks {
        p.feed(c);
        while let Some(ev) = p.next_event() {
            out.push(ev);
        }
    }
    out
}

const STREAM: &[u8] = b": a comment\r\nevent: delta\r\nid: 7\r\ndata: {\"a\":1}\r\n\r\ndata:first\ndata: second\n\nretry: 1500\rdata: x\r\r";

fn expected() -> Vec<RawEvent> {
    vec![
        RawEvent { event: "delta".into(), data: "{\"a\":1}".into(), id: Some("7".into()), retry: None },
        RawEvent { event: String::new(), data: "first\nsecond".into(), id: Some("7".into()), retry: None },
        RawEvent { event: String::new(), data: "x".into(), id: Some("7".into()), retry: Some(1500) },
    ]
}

#[test]
fn parses_every_line_ending_comments_and_multi_line_data() {
    assert_eq!(parse_all(&[STREAM]), expected());
}

#[test]
fn events_split_at_every_byte_offset_parse_the_same() {
    for i in 0..=STREAM.len() {
        for j in i..=STREAM.len() {
            let got = parse_all(&[&STREAM[..i], &STREAM[i..j], &STREAM[j..]]);
            assert_eq!(got, expected(), "split at {i} and {j}");
        }
    }
}

#[test]
fn a_partial_event_is_visible() {
    let mut p = SseParser::new();
    p.feed(b"data: cut");
    assert!(p.next_event().is_none());
    assert!(p.has_partial());
}

async fn stream_of(body: &'static str) -> EventStream<Event<serde_json::Value>> {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")).mount(&server).await;
    let resp = reqwest::get(server.uri()).await.unwrap();
    // Keep the server alive for the body.
    std::mem::forget(server);
    EventStream::new("test_op", resp)
}

#[tokio::test]
async fn done_ends_a_stream_and_typed_events_keep_their_name() {
    let mut s = stream_of("event: chunk\ndata: {\"n\":1}\n\ndata: [DONE]\n\ndata: {\"n\":2}\n\n").await;
    let first = s.next().await.unwrap().unwrap();
    assert_eq!(first.event, "chunk");
    assert_eq!(first.data, serde_json::json!({"n": 1}));
    assert!(s.next().await.is_none(), "[DONE] ends the stream");
}

#[tokio::test]
async fn a_malformed_event_is_an_error_and_the_stream_goes_on() {
    let mut s = stream_of("data: {not json\n\ndata: {\"n\":2}\n\n").await;
    match s.next().await.unwrap() {
        Err(Error::Stream { raw: Some(raw), .. }) => assert_eq!(raw, "{not json"),
        other => panic!("{other:?}"),
    }
    assert_eq!(s.next().await.unwrap().unwrap().data, serde_json::json!({"n": 2}));
    assert!(s.next().await.is_none());
}

#[tokio::test]
async fn a_stream_cut_mid_event_is_an_error_not_a_silent_end() {
    let mut s = stream_of("data: {\"n\":1}\n\ndata: {\"n\":").await;
    assert!(s.next().await.unwrap().is_ok());
    let err = s.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("ended in the middle of an event"), "{err}");
    assert!(s.next().await.is_none());
}

/// A small deterministic generator (xorshift64*), so the property test needs no extra crate and
/// every failure reproduces from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Input made of SSE syntax and noise: field names with and without the colon and space, line
/// endings of every kind, `[DONE]`, digits, multi-byte and invalid UTF-8, NUL.
fn arbitrary_stream(rng: &mut Rng) -> Vec<u8> {
    const PARTS: &[&[u8]] = &[
        b"data:",
        b"data: ",
        b"event:",
        b"event: x",
        b"id:",
        b"id: 1",
        b"retry:",
        b"retry: 15",
        b"retry: x",
        b":",
        b": c",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b"\r\r",
        b"[DONE]",
        b"{\"a\":1}",
        b" ",
        b"\xc3\xa9",
        b"\xe2\x82",
        b"\xff",
        b"\0",
        b"data",
    ];
    let len = rng.below(60);
    let mut out = Vec::new();
    for _ in 0..len {
        if rng.below(5) == 0 {
            out.push(rng.next() as u8);
        } else {
            out.extend_from_slice(PARTS[rng.below(PARTS.len())]);
        }
    }
    out
}

/// Property: over arbitrary bytes cut into arbitrary chunks, the parser never panics and gives
/// the same events, and the same partial state at the end, as when fed everything at once.
#[test]
fn arbitrary_bytes_and_splits_never_panic_and_parse_as_a_whole() {
    let mut rng = Rng(0x5EED_5EED_1234_5678);
    for case in 0..20_000 {
        let input = arbitrary_stream(&mut rng);
        let mut whole = SseParser::new();
        whole.feed(&input);
        let mut expected = Vec::new();
        while let Some(ev) = whole.next_event() {
            expected.push(ev);
        }
        // Random cut points, sorted.
        let mut cuts: Vec<usize> = (0..rng.below(6)).map(|_| rng.below(input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut parser = SseParser::new();
        let mut got = Vec::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([input.len()]) {
            parser.feed(&input[from..cut]);
            from = cut;
            // Draining between chunks must not change anything either.
            if rng.below(2) == 0 {
                while let Some(ev) = parser.next_event() {
                    got.push(ev);
                }
            }
        }
        while let Some(ev) = parser.next_event() {
            got.push(ev);
        }
        assert_eq!(got, expected, "case {case}: input {:?}", String::from_utf8_lossy(&input));
        assert_eq!(parser.has_partial(), whole.has_partial(), "case {case}: input {:?}", String::from_utf8_lossy(&input));
    }
}

/// An event, or a line not yet ended, past the parser's limit stops it; below the limit the
/// same input parses, whatever the chunking.
#[test]
fn the_event_size_limit_stops_the_parser() {
    let mut input = b"data: ".to_vec();
    input.resize(6 + 100_000, b'x');
    input.extend_from_slice(b"\n\n");
    for chunk in [1usize, 7, 4096, input.len()] {
        let mut small = SseParser::with_max_event_size(50_000);
        let mut big = SseParser::with_max_event_size(200_000);
        for piece in input.chunks(chunk) {
            small.feed(piece);
            big.feed(piece);
        }
        assert!(small.too_large(), "chunks of {chunk}");
        assert!(small.next_event().is_none());
        assert!(!big.too_large());
        assert_eq!(big.next_event().unwrap().data.len(), 100_000);
    }
    // Many data lines of one event count together.
    let mut p = SseParser::with_max_event_size(1000);
    for _ in 0..200 {
        p.feed(b"data: 0123456789\n");
    }
    assert!(p.too_large());
}
