//! Stoplight Prism (installed from npm into `tools/prism`), started on 127.0.0.1 with the
//! generator's normalized spec: it validates the requests it gets against the spec and answers
//! with responses made from the spec (`-d`), an invalid request with a 4xx (`--errors`).

use super::root;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Prism; killed when dropped.
pub struct Prism(Child);

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Prism on a free port of 127.0.0.1 with the generator's normalized spec and waits
/// until it listens; returns it and its URL.
pub fn start() -> (Prism, String) {
    let bin = root().join("tools/prism/node_modules/.bin/prism");
    assert!(bin.exists(), "{} is missing: run `npm ci --prefix tools/prism`", bin.display());
    let (normalized, _, _) = sdkgen::lower_spec(&super::spec_text(), &super::overlay()).unwrap();
    let spec = std::env::temp_dir().join(format!("mistral-prism-{}.json", std::process::id()));
    std::fs::write(&spec, serde_json::to_vec(&sdkgen::normalize::for_mock_server(normalized.document)).unwrap()).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::File::create(std::env::temp_dir().join(format!("mistral-prism-{}.log", std::process::id()))).unwrap();
    let child = Command::new(bin)
        .args(["mock", "-d", "--errors", "-h", "127.0.0.1", "-p", &port.to_string()])
        .arg(&spec)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .expect("starting prism");
    let prism = Prism(child);
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(120), "prism did not start listening within 120 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    (prism, format!("http://127.0.0.1:{port}"))
}
