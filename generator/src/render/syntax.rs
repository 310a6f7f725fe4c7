//! Builds `syn` items directly, for the regular shapes that make up most of the crate (structs,
//! enums, aliases, impl blocks of macro calls, macro-call items), instead of building tokens with
//! `quote` for `syn` to parse back. Parsing the crate's tokens was the largest single cost of a
//! regeneration. Macro calls keep their tokens as `quote` builds them: `syn` does not parse a
//! macro's tokens and prettyplease prints them as they are.
//!
//! The formatter prints a tree built here exactly as it prints the same item parsed from tokens;
//! `cargo xtask check` and the fixture snapshots hold the generated text to that.

use crate::ir::TypeRef;
use proc_macro2::{Ident, Span, TokenStream};
use syn::punctuated::Punctuated;
use syn::{token, AttrStyle, Attribute, Expr, ExprLit, Field, FieldMutability, Fields, FieldsNamed, FieldsUnnamed, GenericArgument, Item, Lit, LitStr, Macro, MacroDelimiter, Meta, MetaList, MetaNameValue, Path, PathArguments, PathSegment, Type, TypePath, Visibility};

fn span() -> Span {
    Span::call_site()
}

/// An identifier (`r#type` for a raw one).
pub fn ident(s: &str) -> Ident {
    super::models::ident(s)
}

/// A path such as `crate::runtime::constructor` (no leading `::`, no generics).
pub fn path(s: &str) -> Path {
    let segments = s.split("::").map(|seg| PathSegment::from(ident(seg))).collect();
    Path { leading_colon: None, segments }
}

/// A path type with generic type arguments on its last segment: `Vec<T>`, `Option<T>`.
pub fn generic(base: &str, args: impl IntoIterator<Item = Type>) -> Type {
    let mut p = path(base);
    let args: Punctuated<GenericArgument, token::Comma> = args.into_iter().map(GenericArgument::Type).collect();
    if !args.is_empty() {
        p.segments.last_mut().expect("a path has a segment").arguments = PathArguments::AngleBracketed(syn::AngleBracketedGenericArguments {
            colon2_token: None,
            lt_token: Default::default(),
            args,
            gt_token: Default::default(),
        });
    }
    Type::Path(TypePath { qself: None, path: p })
}

/// A plain path type.
pub fn named(base: &str) -> Type {
    generic(base, [])
}

/// The Rust type of an IR type reference, as written inside `models` or (`qualified`) outside it
/// (`crate::models::X`). The same text as `models::ty` / `models::qualified_ty`.
pub fn ty(t: &TypeRef, qualified: bool) -> Type {
    match t {
        TypeRef::Named(n) if qualified => {
            let mut p = path("crate::models");
            p.segments.push(PathSegment::from(ident(n)));
            Type::Path(TypePath { qself: None, path: p })
        }
        TypeRef::Named(n) => Type::Path(TypePath { qself: None, path: Path::from(ident(n)) }),
        TypeRef::String => named("String"),
        TypeRef::I32 => named("i32"),
        TypeRef::I64 => named("i64"),
        TypeRef::F64 => named("f64"),
        TypeRef::Bool => named("bool"),
        TypeRef::Any => named("serde_json::Value"),
        TypeRef::Vec(inner) => generic("Vec", [ty(inner, qualified)]),
        TypeRef::Map(inner) => generic("std::collections::BTreeMap", [named("String"), ty(inner, qualified)]),
        TypeRef::Option(inner) => generic("Option", [ty(inner, qualified)]),
        TypeRef::File => named("crate::FilePart"),
    }
}

fn outer(meta: Meta) -> Attribute {
    Attribute { pound_token: Default::default(), style: AttrStyle::Outer, bracket_token: Default::default(), meta }
}

/// `#[name(tokens)]`.
pub fn attr(name: &str, tokens: TokenStream) -> Attribute {
    outer(Meta::List(MetaList { path: path(name), delimiter: syn::MacroDelimiter::Paren(Default::default()), tokens }))
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
        value: Expr::Lit(ExprLit { attrs: Vec::new(), lit: Lit::Str(LitStr::new(value, span())) }),
    }))
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
        (Fields::Named(FieldsNamed { brace_token: Default::default(), named: fields.into_iter().collect() }), None)
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
            paren_token: Default::default(),
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
        brace_token: Default::default(),
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
    let delimiter = if brace { MacroDelimiter::Brace(Default::default()) } else { MacroDelimiter::Paren(Default::default()) };
    Macro { path: path(name), bang_token: Default::default(), delimiter, tokens }
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
        brace_token: Default::default(),
        items,
    })
}
