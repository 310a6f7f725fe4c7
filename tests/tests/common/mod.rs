//! Shared helpers for the SDK tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The project root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The spec the committed SDK was generated from (`cargo xtask fetch-spec` puts it there).
pub fn spec_text() -> String {
    let path = root().join("spec/openapi.yaml");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run `cargo xtask fetch-spec --from ../shared/spec/mistral-openapi.yaml` first", path.display()))
}

pub fn overlay() -> sdkgen::Overlay {
    sdkgen::Overlay::parse(&std::fs::read_to_string(root().join("spec/overlay.yaml")).unwrap()).unwrap()
}

/// JSON equality where numbers compare by value (`1` equals `1.0`: JSON has one number type).
pub fn json_eq(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::*;
    match (a, b) {
        (Number(x), Number(y)) => x.as_f64() == y.as_f64(),
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_eq(a, b)),
        (Object(x), Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w))),
        _ => a == b,
    }
}

#[allow(unused)]
pub mod chat_script;
pub mod contract;
pub mod prism_server;
