//! Identifier rules: every wire name maps to a valid, idiomatic Rust identifier.

use heck::{ToSnakeCase, ToUpperCamelCase};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop",
    "match", "mod", "move", "mut", "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    "abstract", "become", "box", "do", "final", "gen", "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Keywords that cannot be raw identifiers.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

fn alnum_words(s: &str) -> String {
    // Keep letters and digits; every other character separates words.
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect()
}

/// A type name (UpperCamelCase). Component keys that already are valid UpperCamel identifiers
/// are kept as written (`FIMCompletionRequest`), so names match the official SDKs.
pub fn type_name(key: &str) -> String {
    let valid = key.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && key.chars().all(|c| c.is_ascii_alphanumeric());
    if valid && !NOT_RAW.contains(&key) {
        return key.to_string();
    }
    let mut s = alnum_words(key).to_upper_camel_case();
    if s.is_empty() {
        s = "Empty".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'T');
    }
    if NOT_RAW.contains(&s.as_str()) {
        s.push_str("Type");
    }
    s
}

/// A word of a type name built from a property or value (`page_size` → `PageSize`).
pub fn pascal(s: &str) -> String {
    // Most words need no case conversion's word splitting (every property's type-name hint
    // goes through here).
    if let Some(out) = plain_words_pascal(s) {
        return out;
    }
    let s = alnum_words(s).to_upper_camel_case();
    if s.is_empty() {
        "Empty".into()
    } else {
        s
    }
}

/// [`pascal`] without the case conversion's word splitting, for words the conversion would
/// split only at their separators: each word lowercase letters and digits, or uppercase letters
/// and digits (`text/event-stream`, `UPPER_CASE`, `gpt4o`); `None` for the others
/// (`camelCase`, `Model`).
fn plain_words_pascal(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    for word in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let b = word.as_bytes();
        let Some(&first) = b.first() else { continue };
        let lower = b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let upper = b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
        if !(lower || upper) {
            return None;
        }
        out.push(first.to_ascii_uppercase() as char);
        word[1..].chars().for_each(|c| out.push(c.to_ascii_lowercase()));
    }
    if out.is_empty() {
        return None;
    }
    Some(out)
}

/// A field name (snake_case); Rust keywords become raw identifiers (`r#type`).
pub fn field_name(wire: &str) -> String {
    // Most wire names are snake_case already, which the conversion leaves as they are; it is a
    // good part of a regeneration's cost, so it runs only for the others.
    let mut s = if plain_snake(wire) { wire.to_string() } else { alnum_words(wire).to_snake_case() };
    if s.is_empty() {
        s = "field".into();
    }
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'n');
    }
    if NOT_RAW.contains(&s.as_str()) {
        s.push('_');
    } else if KEYWORDS.contains(&s.as_str()) {
        s.insert_str(0, "r#");
    }
    s
}

/// Whether `wire` is snake_case words the case conversions would split only at its underscores
/// (lowercase letters and digits, no digit next to a letter).
fn plain_snake(wire: &str) -> bool {
    wire.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && wire.starts_with(|c: char| c.is_ascii_lowercase())
        && !wire.ends_with('_')
        && !wire.contains("__")
        && !wire.bytes().zip(wire.bytes().skip(1)).any(|(a, b)| a.is_ascii_digit() != b.is_ascii_digit() && b != b'_' && a != b'_')
}

/// An enum variant name (UpperCamelCase).
pub fn variant_name(wire: &str) -> String {
    let mut s = pascal(wire);
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, 'V');
    }
    if NOT_RAW.contains(&s.as_str()) {
        s.push_str("Value");
    }
    s
}

/// The identifier without a raw prefix, for building other names from it.
pub fn bare(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Makes `name` unique against `taken` by appending 2, 3, …; records the result.
pub fn unique<S: std::hash::BuildHasher>(name: String, taken: &mut std::collections::HashSet<String, S>) -> String {
    if taken.insert(name.clone()) {
        return name;
    }
    // `r#type` → `type_2`: a suffixed keyword is no longer a keyword.
    let prefix = bare(&name).to_string();
    let sep = if prefix.chars().next().is_some_and(|c| c.is_ascii_lowercase()) { "_" } else { "" };
    for n in 2.. {
        let candidate = format!("{prefix}{sep}{n}");
        if taken.insert(candidate.clone()) {
            return candidate;
        }
    }
    unreachable!()
}

#[cfg(test)]
mod tests {
    /// The snake_case shortcut of `field_name` gives what the conversion gives.
    #[test]
    fn snake_case_names_are_kept_as_the_conversion_would_keep_them() {
        use heck::ToSnakeCase;
        for w in ["model", "max_tokens", "stop", "top_p", "a", "random_seed", "response_format", "x_y_z", "created_at", "type"] {
            let mut slow = alnum_words(w).to_snake_case();
            if KEYWORDS.contains(&slow.as_str()) {
                slow.insert_str(0, "r#");
            }
            assert_eq!(field_name(w), slow, "{w}");
        }
    }

    /// snake_case words: `plain_snake` (the shortcut of `field_name`) takes them, and `pascal`
    /// gives what the conversion gives.
    #[test]
    fn pascal_shortcut_matches_the_conversion() {
        use heck::ToUpperCamelCase;
        for w in ["model", "max_tokens", "top_p", "a", "x_y_z", "created_at", "v_1", "page_2_size", "type", "self", "ocr_3_x"] {
            assert!(plain_snake(w), "{w}");
            assert_eq!(pascal(w), alnum_words(w).to_upper_camel_case(), "{w}");
        }
        for w in ["pageSize", "v1", "ocr_v3_x", "a__b", "_x", "x_", "pt-BR", "Model"] {
            assert!(!plain_snake(w), "{w}");
        }
        assert_eq!(pascal("pageSize"), "PageSize");
        assert_eq!(pascal(""), "Empty");
    }

    /// The plain-words shortcut of `pascal` gives what the conversion gives, for the words it
    /// takes, and leaves the others to it.
    #[test]
    fn plain_words_shortcut_matches_the_conversion() {
        use heck::ToUpperCamelCase;
        let words = [
            "text/event-stream",
            "UPPER_CASE",
            "gpt_4",
            "v1",
            "gpt4o",
            "4o",
            "a.b.c",
            "x--y",
            " lead",
            "trail ",
            "GET",
            "asc",
            "ocr-3",
            "mistral-large-2411",
            "application/json",
            "A1",
            "A1b",
            "a1B",
            "__init__",
            "x_",
            "_x",
            "a__b",
            "1",
            "12_ab",
            "ab_12",
            "a b",
            "Model",
            "pt-BR",
            "camelCase",
            "ÉTÉ",
            "données",
            "$ref",
            "--",
            "a-",
            "-a",
            "HTTP_2",
            "h2c",
            "1a",
            "a1a",
            "A_b",
            "iso-8859-1",
        ];
        let mut taken = 0;
        for w in words {
            let heck = alnum_words(w).to_upper_camel_case();
            if let Some(fast) = plain_words_pascal(w) {
                taken += 1;
                assert_eq!(fast, heck, "{w}");
            }
            let expected = if heck.is_empty() { "Empty".to_string() } else { heck };
            assert_eq!(pascal(w), expected, "{w}");
        }
        assert!(taken >= 25, "{taken} taken by the shortcut");
    }

    use super::*;

    #[test]
    fn identifiers() {
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("pageSize"), "page_size");
        assert_eq!(field_name("$schema"), "schema");
        assert_eq!(field_name("ai.mistral/turbine"), "ai_mistral_turbine");
        assert_eq!(field_name("1st"), "n1st");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(variant_name("pt-BR"), "PtBr");
        assert_eq!(variant_name("/v1/chat/completions"), "V1ChatCompletions");
        assert_eq!(variant_name("AND"), "And");
        assert_eq!(variant_name("2x"), "V2x");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(type_name("FIMCompletionRequest"), "FIMCompletionRequest");
        assert_eq!(type_name("chat_completion"), "ChatCompletion");
        assert_eq!(type_name("Self"), "SelfType");
        assert_eq!(type_name("3d-thing"), "T3dThing");
    }
}
