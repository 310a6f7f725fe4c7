//! The output directory is replaced atomically: a failure leaves it exactly as it was.

use std::collections::BTreeMap;

fn tree(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sdkgen-emit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn replaces_the_whole_tree() {
    let out = tmp("replace").join("generated");
    sdkgen::emit::write_tree(&out, &tree(&[("a.rs", "1"), ("src/b.rs", "2")])).unwrap();
    sdkgen::emit::write_tree(&out, &tree(&[("src/c.rs", "3")])).unwrap();
    assert_eq!(sdkgen::emit::read_tree(&out).unwrap(), tree(&[("src/c.rs", "3")]), "stale files are removed");
    let leftovers: Vec<_> = std::fs::read_dir(out.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("generated")], "no staging or backup directories remain");
}

#[test]
fn a_failed_write_leaves_the_previous_tree() {
    let out = tmp("fail").join("generated");
    let before = tree(&[("Cargo.toml", "[package]"), ("src/lib.rs", "// old")]);
    sdkgen::emit::write_tree(&out, &before).unwrap();
    // `x` is a file, so `x/y.rs` cannot be created: the write fails midway.
    let err = sdkgen::emit::write_tree(&out, &tree(&[("src/lib.rs", "// new"), ("x", "file"), ("x/y.rs", "boom")])).unwrap_err();
    assert!(format!("{err:#}").contains("x"), "{err:#}");
    assert_eq!(sdkgen::emit::read_tree(&out).unwrap(), before);
    let err = sdkgen::emit::write_tree(&out, &tree(&[("../escape.rs", "no")])).unwrap_err();
    assert!(format!("{err:#}").contains("outside"), "{err:#}");
    assert_eq!(sdkgen::emit::read_tree(&out).unwrap(), before);
}

#[test]
fn a_spec_that_fails_to_generate_writes_nothing() {
    // The pipeline renders everything in memory before any write; an error stops it first.
    assert!(sdkgen::generate("openapi: 3.1.0\npaths: 5\n", &sdkgen::Overlay::default()).is_err());
}
