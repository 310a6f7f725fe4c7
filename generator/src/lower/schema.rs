//! Schemas to types: every component schema, and each inline schema that needs a type of its
//! own, becomes a [`TypeDef`]; objects merge their `allOf` members ([`Lowerer::gather`]), unions
//! find or infer their tag.

use super::Lowerer;
use crate::diag::child;
use crate::fast::HashSet;
use crate::fast::IndexMap;
use crate::ir::*;
use crate::names;
use openapiv3::{AdditionalProperties, ReferenceOr, Schema, SchemaKind, Type};
use serde_json::Value;

/// See [`Lowerer::gather`].
pub(super) struct Gathered<'a> {
    props: IndexMap<String, (&'a ReferenceOr<Box<Schema>>, String)>,
    required: Vec<(String, String)>,
    additional: Option<(&'a AdditionalProperties, String)>,
    warnings: Vec<(String, String)>,
}

/// A uniform view of a schema, whatever `openapiv3` variant it was parsed into.
#[derive(Default)]
pub(super) struct View<'s> {
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

pub(super) fn fmt_of<T: serde::Serialize>(f: &openapiv3::VariantOrUnknownOrEmpty<T>) -> Option<String> {
    match f {
        openapiv3::VariantOrUnknownOrEmpty::Item(i) => serde_json::to_value(i).ok()?.as_str().map(String::from),
        openapiv3::VariantOrUnknownOrEmpty::Unknown(s) => Some(s.clone()),
        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
    }
}

pub(super) fn view(kind: &SchemaKind) -> View<'_> {
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

pub(super) fn is_const(s: &Schema) -> bool {
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
    pub(super) fn run(&mut self) {
        let Some(components) = &self.api.components else { return };
        // Names first, so refs resolve whatever the order.
        for key in components.schemas.keys() {
            let name = self.new_name(&names::type_name(key));
            self.components.insert(key.clone(), name);
        }
        self.components_in_parallel(components.schemas.len());
    }

    /// Lowers the `i`th component schema (its name already made).
    pub(super) fn lower_component(&mut self, i: usize) {
        let Some((key, schema)) = self.api.components.as_ref().and_then(|c| c.schemas.get_index(i)) else { return };
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
                    uses: Vec::new(),
                });
            }
            ReferenceOr::Item(s) => {
                self.define(&name, s, &ptr, Some(key));
                self.collect_examples(s, &ptr, TypeRef::Named(name.clone()), s.schema_data.nullable);
            }
        }
    }

    /// A fresh, unique type name from a hint; the overlay may rename the result.
    pub(super) fn new_name(&mut self, hint: &str) -> String {
        let got = self.make_name(hint);
        self.note(|| super::speculate::Event::Name { hint: hint.to_string(), got: got.clone() });
        got
    }

    fn make_name(&mut self, hint: &str) -> String {
        let name = names::unique(hint.to_string(), &mut self.taken);
        let track = |l: &mut Self, f: &dyn Fn(&mut super::speculate::Undo)| {
            if let Some(t) = &mut l.track {
                f(t)
            }
        };
        track(self, &|t| t.names.push(name.clone()));
        match self.overlay.type_names.get(&name) {
            Some(new) => {
                if self.used_renames.insert(name.clone()) {
                    track(self, &|t| t.renames.push(name.clone()));
                }
                if !self.taken.insert(new.clone()) {
                    self.diags.warn("spec/overlay.yaml#/type_names", format!("rename to `{new}` clashes with another type; `{new}` made unique"));
                    let unique = names::unique(new.clone(), &mut self.taken);
                    track(self, &|t| t.names.push(unique.clone()));
                    return unique;
                }
                track(self, &|t| t.names.push(new.clone()));
                new.clone()
            }
            None => name,
        }
    }

    pub(super) fn insert(&mut self, def: TypeDef) {
        self.note(|| super::speculate::Event::Type(def.name.clone()));
        self.types.insert(def.name.clone(), def);
    }

    pub(super) fn resolve_ref(&mut self, reference: &str, at: &str) -> TypeRef {
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
    pub(super) fn component_schema(&self, reference: &str) -> Option<(&'a Schema, String)> {
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

    pub(super) fn collect_examples(&mut self, s: &Schema, ptr: &str, ty: TypeRef, nullable: bool) {
        let Some(Value::Array(list)) = s.schema_data.extensions.get("x-examples") else { return };
        let ty = if nullable { TypeRef::Option(Box::new(ty)) } else { ty };
        for (i, value) in list.iter().enumerate() {
            let pointer = format!("{}/examples/{i}", ptr);
            let example = Example { pointer: pointer.clone(), rust_type: ty.rust(), ty: ty.clone(), value: value.clone() };
            self.note(|| super::speculate::Event::Example(pointer.clone(), example.clone()));
            self.examples.insert(pointer, example);
        }
    }

    /// Defines a named type for a schema (component or hoisted inline).
    pub(super) fn define(&mut self, name: &str, s: &'a Schema, ptr: &str, component: Option<&String>) {
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
            uses: Vec::new(),
        });
    }

    pub(super) fn kind_of(&mut self, name: &str, s: &'a Schema, v: &View<'a>, ptr: &str) -> TypeKind {
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

    pub(super) fn primitive(&self, v: &View) -> TypeRef {
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

    pub(super) fn enum_values(&mut self, values: &[Value], ptr: &str) -> Vec<EnumValue> {
        let mut seen = HashSet::default();
        let mut taken = HashSet::default();
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

    pub(super) fn type_of_view(&mut self, s: &'a Schema, v: &View<'a>, hint: &str, ptr: &str) -> (TypeRef, bool) {
        let nullable = s.schema_data.nullable;
        // A `$ref` with siblings: `allOf: [$ref]` plus docs, default, nullable.
        let sibling_ref = v.all_of.len() == 1 && v.properties.is_empty() && v.one_of.is_empty() && v.any_of.is_empty();
        let hoist = !sibling_ref
            && ((is_const(s) && v.enumeration.len() == 1)
                || (!v.enumeration.is_empty() && v.enumeration.iter().all(Value::is_string))
                || !v.one_of.is_empty()
                || !v.any_of.is_empty()
                || !v.all_of.is_empty()
                || !v.properties.is_empty());
        let made = self.by_pointer.get(ptr).cloned();
        // Only a schema that gets a type of its own is ever typed by its pointer, so only its
        // lookup is a read another component's lowering can change.
        if hoist {
            self.note(|| super::speculate::Event::Pointer { ptr: ptr.to_string(), got: made.clone() });
        }
        if let Some(t) = made {
            return (t, nullable);
        }
        if sibling_ref {
            let (t, n) = self.type_of(&v.all_of[0], hint, &format!("{ptr}/allOf/0"));
            return (t, nullable || n);
        }
        if hoist {
            // Dedup identical inline enums and unions. A union of plain JSON types means what
            // its field means: it is shared only by places typing the same field (`merge`).
            let body = ptr.contains("/content/") && ptr.ends_with("/schema");
            let key = (!is_const(s) && v.properties.is_empty() && v.all_of.is_empty())
                .then(|| serde_json::to_string(&(&s.schema_kind, &s.schema_data.discriminator)).ok())
                .flatten()
                .map(|k| match !k.contains("\"$ref\"") && !k.contains("\"enum\"") && !body {
                    true => format!("{k}#{}", super::merge::field_word(hint)),
                    false => k,
                });
            if let Some(k) = &key {
                let place = super::merge::Place {
                    hint: hint.to_string(),
                    docs: s.schema_data.description.clone(),
                    deprecated: s.schema_data.deprecated,
                    body,
                };
                self.note(|| super::speculate::Event::Place { key: k.clone(), place: place.clone() });
                self.places.entry(k.clone()).or_default().push(place);
            }
            let shared = key.as_ref().and_then(|k| {
                let got = self.by_shape.get(k).cloned();
                self.note(|| super::speculate::Event::Shape { key: k.clone(), got: got.clone() });
                got
            });
            if let Some(name) = shared {
                let t = TypeRef::Named(name);
                self.note(|| super::speculate::Event::PointerSet { ptr: ptr.to_string(), t: t.clone() });
                self.by_pointer.insert(ptr.to_string(), t.clone());
                return (t, nullable);
            }
            let name = self.new_name(hint);
            let t = TypeRef::Named(name.clone());
            self.note(|| super::speculate::Event::PointerSet { ptr: ptr.to_string(), t: t.clone() });
            self.by_pointer.insert(ptr.to_string(), t.clone());
            if let Some(k) = key {
                self.note(|| super::speculate::Event::ShapeSet { key: k.clone(), name: name.clone() });
                self.by_shape.insert(k, name.clone());
            }
            self.define(&name, s, ptr, None);
            return (t, nullable);
        }
        let t = match v.typ {
            Some("array") => match v.items {
                Some(items) => {
                    let (t, n) = self.type_of(items, &[hint, "Item"].concat(), &child(ptr, "items"));
                    TypeRef::Vec(Box::new(if n { TypeRef::Option(Box::new(t)) } else { t }))
                }
                None => TypeRef::Vec(Box::new(TypeRef::Any)),
            },
            Some("object") => match v.additional {
                Some(AdditionalProperties::Schema(ap)) => {
                    let (t, n) = self.type_of(ap.as_ref(), &[hint, "Value"].concat(), &child(ptr, "additionalProperties"));
                    TypeRef::Map(Box::new(if n { TypeRef::Option(Box::new(t)) } else { t }))
                }
                _ => TypeRef::Map(Box::new(TypeRef::Any)),
            },
            _ => self.primitive(v),
        };
        (t, nullable)
    }

    /// An object's properties, required names and additional properties, merged through its
    /// `allOf` members (each with the pointer it is written at). `warnings` gets what was not
    /// followed (a cycle, a `$ref` that does not resolve, a too deep nesting); callers that only
    /// inspect members ignore them, the struct builder reports them.
    pub(super) fn gather(&self, s: &'a Schema, ptr: &str) -> Gathered<'a> {
        let mut out = Gathered { props: IndexMap::default(), required: Vec::new(), additional: None, warnings: Vec::new() };
        self.gather_into(s, ptr, &mut out, &mut vec![ptr.to_string()], 0);
        out
    }

    pub(super) fn gather_into(&self, s: &'a Schema, ptr: &str, out: &mut Gathered<'a>, stack: &mut Vec<String>, depth: usize) {
        if depth > 32 {
            out.warnings.push((ptr.to_string(), "allOf nesting too deep; stopped merging".into()));
            return;
        }
        let v = view(&s.schema_kind);
        for (i, member) in v.all_of.iter().enumerate() {
            match member.node() {
                Node::Ref(r) => match self.component_schema(r) {
                    Some((_, mptr)) if stack.contains(&mptr) => {
                        let mut cycle: Vec<&str> = stack.iter().skip_while(|p| **p != mptr).map(String::as_str).collect();
                        cycle.push(&mptr);
                        out.warnings
                            .push((format!("{ptr}/allOf/{i}"), format!("`$ref` cycle through allOf ({}); not followed again", cycle.join(" → "))));
                    }
                    Some((ms, mptr)) => {
                        stack.push(mptr.clone());
                        self.gather_into(ms, &mptr, out, stack, depth + 1);
                        stack.pop();
                    }
                    None => out.warnings.push((format!("{ptr}/allOf/{i}"), format!("`{r}` does not resolve; its properties are missing"))),
                },
                Node::Inline(ms) => self.gather_into(ms, &format!("{ptr}/allOf/{i}"), out, stack, depth + 1),
            }
        }
        if !v.properties.is_empty() {
            let mut at = child(ptr, "properties");
            for (name, schema) in v.properties {
                let len = crate::diag::push(&mut at, name);
                out.props.insert(name.clone(), (schema, at.clone()));
                at.truncate(len);
            }
        }
        for r in v.required {
            out.required.push((r.clone(), ptr.to_string()));
        }
        if let Some(ap) = v.additional {
            out.additional = Some((ap, child(ptr, "additionalProperties")));
        }
    }

    pub(super) fn build_struct(&mut self, name: &str, s: &'a Schema, v: &View<'a>, ptr: &str) -> Struct {
        let Gathered { props, required, additional, warnings } = self.gather(s, ptr);
        for (at, warning) in warnings {
            self.diags.warn(at, warning);
        }
        let required_set: HashSet<&str> = required.iter().map(|(r, _)| r.as_str()).collect();
        for (r, at) in &required {
            if !props.contains_key(r) {
                self.diags.warn(child(at, "required"), format!("`{r}` is listed as required but is not a property of the object; ignored"));
            }
        }
        let mut taken = HashSet::default();
        let mut fields = Vec::new();
        for (wire, (schema, pptr)) in &props {
            let hint = [name, &names::pascal(wire)].concat();
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
                uses: Vec::new(),
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

    pub(super) fn build_union(&mut self, name: &str, s: &'a Schema, list: &'a [ReferenceOr<Schema>], ptr: &str) -> TypeKind {
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
            let mut taken = HashSet::default();
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
        let mut taken = HashSet::default();
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
    pub(super) fn tag_of(&self, ms: &'a Schema, tag: &str) -> (Option<String>, bool) {
        let props = self.gather(ms, "").props;
        match props.get(tag) {
            None => (None, false),
            Some((p, _)) => match p.node() {
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

    pub(super) fn infer_tag(&self, list: &'a [ReferenceOr<Schema>]) -> Option<String> {
        if list.len() < 2 {
            return None;
        }
        let mut candidate: Option<Vec<String>> = None;
        let mut per_member = Vec::new();
        for m in list {
            let Node::Ref(r) = m.node() else { return None };
            let (ms, _) = self.component_schema(r)?;
            let props = self.gather(ms, "").props;
            let consts: Vec<String> = props
                .iter()
                .filter(|(_, (p, _))| match p.node() {
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
            let mut values = HashSet::default();
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

pub(super) fn variant_label(t: &TypeRef) -> String {
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
