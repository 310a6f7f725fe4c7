//! `mistral-sdkgen`: generates the `mistral-sdk` Rust SDK from the Mistral OpenAPI 3.1 spec.
//!
//! ```text
//! spec YAML ─load─▶ serde_json::Value ─normalize─▶ openapiv3::OpenAPI ─lower(+overlay)─▶ IR
//!    IR ─render─▶ syn trees (built directly, quote for macro tokens) ─prettyplease─▶ .rs files
//!    IR ─minijinja─▶ Cargo.toml, README
//!    files ─emit─▶ output directory (atomic) + sdk-manifest.json
//! ```

pub mod diag;
pub mod emit;
pub mod fast;
pub mod helpers;
pub mod ir;
pub mod load;
pub mod lower;
pub mod names;
pub mod normalize;
pub mod overlay;
pub mod providers;
pub mod render;
pub mod surface;

use anyhow::Result;
use std::collections::BTreeMap;

pub use diag::Diagnostic;
pub use overlay::Overlay;

/// Everything one generation produces, before anything is written.
pub struct Generated {
    pub ir: ir::Ir,
    /// The SDK crate: path relative to its root → contents.
    pub files: BTreeMap<String, String>,
    /// The contract tests for the SDK (`tests/tests/contract.rs` in this project).
    pub contract_tests: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// The front half of the pipeline: spec text → normalized document and IR.
pub fn lower_spec(spec_text: &str, overlay: &Overlay) -> Result<(normalize::Normalized, ir::Ir, Vec<Diagnostic>)> {
    let mut diags = diag::Diagnostics::default();
    let value = load::parse_yaml(spec_text)?;
    let normalized = normalize::normalize(value, &mut diags)?;
    let ir = lower::lower(&normalized.openapi, overlay, &mut diags);
    Ok((normalized, ir, diags.finish()))
}

/// The spec file's bytes as text; bytes that are not UTF-8 are an error naming their line and
/// column.
pub fn spec_text(bytes: &[u8]) -> Result<&str> {
    load::utf8(bytes)
}

/// Generates from the spec file's bytes and replaces `out` with the crate, atomically: any
/// failure (bad bytes, an unusable document, an internal error of the generator, a write error)
/// leaves `out` exactly as it was. A panic inside the generator is a bug; it is reported as an
/// error rather than unwinding through the caller.
pub fn regenerate(spec: &[u8], overlay: &Overlay, out: &std::path::Path) -> Result<Generated> {
    let text = spec_text(spec)?;
    let generated = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| generate(text, overlay))).map_err(|panic| {
        let what = panic.downcast_ref::<String>().map(String::as_str).or_else(|| panic.downcast_ref::<&str>().copied()).unwrap_or("a panic");
        anyhow::anyhow!("internal error of the generator ({what}); nothing was written. Please report it with the spec")
    })??;
    emit::write_tree(out, &generated.files)?;
    Ok(generated)
}

/// Runs the whole pipeline in memory.
pub fn generate(spec_text: &str, overlay: &Overlay) -> Result<Generated> {
    let mut diags = diag::Diagnostics::default();
    let value = load::parse_yaml(spec_text)?;
    let normalize::Normalized { document, openapi } = normalize::normalize(value, &mut diags)?;
    // Lowering runs on one core; the other frees the document tree (lowering reads only the
    // parsed `openapi`) and hashes the spec meanwhile.
    let (ir, sha256) = std::thread::scope(|scope| {
        let side = scope.spawn(move || {
            drop(document);
            load::sha256_hex(spec_text.as_bytes())
        });
        let ir = lower::lower(&openapi, overlay, &mut diags);
        (ir, side.join().expect("the spec hashing thread panicked"))
    });
    let diagnostics = diags.finish();
    let spec = render::SpecInfo { title: ir.title.clone(), version: ir.version.clone(), sha256 };
    let rendered = render::render_all(&ir, &spec);
    // Freeing the parsed spec takes a while and nothing waits for it; after rendering, which
    // keeps both cores busy.
    std::thread::spawn(move || drop(openapi));
    let render::Rendering { files, contract_tests } = rendered?;
    Ok(Generated { ir, files, contract_tests, diagnostics })
}
