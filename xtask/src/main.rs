//! Project automation: `cargo xtask regen | check | fetch-spec | normalize-spec`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use sdkgen::Overlay;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
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
        /// Copy this file instead of downloading the URL in spec/source.toml (default:
        /// ../shared/spec/mistral-openapi.yaml when it exists).
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
        /// Print each spec quirk the generator worked around (by default one summary line).
        #[arg(long, short)]
        verbose: bool,
    },
    /// Write the API-change report's entry into CHANGELOG.md and bump the crate's version in
    /// spec/overlay.yaml as the report classifies the changes (0.x: minor for a breaking change,
    /// else patch), then regenerate. The changes are those of generated/ against a git revision.
    Changelog {
        /// The revision whose generated/api-surface.json is the last release's (default: HEAD).
        #[arg(long, default_value = "HEAD")]
        since: String,
    },
    /// Print the API-change report between the crates two specs generate.
    ApiDiff {
        old: PathBuf,
        new: PathBuf,
        /// Also generate each into DIR/old and DIR/new (to compare with other tools).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check the API-change report against cargo-semver-checks (`cargo install
    /// cargo-semver-checks`) on consecutive specs: each given spec after the first is compared
    /// with the one before it. Where the report finds no breaking change, cargo-semver-checks
    /// must find none; each breaking change it finds must be in the report.
    SemverAudit {
        /// The specs, oldest first (default: ../shared/spec/history/*.yaml, then the current).
        specs: Vec<PathBuf>,
        /// Reuse cargo-semver-checks' output of an earlier run (target/semver-audit/N/) when
        /// there is one: only the report is made again.
        #[arg(long)]
        reuse: bool,
    },
    /// Fail, showing the diff, when generated/ is not what the generator makes.
    Check {
        #[arg(long)]
        spec: Option<PathBuf>,
    },
    /// Run every test of the workspace (fetching the spec first if needed).
    Test {
        /// Extra arguments for the test runner (cargo nextest run, or cargo test).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Measure the generated crate's own debug build time as a dependency is built (clean
    /// package, non-incremental, dependencies built), with every feature and with `chat` only,
    /// side by side with a reference crate of 750 serde structs and 300 serde enums.
    BenchCompile {
        /// Builds of each crate; the median is reported.
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// Also time generated/ as committed at this git revision (e.g. before a change).
        #[arg(long)]
        baseline: Option<String>,
    },
    /// Check that the generated crate compiles with `-D warnings` under each of its features
    /// alone (`--no-default-features --features X`), with none, and with all of them.
    CheckFeatures,
    /// Write the normalized spec (3.0 form, `$defs` fixed) as JSON, e.g. for a mock server.
    NormalizeSpec {
        #[arg(long)]
        spec: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
}

/// Where the generated contract tests go.
const CONTRACT_TESTS: &str = "tests/tests/common/cases.rs";
/// The API-change report of the last regeneration, for reviewers (and the scheduled
/// regeneration's pull request).
const API_CHANGES: &str = "API-CHANGES.md";

/// The API surface in a generated tree (`None` when it has none yet).
fn read_surface(dir: &Path) -> Result<Option<sdkgen::surface::Surface>> {
    let path = dir.join(sdkgen::surface::FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The spec's sha256 a generated manifest records (`… (sha256 X).`), or `?`.
fn manifest_sha(manifest: &str) -> String {
    manifest.split("(sha256 ").nth(1).and_then(|r| r.split(')').next()).unwrap_or("?").to_string()
}

/// `cargo xtask semver-audit`: the report's classification against cargo-semver-checks.
fn semver_audit(mut specs: Vec<PathBuf>, reuse: bool) -> Result<()> {
    if specs.is_empty() {
        let history = root().join("../shared/spec/history");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&history)
            .with_context(|| format!("reading {}", history.display()))?
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        found.sort();
        specs = found;
        specs.push(root().join("../shared/spec/mistral-openapi.yaml"));
    }
    let work = root().join("target/semver-audit");
    let mut rows = Vec::new();
    let mut failed = false;
    for pair in specs.windows(2) {
        let (old, new) = (&pair[0], &pair[1]);
        let dir = work.join(format!("{}", rows.len()));
        let saved = dir.join("semver-checks.txt");
        let earlier = if reuse { std::fs::read_to_string(&saved).ok() } else { None };
        if earlier.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let gen = |spec: &Path, to: &Path| -> Result<sdkgen::surface::Surface> {
            let g = sdkgen::regenerate(&std::fs::read(spec)?, &overlay()?, to)?;
            // A package of its own, outside the workspace.
            let manifest = to.join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest)?;
            write_atomic(&manifest, &format!("{text}\n[workspace]\n"))?;
            Ok(serde_json::from_str(&g.files[sdkgen::surface::FILE])?)
        };
        let a = gen(old, &dir.join("old"))?;
        let b = gen(new, &dir.join("new"))?;
        let changes = sdkgen::surface::diff(&a, &b);
        let breaking: Vec<&sdkgen::surface::Change> = changes.iter().filter(|c| c.breaking).collect();
        eprintln!("{} → {}: the report finds {} change(s), {} breaking", old.display(), new.display(), changes.len(), breaking.len());
        let (text, success) = match earlier {
            Some(text) => {
                let success = !text.contains("--- failure ");
                (text, success)
            }
            None => {
                let out = Command::new("cargo")
                    .args(["semver-checks", "check-release", "--release-type", "patch", "--all-features", "--color", "never"])
                    .arg("--manifest-path")
                    .arg(dir.join("new/Cargo.toml"))
                    .arg("--baseline-root")
                    .arg(dir.join("old"))
                    .output()
                    .context("running cargo semver-checks (cargo install cargo-semver-checks)")?;
                let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
                std::fs::write(&saved, &text)?;
                (text, out.status.success())
            }
        };
        // Each instance it reports: the lines under "Failed in:" that name a place in a file.
        let mut instances = Vec::new();
        let mut lint = String::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("--- failure ") {
                lint = rest.split(':').next().unwrap_or("").to_string();
            } else if line.starts_with("  ") && (line.contains(" in /") || line.contains(", previously in")) && !lint.is_empty() {
                instances.push((lint.clone(), line.trim().to_string()));
            }
        }
        anyhow::ensure!(success || !instances.is_empty(), "cargo semver-checks failed without findings:\n{text}");
        // An instance is in the report when an entry names what it names: the identifiers in
        // the entry's backticks (a method also by its builder, `list_jobs` → `ListJobsBuilder`).
        // Deprecations are minor-level findings: any entry will do; the rest must be breaking.
        let words = |s: &str| -> Vec<String> {
            s.replace("r#", "").split(|c: char| !(c.is_alphanumeric() || c == '_')).filter(|w| !w.is_empty()).map(String::from).collect()
        };
        let names_of = |c: &sdkgen::surface::Change| -> Vec<Vec<String>> {
            let quoted = c.item.split('`').nth(1).unwrap_or(&c.item).to_string();
            let ids = words(&quoted);
            let mut alts = vec![ids.clone()];
            let pascal = |w: &str| w.split('_').filter(|p| !p.is_empty()).map(|p| p[..1].to_uppercase() + &p[1..]).collect::<String>();
            if c.item.starts_with("method") || c.item.starts_with("group") {
                if let Some((last, group)) = ids.split_last() {
                    // The handle's type and the method (`SearchIndexes::put_indexes`, `Beta::workflows`).
                    if let Some(owner) = group.last() {
                        alts.push(vec![pascal(owner), last.clone()]);
                    }
                    if c.item.starts_with("method") {
                        alts.push(group.iter().cloned().chain([format!("{}Builder", pascal(last))]).collect());
                    }
                }
            }
            alts
        };
        let missed: Vec<&(String, String)> = instances
            .iter()
            .filter(|(lint, inst)| {
                let inst_words = words(inst.split(", previously").next().unwrap_or(inst).split(" in /").next().unwrap_or(inst));
                let candidates: Vec<&sdkgen::surface::Change> = if lint.contains("deprecated") { changes.iter().collect() } else { breaking.clone() };
                !candidates.iter().any(|c| names_of(c).iter().any(|ids| !ids.is_empty() && ids.iter().all(|w| inst_words.contains(w))))
            })
            .collect();
        let major = instances.iter().filter(|(lint, _)| !lint.contains("deprecated")).count();
        let ok = (breaking.is_empty() == (major == 0)) && missed.is_empty();
        failed |= !ok;
        for (l, i) in &missed {
            eprintln!("  not in the report: {l}: {i}");
        }
        rows.push(format!(
            "| {} → {} | {} | {} | {} | {} |",
            old.file_name().unwrap_or_default().to_string_lossy(),
            new.file_name().unwrap_or_default().to_string_lossy(),
            changes.len(),
            breaking.len(),
            major,
            missed.len()
        ));
    }
    println!(
        "| specs | changes in the report | breaking in the report | breaking instances cargo-semver-checks finds | of those, not in the report |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for r in rows {
        println!("{r}");
    }
    anyhow::ensure!(!failed, "the report and cargo-semver-checks disagree (details above; outputs in {})", work.display());
    Ok(())
}

/// `cargo xtask changelog`: the entry, the version bump, the regeneration.
fn changelog(since: &str) -> Result<()> {
    let rel = format!("{since}:generated/{}", sdkgen::surface::FILE);
    let old = Command::new("git").args(["show", &rel]).current_dir(root()).output().context("running git")?;
    anyhow::ensure!(old.status.success(), "no {rel}: {}", String::from_utf8_lossy(&old.stderr).trim());
    let old: sdkgen::surface::Surface = serde_json::from_slice(&old.stdout).with_context(|| format!("reading {rel}"))?;
    anyhow::ensure!(
        old.format == sdkgen::surface::FORMAT,
        "{rel} has format {}, this generator writes {}: give --since a revision generated by this generator",
        old.format,
        sdkgen::surface::FORMAT
    );
    let new = read_surface(&root().join("generated"))?.context("generated/ has no api-surface.json: run `cargo xtask regen`")?;
    let changes = sdkgen::surface::diff(&old, &new);
    let overlay_path = root().join("spec/overlay.yaml");
    let version = overlay()?.version.unwrap_or_else(|| "0.1.0".into());
    let bump = sdkgen::surface::bump(&changes);
    if bump == sdkgen::surface::Bump::None {
        println!("No change to the crate's API since {since}: nothing to write.");
        return Ok(());
    }
    let next = sdkgen::surface::bumped(&version, bump);
    let manifest = std::fs::read_to_string(root().join("generated/Cargo.toml"))?;
    let date = Command::new("date").arg("+%Y-%m-%d").output().ok().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default();
    let report = sdkgen::surface::report(&changes, &version, since, &format!("spec sha256 {}", manifest_sha(&manifest)));
    let body = report.split_once('\n').map_or("", |(_, rest)| rest).replace("\n## ", "\n### ");
    let entry = format!("## {next} ({date})\n{body}");
    let path = root().join("CHANGELOG.md");
    let old_log = std::fs::read_to_string(&path).unwrap_or_else(|_| "# Changelog\n\nThe SDK crate's releases, newest first. Each entry is the API-change report of its regeneration (`cargo xtask changelog`).\n\n".into());
    let (head, rest) = match old_log.find("\n## ") {
        Some(i) => old_log.split_at(i + 1),
        None => (old_log.as_str(), ""),
    };
    write_atomic(&path, &format!("{head}{entry}\n{rest}"))?;
    // The version line of the overlay, rewritten in place (its comments stay).
    let text = std::fs::read_to_string(&overlay_path)?;
    let line = format!("version: {next}");
    let text = match text.lines().position(|l| l.starts_with("version:")) {
        Some(i) => text.lines().enumerate().map(|(j, l)| if j == i { line.clone() } else { l.to_string() }).collect::<Vec<_>>().join("\n") + "\n",
        None => format!("{line}\n{text}"),
    };
    write_atomic(&overlay_path, &text)?;
    println!("{version} → {next}: CHANGELOG.md and spec/overlay.yaml written; regenerating.");
    run(cargo().args(["xtask", "regen"]))?;
    // That regeneration changed only the version; the report stays the one against `since`.
    write_atomic(&root().join(API_CHANGES), &report)
}

fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = path.with_extension("rs.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
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

/// The shared copy of the published spec beside the project, used instead of a download when
/// present (it is checked against spec/source.toml like a download).
fn local_mirror() -> Option<PathBuf> {
    let p = root().join("../shared/spec/mistral-openapi.yaml");
    p.exists().then_some(p)
}

fn spec_path(spec: Option<PathBuf>) -> Result<PathBuf> {
    match spec {
        Some(p) => Ok(p),
        None => {
            let p = root().join("spec/openapi.yaml");
            if p.exists() {
                Ok(p)
            } else {
                fetch_spec(local_mirror().as_deref(), false)
            }
        }
    }
}

fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {:?}", cmd);
    let status = cmd.status().with_context(|| format!("starting {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} failed: {status}", cmd.get_program());
    }
    Ok(())
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn has_nextest() -> bool {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Installs Stoplight Prism (`tools/prism`, for the request-validation tests) with `npm ci`
/// when it is missing or older than its lock file, so `cargo xtask test` needs no set-up step.
fn ensure_prism() -> Result<()> {
    let dir = root().join("tools/prism");
    let installed = dir.join("node_modules/.package-lock.json");
    let lock = dir.join("package-lock.json");
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let fresh = dir.join("node_modules/.bin/prism").exists() && matches!((mtime(&installed), mtime(&lock)), (Some(i), Some(l)) if i >= l);
    if fresh {
        return Ok(());
    }
    eprintln!("installing Stoplight Prism for the request-validation tests: npm ci --prefix tools/prism");
    let status = Command::new("npm").args(["ci", "--prefix"]).arg(&dir).args(["--no-audit", "--no-fund"]).status();
    match status {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => bail!("`npm ci --prefix tools/prism` failed ({s}); the Prism tests need it (Node.js 18+ with npm)"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("`npm` was not found: install Node.js (18 or later, with npm) for the Prism request-validation tests, then run `cargo xtask test` again")
        }
        Err(e) => bail!("running npm: {e}"),
    }
}

fn test(args: &[String]) -> Result<()> {
    spec_path(None)?;
    ensure_prism()?;
    // The examples run as built binaries (tests/tests/examples.rs).
    run(cargo().args(["build", "-p", "mistral-sdk", "--examples", "--all-features"]))?;
    if has_nextest() {
        run(cargo().args(["nextest", "run", "--workspace", "--no-fail-fast", "--success-output", "final"]).args(args))?;
        // nextest does not run doctests.
        run(cargo().args(["test", "--workspace", "--doc"]))
    } else {
        run(cargo().args(["test", "--workspace", "--no-fail-fast"]).args(args))
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

/// Times `cargo build -p PKG [ARGS]` after `cargo clean -p PKG`, in the given workspace, as a
/// dependency is built: a debug build without incremental compilation.
fn time_build(dir: &Path, pkg: &str, target: &Path, args: &[&str]) -> Result<f64> {
    let mut clean = cargo();
    clean.current_dir(dir).env("CARGO_TARGET_DIR", target).args(["clean", "-p", pkg, "--quiet"]);
    run(&mut clean)?;
    let start = Instant::now();
    let mut build = cargo();
    build.current_dir(dir).env("CARGO_TARGET_DIR", target).env("CARGO_INCREMENTAL", "0").args(["build", "-p", pkg, "--quiet"]).args(args);
    run(&mut build)?;
    Ok(start.elapsed().as_secs_f64())
}

/// The feature set of the trimmed build `bench-compile` times: what a user who only chats asks for.
const CHAT_ONLY: &[&str] = &["--no-default-features", "--features", "chat"];

/// A crate of 750 serde structs and 300 serde enums: the yardstick DESIGN.md names.
fn reference_crate(dir: &Path) -> Result<()> {
    let mut src = String::from("#![allow(dead_code)]\nuse serde::{Deserialize, Serialize};\n");
    for i in 0..300 {
        src.push_str(&format!(
            "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\n#[serde(rename_all = \"snake_case\")]\npub enum E{i} {{ Alpha, Beta, Gamma, Delta, #[serde(other)] Other }}\n"
        ));
    }
    for i in 0..750 {
        src.push_str(&format!(
            "#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]\npub struct S{i} {{ pub id: String, #[serde(default, skip_serializing_if = \"Option::is_none\")] pub name: Option<String>, pub count: i64, #[serde(default)] pub tags: Vec<String>, #[serde(default, skip_serializing_if = \"Option::is_none\")] pub score: Option<f64>, pub kind: E{}, #[serde(default, skip_serializing_if = \"Option::is_none\")] pub meta: Option<serde_json::Value> }}\n",
            i % 300
        ));
    }
    std::fs::create_dir_all(dir.join("src"))?;
    std::fs::write(dir.join("src/lib.rs"), src)?;
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"reference-serde-crate\"\nversion = \"0.0.0\"\nedition = \"2021\"\n[workspace]\n[dependencies]\nserde = { version = \"1\", features = [\"derive\"] }\nserde_json = \"1\"\n",
    )?;
    Ok(())
}

/// Exports `generated/` as committed at `rev` into `dir` as a standalone crate.
fn export_baseline(rev: &str, dir: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let archive =
        Command::new("git").current_dir(root()).args(["archive", "--format=tar", rev, "generated"]).output().context("running git archive")?;
    if !archive.status.success() {
        bail!("git archive {rev}: {}", String::from_utf8_lossy(&archive.stderr));
    }
    let mut tar = Command::new("tar").current_dir(dir).args(["-x", "--strip-components=1"]).stdin(Stdio::piped()).spawn()?;
    use std::io::Write;
    tar.stdin.take().unwrap().write_all(&archive.stdout)?;
    if !tar.wait()?.success() {
        bail!("unpacking generated/ of {rev}");
    }
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)?.replacen("name = \"mistral-sdk\"", "name = \"mistral-sdk-baseline\"", 1);
    std::fs::write(&manifest, format!("{text}\n[workspace]\n"))?;
    if let Ok(lock) = std::fs::read(root().join("Cargo.lock")) {
        std::fs::write(dir.join("Cargo.lock"), lock)?;
    }
    Ok(())
}

fn bench_compile(runs: usize, baseline: Option<&str>) -> Result<()> {
    let target = root().join("target");
    let reference = target.join("bench-reference-crate");
    reference_crate(&reference)?;
    if let Ok(lock) = std::fs::read(root().join("Cargo.lock")) {
        std::fs::write(reference.join("Cargo.lock"), lock)?;
    }
    let base_dir = target.join("bench-baseline-crate");
    if let Some(rev) = baseline {
        export_baseline(rev, &base_dir)?;
        let mut dep = cargo();
        dep.current_dir(&base_dir).env("CARGO_TARGET_DIR", &target).env("CARGO_INCREMENTAL", "0").args(["build", "--quiet"]);
        run(&mut dep)?;
    }
    // Dependencies first, so only the crates themselves are timed.
    run(cargo().env("CARGO_INCREMENTAL", "0").args(["build", "-p", "mistral-sdk", "--quiet"]))?;
    run(cargo().env("CARGO_INCREMENTAL", "0").args(["build", "-p", "mistral-sdk", "--quiet"]).args(CHAT_ONLY))?;
    let mut dep = cargo();
    dep.current_dir(&reference).env("CARGO_TARGET_DIR", &target).env("CARGO_INCREMENTAL", "0").args(["build", "--quiet"]);
    run(&mut dep)?;
    let (mut sdk, mut chat, mut reff, mut base) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    // Interleaved, so a slower moment of the machine touches every crate alike.
    for _ in 0..runs {
        sdk.push(time_build(&root(), "mistral-sdk", &target, &[])?);
        chat.push(time_build(&root(), "mistral-sdk", &target, CHAT_ONLY)?);
        reff.push(time_build(&reference, "reference-serde-crate", &target, &[])?);
        if baseline.is_some() {
            base.push(time_build(&base_dir, "mistral-sdk-baseline", &target, &[])?);
        }
    }
    let (s, c, r) = (median(sdk.clone()), median(chat.clone()), median(reff.clone()));
    println!("generated crate, every feature (default): median {s:.1} s of {sdk:.1?}");
    println!("generated crate, `chat` only: median {c:.1} s of {chat:.1?}");
    println!("reference crate (750 serde structs, 300 serde enums): median {r:.1} s of {reff:.1?}");
    println!("full / reference: {:.2}x (goal: at most 0.75x)", s / r);
    println!("chat / reference: {:.2}x (goal: at most 0.15x)", c / r);
    if let Some(rev) = baseline {
        let b = median(base.clone());
        println!("generated/ at {rev}: median {b:.1} s of {base:.1?}; now/then: {:.2}x", s / b);
    }
    Ok(())
}

/// The generated crate's features, from its manifest.
fn generated_features() -> Result<Vec<String>> {
    let path = root().join("generated/Cargo.toml");
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(&path)?).with_context(|| format!("parsing {}", path.display()))?;
    let features = manifest.get("features").and_then(|f| f.as_table()).with_context(|| format!("{} has no [features] table", path.display()))?;
    Ok(features.keys().filter(|k| *k != "default").cloned().collect())
}

/// The gated modules of the generated crate (`#[cfg(…)] pub mod x;` in `src/lib.rs`) and, for
/// each, the fewest features that satisfy its gate (`any` takes its first choice).
fn module_gates() -> Result<Vec<(String, Vec<String>)>> {
    let lib = std::fs::read_to_string(root().join("generated/src/lib.rs"))?;
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    let mut collecting: Option<String> = None;
    for line in lib.lines() {
        let t = line.trim();
        if let Some(text) = collecting.as_mut() {
            text.push_str(t);
            if t.starts_with(")]") {
                pending = collecting.take();
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("#[cfg(") {
            if rest.ends_with(")]") {
                pending = Some(rest.to_string());
            } else {
                collecting = Some(rest.to_string());
            }
        } else if let Some(name) = t.strip_prefix("pub mod ").and_then(|n| n.strip_suffix(';')) {
            if let Some(cfg) = pending.take() {
                let mut needed = Vec::new();
                satisfy(&mut cfg.as_str(), &mut needed);
                needed.dedup();
                out.push((name.to_string(), needed));
            }
        } else if ["pub ", "mod ", "use ", "fn ", "struct ", "enum ", "impl"].iter().any(|item| t.starts_with(item)) {
            // Another item: the gate was its own (attribute lines, `cfg_attr`'s included, keep it).
            pending = None;
        }
    }
    Ok(out)
}

/// Reads one cfg predicate from the front of `text` and adds the features that satisfy it.
fn satisfy(text: &mut &str, needed: &mut Vec<String>) {
    *text = text.trim_start_matches([' ', ',']);
    if let Some(rest) = text.strip_prefix("feature = \"") {
        let end = rest.find('"').unwrap_or(rest.len());
        if !needed.iter().any(|n| n == &rest[..end]) {
            needed.push(rest[..end].to_string());
        }
        *text = &rest[(end + 1).min(rest.len())..];
    } else if let Some(rest) = text.strip_prefix("all(") {
        *text = rest;
        while !text.trim_start_matches([' ', ',']).starts_with(')') && !text.is_empty() {
            satisfy(text, needed);
        }
        *text = text.trim_start_matches([' ', ',']).strip_prefix(')').unwrap_or("");
    } else if let Some(rest) = text.strip_prefix("any(") {
        *text = rest;
        satisfy(text, needed);
        let mut ignored = Vec::new();
        while !text.trim_start_matches([' ', ',']).starts_with(')') && !text.is_empty() {
            satisfy(text, &mut ignored);
        }
        *text = text.trim_start_matches([' ', ',']).strip_prefix(')').unwrap_or("");
    } else {
        *text = "";
    }
}

fn check_features() -> Result<()> {
    let features = generated_features()?;
    // A target directory of its own: `-D warnings` in RUSTFLAGS would otherwise rebuild the
    // workspace's dependencies in `target/`.
    let target = root().join("target/check-features");
    let mut sets: Vec<(String, Vec<String>)> = vec![("no features".into(), vec!["--no-default-features".into()])];
    sets.extend(features.iter().map(|f| (format!("`{f}` alone"), vec!["--no-default-features".into(), "--features".into(), f.clone()])));
    // Each gated module with the fewest features that turn it on (`mcp` needs the conversation
    // run's and the agents' and conversations' groups): alone, a helper feature compiles nothing.
    for (module, needed) in module_gates()? {
        if needed.len() > 1 {
            sets.push((
                format!("module `{module}` with {}", needed.join(", ")),
                vec!["--no-default-features".into(), "--features".into(), needed.join(",")],
            ));
        }
    }
    sets.push(("all features".into(), vec!["--all-features".into()]));
    let mut failed = Vec::new();
    for (what, args) in &sets {
        let start = Instant::now();
        let status = cargo()
            .env("CARGO_TARGET_DIR", &target)
            .env("RUSTFLAGS", "-D warnings")
            .args(["check", "-p", "mistral-sdk", "--quiet", "--locked"])
            .args(args)
            .status()
            .context("running cargo check")?;
        eprintln!("{} {what} ({:.1} s)", if status.success() { "ok  " } else { "FAIL" }, start.elapsed().as_secs_f64());
        if !status.success() {
            failed.push(what.clone());
        }
    }
    if !failed.is_empty() {
        bail!("the generated crate does not compile with: {}", failed.join(", "));
    }
    eprintln!("the generated crate compiles under each of its {} features alone, with none and with all", features.len());
    Ok(())
}

fn overlay() -> Result<Overlay> {
    let path = root().join("spec/overlay.yaml");
    Overlay::parse(&std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?)
}

fn generate(spec: &Path) -> Result<sdkgen::Generated> {
    let bytes = std::fs::read(spec).with_context(|| format!("reading {}", spec.display()))?;
    let text = sdkgen::spec_text(&bytes).with_context(|| format!("reading {}", spec.display()))?;
    let out = sdkgen::generate(text, &overlay()?).with_context(|| format!("generating from {}", spec.display()))?;
    for d in &out.diagnostics {
        eprintln!("{d}");
    }
    Ok(out)
}

/// One line for the spec quirks a regeneration worked around: nothing failed, and where to
/// read them (each names its place in the spec or the overlay).
fn quirks_summary(diagnostics: &[sdkgen::Diagnostic]) -> String {
    let in_overlay = diagnostics.iter().filter(|d| d.pointer.starts_with("spec/overlay.yaml")).count();
    let in_spec = diagnostics.len() - in_overlay;
    let mut parts = vec![format!("{in_spec} in the spec")];
    if in_overlay > 0 {
        parts.push(format!("{in_overlay} in spec/overlay.yaml"));
    }
    format!("note: {} quirks worked around ({}); nothing failed. `cargo xtask regen --verbose` lists them", diagnostics.len(), parts.join(", "))
}

fn main() -> Result<()> {
    match Cli::parse().cmd {
        Cmd::FetchSpec { from, update } => {
            fetch_spec(from.as_deref().or(local_mirror().as_deref()), update)?;
        }
        Cmd::Regen { spec, out, verbose } => {
            let spec = spec_path(spec)?;
            let default_out = out.is_none();
            let out_dir = out.unwrap_or_else(|| root().join("generated"));
            let start = Instant::now();
            let bytes = std::fs::read(&spec).with_context(|| format!("reading {}", spec.display()))?;
            let before = read_surface(&out_dir)?;
            let before_sha = std::fs::read_to_string(out_dir.join("Cargo.toml")).map(|m| manifest_sha(&m)).unwrap_or_else(|_| "?".into());
            // Generates in memory and swaps the new tree in: on any error `generated/` is untouched.
            let generated = sdkgen::regenerate(&bytes, &overlay()?, &out_dir).with_context(|| format!("generating from {}", spec.display()))?;
            if verbose {
                for d in &generated.diagnostics {
                    eprintln!("{d}");
                }
            }
            if default_out {
                write_atomic(&root().join(CONTRACT_TESTS), &generated.contract_tests)?;
            }
            // What changed in the crate's API, for the reviewer to read first.
            let version = &generated.ir.crate_version;
            let after = serde_json::from_str(&generated.files[sdkgen::surface::FILE])?;
            let change_line = match &before {
                Some(before) if before.format != sdkgen::surface::FORMAT => format!(
                    "The earlier api-surface.json has format {}, this generator writes {}: no API-change report this time.",
                    before.format,
                    sdkgen::surface::FORMAT
                ),
                Some(before) => {
                    let changes = sdkgen::surface::diff(before, &after);
                    let after_sha = manifest_sha(&generated.files["Cargo.toml"]);
                    if default_out {
                        let report =
                            sdkgen::surface::report(&changes, version, &format!("spec sha256 {before_sha}"), &format!("spec sha256 {after_sha}"));
                        write_atomic(&root().join(API_CHANGES), &report)?;
                    }
                    format!("{} Report: {API_CHANGES}.", sdkgen::surface::summary(&changes, version))
                }
                None => "No earlier api-surface.json to compare with: no API-change report.".to_string(),
            };
            eprintln!(
                "regenerated {} ({} types, {} files) in {:.0?}",
                out_dir.display(),
                generated.ir.types.len(),
                generated.files.len(),
                start.elapsed()
            );
            if !verbose && !generated.diagnostics.is_empty() {
                eprintln!("{}", quirks_summary(&generated.diagnostics));
            }
            eprintln!("{change_line}");
        }
        Cmd::Changelog { since } => changelog(&since)?,
        Cmd::SemverAudit { specs, reuse } => semver_audit(specs, reuse)?,
        Cmd::ApiDiff { old, new, out } => {
            let surface = |spec: &Path, dir: Option<PathBuf>| -> Result<(sdkgen::surface::Surface, String)> {
                let bytes = std::fs::read(spec).with_context(|| format!("reading {}", spec.display()))?;
                let g = match dir {
                    Some(d) => sdkgen::regenerate(&bytes, &overlay()?, &d)?,
                    None => sdkgen::generate(sdkgen::spec_text(&bytes)?, &overlay()?)?,
                };
                Ok((serde_json::from_str(&g.files[sdkgen::surface::FILE])?, g.ir.crate_version.clone()))
            };
            let (a, version) = surface(&old, out.as_ref().map(|d| d.join("old")))?;
            let (b, _) = surface(&new, out.as_ref().map(|d| d.join("new")))?;
            let changes = sdkgen::surface::diff(&a, &b);
            print!("{}", sdkgen::surface::report(&changes, &version, &old.display().to_string(), &new.display().to_string()));
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
            let contract_path = root().join(CONTRACT_TESTS);
            let committed_tests = std::fs::read_to_string(&contract_path).unwrap_or_default();
            if committed_tests != generated.contract_tests {
                diffs += 1;
                let diff = similar::TextDiff::from_lines(committed_tests.as_str(), generated.contract_tests.as_str());
                print!("{}", diff.unified_diff().context_radius(3).header(&format!("a/{CONTRACT_TESTS}"), &format!("b/{CONTRACT_TESTS}")));
            }
            if diffs > 0 {
                bail!("generated/ is out of date in {diffs} file(s): run `cargo xtask regen` and commit the result");
            }
            eprintln!("generated/ is up to date ({} files)", generated.files.len());
        }
        Cmd::Test { args } => test(&args)?,
        Cmd::CheckFeatures => check_features()?,
        Cmd::BenchCompile { runs, baseline } => bench_compile(runs, baseline.as_deref())?,
        Cmd::NormalizeSpec { spec, out } => {
            let spec = spec_path(spec)?;
            let text = std::fs::read_to_string(&spec)?;
            let (normalized, _, diags) = sdkgen::lower_spec(&text, &overlay()?)?;
            for d in &diags {
                eprintln!("{d}");
            }
            let doc = sdkgen::normalize::for_mock_server(normalized.document);
            std::fs::write(&out, serde_json::to_string_pretty(&doc)?)?;
            eprintln!("wrote {}", out.display());
        }
    }
    Ok(())
}
