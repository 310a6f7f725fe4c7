//! Issue 19: the ten tasks people start with, written as the README, the crate README and
//! rustdoc show them, against a loopback server: a chat answer's text, a streamed answer, a tool
//! call and its result, embeddings, a file and a batch job, OCR, listing model ids, handling a
//! 401 and a 422, storing a response as JSON, loading a request from JSON. If the documented
//! path stops compiling or working, this test says so.

use mistral_sdk::models::{ApiEndpoint, CreateBatchJobRequest, DocumentURLChunk, EmbeddingRequest, FilePurpose, FilesUploadBody, OCRRequest};
use mistral_sdk::prelude::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ANSWER: &str = r#"{"id":"c1","object":"chat.completion","model":"m","created":1,
  "choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour !"},"finish_reason":"stop"}],
  "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#;

const TOOL_ANSWER: &str = r#"{"id":"c2","object":"chat.completion","model":"m","created":1,
  "choices":[{"index":0,"message":{"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function",
  "function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],
  "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"#;

async fn server() -> MockServer {
    let server = MockServer::start().await;
    let stream = concat!(
        "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Bon\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"c1\",\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"jour\"},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n"
    );
    let mounts = [
        (
            "POST",
            "/v1/embeddings",
            ResponseTemplate::new(200).set_body_json(json!({"id": "e1", "object": "list", "model": "mistral-embed",
            "usage": {"prompt_tokens": 2, "completion_tokens": 0, "total_tokens": 2},
            "data": [{"object": "embedding", "embedding": [0.1, 0.2], "index": 0}, {"object": "embedding", "embedding": [0.3, 0.4], "index": 1}]})),
        ),
        (
            "POST",
            "/v1/files",
            ResponseTemplate::new(200).set_body_json(json!({"id": "file-1", "object": "file", "bytes": 5, "created_at": 1,
            "filename": "batch.jsonl", "purpose": "batch", "sample_type": "batch_request", "source": "upload"})),
        ),
        (
            "POST",
            "/v1/batch/jobs",
            ResponseTemplate::new(200).set_body_json(json!({"id": "job-1", "object": "batch", "input_files": ["file-1"],
            "endpoint": "/v1/chat/completions", "errors": [], "status": "QUEUED", "created_at": 1, "total_requests": 1,
            "completed_requests": 0, "succeeded_requests": 0, "failed_requests": 0})),
        ),
        (
            "POST",
            "/v1/ocr",
            ResponseTemplate::new(200).set_body_json(json!({"model": "mistral-ocr-latest", "usage_info": {"pages_processed": 1},
            "pages": [{"index": 0, "markdown": "# Title", "images": [], "dimensions": null}]})),
        ),
        (
            "GET",
            "/v1/models",
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [
            {"id": "mistral-small-latest", "object": "model", "created": 1, "owned_by": "mistralai", "capabilities": {}, "type": "base"},
            {"id": "ft:my-model", "object": "model", "created": 1, "owned_by": "me", "capabilities": {}, "type": "fine-tuned",
             "job": "j", "root": "open-mistral-7b", "archived": false}]})),
        ),
    ];
    for (m, p, answer) in mounts {
        Mock::given(method(m)).and(path(p)).respond_with(answer).mount(&server).await;
    }
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(wiremock::matchers::body_partial_json(json!({"stream": true})))
        .respond_with(ResponseTemplate::new(200).set_body_raw(stream, "text/event-stream"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(wiremock::matchers::body_partial_json(json!({"tools": [{"type": "function"}]})))
        .respond_with(ResponseTemplate::new(200).set_body_raw(TOOL_ANSWER, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(ANSWER, "application/json"))
        .mount(&server)
        .await;
    server
}

#[derive(serde::Deserialize)]
struct Weather {
    city: String,
}

#[tokio::test]
async fn the_ten_everyday_tasks() -> mistral_sdk::Result<()> {
    let server = server().await;
    let client = Client::builder().api_key("sk-test").server(server.uri()).build()?;
    let request = ChatCompletionRequest::new("mistral-small-latest", vec![UserMessage::new("Say hello in French").into()]);

    // 1. A chat answer's text.
    let response = client.chat().complete(request.clone()).await?;
    assert_eq!(response.text().as_deref(), Some("Bonjour !"));
    assert_eq!(response.message().unwrap().content.as_ref().map(|c| c.to_string()).into_option().as_deref(), Some("Bonjour !"));

    // 2. A streamed answer, printed as it comes.
    let mut stream = client.chat().stream(request.clone()).await?;
    let mut printed = String::new();
    while let Some(event) = stream.next().await {
        printed.push_str(&event?.data.text());
    }
    assert_eq!(printed, "Bonjour");

    // 3. A tool call and its result.
    let weather = ChatTool::function(
        "get_weather",
        "The weather in a city",
        json!({
            "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]
        }),
    );
    let mut messages = vec![Message::from(UserMessage::new("Weather in Paris?"))];
    let response = client.chat().complete(ChatCompletionRequest::new("mistral-small-latest", messages.clone()).tools(vec![weather])).await?;
    for call in response.tool_calls() {
        let args: Weather = call.arguments()?;
        messages.push(ToolMessage::answer(call, format!("Sunny in {}", args.city)).into());
    }
    let Message::Tool(result) = &messages[1] else { panic!("{messages:?}") };
    assert_eq!(result.tool_call_id.as_deref(), Some("call_1"));
    assert_eq!(result.content.as_ref().map(ToString::to_string).as_deref(), Some("Sunny in Paris"));

    // 4. Embeddings of a few texts.
    let embeddings = client.embeddings().create(EmbeddingRequest::new("mistral-embed", vec!["first", "second"])).await?;
    let vectors: Vec<Vec<f64>> = embeddings.data.into_iter().filter_map(|d| d.embedding).collect();
    assert_eq!(vectors, [vec![0.1, 0.2], vec![0.3, 0.4]]);

    // 5. A file and a batch job.
    let file = mistral_sdk::FilePart::from_bytes(b"{}\n".to_vec(), "batch.jsonl");
    let uploaded = client.files().upload(FilesUploadBody::new(file).purpose(FilePurpose::Batch)).await?;
    let job = client
        .batch()
        .jobs()
        .create(CreateBatchJobRequest::new(ApiEndpoint::V1ChatCompletions).input_files(vec![uploaded.id.clone()]).model("mistral-small-latest"))
        .await?;
    assert_eq!(job.id, "job-1");

    // 6. OCR of a document at a URL.
    let ocr = client.ocr().process(OCRRequest::new("mistral-ocr-latest", DocumentURLChunk::new("https://example.com/a.pdf"))).await?;
    assert_eq!(ocr.pages[0].markdown, "# Title");

    // 7. The model ids.
    let ids: Vec<String> = client.models().list().await?.data.iter().flatten().filter_map(|m| m.id()).map(String::from).collect();
    assert_eq!(ids, ["mistral-small-latest", "ft:my-model"]);

    // 9. Storing a response as JSON, and 10. loading a request from JSON.
    let stored = serde_json::to_string(&response).expect("a response serializes");
    let back: ChatCompletionResponse = serde_json::from_str(&stored).expect("and decodes");
    assert_eq!(back, response);
    let loaded: ChatCompletionRequest =
        serde_json::from_value(json!({"model": "mistral-small-latest", "messages": [{"role": "user", "content": "Hi"}]})).expect("a request decodes");
    assert_eq!(loaded.model, "mistral-small-latest");
    Ok(())
}

/// 8. Handling a 401 and a 422: the status, the service's message and the request id, in one
/// match.
#[tokio::test]
async fn handling_a_401_and_a_422() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"object": "error", "message": "Unauthorized", "type": "unauthorized", "code": "1000"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(422)
                .set_body_json(json!({"detail": [{"loc": ["body", "messages"], "msg": "Field required", "type": "missing"}]}))
                .insert_header("x-request-id", "r-1"),
        )
        .mount(&server)
        .await;
    let client = Client::builder().api_key("sk-wrong").server(server.uri()).build().unwrap();
    for (err, status, message) in [
        (client.models().list().await.unwrap_err(), 401, "Unauthorized"),
        (client.chat().complete(ChatCompletionRequest::new("m", vec![])).await.unwrap_err(), 422, "body.messages: Field required"),
    ] {
        match &err {
            Error::Api(api) => {
                assert_eq!(api.status.as_u16(), status);
                assert_eq!(err.message().as_deref(), Some(message));
            }
            other => panic!("expected Error::Api, got {other:?}"),
        }
        assert_eq!(err.status().map(|s| s.as_u16()), Some(status));
    }
}

/// The conveniences the tasks lean on: `Nullable` reads like `Option`, a tool call's arguments
/// that do not match are a typed error keeping the text, a tool from a Rust type is strict, and
/// text content prints with `{}`.
#[test]
fn nullable_tool_calls_and_content_conveniences() {
    use mistral_sdk::models::{FunctionCall, FunctionCallArguments};
    let n: Nullable<String> = Nullable::Value("x".into());
    assert!(n.is_some() && !n.is_none());
    assert_eq!(n.as_deref(), Some("x"));
    assert_eq!(n.clone().map(|s| s.len()), Nullable::Value(1));
    assert_eq!(Option::from(n.clone()), Some("x".to_string()));
    assert_eq!(n.iter().count(), 1);
    assert_eq!(Nullable::<String>::Null.unwrap_or_default(), "");
    assert!(Nullable::<String>::Null.as_ref().is_null());

    let call = ToolCall::new(FunctionCall::new("get_weather", FunctionCallArguments::String(r#"{"town": 3}"#.into())));
    match call.arguments::<Weather>() {
        Err(Error::Parse { text, message, .. }) => {
            assert_eq!(text, r#"{"town":3}"#);
            assert!(message.contains("city"), "{message}");
        }
        other => panic!("expected Error::Parse, got {:?}", other.map(|w| w.city)),
    }
    assert_eq!(call.name(), "get_weather");

    #[derive(schemars::JsonSchema)]
    #[allow(dead_code)]
    struct Lookup {
        query: String,
    }
    let tool = serde_json::to_value(ChatTool::function_for::<Lookup>("lookup", "Search")).unwrap();
    assert_eq!(tool["type"], "function");
    assert_eq!(tool["function"]["strict"], json!(true));
    assert_eq!(tool["function"]["parameters"]["additionalProperties"], json!(false));

    let content = MessageContent::ContentChunkList(vec![TextChunk::new("a").into(), TextChunk::new("b").into()]);
    assert_eq!(format!("{content}"), "ab");
}
