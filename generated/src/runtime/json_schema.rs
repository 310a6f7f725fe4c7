//! Structured JSON, for the helpers that derive schemas from types: making a JSON schema strict
//! as the API's structured outputs and function parameters take it ([`strict`]: what an object
//! composes (`$ref` beside `properties`, `allOf`, a flattened enum's `anyOf`) is merged into it,
//! every object gets `additionalProperties: false` (a map keeps its value schema), `oneOf` becomes `anyOf`
//! (the variants of a Rust enum never overlap), and `$schema` and the non-standard integer and
//! float `format`s (`uint32`, `double`, as `schemars` writes them) are dropped), and decoding a
//! model's text into a type with an error that keeps the text ([`decode_text`]).

#![allow(dead_code)]

use crate::runtime::error::Error;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Decodes `text` (a model's content, for `choice`) as JSON of `T`. Empty text, JSON that does
/// not match `T` and anything after the value are [`Error::Parse`] with the text and the path
/// where decoding failed.
pub fn decode_text<T: DeserializeOwned>(operation: &'static str, choice: usize, text: String) -> Result<T, Error> {
    let parse_error = |text: String, path: String, message: String| Error::Parse { operation, choice, text, path, message };
    if text.trim().is_empty() {
        return Err(parse_error(text, String::new(), "the content is empty".into()));
    }
    let mut de = serde_json::Deserializer::from_str(&text);
    let decoded = serde_path_to_error::deserialize(&mut de);
    match decoded.map(|v| (v, de.end())) {
        Ok((v, Ok(()))) => Ok(v),
        Ok((_, Err(e))) => Err(parse_error(text, String::new(), e.to_string())),
        Err(e) => {
            let path = e.path().to_string();
            let message = e.into_inner().to_string();
            Err(parse_error(text, if path == "." { String::new() } else { path }, message))
        }
    }
}

/// Makes a schema strict in place (see the module).
pub fn strict(schema: &mut Value) {
    let defs = match schema.get("$defs") {
        Some(Value::Object(defs)) => defs.clone(),
        _ => Map::new(),
    };
    merge_composition(schema, &defs, 0);
    close(schema);
}

/// Folds what an object schema composes into the object itself, so that closing it
/// (`additionalProperties: false`) does not reject the properties that come from elsewhere:
/// - a `$ref` next to `properties` (an internally tagged enum's newtype variant: the tag
///   beside the inner struct) takes the referenced object's properties in;
/// - `allOf` parts that are objects are merged in;
/// - `properties` next to `anyOf`/`oneOf` whose variants are all objects (a flattened enum
///   beside a struct's own fields) go into each variant, and the parent keeps the choice alone.
///
/// Each object then lists every property serde may write for it, and closing it is sound.
fn merge_composition(schema: &mut Value, defs: &Map<String, Value>, depth: usize) {
    let Value::Object(map) = schema else {
        if let Value::Array(items) = schema {
            items.iter_mut().for_each(|v| merge_composition(v, defs, depth));
        }
        return;
    };
    if depth < MAX_INLINE_DEPTH {
        let target = match map.contains_key("properties") {
            true => map.get("$ref").and_then(Value::as_str).and_then(|r| resolve(r, defs)).filter(|t| is_object_schema(t, defs)),
            false => None,
        };
        if let Some(mut target) = target {
            map.remove("$ref");
            merge_composition(&mut target, defs, depth + 1);
            merge_object(map, target);
        }
        if let Some(Value::Array(parts)) = map.get("allOf") {
            let parts: Vec<Value> = parts.iter().map(|p| inline_ref(p, defs)).collect();
            if parts.iter().all(|p| is_object_schema(p, defs)) {
                map.remove("allOf");
                for mut part in parts {
                    merge_composition(&mut part, defs, depth + 1);
                    merge_object(map, part);
                }
            }
        }
        let choice = ["anyOf", "oneOf"].into_iter().find(|k| map.contains_key(*k));
        let key = choice.filter(|_| map.contains_key("properties"));
        if let Some((key, Value::Array(variants))) = key.and_then(|k| Some((k, map.get(k)?))) {
            let variants: Vec<Value> = variants
                .iter()
                .map(|v| {
                    let mut v = inline_ref(v, defs);
                    merge_composition(&mut v, defs, depth + 1);
                    v
                })
                .collect();
            if variants.iter().all(|v| is_object_schema(v, defs)) {
                let mut own = Map::new();
                for k in ["properties", "required", "type"] {
                    if let Some(v) = map.remove(k) {
                        own.insert(k.to_string(), v);
                    }
                }
                let merged: Vec<Value> = variants
                    .into_iter()
                    .map(|v| {
                        let mut with_own = own.clone();
                        if let Value::Object(vm) = v {
                            merge_object(&mut with_own, Value::Object(vm));
                        }
                        Value::Object(with_own)
                    })
                    .collect();
                map.insert(key.to_string(), Value::Array(merged));
            }
        }
    }
    for (key, v) in map.iter_mut() {
        if key != "enum" && key != "const" && key != "default" && key != "examples" {
            match (key.as_str(), v) {
                ("properties" | "$defs" | "definitions" | "patternProperties", Value::Object(named)) => {
                    named.values_mut().for_each(|v| merge_composition(v, defs, depth))
                }
                (_, v) => merge_composition(v, defs, depth),
            }
        }
    }
}

/// How many references deep merging inlines (a recursive type is inlined this far, then kept
/// as a reference).
const MAX_INLINE_DEPTH: usize = 16;

/// The schema `#/$defs/Name` names.
fn resolve(reference: &str, defs: &Map<String, Value>) -> Option<Value> {
    defs.get(reference.strip_prefix("#/$defs/")?).cloned()
}

/// `v` with a lone `$ref` replaced by what it names.
fn inline_ref(v: &Value, defs: &Map<String, Value>) -> Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) if v.as_object().is_some_and(|m| m.len() == 1) => resolve(r, defs).unwrap_or_else(|| v.clone()),
        _ => v.clone(),
    }
}

/// An object with named properties (or a choice of them): what can be merged.
fn is_object_schema(v: &Value, defs: &Map<String, Value>) -> bool {
    let Value::Object(m) = v else { return false };
    if let Some(r) = m.get("$ref").and_then(Value::as_str) {
        return m.len() == 1 && resolve(r, defs).is_some_and(|t| is_object_schema(&t, defs));
    }
    let typed_object = m.get("type").is_none_or(|t| t == "object");
    let choice =
        ["anyOf", "oneOf"].iter().any(|k| m.get(*k).and_then(Value::as_array).is_some_and(|vs| vs.iter().all(|v| is_object_schema(v, defs))));
    typed_object
        && (m.contains_key("properties") || choice)
        && !matches!(m.get("additionalProperties"), Some(Value::Object(_)) | Some(Value::Bool(true)))
}

/// Merges object schema `from` into `into`: properties and required are joined; the other
/// keywords of `from` are taken where `into` has none.
fn merge_object(into: &mut Map<String, Value>, from: Value) {
    let Value::Object(from) = from else { return };
    for (k, v) in from {
        match (k.as_str(), into.get_mut(&k), v) {
            ("properties", Some(Value::Object(mine)), Value::Object(theirs)) => {
                for (name, s) in theirs {
                    mine.entry(name).or_insert(s);
                }
            }
            ("required", Some(Value::Array(mine)), Value::Array(theirs)) => {
                for r in theirs {
                    if !mine.contains(&r) {
                        mine.push(r);
                    }
                }
            }
            ("title" | "description" | "$defs", _, _) => {}
            (_, None, v) => {
                into.insert(k, v);
            }
            _ => {}
        }
    }
}

fn close(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            map.remove("$schema");
            if matches!(map.get("format").and_then(Value::as_str), Some(f) if NON_STANDARD_FORMATS.contains(&f)) {
                map.remove("format");
            }
            if let Some(one_of) = map.remove("oneOf") {
                map.insert("anyOf".into(), one_of);
            }
            let is_object = map.get("type").is_some_and(|t| t == "object" || t.as_array().is_some_and(|a| a.iter().any(|t| t == "object")))
                || map.contains_key("properties");
            if is_object && !matches!(map.get("additionalProperties"), Some(Value::Object(_))) {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for (key, v) in map.iter_mut() {
                // `properties` and `$defs` map names to schemas; `enum` and `const` hold values.
                if key != "enum" && key != "const" && key != "default" && key != "examples" {
                    close_children(key, v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close),
        _ => {}
    }
}

fn close_children(key: &str, v: &mut Value) {
    match (key, v) {
        ("properties" | "$defs" | "definitions" | "patternProperties", Value::Object(named)) => named.values_mut().for_each(close),
        (_, v) => close(v),
    }
}

const NON_STANDARD_FORMATS: &[&str] = &["int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float", "double"];
