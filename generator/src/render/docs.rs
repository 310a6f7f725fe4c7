//! Turns spec descriptions into rustdoc that renders well and raises no rustdoc warnings:
//! code fences are marked `text` (never run as doctests), indented lines are not taken for code,
//! bare URLs become autolinks, stray brackets and angle brackets are escaped.

use proc_macro2::TokenStream;
use quote::quote;
use std::cell::RefCell;

/// The prefix of a placed doc comment's marker; a control character, so no doc text or string
/// literal printed by the formatter contains it.
const MARK: char = '\u{1}';

thread_local! {
    /// The doc blocks of the file being rendered on this thread, while [`placed`] runs.
    static TABLE: RefCell<Option<Vec<Vec<String>>>> = const { RefCell::new(None) };
}

/// Runs `render` with doc comments placed rather than formatted: each block of item docs becomes
/// one short marker (`#[doc = "\u{1}N"]`, printed `///\u{1}N`), and [`place`] puts the lines in
/// after formatting. The text is the same; `syn` and prettyplease then neither escape, parse nor
/// print the docs, which are about a third of the crate's text.
pub fn placed<T>(render: impl FnOnce() -> T) -> (T, Vec<Vec<String>>) {
    TABLE.with(|t| *t.borrow_mut() = Some(Vec::new()));
    let out = render();
    let table = TABLE.with(|t| t.borrow_mut().take()).unwrap_or_default();
    (out, table)
}

/// What a block of doc lines becomes: nothing, a marker to place later, or `#[doc]` lines.
enum Entry {
    Empty,
    Marker(String),
    Lines(Vec<String>),
}

fn entry(lines: Vec<String>) -> Entry {
    if lines.is_empty() {
        return Entry::Empty;
    }
    // The formatter prints a doc line as `///line` unless it starts with `/` or spans lines.
    if lines.iter().any(|l| l.starts_with('/') || l.contains(['\n', MARK])) {
        return Entry::Lines(lines);
    }
    TABLE.with(|t| match t.borrow_mut().as_mut() {
        Some(table) => {
            let marker = format!("{MARK}{}", table.len());
            table.push(lines);
            Entry::Marker(marker)
        }
        None => Entry::Lines(lines),
    })
}

/// Whether doc lines become one marker ([`marker_line`]): while [`placed`] runs, for lines the
/// formatter prints as `///` lines.
pub fn placeable(lines: &[String]) -> bool {
    !lines.iter().any(|l| l.starts_with('/') || l.contains(['\n', MARK])) && TABLE.with(|t| t.borrow().is_some())
}

/// The line the formatter prints for the marker of [`placeable`] doc lines (`///\u{1}N`, the
/// lines put in its place after formatting); `None` for no lines.
pub fn marker_line(lines: Vec<String>) -> Option<String> {
    match entry(lines) {
        Entry::Marker(m) => Some(format!("///{m}")),
        Entry::Empty => None,
        Entry::Lines(_) => unreachable!("doc lines that are not placeable (a generator bug)"),
    }
}

/// `#[doc]` attributes for doc lines (each already prefixed by its space), or one marker while
/// [`placed`] runs. Only for item docs that the formatter prints as `///` lines, never inside a
/// macro call's tokens.
pub fn attrs(lines: Vec<String>) -> TokenStream {
    match entry(lines) {
        Entry::Empty => TokenStream::new(),
        Entry::Marker(m) => quote!(#[doc = #m]),
        Entry::Lines(lines) => {
            let attrs = lines.iter().map(|l| quote!(#[doc = #l]));
            quote!(#(#attrs)*)
        }
    }
}

/// [`attrs`] as `syn` attributes.
pub fn attr_list(lines: Vec<String>) -> Vec<syn::Attribute> {
    match entry(lines) {
        Entry::Empty => Vec::new(),
        Entry::Marker(m) => vec![super::syntax::doc_marker(&m)],
        Entry::Lines(lines) => lines.iter().map(|l| super::syntax::attr_str("doc", l)).collect(),
    }
}

/// Puts the doc lines of `table` in place of their markers in formatted text, at the marker's
/// indentation, as the formatter would have printed them. Every marker must be used once.
pub fn place(text: &str, table: &[Vec<String>]) -> anyhow::Result<String> {
    let marker = format!("///{MARK}");
    let mut out = String::with_capacity(text.len() + table.iter().flatten().map(|l| l.len() + 16).sum::<usize>());
    let mut used = 0;
    let mut rest = text;
    while let Some(at) = rest.find(&marker) {
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let indent = &rest[line_start..at];
        anyhow::ensure!(indent.bytes().all(|b| b == b' '), "a doc marker not at the start of its line (a generator bug)");
        out.push_str(&rest[..line_start]);
        let after = &rest[at + marker.len()..];
        let end = after.find('\n').unwrap_or(after.len());
        let index: usize = after[..end].parse().map_err(|_| anyhow::anyhow!("a malformed doc marker (a generator bug)"))?;
        let lines = table.get(index).ok_or_else(|| anyhow::anyhow!("doc marker {index} has no entry (a generator bug)"))?;
        for line in lines {
            out.push_str(indent);
            out.push_str("///");
            out.push_str(line.trim_end_matches(' '));
            out.push('\n');
        }
        used += 1;
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    anyhow::ensure!(used == table.len(), "{} doc markers placed of {} (a generator bug)", used, table.len());
    Ok(out)
}

/// Sanitized doc lines for a description.
pub fn doc_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_fence = false;
    // Width of the current list item's marker, so continuation lines stay inside the item.
    let mut list_indent: Option<usize> = None;
    for raw in text.lines() {
        let trimmed = raw.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            if in_fence {
                out.push("```".to_string());
            } else {
                out.push("```text".to_string());
            }
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            out.push(raw.trim_end().to_string());
            continue;
        }
        let line = trimmed.trim_end();
        if line.is_empty() {
            list_indent = None;
            out.push(String::new());
        } else if let Some(width) = list_marker(line) {
            list_indent = Some(width);
            out.push(escape_line(line));
        } else if let Some(width) = list_indent {
            out.push(format!("{}{}", " ".repeat(width), escape_line(line)));
        } else {
            out.push(escape_line(line));
        }
    }
    if in_fence {
        out.push("```".to_string());
    }
    // Drop leading and trailing blank lines.
    while out.first().is_some_and(|l| l.is_empty()) {
        out.remove(0);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// The width of a list marker (`- `, `* `, `+ `, `1. `) starting the line.
fn list_marker(line: &str) -> Option<usize> {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return Some(2);
    }
    let digits = line.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && (line[digits..].starts_with(". ") || line[digits..].starts_with(") ")) {
        return Some(digits + 2);
    }
    None
}

fn escape_line(line: &str) -> String {
    // Headings in descriptions would nest oddly under item docs; keep them as bold text.
    let line = if let Some(rest) = line.strip_prefix('#').map(|r| r.trim_start_matches('#')) {
        if rest.starts_with(' ') {
            format!("**{}**", rest.trim())
        } else {
            line.to_string()
        }
    } else {
        line.to_string()
    };
    let mut out = String::with_capacity(line.len() + 8);
    // Split on backticks: odd segments are code spans and stay as written.
    for (i, seg) in line.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(seg);
        } else {
            escape_prose(seg, &mut out);
        }
    }
    // An unbalanced backtick would swallow the rest; make it literal.
    if line.matches('`').count() % 2 == 1 {
        if let Some(pos) = out.rfind('`') {
            out.replace_range(pos..pos + 1, "\\`");
        }
    }
    out
}

fn escape_prose(seg: &str, out: &mut String) {
    let bytes = seg.as_bytes();
    let mut i = 0;
    while i < seg.len() {
        // Most of a line is plain text: copied up to the next byte that may need care (all
        // ASCII, so the cut is at a character boundary).
        let run = bytes[i..].iter().position(|b| matches!(b, b'[' | b']' | b'<' | b'h')).unwrap_or(bytes.len() - i);
        if run > 0 {
            out.push_str(&seg[i..i + run]);
            i += run;
            continue;
        }
        let rest = &seg[i..];
        // Markdown link [text](url): keep.
        if rest.starts_with('[') {
            if let Some(close) = rest.find("](") {
                if let Some(end) = rest[close..].find(')') {
                    let link = &rest[..close + end + 1];
                    if !link[1..close].contains('[') {
                        out.push_str(link);
                        i += link.len();
                        continue;
                    }
                }
            }
        }
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let end = rest.find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\'' | ']' | '<')).unwrap_or(rest.len());
            let mut url = &rest[..end];
            while url.ends_with(['.', ',', ';', ':']) {
                url = &url[..url.len() - 1];
            }
            let prev = if i > 0 { bytes[i - 1] } else { b' ' };
            let in_link = i >= 2 && &bytes[i - 2..i] == b"](";
            if prev == b'<' || in_link {
                out.push_str(url);
            } else {
                out.push('<');
                out.push_str(url);
                out.push('>');
            }
            i += url.len();
            continue;
        }
        let c = rest.chars().next().unwrap();
        match c {
            '[' => out.push_str("\\["),
            ']' => out.push_str("\\]"),
            '<' if !rest.starts_with("<http") => out.push_str("&lt;"),
            _ => out.push(c),
        }
        i += c.len_utf8();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Marked blocks come back at their marker's indentation; a block holding the marker's own
    /// character stays a plain attribute, and text that only looks like a marker is left alone.
    #[test]
    fn places_docs_at_their_markers() {
        let (tokens, table) = placed(|| {
            let a = attrs(vec![" first".into(), String::new(), " second  ".into()]);
            let b = attrs(vec![format!(" odd {MARK} char")]);
            quote!(#a pub struct A; mod m { #b pub struct B; })
        });
        assert_eq!(table.len(), 1, "the block with the marker character is not marked");
        let file: syn::File = syn::parse2(tokens).unwrap();
        let text = place(&prettyplease::unparse(&file), &table).unwrap();
        assert_eq!(text, format!("/// first\n///\n/// second\npub struct A;\nmod m {{\n    /// odd {MARK} char\n    pub struct B;\n}}\n"));
        assert!(place("///\u{1}0\n", &[]).is_err(), "a marker without an entry");
        assert!(place("x\n", &[vec![" a".into()]]).is_err(), "an entry without a marker");
        assert_eq!(attrs(Vec::new()).to_string(), "", "no lines, no attribute");
    }

    #[test]
    fn sanitizes() {
        assert_eq!(doc_lines("See https://docs.mistral.ai."), vec!["See <https://docs.mistral.ai>."]);
        assert_eq!(doc_lines("a [b] c"), vec!["a \\[b\\] c"]);
        assert_eq!(doc_lines("[La Plateforme](https://console.mistral.ai)"), vec!["[La Plateforme](https://console.mistral.ai)"]);
        assert_eq!(doc_lines("List<T> `Vec<T>`"), vec!["List&lt;T> `Vec<T>`"]);
        assert_eq!(doc_lines("```python\nx = 1\n```"), vec!["```text", "x = 1", "```"]);
        assert_eq!(doc_lines("    indented"), vec!["indented"]);
        assert_eq!(doc_lines("a URL (https://x.io/a/<slug>/b)"), vec!["a URL (<https://x.io/a/>&lt;slug>/b)"]);
        assert_eq!(doc_lines("- item\n  more\nafter\n\npara"), vec!["- item", "  more", "  after", "", "para"]);
    }
}

/// A sentence saying where an inline schema sits, from its JSON pointer, for types the spec
/// gives no description: "The `tool_choice` field of `ChatCompletionRequest`.", "The request
/// body of `POST /v1/files`.", "An item of the `messages` field of `ChatCompletionRequest`.".
pub fn describe_origin(pointer: &str) -> String {
    let segs: Vec<String> = pointer.trim_start_matches("#/").split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect();
    let (owner, rest) = match segs.as_slice() {
        [c, s, name, rest @ ..] if c == "components" && s == "schemas" => (format!("`{name}`"), rest),
        [p, path, method, rest @ ..] if p == "paths" => {
            let op = format!("`{} {path}`", method.to_ascii_uppercase());
            let (part, rest) = match rest {
                [r, rest @ ..] if r == "requestBody" => (format!("the request body of {op}"), rest),
                [r, code, rest @ ..] if r == "responses" => (format!("the `{code}` response of {op}"), rest),
                [r, _, rest @ ..] if r == "parameters" => (format!("a parameter of {op}"), rest),
                _ => (op, rest),
            };
            // Skip the media type and `schema` steps.
            let rest = match rest {
                [c, _, s, rest @ ..] if c == "content" && s == "schema" => rest,
                [s, rest @ ..] if s == "schema" => rest,
                other => other,
            };
            (part, rest)
        }
        _ => return format!("The schema at `{pointer}`."),
    };
    // The innermost property names the type; what comes after it says which part of it.
    let mut field: Option<(usize, &str)> = None;
    for (i, w) in rest.windows(2).enumerate() {
        if w[0] == "properties" {
            field = Some((i, w[1].as_str()));
        }
    }
    let after = field.map_or(rest, |(i, _)| &rest[i + 2..]);
    let part = match after.iter().rev().find(|s| !s.chars().all(|c| c.is_ascii_digit())).map(String::as_str) {
        Some("items") => "An item of ",
        Some("additionalProperties") => "A value of ",
        Some("anyOf" | "oneOf") => "One of the alternatives of ",
        Some("allOf") => "A part of ",
        _ => "",
    };
    let whole = match field {
        Some((_, name)) => format!("the `{name}` field of {owner}"),
        None => owner,
    };
    let text = if part.is_empty() { whole } else { format!("{part}{whole}") };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

#[cfg(test)]
mod origin_tests {
    use super::describe_origin;

    #[test]
    fn origins_read_as_sentences() {
        assert_eq!(
            describe_origin("#/components/schemas/ChatCompletionRequest/properties/tool_choice"),
            "The `tool_choice` field of `ChatCompletionRequest`."
        );
        assert_eq!(
            describe_origin("#/components/schemas/ChatCompletionRequest/properties/messages/items"),
            "An item of the `messages` field of `ChatCompletionRequest`."
        );
        assert_eq!(
            describe_origin("#/paths/~1v1~1files/post/requestBody/content/multipart~1form-data/schema"),
            "The request body of `POST /v1/files`."
        );
        assert_eq!(describe_origin("#/paths/~1v1~1things~1{id}/get/parameters/1/schema"), "A parameter of `GET /v1/things/{id}`.");
        assert_eq!(
            describe_origin("#/paths/~1v1~1x/get/responses/200/content/application~1json/schema/properties/data/items/anyOf/1"),
            "One of the alternatives of the `data` field of the `200` response of `GET /v1/x`."
        );
        assert_eq!(describe_origin("#/somewhere/else"), "The schema at `#/somewhere/else`.");
    }
}
