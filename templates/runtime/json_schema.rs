//! Making a JSON schema strict, as the API's structured outputs and function parameters take
//! it: every object gets `additionalProperties: false` (a map keeps its value schema), `oneOf`
//! becomes `anyOf` (the variants of a Rust enum never overlap), and `$schema` and the
//! non-standard integer and float `format`s (`uint32`, `double`, as `schemars` writes them) are
//! dropped. Plain JSON: the helpers that derive schemas from types call it.

#![allow(dead_code)]

use serde_json::Value;

/// Makes a schema strict in place (see the module).
pub fn strict(schema: &mut Value) {
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
                    strict_children(key, v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strict),
        _ => {}
    }
}

fn strict_children(key: &str, v: &mut Value) {
    match (key, v) {
        ("properties" | "$defs" | "definitions" | "patternProperties", Value::Object(named)) => named.values_mut().for_each(strict),
        (_, v) => strict(v),
    }
}

const NON_STANDARD_FORMATS: &[&str] = &["int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float", "double"];
