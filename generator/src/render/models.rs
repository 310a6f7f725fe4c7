//! Renders IR types as Rust (through `quote`), one token stream per models file.
//!
//! Compile-time notes: structs derive serde; enums, consts and unions get small hand-written
//! impls (cheaper to compile than serde's derive for these shapes, and they carry the fallbacks).
//! Constructors and setters take `impl Into<…>`, so they cost nothing until a user calls them.

use super::docs::doc_lines;
use crate::ir::*;
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};
use std::collections::{BTreeMap, HashMap};

pub fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

pub fn doc_attrs(docs: Option<&str>) -> TokenStream {
    let Some(d) = docs else { return TokenStream::new() };
    let lines = doc_lines(d);
    let attrs = lines.iter().map(|l| {
        let l = if l.is_empty() { String::new() } else { format!(" {l}") };
        quote!(#[doc = #l])
    });
    quote!(#(#attrs)*)
}

pub fn ty(t: &TypeRef) -> TokenStream {
    match t {
        TypeRef::Named(n) => {
            let i = ident(n);
            quote!(#i)
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
    }
}

/// Renders every type, grouped by models file, files in name order.
pub fn render_models(ir: &Ir) -> BTreeMap<String, TokenStream> {
    let module_of: HashMap<&str, &str> = ir.types.iter().map(|t| (t.name.as_str(), t.module.as_str())).collect();
    let deprecated: HashMap<&str, bool> = ir.types.iter().map(|t| (t.name.as_str(), t.deprecated)).collect();
    let mut files: BTreeMap<String, (TokenStream, bool)> = BTreeMap::new();
    for t in &ir.types {
        let (tokens, foreign) = files.entry(t.module.clone()).or_default();
        let mut refs = Vec::new();
        collect_refs(t, &mut refs);
        if refs.iter().any(|r| module_of.get(r.as_str()).is_some_and(|m| *m != t.module)) {
            *foreign = true;
        }
        let uses_deprecated = refs.iter().any(|r| deprecated.get(r.as_str()).copied().unwrap_or(false));
        tokens.extend(render_type(t, ir, uses_deprecated));
    }
    files
        .into_iter()
        .map(|(m, (body, foreign))| {
            let uses = if foreign { quote!(use super::*;) } else { TokenStream::new() };
            (m, quote!(#uses #body))
        })
        .collect()
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
    match &t.kind {
        TypeKind::Struct(s) => render_struct(&name, s, head, allow, ir),
        TypeKind::Enum(values) => render_enum(&name, values, head),
        TypeKind::Const(v) => render_const(&name, v, head),
        TypeKind::Tagged { tag, variants } => render_tagged(&name, tag, variants, head, allow, ir),
        TypeKind::Untagged(variants) => render_untagged(&name, variants, head, allow, ir),
        TypeKind::Alias(target) => {
            let target = ty(target);
            quote!(#head pub type #name = #target;)
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

fn render_struct(name: &Ident, s: &Struct, head: TokenStream, allow: TokenStream, ir: &Ir) -> TokenStream {
    let mut fields = Vec::new();
    let mut ctor_params = Vec::new();
    let mut ctor_inits = Vec::new();
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
        let wrap = |v: TokenStream| if f.boxed { quote!(Box::new(#v)) } else { v };
        match f.presence() {
            Presence::Plain if f.is_const => ctor_inits.push(quote!(#fname: Default::default())),
            Presence::Plain => {
                needs_args = true;
                let v = wrap(quote!(#fname.into()));
                ctor_params.push(quote!(#fname: impl Into<#inner>));
                ctor_inits.push(quote!(#fname: #v));
            }
            Presence::Option => {
                needs_args = true;
                let v = if f.boxed { quote!(#fname.into().map(Box::new)) } else { quote!(#fname.into()) };
                ctor_params.push(quote!(#fname: impl Into<Option<#inner>>));
                ctor_inits.push(quote!(#fname: #v));
            }
            Presence::Optional | Presence::Nullable => {
                ctor_inits.push(quote!(#fname: Default::default()));
                let setter = if f.rust == "new" { format_ident!("with_new") } else { fname.clone() };
                let v = wrap(quote!(value.into()));
                let assign = if f.presence() == Presence::Optional {
                    quote!(self.#fname = Some(#v);)
                } else {
                    quote!(self.#fname = crate::Nullable::Value(#v);)
                };
                let sdocs = doc_attrs(Some(&format!("Sets `{}`.", f.wire)));
                let sdep = if f.deprecated { quote!(#[deprecated]) } else { TokenStream::new() };
                setters.push(quote! {
                    #sdocs #sdep
                    pub fn #setter(mut self, value: impl Into<#inner>) -> Self { #assign self }
                });
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
        ctor_inits.push(quote!(additional_properties: Default::default()));
    }
    let flatten_union = s.fields.iter().any(|f| f.flatten);
    let derive_default = !needs_args && !flatten_union && s.fields.iter().all(|f| f.presence() != Presence::Plain || has_default(ir, &f.ty) || f.is_const);
    let derives = if derive_default {
        quote!(#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)])
    } else {
        quote!(#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)])
    };
    let many = if ctor_params.len() > 7 { quote!(#[allow(clippy::too_many_arguments)]) } else { TokenStream::new() };
    let ctor = if derive_default {
        TokenStream::new()
    } else {
        quote! {
            /// Builds a value from its required fields; optional fields start unset.
            #many
            pub fn new(#(#ctor_params),*) -> Self { Self { #(#ctor_inits),* } }
        }
    };
    let impl_allow = if any_deprecated_field { quote!(#[allow(deprecated)]) } else { allow.clone() };
    let imp = if ctor.is_empty() && setters.is_empty() {
        TokenStream::new()
    } else {
        quote!(#impl_allow impl #name { #ctor #(#setters)* })
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
    let as_str = values.iter().map(|v| {
        let i = ident(&v.rust);
        let w = &v.wire;
        quote!(Self::#i => #w,)
    });
    let from = values.iter().map(|v| {
        let i = ident(&v.rust);
        let w = &v.wire;
        quote!(#w => Self::#i,)
    });
    quote! {
        #head
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum #name {
            #(#variants)*
            /// A value this version of the SDK does not know, kept as sent.
            Unknown(String),
        }
        impl #name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str { match self { #(#as_str)* Self::Unknown(s) => s, } }
        }
        impl From<&str> for #name {
            fn from(s: &str) -> Self { match s { #(#from)* other => Self::Unknown(other.to_string()), } }
        }
        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::runtime::de_str(d).map(|s| Self::from(s.as_ref()))
            }
        }
    }
}

fn render_const(name: &Ident, v: &serde_json::Value, head: TokenStream) -> TokenStream {
    let (value_ty, value, ser, de) = match v {
        serde_json::Value::String(s) => (
            quote!(&'static str),
            quote!(#s),
            quote!(s.serialize_str(Self::VALUE)),
            quote!(crate::runtime::expect_str(d, Self::VALUE).map(|()| Self)),
        ),
        serde_json::Value::Bool(b) => (
            quote!(bool),
            quote!(#b),
            quote!(s.serialize_bool(Self::VALUE)),
            quote!(crate::runtime::expect_value(d, &serde_json::Value::Bool(Self::VALUE)).map(|()| Self)),
        ),
        other => {
            let text = other.to_string();
            (
                quote!(&'static str),
                quote!(#text),
                quote!(serde::Serialize::serialize(&serde_json::from_str::<serde_json::Value>(Self::VALUE).map_err(serde::ser::Error::custom)?, s)),
                quote!({
                    let expected: serde_json::Value = serde_json::from_str(Self::VALUE).map_err(serde::de::Error::custom)?;
                    crate::runtime::expect_value(d, &expected).map(|()| Self)
                }),
            )
        }
    };
    let text = v.to_string();
    let doc = format!(" Always `{text}`.");
    quote! {
        #head
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct #name;
        impl #name {
            #[doc = #doc]
            pub const VALUE: #value_ty = #value;
        }
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { #ser }
        }
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> { #de }
        }
    }
}

/// `From` impls for variants whose type appears once, so `UserMessage::new(..).into()` works.
fn from_impls(name: &Ident, variants: &[(Ident, &TypeRef)], ir: &Ir, allow: &TokenStream) -> TokenStream {
    let mut out = TokenStream::new();
    for (i, (v, t)) in variants.iter().enumerate() {
        if variants.iter().enumerate().any(|(j, (_, o))| j != i && o == t) {
            continue;
        }
        let inner = ty(t);
        out.extend(quote! {
            #allow impl From<#inner> for #name { fn from(v: #inner) -> Self { Self::#v(v) } }
        });
        let string_like = match t {
            TypeRef::String => true,
            TypeRef::Named(n) => matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Alias(TypeRef::String))),
            _ => false,
        };
        if string_like && !variants.iter().any(|(_, o)| matches!(o, TypeRef::Named(n) if matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Enum(_))))) {
            out.extend(quote! {
                impl From<&str> for #name { fn from(v: &str) -> Self { Self::#v(v.to_string()) } }
            });
        }
    }
    out
}

fn render_tagged(name: &Ident, tag: &str, variants: &[TaggedVariant], head: TokenStream, allow: TokenStream, ir: &Ir) -> TokenStream {
    let decls = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let t = ty(&v.ty);
        let d = doc_attrs(Some(&format!("`{tag}`: {}", v.tags.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "))));
        quote!(#d #i(#t),)
    });
    let ser = variants.iter().map(|v| {
        let i = ident(&v.rust);
        if v.carries_tag {
            quote!(Self::#i(v) => serde::Serialize::serialize(v, s),)
        } else {
            let tv = &v.tags[0];
            quote!(Self::#i(v) => crate::runtime::serialize_tagged(s, #tag, #tv, v),)
        }
    });
    let de = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let tags = &v.tags;
        quote!(#(Some(#tags))|* => Self::#i(crate::runtime::decode(value)?),)
    });
    let tag_values = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let tv = &v.tags[0];
        quote!(Self::#i(_) => Some(#tv),)
    });
    let pairs: Vec<(Ident, &TypeRef)> = variants.iter().map(|v| (ident(&v.rust), &v.ty)).collect();
    let froms = from_impls(name, &pairs, ir, &allow);
    quote! {
        #head
        #[derive(Debug, Clone, PartialEq)]
        #allow
        pub enum #name {
            #(#decls)*
            /// A variant this version of the SDK does not know, kept as raw JSON.
            Unknown(serde_json::Value),
        }
        #allow
        impl #name {
            /// The discriminator value (`None` for an unknown variant without one).
            pub fn tag(&self) -> Option<&str> {
                match self { #(#tag_values)* Self::Unknown(v) => v.get(#tag).and_then(serde_json::Value::as_str), }
            }
        }
        #allow
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self { #(#ser)* Self::Unknown(v) => serde::Serialize::serialize(v, s), }
            }
        }
        #allow
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                Ok(match value.get(#tag).and_then(serde_json::Value::as_str) {
                    #(#de)*
                    _ => Self::Unknown(value),
                })
            }
        }
        #froms
    }
}

fn render_untagged(name: &Ident, variants: &[Variant], head: TokenStream, allow: TokenStream, ir: &Ir) -> TokenStream {
    let decls = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let t = ty(&v.ty);
        quote!(#i(#t),)
    });
    let ser = variants.iter().map(|v| {
        let i = ident(&v.rust);
        quote!(Self::#i(v) => serde::Serialize::serialize(v, s),)
    });
    let de = variants.iter().map(|v| {
        let i = ident(&v.rust);
        let t = ty(&v.ty);
        quote!(if let Ok(v) = <#t as serde::Deserialize>::deserialize(&value) { return Ok(Self::#i(v)); })
    });
    let pairs: Vec<(Ident, &TypeRef)> = variants.iter().map(|v| (ident(&v.rust), &v.ty)).collect();
    let froms = from_impls(name, &pairs, ir, &allow);
    quote! {
        #head
        #[derive(Debug, Clone, PartialEq)]
        #allow
        pub enum #name {
            #(#decls)*
            /// A value matching none of the known shapes, kept as raw JSON.
            Unknown(serde_json::Value),
        }
        #allow
        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                match self { #(#ser)* Self::Unknown(v) => serde::Serialize::serialize(v, s), }
            }
        }
        #allow
        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let value = <serde_json::Value as serde::Deserialize>::deserialize(d)?;
                #(#de)*
                Ok(Self::Unknown(value))
            }
        }
        #froms
    }
}
