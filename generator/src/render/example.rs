//! A short example on each method's doc: the call with its required inputs, built the way a
//! user writes them (constructors, `vec![…]`, string literals where a `&str` converts), from
//! the spec's example values where it has them (`x-examples` of a field) and placeholders
//! (`"<agent_id>"`) where it does not. The examples compile: they are doctests, and rustdoc
//! builds them all in one crate (edition 2024's merged doctests).

use crate::ir::*;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// How deep a value is built before the example gives up on it (a method without an example is
/// better than one that does not compile).
const MAX_DEPTH: u32 = 12;

pub struct Examples<'a> {
    ir: &'a Ir,
    /// An `x-examples` list's first value, by the schema pointer it is written at.
    values: HashMap<String, &'a Value>,
    /// Files from bytes in memory (`FilePart::from_bytes`), for code that cannot await.
    in_memory_files: bool,
}

/// Where an expression goes: an `impl Into<T>` argument (a `&str` will do for a `String`), or
/// a place that must have the exact type (a list's item, a variant's value).
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Into,
    Exact,
}

impl<'a> Examples<'a> {
    pub fn new(ir: &'a Ir) -> Self {
        let mut values = HashMap::new();
        for e in &ir.examples {
            if let Some(at) = e.pointer.strip_suffix("/examples/0") {
                values.insert(at.to_string(), &e.value);
            }
        }
        Examples { ir, values, in_memory_files: false }
    }

    /// The same, building files from bytes in memory.
    pub fn in_memory(ir: &'a Ir) -> Self {
        Examples { in_memory_files: true, ..Examples::new(ir) }
    }

    /// An expression building a value of the named type through its public API (constructor,
    /// setters, variants), with the models in scope; `None` when one cannot be built.
    pub fn build(&self, name: &str) -> Option<String> {
        self.named(name, None, "value", Slot::Exact, 0, &mut BTreeSet::new())
    }

    /// The doc section for `op`: `# Example` and a `no_run` doctest, or `None` when a required
    /// input cannot be built.
    pub fn section(&self, op: &Operation) -> Option<String> {
        let mut used = BTreeSet::new();
        let mut args = Vec::new();
        let mut setup = Vec::new();
        for p in op.params.iter().filter(|p| p.required) {
            args.push(self.expr(&p.ty, None, &p.wire, Slot::Into, 0, &mut used)?);
        }
        if let Some(b) = op.body.as_ref().filter(|b| b.required) {
            setup.push(format!("let request = {};", self.expr(&b.ty, None, "request", Slot::Exact, 0, &mut used)?));
            args.push("request".to_string());
        }
        let mut call = String::from("client");
        for seg in &op.group {
            call.push_str(&format!(".{}()", crate::names::field_name(seg)));
        }
        call.push_str(&format!(".{}({})", op.method, args.join(", ")));
        let body = match &op.success {
            Success::Sse(_) => format!(
                "let mut stream = {call}.await?;\nwhile let Some(event) = stream.next().await {{\n    let event = event?;\n    println!(\"{{event:?}}\");\n}}"
            ),
            Success::Empty => format!("{call}.await?;"),
            Success::Json(_) | Success::Binary => format!("let response = {call}.await?;\nprintln!(\"{{response:?}}\");"),
        };
        let source = format!("async fn example(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {{ {} {body} Ok(()) }}", setup.join("\n"));
        let file: syn::File = syn::parse_str(&source).ok()?;
        let printed = prettyplease::unparse(&file);
        let mut lines: Vec<String> = Vec::new();
        if matches!(op.success, Success::Sse(_)) {
            lines.push("use futures::StreamExt;".into());
        }
        let models: Vec<&str> = used.iter().map(String::as_str).collect();
        match models.len() {
            0 => {}
            1 => lines.push(format!("use mistral_sdk::models::{};", models[0])),
            _ => lines.push(format!("use mistral_sdk::models::{{{}}};", models.join(", "))),
        }
        if !lines.is_empty() {
            lines.push(String::new());
        }
        let inner: Vec<&str> = printed.lines().collect();
        // Drop the wrapper's first and last lines and its trailing `Ok(())`; dedent the rest.
        for l in &inner[1..inner.len().saturating_sub(2)] {
            lines.push(l.strip_prefix("    ").unwrap_or(l).to_string());
        }
        let mut out = String::from("# Example\n\n```no_run\n# async fn example(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {\n");
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out.push_str("# Ok(())\n# }\n```");
        Some(out)
    }

    /// An expression of type `t`: from `v` when given, else a placeholder named after `name`.
    fn expr(&self, t: &TypeRef, v: Option<&Value>, name: &str, slot: Slot, depth: u32, used: &mut BTreeSet<String>) -> Option<String> {
        if depth > MAX_DEPTH {
            return None;
        }
        Some(match t {
            TypeRef::String => {
                let text = v.and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("<{name}>"));
                match slot {
                    Slot::Into => format!("{text:?}"),
                    Slot::Exact => format!("{text:?}.to_string()"),
                }
            }
            TypeRef::I32 | TypeRef::I64 => v.and_then(Value::as_i64).unwrap_or(1).to_string(),
            TypeRef::F64 => {
                let x = v.and_then(Value::as_f64).unwrap_or(0.5);
                if x.fract() == 0.0 {
                    format!("{x:.1}")
                } else {
                    x.to_string()
                }
            }
            TypeRef::Bool => v.and_then(Value::as_bool).unwrap_or(true).to_string(),
            TypeRef::Any => format!("serde_json::json!({})", v.cloned().unwrap_or_else(|| Value::Object(Default::default()))),
            TypeRef::File if self.in_memory_files => "mistral_sdk::FilePart::from_bytes(b\"data\".to_vec(), \"data.jsonl\")".to_string(),
            TypeRef::File => "mistral_sdk::FilePart::from_path(\"path/to/file\").await?".to_string(),
            TypeRef::Map(_) => "std::collections::BTreeMap::new()".to_string(),
            TypeRef::Option(inner) => format!("Some({})", self.expr(inner, v, name, Slot::Exact, depth + 1, used)?),
            TypeRef::Vec(item) => {
                let items: Vec<Option<&Value>> = match v {
                    Some(Value::Array(a)) if !a.is_empty() => a.iter().take(2).map(Some).collect(),
                    _ => vec![None],
                };
                let exprs = items.into_iter().map(|iv| self.expr(item, iv, name, Slot::Exact, depth + 1, used)).collect::<Option<Vec<_>>>()?;
                format!("vec![{}]", exprs.join(", "))
            }
            TypeRef::Named(n) => self.named(n, v, name, slot, depth, used)?,
        })
    }

    fn named(&self, n: &str, v: Option<&Value>, name: &str, slot: Slot, depth: u32, used: &mut BTreeSet<String>) -> Option<String> {
        let def = self.ir.find(n)?;
        match &def.kind {
            TypeKind::Alias(target) => self.expr(target, v, name, slot, depth, used),
            TypeKind::Const(_) => {
                used.insert(n.to_string());
                Some(format!("{n}::default()"))
            }
            TypeKind::Enum(values) => {
                let wanted = v.and_then(Value::as_str);
                let value = values.iter().find(|e| Some(e.wire.as_str()) == wanted).or_else(|| values.first())?;
                used.insert(n.to_string());
                Some(format!("{n}::{}", value.rust))
            }
            TypeKind::Struct(s) => {
                used.insert(n.to_string());
                // As the model renders it: without required inputs, a `Default` (or, with a
                // flattened union, a `new()` without arguments).
                let needs_args = s.fields.iter().any(|f| matches!(f.presence(), Presence::Plain | Presence::Option) && !f.is_const);
                if !needs_args && !s.fields.iter().any(|f| f.flatten) {
                    return Some(format!("{n}::default()"));
                }
                let mut args = Vec::new();
                for f in &s.fields {
                    match f.presence() {
                        Presence::Plain if f.is_const => {}
                        Presence::Plain | Presence::Option => {
                            let fv = v.and_then(|v| v.get(&f.wire)).or_else(|| self.field_example(def, f));
                            args.push(self.expr(&f.ty, fv, &f.wire, Slot::Into, depth + 1, used)?);
                        }
                        Presence::Optional | Presence::Nullable => {}
                    }
                }
                Some(format!("{n}::new({})", args.join(", ")))
            }
            TypeKind::Tagged { tag, variants } => {
                let wanted = v.and_then(|v| v.get(tag)).and_then(Value::as_str);
                let variant = variants.iter().find(|x| wanted.is_some_and(|w| x.tags.iter().any(|t| t == w))).or_else(|| variants.first())?;
                let inner = self.expr(&variant.ty, v, name, Slot::Exact, depth + 1, used)?;
                used.insert(n.to_string());
                Some(wrap(n, &variant.rust, inner, variant.boxed))
            }
            TypeKind::Untagged(variants) => {
                // A string or a list of strings converts from `&str` / `Vec<&str>`.
                let (str_at, strs_at) = super::models::string_variants(self.ir, &variants.iter().map(|x| &x.ty).collect::<Vec<_>>());
                if slot == Slot::Into {
                    match v {
                        Some(Value::String(_)) | None if str_at.is_some() => {
                            return Some(format!("{:?}", v.and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("<{name}>"))));
                        }
                        Some(Value::Array(a)) if strs_at.is_some() && !a.is_empty() && a.iter().all(Value::is_string) => {
                            let items: Vec<String> = a.iter().take(2).map(|x| format!("{:?}", x.as_str().unwrap_or_default())).collect();
                            return Some(format!("vec![{}]", items.join(", ")));
                        }
                        _ => {}
                    }
                }
                let fits = |x: &Variant| {
                    matches!(
                        (v, &x.ty),
                        (Some(Value::String(_)), TypeRef::String)
                            | (Some(Value::Array(_)), TypeRef::Vec(_))
                            | (Some(Value::Object(_)), TypeRef::Named(_))
                    )
                };
                let variant = variants.iter().find(|x| fits(x)).or_else(|| variants.first())?;
                let inner = self.expr(&variant.ty, v, name, Slot::Exact, depth + 1, used)?;
                used.insert(n.to_string());
                Some(wrap(n, &variant.rust, inner, variant.boxed))
            }
        }
    }

    /// The spec's example of a field, written on the field's schema in the type's component.
    fn field_example(&self, def: &TypeDef, f: &Field) -> Option<&'a Value> {
        let at = crate::diag::child(&format!("{}/properties", def.origin), &f.wire);
        self.values.get(&at).copied()
    }
}

fn wrap(union: &str, variant: &str, inner: String, boxed: bool) -> String {
    if boxed {
        format!("{union}::{variant}(Box::new({inner}))")
    } else {
        format!("{union}::{variant}({inner})")
    }
}
