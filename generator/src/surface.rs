//! The generated crate's public API as data (`generated/api-surface.json`), and what changed
//! between two of them, classified under the crate's semver rules.
//!
//! The rules follow from how the crate is built: every generated type is `#[non_exhaustive]`,
//! requests are made with `new(required…)` and setters, responses read through public fields.
//! So adding a method, a type, an optional field (a setter), an enum value, a union variant or
//! a feature is additive; removing or renaming any of them, changing a type, adding a required
//! field (a constructor argument) or a required method argument, making a field required or
//! optional (its type becomes or stops being an `Option`), or a type no longer compiled under a
//! feature it was, breaks code that compiled. The crate is 0.x: a breaking change bumps the
//! minor version, anything else the patch.

use crate::ir::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Where the surface is written in the generated crate (left out of the published package).
pub const FILE: &str = "api-surface.json";

/// The surface file's format: a report compares two surfaces of the same format only (a
/// generator that records more would otherwise report every new entry as a change).
pub const FORMAT: u32 = 2;

/// What a user of the crate can name and call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Surface {
    /// [`FORMAT`] when written (0 for a file from before formats were numbered).
    #[serde(default)]
    pub format: u32,
    /// By method (`chat.complete`).
    pub methods: BTreeMap<String, Method>,
    /// By Rust name.
    pub types: BTreeMap<String, TypeShape>,
    /// The cargo features.
    pub features: BTreeSet<String>,
    /// The group handles (`beta.agents`), each an accessor and a module.
    #[serde(default)]
    pub groups: BTreeSet<String>,
    /// The `Scheme` enum's variants (the authentication schemes), in order.
    #[serde(default)]
    pub schemes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Method {
    pub operation: String,
    /// `POST /v1/chat/completions`.
    pub http: String,
    pub feature: String,
    /// The method's arguments in order (`name: Type`).
    pub arguments: Vec<String>,
    /// The builder's setters for optional inputs: name → type.
    pub setters: BTreeMap<String, String>,
    /// What `.await` gives.
    pub returns: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TypeShape {
    /// `struct`, `enum`, `union`, `const` or `alias`.
    pub kind: String,
    /// The features any of which compiles it.
    pub features: Vec<String>,
    /// A struct's fields: Rust name → its type as declared and whether `new` takes it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldShape>,
    /// An enum's variants, or a union's variants with the type each holds.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, String>,
    /// An alias's target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A struct's constructor `new`, its arguments in order; `None` when it has none (a struct
    /// without required fields is built with `Default`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constructor: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FieldShape {
    #[serde(rename = "type")]
    pub ty: String,
    /// A constructor argument (`new` takes it).
    pub required: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
}

impl Surface {
    /// The surface of a lowered spec; `features` are the crate's cargo features.
    pub fn of(ir: &Ir, features: BTreeSet<String>) -> Surface {
        let mut s = Surface { format: FORMAT, features, ..Default::default() };
        s.schemes = ir.auth.iter().map(|a| a.variant.clone()).collect();
        for op in &ir.operations {
            let mut arguments = Vec::new();
            let mut setters = BTreeMap::new();
            for p in &op.params {
                if p.required {
                    arguments.push(format!("{}: {}", p.rust, p.ty.rust()));
                } else {
                    setters.insert(p.rust.clone(), p.ty.rust());
                }
            }
            if let Some(b) = &op.body {
                if b.required {
                    arguments.push(format!("body: {}", b.ty.rust()));
                } else {
                    setters.insert("body".into(), b.ty.rust());
                }
            }
            let returns = match &op.success {
                Success::Json(t) => t.rust(),
                Success::Sse(t) => format!("stream of {}", t.rust()),
                Success::Empty => "()".into(),
                Success::Binary => "bytes".into(),
            };
            for i in 1..op.group.len() + 1 {
                let path: Vec<String> = op.group[..i].iter().map(|g| crate::names::bare(&crate::names::field_name(g)).to_string()).collect();
                s.groups.insert(path.join("."));
            }
            let method = Method {
                deprecated: op.deprecated.is_some(),
                operation: op.id.clone(),
                http: format!("{} {}", op.http_method, op.path),
                feature: op.feature.clone(),
                arguments,
                setters,
                returns,
            };
            s.methods.insert(op.sdk_name(), method);
        }
        for t in &ir.types {
            let mut shape = TypeShape { features: t.features.clone(), deprecated: t.deprecated, ..Default::default() };
            match &t.kind {
                TypeKind::Struct(st) => {
                    shape.kind = "struct".into();
                    for f in &st.fields {
                        let ty = match f.presence() {
                            Presence::Plain => f.ty.rust(),
                            Presence::Option | Presence::Optional => format!("Option<{}>", f.ty.rust()),
                            Presence::Nullable => format!("Nullable<{}>", f.ty.rust()),
                        };
                        let required = matches!(f.presence(), Presence::Plain | Presence::Option) && !f.is_const;
                        shape.fields.insert(f.rust.clone(), FieldShape { ty, required, deprecated: f.deprecated });
                    }
                    // As the models render it: `new` unless nothing is required and no field is
                    // flattened (then `Default`).
                    let args: Vec<String> = st
                        .fields
                        .iter()
                        .filter(|f| matches!(f.presence(), Presence::Plain | Presence::Option) && !f.is_const)
                        .map(|f| f.rust.clone())
                        .collect();
                    let flatten = st.fields.iter().any(|f| f.flatten);
                    shape.constructor = (!args.is_empty() || flatten).then_some(args);
                }
                TypeKind::Enum(values) => {
                    shape.kind = "enum".into();
                    for v in values {
                        shape.variants.insert(v.rust.clone(), format!("{:?}", v.wire));
                    }
                }
                TypeKind::Tagged { variants, .. } => {
                    shape.kind = "union".into();
                    for v in variants {
                        shape.variants.insert(v.rust.clone(), v.ty.rust());
                    }
                }
                TypeKind::Untagged(variants) => {
                    shape.kind = "union".into();
                    for v in variants {
                        shape.variants.insert(v.rust.clone(), v.ty.rust());
                    }
                }
                TypeKind::Const(v) => {
                    shape.kind = "const".into();
                    shape.target = Some(v.to_string());
                }
                TypeKind::Alias(a) => {
                    shape.kind = "alias".into();
                    shape.target = Some(a.rust());
                }
            }
            s.types.insert(t.name.clone(), shape);
        }
        s
    }
}

/// One difference between two surfaces.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub breaking: bool,
    /// What it is about: `method chat.complete`, `type Message`, `Message::User`, `ChatCompletionRequest.stop`.
    pub item: String,
    pub what: String,
}

/// The version a set of changes asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Bump {
    None,
    Patch,
    Minor,
}

/// Every difference from `old` to `new`, breaking ones first.
pub fn diff(old: &Surface, new: &Surface) -> Vec<Change> {
    let mut out = Vec::new();
    let mut add = |breaking: bool, item: String, what: String| out.push(Change { breaking, item, what });
    // Methods; a method gone whose operation has a method only the new surface has is a rename
    // (a streaming twin shares its operation with the JSON method).
    let mut renamed_to: BTreeSet<&str> = BTreeSet::new();
    for (name, m) in &old.methods {
        match new.methods.get(name) {
            None => {
                let target = new
                    .methods
                    .iter()
                    .find(|(n, nm)| nm.operation == m.operation && !old.methods.contains_key(*n) && !renamed_to.contains(n.as_str()))
                    .map(|(n, _)| n.as_str());
                match target {
                    Some(renamed) => {
                        renamed_to.insert(renamed);
                        add(true, format!("method `{name}`"), format!("renamed `{renamed}` (operation `{}`)", m.operation));
                    }
                    None => add(true, format!("method `{name}`"), format!("removed (operation `{}`, `{}`)", m.operation, m.http)),
                }
            }
            Some(n) => {
                if n.arguments != m.arguments {
                    add(true, format!("method `{name}`"), format!("arguments ({}) → ({})", m.arguments.join(", "), n.arguments.join(", ")));
                }
                if n.returns != m.returns {
                    add(true, format!("method `{name}`"), format!("returns `{}` → `{}`", m.returns, n.returns));
                }
                if n.deprecated && !m.deprecated {
                    add(false, format!("method `{name}`"), "deprecated".into());
                }
                if n.feature != m.feature {
                    add(true, format!("method `{name}`"), format!("moved from feature `{}` to `{}`", m.feature, n.feature));
                }
                for (s, t) in &m.setters {
                    match n.setters.get(s) {
                        None => add(true, format!("method `{name}`"), format!("option `{s}` removed")),
                        Some(nt) if nt != t => add(true, format!("method `{name}`"), format!("option `{s}`: `{t}` → `{nt}`")),
                        _ => {}
                    }
                }
                for (s, t) in n.setters.iter().filter(|(s, _)| !m.setters.contains_key(*s)) {
                    add(false, format!("method `{name}`"), format!("option `{s}: {t}` added"));
                }
            }
        }
    }
    for (name, m) in new.methods.iter().filter(|(n, _)| !old.methods.contains_key(*n) && !renamed_to.contains(n.as_str())) {
        add(false, format!("method `{name}`"), format!("added (`{}`)", m.http));
    }
    // Types.
    for (name, t) in &old.types {
        let Some(n) = new.types.get(name) else {
            add(true, format!("type `{name}`"), format!("removed ({})", t.kind));
            continue;
        };
        if n.kind != t.kind {
            add(true, format!("type `{name}`"), format!("was a {}, is a {}", t.kind, n.kind));
            continue;
        }
        let lost: Vec<&String> = t.features.iter().filter(|f| !n.features.contains(f)).collect();
        if !lost.is_empty() && !n.features.is_empty() && !t.features.is_empty() {
            let lost: Vec<String> = lost.iter().map(|f| format!("`{f}`")).collect();
            add(true, format!("type `{name}`"), format!("no longer compiled with feature {} alone", lost.join(", ")));
        }
        if n.deprecated && !t.deprecated {
            add(false, format!("type `{name}`"), "deprecated".into());
        }
        if n.constructor != t.constructor {
            let args = |c: &Option<Vec<String>>| match c {
                Some(a) => format!("`new({})`", a.join(", ")),
                None => "no `new` (built with `Default`)".to_string(),
            };
            add(true, format!("`{name}::new`"), format!("{} → {}", args(&t.constructor), args(&n.constructor)));
        }
        if n.target != t.target {
            add(true, format!("type `{name}`"), format!("`{}` → `{}`", t.target.as_deref().unwrap_or("?"), n.target.as_deref().unwrap_or("?")));
        }
        for (f, shape) in &t.fields {
            match n.fields.get(f) {
                None => add(true, format!("`{name}.{f}`"), "field removed".into()),
                Some(ns) if ns.ty != shape.ty => {
                    let what = match (shape.ty.starts_with("Option<"), ns.ty.starts_with("Option<")) {
                        (true, false) => format!("made required: `{}` → `{}`", shape.ty, ns.ty),
                        (false, true) => format!("made optional: `{}` → `{}`", shape.ty, ns.ty),
                        _ => format!("retyped: `{}` → `{}`", shape.ty, ns.ty),
                    };
                    add(true, format!("`{name}.{f}`"), what);
                }
                Some(ns) if ns.required != shape.required => add(
                    true,
                    format!("`{name}.{f}`"),
                    format!("{} the constructor's arguments", if ns.required { "now among" } else { "no longer among" }),
                ),
                _ => {}
            }
        }
        for (f, shape) in n.fields.iter().filter(|(f, s)| s.deprecated && t.fields.get(*f).is_some_and(|o| !o.deprecated)) {
            let _ = shape;
            add(false, format!("`{name}.{f}`"), "deprecated".into());
        }
        for (f, shape) in n.fields.iter().filter(|(f, _)| !t.fields.contains_key(*f)) {
            if shape.required {
                add(true, format!("`{name}.{f}`"), format!("required field added (`{}`): a new constructor argument", shape.ty));
            } else {
                add(false, format!("`{name}.{f}`"), format!("optional field added (`{}`)", shape.ty));
            }
        }
        let noun = if t.kind == "enum" { "value" } else { "variant" };
        for (v, ty) in &t.variants {
            match n.variants.get(v) {
                None => add(true, format!("`{name}::{v}`"), format!("{noun} removed")),
                Some(nt) if nt != ty && t.kind == "union" => add(true, format!("`{name}::{v}`"), format!("holds `{nt}`, was `{ty}`")),
                Some(nt) if nt != ty => add(true, format!("`{name}::{v}`"), format!("sent as {nt}, was {ty}")),
                _ => {}
            }
        }
        for (v, ty) in n.variants.iter().filter(|(v, _)| !t.variants.contains_key(*v)) {
            add(false, format!("`{name}::{v}`"), format!("{noun} added ({ty})"));
        }
    }
    for (name, t) in new.types.iter().filter(|(n, _)| !old.types.contains_key(*n)) {
        add(false, format!("type `{name}`"), format!("added ({})", t.kind));
    }
    if old.schemes != new.schemes {
        // Variants gone, or moved: their implicit numeric values shift (`as` casts).
        add(true, "enum `Scheme`".into(), format!("variants ({}) → ({})", old.schemes.join(", "), new.schemes.join(", ")));
    }
    for g in old.groups.difference(&new.groups) {
        add(true, format!("group `{g}`"), "removed (its accessor and module)".into());
    }
    for g in new.groups.difference(&old.groups) {
        add(false, format!("group `{g}`"), "added".into());
    }
    for f in old.features.difference(&new.features) {
        add(true, format!("feature `{f}`"), "removed".into());
    }
    for f in new.features.difference(&old.features) {
        add(false, format!("feature `{f}`"), "added".into());
    }
    out.sort_by(|a, b| b.breaking.cmp(&a.breaking).then_with(|| a.item.cmp(&b.item)).then_with(|| a.what.cmp(&b.what)));
    out
}

/// The bump a set of changes asks for.
pub fn bump(changes: &[Change]) -> Bump {
    if changes.iter().any(|c| c.breaking) {
        Bump::Minor
    } else if changes.is_empty() {
        Bump::None
    } else {
        Bump::Patch
    }
}

/// `version` bumped (a 0.x crate: minor for a break, else patch; 1.x and later: major, minor).
pub fn bumped(version: &str, bump: Bump) -> String {
    let mut parts: Vec<u64> = version.split('.').map(|p| p.parse().unwrap_or(0)).collect();
    parts.resize(3, 0);
    let breaking_at = if parts[0] == 0 { 1 } else { 0 };
    match bump {
        Bump::None => {}
        Bump::Minor => {
            parts[breaking_at] += 1;
            parts[breaking_at + 1..].iter_mut().for_each(|p| *p = 0);
        }
        Bump::Patch => {
            let at = breaking_at + 1;
            parts[at] += 1;
            parts[at + 1..].iter_mut().for_each(|p| *p = 0);
        }
    }
    format!("{}.{}.{}", parts[0], parts[1], parts[2])
}

/// Counts by kind of item, for the one-line summary.
fn counts(changes: &[Change]) -> String {
    let mut c: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for ch in changes {
        let kind = if ch.item.starts_with("method") {
            "methods"
        } else if ch.item.starts_with("type") {
            "types"
        } else if ch.item.starts_with("feature") {
            "features"
        } else if ch.item.contains("::") {
            "values/variants"
        } else {
            "fields"
        };
        let how = if ch.what.starts_with("added") || ch.what.contains("field added") || ch.what.ends_with(" added") {
            "added"
        } else if ch.what.starts_with("removed") || ch.what.ends_with("removed") {
            "removed"
        } else {
            "changed"
        };
        *c.entry((kind, how)).or_default() += 1;
    }
    c.iter().map(|((k, h), n)| format!("{k} {h}: {n}")).collect::<Vec<_>>().join(", ")
}

/// The report a reviewer reads first: a summary line, then the breaking changes, then the rest.
pub fn report(changes: &[Change], version: &str, from: &str, to: &str) -> String {
    let b = bump(changes);
    let breaking = changes.iter().filter(|c| c.breaking).count();
    let mut out = String::from("# API changes\n\n");
    let _ = writeln!(out, "From `{from}` to `{to}`.\n");
    let _ = writeln!(out, "{}\n", summary(changes, version));
    if b == Bump::None {
        return out;
    }
    let _ = writeln!(out, "{}\n", counts(changes));
    for (title, want) in [("Breaking", true), ("Additive", false)] {
        let items: Vec<&Change> = changes.iter().filter(|c| c.breaking == want).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title} ({})\n", if want { breaking } else { changes.len() - breaking });
        for c in items {
            let _ = writeln!(out, "- {}: {}", c.item, c.what);
        }
        out.push('\n');
    }
    out
}

/// One line: how many changes, how many break, and the version they ask for.
pub fn summary(changes: &[Change], version: &str) -> String {
    let breaking = changes.iter().filter(|c| c.breaking).count();
    match bump(changes) {
        Bump::None => "No change to the crate's API.".to_string(),
        b => format!(
            "{} API change(s), {breaking} breaking: {} release ({version} → {}).",
            changes.len(),
            if b == Bump::Minor { "a breaking (0.x minor)" } else { "a patch" },
            bumped(version, b)
        ),
    }
}

/// The cargo features a generated manifest declares (its `[features]` table's keys).
pub fn manifest_features(manifest: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut inside = false;
    for line in manifest.lines() {
        let l = line.trim();
        if l.starts_with('[') {
            inside = l == "[features]";
            continue;
        }
        if inside && !l.starts_with('#') {
            if let Some((k, _)) = l.split_once('=') {
                out.insert(k.trim().to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(kind: &str) -> TypeShape {
        TypeShape { kind: kind.into(), features: vec!["chat".into()], ..Default::default() }
    }

    #[test]
    fn classifies_under_the_crate_rules() {
        let mut old = Surface::default();
        let mut s = shape("struct");
        s.fields.insert("model".into(), FieldShape { ty: "String".into(), required: true, deprecated: false });
        s.fields.insert("stop".into(), FieldShape { ty: "Option<Stop>".into(), required: false, deprecated: false });
        old.types.insert("Req".into(), s.clone());
        let mut e = shape("enum");
        e.variants.insert("A".into(), "\"a\"".into());
        old.types.insert("Mode".into(), e.clone());
        old.methods.insert("chat.complete".into(), Method { operation: "op1".into(), arguments: vec!["body: Req".into()], ..Default::default() });
        old.methods.insert("x.gone".into(), Method { operation: "op2".into(), ..Default::default() });
        old.methods.insert("x.old".into(), Method { operation: "op3".into(), ..Default::default() });

        // Additive only.
        let mut new = old.clone();
        new.types.get_mut("Req").unwrap().fields.insert("seed".into(), FieldShape { ty: "Option<i64>".into(), required: false, deprecated: false });
        new.types.get_mut("Mode").unwrap().variants.insert("B".into(), "\"b\"".into());
        new.types.insert("Extra".into(), shape("struct"));
        // A streaming twin of an existing operation is an addition, not a rename.
        new.methods.insert("chat.stream".into(), Method { operation: "op1".into(), ..Default::default() });
        let changes = diff(&old, &new);
        assert_eq!(changes.len(), 4, "{changes:?}");
        assert!(changes.iter().all(|c| !c.breaking));
        assert_eq!(bump(&changes), Bump::Patch);
        assert_eq!(bumped("0.1.0", Bump::Patch), "0.1.1");

        // Breaking: a required field, a field made required, a value removed, a method gone
        // and one renamed.
        let mut new = old.clone();
        let req = new.types.get_mut("Req").unwrap();
        req.fields.insert("purpose".into(), FieldShape { ty: "String".into(), required: true, deprecated: false });
        req.fields.insert("stop".into(), FieldShape { ty: "Stop".into(), required: true, deprecated: false });
        new.types.get_mut("Mode").unwrap().variants.clear();
        new.methods.remove("x.gone");
        let m = new.methods.remove("x.old").unwrap();
        new.methods.insert("x.new".into(), m);
        let changes = diff(&old, &new);
        let text: Vec<String> = changes.iter().map(|c| format!("{} {}: {}", c.breaking, c.item, c.what)).collect();
        assert_eq!(
            text,
            [
                "true `Mode::A`: value removed",
                "true `Req.purpose`: required field added (`String`): a new constructor argument",
                "true `Req.stop`: made required: `Option<Stop>` → `Stop`",
                "true method `x.gone`: removed (operation `op2`, ``)",
                "true method `x.old`: renamed `x.new` (operation `op3`)",
            ]
        );
        assert_eq!(bump(&changes), Bump::Minor);
        assert_eq!(bumped("0.1.3", Bump::Minor), "0.2.0");
        assert_eq!(bumped("1.4.2", Bump::Minor), "2.0.0");
        assert!(report(&changes, "0.1.3", "a", "b").contains("## Breaking (5)"));
        assert_eq!(summary(&[], "0.1.0"), "No change to the crate's API.");
    }

    #[test]
    fn reads_the_manifest_features() {
        let m = "[package]\nname = \"x\"\n[features]\n# doc\ndefault = [\"chat\"]\nchat = []\n\n[package.metadata.docs.rs]\nall-features = true\n";
        assert_eq!(manifest_features(m).into_iter().collect::<Vec<_>>(), ["chat", "default"]);
    }
}
