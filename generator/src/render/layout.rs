//! The generated crate's macro calls, laid out so that a change in the spec is a change of the
//! same size in the diff: every list in a call (`setters!`' fields, `struct_de!`'s keys,
//! `constructor!`'s parameters, a union's variants, an operation's errors) has one entry per
//! line with a trailing comma, and tokens have normal Rust spacing (`Vec<ToolCall>`,
//! `crate::errors::decode_x`). The formatter (prettyplease) lays a macro's tokens out as running
//! text, so adding one field re-wraps the whole list: here each call's body becomes a marker
//! that the formatter prints as is, and [`place`] puts the laid-out body in after formatting,
//! as `docs::place` does for doc comments. Bodies come as tokens ([`body`], laid out here) or,
//! for the calls every struct and operation has, as the lines themselves built from the IR
//! ([`body_text`]), which costs a fraction of making and laying out the tokens.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use std::cell::RefCell;

/// The marker's prefix: an identifier no generated code uses.
const MARK: &str = "__sdkgen_macro_body_";

thread_local! {
    /// The bodies of the file being rendered on this thread, while [`laid_out`] runs.
    static TABLE: RefCell<Option<Vec<Body>>> = const { RefCell::new(None) };
}

struct Body {
    lines: Vec<String>,
    brace: bool,
}

/// Runs `render` with macro bodies laid out by [`place`] after formatting.
pub fn laid_out<T>(render: impl FnOnce() -> T) -> (T, Vec<Vec<String>>, Vec<bool>) {
    TABLE.with(|t| *t.borrow_mut() = Some(Vec::new()));
    let out = render();
    let table = TABLE.with(|t| t.borrow_mut().take()).unwrap_or_default();
    let braces = table.iter().map(|b| b.brace).collect();
    (out, table.into_iter().map(|b| b.lines).collect(), braces)
}

/// A macro call's tokens as the formatter gets them: a marker while [`laid_out`] runs (the body
/// is kept, laid out), else the tokens themselves. `list`: the body is itself a list (`setters!`)
/// whose entries go one per line.
pub fn body(tokens: TokenStream, brace: bool) -> TokenStream {
    TABLE.with(|t| match t.borrow_mut().as_mut() {
        Some(table) => {
            let marker = proc_macro2::Ident::new(&format!("{MARK}{}", table.len()), proc_macro2::Span::call_site());
            table.push(Body { lines: lay_out(tokens, brace), brace });
            quote::quote!(#marker)
        }
        None => tokens,
    })
}

/// A macro body given as its laid-out lines, for the calls every struct has (`constructor!`,
/// `setters!`, `struct_de!`): the lines [`lay_out`] would make of the same tokens, built from
/// the IR without making the tokens. Outside [`laid_out`] the lines are read as tokens.
pub fn body_text(lines: Vec<String>, brace: bool) -> TokenStream {
    TABLE.with(|t| match t.borrow_mut().as_mut() {
        Some(table) => {
            let marker = proc_macro2::Ident::new(&format!("{MARK}{}", table.len()), proc_macro2::Span::call_site());
            table.push(Body { lines, brace });
            quote::quote!(#marker)
        }
        None => lines.join("\n").parse().expect("a laid-out macro body is valid tokens"),
    })
}

/// A head and bracketed lists as [`lay_out`] lays them out (`nullable [`, one entry a line,
/// `] [`, …, `]`; an empty list stays `[]`).
pub fn bracket_lists(head: &str, lists: &[&[String]]) -> Vec<String> {
    let mut lines = vec![head.to_string()];
    for list in lists {
        push_list(&mut lines, list);
    }
    lines
}

/// Appends a bracketed list to the last line as [`lay_out`] does: after a space (unless the
/// line is empty), `[]` when empty, else `[`, one entry a line with its comma, and `]`.
pub fn push_list(lines: &mut Vec<String>, list: &[String]) {
    let cur = lines.last_mut().expect("a line");
    if !cur.is_empty() && !cur.ends_with(' ') {
        cur.push(' ');
    }
    if list.is_empty() {
        cur.push_str("[]");
        return;
    }
    cur.push('[');
    lines.extend(list.iter().map(|e| format!("    {e},")));
    lines.push("]".to_string());
}

/// A file rendered by `make`, formatted, with its macro bodies laid out.
pub fn unparse(make: impl FnOnce() -> syn::File) -> anyhow::Result<String> {
    let (file, bodies, braces) = laid_out(make);
    place(&prettyplease::unparse(&file), &bodies, &braces)
}

/// Puts the laid-out bodies in place of their markers in formatted text.
pub fn place(text: &str, table: &[Vec<String>], braces: &[bool]) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len() + table.iter().flatten().map(|l| l.len() + 12).sum::<usize>());
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let indent: String = rest[line_start..].chars().take_while(|c| *c == ' ').collect();
        let digits = rest[at + MARK.len()..].bytes().take_while(u8::is_ascii_digit).count();
        let index: usize = rest[at + MARK.len()..at + MARK.len() + digits].parse()?;
        let lines = table.get(index).ok_or_else(|| anyhow::anyhow!("macro body {index} has no entry (a generator bug)"))?;
        let after = &rest[at + MARK.len() + digits..];
        if braces[index] {
            // `name! {\n<indent>MARKER\n…}`: the marker's line becomes the body's lines.
            out.push_str(&rest[..line_start]);
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                }
                if !l.is_empty() {
                    out.push_str(&indent);
                    out.push_str(l);
                }
            }
        } else {
            // `name!(MARKER)`: the body's first line follows the parenthesis, the others are
            // indented from the call's line.
            out.push_str(&rest[..at]);
            for (i, l) in lines.iter().enumerate() {
                if i > 0 {
                    out.push('\n');
                    out.push_str(&indent);
                }
                out.push_str(l);
            }
        }
        rest = after;
    }
    out.push_str(rest);
    // Bodies of items a renderer made and then left out (a provider keeps only the methods of
    // the operations it serves) have no marker; a marker without a body is an error above.
    Ok(out)
}

/// A body's lines, relative to the call's indentation (a brace body's to its own).
fn lay_out(tokens: TokenStream, brace: bool) -> Vec<String> {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut lines = vec![String::new()];
    if brace {
        // `setters! { a: T => optional, … }`: the body is a list.
        for entry in split_commas(&tokens) {
            // Leading attributes on lines of their own; docs as `///` comments.
            let mut rest = &entry[..];
            while let [TokenTree::Punct(p), TokenTree::Group(g), more @ ..] = rest {
                if p.as_char() != '#' || g.delimiter() != Delimiter::Bracket {
                    break;
                }
                lines.push(attribute_line(g));
                rest = more;
            }
            let mut entry_lines = vec![String::new()];
            line(rest, &mut entry_lines, "");
            entry_lines.last_mut().expect("a line").push(',');
            lines.extend(entry_lines);
        }
        lines.remove(0);
        return lines;
    }
    line(&tokens, &mut lines, "");
    lines
}

/// An attribute as its own line: `/// text` for a doc, else `#[…]`.
fn attribute_line(g: &proc_macro2::Group) -> String {
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    if let [TokenTree::Ident(i), TokenTree::Punct(eq), TokenTree::Literal(l)] = &inner[..] {
        if i == "doc" && eq.as_char() == '=' {
            if let Ok(text) = syn::parse_str::<syn::LitStr>(&l.to_string()) {
                return format!("///{}", text.value()).trim_end().to_string();
            }
        }
    }
    let mut text = String::from("#[");
    inline(&inner, &mut text);
    text.push(']');
    text
}

/// The entries of a list: the tokens between top-level commas (a trailing comma ends the last;
/// the commas of generic arguments, `BTreeMap<String, Value>`, are not the list's).
fn split_commas(tokens: &[TokenTree]) -> Vec<Vec<TokenTree>> {
    let mut out = vec![Vec::new()];
    let mut generics = 0usize;
    let mut prev: Option<&TokenTree> = None;
    for t in tokens {
        match t {
            TokenTree::Punct(p) if p.as_char() == ',' && generics == 0 => {
                out.push(Vec::new());
                prev = Some(t);
                continue;
            }
            // `<` after a name opens generic arguments; a `>` closes them unless it ends `=>`/`->`.
            TokenTree::Punct(p) if p.as_char() == '<' && matches!(prev, Some(TokenTree::Ident(_))) => generics += 1,
            TokenTree::Punct(p) if p.as_char() == '>' && generics > 0 => {
                let arrow = matches!(prev, Some(TokenTree::Punct(q)) if q.spacing() == Spacing::Joint && matches!(q.as_char(), '=' | '-'));
                if !arrow {
                    generics -= 1;
                }
            }
            _ => {}
        }
        out.last_mut().expect("an entry").push(t.clone());
        prev = Some(t);
    }
    out.retain(|e| !e.is_empty());
    out
}

/// A token as spacing sees it: punctuation joined (`::`, `=>`), groups whole.
enum Atom<'t> {
    Word(String),
    Punct(&'static str),
    Group(&'t proc_macro2::Group),
}

/// A punctuation character as text, without allocating (Rust has no others).
fn punct(c: char) -> &'static str {
    const ALL: &str = "!#$%&'*+,-./:;<=>?@^|~";
    ALL.find(c).map_or("?", |i| &ALL[i..i + 1])
}

fn atoms(tokens: &[TokenTree]) -> Vec<Atom<'_>> {
    let mut out: Vec<Atom> = Vec::new();
    let mut joint = false;
    for t in tokens {
        match t {
            TokenTree::Punct(p) => {
                match out.last_mut() {
                    Some(Atom::Punct(prev)) if joint && matches!((*prev, p.as_char()), (":", ':') | ("=", '>') | ("-", '>')) => {
                        *prev = match *prev {
                            ":" => "::",
                            "=" => "=>",
                            _ => "->",
                        }
                    }
                    _ => out.push(Atom::Punct(punct(p.as_char()))),
                }
                joint = p.spacing() == Spacing::Joint && p.as_char() != '\'';
                continue;
            }
            TokenTree::Ident(i) => out.push(Atom::Word(i.to_string())),
            TokenTree::Literal(l) => out.push(Atom::Word(l.to_string())),
            TokenTree::Group(g) => out.push(Atom::Group(g)),
        }
        joint = false;
    }
    out
}

/// Whether Rust spacing puts a space between `prev` and `next`; `generic` when `next` is a `<`
/// or `>` of generic arguments.
fn spaced(prev: &Atom, next: &Atom, generic: bool) -> bool {
    match (prev, next) {
        (Atom::Punct(p), _) if matches!(*p, "::" | "#" | "&" | "'" | "!") => false,
        (Atom::Punct(p), _) if *p == "<" && generic => false,
        (_, Atom::Punct(n)) if matches!(*n, "," | ";" | ":" | "::" | "?") => false,
        (_, Atom::Punct(n)) if matches!(*n, "<" | ">") && generic => false,
        (Atom::Word(_), Atom::Group(g)) if g.delimiter() == Delimiter::Parenthesis => false,
        (Atom::Punct(p), Atom::Group(g)) if *p == ">" && generic && g.delimiter() == Delimiter::Parenthesis => false,
        _ => true,
    }
}

/// Appends `tokens` to the last line: inline with Rust spacing, except that a `[…]` or `{…}`
/// group directly here (not an attribute's) breaks into one entry per line, indented from
/// `indent`.
fn line(tokens: &[TokenTree], lines: &mut Vec<String>, indent: &str) {
    write(&atoms(tokens), lines, Some(indent));
}

/// Tokens on one line with Rust spacing.
fn inline(tokens: &[TokenTree], out: &mut String) {
    let mut lines = vec![std::mem::take(out)];
    write(&atoms(tokens), &mut lines, None);
    *out = lines.pop().unwrap_or_default();
}

/// Writes atoms onto the last line; `breaking`: the indentation groups break at, or `None` to
/// keep everything inline.
fn write(atoms: &[Atom], lines: &mut Vec<String>, breaking: Option<&str>) {
    let mut generics = 0usize;
    let mut prev: Option<&Atom> = None;
    for a in atoms {
        // A `<` after a name opens generic arguments; its `>` closes them.
        let generic = match a {
            Atom::Punct(p) if *p == "<" => matches!(prev, Some(Atom::Word(_))),
            Atom::Punct(p) if *p == ">" => generics > 0,
            _ => false,
        };
        let cur = lines.last_mut().expect("a line");
        if let Some(p) = prev {
            if spaced(p, a, generic || (generics > 0 && matches!(p, Atom::Punct(x) if *x == "<"))) && !cur.is_empty() && !cur.ends_with(' ') {
                cur.push(' ');
            }
        }
        match a {
            Atom::Word(w) => cur.push_str(w),
            Atom::Punct(p) => {
                cur.push_str(p);
                if generic && *p == "<" {
                    generics += 1;
                } else if generic && *p == ">" {
                    generics -= 1;
                }
            }
            Atom::Group(g) => {
                let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                let attr = matches!(prev, Some(Atom::Punct(p)) if *p == "#");
                let breaks = matches!(g.delimiter(), Delimiter::Bracket | Delimiter::Brace) && !inner.is_empty() && !attr;
                match breaking {
                    Some(indent) if breaks => {
                        cur.push(if g.delimiter() == Delimiter::Bracket { '[' } else { '{' });
                        let deeper = format!("{indent}    ");
                        for entry in split_commas(&inner) {
                            let mut text = deeper.clone();
                            inline(&entry, &mut text);
                            text.push(',');
                            lines.push(text);
                        }
                        lines.push(format!("{indent}{}", if g.delimiter() == Delimiter::Bracket { ']' } else { '}' }));
                    }
                    _ => {
                        let (open, close) = match g.delimiter() {
                            Delimiter::Parenthesis => ("(", ")"),
                            Delimiter::Bracket => ("[", "]"),
                            Delimiter::Brace if inner.is_empty() => ("{", "}"),
                            Delimiter::Brace => ("{ ", " }"),
                            Delimiter::None => ("", ""),
                        };
                        cur.push_str(open);
                        let mut text = String::new();
                        inline(&inner, &mut text);
                        let cur = lines.last_mut().expect("a line");
                        cur.push_str(&text);
                        cur.push_str(close);
                    }
                }
            }
        }
        prev = Some(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn text(tokens: TokenStream, brace: bool) -> String {
        lay_out(tokens, brace).join("\n")
    }

    /// The struct macros' bodies built as text are what the tokens lay out as.
    #[test]
    fn text_bodies_equal_laid_out_tokens() {
        let entries = |v: &[&str]| v.iter().map(|e| e.to_string()).collect::<Vec<_>>();
        let params = entries(&["a: std::collections::BTreeMap<String, Vec<Option<crate::FilePart>>> => plain", "r#type: serde_json::Value => some"]);
        let defaults = entries(&["c"]);
        assert_eq!(
            bracket_lists("nullable", &[&params, &defaults]).join("\n"),
            text(
                quote!(nullable [a: std::collections::BTreeMap<String, Vec<Option<crate::FilePart>>> => plain, r#type: serde_json::Value => some] [c]),
                false
            )
        );
        assert_eq!(bracket_lists("", &[&[], &defaults]).join("\n"), text(quote!([][c]), false));
        let keys = entries(&["model", "r#type = \"type\"", "x_y = \"x-y\""]);
        assert_eq!(bracket_lists("Chat,", &[&keys, &[]]).join("\n"), text(quote!(Chat, [model, r#type = "type", x_y = "x-y"] []), false));
        let mut op = vec!["OP_X = \"x\" \"a.x\", POST \"/v1/x\",".to_string()];
        push_list(&mut op, &entries(&["ApiKey"]));
        op.last_mut().unwrap().push(',');
        push_list(&mut op, &entries(&["(422u16, crate::errors::decode_v)"]));
        op.last_mut().unwrap().push(',');
        push_list(&mut op, &entries(&["200u16"]));
        op.last_mut().unwrap().push_str(", events");
        push_list(&mut op, &entries(&["\"done\""]));
        assert_eq!(
            op.join("\n"),
            text(quote!(OP_X = "x" "a.x", POST "/v1/x", [ApiKey], [(422u16, crate::errors::decode_v)], [200u16], events ["done"]), false)
        );
        // `string_enum!`'s body, as `models::render_enum` writes it.
        let values = ["FilePurpose {", "    FineTune = \"fine-tune\",", "    Batch = \"batch\",", "}"];
        assert_eq!(values.join("\n"), text(quote!(FilePurpose { FineTune = "fine-tune", Batch = "batch" }), false));
        let setters = ["#[deprecated]", "old: Vec<Vec<i64>> => optional,", "n: i64 => nullable_boxed,"];
        assert_eq!(setters.join("\n"), text(quote!(#[deprecated] old: Vec<Vec<i64>> => optional, n: i64 => nullable_boxed), true));
    }

    #[test]
    fn lists_have_one_entry_per_line_and_rust_spacing() {
        let setters = quote!(object: String => optional, #[deprecated] calls: Vec<ToolCall> => nullable, usage: crate::models::UsageInfo => optional);
        assert_eq!(
            text(setters, true),
            "object: String => optional,\n#[deprecated]\ncalls: Vec<ToolCall> => nullable,\nusage: crate::models::UsageInfo => optional,"
        );
        // A generic's comma is not the list's.
        let maps = quote!(metadata: std::collections::BTreeMap<String, serde_json::Value> => nullable, n: i64 => optional);
        assert_eq!(text(maps, true), "metadata: std::collections::BTreeMap<String, serde_json::Value> => nullable,\nn: i64 => optional,");
        let params = quote!([a: BTreeMap<String, Vec<u8>> => plain, b: String => plain] [c]);
        assert_eq!(text(params, false), "[\n    a: BTreeMap<String, Vec<u8>> => plain,\n    b: String => plain,\n] [\n    c,\n]");
        let params = quote!(#[doc = " The `x` query parameter."] #[doc = ""] x: String);
        assert_eq!(text(params, true), "/// The `x` query parameter.\n///\nx: String,");
        let de = quote!(ChatCompletionRequest, [model, messages, response_format = "format"] []);
        assert_eq!(text(de, false), "ChatCompletionRequest, [\n    model,\n    messages,\n    response_format = \"format\",\n] []");
        let from = quote!(#[allow(deprecated)] Role { UserRole(UserRole), Many(Vec<Option<Box<UserRole>>>) } str => UserRole);
        assert_eq!(
            text(from, false),
            "#[allow(deprecated)] Role {\n    UserRole(UserRole),\n    Many(Vec<Option<Box<UserRole>>>),\n} str => UserRole"
        );
        let op = quote!(OP_X = "x" "a.x", POST "/v1/x", [ApiKey], [(422u16, crate::errors::decode_v)], [200u16], sentinel "[DONE]");
        assert_eq!(
            text(op, false),
            "OP_X = \"x\" \"a.x\", POST \"/v1/x\", [\n    ApiKey,\n], [\n    (422u16, crate::errors::decode_v),\n], [\n    200u16,\n], sentinel \"[DONE]\""
        );
        let tagged = quote!(Message, "role" { User = ["user"] plain, Tool = ["tool", "function"] carries(role) });
        assert_eq!(text(tagged, false), "Message, \"role\" {\n    User = [\"user\"] plain,\n    Tool = [\"tool\", \"function\"] carries(role),\n}");
    }
}
