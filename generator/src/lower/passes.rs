//! Passes over the whole set of lowered types and operations, run in order by [`super::lower`].

use crate::diag::Diagnostics;
use crate::fast::HashMap;
use crate::ir::*;
use std::collections::BTreeMap;

/// Makes the descriptions' site-relative Markdown links (`](/api/…)`) absolute against `base`.
pub(super) fn absolute_links(types: &mut [TypeDef], operations: &mut [Operation], base: &str) {
    let fix = |d: &mut Option<String>| {
        if let Some(text) = d.as_mut().filter(|t| t.contains("](/")) {
            *text = text.replace("](/", &format!("]({base}/"));
        }
    };
    for t in types {
        fix(&mut t.docs);
        match &mut t.kind {
            TypeKind::Struct(s) => s.fields.iter_mut().for_each(|f| fix(&mut f.docs)),
            TypeKind::Enum(values) => values.iter_mut().for_each(|v| fix(&mut v.docs)),
            _ => {}
        }
    }
    for op in operations {
        fix(&mut op.summary);
        fix(&mut op.description);
        op.params.iter_mut().for_each(|p| fix(&mut p.docs));
        if let Some(b) = &mut op.body {
            fix(&mut b.docs);
        }
    }
}

/// The helper modules the overlay asks for whose declared shapes fit the lowered types; the
/// others are left out with a warning naming the shape that does not fit.
pub(super) fn helpers_that_fit(wanted: &[String], types: &[TypeDef], diags: &mut Diagnostics) -> Vec<String> {
    let at = "spec/overlay.yaml#/helpers";
    let mut helpers = Vec::new();
    for name in wanted {
        match crate::helpers::find(name) {
            None => {
                let known: Vec<&str> = crate::helpers::HELPERS.iter().map(|h| h.name).collect();
                diags.warn(at, format!("`{name}` is not a helper module (known: {})", known.join(", ")));
            }
            Some(h) => match h.check(types) {
                Ok(()) => helpers.push(name.clone()),
                Err(why) => diags.warn(at, format!("helper `{name}` left out: {why}")),
            },
        }
    }
    // A helper calling one that is left out goes too (until nothing changes).
    loop {
        let missing = helpers.iter().find_map(|name| {
            let h = crate::helpers::find(name)?;
            h.needs().into_iter().find(|n| !helpers.iter().any(|x| x == n)).map(|n| (name.clone(), n))
        });
        let Some((name, need)) = missing else { break };
        diags.warn(at, format!("helper `{name}` left out: it calls the helper `{need}`, which is not in the crate"));
        helpers.retain(|x| *x != name);
    }
    helpers
}

/// A method that fixes a body field (`stream: true`) needs a JSON body whose type has that
/// field as a boolean; otherwise the streaming twin is dropped with a warning naming the field.
pub(super) fn check_body_flags(operations: &mut Vec<Operation>, types: &BTreeMap<String, TypeDef>, diags: &mut Diagnostics) {
    operations.retain_mut(|op| {
        let Some(flag) = &op.body_flag else { return true };
        let field = match &op.body {
            Some(Body { kind: BodyKind::Json, ty: TypeRef::Named(n), .. }) => match types.get(n).map(|t| &t.kind) {
                Some(TypeKind::Struct(s)) => s.fields.iter().find(|f| f.wire == flag.wire),
                _ => None,
            },
            _ => None,
        };
        if matches!(field.map(|f| &f.ty), Some(TypeRef::Bool)) {
            return true;
        }
        if flag.value {
            // The streaming twin goes.
            return false;
        }
        diags.warn(
            crate::diag::child("spec/overlay.yaml#/streams", &op.id),
            format!("`flag: {}` is not a boolean field of the operation's JSON body; no streaming method", flag.wire),
        );
        op.body_flag = None;
        true
    });
}

/// Which serde directions each type needs: `Serialize` for what requests carry, `Deserialize`
/// for what responses carry. Types no operation uses get both.
pub(super) fn directions(types: &mut BTreeMap<String, TypeDef>, operations: &[Operation]) {
    fn mark(types: &mut BTreeMap<String, TypeDef>, t: &TypeRef, ser: bool) {
        let mut names = Vec::new();
        t.named(&mut names);
        let mut stack = names;
        while let Some(n) = stack.pop() {
            let Some(def) = types.get_mut(&n) else { continue };
            let flag = if ser { &mut def.ser } else { &mut def.de };
            if *flag {
                continue;
            }
            *flag = true;
            def.refs(&mut stack);
        }
    }
    for op in operations {
        for p in &op.params {
            mark(types, &p.ty, true);
        }
        if let Some(b) = &op.body {
            mark(types, &b.ty, true);
        }
        match &op.success {
            Success::Json(t) | Success::Sse(t) => mark(types, t, false),
            Success::Empty | Success::Binary => {}
        }
        for e in &op.errors {
            if let Some(t) = &e.ty {
                mark(types, t, false);
            }
        }
    }
    // Unused types (and everything they reach) get both directions.
    let unused: Vec<String> = types.values().filter(|d| !d.ser && !d.de).map(|d| d.name.clone()).collect();
    for n in unused {
        mark(types, &TypeRef::Named(n.clone()), true);
        mark(types, &TypeRef::Named(n), false);
    }
}

/// Untagged variant order: the most specific first, so the first that decodes is right.
/// The sort is stable: equally specific variants keep the spec's order.
pub(super) fn order_untagged(types: &mut BTreeMap<String, TypeDef>) {
    let mut orders = Vec::new();
    for (name, def) in types.iter() {
        if let TypeKind::Untagged(vs) = &def.kind {
            let mut ranked: Vec<(u32, Variant)> = vs.iter().map(|v| (rank(types, &v.ty), v.clone())).collect();
            ranked.sort_by_key(|(r, _)| *r);
            orders.push((name.clone(), ranked.into_iter().map(|(_, v)| v).collect::<Vec<_>>()));
        }
    }
    for (name, vs) in orders {
        if let Some(def) = types.get_mut(&name) {
            def.kind = TypeKind::Untagged(vs);
        }
    }
}

/// Aliases that expand to themselves (`A = B`, `B = A`, or `A = Vec<A>`, from `$ref` chains and
/// single-member `allOf`s that go round) can be no Rust type: the first alias of each cycle
/// becomes any JSON value, reported at its schema. Every later pass may then follow aliases
/// without a limit.
pub(super) fn break_alias_cycles(types: &mut BTreeMap<String, TypeDef>, diags: &mut Diagnostics) {
    fn reaches(types: &BTreeMap<String, TypeDef>, t: &TypeRef, start: &str, seen: &mut Vec<String>) -> bool {
        match t {
            TypeRef::Vec(i) | TypeRef::Map(i) | TypeRef::Option(i) => reaches(types, i, start, seen),
            TypeRef::Named(n) if n == start => true,
            TypeRef::Named(n) if !seen.contains(n) => {
                seen.push(n.clone());
                match types.get(n).map(|d| &d.kind) {
                    Some(TypeKind::Alias(inner)) => reaches(types, inner, start, seen),
                    _ => false,
                }
            }
            _ => false,
        }
    }
    let names: Vec<String> = types.iter().filter(|(_, d)| matches!(d.kind, TypeKind::Alias(_))).map(|(n, _)| n.clone()).collect();
    for name in names {
        let Some(TypeKind::Alias(target)) = types.get(&name).map(|d| &d.kind) else { continue };
        let mut seen = Vec::new();
        if reaches(types, target, &name, &mut seen) {
            let def = types.get_mut(&name).expect("listed above");
            let chain: Vec<&str> = std::iter::once(name.as_str()).chain(seen.iter().map(String::as_str)).chain([name.as_str()]).collect();
            diags.warn(
                def.origin.clone(),
                format!("`$ref`/`allOf` cycle of aliases ({}): no type can be only itself; typed as any JSON value", chain.join(" → ")),
            );
            def.kind = TypeKind::Alias(TypeRef::Any);
        }
    }
}

pub(super) fn rank(types: &BTreeMap<String, TypeDef>, t: &TypeRef) -> u32 {
    {
        match t {
            TypeRef::Bool => 10,
            TypeRef::I32 | TypeRef::I64 => 11,
            TypeRef::F64 => 12,
            TypeRef::Named(n) => match types.get(n).map(|d| &d.kind) {
                Some(TypeKind::Const(_)) => 5,
                Some(TypeKind::Enum(_)) => 20,
                Some(TypeKind::Struct(st)) => {
                    let specific = st.fields.iter().filter(|f| f.required || f.is_const).count() as u32;
                    100 - specific.min(60)
                }
                Some(TypeKind::Alias(inner)) => rank(types, inner),
                Some(TypeKind::Tagged { .. }) => 150,
                Some(TypeKind::Untagged(_)) => 160,
                None => 140,
            },
            TypeRef::String => 30,
            TypeRef::Vec(_) => 50,
            TypeRef::Option(inner) => rank(types, inner) + 1,
            TypeRef::Map(_) => 170,
            TypeRef::File => 40,
            TypeRef::Any => 200,
        }
    }
}

/// Boxes union variants much larger than the others (clippy's `large_enum_variant`: a value of
/// the enum is as large as its largest variant).
pub(super) fn box_large_variants(types: &mut [TypeDef]) {
    let index: HashMap<String, usize> = types.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    let mut memo: HashMap<usize, u64> = HashMap::default();
    fn size(types: &[TypeDef], index: &HashMap<String, usize>, memo: &mut HashMap<usize, u64>, t: &TypeRef, depth: u32) -> u64 {
        match t {
            TypeRef::String | TypeRef::Vec(_) | TypeRef::Map(_) => 24,
            TypeRef::I32 => 4,
            TypeRef::I64 | TypeRef::F64 => 8,
            TypeRef::Bool => 1,
            TypeRef::Any => 32,
            TypeRef::File => 48,
            TypeRef::Option(inner) => size(types, index, memo, inner, depth) + 8,
            TypeRef::Named(n) => match index.get(n) {
                Some(&i) => def_size(types, index, memo, i, depth),
                None => 8,
            },
        }
    }
    fn def_size(types: &[TypeDef], index: &HashMap<String, usize>, memo: &mut HashMap<usize, u64>, i: usize, depth: u32) -> u64 {
        if let Some(s) = memo.get(&i) {
            return *s;
        }
        if depth > 40 {
            return 8;
        }
        let s = match &types[i].kind {
            TypeKind::Struct(st) => {
                let mut total: u64 = st
                    .fields
                    .iter()
                    .map(|f| {
                        let inner = if f.boxed { 8 } else { size(types, index, memo, &f.ty, depth + 1) };
                        match f.presence() {
                            Presence::Plain => inner,
                            _ => inner + 8,
                        }
                    })
                    .sum();
                if st.additional.is_some() {
                    total += 24;
                }
                total
            }
            TypeKind::Enum(_) => 24,
            TypeKind::Const(_) => 0,
            TypeKind::Alias(t) => size(types, index, memo, t, depth + 1),
            TypeKind::Tagged { variants, .. } => {
                8 + variants.iter().map(|v| if v.boxed { 8 } else { size(types, index, memo, &v.ty, depth + 1) }).max().unwrap_or(0).max(32)
            }
            TypeKind::Untagged(vs) => {
                8 + vs.iter().map(|v| if v.boxed { 8 } else { size(types, index, memo, &v.ty, depth + 1) }).max().unwrap_or(0).max(32)
            }
        };
        memo.insert(i, s);
        s
    }
    // Box variants over the threshold, union by union (deepest first through the memo).
    const THRESHOLD: u64 = 128;
    for i in 0..types.len() {
        let sizes: Vec<u64> = match &types[i].kind {
            TypeKind::Tagged { variants, .. } => variants.iter().map(|v| size(types, &index, &mut memo, &v.ty, 0)).collect(),
            TypeKind::Untagged(vs) => vs.iter().map(|v| size(types, &index, &mut memo, &v.ty, 0)).collect(),
            _ => continue,
        };
        let mut sorted = sizes.clone();
        sorted.sort_unstable();
        sorted.push(32); // the `Unknown(Value)` variant
        sorted.sort_unstable();
        let second = sorted.iter().rev().nth(1).copied().unwrap_or(0);
        if sorted.last().copied().unwrap_or(0) < second + THRESHOLD {
            continue;
        }
        match &mut types[i].kind {
            TypeKind::Tagged { variants, .. } => {
                for (v, s) in variants.iter_mut().zip(&sizes) {
                    v.boxed = *s >= THRESHOLD;
                }
            }
            TypeKind::Untagged(vs) => {
                for (v, s) in vs.iter_mut().zip(&sizes) {
                    v.boxed = *s >= THRESHOLD;
                }
            }
            _ => {}
        }
        memo.clear();
    }
}

/// Boxes fields and variants that would otherwise make a type contain itself.
pub(super) fn box_recursion(types: &mut [TypeDef]) {
    let index: HashMap<String, usize> = types.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    // Direct containment edges (not through Vec or Map, which already allocate).
    fn direct(t: &TypeRef) -> Option<&str> {
        match t {
            TypeRef::Named(n) => Some(n),
            TypeRef::Option(inner) => direct(inner),
            _ => None,
        }
    }
    let edges: Vec<Vec<usize>> = types
        .iter()
        .map(|t| {
            let mut out = Vec::new();
            let mut push = |tr: &TypeRef| {
                if let Some(i) = direct(tr).and_then(|n| index.get(n)) {
                    out.push(*i);
                }
            };
            match &t.kind {
                TypeKind::Struct(s) => s.fields.iter().for_each(|f| push(&f.ty)),
                TypeKind::Tagged { variants, .. } => variants.iter().for_each(|v| push(&v.ty)),
                TypeKind::Untagged(vs) => vs.iter().for_each(|v| push(&v.ty)),
                TypeKind::Alias(a) => push(a),
                _ => {}
            }
            out
        })
        .collect();
    let reaches = |from: usize, to: usize| -> bool {
        let mut seen = vec![false; types.len()];
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            stack.extend(edges[n].iter().copied());
        }
        false
    };
    let mut to_box: Vec<(usize, String)> = Vec::new();
    for (i, t) in types.iter().enumerate() {
        if let TypeKind::Struct(s) = &t.kind {
            for f in &s.fields {
                if let Some(&j) = direct(&f.ty).and_then(|n| index.get(n)) {
                    if reaches(j, i) {
                        to_box.push((i, f.rust.clone()));
                    }
                }
            }
        }
    }
    for (i, field) in to_box {
        if let TypeKind::Struct(s) = &mut types[i].kind {
            if let Some(f) = s.fields.iter_mut().find(|f| f.rust == field) {
                f.boxed = true;
            }
        }
    }
}

/// Pagination: each JSON list operation's `x-speakeasy-pagination`, or the overlay's entry for
/// it, checked against its parameters and response type. An entry that does not fit (a
/// parameter or field missing or of another type, an unknown kind) is dropped with a warning
/// naming it; the operation keeps its plain method.
pub(super) fn pagination(
    api: &openapiv3::OpenAPI,
    overlay: &BTreeMap<String, Option<crate::overlay::PaginationSpec>>,
    operations: &mut [Operation],
    types: &BTreeMap<String, TypeDef>,
    diags: &mut Diagnostics,
) {
    use crate::diag::child;
    let mut matched = crate::fast::HashSet::default();
    for op in operations.iter_mut() {
        // A streaming twin shares the operation id; only the JSON method pages.
        let Success::Json(TypeRef::Named(page)) = &op.success else { continue };
        let ptr = child(&child(&child("#/paths", &op.path_key), &op.http_method.to_ascii_lowercase()), "x-speakeasy-pagination");
        let (spec, at) = match overlay.get(&op.id) {
            Some(entry) => {
                matched.insert(op.id.clone());
                match entry {
                    Some(spec) => (spec.clone(), child("spec/overlay.yaml#/pagination", &op.id)),
                    None => continue,
                }
            }
            None => {
                let raw = match api.paths.paths.get(&op.path_key) {
                    Some(openapiv3::ReferenceOr::Item(item)) => item
                        .iter()
                        .find(|(m, _)| m.eq_ignore_ascii_case(&op.http_method))
                        .and_then(|(_, o)| o.extensions.get("x-speakeasy-pagination")),
                    _ => None,
                };
                let Some(raw) = raw else { continue };
                match serde_json::from_value::<crate::overlay::PaginationSpec>(raw.clone()) {
                    Ok(spec) => (spec, ptr),
                    Err(e) => {
                        diags.warn(ptr, format!("not a pagination entry ({e}); `{}` gets no pages()", op.id));
                        continue;
                    }
                }
            }
        };
        match resolve_pagination(&spec, op, page, types) {
            Ok(p) => op.pagination = Some(p),
            Err(why) => diags.warn(at, format!("{why}; `{}` gets no pages()", op.id)),
        }
    }
    for id in overlay.keys().filter(|id| !matched.contains(*id)) {
        diags.warn(child("spec/overlay.yaml#/pagination", id), format!("no JSON operation `{id}`"));
    }
}

fn resolve_pagination(
    spec: &crate::overlay::PaginationSpec,
    op: &Operation,
    page: &str,
    types: &BTreeMap<String, TypeDef>,
) -> Result<Pagination, String> {
    let Some(TypeKind::Struct(s)) = types.get(page).map(|t| &t.kind) else { return Err(format!("the response `{page}` is not an object")) };
    let field = |path: &str, what: &str| {
        let wire = path
            .strip_prefix("$.")
            .filter(|w| !w.contains(['.', '[']))
            .ok_or_else(|| format!("{what} `{path}` is not a top-level field (`$.name`)"))?;
        s.fields.iter().find(|f| f.wire == wire && !f.flatten).ok_or_else(|| format!("{what}: `{page}` has no field `{wire}`"))
    };
    let resolved = |t: &TypeRef| match t {
        TypeRef::Named(n) => match types.get(n).map(|d| &d.kind) {
            Some(TypeKind::Alias(a)) => a.clone(),
            _ => t.clone(),
        },
        _ => t.clone(),
    };
    let input = |kind: &str| -> Result<&Param, String> {
        let i = spec.inputs.iter().find(|i| i.kind == kind).ok_or_else(|| format!("no `{kind}` input"))?;
        if i.location.as_deref().is_some_and(|l| l != "parameters") {
            return Err(format!("the `{kind}` input is in `{}` (only `parameters` is supported)", i.location.as_deref().unwrap_or_default()));
        }
        let p = op
            .params
            .iter()
            .find(|p| p.wire == i.name && p.location == ParamLocation::Query)
            .ok_or_else(|| format!("no query parameter `{}`", i.name))?;
        if p.required {
            return Err(format!("the `{kind}` parameter `{}` is required", i.name));
        }
        Ok(p)
    };
    let results = field(spec.outputs.results.as_deref().ok_or("no `results` output")?, "results")?;
    let TypeRef::Vec(item) = resolved(&results.ty) else { return Err(format!("results `{page}.{}` is not a list", results.wire)) };
    let kind = match spec.kind.as_str() {
        "cursor" => {
            let p = input("cursor")?;
            if resolved(&p.ty) != TypeRef::String {
                return Err(format!("the cursor parameter `{}` is not a string", p.wire));
            }
            let next = field(spec.outputs.next_cursor.as_deref().ok_or("no `nextCursor` output")?, "nextCursor")?;
            if resolved(&next.ty) != TypeRef::String {
                return Err(format!("nextCursor `{page}.{}` is not a string", next.wire));
            }
            PageKind::Cursor { param: p.rust.clone(), next: next.rust.clone() }
        }
        "offsetLimit" => {
            let p = input("offset")?;
            let ty = resolved(&p.ty);
            if !matches!(ty, TypeRef::I32 | TypeRef::I64) {
                return Err(format!("the offset parameter `{}` is not an integer", p.wire));
            }
            PageKind::Offset { param: p.rust.clone(), ty }
        }
        other => return Err(format!("pagination type `{other}` is not supported (cursor, offsetLimit)")),
    };
    Ok(Pagination { kind, results: results.rust.clone(), item: *item })
}
