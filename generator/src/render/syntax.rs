//! Builds `syn` items directly, for the regular shapes that make up most of the crate (structs,
//! enums, aliases, impl blocks of macro calls, macro-call items), instead of building tokens with
//! `quote` for `syn` to parse back. Parsing the crate's tokens was the largest single cost of a
//! regeneration. Macro calls keep their tokens as `quote` builds them: `syn` does not parse a
//! macro's tokens and prettyplease prints them as they are.
//!
//! The formatter prints a tree built here exactly as it prints the same item parsed from tokens;
//! `cargo xtask check` and the fixture snapshots hold the generated text to that.

use crate::ir::{Spelling, TypeRef};
use proc_macro2::{Ident, Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::{
    token, AttrStyle, Attribute, Expr, ExprLit, Field, FieldMutability, Fields, FieldsNamed, FieldsUnnamed, GenericArgument, Item, Lit, LitStr,
    Macro, MacroDelimiter, Meta, MetaList, MetaNameValue, Path, PathArguments, PathSegment, Type, TypePath, Visibility,
};

fn span() -> Span {
    Span::call_site()
}

thread_local! {
    /// The span of every delimiter built here. `Default` for a `syn` delimiter makes a fresh
    /// empty group to take its span from, for each of the tens of thousands built per
    /// regeneration; they are all the same call-site span, so one is made per thread.
    static DELIM: proc_macro2::extra::DelimSpan = proc_macro2::Group::new(proc_macro2::Delimiter::None, TokenStream::new()).delim_span();
}

/// `{ … }` for a tree built here.
pub fn braces() -> token::Brace {
    token::Brace { span: DELIM.with(|d| *d) }
}

/// `( … )` for a tree built here.
pub fn parens() -> token::Paren {
    token::Paren { span: DELIM.with(|d| *d) }
}

/// `[ … ]` for a tree built here.
pub fn brackets() -> token::Bracket {
    token::Bracket { span: DELIM.with(|d| *d) }
}

/// An identifier (`r#type` for a raw one).
pub fn ident(s: &str) -> Ident {
    super::models::ident(s)
}

/// A path such as `crate::runtime::constructor` (no leading `::`, no generics).
pub fn path(s: &str) -> Path {
    // Split at single colons (memchr) rather than at `::` (a substring searcher set up per
    // call): a path written here has its colons in pairs, so the empty pieces between go.
    let segments = s.split(':').filter(|seg| !seg.is_empty()).map(|seg| PathSegment::from(ident(seg))).collect();
    Path { leading_colon: None, segments }
}

/// A path whose last segment takes generic arguments (none: a plain path), `::<…>` with
/// `turbofish`.
fn with_args(base: &str, args: Punctuated<GenericArgument, token::Comma>, turbofish: bool) -> Path {
    let mut p = path(base);
    if !args.is_empty() {
        p.segments.last_mut().expect("a path has a segment").arguments = PathArguments::AngleBracketed(syn::AngleBracketedGenericArguments {
            colon2_token: turbofish.then(Default::default),
            lt_token: Default::default(),
            args,
            gt_token: Default::default(),
        });
    }
    p
}

/// A path type with generic type arguments on its last segment: `Vec<T>`, `Option<T>`.
pub fn generic(base: &str, args: impl IntoIterator<Item = Type>) -> Type {
    let args: Punctuated<GenericArgument, token::Comma> = args.into_iter().map(GenericArgument::Type).collect();
    Type::Path(TypePath { qself: None, path: with_args(base, args, false) })
}

/// A plain path type.
pub fn named(base: &str) -> Type {
    generic(base, [])
}

/// The Rust type of an IR type reference, spelled for where it is written (see
/// [`TypeRef::spell_with`], which also makes the text forms).
pub fn ty(t: &TypeRef, sp: Spelling) -> Type {
    t.spell_with(
        sp,
        &|module, name| {
            let mut p = if module.is_empty() { Path { leading_colon: None, segments: Punctuated::new() } } else { path(module) };
            p.segments.push(PathSegment::from(ident(name)));
            Type::Path(TypePath { qself: None, path: p })
        },
        &|base, args| generic(base, args),
    )
}

fn outer(meta: Meta) -> Attribute {
    Attribute { pound_token: Default::default(), style: AttrStyle::Outer, bracket_token: brackets(), meta }
}

/// `#[name(tokens)]`.
pub fn attr(name: &str, tokens: TokenStream) -> Attribute {
    outer(Meta::List(MetaList { path: path(name), delimiter: syn::MacroDelimiter::Paren(parens()), tokens }))
}

/// `#[name]`.
pub fn attr_word(name: &str) -> Attribute {
    outer(Meta::Path(path(name)))
}

/// `#[name = "value"]`.
pub fn attr_str(name: &str, value: &str) -> Attribute {
    outer(Meta::NameValue(MetaNameValue {
        path: path(name),
        eq_token: Default::default(),
        value: Expr::Lit(ExprLit { attrs: Vec::new(), lit: Lit::Str(if name == "doc" { hidden_str(value) } else { str_of(text(value)) }) }),
    }))
}

/// `#[doc = "marker"]` for a placed doc block's short marker (`docs::placed`): escaped as
/// `LitStr::new` does, which for a few characters costs less than a raw literal's parse.
pub fn doc_marker(marker: &str) -> Attribute {
    outer(Meta::NameValue(MetaNameValue {
        path: path("doc"),
        eq_token: Default::default(),
        value: Expr::Lit(ExprLit { attrs: Vec::new(), lit: Lit::Str(LitStr::new(marker, span())) }),
    }))
}

/// A string literal for text the formatter reads back rather than prints (doc attributes
/// become `///` lines): raw (`r"…"`, `r#"…"#`), since `LitStr::new` escapes each character
/// through `char::escape_debug`, the largest single cost of rendering the crate's docs.
fn hidden_str(s: &str) -> LitStr {
    raw(s).map(str_of).unwrap_or_else(|| LitStr::new(s, span()))
}

/// The `LitStr` of a string literal token.
fn str_of(l: proc_macro2::Literal) -> LitStr {
    match Lit::new(l) {
        Lit::Str(s) => s,
        other => unreachable!("a string literal, not {}", quote::ToTokens::to_token_stream(&other)),
    }
}

/// `r"…"` with as few `#` as keep it closed, or `None` for text a raw string cannot hold (a
/// carriage return).
fn raw(s: &str) -> Option<proc_macro2::Literal> {
    if s.contains('\r') {
        return None;
    }
    // One more `#` than the longest run of them after a quote, none without a quote.
    let bytes = s.as_bytes();
    let mut hashes = 0;
    for (i, _) in bytes.iter().enumerate().filter(|(_, b)| **b == b'"') {
        let run = bytes[i + 1..].iter().take_while(|b| **b == b'#').count();
        hashes = hashes.max(run + 1);
    }
    let fence = "#".repeat(hashes);
    format!("r{fence}\"{s}\"{fence}").parse().ok()
}

/// A string literal's text as `quote` writes a `&str` (`Literal::string`), for macro bodies
/// written as text (`layout::body_text`).
pub fn quoted(s: &str) -> String {
    // Printable ASCII but `"` and `\\` is written as it is (`escape_debug` leaves it alone).
    if s.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('"');
        out.push_str(s);
        out.push('"');
        return out;
    }
    proc_macro2::Literal::string(s).to_string()
}

/// A string literal printed in the generated code: `"text"` when the text needs no escape,
/// raw when it holds quotes or backslashes (JSON reads better as `r#"{"a":"b"}"#`), escaped
/// as `LitStr::new` does otherwise (control characters, and characters outside ASCII, which
/// `escape_debug` may escape).
pub fn text(s: &str) -> proc_macro2::Literal {
    let plain = s.bytes().all(|b| (0x20..0x7f).contains(&b));
    if plain && !s.contains(['"', '\\']) {
        return format!("\"{s}\"").parse().expect("a plain string literal");
    }
    match plain.then(|| raw(s)).flatten() {
        Some(l) => l,
        None => proc_macro2::Literal::string(s),
    }
}

/// `pub`.
pub fn public() -> Visibility {
    Visibility::Public(Default::default())
}

/// `pub name: ty` with attributes.
pub fn named_field(attrs: Vec<Attribute>, name: Ident, ty: Type) -> Field {
    Field { attrs, vis: public(), mutability: FieldMutability::None, ident: Some(name), colon_token: Some(Default::default()), ty }
}

/// `pub struct Name { fields }` (or `pub struct Name;` without fields and `unit`).
pub fn struct_item(attrs: Vec<Attribute>, name: Ident, fields: Vec<Field>, unit: bool) -> Item {
    let (fields, semi_token) = if unit {
        (Fields::Unit, Some(Default::default()))
    } else {
        (Fields::Named(FieldsNamed { brace_token: braces(), named: fields.into_iter().collect() }), None)
    };
    Item::Struct(syn::ItemStruct {
        attrs,
        vis: public(),
        struct_token: Default::default(),
        ident: name,
        generics: Default::default(),
        fields,
        semi_token,
    })
}

/// An enum variant: `Name` or `Name(ty)`.
pub fn variant(attrs: Vec<Attribute>, name: Ident, payload: Option<Type>) -> syn::Variant {
    let fields = match payload {
        None => Fields::Unit,
        Some(ty) => Fields::Unnamed(FieldsUnnamed {
            paren_token: parens(),
            unnamed: std::iter::once(Field {
                attrs: Vec::new(),
                vis: Visibility::Inherited,
                mutability: FieldMutability::None,
                ident: None,
                colon_token: None,
                ty,
            })
            .collect(),
        }),
    };
    syn::Variant { attrs, ident: name, fields, discriminant: None }
}

/// `pub enum Name { variants }`.
pub fn enum_item(attrs: Vec<Attribute>, name: Ident, variants: Vec<syn::Variant>) -> Item {
    Item::Enum(syn::ItemEnum {
        attrs,
        vis: public(),
        enum_token: Default::default(),
        ident: name,
        generics: Default::default(),
        brace_token: braces(),
        variants: variants.into_iter().collect(),
    })
}

/// `pub type Name = ty;`.
pub fn alias_item(attrs: Vec<Attribute>, name: Ident, target: Type) -> Item {
    Item::Type(syn::ItemType {
        attrs,
        vis: public(),
        type_token: Default::default(),
        ident: name,
        generics: Default::default(),
        eq_token: Default::default(),
        ty: Box::new(target),
        semi_token: Default::default(),
    })
}

/// A macro call: `path!(tokens)` or, with `brace`, `path! { tokens }`.
pub fn mac(name: &str, tokens: TokenStream, brace: bool) -> Macro {
    let delimiter = if brace { MacroDelimiter::Brace(braces()) } else { MacroDelimiter::Paren(parens()) };
    // The body is laid out after formatting, one list entry per line (`layout`).
    Macro { path: path(name), bang_token: Default::default(), delimiter, tokens: super::layout::body(tokens, brace) }
}

/// A macro call whose body is given laid out ([`super::layout::body_text`]).
pub fn mac_text(name: &str, lines: Vec<String>, brace: bool) -> Macro {
    let delimiter = if brace { MacroDelimiter::Brace(braces()) } else { MacroDelimiter::Paren(parens()) };
    Macro { path: path(name), bang_token: Default::default(), delimiter, tokens: super::layout::body_text(lines, brace) }
}

/// A macro call as an item: `path!(tokens);` (or `path! { tokens }`).
pub fn macro_item(attrs: Vec<Attribute>, mac: Macro) -> Item {
    let semi_token = matches!(mac.delimiter, MacroDelimiter::Paren(_)).then(Default::default);
    Item::Macro(syn::ItemMacro { attrs, ident: None, mac, semi_token })
}

/// A macro call inside an impl block.
pub fn macro_impl_item(mac: Macro) -> syn::ImplItem {
    let semi_token = matches!(mac.delimiter, MacroDelimiter::Paren(_)).then(Default::default);
    syn::ImplItem::Macro(syn::ImplItemMacro { attrs: Vec::new(), mac, semi_token })
}

/// `impl Name { items }`.
pub fn impl_item(attrs: Vec<Attribute>, self_ty: Type, items: Vec<syn::ImplItem>) -> Item {
    Item::Impl(syn::ItemImpl {
        attrs,
        defaultness: None,
        unsafety: None,
        impl_token: Default::default(),
        generics: Default::default(),
        trait_: None,
        self_ty: Box::new(self_ty),
        brace_token: braces(),
        items,
    })
}

/// `<'c>`: the generics of request builders and group handles.
pub fn lifetime_generics(name: &str) -> syn::Generics {
    let param = syn::GenericParam::Lifetime(syn::LifetimeParam::new(syn::Lifetime::new(name, span())));
    syn::Generics {
        lt_token: Some(Default::default()),
        params: std::iter::once(param).collect(),
        gt_token: Some(Default::default()),
        where_clause: None,
    }
}

/// A path type whose last segment takes a lifetime and types: `Pending<'c, T>`, `Builder<'c>`.
pub fn generic_with_lifetime(base: &str, lifetime: &str, args: impl IntoIterator<Item = Type>) -> Type {
    let mut list: Punctuated<GenericArgument, token::Comma> = Punctuated::new();
    list.push(GenericArgument::Lifetime(syn::Lifetime::new(lifetime, span())));
    list.extend(args.into_iter().map(GenericArgument::Type));
    Type::Path(TypePath { qself: None, path: with_args(base, list, false) })
}

/// `&'a T`.
pub fn reference_type(lifetime: &str, inner: Type) -> Type {
    Type::Reference(syn::TypeReference {
        and_token: Default::default(),
        lifetime: Some(syn::Lifetime::new(lifetime, span())),
        mutability: None,
        elem: Box::new(inner),
    })
}

/// `impl Into<T>`.
pub fn impl_into(inner: Type) -> Type {
    let bound = syn::TypeParamBound::Trait(syn::TraitBound {
        paren_token: None,
        modifier: syn::TraitBoundModifier::None,
        lifetimes: None,
        path: match generic("Into", [inner]) {
            Type::Path(p) => p.path,
            _ => unreachable!("generic builds a path type"),
        },
    });
    Type::ImplTrait(syn::TypeImplTrait { impl_token: Default::default(), bounds: std::iter::once(bound).collect() })
}

/// A private (`vis` inherited) or public named field.
pub fn field(vis: Visibility, name: Ident, ty: Type) -> Field {
    Field { attrs: Vec::new(), vis, mutability: FieldMutability::None, ident: Some(name), colon_token: Some(Default::default()), ty }
}

/// `struct Name<generics> { fields }` with a visibility.
pub fn struct_with(attrs: Vec<Attribute>, name: Ident, generics: syn::Generics, fields: Vec<Field>) -> Item {
    Item::Struct(syn::ItemStruct {
        attrs,
        vis: public(),
        struct_token: Default::default(),
        ident: name,
        generics,
        fields: Fields::Named(FieldsNamed { brace_token: braces(), named: fields.into_iter().collect() }),
        semi_token: None,
    })
}

/// `impl<generics> Type { items }`.
pub fn impl_with(attrs: Vec<Attribute>, generics: syn::Generics, self_ty: Type, items: Vec<syn::ImplItem>) -> Item {
    let mut item = impl_item(attrs, self_ty, items);
    if let Item::Impl(i) = &mut item {
        i.generics = generics;
    }
    item
}

/// `pub mod name;`.
pub fn mod_decl(name: Ident) -> Item {
    Item::Mod(syn::ItemMod {
        attrs: Vec::new(),
        vis: public(),
        unsafety: None,
        mod_token: Default::default(),
        ident: name,
        content: None,
        semi: Some(Default::default()),
    })
}

/// `#![doc = "text"]`.
pub fn inner_doc(text: &str) -> Attribute {
    let mut a = attr_str("doc", text);
    a.style = AttrStyle::Inner(Default::default());
    a
}

/// A function parameter `name: ty`.
pub fn param(name: Ident, ty: Type) -> syn::FnArg {
    syn::FnArg::Typed(syn::PatType { attrs: Vec::new(), pat: Box::new(pat_ident(name, false)), colon_token: Default::default(), ty: Box::new(ty) })
}

/// `self` or `&self`.
pub fn receiver(by_ref: bool) -> syn::FnArg {
    let self_ty = named("Self");
    let (reference, ty) = if by_ref { (Some((Default::default(), None)), reference_type_plain(self_ty)) } else { (None, self_ty) };
    syn::FnArg::Receiver(syn::Receiver {
        attrs: Vec::new(),
        reference,
        mutability: None,
        self_token: Default::default(),
        colon_token: None,
        ty: Box::new(ty),
    })
}

fn reference_type_plain(inner: Type) -> Type {
    Type::Reference(syn::TypeReference { and_token: Default::default(), lifetime: None, mutability: None, elem: Box::new(inner) })
}

/// `fn name(inputs) -> output`.
fn signature(name: Ident, inputs: Vec<syn::FnArg>, output: Type) -> syn::Signature {
    syn::Signature {
        constness: None,
        asyncness: None,
        unsafety: None,
        abi: None,
        fn_token: Default::default(),
        ident: name,
        generics: Default::default(),
        paren_token: parens(),
        inputs: inputs.into_iter().collect(),
        variadic: None,
        output: syn::ReturnType::Type(Default::default(), Box::new(output)),
    }
}

/// `pub fn name(inputs) -> output { stmts }` inside an impl block.
pub fn method_item(attrs: Vec<Attribute>, name: Ident, inputs: Vec<syn::FnArg>, output: Type, stmts: Vec<syn::Stmt>) -> syn::ImplItem {
    syn::ImplItem::Fn(syn::ImplItemFn { attrs, vis: public(), defaultness: None, sig: signature(name, inputs, output), block: block(stmts) })
}

fn block(stmts: Vec<syn::Stmt>) -> syn::Block {
    syn::Block { brace_token: braces(), stmts }
}

/// A path expression: `self`, `req`, `None`, `crate::runtime::http::build`.
pub fn expr_path(s: &str) -> Expr {
    Expr::Path(syn::ExprPath { attrs: Vec::new(), qself: None, path: path(s) })
}

/// `base.name`.
pub fn expr_field(base: Expr, name: Ident) -> Expr {
    Expr::Field(syn::ExprField { attrs: Vec::new(), base: Box::new(base), dot_token: Default::default(), member: syn::Member::Named(name) })
}

/// `receiver.name(args)`.
pub fn method_call(receiver: Expr, name: &str, args: Vec<Expr>) -> Expr {
    Expr::MethodCall(syn::ExprMethodCall {
        attrs: Vec::new(),
        receiver: Box::new(receiver),
        dot_token: Default::default(),
        method: ident(name),
        turbofish: None,
        paren_token: parens(),
        args: args.into_iter().collect(),
    })
}

/// `func(args)`.
pub fn call(func: &str, args: Vec<Expr>) -> Expr {
    Expr::Call(syn::ExprCall { attrs: Vec::new(), func: Box::new(expr_path(func)), paren_token: parens(), args: args.into_iter().collect() })
}

/// `&expr`.
pub fn reference(e: Expr) -> Expr {
    Expr::Reference(syn::ExprReference { attrs: Vec::new(), and_token: Default::default(), mutability: None, expr: Box::new(e) })
}

/// `"text"`.
pub fn lit_str(s: &str) -> Expr {
    Expr::Lit(ExprLit { attrs: Vec::new(), lit: Lit::Str(str_of(text(s))) })
}

/// `expr?`.
pub fn try_expr(e: Expr) -> Expr {
    Expr::Try(syn::ExprTry { attrs: Vec::new(), expr: Box::new(e), question_token: Default::default() })
}

/// `left = right`.
pub fn assign(left: Expr, right: Expr) -> Expr {
    Expr::Assign(syn::ExprAssign { attrs: Vec::new(), left: Box::new(left), eq_token: Default::default(), right: Box::new(right) })
}

/// `|| { stmts }`.
pub fn closure(stmts: Vec<syn::Stmt>) -> Expr {
    closure_of(None, Expr::Block(syn::ExprBlock { attrs: Vec::new(), label: None, block: block(stmts) }))
}

/// `|arg| body`.
pub fn closure_with(arg: &str, body: Expr) -> Expr {
    closure_of(Some(arg), body)
}

fn closure_of(arg: Option<&str>, body: Expr) -> Expr {
    Expr::Closure(syn::ExprClosure {
        attrs: Vec::new(),
        lifetimes: None,
        constness: None,
        movability: None,
        asyncness: None,
        capture: None,
        or1_token: Default::default(),
        inputs: arg.map(|a| pat_ident(ident(a), false)).into_iter().collect(),
        or2_token: Default::default(),
        output: syn::ReturnType::Default,
        body: Box::new(body),
    })
}

/// A binding pattern: `name` or `mut name`.
fn pat_ident(name: Ident, mutable: bool) -> syn::Pat {
    syn::Pat::Ident(syn::PatIdent { attrs: Vec::new(), by_ref: None, mutability: mutable.then(Default::default), ident: name, subpat: None })
}

/// A macro call as an expression: `format!(tokens)`.
pub fn macro_expr(name: &str, tokens: TokenStream) -> Expr {
    Expr::Macro(syn::ExprMacro { attrs: Vec::new(), mac: mac(name, tokens, false) })
}

/// `Name { field: value, shorthand, … }` (a `None` value writes the shorthand).
pub fn struct_expr(name: &str, fields: Vec<(Ident, Option<Expr>)>) -> Expr {
    let fields = fields
        .into_iter()
        .map(|(member, value)| {
            let (colon_token, expr) = match value {
                Some(e) => (Some(Default::default()), e),
                None => (None, Expr::Path(syn::ExprPath { attrs: Vec::new(), qself: None, path: Path::from(member.clone()) })),
            };
            syn::FieldValue { attrs: Vec::new(), member: syn::Member::Named(member), colon_token, expr }
        })
        .collect();
    Expr::Struct(syn::ExprStruct { attrs: Vec::new(), qself: None, path: path(name), brace_token: braces(), fields, dot2_token: None, rest: None })
}

/// `let [mut] name = init;`.
pub fn let_stmt(name: &str, mutable: bool, init: Expr) -> syn::Stmt {
    syn::Stmt::Local(syn::Local {
        attrs: Vec::new(),
        let_token: Default::default(),
        pat: pat_ident(ident(name), mutable),
        init: Some(syn::LocalInit { eq_token: Default::default(), expr: Box::new(init), diverge: None }),
        semi_token: Default::default(),
    })
}

/// `expr;`.
pub fn stmt(e: Expr) -> syn::Stmt {
    syn::Stmt::Expr(e, Some(Default::default()))
}

/// `expr` ending a block.
pub fn tail(e: Expr) -> syn::Stmt {
    syn::Stmt::Expr(e, None)
}

/// `()`.
pub fn unit() -> Type {
    Type::Tuple(syn::TypeTuple { paren_token: parens(), elems: Punctuated::new() })
}

/// `name! { … }` as an expression, its body given laid out ([`super::layout::body_text`]).
pub fn macro_expr_text(name: &str, lines: Vec<String>) -> Expr {
    Expr::Macro(syn::ExprMacro { attrs: Vec::new(), mac: mac_text(name, lines, true) })
}

/// `async move { stmts }`.
pub fn async_move(stmts: Vec<syn::Stmt>) -> Expr {
    Expr::Async(syn::ExprAsync { attrs: Vec::new(), async_token: Default::default(), capture: Some(Default::default()), block: block(stmts) })
}

/// `expr.await`.
pub fn await_expr(e: Expr) -> Expr {
    Expr::Await(syn::ExprAwait { attrs: Vec::new(), base: Box::new(e), dot_token: Default::default(), await_token: Default::default() })
}

/// `func::<ty>(args)`.
pub fn call_turbofish(func: &str, ty: Type, args: Vec<Expr>) -> Expr {
    let p = with_args(func, std::iter::once(GenericArgument::Type(ty)).collect(), true);
    let func = Expr::Path(syn::ExprPath { attrs: Vec::new(), qself: None, path: p });
    Expr::Call(syn::ExprCall { attrs: Vec::new(), func: Box::new(func), paren_token: parens(), args: args.into_iter().collect() })
}

/// `fn name() -> output { stmts }` (private, no parameters).
pub fn fn_item(attrs: Vec<Attribute>, name: Ident, output: Type, stmts: Vec<syn::Stmt>) -> Item {
    Item::Fn(syn::ItemFn { attrs, vis: Visibility::Inherited, sig: signature(name, Vec::new(), output), block: Box::new(block(stmts)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way a literal is written reads back as the text it was made from, and plain text
    /// keeps its plain spelling.
    #[test]
    fn literals_read_back_as_their_text() {
        let cases = ["plain", "", r#"{"a":"b"}"#, "a\"#b\"##c", "back\\slash", "line\nbreak", "tab\tand\r", "caf\u{e9} \u{301}", "\u{0}7"];
        for s in cases {
            assert_eq!(str_of(text(s)).value(), s, "text({s:?})");
            assert_eq!(hidden_str(s).value(), s, "hidden_str({s:?})");
        }
        assert_eq!(text("plain").to_string(), "\"plain\"");
        assert_eq!(text(r#"{"a":1}"#).to_string(), r##"r#"{"a":1}"#"##);
        assert_eq!(text("a\"#b\"##c").to_string(), "r###\"a\"#b\"##c\"###");
        assert_eq!(text("line\nbreak").to_string(), "\"line\\nbreak\"");
    }
}
