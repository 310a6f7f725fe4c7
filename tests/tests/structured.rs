//! Structured outputs (`parse::<T>()`, `parse_stream::<T>()`) against a loopback server: the
//! strict schema sent on the wire for several shapes of `T` (nested structs, enums, options,
//! vectors), the decoded values, and the typed error that keeps content that does not decode.

use futures::StreamExt;
use mistral_sdk::models::{AgentsCompletionRequest, ChatCompletionRequest, Message, UserMessage};
use mistral_sdk::structured::{json_schema, StructuredEvent};
use mistral_sdk::{Client, Error};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A trip: nested structs, a unit enum, a tagged enum, options and vectors.
#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
struct Itinerary {
    title: String,
    stops: Vec<Stop>,
    budget: Option<f64>,
    mode: Mode,
    notes: Option<Vec<String>>,
}

/// One stop of a trip.
#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
struct Stop {
    city: String,
    nights: u32,
    activity: Activity,
}

#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Mode {
    Train,
    Plane,
}

#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Activity {
    Museum { name: String },
    Hike { km: f64 },
}

/// A map field keeps its value schema (an object with `additionalProperties` of a schema).
#[derive(Debug, PartialEq, Deserialize, JsonSchema)]
struct Scores {
    by_name: std::collections::BTreeMap<String, i64>,
}

const TRIP: &str = r#"{"title":"Alps","stops":[{"city":"Annecy","nights":2,"activity":{"kind":"hike","km":12.5}},{"city":"Geneva","nights":1,"activity":{"kind":"museum","name":"MAH"}}],"budget":null,"mode":"train","notes":["book early"]}"#;

fn trip() -> Itinerary {
    Itinerary {
        title: "Alps".into(),
        stops: vec![
            Stop { city: "Annecy".into(), nights: 2, activity: Activity::Hike { km: 12.5 } },
            Stop { city: "Geneva".into(), nights: 1, activity: Activity::Museum { name: "MAH".into() } },
        ],
        budget: None,
        mode: Mode::Train,
        notes: Some(vec!["book early".into()]),
    }
}

fn completion(contents: &[&str]) -> Value {
    let choices: Vec<Value> = contents
        .iter()
        .enumerate()
        .map(|(i, c)| json!({"index": i, "message": {"role": "assistant", "content": c}, "finish_reason": "stop"}))
        .collect();
    json!({"id": "c1", "object": "chat.completion", "model": "m", "created": 1, "choices": choices,
           "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
}

/// Answers with `answer` and keeps every request body.
#[derive(Clone)]
struct Recorder {
    answer: ResponseTemplate,
    bodies: Arc<Mutex<Vec<Value>>>,
    headers: Arc<Mutex<Vec<Option<String>>>>,
}

impl Respond for Recorder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.bodies.lock().unwrap().push(serde_json::from_slice(&req.body).unwrap());
        self.headers.lock().unwrap().push(req.headers.get("x-trace").map(|v| v.to_str().unwrap().to_string()));
        self.answer.clone()
    }
}

async fn serve(at: &str, answer: ResponseTemplate) -> (MockServer, Recorder) {
    let server = MockServer::start().await;
    let rec = Recorder { answer, bodies: Arc::default(), headers: Arc::default() };
    Mock::given(method("POST")).and(path(at)).respond_with(rec.clone()).mount(&server).await;
    (server, rec)
}

fn client(uri: &str) -> Client {
    Client::builder().api_key("k").server(uri).retry_policy(mistral_sdk::RetryPolicy::none()).build().unwrap()
}

fn request() -> ChatCompletionRequest {
    ChatCompletionRequest::new("mistral-small-latest", vec![Message::from(UserMessage::new("Plan a trip"))])
}

/// Every object schema in `v` (by `type: object` or `properties`), with its JSON pointer.
fn objects<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a serde_json::Map<String, Value>)>) {
    match v {
        Value::Object(m) => {
            if m.get("type") == Some(&json!("object")) || m.contains_key("properties") {
                out.push((at.clone(), m));
            }
            for (k, child) in m {
                objects(child, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => items.iter().enumerate().for_each(|(i, c)| objects(c, format!("{at}/{i}"), out)),
        _ => {}
    }
}

fn assert_strict(schema: &Value) {
    let mut found = Vec::new();
    objects(schema, String::new(), &mut found);
    assert!(!found.is_empty());
    for (at, m) in &found {
        assert!(
            m.get("additionalProperties") == Some(&json!(false)) || m.get("additionalProperties").is_some_and(Value::is_object),
            "object at `{at}` allows extra properties: {m:?}"
        );
    }
    let text = schema.to_string();
    for banned in ["\"oneOf\"", "\"$schema\"", "\"uint32\"", "\"double\""] {
        assert!(!text.contains(banned), "{banned} left in {text}");
    }
}

#[tokio::test]
async fn chat_parse_sends_a_strict_schema_and_decodes_the_content() {
    let (server, rec) = serve("/v1/chat/completions", ResponseTemplate::new(200).set_body_json(completion(&[TRIP]))).await;
    let c = client(&server.uri());
    let parsed = c.chat().parse::<Itinerary>(request()).configure(|b| b.header("x-trace", "t1")).await.unwrap();
    assert_eq!(parsed.value(), &trip());
    assert_eq!(parsed.response().usage.total_tokens, 2);

    let body = rec.bodies.lock().unwrap()[0].clone();
    assert_eq!(rec.headers.lock().unwrap()[0].as_deref(), Some("t1"), "configure reaches the request builder");
    assert_eq!(body["stream"], json!(false));
    let format = &body["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "Itinerary");
    assert_eq!(format["json_schema"]["strict"], json!(true));
    assert_eq!(format["json_schema"]["description"], "A trip: nested structs, a unit enum, a tagged enum, options and vectors.");
    let schema = &format["json_schema"]["schema"];
    assert_strict(schema);
    assert_eq!(schema["type"], "object");
    assert!(schema.get("title").is_none());
    let required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert!(required.contains(&"title") && required.contains(&"stops") && required.contains(&"mode"), "{required:?}");
    assert_eq!(schema["properties"]["stops"]["type"], "array");
    // The nested struct, the enums and their variants: each object closed.
    let stop = &schema["$defs"]["Stop"];
    assert_eq!(stop["additionalProperties"], json!(false));
    assert_eq!(stop["properties"]["nights"]["type"], "integer");
    assert_eq!(stop["properties"]["nights"]["minimum"], 0, "bounds are kept; only the non-standard format goes");
    assert_eq!(schema["$defs"]["Mode"]["enum"], json!(["train", "plane"]));
    let activity = schema["$defs"]["Activity"]["anyOf"].as_array().expect("oneOf became anyOf");
    assert_eq!(activity.len(), 2);
    assert!(activity.iter().all(|v| v["additionalProperties"] == json!(false)));
    // Options are nullable types.
    assert_eq!(schema["properties"]["budget"]["type"], json!(["number", "null"]));
    assert_eq!(schema["properties"]["notes"]["type"], json!(["array", "null"]));
}

#[tokio::test]
async fn every_choice_is_decoded_and_a_map_keeps_its_value_schema() {
    let (server, rec) =
        serve("/v1/chat/completions", ResponseTemplate::new(200).set_body_json(completion(&[r#"{"by_name":{"a":1}}"#, r#"{"by_name":{}}"#]))).await;
    let parsed = client(&server.uri()).chat().parse::<Scores>(request().n(2)).await.unwrap();
    assert_eq!(parsed.values().len(), 2);
    assert_eq!(parsed.values()[0].by_name["a"], 1);
    assert!(parsed.values()[1].by_name.is_empty());
    let schema = &rec.bodies.lock().unwrap()[0]["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["properties"]["by_name"]["additionalProperties"]["type"], "integer");
    assert_strict(schema);
    assert_eq!(json_schema::<Scores>(), *schema, "json_schema() is what is sent");
}

#[tokio::test]
async fn content_that_does_not_decode_is_a_typed_error_keeping_the_text() {
    let (server, _) = serve("/v1/chat/completions", ResponseTemplate::new(200).set_body_json(completion(&["Sorry, I cannot {"]))).await;
    let err = client(&server.uri()).chat().parse::<Itinerary>(request()).await.unwrap_err();
    match &err {
        Error::Parse { operation, choice, text, path, .. } => {
            assert_eq!((*operation, *choice, text.as_str(), path.as_str()), ("chat.parse", 0, "Sorry, I cannot {", ""));
        }
        other => panic!("expected Error::Parse, got {other:?}"),
    }
    assert!(err.to_string().starts_with("chat.parse: choice 0: the content does not decode"), "{err}");

    // Valid JSON of another shape: the path names the field.
    let wrong = r#"{"title":"x","stops":[{"city":"A","nights":-1,"activity":{"kind":"hike","km":1}}],"budget":null,"mode":"train","notes":null}"#;
    let (server, _) = serve("/v1/chat/completions", ResponseTemplate::new(200).set_body_json(completion(&[wrong]))).await;
    match client(&server.uri()).chat().parse::<Itinerary>(request()).await.unwrap_err() {
        Error::Parse { path, text, .. } => {
            assert_eq!(path, "stops[0].nights");
            assert_eq!(text, wrong);
        }
        other => panic!("expected Error::Parse, got {other:?}"),
    }

    // Trailing text after the JSON, an empty content, and an API error passed through.
    let (server, _) = serve("/v1/chat/completions", ResponseTemplate::new(200).set_body_json(completion(&[r#"{"by_name":{}} and more"#]))).await;
    assert!(matches!(client(&server.uri()).chat().parse::<Scores>(request()).await, Err(Error::Parse { .. })));
    let (server, _) = serve("/v1/chat/completions", ResponseTemplate::new(200).set_body_json(completion(&[""]))).await;
    assert!(matches!(client(&server.uri()).chat().parse::<Scores>(request()).await, Err(Error::Parse { message, .. }) if message.contains("empty")));
    let (server, _) = serve("/v1/chat/completions", ResponseTemplate::new(422).set_body_json(json!({"detail": []}))).await;
    assert_eq!(client(&server.uri()).chat().parse::<Scores>(request()).await.unwrap_err().status().map(|s| s.as_u16()), Some(422));
}

#[tokio::test]
async fn agents_parse_sends_the_schema_to_the_agents_endpoint() {
    let (server, rec) = serve("/v1/agents/completions", ResponseTemplate::new(200).set_body_json(completion(&[TRIP]))).await;
    let req: AgentsCompletionRequest =
        serde_json::from_value(json!({"agent_id": "ag_1", "messages": [{"role": "user", "content": "Plan a trip"}]})).unwrap();
    let parsed = client(&server.uri()).agents().parse::<Itinerary>(req).await.unwrap();
    assert_eq!(parsed.into_value(), trip());
    let body = rec.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["agent_id"], "ag_1");
    assert_eq!(body["response_format"]["json_schema"]["name"], "Itinerary");
    assert_strict(&body["response_format"]["json_schema"]["schema"]);
}

fn sse(contents: &[&str]) -> ResponseTemplate {
    let mut body = String::new();
    for c in contents {
        let chunk = json!({"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": c}, "finish_reason": null}]});
        body.push_str(&format!("data: {chunk}\n\n"));
    }
    let last = json!({"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}});
    body.push_str(&format!("data: {last}\n\ndata: [DONE]\n\n"));
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

#[tokio::test]
async fn parse_stream_yields_the_deltas_then_the_value() {
    let parts = [&TRIP[..20], &TRIP[20..90], &TRIP[90..]];
    let (server, rec) = serve("/v1/chat/completions", sse(&parts)).await;
    let c = client(&server.uri());
    let events: Vec<_> = c.chat().parse_stream::<Itinerary>(request()).await.unwrap().collect().await;
    assert_eq!(events.len(), 4, "{events:?}");
    for (e, part) in events.iter().zip(parts) {
        assert_eq!(e.as_ref().unwrap(), &StructuredEvent::Delta { choice: 0, text: part.to_string() });
    }
    match events[3].as_ref().unwrap() {
        StructuredEvent::Done { values, usage } => {
            assert_eq!(values, &[trip()]);
            assert_eq!(usage.as_ref().unwrap().total_tokens, 7);
        }
        other => panic!("{other:?}"),
    }
    let body = rec.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["response_format"]["json_schema"]["name"], "Itinerary");

    // `values()` reads it all; a stream whose content does not decode ends in Error::Parse.
    let (server, _) = serve("/v1/chat/completions", sse(&[r#"{"by_name":"#, r#"{"a":2}}"#])).await;
    let values = client(&server.uri()).chat().parse_stream::<Scores>(request()).await.unwrap().values().await.unwrap();
    assert_eq!(values[0].by_name["a"], 2);
    let (server, _) = serve("/v1/chat/completions", sse(&["{\"by_name\":", "oops"])).await;
    match client(&server.uri()).chat().parse_stream::<Scores>(request()).await.unwrap().values().await {
        Err(Error::Parse { operation, text, .. }) => {
            assert_eq!(operation, "chat.parse_stream");
            assert_eq!(text, "{\"by_name\":oops");
        }
        other => panic!("expected Error::Parse, got {other:?}"),
    }
}

/// Issue 18: `parse_stream` takes the per-call options `parse` takes (headers, retries,
/// timeout, idle timeout), through `configure`.
#[tokio::test]
async fn parse_stream_takes_the_per_call_options() {
    let (server, rec) = serve("/v1/chat/completions", sse(&[TRIP])).await;
    let c = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let values = c
        .chat()
        .parse_stream::<Itinerary>(request())
        .configure(|b| b.header("x-trace", "t-1").timeout(std::time::Duration::from_secs(5)).idle_timeout(std::time::Duration::from_secs(5)))
        .await
        .unwrap()
        .values()
        .await
        .unwrap();
    assert_eq!(values, [trip()]);
    assert_eq!(rec.headers.lock().unwrap()[0].as_deref(), Some("t-1"));

    // A 503 with retries off is one request and the typed error.
    let (server, rec) = serve("/v1/chat/completions", ResponseTemplate::new(503)).await;
    let c = Client::builder().api_key("k").server(server.uri()).build().unwrap();
    let err = c.chat().parse_stream::<Itinerary>(request()).configure(|b| b.retry(mistral_sdk::RetryPolicy::none())).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503), "{err}");
    assert_eq!(rec.bodies.lock().unwrap().len(), 1);

    // The call's timeout bounds the wait for the response head.
    let (server, _) = serve("/v1/chat/completions", sse(&[TRIP]).set_delay(std::time::Duration::from_secs(3))).await;
    let c = client(&server.uri());
    let err = c.chat().parse_stream::<Itinerary>(request()).configure(|b| b.timeout(std::time::Duration::from_millis(200))).await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
}

/// Issue 18: the Azure and Google Cloud clients' chat has `parse` and `parse_stream`, sent
/// through the provider's route.
#[tokio::test]
async fn provider_clients_parse_and_parse_stream() {
    let (server, rec) = serve("/models/chat/completions", ResponseTemplate::new(200).set_body_json(completion(&[TRIP]))).await;
    let azure = mistral_sdk::azure::Client::builder().endpoint(format!("{}/models", server.uri())).api_key("az").build().unwrap();
    let parsed = azure.chat().parse::<Itinerary>(request()).await.unwrap();
    assert_eq!(parsed.value(), &trip());
    assert_eq!(rec.bodies.lock().unwrap()[0]["response_format"]["json_schema"]["name"], "Itinerary");

    let (server, rec) = serve("/models/chat/completions", sse(&[&TRIP[..10], &TRIP[10..]])).await;
    let azure = mistral_sdk::azure::Client::builder().endpoint(format!("{}/models", server.uri())).api_key("az").build().unwrap();
    let values = azure.chat().parse_stream::<Itinerary>(request()).configure(|b| b.header("x-trace", "az")).await.unwrap().values().await.unwrap();
    assert_eq!(values, [trip()]);
    assert_eq!(rec.headers.lock().unwrap()[0].as_deref(), Some("az"));
    assert_eq!(rec.bodies.lock().unwrap()[0]["stream"], json!(true));

    let at = "/v1/projects/p1/locations/europe-west4/publishers/mistralai/models/mistral-small-latest:rawPredict";
    let (server, rec) = serve(at, ResponseTemplate::new(200).set_body_json(completion(&[TRIP]))).await;
    let gcp = mistral_sdk::gcp::Client::builder().server(server.uri()).project_id("p1").access_token("tok").build().unwrap();
    assert_eq!(gcp.chat().parse::<Itinerary>(request()).await.unwrap().into_value(), trip());
    assert_eq!(rec.bodies.lock().unwrap()[0]["response_format"]["type"], "json_schema");
    let at = "/v1/projects/p1/locations/europe-west4/publishers/mistralai/models/mistral-small-latest:streamRawPredict";
    let (server, _) = serve(at, sse(&[TRIP])).await;
    let gcp = mistral_sdk::gcp::Client::builder().server(server.uri()).project_id("p1").access_token("tok").build().unwrap();
    assert_eq!(gcp.chat().parse_stream::<Itinerary>(request()).await.unwrap().values().await.unwrap(), [trip()]);
}
