//@ field WorkflowExecutionRequest.wait_for_result: Option<bool>
//@ field WorkflowExecutionRequest.timeout_seconds: Nullable<f64>
//@ variants WorkflowsExecuteWorkflowResponse: WorkflowExecutionResponse, WorkflowExecutionSyncResponse
//@ variant WorkflowsExecuteWorkflowResponse::WorkflowExecutionResponse(Box<WorkflowExecutionResponse>)
//@ field WorkflowExecutionResponse.execution_id: String
//@ field WorkflowExecutionResponse.status: Option<WorkflowExecutionStatus>
//@ field WorkflowExecutionResponse.result: Option<serde_json::Value>
//@ field WorkflowExecutionSyncResponse.result: serde_json::Value
//@ value WorkflowExecutionStatus::Running
//@ value WorkflowExecutionStatus::Completed
//@ value WorkflowExecutionStatus::RetryingAfterError
//@ field BatchJob.status: BatchJobStatus
//@ value BatchJobStatus::Queued
//@ value BatchJobStatus::Running
//@ value BatchJobStatus::Success
//@ value BatchJobStatus::CancellationRequested
//@ field WorkflowExecutionSyncResponse.execution_id: String
//@ field StreamEventSsePayload.broker_sequence: i64
//@ field CustomTaskStartedResponse.attributes: CustomTaskStartedAttributesResponse
//@ field CustomTaskStartedAttributesResponse.custom_task_type: String
//@ field CustomTaskStartedAttributesResponse.payload: Option<JSONPayloadResponse>
//@ field JSONPayloadResponse.value: serde_json::Value
//@ variant ListWorkflowEventResponseEventsItem::CustomTaskStarted(CustomTaskStartedResponse)
//@ variant WorkflowStreamEvent::StreamEventSsePayload(Box<StreamEventSsePayload>)
//! Waiting for long-running work: workflow executions (the official Python SDK's
//! `execute_workflow_and_wait` and `wait_for_workflow_completion`) and batch jobs, polled with
//! [`Wait`] (interval, backoff, a limit) until a terminal status, with progress as a `Stream`.
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use mistral_sdk::jobs::ExecutionWait;
//! use mistral_sdk::models::WorkflowExecutionRequest;
//! use mistral_sdk::Wait;
//! use std::time::Duration;
//!
//! // The API waits (`wait_for_result`), or the SDK polls until the execution is over:
//! let result = client.workflows().execute_and_wait("my-workflow", WorkflowExecutionRequest::default(), ExecutionWait::Api { timeout_seconds: Some(60.0) }).await?;
//! let wait = Wait::every(Duration::from_secs(2)).backoff(1.5, Duration::from_secs(30)).max_attempts(100);
//! let result = client.workflows().execute_and_wait("my-workflow", WorkflowExecutionRequest::default(), ExecutionWait::Poll(wait)).await?;
//! // A batch job, with its counts as it goes:
//! use futures::StreamExt;
//! let mut progress = client.batch().jobs().watch("job-id", Wait::every(Duration::from_secs(10)));
//! while let Some(job) = progress.next().await {
//!     let job = job?;
//!     println!("{}/{} done", job.completed_requests, job.total_requests);
//! }
//! # let _ = result;
//! # Ok(())
//! # }
//! ```
//!
//! A status other than success (`FAILED`, `CANCELED`, `TERMINATED`, `TIMED_OUT`, …; for batch
//! jobs `FAILED`, `TIMEOUT_EXCEEDED`, `CANCELLED`) is [`Error::JobFailed`](crate::Error::JobFailed)
//! with the status; a job still running after `max_attempts` polls is
//! [`Error::JobStillRunning`](crate::Error::JobStillRunning). Dropping the future or the stream
//! stops the polling (nothing is cancelled on the server: cancel the job for that).

use crate::runtime::wait::Wait;

/// How [`execute_and_wait`](crate::api::workflows::Workflows::execute_and_wait) waits.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ExecutionWait {
    /// The API's synchronous mode (`wait_for_result`), for up to `timeout_seconds` (the API's
    /// default when `None`). An answer without the result (the API stopped waiting) is then
    /// polled with [`Wait::default`].
    Api {
        /// How long the API may wait.
        timeout_seconds: Option<f64>,
    },
    /// The SDK polls the execution.
    Poll(Wait),
}

//@ cfg-of WorkflowExecutionResponse, WorkflowExecutionRequest, WorkflowsExecuteWorkflowResponse, WorkflowExecutionSyncResponse, WorkflowExecutionStatus
impl<'c> crate::api::workflows::Workflows<'c> {
    /// Executes `workflow` and waits until the execution is over: its result (JSON), or
    /// [`Error::JobFailed`](crate::Error::JobFailed) with the status it ended in.
    pub async fn execute_and_wait(
        &self,
        workflow: impl Into<String>,
        mut request: crate::models::WorkflowExecutionRequest,
        how: ExecutionWait,
    ) -> crate::Result<serde_json::Value> {
        use crate::models::WorkflowsExecuteWorkflowResponse as Answer;
        let wait = match how {
            ExecutionWait::Api { timeout_seconds } => {
                request.wait_for_result = Some(true);
                if let Some(t) = timeout_seconds {
                    request.timeout_seconds = crate::Nullable::Value(t);
                }
                Wait::default()
            }
            ExecutionWait::Poll(wait) => {
                request.wait_for_result = Some(false);
                wait
            }
        };
        let execution = match self.execute_workflow(workflow, request).await? {
            Answer::WorkflowExecutionSyncResponse(done) => return Ok(done.result),
            Answer::WorkflowExecutionResponse(started) => *started,
            Answer::Unknown(other) => {
                return Err(crate::Error::Config(format!("workflows.execute_and_wait: an execution answer of an unknown shape: {other}")));
            }
        };
        if execution_phase(&execution) == crate::Phase::Done {
            return Ok(execution.result.unwrap_or_default());
        }
        let done = self.wait_for_execution(&execution.execution_id, wait).await?;
        Ok(done.result.unwrap_or_default())
    }

    /// Polls the execution `execution_id` until it is over: its last state (`COMPLETED`), or
    /// [`Error::JobFailed`](crate::Error::JobFailed).
    pub fn wait_for_execution(
        &self,
        execution_id: &str,
        wait: Wait,
    ) -> impl std::future::Future<Output = crate::Result<crate::models::WorkflowExecutionResponse>> + Send + use<'c> {
        crate::runtime::wait::until_done(self.watch_execution(execution_id, wait))
    }

    /// The execution's state at each poll until it is over (see [`jobs`](crate::jobs)).
    pub fn watch_execution(
        &self,
        execution_id: &str,
        wait: Wait,
    ) -> futures::stream::BoxStream<'c, crate::Result<crate::models::WorkflowExecutionResponse>> {
        let executions = self.executions();
        let id = execution_id.to_string();
        let fetch_id = id.clone();
        crate::runtime::wait::watch(
            "workflows.wait_for_execution",
            id,
            wait,
            move || executions.get_workflow_execution(fetch_id.clone()).send(),
            execution_phase,
        )
    }
}

//@ cfg-of WorkflowExecutionResponse, WorkflowExecutionStatus
fn execution_phase(e: &crate::models::WorkflowExecutionResponse) -> crate::Phase {
    use crate::models::WorkflowExecutionStatus as S;
    match &e.status {
        // No status yet, or retrying: still going.
        None | Some(S::Running) | Some(S::RetryingAfterError) => crate::Phase::Running,
        Some(S::Completed) => crate::Phase::Done,
        Some(other) => crate::Phase::Failed(
            serde_json::to_value(other).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{other:?}")),
        ),
    }
}

//@ cfg-of BatchJob, BatchJobStatus
impl<'c> crate::api::batch::jobs::Jobs<'c> {
    /// Polls the batch job `job_id` until it is over: its last state (`SUCCESS`), or
    /// [`Error::JobFailed`](crate::Error::JobFailed).
    pub fn wait(&self, job_id: &str, wait: Wait) -> impl std::future::Future<Output = crate::Result<crate::models::BatchJob>> + Send + use<'c> {
        crate::runtime::wait::until_done(self.watch(job_id, wait))
    }

    /// The job's state (its counts: total, completed, succeeded, failed) at each poll until it
    /// is over.
    pub fn watch(&self, job_id: &str, wait: Wait) -> futures::stream::BoxStream<'c, crate::Result<crate::models::BatchJob>> {
        let jobs = *self;
        let id = job_id.to_string();
        let fetch_id = id.clone();
        crate::runtime::wait::watch("batch.jobs.wait", id, wait, move || jobs.get(fetch_id.clone()).send(), batch_phase)
    }
}

//@ cfg-of BatchJob, BatchJobStatus
fn batch_phase(job: &crate::models::BatchJob) -> crate::Phase {
    use crate::models::BatchJobStatus as S;
    match &job.status {
        S::Queued | S::Running | S::CancellationRequested => crate::Phase::Running,
        S::Success => crate::Phase::Done,
        other => crate::Phase::Failed(
            serde_json::to_value(other).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_else(|| format!("{other:?}")),
        ),
    }
}

/// A connector a workflow execution needs (the official Python SDK's `ConnectorSlot`), bound
/// through the execution's `extensions`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ConnectorSlot {
    /// The connector's name (`gmail`).
    pub connector_name: String,
    /// A named set of credentials for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials_name: Option<String>,
}

impl ConnectorSlot {
    /// The connector `name` with its default credentials.
    pub fn new(name: impl Into<String>) -> Self {
        ConnectorSlot { connector_name: name.into(), credentials_name: None }
    }

    /// These named credentials.
    pub fn credentials(mut self, name: impl Into<String>) -> Self {
        self.credentials_name = Some(name.into());
        self
    }

    /// The execution `extensions` that bind `slots`:
    /// `{"mistralai": {"connectors": {"bindings": [...]}}}`.
    pub fn extensions(slots: &[ConnectorSlot]) -> std::collections::BTreeMap<String, serde_json::Value> {
        let bindings = serde_json::to_value(slots).unwrap_or_default();
        [("mistralai".to_string(), serde_json::json!({"connectors": {"bindings": bindings}}))].into_iter().collect()
    }
}

/// A connector waiting for its user to authorize it during an execution: the payload of a
/// `connector_auth` custom task (the Python SDK's `ConnectorAuthTaskState`).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[non_exhaustive]
pub struct ConnectorAuth {
    /// The connector's name.
    pub connector_name: String,
    /// The connector's id.
    pub connector_id: String,
    /// The named credentials, when the slot has some.
    #[serde(default)]
    pub credentials_name: Option<String>,
    /// Where the user authorizes the connector.
    #[serde(default)]
    pub auth_url: Option<String>,
    /// Why, in words.
    #[serde(default)]
    pub message: Option<String>,
}

// `EventsGetStreamEventsScope`: a parameter type only the `events` group has, so that this
// compiles exactly when `client.events()` exists.
//@ cfg-of WorkflowExecutionResponse, WorkflowExecutionRequest, WorkflowsExecuteWorkflowResponse, WorkflowExecutionSyncResponse, WorkflowExecutionStatus, WorkflowStreamEvent, StreamEventSsePayload, ListWorkflowEventResponseEventsItem, CustomTaskStartedResponse, EventsGetStreamEventsScope
impl<'c> crate::api::workflows::Workflows<'c> {
    /// Executes `workflow` with `connectors` bound and handles their authorization (the
    /// official Python SDK's `execute_with_connector_auth_async`): follows the execution's
    /// events from the start, calls `on_auth_required` for each `connector_auth` custom task
    /// (its connector and the URL where the user authorizes it; the service waits for the
    /// credentials and resumes by itself), opens the stream again from the next
    /// `broker_sequence` when it drops (10 times at most, pausing as the client's
    /// [`RetryPolicy`](crate::RetryPolicy) backs off), and once
    /// the execution ends (or the stream gives up) polls it with `wait` until it is over: its
    /// last state, or [`Error::JobFailed`](crate::Error::JobFailed) /
    /// [`Error::JobStillRunning`](crate::Error::JobStillRunning).
    ///
    /// ```no_run
    /// # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
    /// use mistral_sdk::jobs::ConnectorSlot;
    /// use mistral_sdk::models::WorkflowExecutionRequest;
    /// use mistral_sdk::Wait;
    ///
    /// let slots = [ConnectorSlot::new("gmail"), ConnectorSlot::new("notion").credentials("work")];
    /// let done = client
    ///     .workflows()
    ///     .execute_with_connector_auth("inbox-digest", WorkflowExecutionRequest::default(), &slots, |auth| async move {
    ///         println!("authorize {} at {}", auth.connector_name, auth.auth_url.unwrap_or_default());
    ///     }, Wait::default())
    ///     .await?;
    /// println!("{:?}", done.result);
    /// # Ok(()) }
    /// ```
    pub async fn execute_with_connector_auth<F, Fut>(
        &self,
        workflow: impl Into<String>,
        mut request: crate::models::WorkflowExecutionRequest,
        connectors: &[ConnectorSlot],
        mut on_auth_required: F,
        wait: Wait,
    ) -> crate::Result<crate::models::WorkflowExecutionResponse>
    where
        F: FnMut(ConnectorAuth) -> Fut,
        Fut: std::future::Future<Output = ()>,
    {
        use crate::models::ListWorkflowEventResponseEventsItem as E;
        use crate::models::WorkflowsExecuteWorkflowResponse as Answer;
        use futures::StreamExt;
        /// How many times the event stream is opened again after it drops (the Python SDK's figure).
        const MAX_RECONNECTS: u32 = 10;

        // Whether the event stream should be opened again after this error: the connection,
        // the stream or the service failed (as the client's retry policy sees a status), not
        // the request.
        let retry = &self.client.inner.retry;
        let reconnectable = |e: &crate::Error| match e {
            crate::Error::Api(api) | crate::Error::UnexpectedStatus(api) => retry.retries_status(api.status.as_u16()),
            crate::Error::Connection { .. } => retry.retry_connection_errors,
            crate::Error::Timeout { .. } | crate::Error::Request { .. } | crate::Error::Body { .. } | crate::Error::Stream { .. } => true,
            _ => false,
        };

        if !connectors.is_empty() {
            request.extensions = crate::Nullable::Value(ConnectorSlot::extensions(connectors));
        }
        request.wait_for_result = Some(false);
        let execution_id = match self.execute_workflow(workflow, request).await? {
            Answer::WorkflowExecutionResponse(started) => started.execution_id,
            Answer::WorkflowExecutionSyncResponse(done) => done.execution_id,
            Answer::Unknown(other) => {
                return Err(crate::Error::Config(format!("workflows.execute_with_connector_auth: an execution answer of an unknown shape: {other}")));
            }
        };
        let events = self.client.events();
        let mut next_seq: i64 = 0;
        let mut attempt = 0u32;
        'follow: loop {
            if attempt == MAX_RECONNECTS {
                tracing::warn!(execution_id = %execution_id, "the execution's event stream dropped {MAX_RECONNECTS} times; waiting by polling");
                break;
            }
            let opened = events
                .get_stream_events()
                .root_workflow_exec_id(execution_id.clone())
                .workflow_exec_id("*")
                .parent_workflow_exec_id("*")
                .start_seq(next_seq)
                .send()
                .await;
            let mut stream = match opened {
                Ok(s) => s,
                Err(e) if reconnectable(&e) => {
                    tokio::time::sleep(retry.backoff(attempt + 1, None)).await;
                    attempt += 1;
                    continue;
                }
                Err(e) => return Err(e),
            };
            while let Some(event) = stream.next().await {
                let event = match event {
                    Ok(e) => e,
                    Err(e) if reconnectable(&e) => break,
                    Err(e) => return Err(e),
                };
                let payload = match event.data {
                    crate::models::WorkflowStreamEvent::StreamEventSsePayload(p) => p,
                    // An error event after the stream opened: as if it dropped.
                    crate::models::WorkflowStreamEvent::StreamEventSseErrorData(_) => break,
                    _ => continue,
                };
                next_seq = payload.broker_sequence + 1;
                match payload.data {
                    E::WorkflowExecutionCompleted(_) | E::WorkflowExecutionFailed(_) | E::WorkflowExecutionCanceled(_) => break 'follow,
                    E::CustomTaskStarted(task) if task.attributes.custom_task_type == "connector_auth" => {
                        let Some(value) = task.attributes.payload.map(|p| p.value) else { continue };
                        if let Ok(state) = serde_json::from_value::<ConnectorAuth>(value) {
                            on_auth_required(state).await;
                        }
                    }
                    _ => {}
                }
            }
            // Dropped (or ended) before the execution did.
            tokio::time::sleep(retry.backoff(attempt + 1, None)).await;
            attempt += 1;
        }
        self.wait_for_execution(&execution_id, wait).await
    }
}
