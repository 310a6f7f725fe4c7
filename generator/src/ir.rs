//! The intermediate representation: every Rust type the SDK needs, named, documented and
//! resolved, independent of both the OpenAPI model and the rendering.
//!
//! `Ir::dump` gives a readable, stable text form used by the snapshot tests.

use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;

/// The lowered API.
#[derive(Debug, Clone, Serialize)]
pub struct Ir {
    /// `info.title` of the spec.
    pub title: String,
    /// `info.version` of the spec.
    pub version: String,
    /// Every type, in a stable order (by Rust name).
    pub types: Vec<TypeDef>,
    /// Every component schema and the Rust type it became.
    pub schemas: Vec<SchemaEntry>,
    /// The SDK crate's version.
    pub crate_version: String,
    /// Every schema example, with the Rust type it must decode into, in pointer order.
    pub examples: Vec<Example>,
    /// Every operation, in spec order.
    pub operations: Vec<Operation>,
    /// Hand-written helper modules the overlay asks for whose declared shapes fit the types (see
    /// `helpers::HELPERS`).
    pub helpers: Vec<String>,
    /// The authentication schemes of the spec's `securitySchemes` that the SDK supports, in
    /// spec order (see [`AuthScheme`]).
    pub auth: Vec<AuthScheme>,
    /// The cargo features that trim the crate, one per API group (see [`Feature`]), by name.
    pub features: Vec<Feature>,
    /// Clients for other hosts of the models (Azure, Google Cloud), each serving some methods
    /// (see `providers::PROVIDERS`).
    pub providers: Vec<ProviderClient>,
    /// The operation ids whose requests always carry a sampled `traceparent` (overlay
    /// `sampled_traceparent`, those the spec has).
    #[serde(default)]
    pub sampled_traceparent: Vec<String>,
}

/// A provider client: its module (`mistral_sdk::<name>`), feature and methods.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderClient {
    /// The module and feature name (`azure`).
    pub name: String,
    /// What it is called (`Azure AI`).
    pub title: String,
    /// What the module's docs say about it.
    pub docs: Option<String>,
    /// The top-level groups it serves and, for each, the operations (indices into
    /// `Ir::operations`) in the overlay's order.
    pub groups: Vec<(String, Vec<usize>)>,
    /// The API features its methods need.
    pub enables: Vec<String>,
    /// The provider's own paths (operation id, path), from the overlay's `paths:`.
    pub paths: Vec<(String, String)>,
}

/// One authentication scheme: a variant of the generated `auth::Scheme`, a key setter on the
/// client builder and, when the overlay names one, the environment variable `from_env` reads.
#[derive(Debug, Clone, Serialize)]
pub struct AuthScheme {
    /// The key in `securitySchemes`.
    pub name: String,
    /// The Rust variant name.
    pub variant: String,
    /// The `ClientBuilder` method that sets its key.
    pub setter: String,
    pub env: Option<String>,
    /// Where the key goes.
    pub location: AuthLocation,
    pub docs: Option<String>,
    /// The scheme the document's top-level `security` names first (`Client::new` sets it).
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum AuthLocation {
    /// `Authorization: Bearer <key>`.
    Bearer,
    /// `<header>: <key>` (lower case).
    Header(String),
}

/// A cargo feature: the operations of one API group and every type they reach.
#[derive(Debug, Clone, Serialize)]
pub struct Feature {
    /// The feature's name (`chat`, `fine-tuning`, `beta-conversations`).
    pub name: String,
    /// The group it enables (`["beta", "conversations"]`).
    pub group: Vec<String>,
    /// How many operations it holds.
    pub operations: usize,
    /// For a group split into one feature per subgroup (see `Overlay::features`): the features
    /// this one turns on as a whole.
    pub enables: Vec<String>,
}

/// One API operation and the method it becomes.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// `operationId`.
    pub id: String,
    /// `GET`, `POST`, …
    pub http_method: String,
    /// The HTTP path template (a `#fragment` of the spec's key removed).
    pub path: String,
    /// The spec's path key, which may carry a `#fragment`.
    pub path_key: String,
    /// Group path, e.g. `["beta", "connectors"]`.
    pub group: Vec<String>,
    /// Method name, e.g. `create`.
    pub method: String,
    /// The cargo feature that compiles it (see [`Feature`]).
    pub feature: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// `Some(message)` when deprecated.
    pub deprecated: Option<String>,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub success: Success,
    /// Success statuses declared.
    pub success_statuses: Vec<u16>,
    /// Declared error responses: status (`4XX` → 4, `default` → 0) and the JSON body type.
    pub errors: Vec<ErrorResponse>,
    /// Accepted security schemes, in order.
    pub security: Vec<SecurityScheme>,
    /// A boolean field of the JSON body this method always sends with a fixed value: `stream`
    /// is `false` for the JSON method of an operation that can also stream, `true` for its
    /// streaming twin (see `Overlay::streams`).
    pub body_flag: Option<BodyFlag>,
    /// How the operation pages through a list (`x-speakeasy-pagination`, or the overlay's
    /// `pagination:`): its builder gets `pages()` and `items()`.
    pub pagination: Option<Pagination>,
    /// For an event stream: what ends its answer (the overlay's `stream_ends:`).
    pub stream_end: Option<crate::overlay::StreamEndSpec>,
}

/// See [`Operation::pagination`]: which input moves to the next page and where a page keeps its
/// items and, for cursors, the next cursor. Fields are the crate's field names.
#[derive(Debug, Clone, Serialize)]
pub struct Pagination {
    pub kind: PageKind,
    /// The response field holding the page's items.
    pub results: String,
    /// The items' type.
    pub item: TypeRef,
}

#[derive(Debug, Clone, Serialize)]
pub enum PageKind {
    /// `param` (an optional string parameter) takes the page's `next` field.
    Cursor { param: String, next: String },
    /// `param` (an optional integer parameter of type `ty`) grows by the items of each page.
    Offset { param: String, ty: TypeRef },
}

/// See [`Operation::body_flag`].
#[derive(Debug, Clone, Serialize)]
pub struct BodyFlag {
    /// The field's wire name.
    pub wire: String,
    pub value: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorResponse {
    pub status: u16,
    /// The status as written in the spec (`422`, `4XX`, `default`).
    pub status_text: String,
    pub ty: Option<TypeRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum SecurityScheme {
    /// `Authorization: Bearer`, with the scheme's name (`ApiKey`, `AdminApiKey`).
    Bearer(String),
    /// An API key in a header.
    Header { scheme: String, header: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

#[derive(Debug, Clone, Serialize)]
pub struct Param {
    pub wire: String,
    pub rust: String,
    pub location: ParamLocation,
    pub required: bool,
    pub ty: TypeRef,
    /// Sent as JSON text (the parameter's spec uses `content: application/json`).
    pub json: bool,
    pub docs: Option<String>,
    pub deprecated: bool,
    /// `format` of a string parameter.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BodyKind {
    Json,
    Multipart,
}

#[derive(Debug, Clone, Serialize)]
pub struct Body {
    pub kind: BodyKind,
    pub ty: TypeRef,
    pub required: bool,
    pub docs: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Success {
    /// A JSON body of this type.
    Json(TypeRef),
    /// No body.
    Empty,
    /// Raw bytes (files, audio).
    Binary,
    /// Only server-sent events; the type of an event's `data`.
    Sse(TypeRef),
}

/// A component schema and its Rust name.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaEntry {
    pub component: String,
    pub rust: String,
}

/// An example from the spec and the Rust type it must decode into.
#[derive(Debug, Clone, Serialize)]
pub struct Example {
    /// Where the example is written.
    pub pointer: String,
    /// The Rust type, written as it is in the generated crate relative to `models` (for example
    /// `Vec<ChatCompletionRequestMessagesItem>`).
    pub rust_type: String,
    /// The same type as a reference.
    pub ty: TypeRef,
    pub value: Value,
}

/// One generated Rust type.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDef {
    /// Rust identifier.
    pub name: String,
    /// The schema it comes from (JSON pointer).
    pub origin: String,
    /// The component key when this is a component schema.
    pub component: Option<String>,
    /// The features whose operations reach it (sorted; empty when no operation does). Rendering
    /// places and gates the type by this set.
    pub features: Vec<String>,
    pub docs: Option<String>,
    pub deprecated: bool,
    pub kind: TypeKind,
    /// Sent to the API (reachable from a request): gets `Serialize`.
    pub ser: bool,
    /// Received from the API (reachable from a response): gets `Deserialize`.
    /// The other direction is compiled only with the crate's `full-serde` feature.
    pub de: bool,
    /// Where the type is used, said for its docs when the spec describes it not: the methods
    /// that send or return it, or the fields that hold it (a few, in a stable order).
    #[serde(skip)]
    pub uses: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub enum TypeKind {
    /// An object with named fields.
    Struct(Struct),
    /// A string enum, open to unknown values (`Unknown(String)`).
    Enum(Vec<EnumValue>),
    /// A single fixed value (`const`), filled in by the SDK and checked on decode.
    Const(Value),
    /// `oneOf` with a discriminator: decoded by the tag, unknown tags kept as raw JSON.
    Tagged { tag: String, variants: Vec<TaggedVariant> },
    /// `anyOf`/`oneOf` without a discriminator: the first variant that decodes wins; variants
    /// are ordered most specific first; anything else is kept as raw JSON.
    Untagged(Vec<Variant>),
    /// A named alias for another type (component schemas that are a primitive, a list or a map).
    Alias(TypeRef),
}

#[derive(Debug, Clone, Serialize)]
pub struct Struct {
    pub fields: Vec<Field>,
    /// `additionalProperties` next to the known fields, kept in a flattened map of this value type.
    pub additional: Option<TypeRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    /// Name on the wire.
    pub wire: String,
    /// Rust identifier (raw identifiers written with `r#`).
    pub rust: String,
    pub ty: TypeRef,
    pub required: bool,
    pub nullable: bool,
    /// The field's type is a `Const`: the SDK fills it in.
    pub is_const: bool,
    /// The field is a flattened union of alternative property sets.
    pub flatten: bool,
    /// Boxed to break a recursive type.
    pub boxed: bool,
    pub docs: Option<String>,
    pub deprecated: bool,
    pub default: Option<Value>,
    /// `format` of a string field (`uuid`, `date-time`, …), kept as a `String` in Rust.
    pub format: Option<String>,
}

impl Field {
    /// How the field is represented in Rust.
    pub fn presence(&self) -> Presence {
        match (self.required || self.is_const || self.flatten, self.nullable) {
            _ if self.is_const || self.flatten => Presence::Plain,
            (true, false) => Presence::Plain,
            (true, true) => Presence::Option,
            (false, false) => Presence::Optional,
            (false, true) => Presence::Nullable,
        }
    }
}

/// The four combinations of requiredness and nullability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Presence {
    /// Required, not nullable: `T`.
    Plain,
    /// Required and nullable: `Option<T>`, `null` always sent.
    Option,
    /// Optional, not nullable: `Option<T>`, omitted when `None`.
    Optional,
    /// Optional and nullable: `Nullable<T>` (absent, null or a value).
    Nullable,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnumValue {
    pub wire: String,
    pub rust: String,
    pub docs: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TaggedVariant {
    /// Tag values that select this variant.
    pub tags: Vec<String>,
    pub rust: String,
    pub ty: TypeRef,
    /// Whether the variant's own type serializes the tag (a const field of that name).
    pub carries_tag: bool,
    /// Held in a `Box` because it is much larger than the other variants.
    pub boxed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Variant {
    pub rust: String,
    pub ty: TypeRef,
    /// Held in a `Box` because it is much larger than the other variants.
    pub boxed: bool,
}

/// A reference to a type, as used in fields, aliases and variants.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum TypeRef {
    Named(String),
    String,
    I32,
    I64,
    F64,
    Bool,
    /// Any JSON value.
    Any,
    Vec(Box<TypeRef>),
    /// A JSON object with values of one type (`BTreeMap<String, T>`).
    Map(Box<TypeRef>),
    /// A nullable element inside a list or map.
    Option(Box<TypeRef>),
    /// A file part of a multipart body (`format: binary`).
    File,
}

/// Where a type reference is written, which decides how it is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spelling {
    /// The path of the models module (empty: the names are in scope).
    pub models: &'static str,
    /// The path of the SDK crate's root.
    pub krate: &'static str,
}

impl Spelling {
    /// Inside `models`: `Message`, `Vec<Message>`, `crate::FilePart`.
    pub const MODELS: Spelling = Spelling { models: "", krate: "crate" };
    /// Elsewhere in the crate, where no local name may shadow a model: `crate::models::Message`.
    pub const CRATE: Spelling = Spelling { models: "crate::models", krate: "crate" };
    /// Outside the crate, as users write it: `mistral_sdk::models::Message`.
    pub const PUBLIC: Spelling = Spelling { models: "mistral_sdk::models", krate: "mistral_sdk" };
    /// In the contract tests, which import the models: `Message`, `mistral_sdk::FilePart`.
    pub const TESTS: Spelling = Spelling { models: "", krate: "mistral_sdk" };
}

impl TypeRef {
    /// The one function that spells a type reference: `leaf(module, name)` makes a path (`module`
    /// empty for a name in scope), `apply(base, args)` a generic type. [`TypeRef::spell`] makes
    /// text of it and `render::syntax::ty` a `syn` type.
    pub fn spell_with<T>(&self, sp: Spelling, leaf: &dyn Fn(&str, &str) -> T, apply: &dyn Fn(&str, Vec<T>) -> T) -> T {
        match self {
            TypeRef::Named(n) => leaf(sp.models, n),
            TypeRef::String => leaf("", "String"),
            TypeRef::I32 => leaf("", "i32"),
            TypeRef::I64 => leaf("", "i64"),
            TypeRef::F64 => leaf("", "f64"),
            TypeRef::Bool => leaf("", "bool"),
            TypeRef::Any => leaf("serde_json", "Value"),
            TypeRef::Vec(t) => apply("Vec", vec![t.spell_with(sp, leaf, apply)]),
            TypeRef::Map(t) => apply("std::collections::BTreeMap", vec![leaf("", "String"), t.spell_with(sp, leaf, apply)]),
            TypeRef::Option(t) => apply("Option", vec![t.spell_with(sp, leaf, apply)]),
            TypeRef::File => leaf(sp.krate, "FilePart"),
        }
    }

    /// The reference as text.
    pub fn spell(&self, sp: Spelling) -> String {
        self.spell_with(sp, &|module, name| if module.is_empty() { name.to_string() } else { format!("{module}::{name}") }, &|base, args| {
            format!("{base}<{}>", args.join(", "))
        })
    }

    /// The Rust spelling, relative to the `models` module.
    pub fn rust(&self) -> String {
        self.spell(Spelling::MODELS)
    }

    /// Renames the named types it mentions (`old → new`).
    pub fn rename(&mut self, names: &crate::fast::HashMap<String, String>) {
        match self {
            TypeRef::Named(n) => {
                if let Some(new) = names.get(n) {
                    *n = new.clone();
                }
            }
            TypeRef::Vec(t) | TypeRef::Map(t) | TypeRef::Option(t) => t.rename(names),
            _ => {}
        }
    }

    /// Named types this reference mentions.
    pub fn named(&self, out: &mut Vec<String>) {
        match self {
            TypeRef::Named(n) => out.push(n.clone()),
            TypeRef::Vec(t) | TypeRef::Map(t) | TypeRef::Option(t) => t.named(out),
            _ => {}
        }
    }
}

impl TypeDef {
    /// Renames the named types it mentions (`old → new`), and a union's variants named after
    /// the type they hold.
    pub fn rename(&mut self, names: &crate::fast::HashMap<String, String>) {
        let variant = |rust: &mut String, ty: &TypeRef, taken: &[String]| {
            if let TypeRef::Named(n) = ty {
                if let Some(old) = names.iter().find(|(_, new)| *new == n).map(|(old, _)| old) {
                    if rust == old && !taken.contains(n) {
                        *rust = n.clone();
                    }
                }
            }
        };
        match &mut self.kind {
            TypeKind::Struct(s) => {
                s.fields.iter_mut().for_each(|f| f.ty.rename(names));
                if let Some(a) = &mut s.additional {
                    a.rename(names);
                }
            }
            TypeKind::Tagged { variants, .. } => {
                variants.iter_mut().for_each(|v| v.ty.rename(names));
                let taken: Vec<String> = variants.iter().map(|v| v.rust.clone()).collect();
                variants.iter_mut().for_each(|v| variant(&mut v.rust, &v.ty, &taken));
            }
            TypeKind::Untagged(vs) => {
                vs.iter_mut().for_each(|v| v.ty.rename(names));
                let taken: Vec<String> = vs.iter().map(|v| v.rust.clone()).collect();
                vs.iter_mut().for_each(|v| variant(&mut v.rust, &v.ty, &taken));
            }
            TypeKind::Alias(a) => a.rename(names),
            TypeKind::Enum(_) | TypeKind::Const(_) => {}
        }
    }

    /// The named types this one mentions directly (fields, additional properties, variants,
    /// the aliased type).
    pub fn refs(&self, out: &mut Vec<String>) {
        match &self.kind {
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
}

impl Operation {
    /// The method as users and errors name it: `chat.complete`, `beta.libraries.documents.upload`.
    pub fn sdk_name(&self) -> String {
        let mut name = String::new();
        for seg in &self.group {
            name.push_str(crate::names::bare(&crate::names::field_name(seg)));
            name.push('.');
        }
        name.push_str(crate::names::bare(&self.method));
        name
    }

    /// Renames the named types it mentions (`old → new`).
    pub fn rename(&mut self, names: &crate::fast::HashMap<String, String>) {
        self.params.iter_mut().for_each(|p| p.ty.rename(names));
        if let Some(b) = &mut self.body {
            b.ty.rename(names);
        }
        if let Success::Json(t) | Success::Sse(t) = &mut self.success {
            t.rename(names);
        }
        self.errors.iter_mut().filter_map(|e| e.ty.as_mut()).for_each(|t| t.rename(names));
    }

    /// Every type reference the operation's method mentions: parameters, body, success and
    /// error bodies.
    pub fn type_refs(&self) -> impl Iterator<Item = &TypeRef> {
        let success = match &self.success {
            Success::Json(t) | Success::Sse(t) => Some(t),
            Success::Empty | Success::Binary => None,
        };
        self.params
            .iter()
            .map(|p| &p.ty)
            .chain(self.body.as_ref().map(|b| &b.ty))
            .chain(success)
            .chain(self.errors.iter().filter_map(|e| e.ty.as_ref()))
    }
}

impl SecurityScheme {
    /// The scheme's key in `securitySchemes`.
    pub fn name(&self) -> &str {
        match self {
            SecurityScheme::Bearer(name) | SecurityScheme::Header { scheme: name, .. } => name,
        }
    }
}

impl Ir {
    pub fn auth_scheme(&self, name: &str) -> Option<&AuthScheme> {
        self.auth.iter().find(|a| a.name == name)
    }

    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The spec's first example of a field of the type whose schema is at `origin` (its
    /// `x-examples`, written on the field's schema).
    pub fn field_example(&self, origin: &str, wire: &str) -> Option<&serde_json::Value> {
        let mut at = String::with_capacity(origin.len() + wire.len() + 24);
        at.push_str(origin);
        at.push_str("/properties");
        crate::diag::push(&mut at, wire);
        at.push_str("/examples/0");
        let i = self.examples.binary_search_by(|e| e.pointer.as_str().cmp(&at)).ok()?;
        Some(&self.examples[i].value)
    }

    pub fn find(&self, name: &str) -> Option<&TypeDef> {
        self.types.binary_search_by(|t| t.name.as_str().cmp(name)).ok().map(|i| &self.types[i])
    }

    /// A readable, stable dump for snapshot tests and review.
    pub fn dump(&self) -> String {
        let mut s = String::new();
        for t in &self.types {
            let comp = t.component.as_deref().map(|c| format!(" component={c}")).unwrap_or_default();
            let dep = if t.deprecated { " deprecated" } else { "" };
            let dir = match (t.ser, t.de) {
                (true, true) => "",
                (true, false) => " ser",
                (false, true) => " de",
                (false, false) => " unused",
            };
            let _ = write!(s, "{} ({}{comp}{dep}{dir}) features=[{}]", t.name, t.origin, t.features.join(","));
            match &t.kind {
                TypeKind::Struct(st) => {
                    s.push_str(" struct\n");
                    for f in &st.fields {
                        let mut flags = Vec::new();
                        if f.is_const {
                            flags.push("const".to_string());
                        }
                        if f.flatten {
                            flags.push("flatten".into());
                        }
                        if f.boxed {
                            flags.push("boxed".into());
                        }
                        if f.deprecated {
                            flags.push("deprecated".into());
                        }
                        if let Some(d) = &f.default {
                            flags.push(format!("default={d}"));
                        }
                        let _ = writeln!(
                            s,
                            "  {} ({}): {} {:?}{}",
                            f.rust,
                            f.wire,
                            f.ty.rust(),
                            f.presence(),
                            if flags.is_empty() { String::new() } else { format!(" [{}]", flags.join(", ")) }
                        );
                    }
                    if let Some(a) = &st.additional {
                        let _ = writeln!(s, "  ..additional: {}", a.rust());
                    }
                }
                TypeKind::Enum(values) => {
                    s.push_str(" enum\n");
                    for v in values {
                        let _ = writeln!(s, "  {} = {:?}", v.rust, v.wire);
                    }
                }
                TypeKind::Const(v) => {
                    let _ = writeln!(s, " const {v}");
                }
                TypeKind::Tagged { tag, variants } => {
                    let _ = writeln!(s, " tagged by {tag:?}");
                    for v in variants {
                        let _ = writeln!(
                            s,
                            "  {}({}) <- {:?}{}{}",
                            v.rust,
                            v.ty.rust(),
                            v.tags,
                            if v.carries_tag { "" } else { " [tag injected]" },
                            if v.boxed { " [boxed]" } else { "" }
                        );
                    }
                }
                TypeKind::Untagged(variants) => {
                    s.push_str(" untagged\n");
                    for v in variants {
                        let _ = writeln!(s, "  {}({}){}", v.rust, v.ty.rust(), if v.boxed { " [boxed]" } else { "" });
                    }
                }
                TypeKind::Alias(t) => {
                    let _ = writeln!(s, " = {}", t.rust());
                }
            }
        }
        for a in &self.auth {
            let env = a.env.as_deref().map(|e| format!(" env {e}")).unwrap_or_default();
            let default = if a.default { " default" } else { "" };
            let _ = writeln!(s, "auth {} = {} {:?} via .{}(){env}{default}", a.name, a.variant, a.location, a.setter);
        }
        for f in &self.features {
            let enables = if f.enables.is_empty() { String::new() } else { format!(" enables [{}]", f.enables.join(", ")) };
            let _ = writeln!(s, "feature {} = group {} ({} operations){enables}", f.name, f.group.join("."), f.operations);
        }
        for op in &self.operations {
            let _ = writeln!(
                s,
                "op {}.{} = {} {} ({}) feature={}{}",
                op.group.join("."),
                op.method,
                op.http_method,
                op.path,
                op.id,
                op.feature,
                if op.deprecated.is_some() { " deprecated" } else { "" }
            );
            for p in &op.params {
                let _ = writeln!(
                    s,
                    "  {:?} {} ({}): {}{}{}",
                    p.location,
                    p.rust,
                    p.wire,
                    p.ty.rust(),
                    if p.required { " required" } else { "" },
                    if p.json { " json" } else { "" }
                );
            }
            if let Some(b) = &op.body {
                let _ = writeln!(s, "  body {:?}: {}{}", b.kind, b.ty.rust(), if b.required { " required" } else { "" });
            }
            let success = match &op.success {
                Success::Json(t) => format!("json {}", t.rust()),
                Success::Empty => "empty".into(),
                Success::Binary => "binary".into(),
                Success::Sse(t) => format!("sse {}", t.rust()),
            };
            let _ = writeln!(s, "  -> {success} {:?}", op.success_statuses);
            if let Some(f) = &op.body_flag {
                let _ = writeln!(s, "  sends {}: {}", f.wire, f.value);
            }
            if let Some(p) = &op.pagination {
                let how = match &p.kind {
                    PageKind::Cursor { param, next } => format!("cursor {param} <- {next}"),
                    PageKind::Offset { param, .. } => format!("offset {param}"),
                };
                let _ = writeln!(s, "  pages {how}, items {}: {}", p.results, p.item.rust());
            }
            for e in &op.errors {
                let _ = writeln!(s, "  error {}: {}", e.status_text, e.ty.as_ref().map(TypeRef::rust).unwrap_or_default());
            }
            if !op.security.is_empty() {
                let _ = writeln!(s, "  security {:?}", op.security);
            }
        }
        s
    }
}
