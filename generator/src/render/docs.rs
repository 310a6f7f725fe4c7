//! Turns spec descriptions into rustdoc that renders well and raises no rustdoc warnings:
//! code fences are marked `text` (never run as doctests), indented lines are not taken for code,
//! bare URLs become autolinks, stray brackets and angle brackets are escaped.

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
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, ')' | '>' | '"' | '\'' | ']' | '<'))
                .unwrap_or(rest.len());
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
