//! Renders IR types as Rust (through `quote`), one token stream per models file.
//!
//! Compile-time notes: structs derive serde; enums, consts and unions get small hand-written
//! impls (cheaper to compile than serde's derive for these shapes, and they carry the fallbacks).
//! Constructors and setters take `impl Into<…>`, so they cost nothing until a user calls them.

use super::docs::doc_lines;
use super::syntax;
use crate::fast::HashMap;
use crate::ir::*;
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use std::collections::BTreeMap;
use syn::{Attribute, Item};

pub fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

pub(super) fn prefixed_lines(d: &str) -> Vec<String> {
    doc_lines(d).into_iter().map(|l| if l.is_empty() { l } else { format!(" {l}") }).collect()
}

/// A type as written inside `models`, as tokens for macro calls.
pub fn ty(t: &TypeRef) -> TokenStream {
    let t = syntax::ty(t, Spelling::MODELS);
    quote!(#t)
}

/// A type as written outside `models` (`crate::models::X`), so no local name can shadow it.
pub fn qualified_ty(t: &TypeRef) -> TokenStream {
    let t = syntax::ty(t, Spelling::CRATE);
    quote!(#t)
}

/// Where the models go and what every file's rendering needs to know about all types.
///
/// A type used by one feature's operations lives in that feature's module (`models/chat.rs`);
/// a type several features reach lives in a shared module named after that set
/// (`models/shared_agents_chat_fim.rs`), or `models/common.rs` when every feature reaches it.
/// Each module compiles when any of its features is on. Types no operation reaches live in
/// `models/unreached.rs`, compiled with every feature on.
pub struct Layout<'a> {
    /// Module name → its features and types (in name order).
    pub modules: BTreeMap<String, LayoutModule<'a>>,
    module_of: HashMap<&'a str, String>,
    deprecated: HashMap<&'a str, bool>,
}

pub struct LayoutModule<'a> {
    /// The features that compile the module (any of them); empty for the unreached types.
    pub features: &'a [String],
    pub types: Vec<&'a TypeDef>,
}

/// The module of the types a set of features reaches: the feature's name, or `shared_` and the
/// names joined; a set too long to spell is named by its first two features and how many more
/// (made unique by [`Layout::new`]).
pub fn module_name(features: &[String], all: usize) -> String {
    let snake = |f: &String| heck::ToSnakeCase::to_snake_case(f.as_str());
    match features {
        [] => "unreached".into(),
        // Not `models::models`, nor a keyword.
        [one] if snake(one) == "models" || syn::parse_str::<syn::Ident>(&snake(one)).is_err() => format!("{}_group", snake(one)),
        [one] => snake(one),
        _ if features.len() == all => "common".into(),
        many => {
            let joined = format!("shared_{}", many.iter().map(snake).collect::<Vec<_>>().join("_"));
            if joined.len() <= 60 {
                joined
            } else {
                format!("shared_{}_{}_and_{}_more", snake(&many[0]), snake(&many[1]), many.len() - 2)
            }
        }
    }
}

impl<'a> Layout<'a> {
    pub fn new(ir: &'a Ir) -> Self {
        let all = ir.features.iter().filter(|f| f.operations > 0).count();
        let mut modules: BTreeMap<String, LayoutModule<'a>> = BTreeMap::new();
        let mut module_of = HashMap::default();
        // Feature set → module, so two long sets named alike get distinct modules.
        let mut by_set: BTreeMap<&'a [String], String> = BTreeMap::new();
        let mut sets: Vec<&'a [String]> = ir.types.iter().map(|t| t.features.as_slice()).collect();
        sets.sort();
        sets.dedup();
        let mut taken = crate::fast::HashSet::default();
        for set in sets {
            by_set.insert(set, crate::names::unique(module_name(set, all), &mut taken));
        }
        for t in &ir.types {
            let name = by_set[t.features.as_slice()].clone();
            module_of.insert(t.name.as_str(), name.clone());
            modules.entry(name).or_insert_with(|| LayoutModule { features: &t.features, types: Vec::new() }).types.push(t);
        }
        Layout { modules, module_of, deprecated: ir.types.iter().map(|t| (t.name.as_str(), t.deprecated)).collect() }
    }
}

/// Renders one models file, as `syn` items built directly (see [`super::syntax`]).
pub fn render_module(ir: &Ir, layout: &Layout, module: &str) -> syn::File {
    let mut items = Vec::new();
    let mut foreign = false;
    for t in &layout.modules[module].types {
        let mut refs = Vec::new();
        t.refs(&mut refs);
        if refs.iter().any(|r| layout.module_of.get(r.as_str()).is_some_and(|m| m != module)) {
            foreign = true;
        }
        let uses_deprecated = refs.iter().any(|r| layout.deprecated.get(r.as_str()).copied().unwrap_or(false));
        render_type(t, ir, uses_deprecated, &mut items);
    }
    if foreign {
        items.insert(
            0,
            syn::parse_quote!(
                use super::*;
            ),
        );
    }
    syn::File { shebang: None, attrs: Vec::new(), items }
}

/// Where a type is used, the first three places and how many more.
fn uses_phrase(uses: &[String]) -> String {
    match uses.len() {
        0..=3 => uses.join("; "),
        n => format!("{}; and {} more", uses[..3].join("; "), n - 3),
    }
}

fn render_type(t: &TypeDef, ir: &Ir, uses_deprecated: bool, out: &mut Vec<Item>) {
    // The spec's description first; without one, what the type is: its component, or where the
    // inline schema sits. The schema's pointer closes the docs, for finding it in the spec.
    let lead = match (&t.docs, &t.component) {
        (Some(d), Some(c)) if c != &t.name => format!("{d}\n\nThe `{c}` schema."),
        (Some(d), _) => d.clone(),
        (None, Some(c)) if !t.uses.is_empty() => format!("The `{c}` schema: {}.", uses_phrase(&t.uses)),
        (None, Some(c)) => format!("The `{c}` schema."),
        // An inline schema several places declare alike is one type for all of them.
        (None, None) if t.uses.len() > 1 => format!("One type for the places that declare it alike: {}.", uses_phrase(&t.uses)),
        (None, None) => super::docs::describe_origin(&t.origin),
    };
    let docs = if t.component.is_some() { lead } else { format!("{lead}\n\nSchema: `{}`.", t.origin) };
    let mut plan = vec![AttrPlan::Doc(prefixed_lines(&docs))];
    plan.extend(super::gate::predicate_text(ir, &t.features).map(|p| AttrPlan::List("cfg_attr", format!("docsrs, doc(cfg({p}))"))));
    if t.deprecated {
        plan.push(AttrPlan::Word("deprecated"));
    }
    // A new optional field, enum value or union variant in the spec is a minor release: users
    // build values through `new(required…)`, setters and `Default`, and match with a wildcard.
    if !matches!(t.kind, TypeKind::Alias(_)) {
        plan.push(AttrPlan::Word("non_exhaustive"));
    }
    match &t.kind {
        // Written as text when they can be (`struct_text`, `enum_text`).
        TypeKind::Struct(s) => {
            return render_struct(ident(&t.name), s, &t.origin, plan, Allow(uses_deprecated || t.deprecated), ir, Dirs { ser: t.ser, de: t.de }, out)
        }
        TypeKind::Enum(values) => return render_enum(ident(&t.name), values, plan, out),
        _ => {}
    }
    let head: Vec<Attribute> = plan.into_iter().flat_map(AttrPlan::into_syn).collect();
    // Items that mention a deprecated type must not warn inside the SDK itself.
    let allow = Allow(uses_deprecated || t.deprecated);
    let name = ident(&t.name);
    let dirs = Dirs { ser: t.ser, de: t.de };
    match &t.kind {
        TypeKind::Struct(_) | TypeKind::Enum(_) => unreachable!("rendered above"),
        TypeKind::Const(v) => render_const(name, v, head, out),
        TypeKind::Tagged { tag, variants } => render_tagged(name, tag, variants, head, allow, ir, dirs, out),
        TypeKind::Untagged(variants) => render_untagged(name, variants, head, allow, ir, dirs, out),
        TypeKind::Alias(target) => out.push(syntax::alias_item(head, name, syntax::ty(target, Spelling::MODELS))),
    }
}

/// Item docs as `syn` attributes (placed after formatting while [`super::docs::placed`] runs).
pub(crate) fn doc_attr_list(docs: Option<&str>) -> Vec<Attribute> {
    docs.map(|d| super::docs::attr_list(prefixed_lines(d))).unwrap_or_default()
}

/// Whether items of a type carry `#[allow(deprecated)]`.
#[derive(Clone, Copy)]
struct Allow(bool);

impl Allow {
    fn attrs(self) -> Vec<Attribute> {
        self.plan().into_iter().flat_map(AttrPlan::into_syn).collect()
    }

    /// `#[allow(deprecated)]` when it applies, before it is written.
    fn plan(self) -> Option<AttrPlan> {
        self.0.then(|| AttrPlan::List("allow", "deprecated".into()))
    }

    /// The same attribute inside a macro call's tokens.
    fn tokens(self) -> TokenStream {
        if self.0 {
            quote!(#[allow(deprecated)])
        } else {
            TokenStream::new()
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
    fn gate(needed: bool) -> Vec<Attribute> {
        if needed {
            Vec::new()
        } else {
            vec![syntax::attr("cfg", quote!(feature = "full-serde"))]
        }
    }
}

/// A field's type as the formatter prints it: `Option` or `crate::Nullable` around the value's
/// type (boxed when it is).
fn field_type_text(f: &Field) -> String {
    let inner = f.ty.spell(Spelling::MODELS);
    let inner = if f.boxed { format!("Box<{inner}>") } else { inner };
    match f.presence() {
        Presence::Plain => inner,
        Presence::Option | Presence::Optional => format!("Option<{inner}>"),
        Presence::Nullable => format!("crate::Nullable<{inner}>"),
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

/// What a field without a description is, from what the generator knows: its wire name, its
/// kind and whether it must be there (a const field says it is fixed instead).
fn field_summary(f: &Field) -> Option<String> {
    if f.is_const {
        return None;
    }
    let presence = match f.presence() {
        _ if f.flatten => "its fields sit beside the others on the wire",
        Presence::Plain => "required",
        Presence::Option => "required, may be `null`",
        Presence::Optional => "optional, left out when `None`",
        Presence::Nullable => "optional and nullable: absent, `null` or a value",
    };
    Some(format!("`{}`: {}; {presence}.", f.wire, kind_phrase(&f.ty, f.format.as_deref())))
}

/// A type as words: `text`, `an integer`, `a list of text`, `a Message`.
fn kind_phrase(t: &TypeRef, format: Option<&str>) -> String {
    match t {
        TypeRef::String => match format {
            Some(fmt) => format!("text (`{fmt}`)"),
            None => "text".into(),
        },
        TypeRef::I32 | TypeRef::I64 => "an integer".into(),
        TypeRef::F64 => "a number".into(),
        TypeRef::Bool => "true or false".into(),
        TypeRef::Any => "any JSON value".into(),
        TypeRef::File => "a file".into(),
        TypeRef::Vec(inner) => format!("a list of {}", kind_phrase(inner, None).trim_start_matches("a ").trim_start_matches("an ")),
        TypeRef::Map(inner) => format!("a map of names to {}", kind_phrase(inner, None).trim_start_matches("a ").trim_start_matches("an ")),
        TypeRef::Option(inner) => format!("{} or `null`", kind_phrase(inner, format)),
        TypeRef::Named(n) => format!("a `{n}`"),
    }
}

#[allow(clippy::too_many_arguments)]
/// The spec's first example of a field (`x-examples` on its schema), as JSON text short enough
/// for a doc line.
fn field_example(ir: &Ir, origin: &str, f: &Field) -> Option<String> {
    let text = ir.field_example(origin, &f.wire)?.to_string();
    (text.len() <= 100 && !text.contains('`')).then_some(text)
}

#[allow(clippy::too_many_arguments)]
fn render_struct(name: Ident, s: &Struct, origin: &str, head: Vec<AttrPlan>, allow: Allow, ir: &Ir, dirs: Dirs, out: &mut Vec<Item>) {
    // `Deserialize` through `runtime::struct_de!` (a fraction of the derive's code), unless a
    // field is flattened, which only serde's derive does.
    let macro_de = !s.fields.iter().any(|f| f.flatten) && s.additional.is_none();
    // The macro bodies are written laid out (`layout::body_text`): entries as text.
    let (mut de_required, mut de_default): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut fields = Vec::new();
    let mut ctor_params: Vec<String> = Vec::new();
    let mut ctor_defaults: Vec<String> = Vec::new();
    let mut setters: Vec<String> = Vec::new();
    let mut needs_args = false;
    let mut any_deprecated_field = false;
    for f in &s.fields {
        let mut docs = f.docs.clone().or_else(|| field_summary(f));
        let example = field_example(ir, origin, f).map(|e| format!("Example: `{e}`."));
        for note in f.default.as_ref().map(|d| format!("Default: `{d}`.")).into_iter().chain(example) {
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
        if f.deprecated {
            any_deprecated_field = true;
        }
        // The serde attribute's entries, as the tokens' text.
        let mut serde_parts: Vec<String> = Vec::new();
        if !(f.flatten || names_bare(&f.rust) == f.wire) {
            serde_parts.push(format!("rename = {}", syntax::quoted(&f.wire)));
        }
        match f.presence() {
            _ if f.flatten => serde_parts.push("flatten".into()),
            Presence::Plain if f.is_const && !f.required => serde_parts.push("default".into()),
            Presence::Plain | Presence::Option => {}
            Presence::Optional => {
                serde_parts.push("default".into());
                serde_parts.push("skip_serializing_if = \"Option::is_none\"".into());
            }
            Presence::Nullable => {
                serde_parts.push("default".into());
                serde_parts.push("skip_serializing_if = \"crate::Nullable::is_absent\"".into());
            }
        }
        if macro_de {
            let key = if f.rust == f.wire { f.rust.clone() } else { format!("{} = {}", f.rust, syntax::quoted(&f.wire)) };
            // Required unless absent is fine: optional, nullable, or a const the SDK fills in.
            if f.presence() == Presence::Plain && (f.required || !f.is_const) {
                de_required.push(key);
            } else {
                de_default.push(key);
            }
        }
        let serde = (!serde_parts.is_empty()).then(|| {
            let parts = serde_parts.join(", ");
            if macro_de && !dirs.ser {
                // Only `Serialize` reads them, and it is derived with `full-serde` only.
                ("cfg_attr", format!("feature = \"full-serde\", serde({parts})"))
            } else {
                ("serde", parts)
            }
        });
        fields.push(FieldPlan {
            doc_lines: docs.as_deref().map(prefixed_lines).unwrap_or_default(),
            deprecated: f.deprecated,
            serde,
            name: f.rust.clone(),
            ty: field_type_text(f),
        });

        let inner = f.ty.spell(Spelling::MODELS);
        match f.presence() {
            Presence::Plain if f.is_const => ctor_defaults.push(f.rust.clone()),
            Presence::Plain | Presence::Option => {
                // Required but nullable (`Option`): the constructor takes the value (the common
                // case); set the field to `None` afterwards to send `null`.
                needs_args = true;
                let how = match (f.presence() == Presence::Option, f.boxed) {
                    (false, false) => "plain",
                    (true, false) => "some",
                    (false, true) => "boxed",
                    (true, true) => "some_boxed",
                };
                ctor_params.push(format!("{}: {inner} => {how}", f.rust));
            }
            Presence::Optional | Presence::Nullable => {
                ctor_defaults.push(f.rust.clone());
                if f.rust == "new" {
                    // A setter would clash with the constructor; the field is public.
                    continue;
                }
                let how = match (f.presence() == Presence::Optional, f.boxed) {
                    (true, false) => "optional",
                    (false, false) => "nullable",
                    (true, true) => "optional_boxed",
                    (false, true) => "nullable_boxed",
                };
                if f.deprecated {
                    setters.push("#[deprecated]".to_string());
                }
                setters.push(format!("{}: {inner} => {how},", f.rust));
            }
        }
    }
    // Properties the schema does not name: the same plan, but a doc line not placed.
    let additional = s.additional.as_ref().map(|a| format!("std::collections::BTreeMap<String, {}>", a.spell(Spelling::MODELS)));
    if additional.is_some() {
        ctor_defaults.push("additional_properties".to_string());
    }
    let flatten_union = s.fields.iter().any(|f| f.flatten);
    let derive_default =
        !needs_args && !flatten_union && s.fields.iter().all(|f| f.presence() != Presence::Plain || has_default(ir, &f.ty) || f.is_const);
    let default = if derive_default { "Default, " } else { "" };
    // Only the serde directions the API needs are compiled by default (a large part of the
    // crate's build time); `full-serde` adds the other.
    let (ser, de) = (dirs.ser, dirs.de);
    let mut always = Vec::new();
    let mut gated = Vec::new();
    let derives = [(ser, Some("serde::Serialize")), (de, (!macro_de).then_some("serde::Deserialize"))];
    for (needed, d) in derives.into_iter().filter_map(|(n, d)| Some((n, d?))) {
        if needed {
            always.push(d)
        } else {
            gated.push(d)
        }
    }
    let mut attrs = head;
    // As the tokens `Debug, Clone, PartialEq, Default, serde::Serialize` were: a trailing comma
    // when nothing follows `Default`.
    attrs.push(AttrPlan::List("derive", format!("Debug, Clone, PartialEq, {default}{}", always.join(", "))));
    if !gated.is_empty() {
        attrs.push(AttrPlan::List("cfg_attr", format!("feature = \"full-serde\", derive({})", gated.join(", "))));
    }
    attrs.extend(allow.plan());
    // The constructor is a macro call (`runtime::constructor!`): the same code, but no Rust
    // expressions for the formatter to parse, which is most of a regeneration's cost.
    let mut impl_items = Vec::new();
    if !derive_default {
        let doc = if s.fields.iter().any(|f| f.presence() == Presence::Option) { "nullable" } else { "" };
        let body = crate::render::layout::bracket_lists(doc, &[&ctor_params, &ctor_defaults]);
        impl_items.push(syntax::macro_impl_item(syntax::mac_text("crate::runtime::constructor", body, false)));
    }
    if !setters.is_empty() {
        impl_items.push(syntax::macro_impl_item(syntax::mac_text("crate::runtime::setters", setters, true)));
    }
    let self_ty = syntax::named(&name.to_string());
    let de_item = macro_de.then(|| {
        let gate = if de { Vec::new() } else { vec![syntax::attr("cfg", quote!(feature = "full-serde"))] };
        let body = crate::render::layout::bracket_lists(&format!("{name},"), &[&de_required, &de_default]);
        syntax::macro_item(gate, syntax::mac_text("crate::runtime::struct_de", body, false))
    });
    out.push(struct_text(attrs, &name, fields, additional.as_deref()).unwrap_or_else(|(attrs, fields)| {
        // A field the formatter would break, or docs it does not print as `///` lines: as a
        // `syn` item.
        let attrs: Vec<Attribute> = attrs.into_iter().flat_map(AttrPlan::into_syn).collect();
        let mut syn_fields: Vec<syn::Field> = fields.into_iter().map(FieldPlan::into_syn).collect();
        if let Some(map) = &additional {
            let attrs = vec![syntax::attr_str("doc", ADDITIONAL_DOC), syntax::attr("serde", quote!(flatten))];
            syn_fields.push(syntax::named_field(attrs, ident("additional_properties"), syn::parse_str(map).expect("a map type")));
        }
        syntax::struct_item(attrs, name, syn_fields, false)
    }));
    out.extend(de_item);
    if !impl_items.is_empty() {
        let impl_allow = if any_deprecated_field { Allow(true) } else { allow };
        out.push(syntax::impl_item(impl_allow.attrs(), self_ty, impl_items));
    }
}

/// An outer attribute before it is written: as text ([`struct_text`]) or as `syn`.
enum AttrPlan {
    /// Item docs, each line prefixed by its space (placed while `docs::placed` runs).
    Doc(Vec<String>),
    /// `#[path(args)]`, the arguments as their tokens' text.
    List(&'static str, String),
    /// `#[path]`.
    Word(&'static str),
}

impl AttrPlan {
    fn into_syn(self) -> Vec<Attribute> {
        match self {
            AttrPlan::Doc(lines) => super::docs::attr_list(lines),
            AttrPlan::List(path, args) => vec![syntax::attr(path, args.parse().expect("attribute arguments are tokens"))],
            AttrPlan::Word(path) => vec![syntax::attr_word(path)],
        }
    }

    /// The attribute's lines as the formatter prints them at `indent`, but for docs (placed:
    /// only checked here); `None` when they are not printed here.
    fn text(&self, indent: usize) -> Option<String> {
        let mut out = String::new();
        match self {
            AttrPlan::Doc(lines) => (lines.is_empty() || super::docs::placeable(lines)).then_some(out),
            AttrPlan::List(path, args) => super::print::attr_text(path, args, indent, &mut out).map(|()| out),
            AttrPlan::Word(path) => {
                super::print::push_line(indent, &format!("#[{path}]"), &mut out);
                Some(out)
            }
        }
    }
}

/// The doc line of a struct's `additional_properties`.
const ADDITIONAL_DOC: &str = " Properties not named by the schema, kept as sent.";

/// A struct field before it is written: as text ([`struct_text`]) or as `syn`.
struct FieldPlan {
    doc_lines: Vec<String>,
    deprecated: bool,
    /// The serde attribute: its path and its arguments' text.
    serde: Option<(&'static str, String)>,
    name: String,
    ty: String,
}

impl FieldPlan {
    fn into_syn(self) -> syn::Field {
        let mut attrs = super::docs::attr_list(self.doc_lines);
        if self.deprecated {
            attrs.push(syntax::attr_word("deprecated"));
        }
        if let Some((path, args)) = &self.serde {
            attrs.push(syntax::attr(path, args.parse().expect("serde arguments are tokens")));
        }
        syntax::named_field(attrs, ident(&self.name), syn::parse_str(&self.ty).expect("a field type"))
    }

    /// `pub name: Type,`
    fn line(&self) -> String {
        let mut line = String::with_capacity(6 + self.name.len() + self.ty.len());
        line.push_str("pub ");
        line.push_str(&self.name);
        line.push_str(": ");
        line.push_str(&self.ty);
        line.push(',');
        line
    }
}

/// A struct with named fields written as the formatter prints the same `syn` item, its field
/// docs placed; the fields back when a field's line is one the formatter would break, docs are
/// not placeable `///` lines, or an attribute is not one [`super::print`] prints.
#[allow(clippy::type_complexity)]
fn struct_text(
    attrs: Vec<AttrPlan>,
    name: &Ident,
    fields: Vec<FieldPlan>,
    additional: Option<&str>,
) -> Result<Item, (Vec<AttrPlan>, Vec<FieldPlan>)> {
    use super::print::{self, INDENT};
    if fields.is_empty() && additional.is_none() {
        return Err((attrs, fields));
    }
    let Some(head_attrs) = head_texts(&attrs) else { return Err((attrs, fields)) };
    let lines: Vec<String> = fields.iter().map(FieldPlan::line).collect();
    let additional_line = additional.map(|map| format!("pub additional_properties: {map},"));
    let fits = fields.iter().all(|f| f.doc_lines.is_empty() || super::docs::placeable(&f.doc_lines))
        && lines.iter().chain(&additional_line).all(|l| print::fits(INDENT, l));
    let head = format!("pub struct {name} {{");
    if !fits || !print::fits(0, &head) {
        return Err((attrs, fields));
    }
    // Every attribute printed before any doc marker is made (a marker must be used).
    let mut serde_attrs = Vec::with_capacity(fields.len());
    for f in &fields {
        let mut text = String::new();
        if let Some((path, args)) = &f.serde {
            if print::attr_text(path, args, INDENT, &mut text).is_none() {
                return Err((attrs, fields));
            }
        }
        serde_attrs.push(text);
    }
    let mut out = String::with_capacity(512 + lines.iter().map(|l| l.len() + 96).sum::<usize>());
    write_head(attrs, head_attrs, &mut out);
    out.push_str(&head);
    out.push('\n');
    // Checked above: nothing below fails once a doc marker is made.
    for ((f, line), serde) in fields.into_iter().zip(lines).zip(serde_attrs) {
        if let Some(marker) = super::docs::marker_line(f.doc_lines) {
            print::push_line(INDENT, &marker, &mut out);
        }
        if f.deprecated {
            print::push_line(INDENT, "#[deprecated]", &mut out);
        }
        out.push_str(&serde);
        print::push_line(INDENT, &line, &mut out);
    }
    if let Some(line) = additional_line {
        print::push_line(INDENT, &format!("///{ADDITIONAL_DOC}"), &mut out);
        print::attr_text("serde", "flatten", INDENT, &mut out).expect("`serde(flatten)` printed as text");
        print::push_line(INDENT, &line, &mut out);
    }
    out.push_str("}\n");
    Ok(print::text_item(out))
}

fn names_bare(s: &str) -> &str {
    crate::names::bare(s)
}

fn render_enum(name: Ident, values: &[EnumValue], head: Vec<AttrPlan>, out: &mut Vec<Item>) {
    let mut attrs = head;
    attrs.push(AttrPlan::List("derive", "Debug, Clone, PartialEq, Eq, Hash".into()));
    let docs: Vec<Vec<String>> = values.iter().map(|v| prefixed_lines(v.docs.as_deref().unwrap_or(&format!("`{}`", v.wire)))).collect();
    out.push(enum_text(attrs, &name, values, docs).unwrap_or_else(|(attrs, docs)| {
        let mut variants: Vec<syn::Variant> =
            values.iter().zip(docs).map(|(v, lines)| syntax::variant(super::docs::attr_list(lines), ident(&v.rust), None)).collect();
        variants.push(syntax::variant(vec![syntax::attr_str("doc", UNKNOWN_DOC)], ident("Unknown"), Some(syntax::named("String"))));
        syntax::enum_item(attrs.into_iter().flat_map(AttrPlan::into_syn).collect(), name.clone(), variants)
    }));
    // `Name { Value = "wire", … }`, one value a line.
    let mut body = Vec::with_capacity(values.len() + 2);
    body.push(format!("{name} {{"));
    body.extend(values.iter().map(|v| format!("    {} = {},", v.rust, syntax::quoted(&v.wire))));
    body.push("}".to_string());
    out.push(syntax::macro_item(Vec::new(), syntax::mac_text("crate::runtime::string_enum", body, false)));
}

/// The doc of a string enum's `Unknown` variant.
const UNKNOWN_DOC: &str = " A value this version of the SDK does not know, kept as sent.";

/// A string enum written as the formatter prints the same `syn` item (values with placed
/// docs, then `Unknown(String)`); its attributes and docs back when one is not printed here.
#[allow(clippy::type_complexity)]
fn enum_text(attrs: Vec<AttrPlan>, name: &Ident, values: &[EnumValue], docs: Vec<Vec<String>>) -> Result<Item, (Vec<AttrPlan>, Vec<Vec<String>>)> {
    use super::print::INDENT;
    let head = format!("pub enum {name} {{");
    let fits = super::print::fits(0, &head)
        && docs.iter().all(|d| d.is_empty() || super::docs::placeable(d))
        && values.iter().all(|v| super::print::fits(INDENT + ",".len(), &v.rust));
    let Some(head_attrs) = fits.then(|| head_texts(&attrs)).flatten() else { return Err((attrs, docs)) };
    let mut out = String::with_capacity(256 + values.len() * 48);
    write_head(attrs, head_attrs, &mut out);
    out.push_str(&head);
    out.push('\n');
    for (v, lines) in values.iter().zip(docs) {
        if let Some(marker) = super::docs::marker_line(lines) {
            super::print::push_line(INDENT, &marker, &mut out);
        }
        super::print::push_line(INDENT, &format!("{},", v.rust), &mut out);
    }
    super::print::push_line(INDENT, &format!("///{UNKNOWN_DOC}"), &mut out);
    super::print::push_line(INDENT, "Unknown(String),", &mut out);
    out.push_str("}\n");
    Ok(super::print::text_item(out))
}

/// The attributes' lines at the start of a line, as the formatter prints them (docs only
/// checked: their marker is made when written); `None` when one is not printed here.
fn head_texts(attrs: &[AttrPlan]) -> Option<Vec<String>> {
    attrs.iter().map(|a| a.text(0)).collect()
}

/// Writes attributes whose lines [`head_texts`] made, placing the docs.
fn write_head(attrs: Vec<AttrPlan>, texts: Vec<String>, out: &mut String) {
    for (a, text) in attrs.into_iter().zip(texts) {
        match a {
            AttrPlan::Doc(lines) => {
                if let Some(marker) = super::docs::marker_line(lines) {
                    super::print::push_line(0, &marker, out);
                }
            }
            _ => out.push_str(&text),
        }
    }
}

fn render_const(name: Ident, v: &serde_json::Value, head: Vec<Attribute>, out: &mut Vec<Item>) {
    let (kind, value) = match v {
        serde_json::Value::String(s) => (quote!(str), quote!(#s)),
        serde_json::Value::Bool(b) => (quote!(bool), quote!(#b)),
        other => {
            let text = other.to_string();
            (quote!(json), quote!(#text))
        }
    };
    let mac = syntax::mac("crate::runtime::const_value", quote!(#name, #kind, #value), false);
    let mut attrs = head;
    attrs.push(syntax::attr("derive", quote!(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)));
    out.push(syntax::struct_item(attrs, name, Vec::new(), true));
    out.push(syntax::macro_item(Vec::new(), mac));
}

/// The variants a union converts to from `&str` and from `Vec<&str>`: the first text variant
/// (when no variant is a string enum, which a `&str` could also mean) and the first list of text,
/// each only when its type appears once.
pub(crate) fn string_variants(ir: &Ir, types: &[&TypeRef]) -> (Option<usize>, Option<usize>) {
    let has_enum = types.iter().any(|o| matches!(o, TypeRef::Named(n) if matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Enum(_)))));
    let once = |i: usize| !types.iter().enumerate().any(|(j, o)| j != i && *o == types[i]);
    let string_like = |t: &TypeRef| match t {
        TypeRef::String => true,
        TypeRef::Named(n) => matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Alias(TypeRef::String))),
        _ => false,
    };
    let str_at = (0..types.len()).find(|&i| once(i) && string_like(types[i])).filter(|_| !has_enum);
    let strs_at = (0..types.len()).find(|&i| once(i) && *types[i] == TypeRef::Vec(Box::new(TypeRef::String)));
    (str_at, strs_at)
}

/// `From` impls for variants whose type appears once, so `UserMessage::new(..).into()` works,
/// and `From<&str>` for a union with a string variant.
fn from_impls(name: &Ident, variants: &[(Ident, &TypeRef, bool)], ir: &Ir, allow: Allow) -> Item {
    let mut list = Vec::new();
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
    }
    let types: Vec<&TypeRef> = variants.iter().map(|(_, t, _)| *t).collect();
    let (str_at, strs_at) = string_variants(ir, &types);
    let str_part = str_at.map(|i| variants[i].0.clone()).map(|v| quote!(str => #v));
    let strs_part = strs_at.map(|i| variants[i].0.clone()).map(|v| quote!(strs => #v));
    let allow = allow.tokens();
    syntax::macro_item(Vec::new(), syntax::mac("crate::runtime::union_from", quote!(#allow #name { #(#list),* } #str_part #strs_part), false))
}

/// The variants of a union enum, then its fallback.
fn union_variants(decls: impl Iterator<Item = (Vec<Attribute>, Ident, syn::Type)>, unknown_doc: &str) -> Vec<syn::Variant> {
    let mut variants: Vec<syn::Variant> = decls.map(|(attrs, name, ty)| syntax::variant(attrs, name, Some(ty))).collect();
    variants.push(syntax::variant(vec![syntax::attr_str("doc", unknown_doc)], ident("Unknown"), Some(syntax::named("serde_json::Value"))));
    variants
}

fn variant_type(t: &TypeRef, boxed: bool) -> syn::Type {
    let t = syntax::ty(t, Spelling::MODELS);
    if boxed {
        syntax::generic("Box", [t])
    } else {
        t
    }
}

/// A union enum's attributes: docs, derives, the allowance.
fn union_attrs(head: Vec<Attribute>, allow: Allow) -> Vec<Attribute> {
    let mut attrs = head;
    attrs.push(syntax::attr("derive", quote!(Debug, Clone, PartialEq)));
    attrs.extend(allow.attrs());
    attrs
}

/// The Rust field of a tagged variant's own type that holds the tag, when it may be absent.
fn optional_tag_field(ir: &Ir, ty: &TypeRef, tag: &str) -> Option<Ident> {
    let TypeRef::Named(n) = ty else { return None };
    let TypeKind::Struct(st) = &ir.find(n)?.kind else { return None };
    let f = st.fields.iter().find(|f| f.wire == tag)?;
    match f.presence() {
        Presence::Optional | Presence::Nullable | Presence::Option => Some(ident(&f.rust)),
        Presence::Plain => None,
    }
}

#[allow(clippy::too_many_arguments)]
fn render_tagged(name: Ident, tag: &str, variants: &[TaggedVariant], head: Vec<Attribute>, allow: Allow, ir: &Ir, dirs: Dirs, out: &mut Vec<Item>) {
    let decls = variants.iter().map(|v| {
        let d = doc_attr_list(Some(&format!("`{tag}`: {}", v.tags.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join(", "))));
        (d, ident(&v.rust), variant_type(&v.ty, v.boxed))
    });
    let decls = union_variants(decls, " A variant this version of the SDK does not know, kept as raw JSON.");
    let entries: Vec<TokenStream> = variants
        .iter()
        .map(|v| {
            let i = ident(&v.rust);
            let tags = &v.tags;
            // A variant whose own tag field may be absent (`Option`, `Nullable`) writes it
            // when set and has the union's tag injected when not: the tag is always sent.
            let how = match (v.carries_tag, optional_tag_field(ir, &v.ty, tag)) {
                (true, Some(field)) => quote!(carries_if(#field)),
                (true, None) => quote!(carries),
                (false, _) => quote!(inject),
            };
            quote!(#i = [#(#tags),*] #how)
        })
        .collect();
    let pairs: Vec<(Ident, &TypeRef, bool)> = variants.iter().map(|v| (ident(&v.rust), &v.ty, v.boxed)).collect();
    let froms = from_impls(&name, &pairs, ir, allow);
    let allow_tokens = allow.tokens();
    let body = quote!(#allow_tokens #name, #tag { #(#entries),* });
    out.push(syntax::enum_item(union_attrs(head, allow), name.clone(), decls));
    out.push(syntax::macro_item(Vec::new(), syntax::mac("crate::runtime::tagged_union", body.clone(), false)));
    out.push(syntax::macro_item(Dirs::gate(dirs.ser), syntax::mac("crate::runtime::tagged_union_ser", body.clone(), false)));
    out.push(syntax::macro_item(Dirs::gate(dirs.de), syntax::mac("crate::runtime::tagged_union_de", body, false)));
    out.push(froms);
    let variant_types: Vec<(Ident, &TypeRef)> = variants.iter().map(|v| (ident(&v.rust), &v.ty)).collect();
    common_text_fields(&name, &variant_types, ir, allow, out);
}

/// `union_field!` accessors for the text fields (`id`, `name`) that every variant of a union
/// has, required, so a list of mixed items reads `item.id()` without a match.
fn common_text_fields(name: &Ident, variants: &[(Ident, &TypeRef)], ir: &Ir, allow: Allow, out: &mut Vec<Item>) {
    if variants.is_empty() {
        return;
    }
    for field in ["id", "name"] {
        let all = variants.iter().all(|(_, t)| {
            let TypeRef::Named(n) = t else { return false };
            let Some(TypeKind::Struct(st)) = ir.find(n).map(|d| &d.kind) else { return false };
            st.fields.iter().any(|f| f.wire == field && f.rust == field && f.ty == TypeRef::String && f.presence() == Presence::Plain)
        });
        if !all {
            continue;
        }
        let f = ident(field);
        let names = variants.iter().map(|(v, _)| v);
        let allow_tokens = allow.tokens();
        out.push(syntax::macro_item(
            Vec::new(),
            syntax::mac("crate::runtime::union_field", quote!(#allow_tokens #name, #f = #field { #(#names),* }), false),
        ));
    }
}

#[allow(clippy::too_many_arguments)]
fn render_untagged(name: Ident, variants: &[Variant], head: Vec<Attribute>, allow: Allow, ir: &Ir, dirs: Dirs, out: &mut Vec<Item>) {
    let decls = variants.iter().map(|v| {
        let doc = format!("The value as {}.", kind_phrase(&v.ty, None));
        (doc_attr_list(Some(&doc)), ident(&v.rust), variant_type(&v.ty, v.boxed))
    });
    let decls = union_variants(decls, " A value matching none of the known shapes, kept as raw JSON.");
    let entries: Vec<Ident> = variants.iter().map(|v| ident(&v.rust)).collect();
    let pairs: Vec<(Ident, &TypeRef, bool)> = variants.iter().map(|v| (ident(&v.rust), &v.ty, v.boxed)).collect();
    let froms = from_impls(&name, &pairs, ir, allow);
    let allow_tokens = allow.tokens();
    let body = quote!(#allow_tokens #name { #(#entries),* });
    out.push(syntax::enum_item(union_attrs(head, allow), name.clone(), decls));
    out.push(syntax::macro_item(Dirs::gate(dirs.ser), syntax::mac("crate::runtime::untagged_union_ser", body.clone(), false)));
    out.push(syntax::macro_item(Dirs::gate(dirs.de), syntax::mac("crate::runtime::untagged_union_de", body, false)));
    out.push(froms);
    let variant_types: Vec<(Ident, &TypeRef)> = variants.iter().map(|v| (ident(&v.rust), &v.ty)).collect();
    common_text_fields(&name, &variant_types, ir, allow, out);
}
