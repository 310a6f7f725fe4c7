//! Project automation: `cargo xtask regen | check | fetch-spec | normalize-spec`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use sdkgen::Overlay;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Maintain the generated Mistral SDK")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Put a verified copy of the spec at spec/openapi.yaml.
    FetchSpec {
        /// Copy this file instead of downloading the URL in spec/source.toml.
        #[arg(long)]
        from: Option<PathBuf>,
        /// Accept a spec whose sha256 differs and record the new sha256 in spec/source.toml.
        #[arg(long)]
        update: bool,
    },
    /// Regenerate the SDK crate.
    Regen {
        /// The spec (default: spec/openapi.yaml, fetched first if absent).
        #[arg(long)]
        spec: Option<PathBuf>,
        /// The output directory (default: generated/).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Fail, showing the diff, when generated/ is not what the generator makes.
    Check {
        #[arg(long)]
        spec: Option<PathBuf>,
    },
    /// Write the normalized spec (3.0 form, `$defs` fixed) as JSON, e.g. for a mock server.
    NormalizeSpec {
        #[arg(long)]
        spec: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}

#[derive(serde::Deserialize)]
struct Source {
    url: String,
    sha256: String,
}

fn source() -> Result<Source> {
    let path = root().join("spec/source.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn fetch_spec(from: Option<&Path>, update: bool) -> Result<PathBuf> {
    let src = source()?;
    let bytes = match from {
        Some(p) => std::fs::read(p).with_context(|| format!("reading {}", p.display()))?,
        None => {
            eprintln!("downloading {}", src.url);
            let resp = reqwest::blocking::get(&src.url).with_context(|| format!("downloading {}", src.url))?;
            let status = resp.status();
            if !status.is_success() {
                bail!("downloading {}: HTTP {status}", src.url);
            }
            resp.bytes().context("reading the download")?.to_vec()
        }
    };
    let sha = sdkgen::load::sha256_hex(&bytes);
    if sha != src.sha256 {
        if !update {
            bail!(
                "the spec's sha256 is {sha}, but spec/source.toml records {} (the version generated/ was made from).\n\
                 If this is a new spec version, run `cargo xtask fetch-spec --update{}` and then `cargo xtask regen`.",
                src.sha256,
                from.map(|p| format!(" --from {}", p.display())).unwrap_or_default()
            );
        }
        let path = root().join("spec/source.toml");
        let text = std::fs::read_to_string(&path)?;
        std::fs::write(&path, text.replace(&src.sha256, &sha))?;
        eprintln!("spec/source.toml: sha256 updated to {sha}");
    }
    let dest = root().join("spec/openapi.yaml");
    let tmp = dest.with_extension("yaml.tmp");
    std::fs::write(&tmp, &bytes)?;
    std::fs::rename(&tmp, &dest)?;
    eprintln!("spec/openapi.yaml: {} bytes, sha256 {sha}", bytes.len());
    Ok(dest)
}

fn spec_path(spec: Option<PathBuf>) -> Result<PathBuf> {
    match spec {
        Some(p) => Ok(p),
        None => {
            let p = root().join("spec/openapi.yaml");
            if p.exists() {
                Ok(p)
            } else {
                fetch_spec(None, false)
            }
        }
    }
}

fn overlay() -> Result<Overlay> {
    let path = root().join("spec/overlay.yaml");
    Overlay::parse(&std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?)
}

fn generate(spec: &Path) -> Result<sdkgen::Generated> {
    let text = std::fs::read_to_string(spec).with_context(|| format!("reading {}", spec.display()))?;
    let out = sdkgen::generate(&text, &overlay()?).with_context(|| format!("generating from {}", spec.display()))?;
    for d in &out.diagnostics {
        eprintln!("{d}");
    }
    Ok(out)
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::FetchSpec { from, update } => {
            fetch_spec(from.as_deref(), update)?;
        }
        Cmd::Regen { spec, out } => {
            let spec = spec_path(spec)?;
            let out_dir = out.unwrap_or_else(|| root().join("generated"));
            let start = Instant::now();
            let generated = generate(&spec)?;
            sdkgen::emit::write_tree(&out_dir, &generated.files)?;
            eprintln!(
                "regenerated {} ({} types, {} files, {} warnings) in {:.0?}",
                out_dir.display(),
                generated.ir.types.len(),
                generated.files.len(),
                generated.diagnostics.len(),
                start.elapsed()
            );
        }
        Cmd::Check { spec } => {
            let spec = spec_path(spec)?;
            let generated = generate(&spec)?;
            let committed = sdkgen::emit::read_tree(&root().join("generated"))?;
            let mut diffs = 0;
            for (path, new) in &generated.files {
                match committed.get(path) {
                    Some(old) if old == new => {}
                    Some(old) => {
                        diffs += 1;
                        let diff = similar::TextDiff::from_lines(old.as_str(), new.as_str());
                        print!("{}", diff.unified_diff().context_radius(3).header(&format!("a/generated/{path}"), &format!("b/generated/{path}")));
                    }
                    None => {
                        diffs += 1;
                        println!("+++ generated/{path} is missing from the committed tree");
                    }
                }
            }
            for path in committed.keys().filter(|p| !generated.files.contains_key(*p)) {
                diffs += 1;
                println!("--- generated/{path} is committed but no longer generated");
            }
            if diffs > 0 {
                bail!("generated/ is out of date in {diffs} file(s): run `cargo xtask regen` and commit the result");
            }
            eprintln!("generated/ is up to date ({} files)", generated.files.len());
        }
        Cmd::NormalizeSpec { spec, out } => {
            let spec = spec_path(spec)?;
            let text = std::fs::read_to_string(&spec)?;
            let (normalized, _, diags) = sdkgen::lower_spec(&text, &overlay()?)?;
            for d in &diags {
                eprintln!("{d}");
            }
            std::fs::write(&out, serde_json::to_string_pretty(&normalized.document)?)?;
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(())
}
