//! `sdkgen --spec openapi.yaml --out generated/ [--overlay spec/overlay.yaml]`

use anyhow::{Context, Result};

// The generator allocates many small strings (tokens, syn nodes); mimalloc makes a full
// regeneration markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Generate the mistral-sdk Rust SDK from an OpenAPI 3.1 spec")]
struct Args {
    /// The OpenAPI YAML or JSON file.
    #[arg(long)]
    spec: PathBuf,
    /// The directory to (re)write; replaced atomically.
    #[arg(long)]
    out: PathBuf,
    /// The project overlay (names and overrides).
    #[arg(long)]
    overlay: Option<PathBuf>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let spec = std::fs::read(&args.spec).with_context(|| format!("reading {}", args.spec.display()))?;
    let overlay = match &args.overlay {
        Some(p) => sdkgen::Overlay::parse(&std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)?,
        None => sdkgen::Overlay::default(),
    };
    // In memory first, then swapped in: on any error the output directory is left as it was.
    let out = sdkgen::regenerate(&spec, &overlay, &args.out).with_context(|| format!("generating from {}", args.spec.display()))?;
    for d in &out.diagnostics {
        eprintln!("{d}");
    }
    eprintln!("wrote {} files ({} types) to {}", out.files.len(), out.ir.types.len(), args.out.display());
    Ok(())
}
