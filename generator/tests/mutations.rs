//! A property test of the whole pipeline: the fixture specs, mutated at random (keys deleted,
//! values swapped for another JSON type, entries duplicated under another name, lists grown,
//! references pointed elsewhere), go through load → normalize → lower → render without a panic.
//! An error is fine (it must name a place, checked by `malformed.rs`); a panic or an abort is not.
//!
//! Deterministic: a fixed seed per fixture and mutant (`MUTATION_SEED` picks another start,
//! `MUTATIONS` the number of mutants per fixture), so a failure prints what reproduces it.

use sdkgen::Overlay;
use serde_json::{Map, Value};
use std::path::PathBuf;

/// xorshift64*: small, deterministic, good enough to pick places and operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Every node's path (object keys and list indexes), root excluded.
fn paths(v: &Value, here: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                here.push(Value::String(k.clone()));
                out.push(here.clone());
                paths(c, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                here.push(Value::from(i));
                out.push(here.clone());
                paths(c, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn parent_mut<'a>(root: &'a mut Value, path: &[Value]) -> Option<&'a mut Value> {
    let mut node = root;
    for step in &path[..path.len() - 1] {
        node = match (node, step) {
            (Value::Object(m), Value::String(k)) => m.get_mut(k)?,
            (Value::Array(a), Value::Number(i)) => a.get_mut(i.as_u64()? as usize)?,
            _ => return None,
        };
    }
    Some(node)
}

const REFS: &[&str] = &["#/components/schemas/Nope", "#/components/schemas", "#/$defs/X", "other.yaml#/A", "#", "#/paths", ""];

fn other_value(rng: &mut Rng, old: &Value) -> Value {
    let choices = [
        Value::Null,
        Value::Bool(rng.below(2) == 0),
        Value::from(rng.below(1000) as i64 - 500),
        Value::from(1.5),
        Value::String(["", "string", "object", "array", "#/components/schemas/Nope", "{id}", "null"][rng.below(7)].into()),
        Value::Array(vec![old.clone(), Value::Null]),
        Value::Object(Map::from_iter([("type".to_string(), Value::String("object".into()))])),
        Value::Array(Vec::new()),
        Value::Object(Map::new()),
    ];
    choices[rng.below(choices.len())].clone()
}

/// Applies one mutation somewhere in the document.
fn mutate(doc: &mut Value, rng: &mut Rng) -> String {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    if all.is_empty() {
        return "nothing to mutate".into();
    }
    let path = all[rng.below(all.len())].clone();
    let op = rng.below(6);
    let shown = path.iter().map(|p| p.to_string().trim_matches('"').to_string()).collect::<Vec<_>>().join("/");
    let Some(parent) = parent_mut(doc, &path) else { return "no parent".into() };
    let last = path.last().unwrap();
    match (parent, last) {
        (Value::Object(m), Value::String(k)) => match op {
            0 => {
                m.shift_remove(k);
                format!("delete {shown}")
            }
            1 | 2 => {
                let new = other_value(rng, &m[k]);
                m.insert(k.clone(), new);
                format!("swap type of {shown}")
            }
            3 => {
                let copy = m[k].clone();
                m.insert(format!("{k}_copy"), copy);
                format!("duplicate {shown}")
            }
            4 => {
                let r = REFS[rng.below(REFS.len())];
                m.insert(k.clone(), Value::Object(Map::from_iter([("$ref".to_string(), Value::String(r.into()))])));
                format!("point {shown} at {r}")
            }
            _ => {
                let v = m.shift_remove(k).unwrap();
                m.insert(["", "type", "required", "$ref", "allOf", "enum", "properties"][rng.below(7)].to_string(), v);
                format!("rename {shown}")
            }
        },
        (Value::Array(a), Value::Number(i)) => {
            let i = i.as_u64().unwrap() as usize;
            match op {
                0 | 1 => {
                    a.remove(i);
                    format!("delete {shown}")
                }
                2 | 3 => {
                    let copy = a[i].clone();
                    a.insert(i, copy);
                    format!("duplicate {shown}")
                }
                _ => {
                    a[i] = other_value(rng, &a[i]);
                    format!("swap type of {shown}")
                }
            }
        }
        _ => "no change".into(),
    }
}

#[test]
fn mutated_fixture_specs_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    fixtures.sort();
    let per_fixture: u64 = std::env::var("MUTATIONS").ok().and_then(|s| s.parse().ok()).unwrap_or(150);
    let seed: u64 = std::env::var("MUTATION_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed);
    let overlay = Overlay::parse("helpers: [completion]").unwrap();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    let (mut ok, mut errors) = (0, 0);
    for (f, path) in fixtures.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let original: Value = serde_yaml_ng::from_str(&text).unwrap();
        for n in 0..per_fixture {
            let mut rng = Rng(seed ^ ((f as u64) << 32 | n).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
            let mut doc = original.clone();
            let steps: Vec<String> = (0..1 + rng.below(3)).map(|_| mutate(&mut doc, &mut rng)).collect();
            let spec = serde_yaml_ng::to_string(&doc).unwrap();
            if std::env::var_os("MUTATION_TRACE").is_some() {
                // An abort (stack overflow) cannot be caught: this names the mutant that did it.
                eprintln!("{} mutant {n}: {}", path.file_name().unwrap().to_string_lossy(), steps.join("; "));
                std::fs::write(std::env::temp_dir().join("last-mutant.yaml"), &spec).unwrap();
            }
            match std::panic::catch_unwind(|| sdkgen::generate(&spec, &overlay).map(|g| g.files.len())) {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(e)) => {
                    errors += 1;
                    let msg = format!("{e:#}");
                    assert!(!msg.is_empty());
                }
                Err(panic) => {
                    let what =
                        panic.downcast_ref::<String>().cloned().or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default();
                    failures.push(format!("{} mutant {n} ({}): panicked: {what}", path.file_name().unwrap().to_string_lossy(), steps.join("; ")));
                }
            }
        }
    }
    std::panic::set_hook(hook);
    println!("{} mutants: {ok} generated, {errors} refused with an error, {} panicked", ok + errors + failures.len(), failures.len());
    assert!(failures.is_empty(), "{} panics:\n{}", failures.len(), failures.join("\n"));
    assert!(ok > errors, "most mutants should still generate ({ok} did, {errors} did not)");
}
