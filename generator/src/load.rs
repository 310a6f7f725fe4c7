//! Loading: spec text → `serde_json::Value`, plus the spec's identity (title, version, sha256).

use anyhow::Result;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The spec's bytes as text, or an error naming the line and column of the first byte that is
/// not UTF-8.
pub fn utf8(bytes: &[u8]) -> Result<&str> {
    std::str::from_utf8(bytes).map_err(|e| {
        let good = &bytes[..e.valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[line_start..]).chars().count() + 1;
        anyhow::anyhow!(
            "the spec is not UTF-8: byte 0x{:02x} at line {line}, column {column} (byte offset {})",
            bytes[e.valid_up_to()],
            e.valid_up_to()
        )
    })
}

/// Parses YAML (or JSON, a subset) into a JSON value. YAML-only constructs that JSON cannot hold
/// (non-string keys, tags) are rejected with the location serde_yaml_ng reports.
///
/// A large block-style document is cut at mapping entries into pieces parsed on every core
/// (see [`parse_split`]); whatever cannot be cut safely, and any piece that fails, falls back to
/// parsing the whole text, so errors and results are those of a plain parse.
pub fn parse_yaml(text: &str) -> Result<Value> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    if threads > 1 && text.len() >= 256 * 1024 {
        // Pieces of about 1/8 of a thread's share: enough to keep every thread busy to the end.
        if let Some(v) = parse_split(text, text.len() / (threads * 8) + 1, threads) {
            return Ok(v);
        }
    }
    parse_whole(text)
}

/// The plain, single-threaded parse.
pub fn parse_whole(text: &str) -> Result<Value> {
    serde_yaml_ng::from_str::<Strict>(text).map(|s| s.0).map_err(|e| {
        let msg = e.to_string();
        let again = msg.split_once("duplicate key `").and_then(|(_, rest)| rest.split_once('`')).and_then(|(key, _)| repeated_key_line(text, key));
        match again {
            Some(line) => anyhow::anyhow!("{msg} (the key is written again at line {line})"),
            None => anyhow::Error::new(e),
        }
        .context("the spec is not valid YAML/JSON")
    })
}

/// The line (1-based) where a block-mapping key is written a second time at the same
/// indentation, for an error that has no position of its own.
fn repeated_key_line(text: &str, key: &str) -> Option<usize> {
    let mut seen: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let trimmed = trimmed.strip_prefix("- ").unwrap_or(trimmed);
        let is_key = [format!("{key}:"), format!("'{key}':"), format!("\"{key}\":")].iter().any(|k| trimmed.starts_with(k.as_str()));
        if is_key {
            let count = seen.entry(indent).or_default();
            *count += 1;
            if *count == 2 {
                return Some(n + 1);
            }
        }
    }
    None
}

/// A JSON value read from YAML that refuses a key written twice in one mapping (YAML forbids
/// it; a plain `serde_json::Value` would keep the last one in silence). The error carries the
/// parser's line and column.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON-compatible value")
    }
    fn visit_bool<E>(self, v: bool) -> std::result::Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> std::result::Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> std::result::Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> std::result::Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> std::result::Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> std::result::Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(Strict(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format_args!("duplicate key `{key}` in one mapping")));
            }
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// One line of the document: byte range and indentation (`None` for blank and comment lines,
/// which belong to whichever piece holds them).
struct Line {
    start: usize,
    end: usize,
    indent: Option<usize>,
}

/// A run of consecutive entries of one block mapping, parsed on its own.
struct Piece {
    /// Keys from the root to the mapping the entries belong to.
    path: Vec<String>,
    /// For each key of `path`, which nested block it opened (one number per descent), so a key
    /// written twice in the text is not silently merged.
    blocks: Vec<usize>,
    start: usize,
    end: usize,
}

/// Parses a block-style YAML document by cutting it into pieces of about `target` bytes at the
/// entries of its mappings (descending into entries larger than `target` whose key is a plain
/// word and whose value is a nested block mapping), parsing the pieces on up to `threads` threads
/// and joining them in document order. `None` when the text is not cut safely (flow style,
/// several documents, directives, sequences or complex keys where a cut would fall, a key repeated
/// across pieces) or a piece does not parse on its own (e.g. an alias to an anchor in another
/// piece): the caller then parses the whole text.
pub fn parse_split(text: &str, target: usize, threads: usize) -> Option<Value> {
    let lines = scan_lines(text)?;
    let mut pieces = Vec::new();
    cut(text, &lines, 0..lines.len(), 0, &mut Block::default(), target, &mut pieces)?;
    if pieces.len() < 2 {
        return None;
    }
    let parsed = parse_pieces(text, &pieces, threads.max(1))?;
    let mut root = Value::Object(Map::new());
    let mut opened = std::collections::HashMap::new();
    for (piece, value) in pieces.iter().zip(parsed) {
        let Value::Object(entries) = value else { return None };
        let mut node = &mut root;
        for (depth, (key, block)) in piece.path.iter().zip(&piece.blocks).enumerate() {
            let map = node.as_object_mut()?;
            if !map.contains_key(key) {
                opened.insert(piece.path[..=depth].to_vec(), *block);
            } else if opened.get(&piece.path[..=depth]) != Some(block) {
                return None; // the same key twice: let the plain parse decide
            }
            node = map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
        }
        let map = node.as_object_mut()?;
        for (k, v) in entries {
            if map.insert(k, v).is_some() {
                return None; // a repeated key: let the plain parse decide
            }
        }
    }
    Some(root)
}

fn scan_lines(text: &str) -> Option<Vec<Line>> {
    // Sized once: grown by doubling, a table this large is copied into fresh pages each time.
    let mut lines = Vec::with_capacity(text.bytes().filter(|&b| b == b'\n').count() + 1);
    let mut start = 0;
    for raw in text.split_inclusive('\n') {
        let end = start + raw.len();
        let content = raw.trim_end_matches(['\n', '\r']);
        let body = content.trim_start_matches(' ');
        let indent = if body.is_empty() || body.starts_with('#') {
            None
        } else {
            if body.starts_with('\t') {
                return None;
            }
            let first = content.len() - body.len() == 0;
            // Document markers and directives only matter at column 0.
            if first && (body.starts_with("---") || body.starts_with("...") || body.starts_with('%')) {
                return None;
            }
            Some(content.len() - body.len())
        };
        lines.push(Line { start, end, indent });
        start = end;
    }
    Some(lines)
}

/// A plain key that means the same string to every YAML reader.
fn plain_key(line: &str) -> Option<&str> {
    let body = line.trim_start_matches(' ').trim_end_matches(['\n', '\r']);
    let key = body.strip_suffix(':').or_else(|| {
        let (k, rest) = body.split_once(": ")?;
        rest.trim_start().starts_with('#').then_some(k)
    })?;
    let ok_start = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_' || c == '/' || c == '$');
    let ok_chars = key.chars().all(|c| c.is_ascii_alphanumeric() || "_./${}~-".contains(c));
    let special = matches!(key.to_ascii_lowercase().as_str(), "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n");
    (ok_start && ok_chars && !special).then_some(key)
}

/// Where the cutter is: the keys descended through and the block number of each.
#[derive(Default)]
struct Block {
    path: Vec<String>,
    blocks: Vec<usize>,
    next: usize,
}

/// Cuts the entries of the block mapping spanning `range` (its entries at `indent`) into pieces.
fn cut(text: &str, lines: &[Line], range: std::ops::Range<usize>, indent: usize, at: &mut Block, target: usize, out: &mut Vec<Piece>) -> Option<()> {
    // Entry boundaries: the lines at the mapping's indentation.
    let mut entries: Vec<std::ops::Range<usize>> = Vec::new();
    let mut first_content = None;
    for i in range.clone() {
        match lines[i].indent {
            None => {}
            Some(n) if n < indent => return None,
            Some(n) if n == indent => {
                let body = &text[lines[i].start + n..lines[i].end];
                if body.starts_with(['-', '?', '{', '[', '&', '*', '!', '|', '>']) {
                    return None;
                }
                if let Some(last) = entries.last_mut() {
                    last.end = i;
                } else {
                    first_content = Some(i);
                }
                entries.push(i..range.end);
            }
            Some(_) if first_content.is_none() => return None,
            Some(_) => {}
        }
    }
    // Leading blank and comment lines go with the first entry.
    if let Some(first) = entries.first_mut() {
        first.start = range.start;
    }
    let mut pending: Option<(usize, usize)> = None;
    let flush = |pending: &mut Option<(usize, usize)>, out: &mut Vec<Piece>, at: &Block| {
        if let Some((s, e)) = pending.take() {
            out.push(Piece { path: at.path.clone(), blocks: at.blocks.clone(), start: lines[s].start, end: lines[e - 1].end });
        }
    };
    for entry in entries {
        let size = lines[entry.end - 1].end - lines[entry.start].start;
        let head = (entry.start..entry.end).find(|&i| lines[i].indent == Some(indent))?;
        let nested = (head + 1..entry.end).find(|&i| lines[i].indent.is_some());
        let key = plain_key(&text[lines[head].start..lines[head].end]);
        if let (true, Some(key), Some(child)) = (size > target, key, nested) {
            let child_indent = lines[child].indent?;
            let child_body = &text[lines[child].start + child_indent..lines[child].end];
            if child_indent > indent && !child_body.starts_with('-') {
                flush(&mut pending, out, at);
                // The key's line becomes part of the pieces' path; its nested entries are cut.
                at.next += 1;
                at.path.push(key.to_string());
                at.blocks.push(at.next);
                cut(text, lines, head + 1..entry.end, child_indent, at, target, out)?;
                at.path.pop();
                at.blocks.pop();
                continue;
            }
        }
        match &mut pending {
            Some((s, e)) if lines[entry.end - 1].end - lines[*s].start <= target => *e = entry.end,
            Some(_) => {
                flush(&mut pending, out, at);
                pending = Some((entry.start, entry.end));
            }
            None => pending = Some((entry.start, entry.end)),
        }
    }
    flush(&mut pending, out, at);
    Some(())
}

/// Parses the pieces on up to `threads` threads, which take the next piece as they finish one
/// (parse time is not quite proportional to size); the values come back in piece order.
fn parse_pieces(text: &str, pieces: &[Piece], threads: usize) -> Option<Vec<Value>> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let parse_some = || -> Option<Vec<(usize, Value)>> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(p) = pieces.get(i) else { return Some(done) };
            done.push((i, serde_yaml_ng::from_str::<Strict>(&text[p.start..p.end]).ok()?.0));
        }
    };
    let runs: Vec<Option<Vec<(usize, Value)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..threads.min(pieces.len())).map(|_| scope.spawn(parse_some)).collect();
        let mut runs = vec![parse_some()];
        runs.extend(handles.into_iter().map(|h| h.join().ok().flatten()));
        runs
    });
    // Moved, not `concat()`ed: that would clone every parsed tree.
    let mut all: Vec<(usize, Value)> = runs.into_iter().collect::<Option<Vec<_>>>()?.into_iter().flatten().collect();
    all.sort_unstable_by_key(|(i, _)| *i);
    Some(all.into_iter().map(|(_, v)| v).collect())
}

/// Hex sha256 of the spec bytes, as recorded in `spec/source.toml` and the SDK manifest.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cut as finely as possible and compare with the plain parse.
    fn same(text: &str) -> bool {
        let whole = parse_whole(text).unwrap();
        for target in [1, 8, 40, 200, usize::MAX / 4] {
            if let Some(split) = parse_split(text, target, 3) {
                assert_eq!(split, whole, "target {target}");
                // Key order is part of the result (it drives the generated code's order).
                assert_eq!(serde_json::to_string(&split).unwrap(), serde_json::to_string(&whole).unwrap());
            }
        }
        parse_split(text, 1, 3).is_some()
    }

    const DOC: &str = "openapi: 3.1.0
# a comment
info:
  title: T
  description: |
    multi
    line

    text
paths:
  /a:
    get:
      responses:
        '200':
          description: ok
  /b/{id}:
    post:
      summary: \"quoted: with colon\"
components:
  # leading comment
  schemas:
    A:
      type: object
      properties:
        x: {type: string}
    B:
      type: array
      items:
        - $ref: '#/components/schemas/A'
    C:
      type: string
tags:
  - name: a
";

    #[test]
    fn split_parse_equals_the_plain_parse() {
        assert!(same(DOC));
        assert!(same(&DOC.replace('\n', "\r\n")));
    }

    #[test]
    fn the_cutter_descends_into_large_mappings() {
        // At target 1 the cutter descends into every nested mapping with a plain key.
        let lines = scan_lines(DOC).unwrap();
        let mut pieces = Vec::new();
        cut(DOC, &lines, 0..lines.len(), 0, &mut Block::default(), 1, &mut pieces).unwrap();
        let paths: Vec<String> = pieces.iter().map(|p| p.path.join("/")).collect();
        assert!(paths.iter().filter(|p| p.starts_with("components/schemas/")).count() >= 3, "{paths:?}");
        assert!(paths.contains(&"paths//b/{id}/post".to_string()), "{paths:?}");
    }

    #[test]
    fn unsafe_cuts_fall_back() {
        // An alias to an anchor in another piece, a repeated key, flow style, several documents.
        for text in ["a:\n  x: &k 1\nb:\n  y: *k\n", "a: 1\nb: 2\na: 3\n", "{a: 1, b: 2}\n", "a: 1\n---\nb: 2\n", "- a\n- b\n"] {
            assert!(parse_split(text, 1, 2).is_none(), "{text}");
        }
        // A mapping opened twice: merged, it would differ from the plain parse, which refuses
        // the repeated key with its line.
        let twice = "a:\n  x: 1\nb: 2\na:\n  y: 1\n";
        assert!(parse_split(twice, 1, 2).is_none());
        let err = format!("{:#}", parse_whole(twice).unwrap_err());
        assert!(err.contains("duplicate key `a`") && err.contains("written again at line 4"), "{err}");
    }

    #[test]
    fn fixtures_and_history_specs_parse_the_same_split() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut texts = Vec::new();
        for dir in [root.join("tests/fixtures"), root.join("../shared/spec/history"), root.join("../shared/spec")] {
            let Ok(rd) = std::fs::read_dir(&dir) else { continue };
            for e in rd.flatten() {
                if e.path().extension().is_some_and(|x| x == "yaml" || x == "yml") {
                    texts.push((e.path(), std::fs::read_to_string(e.path()).unwrap()));
                }
            }
        }
        assert!(texts.len() >= 12, "fixtures not found");
        for (path, text) in texts {
            let whole = parse_whole(&text).unwrap();
            for target in [4096, text.len() / 4 + 1] {
                if let Some(split) = parse_split(&text, target, 2) {
                    assert!(split == whole, "{}: target {target}", path.display());
                    assert_eq!(serde_json::to_string(&split).unwrap(), serde_json::to_string(&whole).unwrap());
                }
            }
        }
    }
}
