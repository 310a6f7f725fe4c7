//! Issue 19: the `rust-version` the SDK crate declares is true for what a user gets today: at
//! least the newest `rust-version` among the dependencies its default features resolve to
//! (this machine has one toolchain, so the claim is checked against the dependency graph
//! rather than by building with the old compiler).

use std::process::Command;

fn version(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

#[test]
fn the_declared_rust_version_covers_the_default_dependency_graph() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let manifest = std::fs::read_to_string(root.join("generated/Cargo.toml")).unwrap();
    let declared = manifest.lines().find_map(|l| l.strip_prefix("rust-version = ")).expect("rust-version is declared").trim_matches('"').to_string();

    let tree = Command::new(env!("CARGO"))
        .args(["tree", "-p", "mistral-sdk", "-e", "normal", "--prefix", "none", "-f", "{p}", "--offline"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(tree.status.success(), "{}", String::from_utf8_lossy(&tree.stderr));
    let used: std::collections::BTreeSet<(String, String)> = String::from_utf8(tree.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?.to_string(), parts.next()?.trim_start_matches('v').to_string()))
        })
        .collect();

    let metadata = Command::new(env!("CARGO")).args(["metadata", "--format-version", "1", "--offline"]).current_dir(&root).output().unwrap();
    assert!(metadata.status.success(), "{}", String::from_utf8_lossy(&metadata.stderr));
    let metadata: serde_json::Value = serde_json::from_slice(&metadata.stdout).unwrap();
    let mut newest: Option<(Vec<u64>, String)> = None;
    for p in metadata["packages"].as_array().unwrap() {
        let key = (p["name"].as_str().unwrap().to_string(), p["version"].as_str().unwrap().to_string());
        let Some(rv) = p["rust_version"].as_str() else { continue };
        if key.0 != "mistral-sdk" && used.contains(&key) && newest.as_ref().is_none_or(|(v, _)| version(rv) > *v) {
            newest = Some((version(rv), format!("{} {} needs Rust {rv}", key.0, key.1)));
        }
    }
    let (needed, who) = newest.expect("dependencies declare rust versions");
    assert!(version(&declared) >= needed, "the crate declares rust-version {declared}, but {who}");
}
