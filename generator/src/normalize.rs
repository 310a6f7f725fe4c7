//! Normalize: rewrites the OpenAPI 3.1 idioms that `openapiv3` (an OpenAPI 3.0 model) cannot hold
//! into their 3.0 form, keeping everything the SDK needs, then parses the result into
//! [`openapiv3::OpenAPI`].
//!
//! What it rewrites (each is snapshot-tested on a fixture):
//! - `anyOf`/`oneOf` members `{type: null}` and `type: [X, "null"]` → `nullable: true`;
//!   a single remaining member is merged into the parent (a `$ref` becomes `allOf: [$ref]`).
//! - `const: v` → `enum: [v]` with `x-const: true`; so does a boolean `enum` of one value.
//! - `examples: [...]` → `example` (the first) and `x-examples` (all, for round-trip tests).
//! - numeric `exclusiveMinimum`/`exclusiveMaximum` → `minimum`/`maximum` + boolean flag.
//! - `$ref` with sibling keywords → `allOf: [{$ref}]` with the siblings kept.
//! - `$defs` blocks → hoisted into `#/components/schemas`, refs to them rewritten; refs written
//!   `#/$defs/X` that do not resolve from the root (a spec bug) are reported.
//! - path keys with a `#fragment` → the fragment is stripped when that leaves no clash; otherwise
//!   the key is kept and the operation's real path is the part before `#` (see `lower`).
//!
//! Keywords it does not know are reported with their JSON pointer and dropped; keywords it knows
//! but `openapiv3` cannot hold (`prefixItems`) are reported as lossy.

use crate::diag::{child, push, Diagnostics};
use anyhow::Result;
use serde_json::{Map, Value};

/// Schema keywords the pipeline understands after normalization.
const KNOWN: &[&str] = &[
    "type",
    "format",
    "title",
    "description",
    "default",
    "enum",
    "nullable",
    "readOnly",
    "writeOnly",
    "deprecated",
    "example",
    "externalDocs",
    "xml",
    "discriminator",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "$ref",
];

/// Keywords dropped on purpose because they do not change the Rust types: map key constraints,
/// JSON Schema bookkeeping, content encodings (handled through `format`).
const DROPPED_QUIETLY: &[&str] = &["propertyNames", "$schema", "$id", "$comment", "contentEncoding", "contentMediaType"];

/// The result of normalization: the rewritten document and what was found on the way.
pub struct Normalized {
    pub document: Value,
    pub openapi: openapiv3::OpenAPI,
}

/// Normalizes a loaded spec and parses it into `openapiv3`.
pub fn normalize(mut doc: Value, diags: &mut Diagnostics) -> Result<Normalized> {
    if !doc.is_object() {
        anyhow::bail!("#: the spec's root is not a mapping");
    }
    match doc.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.") => {}
        Some(v) => anyhow::bail!("#/openapi: unsupported OpenAPI version `{v}` (3.0 or 3.1 expected)"),
        None => anyhow::bail!("#/openapi: missing; this does not look like an OpenAPI document"),
    }
    hoist_defs(&mut doc, diags);
    strip_path_fragments(&mut doc);
    parameter_schema_required(&mut doc, diags);
    // Schemas are independent: normalize them on two threads, findings merged (and sorted later).
    // Dealt alternately: the roots come as the paths' small inline schemas, then the components'
    // large ones, so halves of the list would leave one thread with most of the work.
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for (i, root) in schema_roots(&mut doc).into_iter().enumerate() {
        if i % 2 == 0 {
            first.push(root)
        } else {
            second.push(root)
        }
    }
    let found = std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            let mut d = Diagnostics::default();
            for (schema, ptr) in second.iter_mut() {
                normalize_schema(schema, ptr, &mut d);
            }
            d.finish()
        });
        let mut d = Diagnostics::default();
        for (schema, ptr) in first.iter_mut() {
            normalize_schema(schema, ptr, &mut d);
        }
        let mut found = d.finish();
        found.extend(other.join().expect("normalizer thread panicked"));
        found
    });
    drop((first, second));
    diags.extend(found);
    let openapi = parse_openapi(&doc)?;
    Ok(Normalized { document: doc, openapi })
}

/// Parses a normalized document into `openapiv3`, naming the JSON path of any mismatch.
pub fn parse_openapi(doc: &Value) -> Result<openapiv3::OpenAPI> {
    use serde::Deserialize;
    if let Some(api) = parse_fast(doc) {
        return Ok(api);
    }
    // Slow path: what the fast one does not take (a `null` component map), or else the error,
    // named by the smallest part that does not fit.
    openapiv3::OpenAPI::deserialize(doc).map_err(|_| locate_parse_error(doc))
}

/// One path item or component schema, parsed on whichever thread takes it.
/// Boxed: a path item is kilobytes (eight operations inline), moved several times here.
enum Parsed {
    Path(Box<openapiv3::ReferenceOr<openapiv3::PathItem>>),
    Schema(Box<openapiv3::ReferenceOr<openapiv3::Schema>>),
}

/// The fast path of [`parse_openapi`]: what `openapiv3`'s derives give, `None` on any mismatch.
///
/// `Paths` and `Components` flatten their extensions, so their derives first copy the whole
/// subtree into serde's buffer and parse from the copy; here their entries are parsed straight
/// from the document (keys as the derives take them: `/…` paths, the named component maps,
/// `x-…` extensions, nothing else), the path items and component schemas by both cores from one
/// queue, so neither waits for the other.
pub fn parse_fast(doc: &Value) -> Option<openapiv3::OpenAPI> {
    use openapiv3::ReferenceOr;
    use serde::Deserialize;
    let paths = match doc.get("paths") {
        Some(Value::Object(map)) => Some(map),
        Some(_) => return None,
        None => None,
    };
    let components = match doc.get("components") {
        Some(Value::Object(map)) => Some(map),
        Some(_) => return None,
        None => None,
    };
    let schemas = match components.and_then(|c| c.get("schemas")) {
        Some(Value::Object(map)) => Some(map),
        Some(_) => return None,
        None => None,
    };
    let units: Vec<(bool, &String, &Value)> = paths
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.starts_with('/'))
        .map(|(k, v)| (true, k, v))
        .chain(schemas.into_iter().flatten().map(|(k, v)| (false, k, v)))
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || -> Option<Vec<(usize, Parsed)>> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(&(path, _, v)) = units.get(i) else { return Some(done) };
            let parsed = if path {
                Parsed::Path(Box::new(ReferenceOr::deserialize(v).ok()?))
            } else {
                Parsed::Schema(Box::new(ReferenceOr::deserialize(v).ok()?))
            };
            done.push((i, parsed));
        }
    };
    let (mine, theirs, api) = std::thread::scope(|scope| {
        let other = scope.spawn(work);
        let mine = work();
        // The rest is small: the document without its paths and components.
        let shell: Option<Map<String, Value>> = doc.as_object().map(|root| {
            root.iter()
                .filter(|(k, _)| *k != "paths" && *k != "components")
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain([("paths".to_string(), Value::Object(Map::new()))])
                .collect()
        });
        let api = shell.and_then(|shell| openapiv3::OpenAPI::deserialize(&Value::Object(shell)).ok());
        (mine, other.join().expect("parser thread panicked"), api)
    });
    let mut api = api?;
    let mut parsed: Vec<(usize, Parsed)> = mine?.into_iter().chain(theirs?).collect();
    if parsed.len() != units.len() {
        return None;
    }
    parsed.sort_unstable_by_key(|(i, _)| *i);
    let mut component_schemas = indexmap::IndexMap::with_capacity(schemas.map_or(0, Map::len));
    for ((_, key, _), (_, p)) in units.iter().zip(parsed) {
        match p {
            Parsed::Path(item) => drop(api.paths.paths.insert(key.to_string(), *item)),
            Parsed::Schema(schema) => drop(component_schemas.insert(key.to_string(), *schema)),
        }
    }
    for (k, v) in paths.into_iter().flatten().filter(|(k, _)| k.starts_with("x-")) {
        api.paths.extensions.insert(k.clone(), v.clone());
    }
    api.components = match components {
        None => None,
        Some(map) => {
            let mut c = openapiv3::Components { schemas: component_schemas, ..Default::default() };
            for (k, v) in map {
                match k.as_str() {
                    "schemas" => {}
                    "responses" => c.responses = Deserialize::deserialize(v).ok()?,
                    "parameters" => c.parameters = Deserialize::deserialize(v).ok()?,
                    "examples" => c.examples = Deserialize::deserialize(v).ok()?,
                    "requestBodies" => c.request_bodies = Deserialize::deserialize(v).ok()?,
                    "headers" => c.headers = Deserialize::deserialize(v).ok()?,
                    "securitySchemes" => c.security_schemes = Deserialize::deserialize(v).ok()?,
                    "links" => c.links = Deserialize::deserialize(v).ok()?,
                    "callbacks" => c.callbacks = Deserialize::deserialize(v).ok()?,
                    x if x.starts_with("x-") => drop(c.extensions.insert(k.clone(), v.clone())),
                    _ => {}
                }
            }
            Some(c)
        }
    };
    Some(api)
}

/// Names where a normalized document does not fit the OpenAPI 3.0 model: per path item and
/// operation, per component, then the whole document.
fn locate_parse_error(doc: &Value) -> anyhow::Error {
    fn try_part<T: serde::de::DeserializeOwned>(v: &Value, ptr: &str) -> Option<anyhow::Error> {
        use serde_path_to_error::Segment;
        let err = serde_path_to_error::deserialize::<_, T>(v).err()?;
        let mut at = ptr.to_string();
        for segment in err.path().iter() {
            match segment {
                Segment::Seq { index } => at = child(&at, &index.to_string()),
                Segment::Map { key } => at = child(&at, key),
                Segment::Enum { .. } | Segment::Unknown => {}
            }
        }
        Some(anyhow::anyhow!("{at}: does not fit the OpenAPI 3.0 model: {}", err.inner()))
    }
    if let Some(Value::Object(paths)) = doc.get("paths") {
        for (path, item) in paths {
            let ptr = child("#/paths", path);
            if let Value::Object(ops) = item {
                for (method, op) in ops {
                    if METHODS.contains(&method.as_str()) {
                        if let Some(e) = try_part::<openapiv3::Operation>(op, &child(&ptr, method)) {
                            return e;
                        }
                    }
                }
            }
            if let Some(e) = try_part::<openapiv3::PathItem>(item, &ptr) {
                return e;
            }
        }
    }
    if let Some(Value::Object(components)) = doc.get("components") {
        for (section, entries) in components {
            if let Value::Object(entries) = entries {
                for (name, entry) in entries {
                    let ptr = child(&child("#/components", section), name);
                    let e = match section.as_str() {
                        "schemas" => try_part::<openapiv3::ReferenceOr<openapiv3::Schema>>(entry, &ptr),
                        "parameters" => try_part::<openapiv3::ReferenceOr<openapiv3::Parameter>>(entry, &ptr),
                        "responses" => try_part::<openapiv3::ReferenceOr<openapiv3::Response>>(entry, &ptr),
                        "requestBodies" => try_part::<openapiv3::ReferenceOr<openapiv3::RequestBody>>(entry, &ptr),
                        "securitySchemes" => try_part::<openapiv3::ReferenceOr<openapiv3::SecurityScheme>>(entry, &ptr),
                        _ => None,
                    };
                    if let Some(e) = e {
                        return e;
                    }
                }
            }
        }
    }
    try_part::<openapiv3::OpenAPI>(doc, "#").unwrap_or_else(|| anyhow::anyhow!("#: the normalized spec does not fit the OpenAPI 3.0 model"))
}

/// The normalized document as a mock server (Stoplight Prism) should read it. Patches, each
/// needed by Prism and harmless to the contract:
/// - `openapi: 3.0.3`: the document is in 3.0 form (`nullable`, boolean exclusive bounds); read
///   as 3.1, `nullable` would be ignored and every `null` rejected.
/// - no `discriminator`s: Prism's validator (AJV) refuses a discriminator whose tag is not
///   required in every member (the spec's messages have an optional `role`) and then validates
///   nothing for the whole request; every member fixes its tag with a one-value enum, so `oneOf`
///   alone checks the same thing.
pub fn for_mock_server(mut doc: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                if m.get("discriminator").is_some_and(Value::is_object) {
                    m.shift_remove("discriminator");
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut doc);
    doc["openapi"] = Value::String("3.0.3".into());
    doc
}

// ---------------------------------------------------------------------------------------------
// $defs hoisting

fn hoist_defs(doc: &mut Value, diags: &mut Diagnostics) {
    let root_has_defs = doc.get("$defs").is_some();
    // Collect (owner pointer, defs) in document order, removing the blocks.
    let found = collect_all_defs(doc);
    if found.is_empty() {
        return;
    }
    for (owner, defs) in found {
        // Name each def in components, reusing an identical existing schema.
        let mut renames: Vec<(String, String)> = Vec::new();
        let schemas = ensure_components_schemas(doc);
        for (name, schema) in &defs {
            let mut target = name.clone();
            let mut n = 2;
            loop {
                match schemas.get(&target) {
                    None => {
                        schemas.insert(target.clone(), schema.clone());
                        break;
                    }
                    Some(existing) if existing == schema => break,
                    Some(_) => {
                        target = format!("{name}{n}");
                        n += 1;
                    }
                }
            }
            renames.push((name.clone(), target));
        }
        // Rewrite refs inside the owner and inside the hoisted schemas themselves.
        let owner_refs: Vec<(String, String)> = renames
            .iter()
            .flat_map(|(from, to)| {
                let target = format!("#/components/schemas/{to}");
                [(format!("#/$defs/{from}"), target.clone()), (format!("{owner}/$defs/{from}"), target)]
            })
            .collect();
        let mut bad_refs = Vec::new();
        if let Some(node) = pointer_mut(doc, &owner) {
            rewrite_refs(node, &owner, &owner_refs, &mut bad_refs);
        }
        for (from, to) in &renames {
            // Findings are reported where the spec writes them: inside the `$defs` block.
            let written_at = format!("{owner}/$defs/{}", crate::diag::escape_token(from));
            if let Some(node) = pointer_mut(doc, &format!("#/components/schemas/{}", crate::diag::escape_token(to))) {
                rewrite_refs(node, &written_at, &owner_refs, &mut bad_refs);
            }
        }
        if !root_has_defs {
            for (at, reference) in bad_refs {
                diags.warn(
                    at,
                    format!("`{reference}` does not resolve from the document root; resolved against the enclosing `$defs` block and hoisted into #/components/schemas"),
                );
            }
        }
    }
}

/// [`collect_defs`] over the whole document, its `paths` on a second thread (the walk visits
/// every node): the same list, in document order.
fn collect_all_defs(doc: &mut Value) -> Vec<(String, Map<String, Value>)> {
    let mut found = Vec::new();
    let Value::Object(root) = doc else {
        collect_defs(doc, &mut String::from("#"), &mut found);
        return found;
    };
    if let Some(Value::Object(defs)) = root.shift_remove("$defs") {
        found.push(("#".to_string(), defs));
    }
    let walk = |key: &String, node: &mut Value| {
        let mut found = Vec::new();
        let mut ptr = String::from("#");
        push(&mut ptr, key);
        collect_defs(node, &mut ptr, &mut found);
        found
    };
    std::thread::scope(|scope| {
        let mut paths = None;
        let mut parts = Vec::new();
        for (i, (key, node)) in root.iter_mut().enumerate() {
            if key == "paths" {
                paths = Some((i, scope.spawn(move || walk(key, node))));
            } else {
                parts.push((i, walk(key, node)));
            }
        }
        if let Some((i, handle)) = paths {
            parts.push((i, handle.join().expect("the $defs walk panicked")));
            parts.sort_by_key(|(i, _)| *i);
        }
        found.extend(parts.into_iter().flat_map(|(_, f)| f));
    });
    found
}

fn collect_defs(node: &mut Value, ptr: &mut String, out: &mut Vec<(String, Map<String, Value>)>) {
    match node {
        Value::Object(map) => {
            // Hashing the key for every object costs more than looking through a small one.
            let has_defs = if map.len() <= 8 { map.keys().any(|k| k == "$defs") } else { map.contains_key("$defs") };
            if has_defs {
                if let Some(Value::Object(defs)) = map.shift_remove("$defs") {
                    out.push((ptr.clone(), defs));
                }
            }
            for (k, v) in map.iter_mut() {
                if v.is_object() || v.is_array() {
                    let len = push(ptr, k);
                    collect_defs(v, ptr, out);
                    ptr.truncate(len);
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                if v.is_object() || v.is_array() {
                    let len = push(ptr, &i.to_string());
                    collect_defs(v, ptr, out);
                    ptr.truncate(len);
                }
            }
        }
        _ => {}
    }
}

/// Rewrites `$ref`s and discriminator mapping values; records the root-relative `#/$defs/` refs.
fn rewrite_refs(node: &mut Value, ptr: &str, renames: &[(String, String)], bad: &mut Vec<(String, String)>) {
    match node {
        Value::Object(map) => {
            let is_mapping = ptr.ends_with("/discriminator/mapping");
            for (k, v) in map.iter_mut() {
                let here = child(ptr, k);
                if let Value::String(s) = v {
                    if k == "$ref" || is_mapping {
                        if let Some((_, to)) = renames.iter().find(|(from, _)| from == s) {
                            if s.starts_with("#/$defs/") {
                                bad.push((here.clone(), s.clone()));
                            }
                            *s = to.clone();
                        }
                        continue;
                    }
                }
                rewrite_refs(v, &here, renames, bad);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                rewrite_refs(v, &format!("{ptr}/{i}"), renames, bad);
            }
        }
        _ => {}
    }
}

fn ensure_components_schemas(doc: &mut Value) -> &mut Map<String, Value> {
    let root = doc.as_object_mut().expect("root is an object");
    let components = root.entry("components").or_insert_with(|| Value::Object(Map::new()));
    if !components.is_object() {
        *components = Value::Object(Map::new());
    }
    let schemas = components.as_object_mut().unwrap().entry("schemas").or_insert_with(|| Value::Object(Map::new()));
    if !schemas.is_object() {
        *schemas = Value::Object(Map::new());
    }
    schemas.as_object_mut().unwrap()
}

/// Resolves a `#/…` JSON pointer mutably.
pub fn pointer_mut<'a>(doc: &'a mut Value, ptr: &str) -> Option<&'a mut Value> {
    let p = ptr.strip_prefix('#')?;
    if p.is_empty() {
        return Some(doc);
    }
    doc.pointer_mut(p)
}

/// Resolves a `#/…` JSON pointer.
pub fn pointer<'a>(doc: &'a Value, ptr: &str) -> Option<&'a Value> {
    let p = ptr.strip_prefix('#')?;
    if p.is_empty() {
        return Some(doc);
    }
    doc.pointer(p)
}

// ---------------------------------------------------------------------------------------------
// parameters

/// A parameter whose schema carries a boolean `required` (a 3.0-era mistake: the flag belongs to
/// the parameter): the flag becomes the parameter's own unless the parameter already says.
fn parameter_schema_required(doc: &mut Value, diags: &mut Diagnostics) {
    fn fix(list: &mut Value, ptr: &str, diags: &mut Diagnostics) {
        let Value::Array(list) = list else { return };
        for (i, p) in list.iter_mut().enumerate() {
            let Some(param) = p.as_object_mut() else { continue };
            let Some(flag) = param.get_mut("schema").and_then(Value::as_object_mut).and_then(take_boolean_required) else { continue };
            let at = format!("{ptr}/{i}/schema/required");
            if param.contains_key("required") {
                diags.warn(at, format!("`required: {flag}` inside a parameter's schema (it belongs to the parameter, which already says); ignored"));
            } else {
                diags.warn(at, format!("`required: {flag}` inside a parameter's schema; read as the parameter's own `required`"));
                param.insert("required".into(), Value::Bool(flag));
            }
        }
    }
    if let Some(Value::Object(paths)) = doc.get_mut("paths") {
        for (path, item) in paths.iter_mut() {
            let item_ptr = child("#/paths", path);
            let Value::Object(item) = item else { continue };
            for (key, v) in item.iter_mut() {
                if key == "parameters" {
                    fix(v, &child(&item_ptr, key), diags);
                } else if METHODS.contains(&key.as_str()) {
                    if let Some(list) = v.get_mut("parameters") {
                        fix(list, &child(&child(&item_ptr, key), "parameters"), diags);
                    }
                }
            }
        }
    }
    if let Some(Value::Object(params)) = doc.pointer_mut("/components/parameters") {
        for (name, p) in params.iter_mut() {
            // One parameter, not a list: wrap it for `fix`.
            let mut list = Value::Array(vec![std::mem::take(p)]);
            let mut found = Diagnostics::default();
            fix(&mut list, "", &mut found);
            for d in found.finish() {
                diags.warn(format!("{}{}", child("#/components/parameters", name), d.pointer.trim_start_matches("/0")), d.message);
            }
            if let Value::Array(mut l) = list {
                *p = l.pop().unwrap_or_default();
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// path keys

fn strip_path_fragments(doc: &mut Value) {
    let Some(Value::Object(paths)) = doc.get_mut("paths") else { return };
    let old = std::mem::take(paths);
    let mut out = Map::new();
    let mut deferred: Vec<(String, Value)> = Vec::new();
    for (key, item) in old {
        if key.contains('#') {
            deferred.push((key, item));
        } else {
            out.insert(key, item);
        }
    }
    for (key, item) in deferred {
        let stripped = key.split('#').next().unwrap_or_default().to_string();
        match out.get_mut(&stripped) {
            None => {
                out.insert(stripped, item);
            }
            Some(Value::Object(existing)) => {
                let clash = item.as_object().map(|m| m.keys().any(|k| existing.contains_key(k))).unwrap_or(true);
                if clash {
                    out.insert(key, item);
                } else if let Value::Object(m) = item {
                    existing.extend(m);
                }
            }
            Some(_) => {
                out.insert(key, item);
            }
        }
    }
    *paths = out;
}

// ---------------------------------------------------------------------------------------------
// schema positions

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Every top-level schema position of the document (components, parameters, request bodies,
/// responses, headers), with its pointer, in document order.
pub fn schema_roots(doc: &mut Value) -> Vec<(&mut Value, String)> {
    let mut out = Vec::new();
    let Value::Object(root) = doc else { return out };
    for (key, value) in root.iter_mut() {
        match key.as_str() {
            "components" => {
                let Value::Object(components) = value else { continue };
                for (section, value) in components.iter_mut() {
                    let Value::Object(entries) = value else { continue };
                    for (name, entry) in entries.iter_mut() {
                        let ptr = child(&child("#/components", section), name);
                        match section.as_str() {
                            "schemas" => out.push((entry, ptr)),
                            "parameters" | "headers" => param_like(entry, &ptr, &mut out),
                            "requestBodies" => content_schemas(entry, &ptr, &mut out),
                            "responses" => response(entry, &ptr, &mut out),
                            _ => {}
                        }
                    }
                }
            }
            "paths" => {
                let Value::Object(paths) = value else { continue };
                for (path, item) in paths.iter_mut() {
                    let item_ptr = child("#/paths", path);
                    let Value::Object(item) = item else { continue };
                    for (key, op) in item.iter_mut() {
                        if key == "parameters" {
                            params(op, &child(&item_ptr, key), &mut out);
                            continue;
                        }
                        if !METHODS.contains(&key.as_str()) {
                            continue;
                        }
                        let Value::Object(op) = op else { continue };
                        let op_ptr = child(&item_ptr, key);
                        // Pointers only for the keys that hold schemas (not `summary`, …).
                        for (k, v) in op.iter_mut() {
                            match k.as_str() {
                                "parameters" => params(v, &child(&op_ptr, k), &mut out),
                                "requestBody" => content_schemas(v, &child(&op_ptr, k), &mut out),
                                "responses" => {
                                    if let Value::Object(rs) = v {
                                        let p = child(&op_ptr, k);
                                        for (status, r) in rs.iter_mut() {
                                            response(r, &child(&p, status), &mut out);
                                        }
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

type Roots<'a> = Vec<(&'a mut Value, String)>;

fn params<'a>(v: &'a mut Value, ptr: &str, out: &mut Roots<'a>) {
    if let Value::Array(list) = v {
        for (i, p) in list.iter_mut().enumerate() {
            param_like(p, &format!("{ptr}/{i}"), out);
        }
    }
}

fn param_like<'a>(v: &'a mut Value, ptr: &str, out: &mut Roots<'a>) {
    let Value::Object(map) = v else { return };
    for (k, v) in map.iter_mut() {
        match k.as_str() {
            "schema" => out.push((v, child(ptr, "schema"))),
            "content" => media_types(v, &child(ptr, "content"), out),
            _ => {}
        }
    }
}

fn content_schemas<'a>(v: &'a mut Value, ptr: &str, out: &mut Roots<'a>) {
    if let Some(content) = v.get_mut("content") {
        media_types(content, &child(ptr, "content"), out);
    }
}

fn media_types<'a>(content: &'a mut Value, ptr: &str, out: &mut Roots<'a>) {
    if let Value::Object(content) = content {
        for (media, mt) in content.iter_mut() {
            if let Some(s) = mt.get_mut("schema") {
                out.push((s, child(&child(ptr, media), "schema")));
            }
        }
    }
}

fn response<'a>(v: &'a mut Value, ptr: &str, out: &mut Roots<'a>) {
    let Value::Object(map) = v else { return };
    for (k, v) in map.iter_mut() {
        match k.as_str() {
            "content" => media_types(v, &child(ptr, "content"), out),
            "headers" => {
                if let Value::Object(headers) = v {
                    for (name, h) in headers.iter_mut() {
                        param_like(h, &child(&child(ptr, "headers"), name), out);
                    }
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// one schema

fn normalize_schema(node: &mut Value, path: &mut String, diags: &mut Diagnostics) {
    // JSON Schema boolean schemas.
    match node {
        Value::Bool(true) => {
            *node = Value::Object(Map::new());
            return;
        }
        Value::Bool(false) => {
            *node = serde_json::json!({"not": {}});
            return;
        }
        Value::Object(_) => {}
        _ => {
            diags.warn(path.as_str(), "a schema must be a mapping or a boolean; treated as `{}` (any value)");
            *node = Value::Object(Map::new());
            return;
        }
    }
    let map = node.as_object_mut().unwrap();

    // Children first. A property written with a boolean `required` (a 3.0-era mistake) says
    // whether the property is required: it moves into this object's `required` list.
    let mut required_here: Vec<String> = Vec::new();
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        let outer = push(path, "properties");
        for (name, s) in props.iter_mut() {
            let len = push(path, name);
            if let Some(flag) = s.as_object_mut().and_then(take_boolean_required) {
                diags.warn(
                    child(path, "required"),
                    format!(
                        "`required: {flag}` inside a property schema (a list is expected); read as the property `{name}` being {}",
                        if flag { "required" } else { "optional" }
                    ),
                );
                if flag {
                    required_here.push(name.clone());
                }
            }
            normalize_schema(s, path, diags);
            path.truncate(len);
        }
        path.truncate(outer);
    }
    match map.get_mut("required") {
        None | Some(Value::Array(_)) => {}
        Some(other) => {
            diags.warn(child(path, "required"), format!("`required` must be a list of property names, found {}; ignored", json_kind(other)));
            map.shift_remove("required");
        }
    }
    if let Some(Value::Array(list)) = map.get_mut("required") {
        if list.iter().any(|v| !v.is_string()) {
            diags.warn(child(path, "required"), "`required` lists a value that is not a property name; it is ignored");
            list.retain(Value::is_string);
        }
    }
    if !required_here.is_empty() {
        let list = map.entry("required").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list {
            for name in required_here {
                if !list.iter().any(|v| v.as_str() == Some(name.as_str())) {
                    list.push(Value::String(name));
                }
            }
        }
    }
    for key in ["items", "not", "additionalProperties", "propertyNames", "contains"] {
        if let Some(s) = map.get_mut(key) {
            if key == "additionalProperties" && s.is_boolean() {
                continue;
            }
            let len = push(path, key);
            normalize_schema(s, path, diags);
            path.truncate(len);
        }
    }
    for key in ["allOf", "anyOf", "oneOf", "prefixItems"] {
        if let Some(Value::Array(list)) = map.get_mut(key) {
            let outer = push(path, key);
            for (i, s) in list.iter_mut().enumerate() {
                let len = push(path, &i.to_string());
                normalize_schema(s, path, diags);
                path.truncate(len);
            }
            path.truncate(outer);
        }
    }
    let ptr: &str = path;

    // type: [X, "null"]
    if let Some(Value::Array(types)) = map.get("type") {
        let nullable = types.iter().any(|t| t == "null");
        let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        if nullable {
            map.insert("nullable".into(), Value::Bool(true));
        }
        match rest.len() {
            0 => {
                map.shift_remove("type");
                map.insert("x-null-only".into(), Value::Bool(true));
            }
            1 => {
                map.insert("type".into(), rest[0].clone());
            }
            _ => {
                map.shift_remove("type");
                let members = rest.into_iter().map(|t| serde_json::json!({"type": t})).collect();
                map.insert("anyOf".into(), Value::Array(members));
            }
        }
    } else if map.get("type").and_then(Value::as_str) == Some("null") {
        map.shift_remove("type");
        map.insert("nullable".into(), Value::Bool(true));
        map.insert("x-null-only".into(), Value::Bool(true));
    }

    // enum with a null member
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        if values.iter().any(Value::is_null) {
            values.retain(|v| !v.is_null());
            map.insert("nullable".into(), Value::Bool(true));
        }
    }

    // enum values of another type than the schema's, or of several types
    if let Some(Value::Array(values)) = map.get("enum") {
        let mut kinds: Vec<&str> = values.iter().map(json_kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        let declared = map.get("type").and_then(Value::as_str);
        let fits = |k: &str| match declared {
            Some("string") => k == "a string",
            Some("integer" | "number") => k == "a number",
            Some("boolean") => k == "a boolean",
            _ => true,
        };
        if kinds.len() > 1 {
            diags.warn(
                child(ptr, "enum"),
                format!(
                    "enum values of mixed types ({}): no Rust enum holds them; typed as {}",
                    kinds.join(", "),
                    declared.map_or("any JSON value".to_string(), |t| format!("a plain {t}"))
                ),
            );
        } else if let Some(k) = kinds.first().filter(|k| !fits(k)) {
            diags.warn(
                child(ptr, "enum"),
                format!(
                    "enum values are {k} but the schema's type is {}; typed as a plain {}",
                    declared.unwrap_or_default(),
                    declared.unwrap_or_default()
                ),
            );
        }
    }

    // const
    if let Some(c) = map.shift_remove("const") {
        if map.get("type").is_none() {
            let t = match &c {
                Value::String(_) => Some("string"),
                Value::Bool(_) => Some("boolean"),
                Value::Number(n) if n.is_i64() || n.is_u64() => Some("integer"),
                Value::Number(_) => Some("number"),
                _ => None,
            };
            if let Some(t) = t {
                map.insert("type".into(), Value::String(t.into()));
            }
        }
        map.insert("enum".into(), Value::Array(vec![c]));
        map.insert("x-const".into(), Value::Bool(true));
    } else if map.get("type").and_then(Value::as_str) == Some("boolean")
        && matches!(map.get("enum").and_then(Value::as_array).map(Vec::as_slice), Some([Value::Bool(_)]))
    {
        // A boolean allowed one value is that value: `stream: {enum: [true]}` on a streaming
        // request must be sent, as a `const` would be. (String enums of one value stay enums:
        // they grow values between spec versions.)
        map.insert("x-const".into(), Value::Bool(true));
    }

    // examples
    if let Some(examples) = map.shift_remove("examples") {
        match examples {
            Value::Array(list) => {
                if let Some(first) = list.first() {
                    if !map.contains_key("example") {
                        map.insert("example".into(), first.clone());
                    }
                    map.insert("x-examples".into(), Value::Array(list));
                }
            }
            other => {
                diags.warn(child(ptr, "examples"), "`examples` on a schema must be a list; kept as one example");
                map.insert("x-examples".into(), Value::Array(vec![other]));
            }
        }
    } else if let Some(example) = map.get("example") {
        let example = example.clone();
        map.insert("x-examples".into(), Value::Array(vec![example]));
    }

    // numeric exclusive bounds
    for (ex, plain) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(v) = map.get(ex) {
            if v.is_number() {
                let v = v.clone();
                map.insert(plain.into(), v);
                map.insert(ex.into(), Value::Bool(true));
            }
        }
    }

    // null members of anyOf / oneOf
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(list)) = map.get(key) else { continue };
        let is_null = |s: &Value| s.get("x-null-only").is_some();
        if !list.iter().any(is_null) {
            continue;
        }
        let rest: Vec<Value> = list.iter().filter(|s| !is_null(s)).cloned().collect();
        map.insert("nullable".into(), Value::Bool(true));
        match rest.len() {
            0 => {
                map.shift_remove(key);
                map.insert("x-null-only".into(), Value::Bool(true));
            }
            1 => {
                map.shift_remove(key);
                map.shift_remove("discriminator");
                let single = rest.into_iter().next().unwrap();
                merge_single(map, single, &child(ptr, key), diags);
            }
            _ => {
                map.insert(key.into(), Value::Array(rest));
            }
        }
    }

    // $ref with siblings
    if map.contains_key("$ref") && map.len() > 1 {
        let r = map.shift_remove("$ref").unwrap();
        let reference = serde_json::json!({ "$ref": r });
        match map.get_mut("allOf") {
            Some(Value::Array(list)) => list.insert(0, reference),
            _ => {
                map.insert("allOf".into(), Value::Array(vec![reference]));
            }
        }
    }

    // default: null is what absence means for a nullable; openapiv3 cannot hold it anyway.
    if map.get("default") == Some(&Value::Null) {
        map.shift_remove("default");
    }

    // unknown and lossy keywords (the keys are only copied when there is one)
    let known = |k: &str| KNOWN.contains(&k) || k.starts_with("x-");
    if map.keys().all(|k| known(k)) {
        return;
    }
    let keys: Vec<String> = map.keys().filter(|k| !known(k)).cloned().collect();
    for k in keys {
        if DROPPED_QUIETLY.contains(&k.as_str()) {
            if k == "contentMediaType" && map.get("type").and_then(Value::as_str) == Some("string") && !map.contains_key("format") {
                map.insert("format".into(), Value::String("binary".into()));
            }
            map.shift_remove(&k);
        } else if k == "prefixItems" {
            diags.warn(child(ptr, &k), "`prefixItems` (tuple) cannot be represented; the array's items are typed as any JSON value");
            map.shift_remove(&k);
        } else {
            diags.warn(child(ptr, &k), format!("unknown schema keyword `{k}` ignored"));
            map.shift_remove(&k);
        }
    }
}

/// Removes a boolean `required` from a schema mapping and returns it.
fn take_boolean_required(map: &mut Map<String, Value>) -> Option<bool> {
    let flag = map.get("required")?.as_bool()?;
    map.shift_remove("required");
    Some(flag)
}

/// What kind of JSON value this is, for messages.
pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Merges the one non-null member of a nullable union into its parent schema.
fn merge_single(parent: &mut Map<String, Value>, single: Value, ptr: &str, diags: &mut Diagnostics) {
    let Value::Object(single) = single else { return };
    if single.contains_key("$ref") && single.len() == 1 {
        match parent.get_mut("allOf") {
            Some(Value::Array(list)) => list.insert(0, Value::Object(single)),
            _ => {
                parent.insert("allOf".into(), Value::Array(vec![Value::Object(single)]));
            }
        }
        return;
    }
    const DOC_KEYS: &[&str] = &["title", "description", "default", "example", "x-examples", "deprecated", "nullable", "readOnly", "writeOnly"];
    for (k, v) in single {
        match parent.get(&k) {
            None => {
                parent.insert(k, v);
            }
            Some(existing) if *existing == v || DOC_KEYS.contains(&k.as_str()) => {}
            Some(_) => diags.warn(
                format!("{ptr}/{}", crate::diag::escape_token(&k)),
                format!("`{k}` differs between the nullable union and its member; the outer one is kept"),
            ),
        }
    }
}
