//! The crate's runnable examples (`generated/examples/`), run as a user runs them: built
//! binaries, configured only by `MISTRAL_API_KEY` and `MISTRAL_BASE_URL`, here pointed at Prism
//! on 127.0.0.1, which checks every request they send against the spec and answers from it.
//! `cargo xtask test` builds them first (`cargo build -p mistral-sdk --examples --all-features`).

#[path = "../src/batch_service.rs"]
mod batch_service;
mod common;

use std::path::PathBuf;
use std::process::Command;

/// The examples that run against the mock, and why the others do not.
const RUN: &[&str] = &["chat", "embeddings", "errors", "ocr", "agents", "connectors"];
// Not run: `streaming` (Prism does not serve event streams), `pagination` (Prism's made-up
// cursors never end a list), `tool_loop` (the loop needs the model to call the tool, which a
// made-up answer does not), `structured` (a made-up answer is not the JSON asked for),
// `transcription` and `realtime` (audio input; realtime is a WebSocket), `azure` and `vertex`
// (other hosts' routes), `batch` (Prism makes up a job id that is not the UUID its own spec
// then requires of `jobs.get`). All of them are compiled.

fn example(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| common::root().join("target"));
    let bin = target.join("debug/examples").join(name);
    assert!(bin.exists(), "{} is missing: run `cargo build -p mistral-sdk --examples --all-features` (cargo xtask test does)", bin.display());
    bin
}

#[test]
fn the_examples_run_against_a_mock_that_checks_their_requests() {
    let (_prism, uri) = common::prism_server::start();
    for name in RUN {
        let out = Command::new(example(name))
            .env("MISTRAL_API_KEY", "test-key")
            .env("MISTRAL_BASE_URL", &uri)
            .env_remove("RUST_LOG")
            .output()
            .unwrap_or_else(|e| panic!("running the {name} example: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "the {name} example failed ({}):\n{stdout}\n{stderr}", out.status);
        assert!(!stdout.trim().is_empty(), "the {name} example printed nothing");
    }
}

/// The typed batch example (20,000 requests: uploaded as JSONL, a progress bar, the answers)
/// against the loopback Files and Batch stand-in, which Prism cannot play (see above).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_batch_run_example_runs_against_the_batch_stand_in() {
    let service = batch_service::start(0, 3, false).await;
    let out = tokio::process::Command::new(example("batch_run"))
        .env("MISTRAL_API_KEY", "test-key")
        .env("MISTRAL_BASE_URL", &service.base)
        .env_remove("RUST_LOG")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("[##############################]  20000/20000 done, 0 failed"), "{stdout}");
    assert!(stdout.contains("rhyme-0: echo rhyme-0"), "{stdout}");
    assert!(stdout.trim_end().ends_with("20000 answers, 0 failures"), "{stdout}");
    let s = service.state.lock().unwrap();
    assert_eq!(s.uploads.iter().map(|u| u.custom_ids.len()).sum::<usize>(), 20_000, "uploaded, not inline");
}
