//! Loading: spec text → `serde_json::Value`, plus the spec's identity (title, version, sha256).

use anyhow::{Context, Result};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Parses YAML (or JSON, a subset) into a JSON value. YAML-only constructs that JSON cannot hold
/// (non-string keys, tags) are rejected with the location serde_yaml_ng reports.
pub fn parse_yaml(text: &str) -> Result<Value> {
    serde_yaml_ng::from_str::<Value>(text).context("the spec is not valid YAML/JSON")
}

/// Hex sha256 of the spec bytes, as recorded in `spec/source.toml` and the SDK manifest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
