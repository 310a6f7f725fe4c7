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
    let spec_path =
        std::env::args().skip(1).find(|a| !a.starts_with('-')).map(std::path::PathBuf::from).unwrap_or_else(|| root.join("spec/openapi.yaml"));
    let spec =
        std::fs::read_to_string(&spec_path).unwrap_or_else(|e| panic!("reading {}: {e} (run `cargo xtask fetch-spec` first)", spec_path.display()));
    let overlay = sdkgen::Overlay::parse(&std::fs::read_to_string(root.join("spec/overlay.yaml")).unwrap()).unwrap();
    let runs: usize = std::env::var("REGEN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(21);
    // `REGEN_BENCH_ONLY=parse|generate`: run one side only, to count its instructions
    // (`perf stat -e instructions:u`), which unlike time does not drift with the machine.
    match std::env::var("REGEN_BENCH_ONLY").as_deref() {
        Ok("parse") => return (0..runs).for_each(|_| drop(sdkgen::load::parse_whole(&spec).unwrap())),
        Ok("generate") => return (0..runs).for_each(|_| drop(sdkgen::generate(&spec, &overlay).unwrap())),
        _ => {}
    }
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
    println!(
        "(fastest runs: parse {:.1} ms, regeneration {:.1} ms, ratio {:.2}x)",
        pmin.as_secs_f64() * 1e3,
        fmin.as_secs_f64() * 1e3,
        fmin.as_secs_f64() / pmin.as_secs_f64()
    );
    if std::env::var_os("REGEN_BENCH_STAGES").is_some() {
        stages(&spec, &overlay, runs);
    }
}

/// `REGEN_BENCH_STAGES=1`: the medians of each stage of a regeneration, run one after another.
fn stages(spec: &str, overlay: &sdkgen::Overlay, runs: usize) {
    let mut t_load = Vec::new();
    let mut t_norm = Vec::new();
    let mut t_lower = Vec::new();
    let mut t_render = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let v = sdkgen::load::parse_yaml(spec).unwrap();
        t_load.push(t.elapsed());
        let t = Instant::now();
        let mut diags = sdkgen::diag::Diagnostics::default();
        let n = sdkgen::normalize::normalize(v, &mut diags).unwrap();
        t_norm.push(t.elapsed());
        let t = Instant::now();
        let ir = sdkgen::lower::lower(&n.openapi, overlay, &mut diags);
        t_lower.push(t.elapsed());
        std::thread::spawn(move || drop(n));
        let info = sdkgen::render::SpecInfo { title: String::new(), version: String::new(), sha256: String::new() };
        let t = Instant::now();
        let out = sdkgen::render::render_all(&ir, &info).unwrap();
        t_render.push(t.elapsed());
        drop(out);
    }
    for (name, xs) in [("load (parallel parse)", t_load), ("normalize", t_norm), ("lower", t_lower), ("render + format", t_render)] {
        println!("  stage {name:<22} median {:.1} ms", median(xs).as_secs_f64() * 1e3);
    }
}
