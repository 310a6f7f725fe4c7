//! The generator's output compiles without warnings on its own, outside this workspace (no
//! workspace inheritance, no path dependencies), for every fixture spec, every older published
//! spec in `../shared/spec/history/` and the current spec. One `cargo check` over a temporary
//! workspace of all of them, so dependencies are checked once.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::Command;

fn history_dir() -> PathBuf {
    std::env::var_os("MISTRAL_SPEC_HISTORY").map(PathBuf::from).unwrap_or_else(|| root().join("../shared/spec/history"))
}

#[test]
fn generated_crates_compile_standalone_without_warnings() {
    let mut specs: Vec<(String, String)> = Vec::new();
    for entry in std::fs::read_dir(root().join("tests/fixtures")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().replace('-', "_");
        specs.push((format!("fixture_{name}"), std::fs::read_to_string(&path).unwrap()));
    }
    let history = history_dir();
    let mut history_count = 0;
    for entry in std::fs::read_dir(&history).unwrap_or_else(|e| panic!("{}: {e}", history.display())) {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            history_count += 1;
            let name = path.file_stem().unwrap().to_string_lossy().replace('-', "_");
            specs.push((name, std::fs::read_to_string(&path).unwrap()));
        }
    }
    assert!(history_count >= 3, "expected the older specs in {}", history.display());
    specs.push(("current".into(), spec_text()));
    specs.sort();

    let ws = std::env::temp_dir().join(format!("mistral-generated-crates-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&ws);
    let mut members = Vec::new();
    let mut helpers_added = Vec::new();
    for (name, spec) in &specs {
        let generated = sdkgen::generate(spec, &overlay_for(name)).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        match name.as_str() {
            "fixture_helper_fit" => assert_eq!(generated.ir.helpers, ["completion"], "{name}: the helper fits"),
            "current" => {
                // Every helper the project's overlay lists fits the current spec.
                assert_eq!(generated.ir.helpers, overlay().helpers, "{name}: every helper fits")
            }
            "fixture_helper_misfit" => assert!(generated.ir.helpers.is_empty(), "{name}: the helper does not fit"),
            _ => {}
        }
        helpers_added.push(format!("{name}: {:?}", generated.ir.helpers));
        let dir = ws.join(name);
        // Each crate is named `mistral-sdk`; give each a distinct package name in this workspace.
        let mut files = generated.files;
        let manifest = files.get_mut("Cargo.toml").unwrap();
        *manifest = manifest.replacen("name = \"mistral-sdk\"", &format!("name = \"mistral-sdk-{}\"", name.replace('_', "-")), 1);
        sdkgen::emit::write_tree(&dir, &files).unwrap();
        members.push(format!("\"{name}\""));
    }
    std::fs::write(ws.join("Cargo.toml"), format!("[workspace]\nresolver = \"2\"\nmembers = [{}]\n", members.join(", "))).unwrap();
    if let Ok(lock) = std::fs::read(root().join("Cargo.lock")) {
        // Same dependency versions as the project, and no registry look-ups.
        std::fs::write(ws.join("Cargo.lock"), lock).unwrap();
    }
    let status = Command::new(env!("CARGO"))
        // Every feature, so the helpers behind their own features are compiled too.
        .args(["check", "--workspace", "--all-features", "--quiet"])
        .current_dir(&ws)
        .env("CARGO_TARGET_DIR", root().join("target/generated-crates"))
        .env("RUSTFLAGS", "-D warnings")
        .status()
        .expect("running cargo");
    assert!(status.success(), "cargo check failed for the crates generated in {}", ws.display());
    println!("{} generated crates compile standalone without warnings: {}", specs.len(), members.join(", "));
    println!("helpers added: {}", helpers_added.join("; "));
    let _ = std::fs::remove_dir_all(&ws);
}

/// The project overlay names types of the current spec; older specs get it too (a stale rename
/// is only a warning). Fixtures get only its helpers, which are added where their declared shapes
/// fit (`fixture_helper_fit`) and left out where they do not (`fixture_helper_misfit`).
fn overlay_for(name: &str) -> sdkgen::Overlay {
    if name.starts_with("fixture_") {
        sdkgen::Overlay { helpers: overlay().helpers, ..Default::default() }
    } else {
        overlay()
    }
}
