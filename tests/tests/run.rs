//! The conversation loop (`conversations().run`, `run_stream`) replaying scripted multi-turn
//! conversations on a loopback server: the tools declared, every function result sent back
//! (success, a handler error, bad arguments, an unknown function, a refused and an approved
//! confirmation), the round limit, and the streamed variant.

use futures::StreamExt;
use mistralai::models::{ConversationHistoryEntriesItem, ConversationInputs, ConversationRequest, ConversationStreamRequest};
use mistralai::run::{Confirmation, RunContext, RunEvent, RunStop};
use mistralai::Client;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Deserialize, schemars::JsonSchema)]
struct Weather {
    /// The city.
    city: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Transfer {
    amount: u32,
}

#[derive(Serialize)]
struct Forecast {
    city: String,
    celsius: i32,
}

/// Answers the n-th request with the n-th scripted answer (the last one again after the end) and
/// records each request's path and body.
#[derive(Clone)]
struct Script {
    answers: Vec<ResponseTemplate>,
    n: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Respond for Script {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = self.n.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push((req.url.path().to_string(), serde_json::from_slice(&req.body).unwrap()));
        self.answers[i.min(self.answers.len() - 1)].clone()
    }
}

async fn serve(answers: Vec<ResponseTemplate>) -> (MockServer, Script) {
    let server = MockServer::start().await;
    let script = Script { answers, n: Arc::default(), seen: Arc::default() };
    Mock::given(method("POST")).respond_with(script.clone()).mount(&server).await;
    (server, script)
}

fn call(id: &str, name: &str, args: Value) -> Value {
    json!({"object": "entry", "type": "function.call", "tool_call_id": id, "name": name, "arguments": args.to_string()})
}

fn response(outputs: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"object": "conversation.response", "conversation_id": "conv_1", "outputs": outputs,
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}))
}

fn message(text: &str) -> Value {
    json!({"object": "entry", "type": "message.output", "role": "assistant", "content": text})
}

/// `transfer` is marked for confirmation before it is registered: the mark is by name.
fn context() -> RunContext {
    RunContext::new()
        .require_confirmation("transfer")
        .function("get_weather", "The weather now", |w: Weather| async move { Ok::<_, String>(Forecast { city: w.city, celsius: 21 }) })
        .function("flaky", "Always fails", |_: Weather| async move { Err::<String, _>("the weather service is down") })
        .function("transfer", "Moves money", |t: Transfer| async move { Ok::<_, String>(format!("sent {}", t.amount)) })
        .on_confirm(|call| async move {
            if call.arguments["amount"].as_u64().unwrap_or(0) > 100 {
                Confirmation::Refuse("too much".into())
            } else {
                Confirmation::Approve
            }
        })
}

fn results_sent(body: &Value) -> Vec<(String, String)> {
    body["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["type"], "function.result");
            (e["tool_call_id"].as_str().unwrap().to_string(), e["result"].as_str().unwrap().to_string())
        })
        .collect()
}

#[tokio::test]
async fn run_answers_every_function_call_until_the_model_replies() {
    let (server, script) = serve(vec![
        response(vec![
            call("c1", "get_weather", json!({"city": "Paris"})),
            call("c2", "flaky", json!({"city": "Lyon"})),
            call("c3", "nowhere", json!({})),
            call("c4", "get_weather", json!({"town": "Nice"})),
            call("c5", "transfer", json!({"amount": 500})),
        ]),
        response(vec![call("c6", "transfer", json!({"amount": 20}))]),
        response(vec![message("It is 21 °C in Paris; 20 sent.")]),
    ])
    .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let request = ConversationRequest::new(ConversationInputs::String("Weather in Paris?".into())).model("mistral-medium-latest");
    let result = client.beta().conversations().run(&context(), request).await.unwrap();

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
        ["/v1/conversations", "/v1/conversations/conv_1", "/v1/conversations/conv_1"]
    );
    // The start declares the functions with their strict parameter schemas.
    let start = &seen[0].1;
    assert_eq!(start["model"], "mistral-medium-latest");
    assert_eq!(start["inputs"], "Weather in Paris?");
    let tools = start["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 3);
    assert_eq!(tools[0]["type"], "function");
    assert_eq!(tools[0]["function"]["name"], "get_weather");
    assert_eq!(tools[0]["function"]["description"], "The weather now");
    let params = &tools[0]["function"]["parameters"];
    assert_eq!(params["type"], "object");
    assert_eq!(params["additionalProperties"], json!(false));
    assert_eq!(params["required"], json!(["city"]));
    assert_eq!(params["properties"]["city"]["description"], "The city.");
    assert_eq!(tools[2]["function"]["parameters"]["properties"]["amount"]["type"], "integer");

    // Round 1: each call's result, in the calls' order; failures are results, not crashes.
    let round1 = results_sent(&seen[1].1);
    assert_eq!(round1.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["c1", "c2", "c3", "c4", "c5"]);
    assert_eq!(serde_json::from_str::<Value>(&round1[0].1).unwrap(), json!({"city": "Paris", "celsius": 21}));
    assert_eq!(serde_json::from_str::<Value>(&round1[1].1).unwrap(), json!({"error": "the weather service is down"}));
    assert!(round1[2].1.contains("no function `nowhere`"), "{}", round1[2].1);
    assert!(round1[3].1.contains("the arguments do not match") && round1[3].1.contains("city"), "{}", round1[3].1);
    assert!(round1[4].1.contains("refused to run `transfer`: too much"), "{}", round1[4].1);
    // Round 2: the approved call ran.
    assert_eq!(results_sent(&seen[2].1), [("c6".to_string(), "sent 20".to_string())]);

    assert_eq!(result.conversation_id, "conv_1");
    assert_eq!(result.stop, RunStop::Answered);
    assert_eq!(result.rounds, 2);
    assert_eq!(result.usage.len(), 3);
    assert_eq!(result.entries.len(), 13, "5 calls, 5 results, 1 call, 1 result, 1 message");
    assert_eq!(result.function_calls().count(), 6);
    assert_eq!(result.function_results().count(), 6);
    assert!(matches!(result.entries.last(), Some(ConversationHistoryEntriesItem::MessageOutput(_))));
    assert_eq!(result.output_text().as_deref(), Some("It is 21 °C in Paris; 20 sent."));
}

#[tokio::test]
async fn the_loop_stops_after_max_rounds_and_continues_a_conversation() {
    let (server, script) = serve(vec![response(vec![call("c", "get_weather", json!({"city": "Oslo"}))])]).await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let ctx = context().max_rounds(2);
    let result = client.beta().conversations().run_append(&ctx, "conv_1", ConversationInputs::String("And Oslo?".into())).await.unwrap();
    assert_eq!(result.stop, RunStop::MaxRounds);
    assert_eq!(result.rounds, 2);
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "the first append and two rounds of results");
    // `stream: false` is the schema's one allowed value (a boolean `enum: [false]`), always sent.
    assert_eq!(seen[0], ("/v1/conversations/conv_1".to_string(), json!({"inputs": "And Oslo?", "stream": false})));
    assert!(
        matches!(result.entries.last(), Some(ConversationHistoryEntriesItem::FunctionCall(c)) if c.tool_call_id == "c"),
        "the last calls stay unanswered"
    );

    // With an agent, the request's tools are left alone.
    let (server, script) = serve(vec![response(vec![message("Hi")])]).await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let request = ConversationRequest::new(ConversationInputs::String("Hi".into())).agent_id("ag_1");
    client.beta().conversations().run(&context(), request).await.unwrap();
    assert!(script.seen.lock().unwrap()[0].1.get("tools").is_none());
}

fn sse(events: &[Value]) -> ResponseTemplate {
    let body: String = events.iter().map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap())).collect();
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

#[tokio::test]
async fn run_stream_yields_every_event_and_the_result() {
    let usage = json!({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2});
    let (server, script) = serve(vec![
        sse(&[
            json!({"type": "conversation.response.started", "conversation_id": "conv_s"}),
            json!({"type": "function.call.delta", "id": "e1", "name": "get_weather", "tool_call_id": "c1", "arguments": "{\"city\":"}),
            json!({"type": "function.call.delta", "id": "e1", "name": "get_weather", "tool_call_id": "c1", "arguments": "\"Rome\"}"}),
            json!({"type": "conversation.response.done", "usage": usage}),
        ]),
        sse(&[
            json!({"type": "conversation.response.started", "conversation_id": "conv_s"}),
            json!({"type": "message.output.delta", "id": "m1", "role": "assistant", "content": "Sunny "}),
            json!({"type": "message.output.delta", "id": "m1", "role": "assistant", "content": "in Rome."}),
            json!({"type": "conversation.response.done", "usage": usage}),
        ]),
    ])
    .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let request = ConversationStreamRequest::new(ConversationInputs::String("Rome?".into())).model("m");
    let events: Vec<RunEvent> = client.beta().conversations().run_stream(&context(), request).await.unwrap().map(Result::unwrap).collect().await;
    // 4 events, the function result, 4 events, the result.
    assert_eq!(events.len(), 10, "{events:#?}");
    assert!(events[..4].iter().all(|e| matches!(e, RunEvent::Conversation(_))));
    match &events[4] {
        RunEvent::FunctionResult(r) => {
            assert_eq!(r.tool_call_id, "c1");
            assert_eq!(serde_json::from_str::<Value>(&r.result).unwrap(), json!({"city": "Rome", "celsius": 21}));
        }
        other => panic!("{other:?}"),
    }
    let RunEvent::Done(result) = &events[9] else { panic!("{:?}", events[9]) };
    assert_eq!(result.conversation_id, "conv_s");
    assert_eq!(result.stop, RunStop::Answered);
    assert_eq!(result.rounds, 1);
    assert_eq!(result.usage.len(), 2);
    assert_eq!(result.entries.len(), 3);
    assert_eq!(result.output_text().as_deref(), Some("Sunny in Rome."));
    let calls: Vec<_> = result.function_calls().collect();
    assert_eq!(calls[0].name, "get_weather");

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen[0].1["stream"], json!(true));
    assert_eq!(seen[1].0, "/v1/conversations/conv_s");
    assert_eq!(seen[1].1["stream"], json!(true));
    assert_eq!(results_sent(&seen[1].1)[0].0, "c1");
}

#[tokio::test]
async fn run_append_stream_continues_a_conversation_and_refuses_without_a_callback() {
    let usage = json!({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2});
    let (server, script) = serve(vec![
        sse(&[
            json!({"type": "conversation.response.started", "conversation_id": "conv_a"}),
            json!({"type": "function.call.delta", "id": "e1", "name": "transfer", "tool_call_id": "t1", "arguments": "{\"amount\": 5}"}),
            json!({"type": "conversation.response.done", "usage": usage}),
        ]),
        sse(&[
            json!({"type": "conversation.response.started", "conversation_id": "conv_a"}),
            json!({"type": "message.output.delta", "id": "m1", "role": "assistant", "content": "Not sent."}),
            json!({"type": "conversation.response.done", "usage": usage}),
        ]),
    ])
    .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    // Confirmation required, no callback: the call is refused, and the refusal is its result.
    let ctx = RunContext::new()
        .function("transfer", "Moves money", |t: Transfer| async move { Ok::<_, String>(format!("sent {}", t.amount)) })
        .require_confirmation("transfer");
    let stream = client.beta().conversations().run_append_stream(&ctx, "conv_a", ConversationInputs::String("Send 5".into())).await.unwrap();
    let result = stream.result().await.unwrap();
    assert_eq!(result.conversation_id, "conv_a");
    assert_eq!(result.stop, RunStop::Answered);
    assert_eq!(result.rounds, 1);
    assert_eq!(result.output_text().as_deref(), Some("Not sent."));

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], ("/v1/conversations/conv_a".to_string(), json!({"inputs": "Send 5", "stream": true})));
    let sent = results_sent(&seen[1].1);
    assert_eq!(sent[0].0, "t1");
    assert!(sent[0].1.contains("refused to run `transfer`: no one is there to confirm it"), "{}", sent[0].1);
}

#[derive(Debug, PartialEq, Deserialize, schemars::JsonSchema)]
struct Answer {
    city: String,
    celsius: i32,
}

#[tokio::test]
async fn an_output_format_goes_with_every_request_and_the_answer_decodes() {
    let (server, script) = serve(vec![
        response(vec![call("c1", "get_weather", json!({"city": "Paris"}))]),
        response(vec![message(r#"{"city": "Paris", "celsius": 21}"#)]),
    ])
    .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let format = mistralai::structured::response_format::<Answer>();
    let ctx = context().output_format(format);
    // The request's own completion arguments are kept; only the response format is replaced.
    let request = ConversationRequest::new(ConversationInputs::String("Paris?".into()))
        .model("m")
        .completion_args(mistralai::models::CompletionArgs::default().temperature(0.2));
    let result = client.beta().conversations().run(&ctx, request).await.unwrap();
    assert_eq!(result.output_as::<Answer>().unwrap(), Answer { city: "Paris".into(), celsius: 21 });

    let seen = script.seen.lock().unwrap().clone();
    let start_args = &seen[0].1["completion_args"];
    assert_eq!(start_args["temperature"], json!(0.2));
    let sent_format = &start_args["response_format"];
    assert_eq!(sent_format["type"], "json_schema");
    assert_eq!(sent_format["json_schema"]["name"], "Answer");
    assert_eq!(sent_format["json_schema"]["strict"], json!(true));
    assert_eq!(sent_format["json_schema"]["schema"]["additionalProperties"], json!(false));
    assert_eq!(sent_format["json_schema"]["schema"]["required"], json!(["city", "celsius"]));
    // The round's append asks for the same format.
    assert_eq!(seen[1].1["completion_args"]["response_format"], *sent_format);

    // Text that is not an `Answer` is a typed error that keeps it; a run without the format
    // sends no completion arguments.
    let (server, script) = serve(vec![response(vec![message("It is warm.")])]).await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let result = client.beta().conversations().run_append(&context(), "conv_1", ConversationInputs::String("?".into())).await.unwrap();
    match result.output_as::<Answer>() {
        Err(mistralai::Error::Parse { text, .. }) => assert_eq!(text, "It is warm."),
        other => panic!("expected Error::Parse, got {other:?}"),
    }
    assert!(script.seen.lock().unwrap()[0].1.get("completion_args").is_none());
}
