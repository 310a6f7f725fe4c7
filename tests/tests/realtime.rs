//! Realtime transcription against a loopback WebSocket server: the handshake (path, query,
//! authorization), the frames sent, every event type decoded, unknown and malformed events kept,
//! a server closing early, an error event, a handshake refused with 401, and a server that
//! falls silent.

use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use mistral_sdk::bytes::Bytes;
use mistral_sdk::realtime::{AudioEncoding, AudioFormat, RealtimeEvent};
use mistral_sdk::{Client, Error};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// What the server saw of the handshake.
#[derive(Debug, Default, Clone)]
struct Handshake {
    uri: String,
    authorization: Option<String>,
    extra: Option<String>,
}

/// A WebSocket server on 127.0.0.1 that accepts one connection and runs `script` on it; the
/// handshake and every text frame the client sent are recorded.
async fn server<F, Fut>(script: F) -> (String, Arc<Mutex<Handshake>>, tokio::task::JoinHandle<Vec<Value>>)
where
    F: FnOnce(Ws) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Vec<Value>> + Send,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Handshake::default()));
    let record = seen.clone();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let ws = tokio_tungstenite::accept_hdr_async(tcp, move |req: &Request, resp: Response| {
            let header = |n: &str| req.headers().get(n).map(|v| v.to_str().unwrap().to_string());
            *record.lock().unwrap() = Handshake { uri: req.uri().to_string(), authorization: header("authorization"), extra: header("x-extra") };
            Ok(resp)
        })
        .await
        .unwrap();
        script(ws).await
    });
    (format!("http://{addr}"), seen, task)
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next text frame as JSON (`None` when the client closed).
async fn recv(ws: &mut Ws) -> Option<Value> {
    while let Some(m) = ws.next().await {
        match m {
            Ok(Message::Text(t)) => return Some(serde_json::from_str(t.as_str()).unwrap()),
            Ok(Message::Close(_)) | Err(_) => return None,
            _ => {}
        }
    }
    None
}

fn session(kind: &str, delay: Option<i64>) -> Value {
    json!({"type": kind, "session": {"request_id": "req_1", "model": "voxtral-rt", "audio_format": {"encoding": "pcm_s16le", "sample_rate": 16000},
           "target_streaming_delay_ms": delay}})
}

fn done() -> Value {
    json!({"type": "transcription.done", "model": "voxtral-rt", "text": "Bonjour tout le monde", "language": "fr", "segments": [],
           "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}})
}

fn client(uri: &str) -> Client {
    Client::builder().api_key("sk-rt").server(uri).build().unwrap()
}

fn format16k() -> AudioFormat {
    AudioFormat { encoding: AudioEncoding::PcmS16le, sample_rate: 16_000 }
}

#[tokio::test]
async fn transcribe_sends_the_audio_and_decodes_every_event() {
    let (uri, handshake, task) = server(|mut ws| async move {
        send(&mut ws, session("session.created", None)).await;
        // The session update, the audio and the end, in order.
        let mut frames = Vec::new();
        for _ in 0..5 {
            frames.push(recv(&mut ws).await.unwrap());
        }
        send(&mut ws, session("session.updated", Some(400))).await;
        send(&mut ws, json!({"type": "transcription.language", "audio_language": "fr"})).await;
        send(&mut ws, json!({"type": "transcription.segment", "text": "Bonjour", "start": 0.0, "end": 0.8, "speaker_id": null})).await;
        send(&mut ws, json!({"type": "transcription.text.delta", "text": "Bonjour"})).await;
        send(&mut ws, json!({"type": "transcription.speaker", "speaker": "A"})).await;
        send(&mut ws, json!({"type": "transcription.text.delta"})).await;
        ws.send(Message::text("not json")).await.unwrap();
        send(&mut ws, done()).await;
        frames
    })
    .await;
    // An async source (a stream that is not `Unpin`), as audio read from a device would be.
    let audio = futures::stream::iter([Bytes::from_static(b"\x01\x02\x03"), Bytes::from_static(b"\xff\x00")]).then(|chunk| async move {
        tokio::task::yield_now().await;
        chunk
    });
    let events: Vec<_> = client(&uri)
        .audio()
        .realtime("voxtral-rt")
        .audio_format(format16k())
        .target_streaming_delay_ms(400)
        .header("x-extra", "yes")
        .transcribe(audio)
        .await
        .unwrap()
        .collect()
        .await;
    let events: Vec<RealtimeEvent> = events.into_iter().map(Result::unwrap).collect();

    let seen = handshake.lock().unwrap().clone();
    assert_eq!(seen.uri, "/v1/audio/transcriptions/realtime?model=voxtral-rt");
    assert_eq!(seen.authorization.as_deref(), Some("Bearer sk-rt"));
    assert_eq!(seen.extra.as_deref(), Some("yes"));

    let frames = task.await.unwrap();
    assert_eq!(
        frames[0],
        json!({"type": "session.update", "session": {"audio_format": {"encoding": "pcm_s16le", "sample_rate": 16000}, "target_streaming_delay_ms": 400}})
    );
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    assert_eq!(frames[1], json!({"type": "input_audio.append", "audio": b64(b"\x01\x02\x03")}));
    assert_eq!(frames[2], json!({"type": "input_audio.append", "audio": b64(b"\xff\x00")}));
    // The audio ends as the official SDK ends it: flush, then end.
    assert_eq!(frames[3], json!({"type": "input_audio.flush"}));
    assert_eq!(frames[4], json!({"type": "input_audio.end"}));

    assert_eq!(events.len(), 9, "{events:#?}");
    assert!(matches!(&events[0], RealtimeEvent::SessionCreated(s) if s.request_id == "req_1" && s.audio_format == format16k()));
    assert!(matches!(&events[1], RealtimeEvent::SessionUpdated(s) if s.target_streaming_delay_ms == Some(400)));
    assert!(matches!(&events[2], RealtimeEvent::Language(l) if l.audio_language == "fr"));
    assert!(matches!(&events[3], RealtimeEvent::Segment(s) if s.text == "Bonjour" && s.end == 0.8));
    assert!(matches!(&events[4], RealtimeEvent::TextDelta(d) if d.text == "Bonjour"));
    match &events[5] {
        RealtimeEvent::Unknown { kind, text, error } => {
            assert_eq!(kind.as_deref(), Some("transcription.speaker"));
            assert!(text.contains("\"speaker\":\"A\""));
            assert!(error.is_none(), "an unknown type is kept as it is");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&events[6], RealtimeEvent::Unknown { kind: Some(k), error: Some(e), .. } if k == "transcription.text.delta" && e.contains("text")),
        "a known type that does not decode is kept with the reason: {:?}",
        events[6]
    );
    assert!(matches!(&events[7], RealtimeEvent::Unknown { kind: None, text, error: Some(e) } if text == "not json" && e.contains("invalid JSON")));
    assert!(matches!(&events[8], RealtimeEvent::Done(d) if d.text == "Bonjour tout le monde"));
}

#[tokio::test]
async fn a_connection_driven_by_hand_and_a_server_closing_early() {
    let (uri, _, task) = server(|mut ws| async move {
        send(&mut ws, json!({"type": "transcription.warmup"})).await;
        send(&mut ws, session("session.created", None)).await;
        let mut frames = vec![recv(&mut ws).await.unwrap(), recv(&mut ws).await.unwrap()];
        send(&mut ws, json!({"type": "transcription.text.delta", "text": "Hel"})).await;
        frames.push(recv(&mut ws).await.unwrap());
        ws.close(Some(CloseFrame { code: CloseCode::Error, reason: "overloaded".into() })).await.unwrap();
        frames
    })
    .await;
    let mut conn = client(&uri).audio().realtime("voxtral-rt").connect().await.unwrap();
    assert_eq!(conn.session().model, "voxtral-rt");
    conn.append_audio(b"abc").await.unwrap();
    conn.flush().await.unwrap();
    // What came before `session.created` is not lost.
    assert!(matches!(conn.next().await, Some(Ok(RealtimeEvent::Unknown { kind: Some(k), .. })) if k == "transcription.warmup"));
    assert!(matches!(conn.next().await, Some(Ok(RealtimeEvent::SessionCreated(_)))));
    assert!(matches!(conn.next().await, Some(Ok(RealtimeEvent::TextDelta(d))) if d.text == "Hel"));
    assert!(conn.update_session(None, None).await.is_err(), "an empty update is refused before sending");
    conn.update_session(Some(format16k()), None).await.unwrap();
    match conn.next().await {
        Some(Err(e @ Error::Realtime { .. })) => {
            let text = e.to_string();
            assert!(
                text.contains("closed the connection before `transcription.done`") && text.contains("1011") && text.contains("overloaded"),
                "{text}"
            );
        }
        other => panic!("expected Error::Realtime, got {other:?}"),
    }
    assert!(conn.next().await.is_none(), "nothing after the error");
    let frames = task.await.unwrap();
    assert_eq!(frames[0]["type"], "input_audio.append");
    assert_eq!(frames[1], json!({"type": "input_audio.flush"}));
    assert_eq!(frames[2], json!({"type": "session.update", "session": {"audio_format": {"encoding": "pcm_s16le", "sample_rate": 16000}}}));
}

#[tokio::test]
async fn an_error_event_ends_a_transcription_and_refuses_a_session() {
    let (uri, _, _task) = server(|mut ws| async move {
        send(&mut ws, session("session.created", None)).await;
        send(&mut ws, json!({"type": "error", "error": {"message": {"detail": "audio too long"}, "code": 3001}})).await;
        // The connection stays open: the stream must end on the error event by itself.
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        Vec::new()
    })
    .await;
    let audio = futures::stream::pending::<Bytes>();
    let events: Vec<_> = client(&uri).audio().realtime("m").transcribe(audio).await.unwrap().collect().await;
    assert_eq!(events.len(), 2, "{events:?}");
    match events[1].as_ref().unwrap() {
        RealtimeEvent::Error(e) => {
            assert_eq!(e.message(), "audio too long");
            assert_eq!(e.error.code, Some(3001));
        }
        other => panic!("{other:?}"),
    }

    // An error before `session.created`: the connection is refused.
    let (uri, _, _task) = server(|mut ws| async move {
        send(&mut ws, json!({"type": "error", "error": {"message": "invalid model"}})).await;
        Vec::new()
    })
    .await;
    match client(&uri).audio().realtime("nope").connect().await {
        Err(Error::Realtime { message, .. }) => assert!(message.contains("invalid model"), "{message}"),
        other => panic!("expected Error::Realtime, got {other:?}"),
    }
}

#[tokio::test]
async fn a_handshake_refused_with_401_is_the_http_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let request = Arc::new(Mutex::new(String::new()));
    let record = request.clone();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = tcp.read(&mut buf).await.unwrap();
        *record.lock().unwrap() = String::from_utf8_lossy(&buf[..n]).into_owned();
        let body = r#"{"message":"Unauthorized"}"#;
        let answer = format!("HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}", body.len());
        tcp.write_all(answer.as_bytes()).await.unwrap();
    });
    let err = client(&format!("http://{addr}")).audio().realtime("m").connect().await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401), "{err:?}");
    assert_eq!(err.api_error().unwrap().body.as_ref(), br#"{"message":"Unauthorized"}"#);
    assert_eq!(err.api_error().unwrap().headers["content-type"], "application/json", "the refused handshake's headers are kept");
    // The service's error shape: an API error whose message is the service's.
    assert!(matches!(err, mistral_sdk::Error::Api(_)), "{err:?}");
    assert_eq!(err.message().as_deref(), Some("Unauthorized"));
    assert!(err.to_string().starts_with("audio.realtime: the API returned 401"), "{err}");
    let sent = request.lock().unwrap().clone();
    assert!(sent.starts_with("GET /v1/audio/transcriptions/realtime?model=m HTTP/1.1"), "{sent}");
    assert!(sent.to_ascii_lowercase().contains("upgrade: websocket"), "{sent}");
}

#[tokio::test]
async fn a_server_that_never_creates_the_session_times_out() {
    let (uri, _, _task) = server(|ws| async move {
        let _open = ws;
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        Vec::new()
    })
    .await;
    let err = client(&uri).audio().realtime("m").timeout(std::time::Duration::from_millis(200)).connect().await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
}

#[tokio::test]
async fn a_server_that_falls_silent_ends_the_events_with_a_timeout() {
    let (uri, _, _task) = server(|mut ws| async move {
        send(&mut ws, session("session.created", None)).await;
        send(&mut ws, json!({"type": "transcription.text.delta", "text": "Bon"})).await;
        // Then nothing: the connection stays open, no frame, no close.
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(ws);
        Vec::new()
    })
    .await;
    let idle = std::time::Duration::from_millis(300);
    let mut conn = client(&uri).audio().realtime("m").idle_timeout(idle).connect().await.unwrap();
    assert!(matches!(conn.next().await, Some(Ok(RealtimeEvent::SessionCreated(_)))));
    assert!(matches!(conn.next().await, Some(Ok(RealtimeEvent::TextDelta(d))) if d.text == "Bon"));
    let started = std::time::Instant::now();
    let err = conn.next().await.unwrap().unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() >= idle, "the timer starts when the server falls silent");
    assert!(conn.next().await.is_none(), "nothing after the timeout");

    // The client's stream idle timeout is the default.
    let (uri, _, _task) = server(|mut ws| async move {
        send(&mut ws, session("session.created", None)).await;
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(ws);
        Vec::new()
    })
    .await;
    let client = Client::builder().api_key("k").server(&uri).stream_idle_timeout(idle).build().unwrap();
    let mut conn = client.audio().realtime("m").connect().await.unwrap();
    assert!(matches!(conn.next().await, Some(Ok(RealtimeEvent::SessionCreated(_)))));
    assert!(conn.next().await.unwrap().unwrap_err().is_timeout());
}
