//! Waiting for long-running work (`mistral_sdk::jobs`) on a loopback server: workflow
//! execute-and-wait in the API's synchronous mode and by polling, a failed status, the attempt
//! limit, polling that stops when the future is dropped, and a batch job's progress.

use futures::StreamExt;
use mistral_sdk::jobs::ExecutionWait;
use mistral_sdk::models::{BatchJobStatus, WorkflowExecutionRequest};
use mistral_sdk::{Client, Error, Wait};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Serves the n-th answer to the n-th request (the last again after the end).
#[derive(Clone)]
struct Sequence(Vec<Value>, Arc<AtomicUsize>);

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let i = self.1.fetch_add(1, Ordering::SeqCst).min(self.0.len() - 1);
        ResponseTemplate::new(200).set_body_json(self.0[i].clone())
    }
}

fn execution(status: &str, result: Option<Value>) -> Value {
    let mut e =
        json!({"workflow_name": "wf", "execution_id": "ex_1", "root_execution_id": "ex_1", "start_time": "2026-12-05T10:00:00Z", "status": status});
    if let Some(r) = result {
        e["result"] = r;
    }
    e
}

fn fast() -> Wait {
    Wait::every(Duration::from_millis(1))
}

fn client(server: &MockServer) -> Client {
    Client::builder().api_key("k").server(server.uri()).build().unwrap()
}

#[tokio::test]
async fn the_api_s_synchronous_mode_returns_the_result() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/workflows/wf/execute"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"workflow_name": "wf", "execution_id": "ex_1", "result": {"answer": 42}})))
        .mount(&server)
        .await;
    let result = client(&server)
        .workflows()
        .execute_and_wait("wf", WorkflowExecutionRequest::default(), ExecutionWait::Api { timeout_seconds: Some(30.0) })
        .await
        .unwrap();
    assert_eq!(result, json!({"answer": 42}));
    let sent: Value = serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(sent["wait_for_result"], true);
    assert_eq!(sent["timeout_seconds"], 30.0);
}

#[tokio::test]
async fn polling_follows_the_execution_until_it_completes() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(execution("RUNNING", None))).mount(&server).await;
    let polls = Arc::new(AtomicUsize::new(0));
    let answers = vec![execution("RUNNING", None), execution("RETRYING_AFTER_ERROR", None), execution("COMPLETED", Some(json!("done")))];
    Mock::given(method("GET")).and(path("/v1/workflows/executions/ex_1")).respond_with(Sequence(answers, polls.clone())).mount(&server).await;
    let result = client(&server).workflows().execute_and_wait("wf", WorkflowExecutionRequest::default(), ExecutionWait::Poll(fast())).await.unwrap();
    assert_eq!(result, json!("done"));
    assert_eq!(polls.load(Ordering::SeqCst), 3);
    let sent: Value = serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(sent["wait_for_result"], false);
}

#[tokio::test]
async fn a_failed_status_and_the_attempt_limit_are_typed_errors() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/workflows/executions/ex_1"))
        .respond_with(Sequence(vec![execution("RUNNING", None), execution("FAILED", None)], Arc::default()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/workflows/executions/ex_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(execution("RUNNING", None)))
        .mount(&server)
        .await;
    let client = client(&server);
    let err = client.workflows().wait_for_execution("ex_1", fast()).await.unwrap_err();
    assert!(matches!(&err, Error::JobFailed { id, status, .. } if id == "ex_1" && status == "FAILED"), "{err}");
    let err = client.workflows().wait_for_execution("ex_2", fast().max_attempts(3)).await.unwrap_err();
    assert!(matches!(&err, Error::JobStillRunning { attempts: 3, .. }), "{err}");
    assert!(err.to_string().contains("still running after 3 polls"), "{err}");
}

#[tokio::test]
async fn dropping_the_wait_stops_the_polling() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_json(execution("RUNNING", None))).mount(&server).await;
    let client = client(&server);
    let wait = client.workflows().wait_for_execution("ex_1", Wait::every(Duration::from_millis(20)));
    assert!(tokio::time::timeout(Duration::from_millis(110), wait).await.is_err(), "still running");
    let seen = server.received_requests().await.unwrap().len();
    assert!(seen >= 3, "polled every 20 ms: {seen}");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.received_requests().await.unwrap().len(), seen, "no poll after the drop");
}

fn batch(status: &str, done: i64) -> Value {
    json!({"id": "job_1", "object": "batch", "input_files": ["f"], "endpoint": "/v1/chat/completions", "errors": [], "status": status,
        "created_at": 1, "total_requests": 10, "completed_requests": done, "succeeded_requests": done, "failed_requests": 0})
}

#[tokio::test]
async fn a_batch_job_s_progress_is_a_stream_until_it_ends() {
    let server = MockServer::start().await;
    let answers = vec![batch("QUEUED", 0), batch("RUNNING", 4), batch("RUNNING", 9), batch("SUCCESS", 10)];
    Mock::given(method("GET")).and(path("/v1/batch/jobs/job_1")).respond_with(Sequence(answers, Arc::default())).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/batch/jobs/job_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(batch("TIMEOUT_EXCEEDED", 3)))
        .mount(&server)
        .await;
    let client = client(&server);
    let wait = Wait::every(Duration::from_millis(1)).backoff(2.0, Duration::from_millis(4));
    let progress: Vec<i64> = client.batch().jobs().watch("job_1", wait.clone()).map(|j| j.unwrap().completed_requests).collect().await;
    assert_eq!(progress, [0, 4, 9, 10]);
    let done = client.batch().jobs().wait("job_1", wait.clone()).await.unwrap();
    assert_eq!(done.status, BatchJobStatus::Success);
    let err = client.batch().jobs().wait("job_2", wait).await.unwrap_err();
    assert!(matches!(&err, Error::JobFailed { status, .. } if status == "TIMEOUT_EXCEEDED"), "{err}");
}
