//! Typed batch runs (`mistral_sdk::batch`) against a loopback stand-in for the Files and Batch
//! APIs (`tests/src/batch_service.rs`): inline and through several uploaded JSONL files (checked
//! line by line, ids kept, no file over its limit), progress polling, results from inline
//! outputs and from output and error files (an undecodable line kept as an item error), a failed
//! job, cancellation, the attempt limit, and resumption from a job id.

#[path = "../src/batch_service.rs"]
mod batch_service;

use futures::StreamExt;
use mistral_sdk::batch::{BatchItem, Chat, Embeddings, ItemError};
use mistral_sdk::models::{BatchJobStatus, ChatCompletionRequest, ChatCompletionResponse, Message, UserMessage};
use mistral_sdk::{Client, Error, Wait};
use serde_json::Value;
use std::time::Duration;

fn client(service: &batch_service::Service) -> Client {
    Client::builder().api_key("k").server(service.base.clone()).build().unwrap()
}

fn request(text: &str) -> ChatCompletionRequest {
    ChatCompletionRequest::new("ignored-model", vec![Message::User(UserMessage::new(text))]).temperature(0.0)
}

fn requests(ids: &[&str]) -> Vec<(String, ChatCompletionRequest)> {
    ids.iter().map(|id| (id.to_string(), request(&format!("question {id}")))).collect()
}

fn fast() -> Wait {
    Wait::every(Duration::from_millis(1))
}

fn content(item: &BatchItem<ChatCompletionResponse>) -> String {
    item.result.as_ref().expect("a response").text().expect("a text answer")
}

async fn all(
    stream: futures::stream::BoxStream<'_, mistral_sdk::Result<BatchItem<ChatCompletionResponse>>>,
) -> Vec<BatchItem<ChatCompletionResponse>> {
    stream.map(|i| i.unwrap()).collect().await
}

/// A small batch goes inline: one job creation carrying `requests` (ids kept, bodies without
/// their `model`, the job's model set), no upload; progress until success; results from the
/// inline `outputs`, errors typed.
#[tokio::test]
async fn a_small_batch_runs_inline() {
    let service = batch_service::start(0, 3, true).await;
    let client = client(&service);
    let mut run =
        client.batch().run::<Chat>("mistral-small-latest").metadata("team", "docs").submit(requests(&["a", "b-bad", "c-err"])).await.unwrap();
    assert_eq!(run.job().status, BatchJobStatus::Queued);
    {
        let s = service.state.lock().unwrap();
        assert!(s.uploads.is_empty());
        let created = &s.created[0];
        assert_eq!(created["endpoint"], "/v1/chat/completions");
        assert_eq!(created["model"], "mistral-small-latest");
        assert_eq!(created["metadata"]["team"], "docs");
        let sent = created["requests"].as_array().unwrap();
        let ids: Vec<&str> = sent.iter().map(|r| r["custom_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["a", "b-bad", "c-err"]);
        assert!(sent.iter().all(|r| r["body"].get("model").is_none()), "{sent:?}");
        assert_eq!(sent[0]["body"]["messages"][0]["content"], "question a");
        assert_eq!(sent[0]["body"]["temperature"], 0.0);
    }
    let progress: Vec<_> = run.progress(fast()).map(|p| p.unwrap()).collect().await;
    let done: Vec<(i64, i64)> = progress.iter().map(|p| (p.completed, p.total)).collect();
    assert_eq!(done, [(1, 3), (2, 3), (3, 3)]);
    assert_eq!(progress.last().unwrap().status, BatchJobStatus::Success);
    assert_eq!(progress.last().unwrap().failed, 2);
    run.refresh().await.unwrap();
    let items = all(run.results()).await;
    assert_eq!(items.len(), 3);
    assert_eq!(items[0].custom_id.as_deref(), Some("a"));
    assert_eq!(content(&items[0]), "echo a");
    match &items[1].result {
        Err(ItemError::Status { status: 400, body }) => assert_eq!(body["message"], "invalid request"),
        other => panic!("{other:?}"),
    }
    match &items[2].result {
        Err(ItemError::Failed(e)) => assert_eq!(e["message"], "model overloaded"),
        other => panic!("{other:?}"),
    }
}

/// Past the inline limit the requests are written as JSONL and uploaded in files of at most
/// `max_file_bytes`, every line there once and in order; results come from the output file and
/// the error file, and an undecodable line is an item error that keeps the line.
#[tokio::test]
async fn a_large_batch_is_uploaded_in_files_and_results_are_streamed() {
    let service = batch_service::start(0, 2, true).await;
    let client = client(&service);
    let ids: Vec<String> = (0..40).map(|i| if i % 10 == 3 { format!("r{i}-bad") } else { format!("r{i}") }).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    // A stream, not an iterator, to take that path too.
    let source = futures::stream::iter(requests(&id_refs));
    let mut run = client
        .batch()
        .run::<Chat>("mistral-small-latest")
        .metadata("garbage", "yes")
        .inline_limit(5)
        .max_file_bytes(1000)
        .submit_stream(source)
        .await
        .unwrap();
    let (uploads, created) = {
        let s = service.state.lock().unwrap();
        (s.uploads.clone(), s.created[0].clone())
    };
    assert!(uploads.len() >= 3, "{} files", uploads.len());
    let mut seen = Vec::new();
    for (n, u) in uploads.iter().enumerate() {
        assert_eq!(u.purpose, "batch");
        assert_eq!(u.content_type, "application/jsonl");
        assert_eq!(u.file_name, format!("batch-input-{}.jsonl", n + 1));
        let size: usize = u.lines.iter().map(|l| l.len() + 1).sum();
        assert!(size <= 1000, "file {n}: {size} bytes");
        for line in &u.lines {
            let v: Value = serde_json::from_str(line).unwrap();
            assert!(v["body"].get("model").is_none());
            assert_eq!(v["body"]["messages"][0]["content"], format!("question {}", v["custom_id"].as_str().unwrap()));
            seen.push(v["custom_id"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(seen, ids, "every request once, in order");
    let files: Vec<&str> = created["input_files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert_eq!(files, uploads.iter().map(|u| u.id.as_str()).collect::<Vec<_>>());
    assert!(created.get("requests").is_none());

    run.wait(fast()).await.unwrap();
    let items = all(run.results()).await;
    let ok: Vec<_> = items.iter().filter(|i| i.result.is_ok()).collect();
    assert_eq!(ok.len(), 36);
    assert!(ok.iter().all(|i| content(i) == format!("echo {}", i.custom_id.as_deref().unwrap())));
    let undecodable: Vec<_> =
        items.iter().filter_map(|i| if let Err(ItemError::Undecodable { line, .. }) = &i.result { Some(line.as_str()) } else { None }).collect();
    assert_eq!(undecodable, ["this is not json"]);
    let failed: Vec<_> =
        items.iter().filter(|i| matches!(i.result, Err(ItemError::Status { status: 400, .. }))).map(|i| i.custom_id.clone().unwrap()).collect();
    assert_eq!(failed, ["r3-bad", "r13-bad", "r23-bad", "r33-bad"], "the error file comes after the output file");
    assert_eq!(items.len(), 41);
}

/// A job that fails ends the progress stream and the wait with `Error::JobFailed`; a wait that
/// runs out of attempts is `Error::JobStillRunning`.
#[tokio::test]
async fn a_failed_job_and_the_attempt_limit_are_errors() {
    let service = batch_service::start(0, 3, false).await;
    let client = client(&service);
    let mut run = client.batch().run::<Chat>("m").metadata("fail", "yes").submit(requests(&["x"])).await.unwrap();
    match run.wait(fast().max_attempts(1)).await {
        Err(Error::JobStillRunning { attempts: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    let last = run.progress(fast()).collect::<Vec<_>>().await.pop().unwrap();
    match last {
        Err(Error::JobFailed { status, id, .. }) => {
            assert_eq!(status, "FAILED");
            assert_eq!(id, run.id());
        }
        other => panic!("{other:?}"),
    }
    match run.wait(fast()).await {
        Err(Error::JobFailed { status, .. }) => assert_eq!(status, "FAILED"),
        other => panic!("{other:?}"),
    }
    assert_eq!(run.job().status, BatchJobStatus::Failed, "the job was read again");
    assert_eq!(run.job().errors.len(), 1);
}

/// An empty batch is refused before anything is sent.
#[tokio::test]
async fn an_empty_batch_is_refused() {
    let service = batch_service::start(0, 1, false).await;
    match client(&service).batch().run::<Chat>("m").submit(Vec::new()).await {
        Err(Error::Config(m)) => assert!(m.contains("no requests"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(service.state.lock().unwrap().created.is_empty());
}

/// Cancellation: the request, then the wait ends with the cancelled status; results before the
/// end are an error that says so.
#[tokio::test]
async fn a_job_can_be_cancelled() {
    let service = batch_service::start(0, 5, false).await;
    let client = client(&service);
    let mut run = client.batch().run::<Chat>("m").submit(requests(&["x", "y"])).await.unwrap();
    match all_results_error(&run).await {
        Error::Config(m) => assert!(m.contains("no results yet"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(run.cancel().await.unwrap().status, BatchJobStatus::CancellationRequested);
    match run.wait(fast()).await {
        Err(Error::JobFailed { status, .. }) => assert_eq!(status, "CANCELLED"),
        other => panic!("{other:?}"),
    }
}

async fn all_results_error(run: &mistral_sdk::batch::BatchRun<'_, Chat>) -> Error {
    run.results().next().await.unwrap().err().unwrap()
}

/// Another process picks a job up by its id, typed by the endpoint it was made for.
#[tokio::test]
async fn a_job_resumes_from_its_id() {
    let service = batch_service::start(0, 1, false).await;
    let first = client(&service);
    let id = first.batch().run::<Chat>("m").inline_limit(0).submit(requests(&["p", "q"])).await.unwrap().id().to_string();
    drop(first);
    let other = client(&service);
    let mut run = other.batch().resume::<Chat>(&id).await.unwrap();
    run.wait(fast()).await.unwrap();
    let items = all(run.results()).await;
    assert_eq!(items.iter().map(content).collect::<Vec<_>>(), ["echo p", "echo q"]);
    match other.batch().resume::<Embeddings>(&id).await {
        Err(Error::Config(m)) => assert!(m.contains("/v1/chat/completions"), "{m}"),
        other => panic!("{other:?}"),
    }
}
