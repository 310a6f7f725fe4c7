//! `cargo bench -p mistral-sdkgen --bench regen [-- SPEC]`: a full regeneration (in memory: parse,
//! normalize, lower, render, format) against merely parsing the spec's YAML into a
//! `serde_json::Value`, side by side in one run. Prints medians and their ratio.

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
    let spec_path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("spec/openapi.yaml"));
    let spec = std::fs::read_to_string(&spec_path).unwrap_or_else(|e| panic!("reading {}: {e} (run `cargo xtask fetch-spec` first)", spec_path.display()));
    let overlay = sdkgen::Overlay::parse(&std::fs::read_to_string(root.join("spec/overlay.yaml")).unwrap()).unwrap();
    let runs: usize = std::env::var("REGEN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(21);
    let (mut parse, mut full) = (Vec::new(), Vec::new());
    // Interleaved, so both see the same machine state.
    for _ in 0..runs {
        let t = Instant::now();
        let v = sdkgen::load::parse_whole(&spec).unwrap();
        parse.push(t.elapsed());
        drop(v);
        let t = Instant::now();
        let g = sdkgen::generate(&spec, &overlay).unwrap();
        full.push(t.elapsed());
        drop(g);
    }
    let (pmin, fmin) = (*parse.iter().min().unwrap(), *full.iter().min().unwrap());
    let (p, f) = (median(parse), median(full));
    println!("spec: {} ({} bytes), {runs} runs each, interleaved", spec_path.display(), spec.len());
    println!("parse YAML into serde_json::Value: median {:.1} ms", p.as_secs_f64() * 1e3);
    println!("full regeneration (in memory):     median {:.1} ms", f.as_secs_f64() * 1e3);
    println!("ratio of medians: {:.2}x (goal: at most 3x)", f.as_secs_f64() / p.as_secs_f64());
    println!("(fastest runs: parse {:.1} ms, regeneration {:.1} ms, ratio {:.2}x)", pmin.as_secs_f64() * 1e3, fmin.as_secs_f64() * 1e3, fmin.as_secs_f64() / pmin.as_secs_f64());
}
