//! The tool loop over chat and agents completions (`chat().run`, `agents().run`, their streamed
//! twins and resumes) replaying scripted multi-round conversations on a loopback server: the
//! tools declared, parallel calls answered at once with matching `tool_call_id`s, a handler
//! error, a connector's `messages` answer, the round limit, deferral and resumption.

use futures::StreamExt;
use mistral_sdk::models::{AgentsCompletionRequest, ChatCompletionRequest, ChatTool, Function, Message, MessageContent, Tool, UserMessage};
use mistral_sdk::run::{CompletionDeferred, CompletionRunEvent, DeferralReason, RunContext, RunStop};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use wiremock::ResponseTemplate;

mod common;
use common::chat_script::{answer, calls, completion, serve, tool_call, tool_messages};

#[derive(Deserialize, schemars::JsonSchema)]
struct City {
    city: String,
}

/// `weather` and `flaky` wait for each other: they only finish when both run at once.
fn context() -> RunContext {
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let b2 = barrier.clone();
    RunContext::new()
        .function("weather", "The weather now", move |c: City| {
            let barrier = barrier.clone();
            async move {
                tokio::time::timeout(Duration::from_secs(5), barrier.wait()).await.map_err(|_| "not run at once".to_string())?;
                Ok::<_, String>(format!("Sunny in {}", c.city))
            }
        })
        .function("flaky", "Always fails", move |_: City| {
            let barrier = b2.clone();
            async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), barrier.wait()).await;
                Err::<String, _>("the service is down")
            }
        })
}

fn user(text: &str) -> Message {
    Message::User(UserMessage::new(text))
}

#[tokio::test]
async fn chat_run_answers_parallel_calls_each_round_until_the_model_replies() {
    let (_server, script, client) = serve(vec![
        completion(calls(vec![tool_call("c1", "weather", json!({"city": "Paris"})), tool_call("c2", "flaky", json!({"city": "Lyon"}))]), None),
        completion(calls(vec![tool_call("c3", "weather", json!({"city": "Nice"})), tool_call("c4", "flaky", json!({"city": "Nice"}))]), None),
        completion(answer("Sunny in Paris and Nice."), None),
    ])
    .await;
    let own = ChatTool::Function(Tool::new(Function::new("lookup", std::collections::BTreeMap::new())));
    let request = ChatCompletionRequest::new("mistral-small-latest", vec![user("Weather?")]).tools(vec![own]);
    let result = client.chat().run(&context(), request).await.unwrap();

    assert_eq!(result.stop, RunStop::Answered);
    assert_eq!(result.rounds, 2);
    assert_eq!(result.usage.len(), 3);
    assert_eq!(result.output_text().as_deref(), Some("Sunny in Paris and Nice."));
    assert_eq!(result.start, 1);
    assert_eq!(result.new_messages().len(), 7, "two rounds of calls and results, then the answer");
    assert_eq!(result.tool_calls().count(), 4);
    assert_eq!(result.tool_results().count(), 4);

    let bodies = script.bodies();
    assert_eq!(bodies.len(), 3);
    assert!(script.seen.lock().unwrap().iter().all(|(p, _)| p == "/v1/chat/completions"));
    // The tools: the request's own, then the context's, each function strict.
    let tools = bodies[0]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["lookup", "weather", "flaky"]);
    assert_eq!(tools[1]["function"]["strict"], true);
    assert_eq!(tools[1]["function"]["parameters"]["required"], json!(["city"]));
    // Round 1's answers: the assistant message with its calls, one tool message per call.
    let second = &bodies[1]["messages"];
    assert_eq!(second.as_array().unwrap().len(), 4);
    assert_eq!(second[1]["role"], "assistant");
    assert_eq!(second[1]["tool_calls"][0]["id"], "c1");
    assert_eq!(
        tool_messages(&bodies[1]),
        [
            ("c1".to_string(), "weather".to_string(), "Sunny in Paris".to_string()),
            ("c2".to_string(), "flaky".to_string(), json!({"error": "the service is down"}).to_string()),
        ]
    );
    assert_eq!(tool_messages(&bodies[2]).len(), 4, "the whole conversation goes each round");
    assert_eq!(tool_messages(&bodies[2])[2].0, "c3");
}

#[tokio::test]
async fn connector_messages_are_kept_and_only_unanswered_calls_run_locally() {
    // The service ran a connector (`c9`) and returns what it did in `messages`; the final
    // message calls a local function as well.
    let ran = json!([
        calls(vec![tool_call("c9", "search_docs", json!({"q": "x"}))]),
        {"role": "tool", "tool_call_id": "c9", "content": "doc text"},
    ]);
    let (_server, script, client) = serve(vec![
        completion(calls(vec![tool_call("c10", "weather", json!({"city": "Oslo"})), tool_call("c11", "flaky", json!({"city": "Oslo"}))]), Some(ran)),
        completion(answer("Done"), Some(json!([answer("Done")]))),
    ])
    .await;
    let result = client.chat().run(&context(), ChatCompletionRequest::new("m", vec![user("go")])).await.unwrap();
    assert_eq!(result.stop, RunStop::Answered);
    assert_eq!(result.rounds, 1);
    let roles: Vec<String> = result.new_messages().iter().map(|m| serde_json::to_value(m).unwrap()["role"].as_str().unwrap().to_string()).collect();
    assert_eq!(roles, ["assistant", "tool", "assistant", "tool", "tool", "assistant"], "the answer once, not twice");
    let bodies = script.bodies();
    let sent = tool_messages(&bodies[1]);
    assert_eq!(sent.iter().map(|t| t.0.as_str()).collect::<Vec<_>>(), ["c9", "c10", "c11"]);
    assert_eq!(sent[0].2, "doc text", "the connector's result is history, not run again");
    assert_eq!(sent[1].2, "Sunny in Oslo");
}

#[tokio::test]
async fn agents_run_uses_the_agents_endpoint_and_stops_after_max_rounds() {
    let (_server, script, client) = serve(vec![completion(
        calls(vec![tool_call("a1", "weather", json!({"city": "Rome"})), tool_call("a2", "flaky", json!({"city": "Rome"}))]),
        None,
    )])
    .await;
    let ctx = context().max_rounds(2);
    let request = AgentsCompletionRequest::new(vec![user("Weather?")], "ag_1".to_string());
    let result = client.agents().run(&ctx, request).await.unwrap();
    assert_eq!(result.stop, RunStop::MaxRounds);
    assert_eq!(result.rounds, 2);
    assert_eq!(result.usage.len(), 3);
    let seen = script.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|(p, _)| p == "/v1/agents/completions"));
    assert_eq!(seen[0].1["agent_id"], "ag_1");
    assert_eq!(seen[0].1["tools"].as_array().unwrap().len(), 2);
    // The last calls are in the result, unanswered.
    assert!(matches!(result.new_messages().last(), Some(Message::Assistant(_))));
}

#[tokio::test]
async fn a_call_of_an_undeclared_context_function_is_deferred_and_resumed() {
    // `lookup` is declared by the request, not registered: the caller answers it. `weather`
    // in the same round runs and waits in the state.
    let (_server, script, client) = serve(vec![
        completion(calls(vec![tool_call("d1", "lookup", json!({"city": "Bern"})), tool_call("d2", "weather", json!({"city": "Bern"}))]), None),
        completion(answer("All done"), None),
    ])
    .await;
    let ctx = RunContext::new().function("weather", "The weather", |c: City| async move { Ok::<_, String>(format!("Rain in {}", c.city)) });
    let own = ChatTool::Function(Tool::new(Function::new("lookup", std::collections::BTreeMap::new())));
    let request = ChatCompletionRequest::new("m", vec![user("go")]).tools(vec![own]);
    let result = client.chat().run(&ctx, request.clone()).await.unwrap();
    assert_eq!(result.stop, RunStop::Deferred);
    let deferred: CompletionDeferred = result.deferred.clone().unwrap();
    assert_eq!(deferred.deferred_calls.len(), 1);
    assert_eq!(deferred.deferred_calls[0].reason, DeferralReason::NotRegistered);
    assert_eq!(deferred.deferred_calls[0].arguments, json!({"city": "Bern"}));
    assert_eq!(deferred.executed_results.len(), 1);
    // The state serializes (decoding it needs `full-serde`).
    assert_eq!(serde_json::to_value(&deferred).unwrap()["deferred_calls"][0]["tool_call_id"], "d1");
    assert_eq!(script.bodies().len(), 1);

    // A decision for a call the state does not hold sends nothing.
    let wrong = client.chat().run_resume(&ctx, request.clone(), deferred.clone(), vec![]).await.unwrap_err();
    assert!(wrong.to_string().contains("no decision for the call `d1`"), "{wrong}");
    assert_eq!(script.bodies().len(), 1);

    let decisions = vec![deferred.deferred_calls[0].answer("12 entries")];
    let resumed = client.chat().run_resume(&ctx, request, deferred, decisions).await.unwrap();
    assert_eq!(resumed.stop, RunStop::Answered);
    assert_eq!(resumed.rounds, 1);
    assert_eq!(resumed.output_text().as_deref(), Some("All done"));
    let sent = tool_messages(&script.bodies()[1]);
    assert_eq!(
        sent,
        [("d2".to_string(), "weather".to_string(), "Rain in Bern".to_string()), ("d1".to_string(), "lookup".to_string(), "12 entries".to_string())]
    );
}

fn sse(chunks: &[Value]) -> ResponseTemplate {
    let mut body: String = chunks.iter().map(|c| format!("data: {c}\n\n")).collect();
    body.push_str("data: [DONE]\n\n");
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

fn chunk(delta: Value, finish: Option<&str>) -> Value {
    let mut c =
        json!({"id": "s", "object": "chat.completion.chunk", "model": "m", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
    if finish.is_some() {
        c["usage"] = json!({"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2});
    }
    c
}

#[tokio::test]
async fn chat_run_stream_yields_chunks_tool_results_and_the_result() {
    let first = sse(&[
        chunk(
            json!({"role": "assistant", "tool_calls": [{"id": "s1", "index": 0, "function": {"name": "weather", "arguments": "{\"city\":"}}]}),
            None,
        ),
        chunk(json!({"tool_calls": [{"index": 0, "function": {"name": "", "arguments": "\"Graz\"}"}}]}), None),
        chunk(
            json!({"tool_calls": [{"id": "s2", "index": 1, "function": {"name": "flaky", "arguments": "{\"city\":\"Graz\"}"}}]}),
            Some("tool_calls"),
        ),
    ]);
    let second = sse(&[chunk(json!({"content": "Sunny "}), None), chunk(json!({"content": "in Graz."}), Some("stop"))]);
    let (_server, script, client) = serve(vec![first, second]).await;
    let mut stream = client.chat().run_stream(&context(), ChatCompletionRequest::new("m", vec![user("Weather?")])).await.unwrap();
    let mut chunks = 0;
    let mut results = Vec::new();
    let mut done = None;
    while let Some(event) = stream.next().await {
        match event.unwrap() {
            CompletionRunEvent::Chunk(_) => chunks += 1,
            CompletionRunEvent::ToolResult(t) => results.push(t),
            CompletionRunEvent::Done(r) => done = Some(r),
            _ => {}
        }
    }
    assert_eq!(chunks, 5);
    assert_eq!(results.len(), 2);
    assert_eq!(results[0].tool_call_id.as_option().map(String::as_str), Some("s1"));
    assert_eq!(results[0].content, Some(MessageContent::String("Sunny in Graz".into())));
    let done = done.unwrap();
    assert_eq!(done.stop, RunStop::Answered);
    assert_eq!(done.output_text().as_deref(), Some("Sunny in Graz."));
    assert_eq!(done.usage.len(), 2);
    let bodies = script.bodies();
    assert_eq!(bodies[0]["stream"], true);
    assert_eq!(bodies[1]["messages"][1]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Graz\"}");
    assert_eq!(tool_messages(&bodies[1]).iter().map(|t| t.0.as_str()).collect::<Vec<_>>(), ["s1", "s2"]);

    // `result()` reads the same run to its end.
    let (_server, _, client) = serve(vec![sse(&[chunk(json!({"content": "Hi"}), Some("stop"))])]).await;
    let r = client
        .agents()
        .run_stream(&context(), AgentsCompletionRequest::new(vec![user("x")], "ag".to_string()))
        .await
        .unwrap()
        .result()
        .await
        .unwrap();
    assert_eq!(r.output_text().as_deref(), Some("Hi"));
}
