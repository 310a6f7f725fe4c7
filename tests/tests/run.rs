//! The conversation loop (`conversations().run`, `run_stream`) replaying scripted multi-turn
//! conversations on a loopback server: the tools declared, every function result sent back
//! (success, a handler error, bad arguments, an unknown function, a refused and an approved
//! confirmation), the round limit, and the streamed variant.

use futures::StreamExt;
use mistral_sdk::models::{ConversationEntry, ConversationInputs, ConversationRequest, ConversationStreamRequest};
use mistral_sdk::run::{Confirmation, DeferralReason, Deferred, RunContext, RunEvent, RunStop};
use mistral_sdk::Client;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
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
    assert!(matches!(result.entries.last(), Some(ConversationEntry::MessageOutput(_))));
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
    assert!(matches!(result.entries.last(), Some(ConversationEntry::FunctionCall(c)) if c.tool_call_id == "c"), "the last calls stay unanswered");
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
async fn run_append_stream_defers_a_call_without_a_callback_and_resumes() {
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
    // Confirmation required, no callback: the run stops with the call deferred.
    let ctx = RunContext::new()
        .function("transfer", "Moves money", |t: Transfer| async move { Ok::<_, String>(format!("sent {}", t.amount)) })
        .require_confirmation("transfer");
    let conversations = client.beta().conversations();
    let stream = conversations.run_append_stream(&ctx, "conv_a", ConversationInputs::String("Send 5".into())).await.unwrap();
    let result = stream.result().await.unwrap();
    assert_eq!(result.conversation_id, "conv_a");
    assert_eq!(result.stop, RunStop::Deferred);
    assert_eq!(result.rounds, 0);
    let deferred = result.deferred.unwrap();
    assert_eq!(deferred.deferred_calls.len(), 1);
    assert_eq!(deferred.deferred_calls[0].tool_call_id, "t1");
    assert_eq!(deferred.deferred_calls[0].reason, DeferralReason::ConfirmationRequired);
    assert_eq!(deferred.deferred_calls[0].arguments, json!({"amount": 5}));
    assert_eq!(script.seen.lock().unwrap().len(), 1, "nothing is sent for a deferred call");

    // Approved with an override: the function runs with the merged arguments.
    let decision = deferred.deferred_calls[0].approve_with(json!({"amount": 7}));
    let result = conversations.run_resume_stream(&ctx, deferred, vec![decision]).await.unwrap().result().await.unwrap();
    assert_eq!(result.stop, RunStop::Answered);
    assert_eq!(result.rounds, 1);
    assert_eq!(result.output_text().as_deref(), Some("Not sent."));

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0], ("/v1/conversations/conv_a".to_string(), json!({"inputs": "Send 5", "stream": true})));
    assert_eq!(seen[1].0, "/v1/conversations/conv_a");
    assert_eq!(results_sent(&seen[1].1), [("t1".to_string(), "sent 7".to_string())]);
    assert_eq!(seen[1].1["stream"], json!(true));
    assert!(seen[1].1.get("tool_confirmations").is_none());
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
    let format = mistral_sdk::structured::response_format::<Answer>();
    let ctx = context().output_format(format);
    // The request's own completion arguments are kept; only the response format is replaced.
    let request = ConversationRequest::new(ConversationInputs::String("Paris?".into()))
        .model("m")
        .completion_args(mistral_sdk::models::CompletionArgs::default().temperature(0.2));
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
        Err(mistral_sdk::Error::Parse { text, .. }) => assert_eq!(text, "It is warm."),
        other => panic!("expected Error::Parse, got {other:?}"),
    }
    assert!(script.seen.lock().unwrap()[0].1.get("completion_args").is_none());
}

fn pending_call(id: &str, name: &str, args: Value) -> Value {
    let mut c = call(id, name, args);
    c["confirmation_status"] = json!("pending");
    c
}

/// Issue 18: a connector tool the service holds for confirmation is never run or answered
/// locally; the run stops with it, next to a client-side call needing confirmation, a call of a
/// declared but unregistered function, and the result of a call that ran. The state survives
/// JSON; resuming sends the results and `tool_confirmations` in one append, and the loop goes on.
#[tokio::test]
async fn pending_and_unregistered_calls_stop_the_run_and_resume_from_json() {
    let (server, script) = serve(vec![
        response(vec![
            pending_call("s1", "github_create_issue", json!({"title": "bug"})),
            call("c1", "get_weather", json!({"city": "Paris"})),
            call("c2", "transfer", json!({"amount": 10, "to": "bob"})),
            call("c3", "lookup", json!({"q": "x"})),
            pending_call("s2", "slack_post", json!({})),
        ]),
        response(vec![message("Done.")]),
    ])
    .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let ctx = RunContext::new()
        .function("get_weather", "The weather now", |w: Weather| async move { Ok::<_, String>(Forecast { city: w.city, celsius: 21 }) })
        .function("transfer", "Moves money", |t: Transfer| async move { Ok::<_, String>(format!("sent {}", t.amount)) })
        .require_confirmation("transfer");
    // `lookup` is declared by the caller, not registered in the context.
    let lookup = mistral_sdk::models::AgentTool::Function(mistral_sdk::models::FunctionTool::new(mistral_sdk::models::Function::new(
        "lookup",
        std::collections::BTreeMap::new(),
    )));
    let request = ConversationRequest::new(ConversationInputs::String("Go".into())).model("m").tools(vec![lookup]);
    let conversations = client.beta().conversations();
    let result = conversations.run(&ctx, request).await.unwrap();
    assert_eq!(result.stop, RunStop::Deferred);
    assert_eq!(script.seen.lock().unwrap().len(), 1, "the stop sends nothing");
    // The tools are declared strict, the caller's own included as given.
    let tools = script.seen.lock().unwrap()[0].1["tools"].clone();
    assert_eq!(tools.as_array().unwrap().len(), 3);
    assert!(
        tools.as_array().unwrap().iter().filter(|t| t["function"]["name"] != "lookup").all(|t| t["function"]["strict"] == json!(true)),
        "{tools}"
    );

    let deferred = result.deferred.clone().unwrap();
    let reasons: Vec<(&str, DeferralReason)> = deferred.deferred_calls.iter().map(|c| (c.tool_call_id.as_str(), c.reason)).collect();
    assert_eq!(
        reasons,
        [
            ("s1", DeferralReason::ServerSideConfirmationRequired),
            ("c2", DeferralReason::ConfirmationRequired),
            ("c3", DeferralReason::NotRegistered),
            ("s2", DeferralReason::ServerSideConfirmationRequired),
        ]
    );
    assert_eq!(deferred.executed_results.len(), 1, "get_weather ran; its result waits");
    assert_eq!(deferred.executed_results[0].tool_call_id, "c1");
    assert_eq!(result.function_results().count(), 0, "nothing was sent");

    // The state as the official SDK's to_dict names it, and back.
    let saved = serde_json::to_value(&deferred).unwrap();
    assert_eq!(saved["conversation_id"], "conv_1");
    assert_eq!(saved["deferred_calls"][0]["tool_name"], "github_create_issue");
    assert_eq!(saved["deferred_calls"][0]["reason"], "server_side_confirmation_required");
    assert_eq!(saved["deferred_calls"][1]["reason"], "confirmation_required");
    assert_eq!(saved["deferred_calls"][1]["function_call"]["tool_call_id"], "c2");
    assert_eq!(saved["executed_results"][0]["tool_call_id"], "c1");
    assert_eq!(saved["outputs"].as_array().unwrap().len(), 5);
    let restored: Deferred = serde_json::from_str(&saved.to_string()).unwrap();
    assert_eq!(restored, deferred);

    // Wrong decisions are typed errors and send nothing.
    let calls = &restored.deferred_calls;
    let all_but = |skip: usize| calls.iter().enumerate().filter(|(i, _)| *i != skip).map(|(_, c)| c.approve()).collect::<Vec<_>>();
    let mut unknown = all_but(99);
    unknown[0] = mistral_sdk::run::Decision::Reject { tool_call_id: "nope".into(), message: "x".into() };
    let errors = [
        (unknown, "no deferred call has the id `nope`"),
        (all_but(1), "no decision for the call `c2`"),
        (vec![calls[0].approve(), calls[1].approve(), calls[2].approve(), calls[3].approve()], "registers no function `lookup`"),
        (vec![calls[0].answer("x"), calls[1].approve(), calls[2].answer("y"), calls[3].approve()], "not answered"),
        (vec![calls[0].approve(), calls[0].approve(), calls[1].approve(), calls[2].answer("y"), calls[3].approve()], "two decisions"),
    ];
    for (decisions, want) in errors {
        match conversations.run_resume(&ctx, restored.clone(), decisions).await {
            Err(e @ mistral_sdk::Error::Run { .. }) => assert!(e.to_string().contains(want), "{e} should say {want}"),
            other => panic!("expected Error::Run ({want}), got {other:?}"),
        }
    }
    assert_eq!(script.seen.lock().unwrap().len(), 1, "a refused resume sends nothing");

    // Allow s1, approve c2 with an override merged over the model's arguments, answer c3,
    // deny s2 (the message stays local: the service takes `deny`).
    let decisions = vec![calls[0].approve(), calls[1].approve_with(json!({"amount": 3})), calls[2].answer(json!({"found": 1})), calls[3].reject()];
    let result = conversations.run_resume(&ctx, restored, decisions).await.unwrap();
    assert_eq!(result.stop, RunStop::Answered);
    assert_eq!(result.output_text().as_deref(), Some("Done."));
    assert_eq!(result.rounds, 1);
    assert_eq!(result.entries.len(), 5 + 3 + 1, "the deferred outputs, the results sent, the answer");

    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    let body = &seen[1].1;
    assert_eq!(seen[1].0, "/v1/conversations/conv_1");
    assert_eq!(
        results_sent(body),
        [
            ("c1".to_string(), r#"{"city":"Paris","celsius":21}"#.to_string()),
            ("c2".to_string(), "sent 3".to_string()),
            ("c3".to_string(), r#"{"found":1}"#.to_string())
        ]
    );
    assert_eq!(body["tool_confirmations"], json!([{"tool_call_id": "s1", "confirmation": "allow"}, {"tool_call_id": "s2", "confirmation": "deny"}]));
}

/// A rejection of a local call sends its message (the default or the caller's) as the result;
/// on an append, a call of a function the context does not register is the caller's.
#[tokio::test]
async fn a_rejection_is_the_result_and_unknown_calls_on_an_append_are_handed_back() {
    let (server, script) =
        serve(vec![response(vec![call("c1", "transfer", json!({"amount": 1})), call("c2", "external", json!({}))]), response(vec![message("ok")])])
            .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let ctx = RunContext::new()
        .function("transfer", "Moves money", |t: Transfer| async move { Ok::<_, String>(format!("sent {}", t.amount)) })
        .require_confirmation("transfer");
    let conversations = client.beta().conversations();
    let result = conversations.run_append(&ctx, "conv_1", ConversationInputs::String("Go".into())).await.unwrap();
    let deferred = result.deferred.unwrap();
    assert_eq!(deferred.deferred_calls[1].reason, DeferralReason::NotRegistered);
    let decisions = vec![deferred.deferred_calls[0].reject(), deferred.deferred_calls[1].answer("42")];
    conversations.run_resume(&ctx, deferred, decisions).await.unwrap();
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(results_sent(&seen[1].1), [("c1".to_string(), "Rejected by user".to_string()), ("c2".to_string(), "42".to_string())]);
    assert!(seen[1].1.get("tool_confirmations").is_none());
}

/// A streamed run stops on a call the service holds, as the JSON one does, and resumes with
/// `tool_confirmations` alone.
#[tokio::test]
async fn a_streamed_run_defers_a_pending_call_and_resumes_with_a_confirmation() {
    let usage = json!({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2});
    let (server, script) = serve(vec![
        sse(&[
            json!({"type": "conversation.response.started", "conversation_id": "conv_s"}),
            json!({"type": "function.call.delta", "id": "e1", "name": "github_create_issue", "tool_call_id": "s1", "arguments": "{\"title\":", "confirmation_status": "pending"}),
            json!({"type": "function.call.delta", "id": "e1", "name": "github_create_issue", "tool_call_id": "s1", "arguments": "\"bug\"}"}),
            json!({"type": "conversation.response.done", "usage": usage}),
        ]),
        sse(&[
            json!({"type": "conversation.response.started", "conversation_id": "conv_s"}),
            json!({"type": "message.output.delta", "id": "m1", "role": "assistant", "content": "Created."}),
            json!({"type": "conversation.response.done", "usage": usage}),
        ]),
    ])
    .await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let conversations = client.beta().conversations();
    let request = ConversationStreamRequest::new(ConversationInputs::String("File it".into())).model("m");
    // An `on_confirm` callback is for local functions: the service's call still stops the run.
    let ctx = context();
    let result = conversations.run_stream(&ctx, request).await.unwrap().result().await.unwrap();
    assert_eq!(result.stop, RunStop::Deferred);
    let deferred = result.deferred.unwrap();
    assert_eq!(deferred.conversation_id, "conv_s");
    assert_eq!(deferred.deferred_calls[0].reason, DeferralReason::ServerSideConfirmationRequired);
    assert_eq!(deferred.deferred_calls[0].arguments, json!({"title": "bug"}));
    let decision = deferred.deferred_calls[0].approve();
    let result = conversations.run_resume_stream(&ctx, deferred, vec![decision]).await.unwrap().result().await.unwrap();
    assert_eq!(result.output_text().as_deref(), Some("Created."));
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].1, json!({"stream": true, "tool_confirmations": [{"tool_call_id": "s1", "confirmation": "allow"}]}));
}

fn agent(tools: Value) -> Value {
    json!({"object": "agent", "id": "ag_1", "name": "helper", "model": "mistral-medium-latest", "version": 1, "versions": [1],
        "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z", "deployment_chat": false, "source": "api",
        "tools": tools})
}

/// Issue 18: a run on an agent declares the context's functions on the agent (its other tools
/// kept), once: an agent already up to date, or a pinned version, is not updated.
#[tokio::test]
async fn a_run_on_an_agent_declares_the_functions_on_the_agent() {
    let server = MockServer::start().await;
    let web_search = json!({"type": "web_search"});
    let stale = json!({"type": "function", "function": {"name": "get_weather", "description": "old", "parameters": {}}});
    let updates = Arc::new(Mutex::new(Vec::<Value>::new()));
    let current = Arc::new(Mutex::new(agent(json!([web_search, stale]))));
    {
        let current = current.clone();
        Mock::given(method("GET"))
            .and(path("/v1/agents/ag_1"))
            .respond_with(move |_: &Request| ResponseTemplate::new(200).set_body_json(current.lock().unwrap().clone()))
            .mount(&server)
            .await;
    }
    {
        let (current, updates) = (current.clone(), updates.clone());
        Mock::given(method("PATCH"))
            .and(path("/v1/agents/ag_1"))
            .respond_with(move |req: &Request| {
                let body: Value = serde_json::from_slice(&req.body).unwrap();
                updates.lock().unwrap().push(body.clone());
                let mut a = current.lock().unwrap();
                a["tools"] = body["tools"].clone();
                a["version"] = json!(2);
                ResponseTemplate::new(200).set_body_json(a.clone())
            })
            .mount(&server)
            .await;
    }
    let script = Script {
        answers: vec![response(vec![call("c1", "get_weather", json!({"city": "Rome"}))]), response(vec![message("Sunny.")])],
        n: Arc::default(),
        seen: Arc::default(),
    };
    Mock::given(method("POST")).respond_with(script.clone()).mount(&server).await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let ctx = RunContext::new()
        .function("get_weather", "The weather now", |w: Weather| async move { Ok::<_, String>(Forecast { city: w.city, celsius: 30 }) });
    let request = ConversationRequest::new(ConversationInputs::String("Rome?".into())).agent_id("ag_1");
    let result = client.beta().conversations().run(&ctx, request.clone()).await.unwrap();
    assert_eq!(result.output_text().as_deref(), Some("Sunny."));

    let sent = updates.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let tools = sent[0]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 2, "{tools:?}");
    assert_eq!(tools[0], web_search, "the agent's other tools are kept");
    assert_eq!(tools[1]["function"]["name"], "get_weather");
    assert_eq!(tools[1]["function"]["description"], "The weather now");
    assert_eq!(tools[1]["function"]["strict"], json!(true));
    assert_eq!(tools[1]["function"]["parameters"]["required"], json!(["city"]));
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen[0].1["agent_id"], "ag_1");
    assert!(seen[0].1.get("tools").is_none(), "an agent's conversation takes no tools");
    assert_eq!(results_sent(&seen[1].1)[0].0, "c1");

    // Up to date now: the next run reads the agent and does not update it.
    script.n.store(0, Ordering::SeqCst);
    client.beta().conversations().run(&ctx, request.clone()).await.unwrap();
    assert_eq!(updates.lock().unwrap().len(), 1);
    // A pinned version is never updated.
    script.n.store(0, Ordering::SeqCst);
    let other = RunContext::new().function("get_time", "The time", |_: Weather| async move { Ok::<_, String>("noon") });
    let pinned = request.agent_version(mistral_sdk::models::AgentVersion::Integer(1));
    client.beta().conversations().run(&other, pinned).await.unwrap();
    assert_eq!(updates.lock().unwrap().len(), 1);
}
