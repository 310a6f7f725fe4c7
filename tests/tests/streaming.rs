//! Every streaming method of the SDK against a real HTTP server on 127.0.0.1 (a raw chunked
//! server, so each test chooses where the network cuts the bytes). For each of them: events
//! arrive typed with their name and id, at every split offset of a recorded stream; CRLF and CR
//! line endings; comments; `[DONE]`; a cut stream; a malformed event; an unknown variant; the
//! idle timeout; and dropping the stream closes the connection.
//!
//! The recorded streams are built from each operation's contract case (its synthesized event,
//! which the typed event decodes and re-encodes exactly).

mod common;
#[path = "common/cases.rs"]
#[rustfmt::skip]
mod cases;
#[path = "common/sse_server.rs"]
mod sse_server;

use common::contract::{Case, SeenEvent, IDLE_TIMEOUT_MS};
use futures::StreamExt;
use mistral_sdk::{Client, RetryPolicy};
use serde_json::Value;
use sse_server::{After, Script, SseServer};
use std::time::Duration;

fn streaming_cases() -> Vec<Case> {
    let cases: Vec<Case> = cases::cases().into_iter().filter(|c| c.stream.is_some()).collect();
    // chat, FIM and agents (stream twins), speech, 3 conversation streams, transcriptions,
    // 4 workflow streams.
    assert_eq!(cases.len(), 12, "streaming methods: {:?}", cases.iter().map(|c| c.op).collect::<Vec<_>>());
    cases
}

fn client(url: &str) -> Client {
    Client::builder().api_key("k").admin_api_key("k").user_context_api_key("k").server(url).retry_policy(RetryPolicy::none()).build().unwrap()
}

/// What one recorded stream holds: the events a client must see, and the bytes on the wire.
struct Recorded {
    expected: Vec<(String, Option<String>, Value)>,
    bytes: Vec<u8>,
}

/// The event name a stream would carry for this data: its `type` when it has one.
fn name_of(data: &Value) -> String {
    data.get("type").and_then(Value::as_str).unwrap_or("message").to_string()
}

/// Two events (one compact, one pretty-printed across several `data:` lines), comments, a
/// `retry:` field, then `[DONE]` when asked.
fn record(case: &Case, done: bool) -> Recorded {
    let data: Value = serde_json::from_str(case.response.expect("streaming cases serve an event")).unwrap();
    let name = name_of(&data);
    let mut text = String::new();
    text.push_str(": a comment the client ignores\n");
    text.push_str(&format!("event: {name}\nid: 1\ndata: {}\n\n", serde_json::to_string(&data).unwrap()));
    text.push_str(": keep-alive\nretry: 2500\n");
    text.push_str(&format!("event: {name}\nid: 2\n"));
    for line in serde_json::to_string_pretty(&data).unwrap().lines() {
        text.push_str(&format!("data: {line}\n"));
    }
    text.push('\n');
    if done {
        text.push_str("data: [DONE]\n\n");
    }
    let expected = vec![(name.clone(), Some("1".to_string()), data.clone()), (name, Some("2".to_string()), data)];
    Recorded { expected, bytes: text.into_bytes() }
}

async fn collect(client: &Client, case: &Case, limit: Duration) -> Vec<Result<SeenEvent, String>> {
    let call = case.stream.unwrap();
    let fut = async {
        let mut out = Vec::new();
        match call(client).await {
            Err(e) => out.push(Err(format!("call: {e}"))),
            Ok(mut s) => {
                while let Some(item) = s.next().await {
                    out.push(item.map_err(|e| e.to_string()));
                }
            }
        }
        out
    };
    tokio::time::timeout(limit, fut).await.unwrap_or_else(|_| vec![Err("the stream did not end in time".into())])
}

/// Serves these pieces to the next request and collects the case's stream (10 s at most).
async fn serve(server: &SseServer, client: &Client, case: &Case, pieces: Vec<Vec<u8>>, after: After) -> Vec<Result<SeenEvent, String>> {
    server.set(Script { pieces, after, gap: Duration::ZERO });
    collect(client, case, Duration::from_secs(10)).await
}

/// Checks the events against the recording; `Err` names the first difference.
fn check(case: &Case, got: &[Result<SeenEvent, String>], expected: &[(String, Option<String>, Value)]) -> Result<(), String> {
    if got.len() != expected.len() {
        return Err(format!("{}: {} items, expected {}: {got:?}", case.op, got.len(), expected.len()));
    }
    for (g, (name, id, data)) in got.iter().zip(expected) {
        let g = g.as_ref().map_err(|e| format!("{}: {e}", case.op))?;
        if &g.event != name || &g.id != id || !common::json_eq(&g.data, data) {
            return Err(format!("{}: got {g:?}, expected {name} {id:?} {data}", case.op));
        }
        if g.debug.starts_with("Unknown(") {
            return Err(format!("{}: decoded into the Unknown fallback: {}", case.op, g.debug));
        }
    }
    Ok(())
}

fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test]
async fn events_arrive_typed_wherever_the_network_splits_them() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let mut failures = Vec::new();
    for case in streaming_cases() {
        let rec = record(&case, true);
        let n = rec.bytes.len();
        // Every split offset into two chunks, then every byte in its own chunk.
        let mut scripts: Vec<Vec<Vec<u8>>> = (1..n).map(|k| vec![rec.bytes[..k].to_vec(), rec.bytes[k..].to_vec()]).collect();
        scripts.push(rec.bytes.iter().map(|b| vec![*b]).collect());
        for pieces in scripts {
            let cut = pieces[0].len();
            let got = serve(&server, &client, &case, pieces, After::End).await;
            if let Err(e) = check(&case, &got, &rec.expected) {
                failures.push(format!("split at {cut}: {e}"));
                break;
            }
        }
    }
    report(failures);
}

#[tokio::test]
async fn crlf_and_cr_line_endings() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let mut failures = Vec::new();
    for case in streaming_cases() {
        let rec = record(&case, true);
        let text = String::from_utf8(rec.bytes.clone()).unwrap();
        for (label, eol) in [("CRLF", "\r\n"), ("CR", "\r")] {
            // Split in the middle of every line ending too.
            let bytes = text.replace('\n', eol).into_bytes();
            let pieces = bytes.chunks(7).map(<[u8]>::to_vec).collect();
            let got = serve(&server, &client, &case, pieces, After::End).await;
            if let Err(e) = check(&case, &got, &rec.expected) {
                failures.push(format!("{label}: {e}"));
            }
        }
    }
    report(failures);
}

#[tokio::test]
async fn done_ends_the_stream_even_if_the_server_keeps_the_connection_open() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let mut failures = Vec::new();
    let (_, ir, _) = sdkgen::lower_spec(&common::spec_text(), &common::overlay()).unwrap();
    let ends: std::collections::HashMap<&str, _> = ir.operations.iter().filter_map(|op| Some((op.id.as_str(), op.stream_end.clone()?))).collect();
    for case in streaming_cases() {
        let rec = record(&case, true);
        let got = serve(&server, &client, &case, vec![rec.bytes.clone()], After::Stall).await;
        if let Err(e) = check(&case, &got, &rec.expected) {
            failures.push(e);
        }
        // Without `[DONE]`, the end of the body ends a stream without a terminator cleanly, and
        // one whose protocol has a terminator with a truncation error after the events.
        let rec = record(&case, false);
        let got = serve(&server, &client, &case, vec![rec.bytes.clone()], After::End).await;
        match ends.get(case.op) {
            None => {
                if let Err(e) = check(&case, &got, &rec.expected) {
                    failures.push(format!("without [DONE]: {e}"));
                }
            }
            Some(_) => {
                let truncated = got.last().is_some_and(|l| l.as_ref().is_err_and(|e| e.contains("truncated")));
                if !truncated || check(&case, &got[..got.len() - 1], &rec.expected).is_err() {
                    failures.push(format!("{}: cut before its terminator: expected the events then a truncation error, got {got:?}", case.op));
                }
            }
        }
    }
    assert!(ends.len() >= 3, "the overlay's stream ends: {ends:?}");
    report(failures);
}

/// A stream whose protocol ends with an event (a conversation's `conversation.response.done`)
/// ends cleanly once that event came, even without `[DONE]`.
#[tokio::test]
async fn a_terminal_event_completes_the_stream() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let cases = streaming_cases();
    let case = cases.iter().find(|c| c.op == "agents_api_v1_conversations_start_stream").expect("the conversation stream case");
    let usage = r#"{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}"#;
    let body = format!(
        "event: conversation.response.started\ndata: {{\"type\":\"conversation.response.started\",\"conversation_id\":\"c\"}}\n\nevent: conversation.response.done\ndata: {{\"type\":\"conversation.response.done\",\"usage\":{usage}}}\n\n"
    );
    let got = serve(&server, &client, case, vec![body.clone().into_bytes()], After::End).await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(Result::is_ok), "{got:?}");
    // The data's `type` alone is enough (no `event:` line).
    let body = body.replace("event: conversation.response.started\n", "").replace("event: conversation.response.done\n", "");
    let got = serve(&server, &client, case, vec![body.into_bytes()], After::End).await;
    assert!(got.len() == 2 && got.iter().all(Result::is_ok), "{got:?}");
}

#[tokio::test]
async fn a_stream_cut_mid_event_ends_with_an_error() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let mut failures = Vec::new();
    for case in streaming_cases() {
        let rec = record(&case, false);
        // Everything but the blank line that ends the second event; then the body ends.
        let cut = rec.bytes.len() - 1;
        for after in [After::End, After::Cut] {
            let got = serve(&server, &client, &case, vec![rec.bytes[..cut].to_vec()], after.clone()).await;
            let ok = got.len() == 2 && check(&case, &got[..1], &rec.expected[..1]).is_ok() && got[1].is_err();
            if !ok {
                failures.push(format!("{} ({after:?}): expected one event then an error, got {got:?}", case.op));
            }
        }
    }
    report(failures);
}

#[tokio::test]
async fn a_malformed_event_is_an_error_with_its_text_and_the_stream_goes_on() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let mut failures = Vec::new();
    for case in streaming_cases() {
        let rec = record(&case, true);
        let text = String::from_utf8(rec.bytes.clone()).unwrap();
        let bad = "event: broken\ndata: {\"not json\n\n";
        let first_end = text.find("\n\n").unwrap() + 2;
        let bytes = format!("{}{bad}{}", &text[..first_end], &text[first_end..]).into_bytes();
        let got = serve(&server, &client, &case, vec![bytes], After::End).await;
        let middle_ok = matches!(got.get(1), Some(Err(e)) if e.contains("does not decode"));
        let rest: Vec<_> = got.iter().enumerate().filter(|(i, _)| *i != 1).map(|(_, g)| g.clone()).collect();
        if !middle_ok || check(&case, &rest, &rec.expected).is_err() {
            failures.push(format!("{}: {got:?}", case.op));
        }
    }
    report(failures);
}

#[tokio::test]
async fn an_unknown_event_type_decodes_into_the_fallback() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let mut tried = 0;
    let mut failures = Vec::new();
    for case in streaming_cases() {
        let data: Value = serde_json::from_str(case.response.unwrap()).unwrap();
        // Only events told apart by a `type` tag have a fallback variant.
        if data.get("type").and_then(Value::as_str).is_none() {
            continue;
        }
        tried += 1;
        let future = serde_json::json!({"type": "some.future.event", "payload": [1, 2, 3]});
        let text = format!("event: some.future.event\ndata: {future}\n\ndata: [DONE]\n\n");
        let got = serve(&server, &client, &case, vec![text.into_bytes()], After::End).await;
        match got.as_slice() {
            [Ok(e)] if e.debug.starts_with("Unknown(") && e.data == future => {}
            other => failures.push(format!("{}: {other:?}", case.op)),
        }
    }
    assert!(tried >= 5, "only {tried} streams have tagged events");
    report(failures);
}

#[tokio::test]
async fn the_idle_timeout_ends_a_silent_stream_with_an_error() {
    IDLE_TIMEOUT_MS.store(300, std::sync::atomic::Ordering::SeqCst);
    let server = SseServer::start().await;
    let client = client(&server.url);
    let mut failures = Vec::new();
    for case in streaming_cases() {
        let rec = record(&case, false);
        let first_end = rec.bytes.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
        let start = std::time::Instant::now();
        let got = serve(&server, &client, &case, vec![rec.bytes[..first_end].to_vec()], After::Stall).await;
        let took = start.elapsed();
        let ok = got.len() == 2
            && check(&case, &got[..1], &rec.expected[..1]).is_ok()
            && matches!(&got[1], Err(e) if e.contains("no event for"))
            && took >= Duration::from_millis(300)
            && took < Duration::from_secs(5);
        if !ok {
            failures.push(format!("{} after {took:?}: {got:?}", case.op));
        }
    }
    report(failures);
}

#[tokio::test]
async fn dropping_the_stream_closes_the_connection() {
    let mut failures = Vec::new();
    for case in streaming_cases() {
        // A server of its own per case, so its count of closed connections is this case's.
        let server = SseServer::start().await;
        let client = client(&server.url);
        let rec = record(&case, false);
        let first_end = rec.bytes.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
        server.set(Script {
            pieces: vec![rec.bytes[..first_end].to_vec()],
            after: After::KeepWriting(b": still here\n\n".to_vec()),
            gap: Duration::ZERO,
        });
        let mut stream = case.stream.unwrap()(&client).await.unwrap();
        let first = stream.next().await;
        if !matches!(first, Some(Ok(_))) {
            failures.push(format!("{}: first event {first:?}", case.op));
            continue;
        }
        drop(stream);
        if !server.wait_client_closed(Duration::from_secs(5)).await {
            failures.push(format!("{}: the server kept writing to an open connection for 5 s after the drop", case.op));
        }
    }
    report(failures);
}

fn chat_request() -> mistral_sdk::models::ChatCompletionRequest {
    use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
    ChatCompletionRequest::new("mistral-small-latest", vec![Message::from(UserMessage::new("Hello"))])
}

/// A chat stream as the API sends it: the role first, text in pieces, a tool call whose
/// arguments come in two deltas, then the finish reason and usage, then `[DONE]`.
const CHAT_STREAM: &str = concat!(
    "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":[{\"type\":\"text\",\"text\":\"lo\"}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"id\":\"t1\",\"index\":0,\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"\",\"arguments\":\"\\\"Paris\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],",
    "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}}\n\n",
    "data: [DONE]\n\n",
);

#[tokio::test]
async fn a_chat_stream_collects_into_text_tool_calls_and_usage() {
    use mistral_sdk::models::{CompletionResponseStreamChoiceFinishReason, FunctionCallArguments};
    let server = SseServer::start().await;
    let client = client(&server.url);
    server.set(Script { pieces: CHAT_STREAM.as_bytes().chunks(13).map(<[u8]>::to_vec).collect(), after: After::End, gap: Duration::ZERO });
    let text = client.chat().stream(chat_request()).await.unwrap().collect_text().await.unwrap();
    assert_eq!(text, "Hello");

    let done = client.chat().stream(chat_request()).await.unwrap().collect_completion().await.unwrap();
    assert_eq!((done.id.as_str(), done.model.as_str(), done.text()), ("c1", "m", "Hello"));
    assert_eq!(done.finish_reason(), Some(&CompletionResponseStreamChoiceFinishReason::ToolCalls));
    assert_eq!(done.usage.as_ref().map(|u| u.total_tokens), Some(12));
    let calls = done.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!((calls[0].id.as_deref(), calls[0].function.name.as_str()), (Some("t1"), "get_weather"));
    assert_eq!(calls[0].function.arguments, FunctionCallArguments::String("{\"city\":\"Paris\"}".into()));

    // Delta by delta, as an app prints them.
    let mut stream = client.chat().stream(chat_request()).await.unwrap();
    let mut so_far = mistral_sdk::completion::Completion::default();
    let mut deltas = Vec::new();
    while let Some(d) = so_far.next_from(&mut stream).await.unwrap() {
        deltas.push(d);
    }
    assert_eq!(deltas, ["", "Hel", "lo", "", ""]);
}

/// Issue 18: a chat stream cut on an event boundary before `[DONE]` (a proxy closing the
/// connection) is not a complete answer: the collectors say so with `Error::Stream`.
#[tokio::test]
async fn a_chat_stream_cut_before_done_is_a_truncation_error_in_the_collectors() {
    let server = SseServer::start().await;
    let client = client(&server.url);
    let cut = CHAT_STREAM.strip_suffix("data: [DONE]\n\n").unwrap();
    for after in [After::End, After::Cut] {
        server.set(Script { pieces: vec![cut.as_bytes().to_vec()], after: after.clone(), gap: Duration::ZERO });
        match client.chat().stream(chat_request()).await.unwrap().collect_text().await {
            Err(mistral_sdk::Error::Stream { message, .. }) => {
                assert!(message.contains("truncated") || message.contains("reading"), "{after:?}: {message}")
            }
            other => panic!("{after:?}: expected a truncation error, got {other:?}"),
        }
        server.set(Script { pieces: vec![cut.as_bytes().to_vec()], after: after.clone(), gap: Duration::ZERO });
        let err = client.chat().stream(chat_request()).await.unwrap().collect_completion().await.unwrap_err();
        assert!(matches!(err, mistral_sdk::Error::Stream { .. }), "{after:?}: {err}");
    }
    // The same bytes with `[DONE]` are a complete answer.
    server.set(Script { pieces: vec![CHAT_STREAM.as_bytes().to_vec()], after: After::End, gap: Duration::ZERO });
    assert_eq!(client.chat().stream(chat_request()).await.unwrap().collect_text().await.unwrap(), "Hello");
}

/// The client's request timeout bounds the wait for the response, not the length of a stream:
/// a stream slower than it in total is read to its end.
#[tokio::test]
async fn the_request_timeout_does_not_cut_a_long_stream() {
    let server = SseServer::start().await;
    let client =
        Client::builder().api_key("k").server(&server.url).timeout(Duration::from_millis(300)).retry_policy(RetryPolicy::none()).build().unwrap();
    // The chat events 120 ms apart: about 600 ms in all, twice the timeout.
    let pieces = CHAT_STREAM.split_inclusive("\n\n").map(|e| e.as_bytes().to_vec()).collect();
    server.set(Script { pieces, after: After::End, gap: Duration::from_millis(120) });
    let start = std::time::Instant::now();
    let text = client.chat().stream(chat_request()).await.unwrap().collect_text().await.unwrap();
    assert_eq!(text, "Hello");
    assert!(start.elapsed() > Duration::from_millis(300), "the stream was not slower than the timeout");

    // The timeout still bounds the wait for the response itself.
    let slow_head = SseServer::start_with_head_delay(Duration::from_secs(2)).await;
    let client =
        Client::builder().api_key("k").server(&slow_head.url).timeout(Duration::from_millis(300)).retry_policy(RetryPolicy::none()).build().unwrap();
    let err = client.chat().stream(chat_request()).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

/// The idle timeout can also be set once for every stream of a client.
#[tokio::test]
async fn a_client_wide_stream_idle_timeout() {
    let server = SseServer::start().await;
    let client = Client::builder()
        .api_key("k")
        .server(&server.url)
        .stream_idle_timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let first = CHAT_STREAM.split_inclusive("\n\n").next().unwrap();
    server.set(Script { pieces: vec![first.as_bytes().to_vec()], after: After::Stall, gap: Duration::ZERO });
    let mut stream = client.chat().stream(chat_request()).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let start = std::time::Instant::now();
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("no event for"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(stream.next().await.is_none(), "the stream ends after the error");
}

/// A call's own idle timeout wins over the client's.
#[tokio::test]
async fn a_per_call_idle_timeout_wins_over_the_client_s() {
    let server = SseServer::start().await;
    let client = Client::builder()
        .api_key("k")
        .server(&server.url)
        .stream_idle_timeout(Duration::from_secs(30))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let first = CHAT_STREAM.split_inclusive("\n\n").next().unwrap();
    server.set(Script { pieces: vec![first.as_bytes().to_vec()], after: After::Stall, gap: Duration::ZERO });
    let start = std::time::Instant::now();
    let mut stream = client.chat().stream(chat_request()).idle_timeout(Duration::from_millis(200)).await.unwrap();
    assert!(stream.next().await.unwrap().is_ok());
    let err = stream.next().await.unwrap().unwrap_err();
    assert!(err.to_string().contains("no event for 200ms"), "{err}");
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// A request schema that allows its `stream` flag one value (`enum: [true]` on the streaming
/// requests, `enum: [false]` on the others) gets it sent whatever the caller builds: a
/// default-built streaming request must not get a JSON answer.
#[tokio::test]
async fn conversation_requests_send_the_stream_flag_their_schema_fixes() {
    use mistral_sdk::models::{
        ConversationAppendRequest, ConversationAppendStreamRequest, ConversationInputs, ConversationRequest, ConversationRestartRequest,
        ConversationRestartStreamRequest, ConversationStreamRequest,
    };
    use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_raw("data: [DONE]\n\n", "text/event-stream")).mount(&server).await;
    let client = Client::builder().api_key("k").server(server.uri()).retry_policy(RetryPolicy::none()).build().unwrap();
    let c = client.beta().conversations();
    let inputs = || ConversationInputs::String("hi".into());
    // The JSON methods get an event stream back and fail to decode it; only the requests matter.
    let _ = c.start(ConversationRequest::new(inputs())).await;
    drop(c.start_stream(ConversationStreamRequest::new(inputs())).await.unwrap());
    let _ = c.append("conv", ConversationAppendRequest::default()).await;
    drop(c.append_stream("conv", ConversationAppendStreamRequest::default()).await.unwrap());
    let _ = c.restart("conv", ConversationRestartRequest::new("entry")).await;
    drop(c.restart_stream("conv", ConversationRestartStreamRequest::new("entry")).await.unwrap());
    let flags: Vec<(String, Value)> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| (r.url.path().to_string(), serde_json::from_slice::<Value>(&r.body).unwrap()["stream"].clone()))
        .collect();
    let expect = |p: &str, v: bool| (p.to_string(), Value::Bool(v));
    assert_eq!(
        flags,
        vec![
            expect("/v1/conversations", false),
            expect("/v1/conversations", true),
            expect("/v1/conversations/conv", false),
            expect("/v1/conversations/conv", true),
            expect("/v1/conversations/conv/restart", false),
            expect("/v1/conversations/conv/restart", true),
        ]
    );
}
