//! A scripted chat/agents completions server for the tool-loop tests: each request gets the
//! next scripted answer; requests are recorded.

use mistral_sdk::Client;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers the n-th request with the n-th scripted answer and records each request's path and body.
#[derive(Clone)]
pub struct Script {
    pub answers: Vec<ResponseTemplate>,
    pub n: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<(String, Value)>>>,
}

impl Respond for Script {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let i = self.n.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push((req.url.path().to_string(), serde_json::from_slice(&req.body).unwrap()));
        self.answers[i.min(self.answers.len() - 1)].clone()
    }
}

impl Script {
    pub fn bodies(&self) -> Vec<Value> {
        self.seen.lock().unwrap().iter().map(|(_, b)| b.clone()).collect()
    }
}

pub async fn serve(answers: Vec<ResponseTemplate>) -> (MockServer, Script, Client) {
    let server = MockServer::start().await;
    let script = Script { answers, n: Arc::default(), seen: Arc::default() };
    Mock::given(method("POST")).respond_with(script.clone()).mount(&server).await;
    let client = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    (server, script, client)
}

pub fn tool_call(id: &str, name: &str, args: Value) -> Value {
    json!({"id": id, "type": "function", "function": {"name": name, "arguments": args.to_string()}})
}

/// A completion whose one choice is `message` (and the service's `messages`, when given).
pub fn completion(message: Value, messages: Option<Value>) -> ResponseTemplate {
    let mut choice = json!({"index": 0, "message": message, "finish_reason": "stop"});
    if let Some(m) = messages {
        choice["messages"] = m;
    }
    ResponseTemplate::new(200).set_body_json(json!({"id": "cmpl", "object": "chat.completion", "model": "m", "created": 1,
        "choices": [choice], "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}}))
}

pub fn calls(list: Vec<Value>) -> Value {
    json!({"role": "assistant", "content": "", "tool_calls": list})
}

pub fn answer(text: &str) -> Value {
    json!({"role": "assistant", "content": text})
}

/// The `tool` messages of a request body: (tool_call_id, name, content).
pub fn tool_messages(body: &Value) -> Vec<(String, String, String)> {
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .map(|m| (m["tool_call_id"].as_str().unwrap().into(), m["name"].as_str().unwrap_or("").into(), m["content"].as_str().unwrap().into()))
        .collect()
}
