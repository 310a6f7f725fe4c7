//! Membership: which cargo feature compiles each operation, and which features reach each type.
//!
//! A feature is one API group (see [`crate::overlay::Features`]). A type belongs to every feature
//! whose operations reach it through parameters, bodies, responses, stream events or error
//! bodies, following every field, variant and alias. Membership is monotone: whatever a type
//! refers to belongs to at least the same features, so a module gated by its types' features
//! always finds the types it names.

use crate::diag::Diagnostics;
use crate::ir::{Feature, Operation, TypeDef};
use crate::overlay::Features;
use std::collections::{BTreeMap, BTreeSet};

/// Feature names cargo or the crate already uses.
const RESERVED: &[&str] = &["default", "full-serde", "roundtrip"];

/// The feature of a group path: its top-level group, or its first two levels when the top level
/// is split.
fn feature_group(group: &[String], rules: &Features) -> Vec<String> {
    let depth = if group.first().is_some_and(|g| rules.split.contains(g)) { 2 } else { 1 };
    group.iter().take(depth).cloned().collect()
}

fn feature_name(group: &[String]) -> String {
    let mut name = group.join("-").replace('_', "-").to_ascii_lowercase();
    name.retain(|c| c.is_ascii_alphanumeric() || c == '-');
    if name.is_empty() {
        name = "api".into();
    }
    name
}

/// Sets each operation's feature and returns the features, in name order.
pub(super) fn assign_features(operations: &mut [Operation], rules: &Features, diags: &mut Diagnostics) -> Vec<Feature> {
    let at = "spec/overlay.yaml#/features";
    let mut features: BTreeMap<String, Feature> = BTreeMap::new();
    for op in operations.iter_mut() {
        let group = feature_group(&op.group, rules);
        let mut name = feature_name(&group);
        if RESERVED.contains(&name.as_str()) {
            name = format!("api-{name}");
        }
        let f =
            features.entry(name.clone()).or_insert_with(|| Feature { name: name.clone(), group: group.clone(), operations: 0, enables: Vec::new() });
        if f.group != group {
            diags.warn(at, format!("groups `{}` and `{}` both make the feature `{name}`; they share it", f.group.join("."), group.join(".")));
        }
        f.operations += 1;
        op.feature = name;
    }
    for top in &rules.split {
        let parts: Vec<String> = features.values().filter(|f| f.group.len() > 1 && &f.group[0] == top).map(|f| f.name.clone()).collect();
        if parts.is_empty() {
            diags.warn(at, format!("`split: {top}`: no operation is in a subgroup of `{top}`"));
            continue;
        }
        let name = feature_name(std::slice::from_ref(top));
        let f = features.entry(name.clone()).or_insert_with(|| Feature { name, group: vec![top.clone()], operations: 0, enables: Vec::new() });
        f.enables = parts;
    }
    features.into_values().collect()
}

/// Every type's `uses`: the methods that send it (a body or a parameter), return it (a
/// response or its events) or answer with it (an error body), then the fields that hold it;
/// at most three, methods first.
fn uses_of(types: &[TypeDef], operations: &[Operation]) -> BTreeMap<String, Vec<String>> {
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // The text only for types that name another (most fields are strings and numbers).
    let mut note = |t: &crate::ir::TypeRef, what: &dyn Fn() -> String| {
        let mut names = Vec::new();
        t.named(&mut names);
        if names.is_empty() {
            return;
        }
        let what = what();
        for n in names {
            let list = found.entry(n).or_default();
            if !list.contains(&what) {
                list.push(what.clone());
            }
        }
    };
    for op in operations {
        let method = op.sdk_name();
        if let Some(b) = &op.body {
            note(&b.ty, &|| format!("sent to `{method}`"));
        }
        for p in &op.params {
            note(&p.ty, &|| format!("a parameter of `{method}`"));
        }
        match &op.success {
            crate::ir::Success::Json(t) => note(t, &|| format!("returned by `{method}`")),
            crate::ir::Success::Sse(t) => note(t, &|| format!("an event of `{method}`")),
            _ => {}
        }
        for e in &op.errors {
            if let Some(t) = &e.ty {
                note(t, &|| format!("the error body of `{method}`"));
            }
        }
    }
    for def in types {
        if let crate::ir::TypeKind::Struct(s) = &def.kind {
            for f in &s.fields {
                note(&f.ty, &|| format!("the `{}` of `{}`", f.wire, def.name));
            }
        }
    }
    found
}

/// Fills every type's `features` ([`reach_of`]) and `uses` ([`uses_of`]) (`types` sorted by
/// name): each reads the types and fills a field the other does not read, so they run on two
/// threads, and `also` reads the types beside them (neither field is one it reads).
pub(super) fn reach_and_uses<R>(types: &mut [TypeDef], operations: &[Operation], also: impl FnOnce(&[TypeDef]) -> R) -> R {
    let (sets, found, r) = std::thread::scope(|scope| {
        let shared: &[TypeDef] = types;
        let other = scope.spawn(move || uses_of(shared, operations));
        let sets = reach_of(shared, operations);
        let r = also(shared);
        (sets, other.join().expect("the type-use thread panicked"), r)
    });
    for (name, set) in sets {
        if let Some(def) = find_mut(types, &name) {
            def.features = set.into_iter().collect();
        }
    }
    for (name, list) in found {
        if let Some(def) = find_mut(types, &name) {
            def.uses = list;
        }
    }
    r
}

/// A type of a list sorted by name.
fn find<'t>(types: &'t [TypeDef], name: &str) -> Option<&'t TypeDef> {
    types.binary_search_by(|t| t.name.as_str().cmp(name)).ok().map(|i| &types[i])
}

fn find_mut<'t>(types: &'t mut [TypeDef], name: &str) -> Option<&'t mut TypeDef> {
    types.binary_search_by(|t| t.name.as_str().cmp(name)).ok().map(|i| &mut types[i])
}

/// Every type's `features`: the features whose operations reach it.
fn reach_of(types: &[TypeDef], operations: &[Operation]) -> BTreeMap<String, BTreeSet<String>> {
    let mut sets: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in operations {
        let mut stack = Vec::new();
        op.type_refs().for_each(|t| t.named(&mut stack));
        while let Some(name) = stack.pop() {
            let Some(def) = find(types, &name) else { continue };
            if !sets.entry(name).or_default().insert(op.feature.clone()) {
                continue;
            }
            def.refs(&mut stack);
        }
    }
    sets
}
