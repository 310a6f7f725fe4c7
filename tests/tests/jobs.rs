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

/// A client whose retries (and the event stream's reconnects) pause a millisecond.
fn client(server: &MockServer) -> Client {
    let retry = mistral_sdk::RetryPolicy::default().with_initial_backoff(Duration::from_millis(1));
    Client::builder().api_key("k").server(server.uri()).retry_policy(retry).build().unwrap()
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

/// `POST /v1/workflows/wf/execute` answers with a running execution `ex_1`.
async fn mount_started_execution(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v1/workflows/wf/execute"))
        .respond_with(ResponseTemplate::new(200).set_body_json(execution("RUNNING", None)))
        .mount(server)
        .await;
}

/// One SSE event of the workflow event stream: `data` at `seq`.
fn sse_event(seq: i64, data: Value) -> String {
    let context = json!({"namespace": "default", "workflow_name": "wf", "workflow_exec_id": "ex_1"});
    let payload = json!({"stream": "events", "data": data, "workflow_context": context, "broker_sequence": seq});
    format!("data: {payload}\n\n")
}

fn workflow_event(kind: &str, attributes: Value) -> Value {
    json!({"event_id": "e", "event_timestamp": 1, "root_workflow_exec_id": "ex_1", "workflow_exec_id": "ex_1", "workflow_run_id": "run_1",
        "workflow_name": "wf", "event_type": kind, "attributes": attributes})
}

fn auth_task(connector: &str) -> Value {
    workflow_event(
        "CUSTOM_TASK_STARTED",
        json!({"custom_task_id": format!("t-{connector}"), "custom_task_type": "connector_auth", "payload": {"type": "json", "value": {
            "connector_name": connector, "connector_id": format!("c-{connector}"), "auth_url": format!("https://auth.example/{connector}")}}}),
    )
}

/// The event stream as the service serves it, by `start_seq`: from 0 the start and gmail's
/// authorization, then the connection ends; from 2 first a 503, then notion's authorization and
/// an error event; from 3 the completion. Each request's `start_seq` is recorded.
#[derive(Clone, Default)]
struct EventService(Arc<std::sync::Mutex<Vec<String>>>);

impl Respond for EventService {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start = request.url.query_pairs().find(|(k, _)| k == "start_seq").map(|(_, v)| v.into_owned()).unwrap_or_default();
        let mut seen = self.0.lock().unwrap();
        let twice = seen.contains(&start);
        seen.push(start.clone());
        for (k, v) in [("root_workflow_exec_id", "ex_1"), ("workflow_exec_id", "*"), ("parent_workflow_exec_id", "*")] {
            assert!(request.url.query_pairs().any(|(qk, qv)| qk == k && qv == v), "{k} in {}", request.url);
        }
        let body = match start.as_str() {
            "0" => {
                sse_event(
                    0,
                    workflow_event(
                        "WORKFLOW_EXECUTION_STARTED",
                        json!({"task_id": "t", "workflow_name": "wf", "input": {"type": "json", "value": {}}}),
                    ),
                ) + &sse_event(1, auth_task("gmail"))
            }
            "2" if !twice => return ResponseTemplate::new(503).set_body_json(json!({"message": "busy"})),
            "2" => sse_event(2, auth_task("notion")) + "data: {\"error\": \"broker restarted\", \"reason\": \"internal\"}\n\n",
            "3" => sse_event(
                3,
                workflow_event("WORKFLOW_EXECUTION_COMPLETED", json!({"task_id": "t", "result": {"type": "json", "value": {"done": true}}})),
            ),
            other => panic!("unexpected start_seq {other}"),
        };
        ResponseTemplate::new(200).insert_header("content-type", "text/event-stream").set_body_string(body)
    }
}

/// Connector authorization during an execution: the slots bound through `extensions`, the
/// callback called for each `connector_auth` task with its connector and URL, the event stream
/// followed again from `broker_sequence + 1` after it ends, after a 503 and after an error
/// event, then the execution polled to its end.
#[tokio::test]
async fn connector_authorization_follows_the_events_across_reconnects() {
    use mistral_sdk::jobs::{ConnectorAuth, ConnectorSlot};
    let server = MockServer::start().await;
    mount_started_execution(&server).await;
    let events = EventService::default();
    Mock::given(method("GET")).and(path("/v1/workflows/events/stream")).respond_with(events.clone()).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/workflows/executions/ex_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(execution("COMPLETED", Some(json!({"done": true})))))
        .mount(&server)
        .await;
    let asked: Arc<std::sync::Mutex<Vec<ConnectorAuth>>> = Default::default();
    let slots = [ConnectorSlot::new("gmail"), ConnectorSlot::new("notion").credentials("work")];
    let done = client(&server)
        .workflows()
        .execute_with_connector_auth(
            "wf",
            WorkflowExecutionRequest::default(),
            &slots,
            |auth| {
                let asked = asked.clone();
                async move { asked.lock().unwrap().push(auth) }
            },
            fast(),
        )
        .await
        .unwrap();
    assert_eq!(done.result, Some(json!({"done": true})));
    let asked = asked.lock().unwrap().clone();
    let names: Vec<(&str, Option<&str>)> = asked.iter().map(|a| (a.connector_name.as_str(), a.auth_url.as_deref())).collect();
    assert_eq!(names, [("gmail", Some("https://auth.example/gmail")), ("notion", Some("https://auth.example/notion"))]);
    assert_eq!(*events.0.lock().unwrap(), ["0", "2", "2", "3"], "each reconnect starts after the last sequence seen");
    let requests = server.received_requests().await.unwrap();
    let sent: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        sent["extensions"],
        json!({"mistralai": {"connectors": {"bindings": [{"connector_name": "gmail"}, {"connector_name": "notion", "credentials_name": "work"}]}}})
    );
}

/// A failed execution after the events is `Error::JobFailed`; a request error on the stream
/// (not a dropped connection) ends the call.
#[tokio::test]
async fn connector_authorization_ends_on_failures() {
    let server = MockServer::start().await;
    mount_started_execution(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/workflows/events/stream"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "no such execution"})))
        .mount(&server)
        .await;
    let c = client(&server);
    let err = c.workflows().execute_with_connector_auth("wf", WorkflowExecutionRequest::default(), &[], |_| async {}, fast()).await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404), "{err}");
    server.reset().await;
    mount_started_execution(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/workflows/events/stream"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(sse_event(0, workflow_event("WORKFLOW_EXECUTION_FAILED", json!({"task_id": "t", "failure": {"message": "boom"}})))),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/workflows/executions/ex_1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(execution("FAILED", None)))
        .mount(&server)
        .await;
    match c.workflows().execute_with_connector_auth("wf", WorkflowExecutionRequest::default(), &[], |_| async {}, fast()).await {
        Err(Error::JobFailed { status, .. }) => assert_eq!(status, "FAILED"),
        other => panic!("{other:?}"),
    }
}
