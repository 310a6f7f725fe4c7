//! Prints the item shapes most of the crate is made of (structs, enums, type aliases, `impl`
//! blocks of macro calls, macro-call items) exactly as the formatter (prettyplease) prints
//! them, without its general machinery; every other item, and any item with a line the
//! formatter would have to break other than an attribute's, goes to prettyplease itself.
//! Formatting the model files was a sixth of a regeneration's time.
//!
//! The formatter's rules, as far as these shapes use them: a line is 89 columns wide
//! (`MARGIN`; after a line break at indentation `k`, `max(89 - k, 60)` columns remain); an
//! attribute's parenthesized lists are consistent boxes indented by 4 that stay on one line when
//! everything up to the next possible break fits, and otherwise put each entry on a line of its
//! own (nested lists decide the same way in turn); items, fields and variants end with a hard
//! line break. `tests` hold the printer to prettyplease's own output for every item of the
//! published spec and of the fixtures, and for lists around the margin.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use syn::{AttrStyle, Attribute, Expr, Fields, GenericArgument, ImplItem, Item, Lit, Macro, MacroDelimiter, Meta, PathArguments, Type, Visibility};

const MARGIN: isize = 89;
const MIN_SPACE: isize = 60;
/// The formatter's indentation step.
pub const INDENT: usize = 4;
/// The prefix of an item given as text ([`text_item`]).
const TEXT_MARK: &str = "__sdkgen_text_item_";

thread_local! {
    /// The items given as text on this thread, until [`unparse`] prints them.
    static TEXTS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An item already laid out as the formatter would print it (each line ended), for a file
/// printed by [`unparse`] on this thread: a marker item that [`unparse`] replaces by the text.
pub fn text_item(text: String) -> Item {
    let n = TEXTS.with(|t| {
        let mut t = t.borrow_mut();
        t.push(text);
        t.len() - 1
    });
    Item::Verbatim(quote::ToTokens::into_token_stream(proc_macro2::Ident::new(&format!("{TEXT_MARK}{n}"), proc_macro2::Span::call_site())))
}

/// Whether the formatter prints `text` at `indent` as one line as it is (it is not too long).
pub fn fits(indent: usize, text: &str) -> bool {
    (indent + text.len()) as isize <= MARGIN
}

/// `#[path(args)]` at `indent`, `args` written as the tokens' text (`feature = "x", serde(default)`:
/// idents, paths, plain string literals, `=`, `,` and parentheses), laid out as the formatter
/// lays out the same attribute; `None` for other tokens.
pub fn attr_text(path: &str, args: &str, indent: usize, out: &mut String) -> Option<()> {
    // On one line when it fits: the text as written, when it is written as the formatter
    // spaces tokens (`, ` after a comma, ` = `, nothing inside parentheses) and ends without a
    // comma (the formatter drops a trailing one).
    let flat = "#[(".len() + path.len() + args.len() + ")]".len();
    if indent + flat <= MARGIN as usize && canonical(args) {
        out.extend(std::iter::repeat_n(' ', indent));
        out.push_str("#[");
        out.push_str(path);
        out.push('(');
        out.push_str(args);
        out.push_str(")]\n");
        return Some(());
    }
    let mut pp = Tokens::default();
    pp.text("#[");
    pp.text(path);
    pp.group_text(args)?;
    pp.text("]");
    pp.brk(Brk::Space);
    pp.print(indent, out)
}

/// Whether attribute arguments written as text are spaced as the formatter prints their
/// tokens: words, paths and plain string literals, ` = `, `, ` and parentheses, no trailing
/// comma.
fn canonical(args: &str) -> bool {
    let b = args.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => match args[i + 1..].find('"') {
                Some(n) if !args[i + 1..i + 1 + n].contains('\\') => i += n + 2,
                _ => return false,
            },
            b',' => {
                // `, ` then more (not a trailing comma, not a closing parenthesis).
                if b.get(i + 1) != Some(&b' ') || matches!(b.get(i + 2), None | Some(b')' | b' ' | b',')) {
                    return false;
                }
                i += 2;
            }
            b' ' => {
                // Only in ` = `.
                if !(args[i..].starts_with(" = ")
                    && i > 0
                    && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b')' || b[i - 1] == b'"'))
                {
                    return false;
                }
                i += 3;
                if matches!(b.get(i), None | Some(b' ' | b',' | b')')) {
                    return false;
                }
            }
            b'(' => {
                // After a word, and not empty or spaced.
                if i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_') || matches!(b.get(i + 1), None | Some(b' ' | b')' | b',')) {
                    return false;
                }
                i += 1;
            }
            b')' | b':' => i += 1,
            c if c.is_ascii_alphanumeric() || c == b'_' => i += 1,
            _ => return false,
        }
    }
    !args.is_empty() && !args.ends_with(',')
}

/// The file as `prettyplease::unparse` prints it.
pub fn unparse(file: syn::File) -> String {
    if file.shebang.is_some() || !file.attrs.is_empty() {
        return prettyplease::unparse(&file);
    }
    let texts = TEXTS.with(|t| std::mem::take(&mut *t.borrow_mut()));
    let mut out = String::new();
    let mut text = String::new();
    // Items the printer does not take go to prettyplease, run by run: it prints a file item by
    // item, each ending with a line break, so a run printed alone is the same text.
    let mut others: Vec<Item> = Vec::new();
    for item in file.items {
        text.clear();
        if item_text(&item, &texts, &mut text).is_some() {
            if !others.is_empty() {
                out.push_str(&prettyplease::unparse(&syn::File { shebang: None, attrs: Vec::new(), items: std::mem::take(&mut others) }));
            }
            out.push_str(&text);
        } else {
            others.push(item);
        }
    }
    if !others.is_empty() {
        out.push_str(&prettyplease::unparse(&syn::File { shebang: None, attrs: Vec::new(), items: others }));
    }
    out
}

/// One item at the file's top level; `None` (with `out` partly written) when it is not a shape
/// printed here.
fn item_text(item: &Item, texts: &[String], out: &mut String) -> Option<()> {
    match item {
        Item::Verbatim(tokens) => {
            let mut iter = tokens.clone().into_iter();
            let (Some(TokenTree::Ident(marker)), None) = (iter.next(), iter.next()) else { return None };
            let index: usize = marker.to_string().strip_prefix(TEXT_MARK)?.parse().ok()?;
            out.push_str(texts.get(index)?);
            Some(())
        }
        Item::Struct(s) => {
            attrs(&s.attrs, 0, out)?;
            let mut head = head(&s.vis, "struct ", &s.ident, &s.generics)?;
            match &s.fields {
                Fields::Unit => {
                    head.push(';');
                    line(0, &head, out)
                }
                Fields::Named(named) if !named.named.is_empty() => {
                    head.push_str(" {");
                    line(0, &head, out)?;
                    for f in &named.named {
                        attrs(&f.attrs, INDENT, out)?;
                        let mut text = String::new();
                        vis(&f.vis, &mut text)?;
                        text.push_str(&f.ident.as_ref()?.to_string());
                        text.push_str(": ");
                        ty(&f.ty, &mut text)?;
                        text.push(',');
                        line(INDENT, &text, out)?;
                    }
                    line(0, "}", out)
                }
                _ => None,
            }
        }
        Item::Enum(e) => {
            if e.variants.is_empty() {
                return None;
            }
            attrs(&e.attrs, 0, out)?;
            let mut head = head(&e.vis, "enum ", &e.ident, &e.generics)?;
            head.push_str(" {");
            line(0, &head, out)?;
            for v in &e.variants {
                if v.discriminant.is_some() {
                    return None;
                }
                attrs(&v.attrs, INDENT, out)?;
                let mut text = v.ident.to_string();
                match &v.fields {
                    Fields::Unit => {}
                    Fields::Unnamed(fields) => {
                        text.push('(');
                        for (i, f) in fields.unnamed.iter().enumerate() {
                            if !f.attrs.is_empty() || f.ident.is_some() {
                                return None;
                            }
                            if i > 0 {
                                text.push_str(", ");
                            }
                            vis(&f.vis, &mut text)?;
                            ty(&f.ty, &mut text)?;
                        }
                        text.push(')');
                    }
                    Fields::Named(_) => return None,
                }
                text.push(',');
                line(INDENT, &text, out)?;
            }
            line(0, "}", out)
        }
        Item::Type(t) => {
            attrs(&t.attrs, 0, out)?;
            let mut text = head(&t.vis, "type ", &t.ident, &t.generics)?;
            text.push_str(" = ");
            ty(&t.ty, &mut text)?;
            text.push(';');
            line(0, &text, out)
        }
        Item::Impl(i) => {
            if i.trait_.is_some() || i.unsafety.is_some() || i.defaultness.is_some() {
                return None;
            }
            if i.attrs.iter().any(|a| !matches!(a.style, AttrStyle::Outer)) {
                return None;
            }
            attrs(&i.attrs, 0, out)?;
            let mut head = "impl".to_string();
            generics(&i.generics, &mut head)?;
            head.push(' ');
            ty(&i.self_ty, &mut head)?;
            if i.items.is_empty() {
                head.push_str(" {}");
                return line(0, &head, out);
            }
            head.push_str(" {");
            line(0, &head, out)?;
            for item in &i.items {
                let ImplItem::Macro(m) = item else { return None };
                attrs(&m.attrs, INDENT, out)?;
                mac(&m.mac, INDENT, out)?;
            }
            line(0, "}", out)
        }
        Item::Macro(m) => {
            if m.ident.is_some() {
                return None;
            }
            attrs(&m.attrs, 0, out)?;
            mac(&m.mac, 0, out)
        }
        _ => None,
    }
}

/// A whole line at `indent`; `None` when the formatter would break it (it is too long for the
/// line, and the caller has no rule for breaking it).
fn line(indent: usize, text: &str, out: &mut String) -> Option<()> {
    if !fits(indent, text) || text.contains('\n') {
        return None;
    }
    push_line(indent, text, out);
    Some(())
}

/// `text` as a line of its own at `indent`.
pub fn push_line(indent: usize, text: &str, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', indent));
    out.push_str(text);
    out.push('\n');
}

/// `pub ` or `pub(crate) `, as the formatter writes a visibility before what follows.
fn vis(v: &Visibility, out: &mut String) -> Option<()> {
    match v {
        Visibility::Public(_) => out.push_str("pub "),
        Visibility::Inherited => {}
        Visibility::Restricted(r) if r.in_token.is_none() && r.path.is_ident("crate") => out.push_str("pub(crate) "),
        Visibility::Restricted(_) => return None,
    }
    Some(())
}

/// `pub struct Name<'c>` and the like: visibility, keyword, name and generic parameters.
fn head(v: &Visibility, keyword: &str, name: &syn::Ident, g: &syn::Generics) -> Option<String> {
    let mut text = String::new();
    vis(v, &mut text)?;
    text.push_str(keyword);
    text.push_str(&name.to_string());
    generics(g, &mut text)?;
    Some(text)
}

/// Generic parameters written on one line, lifetimes only (`<'c>`), and no `where` clause.
fn generics(g: &syn::Generics, out: &mut String) -> Option<()> {
    if g.where_clause.is_some() {
        return None;
    }
    if g.params.is_empty() {
        return Some(());
    }
    out.push('<');
    for (i, p) in g.params.iter().enumerate() {
        let syn::GenericParam::Lifetime(l) = p else { return None };
        if !l.attrs.is_empty() || !l.bounds.is_empty() {
            return None;
        }
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&l.lifetime.to_string());
    }
    out.push('>');
    Some(())
}

/// A type written on one line (paths with generic arguments and references: the shapes of
/// fields and aliases).
fn ty(t: &Type, out: &mut String) -> Option<()> {
    match t {
        Type::Path(p) if p.qself.is_none() => path_text(&p.path, true, out),
        Type::Reference(r) => {
            out.push('&');
            if let Some(l) = &r.lifetime {
                out.push_str(&l.to_string());
                out.push(' ');
            }
            if r.mutability.is_some() {
                out.push_str("mut ");
            }
            ty(&r.elem, out)
        }
        _ => None,
    }
}

fn path_text(path: &syn::Path, generics: bool, out: &mut String) -> Option<()> {
    for (i, seg) in path.segments.iter().enumerate() {
        if i > 0 || path.leading_colon.is_some() {
            out.push_str("::");
        }
        out.push_str(&seg.ident.to_string());
        match &seg.arguments {
            PathArguments::None => {}
            PathArguments::AngleBracketed(args) if generics => {
                if args.colon2_token.is_some() {
                    return None;
                }
                if args.args.is_empty() {
                    continue;
                }
                // Lifetimes first, as the formatter orders them.
                let lifetimes = args.args.iter().filter(|a| matches!(a, GenericArgument::Lifetime(_)));
                let others = args.args.iter().filter(|a| !matches!(a, GenericArgument::Lifetime(_)));
                out.push('<');
                for (j, arg) in lifetimes.chain(others).enumerate() {
                    if j > 0 {
                        out.push_str(", ");
                    }
                    match arg {
                        GenericArgument::Type(t) => ty(t, out)?,
                        GenericArgument::Lifetime(l) => out.push_str(&l.to_string()),
                        _ => return None,
                    }
                }
                out.push('>');
            }
            // A simple path (an attribute's, a macro's) prints no generic arguments.
            PathArguments::AngleBracketed(_) => {}
            PathArguments::Parenthesized(_) => return None,
        }
    }
    Some(())
}

/// A macro call with its `;` (parentheses) or braces, whose body is one identifier (the markers
/// `layout` puts where a laid-out body goes).
fn mac(m: &Macro, indent: usize, out: &mut String) -> Option<()> {
    let mut tokens = m.tokens.clone().into_iter();
    let (Some(TokenTree::Ident(body)), None) = (tokens.next(), tokens.next()) else { return None };
    let mut head = String::new();
    path_text(&m.path, false, &mut head)?;
    head.push('!');
    match m.delimiter {
        MacroDelimiter::Paren(_) => {
            head.push('(');
            head.push_str(&body.to_string());
            head.push_str(");");
            line(indent, &head, out)
        }
        MacroDelimiter::Brace(_) => {
            head.push_str(" {");
            line(indent, &head, out)?;
            line(indent + INDENT, &body.to_string(), out)?;
            line(indent, "}", out)
        }
        MacroDelimiter::Bracket(_) => None,
    }
}

/// Outer attributes, each on its line(s) at `indent`.
fn attrs(list: &[Attribute], indent: usize, out: &mut String) -> Option<()> {
    list.iter().try_for_each(|a| attr(a, indent, out))
}

fn attr(a: &Attribute, indent: usize, out: &mut String) -> Option<()> {
    if !matches!(a.style, AttrStyle::Outer) {
        return None;
    }
    match &a.meta {
        Meta::NameValue(nv) if nv.path.is_ident("doc") => {
            let Expr::Lit(lit) = &nv.value else { return None };
            let Lit::Str(s) = &lit.lit else { return None };
            if !lit.attrs.is_empty() {
                return None;
            }
            let doc = s.value();
            if doc.contains('\n') || doc.starts_with('/') || doc.contains('\r') {
                return None;
            }
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str("///");
            out.push_str(doc.trim_end_matches(' '));
            out.push('\n');
            Some(())
        }
        Meta::NameValue(nv) => {
            // `#[must_use = "…"]`: a literal prints as its token, on the attribute's line.
            let Expr::Lit(lit) = &nv.value else { return None };
            if !lit.attrs.is_empty() {
                return None;
            }
            let mut text = "#[".to_string();
            path_text(&nv.path, false, &mut text)?;
            text.push_str(" = ");
            let token = match &lit.lit {
                Lit::Str(s) => s.token().to_string(),
                _ => return None,
            };
            if token.contains('\n') {
                return None;
            }
            text.push_str(&token);
            text.push(']');
            push_line(indent, &text, out);
            Some(())
        }
        Meta::Path(p) => {
            let mut text = "#[".to_string();
            path_text(p, false, &mut text)?;
            text.push(']');
            // The formatter does not break a path; a long one stays on its line.
            push_line(indent, &text, out);
            Some(())
        }
        Meta::List(list) => {
            if !matches!(list.delimiter, MacroDelimiter::Paren(_)) {
                return None;
            }
            let mut head = "#[".to_string();
            path_text(&list.path, false, &mut head)?;
            let mut pp = Tokens::default();
            pp.text(&head);
            pp.group(list.tokens.clone())?;
            pp.text("]");
            pp.brk(Brk::Space);
            pp.print(indent, out)
        }
    }
}

#[derive(PartialEq, Clone, Copy)]
enum State {
    Word,
    Punct,
    TrailingComma,
}

/// prettyplease's `attr_tokens`, token by token, into [`Tokens`].
struct AttrTokens<'p> {
    pp: &'p mut Tokens,
    state: State,
}

impl AttrTokens<'_> {
    fn open(&mut self) {
        self.pp.text("(");
        self.pp.list.push(Tok::Begin);
        self.pp.brk(Brk::Zero);
        self.state = State::Punct;
    }

    fn close(&mut self) {
        if self.state != State::TrailingComma {
            self.pp.brk(Brk::ZeroOut);
        }
        self.pp.list.push(Tok::End);
        self.pp.text(")");
        self.state = State::Punct;
    }

    fn ident(&mut self, i: &dyn std::fmt::Display) {
        if self.state == State::Word {
            self.pp.brk(Brk::Space);
        }
        self.pp.display(i);
        self.state = State::Word;
    }

    /// `last`: nothing follows in the group.
    fn punct(&mut self, ch: char, last: bool) {
        if self.state == State::Word && ch == '=' {
            self.pp.text(" ");
        }
        if ch == ',' && last {
            self.pp.brk(Brk::TrailingCommaOut);
            self.state = State::TrailingComma;
        } else {
            self.pp.text(ch.encode_utf8(&mut [0; 4]));
            if ch == '=' {
                self.pp.text(" ");
            } else if ch == ',' {
                self.pp.brk(Brk::Space);
            }
            self.state = State::Punct;
        }
    }

    fn literal(&mut self, l: &dyn std::fmt::Display) -> Option<()> {
        if self.state == State::Word {
            self.pp.brk(Brk::Space);
        }
        let from = self.pp.buf.len();
        self.pp.display(l);
        if self.pp.buf[from..].contains('\n') {
            return None;
        }
        self.state = State::Word;
        Some(())
    }
}

/// The formatter's tokens for an attribute, as its `attr_tokens` makes them.
#[derive(Default)]
struct Tokens {
    list: Vec<Tok>,
    /// The texts of all `Tok::Text`s, one after another.
    buf: String,
}

enum Tok {
    /// `buf[start..end]`.
    Text(usize, usize),
    Break(Brk),
    /// A consistent box, indented by 4 when broken.
    Begin,
    End,
}

#[derive(Clone, Copy, PartialEq)]
enum Brk {
    /// A space, or a line break.
    Space,
    /// Nothing, or a line break.
    Zero,
    /// Nothing, or a line break back at the enclosing indentation (before a closing `)`).
    ZeroOut,
    /// Nothing, or `,` and a line break back at the enclosing indentation.
    TrailingCommaOut,
}

impl Tokens {
    fn text(&mut self, s: &str) {
        let start = self.buf.len();
        self.buf.push_str(s);
        self.took(start);
    }

    /// Takes what was written to `buf` from `start` as text.
    fn took(&mut self, start: usize) {
        let end = self.buf.len();
        match self.list.last_mut() {
            Some(Tok::Text(_, e)) if *e == start => *e = end,
            _ => self.list.push(Tok::Text(start, end)),
        }
    }

    /// An identifier or literal written straight into `buf`.
    fn display(&mut self, d: &dyn std::fmt::Display) {
        use std::fmt::Write;
        let start = self.buf.len();
        let _ = write!(self.buf, "{d}");
        self.took(start);
    }

    fn brk(&mut self, b: Brk) {
        self.list.push(Tok::Break(b));
    }

    /// A parenthesized group and its contents, as `attr_tokens` prints them (paren groups in
    /// any depth; other delimiters are left to the formatter).
    fn group(&mut self, tokens: TokenStream) -> Option<()> {
        fn walk(a: &mut AttrTokens, tokens: TokenStream) -> Option<()> {
            a.open();
            let mut iter = tokens.into_iter().peekable();
            while let Some(tt) = iter.next() {
                match tt {
                    TokenTree::Ident(i) => a.ident(&i),
                    TokenTree::Punct(p) => a.punct(p.as_char(), iter.peek().is_none()),
                    TokenTree::Literal(l) => a.literal(&l)?,
                    TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis => walk(a, g.stream())?,
                    TokenTree::Group(_) => return None,
                }
            }
            a.close();
            Some(())
        }
        walk(&mut AttrTokens { pp: self, state: State::Punct }, tokens)
    }

    /// [`Tokens::group`] for the tokens written as text (`feature = "x", serde(default)`): idents,
    /// paths, string literals without escapes, `=`, `,` and parentheses; `None` for anything else.
    fn group_text(&mut self, text: &str) -> Option<()> {
        let mut a = AttrTokens { pp: self, state: State::Punct };
        let bytes = text.as_bytes();
        let mut depth = 0usize;
        a.open();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b' ' => i += 1,
                b'(' => {
                    a.open();
                    depth += 1;
                    i += 1;
                }
                b')' => {
                    depth = depth.checked_sub(1)?;
                    a.close();
                    i += 1;
                }
                b',' => {
                    let rest = text[i + 1..].trim_start_matches(' ');
                    a.punct(',', rest.is_empty() || rest.starts_with(')'));
                    i += 1;
                }
                b'=' | b':' => {
                    a.punct(b as char, false);
                    i += 1;
                }
                b'"' => {
                    let end = i + 1 + text[i + 1..].find('"')?;
                    if text[i + 1..end].contains('\\') {
                        return None;
                    }
                    a.literal(&&text[i..=end])?;
                    i = end + 1;
                }
                b if b.is_ascii_alphanumeric() || b == b'_' => {
                    let end = text[i..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(text.len(), |n| i + n);
                    a.ident(&&text[i..end]);
                    i = end;
                }
                _ => return None,
            }
        }
        if depth != 0 {
            return None;
        }
        a.close();
        Some(())
    }

    /// Lays the tokens out from the start of a line at `indent` (Oppen's algorithm, as the
    /// formatter runs it, for consistent boxes): a box stays on the line when the text from its
    /// start to the first break after its end fits in what remains of the line.
    fn print(&self, indent: usize, out: &mut String) -> Option<()> {
        // The width of everything from each token to the first break after the box that token
        // opens (for `Begin`) or to the next break (for a break: unused here).
        let n = self.list.len();
        let mut size = vec![0isize; n];
        for (i, t) in self.list.iter().enumerate() {
            if let Tok::Begin = t {
                let mut depth = 0usize;
                let mut width = 0isize;
                for t in &self.list[i..] {
                    match t {
                        Tok::Begin => depth += 1,
                        Tok::End => depth -= 1,
                        Tok::Text(a, b) => width += (b - a) as isize,
                        Tok::Break(b) => {
                            if depth == 0 {
                                break;
                            }
                            width += isize::from(*b == Brk::Space);
                        }
                    }
                }
                size[i] = width;
            }
        }
        // Each open box: broken (with its indentation) or not.
        let mut frames: Vec<Option<usize>> = Vec::new();
        // What remains of the line; negative past the margin (a long entry stays whole).
        let mut space = (MARGIN - indent as isize).max(MIN_SPACE);
        let mut cur = String::new();
        cur.extend(std::iter::repeat_n(' ', indent));
        let mut current_indent = indent;
        for (i, t) in self.list.iter().enumerate() {
            match t {
                Tok::Text(a, b) => {
                    cur.push_str(&self.buf[*a..*b]);
                    space -= (b - a) as isize;
                }
                Tok::Begin => {
                    if size[i] > space {
                        current_indent += INDENT;
                        frames.push(Some(current_indent));
                    } else {
                        frames.push(None);
                    }
                }
                Tok::End => {
                    if let Some(Some(_)) = frames.pop() {
                        current_indent -= INDENT;
                    }
                }
                Tok::Break(b) => {
                    match frames.last() {
                        // The attribute's own line end.
                        None => {
                            out.push_str(&cur);
                            out.push('\n');
                            cur.clear();
                        }
                        Some(None) => {
                            if *b == Brk::Space {
                                cur.push(' ');
                                space -= 1;
                            }
                        }
                        Some(Some(box_indent)) => {
                            if *b == Brk::TrailingCommaOut {
                                cur.push(',');
                            }
                            out.push_str(&cur);
                            out.push('\n');
                            cur.clear();
                            let line_indent = match b {
                                Brk::ZeroOut | Brk::TrailingCommaOut => box_indent - INDENT,
                                Brk::Space | Brk::Zero => *box_indent,
                            };
                            cur.extend(std::iter::repeat_n(' ', line_indent));
                            space = (MARGIN - line_indent as isize).max(MIN_SPACE);
                        }
                    }
                }
            }
        }
        (cur.is_empty() && frames.is_empty()).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(items: Vec<Item>) -> String {
        prettyplease::unparse(&syn::File { shebang: None, attrs: Vec::new(), items })
    }

    /// Attributes whose lists end around the margin, at the indentations the crate uses:
    /// printed here as the formatter prints them, on one line or broken.
    #[test]
    fn attributes_around_the_margin_as_the_formatter_prints_them() {
        let (mut taken, mut broken) = (0, 0);
        for len in 20..100 {
            let word = "x".repeat(len);
            let sources = [
                format!("#[cfg_attr(feature = \"full-serde\", serde(rename = \"{word}\", default, skip_serializing_if = \"crate::Nullable::is_absent\"))] pub struct A {{ #[cfg_attr(feature = \"full-serde\", serde(rename = \"{word}\", default))] pub a: u8, }}"),
                format!("#[cfg_attr(docsrs, doc(cfg(any(feature = \"{word}\", feature = \"b\", feature = \"c\"))))] pub struct A;"),
                format!("#[derive(Debug, Clone, {word}, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)] pub enum E {{ #[serde(rename = \"{word}\")] A, B(Vec<{word}>), }}"),
                format!("#[cfg(any(feature = \"a{word}\", all(feature = \"b\", feature = \"c\"), feature = \"d\",))] pub type T = Vec<u8>;"),
                format!("impl A {{ #[serde(rename = \"{word}\", default)] crate::runtime::setters! {{ __m_0 }} crate::runtime::constructor!(__m_1); }}"),
                format!("#[derive(Debug)] #[must_use = \"{word} does nothing\"] pub struct B<'c, 'd> {{ client: &'c crate::Client, pub(crate) other: &'d mut {word}, page: Option<Vec<&'c str>>, }}"),
                format!("#[allow(deprecated)] impl<'c> {word}<'c> {{ crate::runtime::param_setters! {{ __m_2 }} }}"),
                format!("pub type T<'a> = Vec<&'a {word}>;"),
                format!("pub enum E<'a, 'b> {{ A(&'a str), B(&'b mut Vec<{word}>), }}"),
            ];
            for source in sources {
                let file: syn::File = syn::parse_str(&source).unwrap();
                let expected = prettyplease::unparse(&file);
                for item in file.items {
                    let mut out = String::new();
                    if item_text(&item, &[], &mut out).is_some() {
                        taken += 1;
                        broken += usize::from(out.contains("(\n"));
                        assert_eq!(out, pretty(vec![item]), "{source}");
                    }
                }
                let file: syn::File = syn::parse_str(&source).unwrap();
                assert_eq!(unparse(file), expected, "{source}");
            }
        }
        // Every shape printed here, on one line and broken, most of them.
        assert!(taken >= 450, "{taken} items printed here");
        assert!(broken >= 5 * 40, "{broken} with a broken attribute");
    }

    /// Attributes given as text: as the formatter prints the same tokens, one line or broken,
    /// at the indentations the crate uses, whether the one-line form is taken as written or
    /// laid out from the tokens.
    #[test]
    fn attributes_from_text_as_the_formatter_prints_them() {
        let mut one_line = 0;
        for len in 1..90 {
            let word = "y".repeat(len);
            let cases = [
                (
                    "cfg_attr",
                    format!("feature = \"full-serde\", serde(rename = \"{word}\", default, skip_serializing_if = \"crate::Nullable::is_absent\")"),
                ),
                ("serde", format!("rename = \"{word}\"")),
                ("derive", format!("Debug, Clone, PartialEq, {word}, serde::Serialize,")),
                ("derive", format!("Debug, Clone, {word}")),
                ("cfg", format!("any(feature = \"{word}\", all(feature = \"b\", feature = \"c\"))")),
                ("serde", "flatten".to_string()),
                ("doc", format!("cfg(any(feature = \"{word}\", feature = \"b\"))")),
            ];
            for (path, args) in cases {
                for indent in [0, 4, 8] {
                    let mut ours = String::new();
                    attr_text(path, &args, indent, &mut ours).unwrap();
                    one_line += usize::from(!ours.contains("(\n"));
                    let source = format!("#[{path}({args})] pub struct S;");
                    let item: Item = syn::parse_str(&source).unwrap();
                    let Item::Struct(st) = item else { unreachable!() };
                    let mut theirs = String::new();
                    attrs(&st.attrs, indent, &mut theirs).unwrap();
                    assert_eq!(ours, theirs, "{source} at {indent}");
                    if indent == 0 {
                        let printed = prettyplease::unparse(&syn::parse_str::<syn::File>(&source).unwrap());
                        assert!(printed.starts_with(&ours), "{source}:\n{printed}\nvs\n{ours}");
                    }
                    if indent == 4 {
                        // On a field, as prettyplease prints it.
                        let field = format!("pub struct S {{ #[{path}({args})] pub a: u8, }}");
                        let printed = prettyplease::unparse(&syn::parse_str::<syn::File>(&field).unwrap());
                        let attr = printed.strip_prefix("pub struct S {\n").and_then(|r| r.strip_suffix("    pub a: u8,\n}\n")).unwrap();
                        assert_eq!(ours, attr, "{field}");
                    }
                }
            }
        }
        assert!(one_line > 300, "{one_line} on one line");
        assert!(
            !canonical("a, b,")
                && !canonical("a ,b")
                && !canonical("a b")
                && !canonical("x = \"a\\\"b\"")
                && canonical("feature = \"x\", serde(default)")
        );
    }

    /// Items the printer does not take, among those it does, keep their place.
    #[test]
    fn other_items_go_to_the_formatter_in_order() {
        let source = "use super::*; pub struct A; fn f() { let x = 1; } pub struct B { pub b: Option<String>, } impl From<A> for B { fn from(_: A) -> B { todo!() } } pub type C = A;";
        let file: syn::File = syn::parse_str(source).unwrap();
        let expected = prettyplease::unparse(&file);
        assert_eq!(unparse(syn::parse_str(source).unwrap()), expected);
        let mut out = String::new();
        assert!(item_text(&syn::parse_str::<syn::File>("fn f() {}").unwrap().items[0], &[], &mut out).is_none());
    }
}
