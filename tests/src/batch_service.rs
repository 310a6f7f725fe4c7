//! A loopback stand-in for Mistral's Files and Batch APIs, enough to run batch jobs end to end:
//! uploads are read as they arrive (each JSONL line of the file part parsed, its `custom_id`
//! kept; the lines themselves only when asked), jobs advance one step per poll, and result files
//! are generated as they are downloaded, so a million-request batch costs the server little
//! memory. Used by `tests/tests/batch_run.rs` (in process) and the `batch-test-server` binary
//! the batch benchmark runs beside it.
//!
//! Results: an id containing `bad` gets a 400 answer (error file), one containing `err` a line
//! error (error file), every other one a chat completion whose content is `echo {id}` (output
//! file). A job with metadata `fail=yes` ends `FAILED`; `garbage=yes` adds an undecodable line
//! to its output file.

#![allow(dead_code)]

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{combinators::BoxBody, BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

type Body = BoxBody<Bytes, Infallible>;

/// One uploaded file.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub purpose: String,
    pub bytes: u64,
    /// The file's lines, when the service keeps them.
    pub lines: Vec<String>,
    pub custom_ids: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub endpoint: String,
    pub model: Option<String>,
    pub input_files: Vec<String>,
    pub inline: bool,
    pub metadata: BTreeMap<String, String>,
    pub ids: Vec<String>,
    pub polls: u32,
    pub cancel: bool,
}

#[derive(Debug, Default)]
pub struct State {
    pub uploads: Vec<Upload>,
    pub jobs: BTreeMap<String, Job>,
    /// Each job creation's body (inline `requests` included).
    pub created: Vec<Value>,
    /// Polls of a job's state.
    pub polls: u32,
}

#[derive(Clone)]
pub struct Service {
    pub base: String,
    pub state: Arc<Mutex<State>>,
}

/// Serves on 127.0.0.1 (a free port when `port` is 0); a job is over after `polls_to_finish`
/// reads of it; `keep_lines`: keep every uploaded line.
pub async fn start(port: u16, polls_to_finish: u32, keep_lines: bool) -> Service {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(Mutex::new(State::default()));
    let service = Service { base, state: state.clone() };
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let state = state.clone();
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(route(req, &state, polls_to_finish, keep_lines).await) }
            });
            tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), svc));
        }
    });
    service
}

fn reply(status: u16, body: Value) -> Response<Body> {
    Response::builder().status(status).header("content-type", "application/json").body(Full::new(Bytes::from(body.to_string())).boxed()).unwrap()
}

async fn route(req: Request<Incoming>, state: &Mutex<State>, polls_to_finish: u32, keep_lines: bool) -> Response<Body> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "files"]) => upload(req, state, keep_lines).await,
        ("GET", ["v1", "files", id, "content"]) => download(id, state),
        ("POST", ["v1", "batch", "jobs"]) => {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            let request: Value = serde_json::from_slice(&body).unwrap();
            let mut s = state.lock().unwrap();
            let id = format!("job-{}", s.jobs.len() + 1);
            let (ids, inline) = match request.get("requests").and_then(Value::as_array) {
                Some(requests) => (requests.iter().map(|r| r["custom_id"].as_str().unwrap_or_default().to_string()).collect(), true),
                None => {
                    let files: Vec<&str> = request["input_files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
                    let ids =
                        files.iter().flat_map(|f| s.uploads.iter().find(|u| u.id == *f).map(|u| u.custom_ids.clone()).unwrap_or_default()).collect();
                    (ids, false)
                }
            };
            let metadata = request
                .get("metadata")
                .and_then(Value::as_object)
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
                .unwrap_or_default();
            let job = Job {
                id: id.clone(),
                endpoint: request["endpoint"].as_str().unwrap().to_string(),
                model: request.get("model").and_then(Value::as_str).map(str::to_string),
                input_files: request
                    .get("input_files")
                    .and_then(Value::as_array)
                    .map(|f| f.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                inline,
                metadata,
                ids,
                polls: 0,
                cancel: false,
            };
            s.created.push(request);
            let out = job_json(&job, polls_to_finish);
            s.jobs.insert(id, job);
            reply(200, out)
        }
        ("GET", ["v1", "batch", "jobs", id]) => {
            let mut s = state.lock().unwrap();
            s.polls += 1;
            match s.jobs.get_mut(*id) {
                Some(job) => {
                    job.polls += 1;
                    reply(200, job_json(job, polls_to_finish))
                }
                None => reply(404, json!({"message": "no such job"})),
            }
        }
        ("POST", ["v1", "batch", "jobs", id, "cancel"]) => {
            let mut s = state.lock().unwrap();
            match s.jobs.get_mut(*id) {
                Some(job) => {
                    job.cancel = true;
                    let mut out = job_json(job, polls_to_finish);
                    out["status"] = json!("CANCELLATION_REQUESTED");
                    reply(200, out)
                }
                None => reply(404, json!({"message": "no such job"})),
            }
        }
        _ => reply(404, json!({"message": format!("no route {method} {path}")})),
    }
}

/// Reads a multipart upload line by line as it arrives.
async fn upload(req: Request<Incoming>, state: &Mutex<State>, keep_lines: bool) -> Response<Body> {
    let content_type = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let mut body = req.into_body();
    let mut upload = Upload::default();
    let mut buffer: Vec<u8> = Vec::new();
    let mut after_purpose = 0;
    let mut on_line = |line: &[u8], upload: &mut Upload| {
        upload.bytes += line.len() as u64 + 1;
        let text = String::from_utf8_lossy(line);
        let text = text.trim_end_matches('\r');
        if text.starts_with("{\"custom_id\"") {
            let v: Value = serde_json::from_str(text).expect("a JSONL request line");
            upload.custom_ids.push(v["custom_id"].as_str().unwrap().to_string());
            if keep_lines {
                upload.lines.push(text.to_string());
            }
            return;
        }
        if let Some(at) = text.find("filename=\"") {
            upload.file_name = text[at + 10..].trim_end_matches('"').to_string();
        } else if text.contains("name=\"purpose\"") {
            after_purpose = 2;
        } else if let Some(ct) = text.strip_prefix("Content-Type: ").or_else(|| text.strip_prefix("content-type: ")) {
            upload.content_type = ct.to_string();
        } else if after_purpose > 0 {
            after_purpose -= 1;
            if after_purpose == 0 {
                upload.purpose = text.to_string();
            }
        }
    };
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return reply(400, json!({"message": "upload cut"})) };
        let Ok(data) = frame.into_data() else { continue };
        buffer.extend_from_slice(&data);
        let mut start = 0;
        while let Some(at) = memchr::memchr(b'\n', &buffer[start..]) {
            on_line(&buffer[start..start + at], &mut upload);
            start += at + 1;
        }
        buffer.drain(..start);
    }
    assert!(content_type.starts_with("multipart/form-data"), "{content_type}");
    let mut s = state.lock().unwrap();
    upload.id = format!("file-{}", s.uploads.len() + 1);
    let out = json!({"id": upload.id, "object": "file", "bytes": upload.bytes, "created_at": 1, "filename": upload.file_name,
        "purpose": "batch", "sample_type": "batch_request", "source": "upload", "num_lines": upload.custom_ids.len()});
    s.uploads.push(upload);
    reply(200, out)
}

fn bad(id: &str) -> bool {
    id.contains("bad") || id.contains("err")
}

/// One result line.
pub fn result_line(n: usize, id: &str) -> String {
    if id.contains("bad") {
        json!({"id": format!("r-{n}"), "custom_id": id, "response": {"status_code": 400, "body": {"object": "error", "message": "invalid request"}}, "error": null}).to_string()
    } else if id.contains("err") {
        json!({"id": format!("r-{n}"), "custom_id": id, "error": {"message": "model overloaded", "code": "3000"}}).to_string()
    } else {
        format!(
            r#"{{"id":"r-{n}","custom_id":{},"response":{{"status_code":200,"body":{{"id":"cmpl-{n}","object":"chat.completion","model":"mistral-small-latest","created":1,"choices":[{{"index":0,"message":{{"role":"assistant","content":{}}},"finish_reason":"stop"}}],"usage":{{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}}}}},"error":null}}"#,
            Value::from(id),
            Value::from(format!("echo {id}"))
        )
    }
}

fn download(file: &str, state: &Mutex<State>) -> Response<Body> {
    let s = state.lock().unwrap();
    let (kind, job_id) = match file.split_once('-') {
        Some((k @ ("out" | "err"), rest)) => (k, rest.to_string()),
        _ => return reply(404, json!({"message": "no such file"})),
    };
    let Some(job) = s.jobs.get(&job_id) else { return reply(404, json!({"message": "no such job"})) };
    let ids = Arc::new(job.ids.clone());
    let garbage = kind == "out" && job.metadata.get("garbage").is_some_and(|g| g == "yes");
    let errors = kind == "err";
    // Lines made as the client reads them, about a thousand per chunk.
    let chunks = futures::stream::iter((0..ids.len().div_ceil(1000)).map(move |c| {
        let mut out = String::new();
        for (n, id) in ids.iter().enumerate().skip(c * 1000).take(1000) {
            if bad(id) == errors {
                out.push_str(&result_line(n, id));
                out.push('\n');
            }
        }
        Ok::<_, Infallible>(Frame::data(Bytes::from(out)))
    }))
    .chain(futures::stream::iter(garbage.then(|| Ok(Frame::data(Bytes::from_static(b"this is not json\n"))))));
    Response::builder().status(200).header("content-type", "application/jsonl").body(BodyExt::boxed(StreamBody::new(chunks))).unwrap()
}

fn job_json(job: &Job, polls_to_finish: u32) -> Value {
    let total = job.ids.len() as i64;
    let failed_count = job.ids.iter().filter(|id| bad(id)).count() as i64;
    let (status, completed) = if job.cancel {
        ("CANCELLED", 0)
    } else if job.polls == 0 {
        ("QUEUED", 0)
    } else if job.polls < polls_to_finish {
        ("RUNNING", total * job.polls as i64 / polls_to_finish as i64)
    } else if job.metadata.get("fail").is_some_and(|f| f == "yes") {
        ("FAILED", 0)
    } else {
        ("SUCCESS", total)
    };
    let done = status == "SUCCESS";
    let failed = if done { failed_count } else { failed_count.min(completed) };
    let mut out = json!({
        "id": job.id, "object": "batch", "input_files": job.input_files, "metadata": job.metadata, "endpoint": job.endpoint,
        "model": job.model, "errors": if status == "FAILED" { json!([{"message": "the model is not available", "count": 1}]) } else { json!([]) },
        "status": status, "created_at": 1, "total_requests": total, "completed_requests": completed,
        "succeeded_requests": completed - failed, "failed_requests": failed,
    });
    if done {
        if job.inline {
            let outputs: Vec<Value> = job.ids.iter().enumerate().map(|(n, id)| serde_json::from_str(&result_line(n, id)).unwrap()).collect();
            out["outputs"] = json!(outputs);
        } else {
            out["output_file"] = json!(format!("out-{}", job.id));
            if failed_count > 0 {
                out["error_file"] = json!(format!("err-{}", job.id));
            }
        }
    }
    out
}
