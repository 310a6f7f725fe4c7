//! Structured JSON, for the helpers that derive schemas from types: making a JSON schema strict
//! as the API's structured outputs and function parameters take it ([`strict`]: every object
//! gets `additionalProperties: false` (a map keeps its value schema), `oneOf` becomes `anyOf`
//! (the variants of a Rust enum never overlap), and `$schema` and the non-standard integer and
//! float `format`s (`uint32`, `double`, as `schemars` writes them) are dropped), and decoding a
//! model's text into a type with an error that keeps the text ([`decode_text`]).

#![allow(dead_code)]

use crate::runtime::error::Error;
use serde::de::DeserializeOwned;
use serde_json::Value;

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
