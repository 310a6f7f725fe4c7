//! Lower: `openapiv3::OpenAPI` (+ overlay) → [`Ir`].
//!
//! Naming: component schemas keep their key (made a valid identifier); inline schemas that need a
//! type are named from their owner and property path (`ChatCompletionRequest` + `tool_choice` →
//! `ChatCompletionRequestToolChoice`, array items get `Item`, map values `Value`). Titles are
//! never used. Identical inline enums and unions are generated once (the first name wins), so the
//! same message or tool union is one Rust type everywhere. Collisions get a numeric suffix.

use crate::diag::{child, Diagnostics};
use crate::ir::*;
use crate::names;
use crate::overlay::Overlay;
use indexmap::IndexMap;
use openapiv3::{AdditionalProperties, OpenAPI, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Lowers the whole document's schemas.
pub fn lower(api: &OpenAPI, overlay: &Overlay, diags: &mut Diagnostics) -> Ir {
    let mut l = Lowerer {
        api,
        overlay,
        diags,
        types: BTreeMap::new(),
        components: IndexMap::new(),
        taken: HashSet::new(),
        by_pointer: HashMap::new(),
        by_shape: HashMap::new(),
        examples: BTreeMap::new(),
        used_renames: HashSet::new(),
        gathering: Vec::new(),
    };
    l.run();
    let mut operations = l.operations();
    let Lowerer { mut types, components, examples, used_renames, .. } = l;
    let features = membership::assign_features(&mut operations, &overlay.features, diags);
    let auth = auth::schemes(api, overlay, diags);
    break_alias_cycles(&mut types, diags);
    check_body_flags(&mut operations, &types, diags);
    order_untagged(&mut types);
    directions(&mut types, &operations);
    membership::reach(&mut types, &operations);
    for from in overlay.type_names.keys() {
        if !used_renames.contains(from) {
            diags.warn("spec/overlay.yaml#/type_names", format!("rename of `{from}` matches no generated type"));
        }
    }
    let mut types: Vec<TypeDef> = types.into_values().collect();
    box_recursion(&mut types);
    box_large_variants(&mut types);
    let helpers = helpers_that_fit(&overlay.helpers, &types, diags);
    if let Some(base) = &overlay.docs_url {
        absolute_links(&mut types, &mut operations, base.trim_end_matches('/'));
    }
    Ir {
        title: api.info.title.clone(),
        version: api.info.version.clone(),
        types,
        schemas: components.into_iter().map(|(component, rust)| SchemaEntry { component, rust }).collect(),
        examples: examples.into_values().collect(),
        operations,
        helpers,
        auth,
        features,
    }
}

/// Makes the descriptions' site-relative Markdown links (`](/api/…)`) absolute against `base`.
fn absolute_links(types: &mut [TypeDef], operations: &mut [Operation], base: &str) {
    let fix = |d: &mut Option<String>| {
        if let Some(text) = d.as_mut().filter(|t| t.contains("](/")) {
            *text = text.replace("](/", &format!("]({base}/"));
        }
    };
    for t in types {
        fix(&mut t.docs);
        match &mut t.kind {
            TypeKind::Struct(s) => s.fields.iter_mut().for_each(|f| fix(&mut f.docs)),
            TypeKind::Enum(values) => values.iter_mut().for_each(|v| fix(&mut v.docs)),
            _ => {}
        }
    }
    for op in operations {
        fix(&mut op.summary);
        fix(&mut op.description);
        op.params.iter_mut().for_each(|p| fix(&mut p.docs));
        if let Some(b) = &mut op.body {
            fix(&mut b.docs);
        }
    }
}

mod auth;
mod membership;
mod ops;

/// The helper modules the overlay asks for whose declared shapes fit the lowered types; the
/// others are left out with a warning naming the shape that does not fit.
fn helpers_that_fit(wanted: &[String], types: &[TypeDef], diags: &mut Diagnostics) -> Vec<String> {
    let at = "spec/overlay.yaml#/helpers";
    let mut helpers = Vec::new();
    for name in wanted {
        match crate::helpers::find(name) {
            None => {
                let known: Vec<&str> = crate::helpers::HELPERS.iter().map(|h| h.name).collect();
                diags.warn(at, format!("`{name}` is not a helper module (known: {})", known.join(", ")));
            }
            Some(h) => match h.check(types) {
                Ok(()) => helpers.push(name.clone()),
                Err(why) => diags.warn(at, format!("helper `{name}` left out: {why}")),
            },
        }
    }
    helpers
}

/// A method that fixes a body field (`stream: true`) needs a JSON body whose type has that
/// field as a boolean; otherwise the streaming twin is dropped with a warning naming the field.
fn check_body_flags(operations: &mut Vec<Operation>, types: &BTreeMap<String, TypeDef>, diags: &mut Diagnostics) {
    operations.retain_mut(|op| {
        let Some(flag) = &op.body_flag else { return true };
        let field = match &op.body {
            Some(Body { kind: BodyKind::Json, ty: TypeRef::Named(n), .. }) => match types.get(n).map(|t| &t.kind) {
                Some(TypeKind::Struct(s)) => s.fields.iter().find(|f| f.wire == flag.wire),
                _ => None,
            },
            _ => None,
        };
        if matches!(field.map(|f| &f.ty), Some(TypeRef::Bool)) {
            return true;
        }
        if flag.value {
            // The streaming twin goes.
            return false;
        }
        diags.warn(
            crate::diag::child("spec/overlay.yaml#/streams", &op.id),
            format!("`flag: {}` is not a boolean field of the operation's JSON body; no streaming method", flag.wire),
        );
        op.body_flag = None;
        true
    });
}

pub(crate) struct Lowerer<'a> {
    api: &'a OpenAPI,
    overlay: &'a Overlay,
    diags: &'a mut Diagnostics,
    types: BTreeMap<String, TypeDef>,
    /// Component key → Rust name.
    components: IndexMap<String, String>,
    taken: HashSet<String>,
    /// Inline schema pointer → the type made for it.
    by_pointer: HashMap<String, TypeRef>,
    /// Shape key of an inline enum or union → its type (dedup).
    by_shape: HashMap<String, String>,
    examples: BTreeMap<String, Example>,
    /// The models file types are currently written to (the owning component's).
    used_renames: HashSet<String>,
    /// The component schemas whose `allOf` members are being merged, outermost first (to
    /// report a `$ref` cycle instead of following it).
    gathering: Vec<String>,
}

/// A uniform view of a schema, whatever `openapiv3` variant it was parsed into.
#[derive(Default)]
struct View<'s> {
    typ: Option<&'s str>,
    format: Option<String>,
    properties: Vec<(&'s String, &'s ReferenceOr<Box<Schema>>)>,
    required: Vec<&'s String>,
    additional: Option<&'s AdditionalProperties>,
    items: Option<&'s ReferenceOr<Box<Schema>>>,
    enumeration: Vec<Value>,
    one_of: &'s [ReferenceOr<Schema>],
    any_of: &'s [ReferenceOr<Schema>],
    all_of: &'s [ReferenceOr<Schema>],
}

fn fmt_of<T: serde::Serialize>(f: &openapiv3::VariantOrUnknownOrEmpty<T>) -> Option<String> {
    match f {
        openapiv3::VariantOrUnknownOrEmpty::Item(i) => serde_json::to_value(i).ok()?.as_str().map(String::from),
        openapiv3::VariantOrUnknownOrEmpty::Unknown(s) => Some(s.clone()),
        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
    }
}

fn view(kind: &SchemaKind) -> View<'_> {
    let mut v = View::default();
    match kind {
        SchemaKind::Type(Type::String(s)) => {
            v.typ = Some("string");
            v.format = fmt_of(&s.format);
            v.enumeration = s.enumeration.iter().flatten().map(|s| Value::String(s.clone())).collect();
        }
        SchemaKind::Type(Type::Number(n)) => {
            v.typ = Some("number");
            v.format = fmt_of(&n.format);
            v.enumeration = n.enumeration.iter().flatten().map(|x| serde_json::json!(x)).collect();
        }
        SchemaKind::Type(Type::Integer(n)) => {
            v.typ = Some("integer");
            v.format = fmt_of(&n.format);
            v.enumeration = n.enumeration.iter().flatten().map(|x| serde_json::json!(x)).collect();
        }
        SchemaKind::Type(Type::Boolean(b)) => {
            v.typ = Some("boolean");
            v.enumeration = b.enumeration.iter().flatten().map(|x| Value::Bool(*x)).collect();
        }
        SchemaKind::Type(Type::Object(o)) => {
            v.typ = Some("object");
            v.properties = o.properties.iter().collect();
            v.required = o.required.iter().collect();
            v.additional = o.additional_properties.as_ref();
        }
        SchemaKind::Type(Type::Array(a)) => {
            v.typ = Some("array");
            v.items = a.items.as_ref();
        }
        SchemaKind::OneOf { one_of } => v.one_of = one_of,
        SchemaKind::AnyOf { any_of } => v.any_of = any_of,
        SchemaKind::AllOf { all_of } => v.all_of = all_of,
        SchemaKind::Not { .. } => {}
        SchemaKind::Any(a) => {
            v.typ = a.typ.as_deref();
            v.format = a.format.clone();
            v.properties = a.properties.iter().collect();
            v.required = a.required.iter().collect();
            v.additional = a.additional_properties.as_ref();
            v.items = a.items.as_ref();
            v.enumeration = a.enumeration.clone();
            v.one_of = &a.one_of;
            v.any_of = &a.any_of;
            v.all_of = &a.all_of;
            if v.typ.is_none() && !v.properties.is_empty() {
                v.typ = Some("object");
            }
        }
    }
    v
}

/// Either a `$ref` or an inline schema, for both `ReferenceOr<Schema>` and `ReferenceOr<Box<Schema>>`.
pub(crate) enum Node<'s> {
    Ref(&'s str),
    Inline(&'s Schema),
}

pub(crate) trait AsNode {
    fn node(&self) -> Node<'_>;
}
impl AsNode for ReferenceOr<Schema> {
    fn node(&self) -> Node<'_> {
        match self {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(s) => Node::Inline(s),
        }
    }
}
impl AsNode for ReferenceOr<Box<Schema>> {
    fn node(&self) -> Node<'_> {
        match self {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(s) => Node::Inline(s),
        }
    }
}

fn is_const(s: &Schema) -> bool {
    s.schema_data.extensions.get("x-const") == Some(&Value::Bool(true))
}

/// Docs from a description, with the default and format noted.
pub(crate) fn docs_of(s: &Schema, format: Option<&str>) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(d) = s.schema_data.description.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        parts.push(d.to_string());
    }
    if let Some(f) = format.filter(|f| *f != "int32" && *f != "int64" && *f != "double" && *f != "float") {
        parts.push(format!("Format: `{f}`."));
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("\n\n"))
    }
}

impl<'a> Lowerer<'a> {
    fn run(&mut self) {
        let Some(components) = &self.api.components else { return };
        // Names first, so refs resolve whatever the order.
        for key in components.schemas.keys() {
            let name = self.new_name(&names::type_name(key));
            self.components.insert(key.clone(), name);
        }
        for (key, schema) in &components.schemas {
            let name = self.components[key].clone();
            let ptr = child("#/components/schemas", key);
            match schema {
                ReferenceOr::Reference { reference } => {
                    let target = self.resolve_ref(reference, &ptr);
                    self.insert(TypeDef {
                        name: name.clone(),
                        origin: ptr.clone(),
                        component: Some(key.clone()),
                        features: Vec::new(),
                        docs: None,
                        deprecated: false,
                        kind: TypeKind::Alias(target),
                        ser: false,
                        de: false,
                    });
                }
                ReferenceOr::Item(s) => {
                    self.define(&name, s, &ptr, Some(key));
                    self.collect_examples(s, &ptr, TypeRef::Named(name.clone()), s.schema_data.nullable);
                }
            }
        }
    }

    /// A fresh, unique type name from a hint; the overlay may rename the result.
    fn new_name(&mut self, hint: &str) -> String {
        let name = names::unique(hint.to_string(), &mut self.taken);
        match self.overlay.type_names.get(&name) {
            Some(new) => {
                self.used_renames.insert(name);
                if !self.taken.insert(new.clone()) {
                    self.diags.warn("spec/overlay.yaml#/type_names", format!("rename to `{new}` clashes with another type; `{new}` made unique"));
                    return names::unique(new.clone(), &mut self.taken);
                }
                new.clone()
            }
            None => name,
        }
    }

    fn insert(&mut self, def: TypeDef) {
        self.types.insert(def.name.clone(), def);
    }

    fn resolve_ref(&mut self, reference: &str, at: &str) -> TypeRef {
        if let Some(key) = reference.strip_prefix("#/components/schemas/") {
            if let Some(name) = self.components.get(key) {
                return TypeRef::Named(name.clone());
            }
        }
        self.diags.warn(at, format!("`$ref: {reference}` does not resolve to a component schema; typed as any JSON value"));
        TypeRef::Any
    }

    /// The schema a component `$ref` ends at, following components that are themselves a
    /// `$ref`; `None` when it does not resolve or the chain goes round in a circle.
    fn component_schema(&self, reference: &str) -> Option<(&'a Schema, String)> {
        let schemas = &self.api.components.as_ref()?.schemas;
        let mut reference = reference;
        for _ in 0..=schemas.len() {
            let key = reference.strip_prefix("#/components/schemas/")?;
            match schemas.get(key)? {
                ReferenceOr::Item(s) => return Some((s, child("#/components/schemas", key))),
                ReferenceOr::Reference { reference: next } => reference = next,
            }
        }
        None
    }

    fn collect_examples(&mut self, s: &Schema, ptr: &str, ty: TypeRef, nullable: bool) {
        let Some(Value::Array(list)) = s.schema_data.extensions.get("x-examples") else { return };
        let ty = if nullable { TypeRef::Option(Box::new(ty)) } else { ty };
        for (i, value) in list.iter().enumerate() {
            let pointer = format!("{}/examples/{i}", ptr);
            self.examples.insert(pointer.clone(), Example { pointer, rust_type: ty.rust(), value: value.clone() });
        }
    }

    /// Defines a named type for a schema (component or hoisted inline).
    fn define(&mut self, name: &str, s: &'a Schema, ptr: &str, component: Option<&String>) {
        let v = view(&s.schema_kind);
        let docs = docs_of(s, v.format.as_deref());
        let kind = self.kind_of(name, s, &v, ptr);
        self.insert(TypeDef {
            name: name.to_string(),
            origin: ptr.to_string(),
            component: component.cloned(),
            features: Vec::new(),
            docs,
            deprecated: s.schema_data.deprecated,
            kind,
            ser: false,
            de: false,
        });
    }

    fn kind_of(&mut self, name: &str, s: &'a Schema, v: &View<'a>, ptr: &str) -> TypeKind {
        if is_const(s) && v.enumeration.len() == 1 {
            return TypeKind::Const(v.enumeration[0].clone());
        }
        if !v.enumeration.is_empty() {
            if v.enumeration.iter().all(Value::is_string) {
                return TypeKind::Enum(self.enum_values(&v.enumeration, ptr));
            }
            return TypeKind::Alias(self.primitive(v));
        }
        if !v.one_of.is_empty() || !v.any_of.is_empty() {
            if !v.properties.is_empty() {
                return TypeKind::Struct(self.build_struct(name, s, v, ptr));
            }
            let (list, key) = if v.one_of.is_empty() { (v.any_of, "anyOf") } else { (v.one_of, "oneOf") };
            return self.build_union(name, s, list, &child(ptr, key));
        }
        if !v.all_of.is_empty() {
            if v.all_of.len() == 1 && v.properties.is_empty() {
                let (t, _) = self.type_of(&v.all_of[0], name, &format!("{ptr}/allOf/0"));
                return TypeKind::Alias(t);
            }
            return TypeKind::Struct(self.build_struct(name, s, v, ptr));
        }
        match v.typ {
            Some("object") if !v.properties.is_empty() => TypeKind::Struct(self.build_struct(name, s, v, ptr)),
            _ => {
                let (t, _) = self.type_of_view(s, v, name, ptr);
                TypeKind::Alias(t)
            }
        }
    }

    fn primitive(&self, v: &View) -> TypeRef {
        match v.typ {
            Some("string") if v.format.as_deref() == Some("binary") => TypeRef::File,
            Some("string") => TypeRef::String,
            Some("integer") if v.format.as_deref() == Some("int32") => TypeRef::I32,
            Some("integer") => TypeRef::I64,
            Some("number") => TypeRef::F64,
            Some("boolean") => TypeRef::Bool,
            _ => TypeRef::Any,
        }
    }

    fn enum_values(&mut self, values: &[Value], ptr: &str) -> Vec<EnumValue> {
        let mut seen = HashSet::new();
        let mut taken = HashSet::new();
        taken.insert("Unknown".to_string());
        let mut out = Vec::new();
        for v in values {
            let wire = v.as_str().unwrap_or_default().to_string();
            if !seen.insert(wire.clone()) {
                self.diags.warn(child(ptr, "enum"), format!("duplicate enum value `{wire}` ignored"));
                continue;
            }
            let mut rust = names::variant_name(&wire);
            if rust == "Unknown" {
                rust = "UnknownValue".into();
            }
            let rust = names::unique(rust, &mut taken);
            out.push(EnumValue { wire, rust, docs: None });
        }
        out
    }

    /// The type of a schema used somewhere (a field, an item, a variant), hoisting a named type
    /// when it needs one. Returns the type and whether the schema is nullable.
    pub(crate) fn type_of<N: AsNode>(&mut self, node: &'a N, hint: &str, ptr: &str) -> (TypeRef, bool) {
        match node.node() {
            Node::Ref(r) => (self.resolve_ref(r, ptr), false),
            Node::Inline(s) => {
                // SAFETY of lifetimes: `node` borrows from `self.api`, which lives for 'a.
                let s: &'a Schema = s;
                let nullable = s.schema_data.nullable;
                let v = view(&s.schema_kind);
                let t = self.type_of_view(s, &v, hint, ptr);
                self.collect_examples(s, ptr, t.0.clone(), nullable);
                (t.0, nullable || t.1)
            }
        }
    }

    fn type_of_view(&mut self, s: &'a Schema, v: &View<'a>, hint: &str, ptr: &str) -> (TypeRef, bool) {
        let nullable = s.schema_data.nullable;
        if let Some(t) = self.by_pointer.get(ptr) {
            return (t.clone(), nullable);
        }
        // A `$ref` with siblings: `allOf: [$ref]` plus docs, default, nullable.
        if v.all_of.len() == 1 && v.properties.is_empty() && v.one_of.is_empty() && v.any_of.is_empty() {
            let (t, n) = self.type_of(&v.all_of[0], hint, &format!("{ptr}/allOf/0"));
            return (t, nullable || n);
        }
        let hoist = (is_const(s) && v.enumeration.len() == 1)
            || (!v.enumeration.is_empty() && v.enumeration.iter().all(Value::is_string))
            || !v.one_of.is_empty()
            || !v.any_of.is_empty()
            || !v.all_of.is_empty()
            || !v.properties.is_empty();
        if hoist {
            // Dedup identical inline enums and unions.
            let shape = if !is_const(s) && v.properties.is_empty() && v.all_of.is_empty() {
                serde_json::to_string(&(&s.schema_kind, &s.schema_data.discriminator)).ok()
            } else {
                None
            };
            if let Some(name) = shape.as_ref().and_then(|k| self.by_shape.get(k)) {
                let t = TypeRef::Named(name.clone());
                self.by_pointer.insert(ptr.to_string(), t.clone());
                return (t, nullable);
            }
            let name = self.new_name(hint);
            let t = TypeRef::Named(name.clone());
            self.by_pointer.insert(ptr.to_string(), t.clone());
            if let Some(k) = shape {
                self.by_shape.insert(k, name.clone());
            }
            self.define(&name, s, ptr, None);
            return (t, nullable);
        }
        let t = match v.typ {
            Some("array") => match v.items {
                Some(items) => {
                    let (t, n) = self.type_of(items, &format!("{hint}Item"), &child(ptr, "items"));
                    TypeRef::Vec(Box::new(if n { TypeRef::Option(Box::new(t)) } else { t }))
                }
                None => TypeRef::Vec(Box::new(TypeRef::Any)),
            },
            Some("object") => match v.additional {
                Some(AdditionalProperties::Schema(ap)) => {
                    let (t, n) = self.type_of(ap.as_ref(), &format!("{hint}Value"), &child(ptr, "additionalProperties"));
                    TypeRef::Map(Box::new(if n { TypeRef::Option(Box::new(t)) } else { t }))
                }
                _ => TypeRef::Map(Box::new(TypeRef::Any)),
            },
            _ => self.primitive(v),
        };
        (t, nullable)
    }

    /// Collects the properties of an object schema, merging `allOf` members (by reference or
    /// inline), in order; later members override earlier ones.
    #[allow(clippy::type_complexity)]
    fn gather(
        &mut self,
        s: &'a Schema,
        ptr: &str,
        props: &mut IndexMap<String, (&'a ReferenceOr<Box<Schema>>, String)>,
        required: &mut Vec<(String, String)>,
        additional: &mut Option<(&'a AdditionalProperties, String)>,
        depth: usize,
    ) {
        if depth > 32 {
            self.diags.warn(ptr, "allOf nesting too deep; stopped merging");
            return;
        }
        let v = view(&s.schema_kind);
        for (i, member) in v.all_of.iter().enumerate() {
            match member.node() {
                Node::Ref(r) => match self.component_schema(r) {
                    Some((_, mptr)) if self.gathering.contains(&mptr) => {
                        let mut cycle: Vec<&str> = self.gathering.iter().skip_while(|p| **p != mptr).map(String::as_str).collect();
                        cycle.push(&mptr);
                        self.diags
                            .warn(format!("{ptr}/allOf/{i}"), format!("`$ref` cycle through allOf ({}); not followed again", cycle.join(" → ")));
                    }
                    Some((ms, mptr)) => {
                        self.gathering.push(mptr.clone());
                        self.gather(ms, &mptr, props, required, additional, depth + 1);
                        self.gathering.pop();
                    }
                    None => self.diags.warn(format!("{ptr}/allOf/{i}"), format!("`{r}` does not resolve; its properties are missing")),
                },
                Node::Inline(ms) => self.gather(ms, &format!("{ptr}/allOf/{i}"), props, required, additional, depth + 1),
            }
        }
        for (name, schema) in v.properties {
            props.insert(name.clone(), (schema, child(&child(ptr, "properties"), name)));
        }
        for r in v.required {
            required.push((r.clone(), ptr.to_string()));
        }
        if let Some(ap) = v.additional {
            *additional = Some((ap, child(ptr, "additionalProperties")));
        }
    }

    fn build_struct(&mut self, name: &str, s: &'a Schema, v: &View<'a>, ptr: &str) -> Struct {
        let mut props = IndexMap::new();
        let mut required = Vec::new();
        let mut additional = None;
        let outer = std::mem::replace(&mut self.gathering, vec![ptr.to_string()]);
        self.gather(s, ptr, &mut props, &mut required, &mut additional, 0);
        self.gathering = outer;
        let required_set: HashSet<&str> = required.iter().map(|(r, _)| r.as_str()).collect();
        for (r, at) in &required {
            if !props.contains_key(r) {
                self.diags.warn(child(at, "required"), format!("`{r}` is listed as required but is not a property of the object; ignored"));
            }
        }
        let mut taken = HashSet::new();
        let mut fields = Vec::new();
        for (wire, (schema, pptr)) in &props {
            let hint = format!("{}{}", name, names::pascal(wire));
            let (ty, nullable) = self.type_of(*schema, &hint, pptr);
            let mut format = None;
            let (docs, deprecated, default, constant) = match schema.node() {
                Node::Inline(ps) => {
                    let pv = view(&ps.schema_kind);
                    let item_format = pv.items.and_then(|i| match i.node() {
                        Node::Inline(x) => view(&x.schema_kind).format,
                        Node::Ref(_) => None,
                    });
                    let fmt = pv.format.clone().or(item_format).or_else(|| {
                        pv.all_of.first().and_then(|m| match m.node() {
                            Node::Ref(_) => None,
                            Node::Inline(x) => view(&x.schema_kind).format,
                        })
                    });
                    let constant = (is_const(ps) && pv.enumeration.len() == 1)
                        || pv.all_of.first().is_some_and(|m| match m.node() {
                            Node::Ref(r) => self.component_schema(r).is_some_and(|(cs, _)| is_const(cs)),
                            Node::Inline(x) => is_const(x),
                        });
                    format = fmt.clone();
                    (docs_of(ps, fmt.as_deref()), ps.schema_data.deprecated, ps.schema_data.default.clone(), constant)
                }
                Node::Ref(r) => (None, false, None, self.component_schema(r).is_some_and(|(cs, _)| is_const(cs))),
            };
            let rust = names::unique(names::field_name(wire), &mut taken);
            if !wire.chars().any(char::is_alphanumeric) {
                self.diags
                    .warn(pptr.clone(), format!("property name `{wire}` has no letter or digit to make a Rust name of; the field is named `{rust}`"));
            }
            fields.push(Field {
                wire: wire.clone(),
                rust,
                ty,
                required: required_set.contains(wire.as_str()),
                nullable,
                is_const: constant && !nullable,
                flatten: false,
                boxed: false,
                docs,
                deprecated,
                default,
                format,
            });
        }
        // Alternative property sets next to the properties (`type: object` with `oneOf`).
        if !v.one_of.is_empty() || !v.any_of.is_empty() {
            let (list, key) = if v.one_of.is_empty() { (v.any_of, "anyOf") } else { (v.one_of, "oneOf") };
            let uname = self.new_name(&format!("{name}Kind"));
            let kind = self.build_union(&uname, s, list, &child(ptr, key));
            self.insert(TypeDef {
                name: uname.clone(),
                origin: child(ptr, key),
                component: None,
                features: Vec::new(),
                docs: Some(format!("The alternative property sets of `{name}`.")),
                deprecated: false,
                kind,
                ser: false,
                de: false,
            });
            fields.push(Field {
                wire: String::new(),
                rust: names::unique("kind".into(), &mut taken),
                ty: TypeRef::Named(uname),
                required: true,
                nullable: false,
                is_const: false,
                flatten: true,
                boxed: false,
                docs: Some("One of the alternative property sets of this object.".into()),
                deprecated: false,
                default: None,
                format: None,
            });
        }
        let additional = match additional {
            Some((AdditionalProperties::Schema(ap), aptr)) => {
                let (t, n) = self.type_of(ap.as_ref(), &format!("{name}Value"), &aptr);
                Some(if n { TypeRef::Option(Box::new(t)) } else { t })
            }
            Some((AdditionalProperties::Any(true), _)) => Some(TypeRef::Any),
            _ => None,
        };
        Struct { fields, additional }
    }

    fn build_union(&mut self, name: &str, s: &'a Schema, list: &'a [ReferenceOr<Schema>], ptr: &str) -> TypeKind {
        let mut members: Vec<(TypeRef, Option<&'a str>)> = Vec::new();
        for (i, m) in list.iter().enumerate() {
            let mptr = format!("{ptr}/{i}");
            let hint = match m.node() {
                Node::Inline(ms) => {
                    let mv = view(&ms.schema_kind);
                    if mv.required.len() == 1 {
                        format!("{name}{}", names::pascal(mv.required[0]))
                    } else {
                        format!("{name}Variant{}", i + 1)
                    }
                }
                Node::Ref(_) => name.to_string(),
            };
            let (t, n) = self.type_of(m, &hint, &mptr);
            let t = if n { TypeRef::Option(Box::new(t)) } else { t };
            let r = match m.node() {
                Node::Ref(r) => Some(r),
                Node::Inline(_) => None,
            };
            members.push((t, r));
        }
        // Tagged: an explicit discriminator, or every member an object with a distinct const
        // string in the same property.
        let discriminator = s.schema_data.discriminator.as_ref().map(|d| (d.property_name.clone(), &d.mapping));
        let tag = discriminator.as_ref().map(|(p, _)| p.clone()).or_else(|| self.infer_tag(list));
        if let Some(tag) = tag {
            let mut variants: Vec<TaggedVariant> = Vec::new();
            let mut taken = HashSet::new();
            taken.insert("Unknown".to_string());
            for (i, (t, r)) in members.iter().enumerate() {
                let mut tags: Vec<String> = Vec::new();
                if let (Some((_, mapping)), Some(r)) = (&discriminator, r) {
                    tags.extend(mapping.iter().filter(|(_, target)| target.as_str() == *r).map(|(k, _)| k.clone()));
                }
                let member_schema = match list[i].node() {
                    Node::Ref(r) => self.component_schema(r).map(|(cs, _)| cs),
                    Node::Inline(ms) => Some(ms),
                };
                let (const_tag, carries) = member_schema.map(|ms| self.tag_of(ms, &tag)).unwrap_or((None, false));
                if tags.is_empty() {
                    if let Some(c) = const_tag {
                        tags.push(c);
                    } else if let Some(r) = r {
                        tags.push(r.rsplit('/').next().unwrap_or_default().to_string());
                    }
                }
                if tags.is_empty() {
                    self.diags.warn(format!("{ptr}/{i}"), format!("no `{tag}` value selects this member; it is only reachable as Unknown"));
                    continue;
                }
                let rust = names::unique(names::variant_name(&tags[0]), &mut taken);
                variants.push(TaggedVariant { tags, rust, ty: t.clone(), carries_tag: carries, boxed: false });
            }
            if discriminator.is_some() && !variants.is_empty() && variants.iter().all(|v| !v.carries_tag) {
                let at = ptr.rsplit_once('/').map_or(ptr, |(schema, _)| schema);
                self.diags.warn(
                    child(at, "discriminator"),
                    format!("the discriminator names `{tag}`, which no member has as a property; the SDK adds it when sending and requires it when decoding"),
                );
            }
            return TypeKind::Tagged { tag, variants };
        }
        let mut taken = HashSet::new();
        taken.insert("Unknown".to_string());
        let mut variants: Vec<Variant> = Vec::new();
        for (t, _) in members {
            if variants.iter().any(|v| v.ty == t) {
                continue;
            }
            // `ContentVariant1` inside `Content` reads better as `Variant1`.
            let label = variant_label(&t);
            let label = match label.strip_prefix(name) {
                Some(rest) if rest.starts_with(|c: char| c.is_ascii_uppercase()) => rest.to_string(),
                _ => label,
            };
            let rust = names::unique(label, &mut taken);
            variants.push(Variant { rust, ty: t, boxed: false });
        }
        // Ordered once every type is known (see `order_untagged`).
        TypeKind::Untagged(variants)
    }

    /// The const value of `tag` in a member object schema, and whether the member has the property.
    fn tag_of(&self, ms: &'a Schema, tag: &str) -> (Option<String>, bool) {
        let mut props = IndexMap::new();
        let mut req = Vec::new();
        let mut add = None;
        // gather needs &mut self only for diagnostics; use a scratch lowerer-free path.
        collect_props(self, ms, &mut props, &mut req, &mut add, 0);
        match props.get(tag) {
            None => (None, false),
            Some(p) => match p.node() {
                Node::Inline(ps) => {
                    let pv = view(&ps.schema_kind);
                    let c = if pv.enumeration.len() == 1 { pv.enumeration[0].as_str().map(String::from) } else { None };
                    (c, true)
                }
                Node::Ref(r) => {
                    let c = self.component_schema(r).and_then(|(cs, _)| {
                        let cv = view(&cs.schema_kind);
                        if is_const(cs) && cv.enumeration.len() == 1 {
                            cv.enumeration[0].as_str().map(String::from)
                        } else {
                            None
                        }
                    });
                    (c, true)
                }
            },
        }
    }

    fn infer_tag(&self, list: &'a [ReferenceOr<Schema>]) -> Option<String> {
        if list.len() < 2 {
            return None;
        }
        let mut candidate: Option<Vec<String>> = None;
        let mut per_member = Vec::new();
        for m in list {
            let Node::Ref(r) = m.node() else { return None };
            let (ms, _) = self.component_schema(r)?;
            let mut props = IndexMap::new();
            let (mut req, mut add) = (Vec::new(), None);
            collect_props(self, ms, &mut props, &mut req, &mut add, 0);
            let consts: Vec<String> = props
                .iter()
                .filter(|(_, p)| match p.node() {
                    Node::Inline(ps) => is_const(ps) && view(&ps.schema_kind).enumeration.first().is_some_and(Value::is_string),
                    Node::Ref(_) => false,
                })
                .map(|(k, _)| k.clone())
                .collect();
            candidate = Some(match candidate {
                None => consts,
                Some(c) => c.into_iter().filter(|k| consts.contains(k)).collect(),
            });
            per_member.push(ms);
        }
        for tag in candidate? {
            let mut values = HashSet::new();
            let distinct = per_member.iter().all(|ms| match self.tag_of(ms, &tag).0 {
                Some(v) => values.insert(v),
                None => false,
            });
            if distinct {
                return Some(tag);
            }
        }
        None
    }
}

/// Which serde directions each type needs: `Serialize` for what requests carry, `Deserialize`
/// for what responses carry. Types no operation uses get both.
fn directions(types: &mut BTreeMap<String, TypeDef>, operations: &[Operation]) {
    fn mark(types: &mut BTreeMap<String, TypeDef>, t: &TypeRef, ser: bool) {
        let mut names = Vec::new();
        t.named(&mut names);
        let mut stack = names;
        while let Some(n) = stack.pop() {
            let Some(def) = types.get_mut(&n) else { continue };
            let flag = if ser { &mut def.ser } else { &mut def.de };
            if *flag {
                continue;
            }
            *flag = true;
            def.refs(&mut stack);
        }
    }
    for op in operations {
        for p in &op.params {
            mark(types, &p.ty, true);
        }
        if let Some(b) = &op.body {
            mark(types, &b.ty, true);
        }
        match &op.success {
            Success::Json(t) | Success::Sse(t) => mark(types, t, false),
            Success::Empty | Success::Binary => {}
        }
        for e in &op.errors {
            if let Some(t) = &e.ty {
                mark(types, t, false);
            }
        }
    }
    // Unused types (and everything they reach) get both directions.
    let unused: Vec<String> = types.values().filter(|d| !d.ser && !d.de).map(|d| d.name.clone()).collect();
    for n in unused {
        mark(types, &TypeRef::Named(n.clone()), true);
        mark(types, &TypeRef::Named(n), false);
    }
}

/// Untagged variant order: the most specific first, so the first that decodes is right.
/// The sort is stable: equally specific variants keep the spec's order.
fn order_untagged(types: &mut BTreeMap<String, TypeDef>) {
    let mut orders = Vec::new();
    for (name, def) in types.iter() {
        if let TypeKind::Untagged(vs) = &def.kind {
            let mut ranked: Vec<(u32, Variant)> = vs.iter().map(|v| (rank(types, &v.ty), v.clone())).collect();
            ranked.sort_by_key(|(r, _)| *r);
            orders.push((name.clone(), ranked.into_iter().map(|(_, v)| v).collect::<Vec<_>>()));
        }
    }
    for (name, vs) in orders {
        if let Some(def) = types.get_mut(&name) {
            def.kind = TypeKind::Untagged(vs);
        }
    }
}

/// Aliases that expand to themselves (`A = B`, `B = A`, or `A = Vec<A>`, from `$ref` chains and
/// single-member `allOf`s that go round) can be no Rust type: the first alias of each cycle
/// becomes any JSON value, reported at its schema. Every later pass may then follow aliases
/// without a limit.
fn break_alias_cycles(types: &mut BTreeMap<String, TypeDef>, diags: &mut Diagnostics) {
    fn reaches(types: &BTreeMap<String, TypeDef>, t: &TypeRef, start: &str, seen: &mut Vec<String>) -> bool {
        match t {
            TypeRef::Vec(i) | TypeRef::Map(i) | TypeRef::Option(i) => reaches(types, i, start, seen),
            TypeRef::Named(n) if n == start => true,
            TypeRef::Named(n) if !seen.contains(n) => {
                seen.push(n.clone());
                match types.get(n).map(|d| &d.kind) {
                    Some(TypeKind::Alias(inner)) => reaches(types, inner, start, seen),
                    _ => false,
                }
            }
            _ => false,
        }
    }
    let names: Vec<String> = types.iter().filter(|(_, d)| matches!(d.kind, TypeKind::Alias(_))).map(|(n, _)| n.clone()).collect();
    for name in names {
        let Some(TypeKind::Alias(target)) = types.get(&name).map(|d| &d.kind) else { continue };
        let mut seen = Vec::new();
        if reaches(types, target, &name, &mut seen) {
            let def = types.get_mut(&name).expect("listed above");
            let chain: Vec<&str> = std::iter::once(name.as_str()).chain(seen.iter().map(String::as_str)).chain([name.as_str()]).collect();
            diags.warn(
                def.origin.clone(),
                format!("`$ref`/`allOf` cycle of aliases ({}): no type can be only itself; typed as any JSON value", chain.join(" → ")),
            );
            def.kind = TypeKind::Alias(TypeRef::Any);
        }
    }
}

fn rank(types: &BTreeMap<String, TypeDef>, t: &TypeRef) -> u32 {
    {
        match t {
            TypeRef::Bool => 10,
            TypeRef::I32 | TypeRef::I64 => 11,
            TypeRef::F64 => 12,
            TypeRef::Named(n) => match types.get(n).map(|d| &d.kind) {
                Some(TypeKind::Const(_)) => 5,
                Some(TypeKind::Enum(_)) => 20,
                Some(TypeKind::Struct(st)) => {
                    let specific = st.fields.iter().filter(|f| f.required || f.is_const).count() as u32;
                    100 - specific.min(60)
                }
                Some(TypeKind::Alias(inner)) => rank(types, inner),
                Some(TypeKind::Tagged { .. }) => 150,
                Some(TypeKind::Untagged(_)) => 160,
                None => 140,
            },
            TypeRef::String => 30,
            TypeRef::Vec(_) => 50,
            TypeRef::Option(inner) => rank(types, inner) + 1,
            TypeRef::Map(_) => 170,
            TypeRef::File => 40,
            TypeRef::Any => 200,
        }
    }
}

/// `gather` without diagnostics, for inspecting member schemas.
#[allow(clippy::type_complexity)]
fn collect_props<'a>(
    l: &Lowerer<'a>,
    s: &'a Schema,
    props: &mut IndexMap<String, &'a ReferenceOr<Box<Schema>>>,
    required: &mut Vec<String>,
    additional: &mut Option<&'a AdditionalProperties>,
    depth: usize,
) {
    if depth > 32 {
        return;
    }
    let v = view(&s.schema_kind);
    for member in v.all_of {
        let ms = match member.node() {
            Node::Ref(r) => l.component_schema(r).map(|(ms, _)| ms),
            Node::Inline(ms) => Some(ms),
        };
        if let Some(ms) = ms {
            collect_props(l, ms, props, required, additional, depth + 1);
        }
    }
    for (name, schema) in v.properties {
        props.insert(name.clone(), schema);
    }
    required.extend(v.required.into_iter().cloned());
    if v.additional.is_some() {
        *additional = v.additional;
    }
}

fn variant_label(t: &TypeRef) -> String {
    match t {
        TypeRef::Named(n) => n.clone(),
        TypeRef::String => "String".into(),
        TypeRef::I32 | TypeRef::I64 => "Integer".into(),
        TypeRef::F64 => "Number".into(),
        TypeRef::Bool => "Bool".into(),
        TypeRef::Any => "Value".into(),
        TypeRef::Vec(inner) => format!("{}List", variant_label(inner)),
        TypeRef::Map(inner) => format!("{}Map", variant_label(inner)),
        TypeRef::Option(inner) => variant_label(inner),
        TypeRef::File => "File".into(),
    }
}

/// Boxes union variants much larger than the others (clippy's `large_enum_variant`: a value of
/// the enum is as large as its largest variant).
fn box_large_variants(types: &mut [TypeDef]) {
    let index: HashMap<String, usize> = types.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    let mut memo: HashMap<usize, u64> = HashMap::new();
    fn size(types: &[TypeDef], index: &HashMap<String, usize>, memo: &mut HashMap<usize, u64>, t: &TypeRef, depth: u32) -> u64 {
        match t {
            TypeRef::String | TypeRef::Vec(_) | TypeRef::Map(_) => 24,
            TypeRef::I32 => 4,
            TypeRef::I64 | TypeRef::F64 => 8,
            TypeRef::Bool => 1,
            TypeRef::Any => 32,
            TypeRef::File => 48,
            TypeRef::Option(inner) => size(types, index, memo, inner, depth) + 8,
            TypeRef::Named(n) => match index.get(n) {
                Some(&i) => def_size(types, index, memo, i, depth),
                None => 8,
            },
        }
    }
    fn def_size(types: &[TypeDef], index: &HashMap<String, usize>, memo: &mut HashMap<usize, u64>, i: usize, depth: u32) -> u64 {
        if let Some(s) = memo.get(&i) {
            return *s;
        }
        if depth > 40 {
            return 8;
        }
        let s = match &types[i].kind {
            TypeKind::Struct(st) => {
                let mut total: u64 = st
                    .fields
                    .iter()
                    .map(|f| {
                        let inner = if f.boxed { 8 } else { size(types, index, memo, &f.ty, depth + 1) };
                        match f.presence() {
                            Presence::Plain => inner,
                            _ => inner + 8,
                        }
                    })
                    .sum();
                if st.additional.is_some() {
                    total += 24;
                }
                total
            }
            TypeKind::Enum(_) => 24,
            TypeKind::Const(_) => 0,
            TypeKind::Alias(t) => size(types, index, memo, t, depth + 1),
            TypeKind::Tagged { variants, .. } => {
                8 + variants.iter().map(|v| if v.boxed { 8 } else { size(types, index, memo, &v.ty, depth + 1) }).max().unwrap_or(0).max(32)
            }
            TypeKind::Untagged(vs) => {
                8 + vs.iter().map(|v| if v.boxed { 8 } else { size(types, index, memo, &v.ty, depth + 1) }).max().unwrap_or(0).max(32)
            }
        };
        memo.insert(i, s);
        s
    }
    // Box variants over the threshold, union by union (deepest first through the memo).
    const THRESHOLD: u64 = 128;
    for i in 0..types.len() {
        let sizes: Vec<u64> = match &types[i].kind {
            TypeKind::Tagged { variants, .. } => variants.iter().map(|v| size(types, &index, &mut memo, &v.ty, 0)).collect(),
            TypeKind::Untagged(vs) => vs.iter().map(|v| size(types, &index, &mut memo, &v.ty, 0)).collect(),
            _ => continue,
        };
        let mut sorted = sizes.clone();
        sorted.sort_unstable();
        sorted.push(32); // the `Unknown(Value)` variant
        sorted.sort_unstable();
        let second = sorted.iter().rev().nth(1).copied().unwrap_or(0);
        if sorted.last().copied().unwrap_or(0) < second + THRESHOLD {
            continue;
        }
        match &mut types[i].kind {
            TypeKind::Tagged { variants, .. } => {
                for (v, s) in variants.iter_mut().zip(&sizes) {
                    v.boxed = *s >= THRESHOLD;
                }
            }
            TypeKind::Untagged(vs) => {
                for (v, s) in vs.iter_mut().zip(&sizes) {
                    v.boxed = *s >= THRESHOLD;
                }
            }
            _ => {}
        }
        memo.clear();
    }
}

/// Boxes fields and variants that would otherwise make a type contain itself.
fn box_recursion(types: &mut [TypeDef]) {
    let index: HashMap<String, usize> = types.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect();
    // Direct containment edges (not through Vec or Map, which already allocate).
    fn direct(t: &TypeRef) -> Option<&str> {
        match t {
            TypeRef::Named(n) => Some(n),
            TypeRef::Option(inner) => direct(inner),
            _ => None,
        }
    }
    let edges: Vec<Vec<usize>> = types
        .iter()
        .map(|t| {
            let mut out = Vec::new();
            let mut push = |tr: &TypeRef| {
                if let Some(i) = direct(tr).and_then(|n| index.get(n)) {
                    out.push(*i);
                }
            };
            match &t.kind {
                TypeKind::Struct(s) => s.fields.iter().for_each(|f| push(&f.ty)),
                TypeKind::Tagged { variants, .. } => variants.iter().for_each(|v| push(&v.ty)),
                TypeKind::Untagged(vs) => vs.iter().for_each(|v| push(&v.ty)),
                TypeKind::Alias(a) => push(a),
                _ => {}
            }
            out
        })
        .collect();
    let reaches = |from: usize, to: usize| -> bool {
        let mut seen = vec![false; types.len()];
        let mut stack = vec![from];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if std::mem::replace(&mut seen[n], true) {
                continue;
            }
            stack.extend(edges[n].iter().copied());
        }
        false
    };
    let mut to_box: Vec<(usize, String)> = Vec::new();
    for (i, t) in types.iter().enumerate() {
        if let TypeKind::Struct(s) = &t.kind {
            for f in &s.fields {
                if let Some(&j) = direct(&f.ty).and_then(|n| index.get(n)) {
                    if reaches(j, i) {
                        to_box.push((i, f.rust.clone()));
                    }
                }
            }
        }
    }
    for (i, field) in to_box {
        if let TypeKind::Struct(s) = &mut types[i].kind {
            if let Some(f) = s.fields.iter_mut().find(|f| f.rust == field) {
                f.boxed = true;
            }
        }
    }
}
