//! Times each pipeline stage once (diagnostics for the regen benchmark).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let spec = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let overlay = sdkgen::Overlay::parse(&std::fs::read_to_string("spec/overlay.yaml").unwrap()).unwrap();
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let (_n, ir, _) = sdkgen::lower_spec(&spec, &overlay).unwrap();
        let t1 = t.elapsed();
        let spec_info = sdkgen::render::SpecInfo { title: String::new(), version: String::new(), sha256: String::new() };
        let (files, c) = sdkgen::render::render_all(&ir, &spec_info, true).unwrap();
        let t2 = t.elapsed();
        println!("front {:?} render (crate and contract tests) {:?} ({} files, {} bytes of tests)", t1, t2 - t1, files.len(), c.map_or(0, |c| c.len()));
    }
}
