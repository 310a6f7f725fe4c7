//! A short example on each method's doc: the call with its required inputs, built the way a
//! user writes them (constructors, `vec![…]`, string literals where a `&str` converts), from
//! the spec's example values where it has them (`x-examples` of a field) and placeholders
//! (`"<agent_id>"`) where it does not. The examples compile: they are doctests, and rustdoc
//! builds them all in one crate (edition 2024's merged doctests).

use crate::ir::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// How deep a value is built before the example gives up on it (a method without an example is
/// better than one that does not compile).
const MAX_DEPTH: u32 = 12;

pub struct Examples<'a> {
    ir: &'a Ir,
    /// Files from bytes in memory (`FilePart::from_bytes`), for code that cannot await.
    in_memory_files: bool,
}

/// An expression as the examples write it: a leaf, or a call (`T::new(…)`, `vec![…]`) whose
/// arguments break one per line when the call does not fit the line.
enum E {
    Atom(String),
    Call { head: String, open: char, close: char, args: Vec<E> },
}

/// prettyplease's margin, which the rest of the generated code is formatted to.
const WIDTH: usize = 89;

impl E {
    fn call(head: impl Into<String>, args: Vec<E>) -> E {
        E::Call { head: head.into(), open: '(', close: ')', args }
    }

    fn flat(&self) -> String {
        match self {
            E::Atom(a) => a.clone(),
            E::Call { head, open, close, args } => {
                format!("{head}{open}{}{close}", args.iter().map(E::flat).collect::<Vec<_>>().join(", "))
            }
        }
    }

    /// Writes the expression starting at column `col`, broken lines indented from `indent`;
    /// `tail` is what follows it on its last line (`;`, `,`).
    fn render(&self, col: usize, indent: usize, tail: usize, out: &mut String) {
        let flat = self.flat();
        match self {
            // One argument hugs its call (`Message::User(UserMessage::new(…))`), as the
            // formatter prints it.
            E::Call { head, open, close, args } if col + flat.len() + tail > WIDTH && args.len() == 1 && !head.ends_with('!') => {
                out.push_str(head);
                out.push(*open);
                args[0].render(col + head.len() + 1, indent, tail + 1, out);
                out.push(*close);
            }
            E::Call { head, open, close, args } if col + flat.len() + tail > WIDTH && !args.is_empty() => {
                out.push_str(head);
                out.push(*open);
                let inner = indent + 4;
                for a in args {
                    out.push('\n');
                    out.push_str(&" ".repeat(inner));
                    a.render(inner, inner, 1, out);
                    out.push(',');
                }
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                out.push(*close);
            }
            _ => out.push_str(&flat),
        }
    }
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
        Examples { ir, in_memory_files: false }
    }

    /// The same, building files from bytes in memory.
    pub fn in_memory(ir: &'a Ir) -> Self {
        Examples { in_memory_files: true, ..Examples::new(ir) }
    }

    /// An expression building a value of the named type through its public API (constructor,
    /// setters, variants), with the models in scope; `None` when one cannot be built.
    pub fn build(&self, name: &str) -> Option<String> {
        self.named(name, None, "value", Slot::Exact, 0, &mut BTreeSet::new()).map(|e| e.flat())
    }

    /// `let _value: Name = <expression>;` as a statement of a function body (indented by four
    /// spaces, broken as the formatter breaks it), or `None` when the type cannot be built.
    pub fn build_statement(&self, name: &str) -> Option<String> {
        let e = self.named(name, None, "value", Slot::Exact, 0, &mut BTreeSet::new())?;
        let mut line = format!("    let _value: {name} = ");
        e.render(line.len(), 4, 1, &mut line);
        line.push(';');
        Some(line)
    }

    /// The doc section for `op`: `# Example` and a `no_run` doctest, or `None` when a required
    /// input cannot be built.
    pub fn section(&self, op: &Operation) -> Option<String> {
        let mut used = BTreeSet::new();
        let mut args = Vec::new();
        let mut body: Vec<String> = Vec::new();
        for p in op.params.iter().filter(|p| p.required) {
            args.push(self.expr(&p.ty, None, &p.wire, Slot::Into, 0, &mut used)?.flat());
        }
        if let Some(b) = op.body.as_ref().filter(|b| b.required) {
            let request = self.expr(&b.ty, None, "request", Slot::Exact, 0, &mut used)?;
            let mut line = String::from("let request = ");
            request.render(line.len(), 0, 1, &mut line);
            line.push(';');
            body.push(line);
            args.push("request".to_string());
        }
        let mut segments: Vec<String> = op.group.iter().map(|seg| format!(".{}()", crate::names::field_name(seg))).collect();
        segments.push(format!(".{}({})", op.method, args.join(", ")));
        segments.push(".await?".to_string());
        let binding = match &op.success {
            Success::Sse(_) => "let mut stream = ",
            Success::Empty => "",
            Success::Json(_) | Success::Binary => "let response = ",
        };
        let one_line = format!("{binding}client{};", segments.concat());
        if one_line.len() <= WIDTH {
            body.push(one_line);
        } else {
            // A method chain one call per line, as the formatter lays it out.
            body.push(format!("{binding}client"));
            let last = segments.len() - 1;
            for (i, seg) in segments.iter().enumerate() {
                body.push(format!("    {seg}{}", if i == last { ";" } else { "" }));
            }
        }
        match &op.success {
            Success::Sse(_) => {
                body.push("while let Some(event) = stream.next().await {\n    let event = event?;\n    println!(\"{event:?}\");\n}".into())
            }
            Success::Empty => {}
            Success::Json(_) | Success::Binary => body.push("println!(\"{response:?}\");".into()),
        }
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
        lines.extend(body);
        let mut out = String::from("# Example\n\n```no_run\n# async fn example(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {\n");
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out.push_str("# Ok(())\n# }\n```");
        Some(out)
    }

    /// An expression of type `t`: from `v` when given, else a placeholder named after `name`.
    fn expr(&self, t: &TypeRef, v: Option<&Value>, name: &str, slot: Slot, depth: u32, used: &mut BTreeSet<String>) -> Option<E> {
        if depth > MAX_DEPTH {
            return None;
        }
        let atom = |s: String| E::Atom(s);
        Some(match t {
            TypeRef::String => {
                let text = v.and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("<{name}>"));
                match slot {
                    Slot::Into => atom(format!("{text:?}")),
                    Slot::Exact => atom(format!("{text:?}.to_string()")),
                }
            }
            TypeRef::I32 | TypeRef::I64 => atom(v.and_then(Value::as_i64).unwrap_or(1).to_string()),
            TypeRef::F64 => {
                let x = v.and_then(Value::as_f64).unwrap_or(0.5);
                atom(if x.fract() == 0.0 { format!("{x:.1}") } else { x.to_string() })
            }
            TypeRef::Bool => atom(v.and_then(Value::as_bool).unwrap_or(true).to_string()),
            TypeRef::Any => atom(format!("serde_json::json!({})", v.cloned().unwrap_or_else(|| Value::Object(Default::default())))),
            TypeRef::File if self.in_memory_files => atom("mistral_sdk::FilePart::from_bytes(b\"data\".to_vec(), \"data.jsonl\")".to_string()),
            TypeRef::File => atom("mistral_sdk::FilePart::from_path(\"path/to/file\").await?".to_string()),
            TypeRef::Map(_) => atom("std::collections::BTreeMap::new()".to_string()),
            TypeRef::Option(inner) => E::call("Some", vec![self.expr(inner, v, name, Slot::Exact, depth + 1, used)?]),
            TypeRef::Vec(item) => {
                let items: Vec<Option<&Value>> = match v {
                    Some(Value::Array(a)) if !a.is_empty() => a.iter().take(2).map(Some).collect(),
                    _ => vec![None],
                };
                let exprs = items.into_iter().map(|iv| self.expr(item, iv, name, Slot::Exact, depth + 1, used)).collect::<Option<Vec<_>>>()?;
                E::Call { head: "vec!".into(), open: '[', close: ']', args: exprs }
            }
            TypeRef::Named(n) => self.named(n, v, name, slot, depth, used)?,
        })
    }

    fn named(&self, n: &str, v: Option<&Value>, name: &str, slot: Slot, depth: u32, used: &mut BTreeSet<String>) -> Option<E> {
        let def = self.ir.find(n)?;
        match &def.kind {
            TypeKind::Alias(target) => self.expr(target, v, name, slot, depth, used),
            TypeKind::Const(_) => {
                used.insert(n.to_string());
                Some(E::Atom(format!("{n}::default()")))
            }
            TypeKind::Enum(values) => {
                let wanted = v.and_then(Value::as_str);
                let value = values.iter().find(|e| Some(e.wire.as_str()) == wanted).or_else(|| values.first())?;
                used.insert(n.to_string());
                Some(E::Atom(format!("{n}::{}", value.rust)))
            }
            TypeKind::Struct(s) => {
                used.insert(n.to_string());
                // As the model renders it: without required inputs, a `Default` (or, with a
                // flattened union, a `new()` without arguments).
                let needs_args = s.fields.iter().any(|f| matches!(f.presence(), Presence::Plain | Presence::Option) && !f.is_const);
                if !needs_args && !s.fields.iter().any(|f| f.flatten) {
                    return Some(E::Atom(format!("{n}::default()")));
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
                Some(E::call(format!("{n}::new"), args))
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
                            return Some(E::Atom(format!(
                                "{:?}",
                                v.and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("<{name}>"))
                            )));
                        }
                        Some(Value::Array(a)) if strs_at.is_some() && !a.is_empty() && a.iter().all(Value::is_string) => {
                            let items: Vec<E> = a.iter().take(2).map(|x| E::Atom(format!("{:?}", x.as_str().unwrap_or_default()))).collect();
                            return Some(E::Call { head: "vec!".into(), open: '[', close: ']', args: items });
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
        self.ir.field_example(&def.origin, &f.wire)
    }
}

fn wrap(union: &str, variant: &str, inner: E, boxed: bool) -> E {
    let inner = if boxed { E::call("Box::new", vec![inner]) } else { inner };
    E::call(format!("{union}::{variant}"), vec![inner])
}
