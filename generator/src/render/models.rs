//! Renders IR types as Rust (through `quote`), one token stream per models file.
//!
//! Compile-time notes: structs derive serde; enums, consts and unions get small hand-written
//! impls (cheaper to compile than serde's derive for these shapes, and they carry the fallbacks).
//! Constructors and setters take `impl Into<…>`, so they cost nothing until a user calls them.

use super::docs::doc_lines;
use crate::ir::*;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::collections::{BTreeMap, HashMap};

pub fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// Item docs (placed after formatting while [`super::docs::placed`] runs).
pub fn doc_attrs(docs: Option<&str>) -> TokenStream {
    let Some(d) = docs else { return TokenStream::new() };
    super::docs::attrs(prefixed_lines(d))
}

/// Docs inside a macro call's tokens: always `#[doc]` attributes.
pub fn inline_doc_attrs(docs: Option<&str>) -> TokenStream {
    let Some(d) = docs else { return TokenStream::new() };
    let attrs = prefixed_lines(d).into_iter().map(|l| quote!(#[doc = #l]));
    quote!(#(#attrs)*)
}

fn prefixed_lines(d: &str) -> Vec<String> {
    doc_lines(d).into_iter().map(|l| if l.is_empty() { l } else { format!(" {l}") }).collect()
}

pub fn ty(t: &TypeRef) -> TokenStream {
    ty_with(t, false)
}

/// A type as written outside `models` (`crate::models::X`), so no local name can shadow it.
pub fn qualified_ty(t: &TypeRef) -> TokenStream {
    ty_with(t, true)
}

fn ty_with(t: &TypeRef, qualified: bool) -> TokenStream {
    let ty = |t: &TypeRef| ty_with(t, qualified);
    match t {
        TypeRef::Named(n) => {
            let i = ident(n);
            if qualified {
                quote!(crate::models::#i)
            } else {
                quote!(#i)
            }
        }
        TypeRef::String => quote!(String),
        TypeRef::I32 => quote!(i32),
        TypeRef::I64 => quote!(i64),
        TypeRef::F64 => quote!(f64),
        TypeRef::Bool => quote!(bool),
        TypeRef::Any => quote!(serde_json::Value),
        TypeRef::Vec(inner) => {
            let i = ty(inner);
            quote!(Vec<#i>)
        }
        TypeRef::Map(inner) => {
            let i = ty(inner);
            quote!(std::collections::BTreeMap<String, #i>)
        }
        TypeRef::Option(inner) => {
            let i = ty(inner);
            quote!(Option<#i>)
        }
        TypeRef::File => quote!(crate::FilePart),
    }
}

/// What every file's rendering needs to know about all types.
pub struct Index<'a> {
    module_of: HashMap<&'a str, &'a str>,
    deprecated: HashMap<&'a str, bool>,
}

impl<'a> Index<'a> {
    pub fn new(ir: &'a Ir) -> Self {
        Index {
            module_of: ir.types.iter().map(|t| (t.name.as_str(), t.module.as_str())).collect(),
            deprecated: ir.types.iter().map(|t| (t.name.as_str(), t.deprecated)).collect(),
        }
    }
}

/// The models files and how many types each holds (a cost estimate for scheduling).
pub fn modules(ir: &Ir) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for t in &ir.types {
        *m.entry(t.module.clone()).or_default() += 1;
    }
    m
}

/// Renders one models file.
pub fn render_module(ir: &Ir, index: &Index, module: &str) -> TokenStream {
    let mut body = TokenStream::new();
    let mut foreign = false;
    for t in ir.types.iter().filter(|t| t.module == module) {
        let mut refs = Vec::new();
        collect_refs(t, &mut refs);
        if refs.iter().any(|r| index.module_of.get(r.as_str()).is_some_and(|m| *m != module)) {
            foreign = true;
        }
        let uses_deprecated = refs.iter().any(|r| index.deprecated.get(r.as_str()).copied().unwrap_or(false));
        body.extend(render_type(t, ir, uses_deprecated));
    }
    let uses = if foreign { quote!(use super::*;) } else { TokenStream::new() };
    quote!(#uses #body)
}

fn collect_refs(t: &TypeDef, out: &mut Vec<String>) {
    match &t.kind {
        TypeKind::Struct(s) => {
            s.fields.iter().for_each(|f| f.ty.named(out));
            if let Some(a) = &s.additional {
                a.named(out);
            }
        }
        TypeKind::Tagged { variants, .. } => variants.iter().for_each(|v| v.ty.named(out)),
        TypeKind::Untagged(vs) => vs.iter().for_each(|v| v.ty.named(out)),
        TypeKind::Alias(a) => a.named(out),
        TypeKind::Enum(_) | TypeKind::Const(_) => {}
    }
}

fn render_type(t: &TypeDef, ir: &Ir, uses_deprecated: bool) -> TokenStream {
    let mut docs = t.docs.clone();
    if let Some(c) = &t.component {
        if c != &t.name {
            let note = format!("The `{c}` schema.");
            docs = Some(match docs {
                Some(d) => format!("{d}\n\n{note}"),
                None => note,
            });
        }
    }
    let docs = doc_attrs(docs.as_deref().or(Some(&format!("`{}`", t.origin))));
    let deprecated = if t.deprecated { quote!(#[deprecated]) } else { TokenStream::new() };
    // Items that mention a deprecated type must not warn inside the SDK itself.
    let allow = if uses_deprecated || t.deprecated { quote!(#[allow(deprecated)]) } else { TokenStream::new() };
    let name = ident(&t.name);
    let head = quote!(#docs #deprecated);
    let dirs = Dirs { ser: t.ser, de: t.de };
    match &t.kind {
        TypeKind::Struct(s) => render_struct(&name, s, head, allow, ir, dirs),
        TypeKind::Enum(values) => render_enum(&name, values, head),
        TypeKind::Const(v) => render_const(&name, v, head),
        TypeKind::Tagged { tag, variants } => render_tagged(&name, tag, variants, head, allow, ir, dirs),
        TypeKind::Untagged(variants) => render_untagged(&name, variants, head, allow, ir, dirs),
        TypeKind::Alias(target) => {
            let target = ty(target);
            quote!(#head pub type #name = #target;)
        }
    }
}

/// The serde directions a type gets by default; the other is behind the `full-serde` feature.
#[derive(Clone, Copy)]
struct Dirs {
    ser: bool,
    de: bool,
}

impl Dirs {
    /// Attributes that put an item behind the feature when its direction is not needed.
    fn gate(needed: bool) -> TokenStream {
        if needed {
            TokenStream::new()
        } else {
            quote!(#[cfg(feature = "full-serde")])
        }
    }
}

fn field_type(f: &Field) -> TokenStream {
    let inner = ty(&f.ty);
    let inner = if f.boxed { quote!(Box<#inner>) } else { inner };
    match f.presence() {
        Presence::Plain => inner,
        Presence::Option | Presence::Optional => quote!(Option<#inner>),
        Presence::Nullable => quote!(crate::Nullable<#inner>),
    }
}

fn has_default(ir: &Ir, t: &TypeRef) -> bool {
    match t {
        TypeRef::Named(n) => match ir.find(n).map(|d| &d.kind) {
            Some(TypeKind::Const(_)) => true,
            Some(TypeKind::Alias(a)) => has_default(ir, a),
            _ => false,
        },
        TypeRef::Option(_) => true,
        _ => false,
    }
}

fn render_struct(name: &Ident, s: &Struct, head: TokenStream, allow: TokenStream, ir: &Ir, dirs: Dirs) -> TokenStream {
    let mut fields = Vec::new();
    let mut ctor_params = Vec::new();
    let mut ctor_defaults: Vec<Ident> = Vec::new();
    let mut setters = Vec::new();
    let mut needs_args = false;
    let mut any_deprecated_field = false;
    for f in &s.fields {
        let fname = ident(&f.rust);
        let fty = field_type(f);
        let mut docs = f.docs.clone();
        if let Some(d) = &f.default {
            let note = format!("Default: `{d}`.");
            docs = Some(match docs {
                Some(x) => format!("{x}\n\n{note}"),
                None => note,
            });
        }
        if f.is_const {
            let note = "Fixed by the schema; filled in by the SDK.".to_string();
            docs = Some(match docs {
                Some(x) => format!("{x}\n\n{note}"),
                None => note,
            });
        }
        let fdocs = doc_attrs(docs.as_deref());
        let dep = if f.deprecated {
            any_deprecated_field = true;
            quote!(#[deprecated])
        } else {
            TokenStream::new()
        };
        let rename = if f.flatten || names_bare(&f.rust) == f.wire {
            None
        } else {
            let w = &f.wire;
            Some(quote!(rename = #w))
        };
        let mut serde_parts: Vec<TokenStream> = rename.into_iter().collect();
        match f.presence() {
            _ if f.flatten => serde_parts.push(quote!(flatten)),
            Presence::Plain if f.is_const && !f.required => serde_parts.push(quote!(default)),
            Presence::Plain | Presence::Option => {}
            Presence::Optional => {
                serde_parts.push(quote!(default));
                serde_parts.push(quote!(skip_serializing_if = "Option::is_none"));
            }
            Presence::Nullable => {
                serde_parts.push(quote!(default));
                serde_parts.push(quote!(skip_serializing_if = "crate::Nullable::is_absent"));
            }
        }
        let serde_attr = if serde_parts.is_empty() { TokenStream::new() } else { quote!(#[serde(#(#serde_parts),*)]) };
        fields.push(quote!(#fdocs #dep #serde_attr pub #fname: #fty,));

        let inner = ty(&f.ty);
        match f.presence() {
            Presence::Plain if f.is_const => ctor_defaults.push(fname.clone()),
            Presence::Plain | Presence::Option => {
                // Required but nullable (`Option`): the constructor takes the value (the common
                // case); set the field to `None` afterwards to send `null`.
                needs_args = true;
                let how = match (f.presence() == Presence::Option, f.boxed) {
                    (false, false) => quote!(plain),
                    (true, false) => quote!(some),
                    (false, true) => quote!(boxed),
                    (true, true) => quote!(some_boxed),
                };
                ctor_params.push(quote!(#fname: #inner => #how));
            }
            Presence::Optional | Presence::Nullable => {
                ctor_defaults.push(fname.clone());
                if f.rust == "new" {
                    // A setter would clash with the constructor; the field is public.
                    continue;
                }
                let how = match (f.presence() == Presence::Optional, f.boxed) {
                    (true, false) => quote!(optional),
                    (false, false) => quote!(nullable),
                    (true, true) => quote!(optional_boxed),
                    (false, true) => quote!(nullable_boxed),
                };
                let sdep = if f.deprecated { quote!(#[deprecated]) } else { TokenStream::new() };
                setters.push(quote!(#sdep #fname: #inner => #how));
            }
        }
    }
    if let Some(a) = &s.additional {
        let at = ty(a);
        fields.push(quote! {
            /// Properties not named by the schema, kept as sent.
            #[serde(flatten)]
            pub additional_properties: std::collections::BTreeMap<String, #at>,
        });
        ctor_defaults.push(Ident::new("additional_properties", Span::call_site()));
    }
    let flatten_union = s.fields.iter().any(|f| f.flatten);
    let derive_default = !needs_args && !flatten_union && s.fields.iter().all(|f| f.presence() != Presence::Plain || has_default(ir, &f.ty) || f.is_const);
    let default = if derive_default { quote!(Default,) } else { TokenStream::new() };
    // Only the serde directions the API needs are compiled by default (a large part of the
    // crate's build time); `full-serde` adds the other.
    let (ser, de) = (dirs.ser, dirs.de);
    let mut always = Vec::new();
    let mut gated = Vec::new();
    for (needed, d) in [(ser, quote!(serde::Serialize)), (de, quote!(serde::Deserialize))] {
        if needed { always.push(d) } else { gated.push(d) }
    }
    let gated = if gated.is_empty() { TokenStream::new() } else { quote!(#[cfg_attr(feature = "full-serde", derive(#(#gated),*))]) };
    let derives = quote! {
        #[derive(Debug, Clone, PartialEq, #default #(#always),*)]
        #gated
    };
    // The constructor is a macro call (`runtime::constructor!`): the same code, but no Rust
    // expressions for the formatter to parse, which is most of a regeneration's cost.
    let ctor = if derive_default {
        TokenStream::new()
    } else {
        let doc = if s.fields.iter().any(|f| f.presence() == Presence::Option) { quote!(nullable) } else { TokenStream::new() };
        quote!(crate::runtime::constructor!(#doc [#(#ctor_params),*] [#(#ctor_defaults),*]);)
    };
    let impl_allow = if any_deprecated_field { quote!(#[allow(deprecated)]) } else { allow.clone() };
    let setters = if setters.is_empty() { TokenStream::new() } else { quote!(crate::runtime::setters! { #(#setters),* }) };
    let imp = if ctor.is_empty() && setters.is_empty() {
        TokenStream::new()
    } else {
        quote!(#impl_allow impl #name { #ctor #setters })
    };
    quote! {
        #head
        #derives
        #allow
        pub struct #name { #(#fields)* }
        #imp
    }
}

fn names_bare(s: &str) -> &str {
    crate::names::bare(s)
}

fn render_enum(name: &Ident, values: &[EnumValue], head: TokenStream) -> TokenStream {
    let variants = values.iter().map(|v| {
        let i = ident(&v.rust);
        let d = doc_attrs(Some(v.docs.as_deref().unwrap_or(&format!("`{}`", v.wire))));
        quote!(#d #i,)
    });
    let pairs = values.iter().map(|v| {
        let i = ident(&v.rust);
        let w = &v.wire;
        quote!(#i = #w)
    });
    quote! {
        #head
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variants)*
            /// A value this version of the SDK does not know, kept as sent.
            Unknown(String),
        }
        crate::runtime::string_enum!(#name { #(#pairs),* });
    }
}

fn render_const(name: &Ident, v: &serde_json::Value, head: TokenStream) -> TokenStream {
    let (kind, value) = match v {
        serde_json::Value::String(s) => (quote!(str), quote!(#s)),
        serde_json::Value::Bool(b) => (quote!(bool), quote!(#b)),
        other => {
            let text = other.to_string();
            (quote!(json), quote!(#text))
        }
    };
    quote! {
        #head
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct #name;
        crate::runtime::const_value!(#name, #kind, #value);
    }
}

/// `From` impls for variants whose type appears once, so `UserMessage::new(..).into()` works,
/// and `From<&str>` for a union with a string variant.
fn from_impls(name: &Ident, variants: &[(Ident, &TypeRef, bool)], ir: &Ir, allow: &TokenStream) -> TokenStream {
    let mut list = Vec::new();
    let mut str_variant = None;
    let has_enum = variants
        .iter()
        .any(|(_, o, _)| matches!(o, TypeRef::Named(n) if matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Enum(_)))));
    for (i, (v, t, boxed)) in variants.iter().enumerate() {
        if variants.iter().enumerate().any(|(j, (_, o, _))| j != i && o == t) {
            continue;
        }
        let inner = ty(t);
        if *boxed {
            list.push(quote!(#v(box #inner)));
        } else {
            list.push(quote!(#v(#inner)));
        }
        let string_like = match t {
            TypeRef::String => true,
            TypeRef::Named(n) => matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Alias(TypeRef::String))),
            _ => false,
        };
        if string_like && !has_enum && str_variant.is_none() {
            str_variant = Some(v.clone());
        }
    }
    let str_part = str_variant.map(|v| quote!(str => #v));
    quote!(crate::runtime::union_from!(#allow #name { #(#list),* } #str_part);)
}

fn render_tagged(name: &Ident, tag: &str, variants: &[TaggedVariant], head: TokenStream, allow: TokenStream, ir: &Ir, dirs: Dirs) -> TokenStream {
    let decls = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let t = ty(&v.ty);
        let t = if v.boxed { quote!(Box<#t>) } else { t };
        let d = doc_attrs(Some(&format!("`{tag}`: {}", v.tags.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "))));
        quote!(#d #i(#t),)
    });
    let entries = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let tags = &v.tags;
        let how = if v.carries_tag { quote!(carries) } else { quote!(inject) };
        quote!(#i = [#(#tags),*] #how)
    });
    let pairs: Vec<(Ident, &TypeRef, bool)> = variants.iter().map(|v| (ident(&v.rust), &v.ty, v.boxed)).collect();
    let froms = from_impls(name, &pairs, ir, &allow);
    let entries: Vec<TokenStream> = entries.collect();
    let (ser_gate, de_gate) = (Dirs::gate(dirs.ser), Dirs::gate(dirs.de));
    quote! {
        #head
        #[derive(Debug, Clone, PartialEq)]
        #allow
        pub enum #name {
            #(#decls)*
            /// A variant this version of the SDK does not know, kept as raw JSON.
            Unknown(serde_json::Value),
        }
        crate::runtime::tagged_union!(#allow #name, #tag { #(#entries),* });
        #ser_gate
        crate::runtime::tagged_union_ser!(#allow #name, #tag { #(#entries),* });
        #de_gate
        crate::runtime::tagged_union_de!(#allow #name, #tag { #(#entries),* });
        #froms
    }
}

fn render_untagged(name: &Ident, variants: &[Variant], head: TokenStream, allow: TokenStream, ir: &Ir, dirs: Dirs) -> TokenStream {
    let decls = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let t = ty(&v.ty);
        let t = if v.boxed { quote!(Box<#t>) } else { t };
        quote!(#i(#t),)
    });
    let entries: Vec<Ident> = variants.iter().map(|v| ident(&v.rust)).collect();
    let pairs: Vec<(Ident, &TypeRef, bool)> = variants.iter().map(|v| (ident(&v.rust), &v.ty, v.boxed)).collect();
    let froms = from_impls(name, &pairs, ir, &allow);
    let (ser_gate, de_gate) = (Dirs::gate(dirs.ser), Dirs::gate(dirs.de));
    quote! {
        #head
        #[derive(Debug, Clone, PartialEq)]
        #allow
        pub enum #name {
            #(#decls)*
            /// A value matching none of the known shapes, kept as raw JSON.
            Unknown(serde_json::Value),
        }
        #ser_gate
        crate::runtime::untagged_union_ser!(#allow #name { #(#entries),* });
        #de_gate
        crate::runtime::untagged_union_de!(#allow #name { #(#entries),* });
        #froms
    }
}
