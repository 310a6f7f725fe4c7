//! The SSE parser and typed event streams (the start of the streaming work).

use futures::StreamExt;
use mistralai::runtime::sse::{RawEvent, SseParser};
use mistralai::{Error, Event, EventStream};
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
