//! Emit: writes the rendered files to the output directory atomically. Everything is rendered in
//! memory first; the new tree is written next to the target and swapped in with renames, so a
//! failure at any point leaves the previous output exactly as it was.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Replaces `out` with exactly `files` (relative path → contents).
pub fn write_tree(out: &Path, files: &BTreeMap<String, String>) -> Result<()> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = out.file_name().context("output directory has no name")?.to_string_lossy().to_string();
    let pid = std::process::id();
    let staging = parent.join(format!(".{name}.staging-{pid}"));
    let backup = parent.join(format!(".{name}.previous-{pid}"));
    let _ = fs::remove_dir_all(&staging);
    let result = (|| -> Result<()> {
        for (rel, text) in files {
            if rel.contains("..") || Path::new(rel).is_absolute() {
                bail!("refusing to write outside the output directory: {rel}");
            }
            let path = staging.join(rel);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_dir_all(&staging);
        return Err(e);
    }
    let had_previous = out.exists();
    if had_previous {
        fs::rename(out, &backup).with_context(|| format!("moving {} aside", out.display()))?;
    }
    if let Err(e) = fs::rename(&staging, out) {
        if had_previous {
            let _ = fs::rename(&backup, out);
        }
        let _ = fs::remove_dir_all(&staging);
        return Err(e).with_context(|| format!("moving the new tree into {}", out.display()));
    }
    if had_previous {
        fs::remove_dir_all(&backup).with_context(|| format!("removing {}", backup.display()))?;
    }
    Ok(())
}

/// Reads a whole tree as relative path → contents (for comparisons in `xtask check`).
pub fn read_tree(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) -> Result<()> {
        for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n == "target") {
                    continue;
                }
                walk(root, &path, out)?;
            } else {
                let rel = path.strip_prefix(root)?.to_string_lossy().replace('\\', "/");
                out.insert(rel, fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?);
            }
        }
        Ok(())
    }
    if dir.exists() {
        walk(dir, dir, &mut out)?;
    }
    Ok(out)
}
