//! Contract tests generated from the IR: for every operation, a request built from synthesized
//! values (all optional inputs set), the exact request the SDK must send (method, path, query,
//! headers with the auth scheme, JSON body), and a synthesized response the SDK must decode back
//! to the same JSON. Written to `tests/tests/contract.rs` by `cargo xtask regen`.

use super::models::ident;
use super::syntax;
use crate::ir::*;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{json, Map, Value};
use syn::Expr;

/// A string that satisfies a `format`.
fn formatted(format: Option<&str>) -> Value {
    json!(match format {
        Some("uuid") => "3f2c6a1e-8b4d-4c2a-9e1f-0a1b2c3d4e5f",
        Some("date-time") => "2024-05-01T12:00:00Z",
        Some("date") => "2024-05-01",
        Some("uri") | Some("url") => "https://example.com/resource",
        Some("email") => "user@example.com",
        Some("duration") => "P1D",
        _ => "sample-text",
    })
}

/// A value for a field or parameter: its format is known there.
fn synth_with_format(ir: &Ir, t: &TypeRef, format: Option<&str>, depth: u32) -> Value {
    match t {
        TypeRef::String => formatted(format),
        TypeRef::Vec(inner) if **inner == TypeRef::String => json!([formatted(format)]),
        _ => synth(ir, t, depth),
    }
}

/// A JSON value of type `t`, with every field set (optional ones too, to a depth).
pub fn synth(ir: &Ir, t: &TypeRef, depth: u32) -> Value {
    match t {
        TypeRef::String => json!("sample-text"),
        TypeRef::I32 | TypeRef::I64 => json!(7),
        TypeRef::F64 => json!(0.5),
        TypeRef::Bool => json!(true),
        TypeRef::Any => json!({"any": "value"}),
        TypeRef::File => json!("file"),
        TypeRef::Vec(inner) => {
            if depth > 6 {
                json!([])
            } else {
                json!([synth(ir, inner, depth + 1)])
            }
        }
        TypeRef::Map(inner) => {
            if depth > 6 {
                json!({})
            } else {
                json!({ "key": synth(ir, inner, depth + 1) })
            }
        }
        TypeRef::Option(inner) => synth(ir, inner, depth),
        TypeRef::Named(n) => {
            let Some(def) = ir.find(n) else { return Value::Null };
            match &def.kind {
                TypeKind::Alias(a) => synth(ir, a, depth),
                TypeKind::Const(v) => v.clone(),
                TypeKind::Enum(values) => values.first().map(|v| json!(v.wire)).unwrap_or(json!("value")),
                TypeKind::Tagged { tag, variants } => match variants.first() {
                    Some(v) => {
                        let mut inner = synth(ir, &v.ty, depth + 1);
                        if let Value::Object(m) = &mut inner {
                            m.insert(tag.clone(), json!(v.tags[0]));
                        }
                        inner
                    }
                    None => json!({ tag.as_str(): "unknown" }),
                },
                TypeKind::Untagged(vs) => vs.first().map(|v| synth(ir, &v.ty, depth + 1)).unwrap_or(json!({})),
                TypeKind::Struct(s) => {
                    let mut m = Map::new();
                    for f in &s.fields {
                        if f.flatten {
                            if let Value::Object(inner) = synth(ir, &f.ty, depth + 1) {
                                m.extend(inner);
                            }
                            continue;
                        }
                        let required = f.required || f.is_const;
                        if !required && depth > 3 {
                            continue;
                        }
                        m.insert(f.wire.clone(), synth_with_format(ir, &f.ty, f.format.as_deref(), depth + 1));
                    }
                    Value::Object(m)
                }
            }
        }
    }
}

/// The text a query, header or path value is sent as.
fn wire_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Percent-encoding of a path segment, as the SDK does it (RFC 3986 unreserved kept).
fn encode_segment(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn lit(v: &Value) -> String {
    serde_json::to_string(v).expect("JSON")
}

/// Renders `tests/tests/common/cases.rs` in one piece.
pub fn render(ir: &Ir) -> syn::File {
    render_part(ir, 0, 1)
}

/// The Rust type of a value in a case, as the tests name it (models imported, the SDK's own
/// types through `mistral_sdk::`).
fn case_ty(t: &TypeRef) -> syn::Type {
    syntax::ty(t, Spelling::TESTS)
}

/// `j::<T>("json")`: a value decoded from synthesized JSON.
fn json_value(t: &TypeRef, v: &Value) -> Expr {
    syntax::call_turbofish("j", case_ty(t), vec![syntax::lit_str(&lit(v))])
}

/// Renders part `part` of `parts` of `tests/tests/common/cases.rs`: runs of whole items in file
/// order, formatted apart and joined (see `render::render_all`). The first part holds the module
/// header and `cases()`; every part holds a contiguous run of the per-operation case functions.
pub fn render_part(ir: &Ir, part: usize, parts: usize) -> syn::File {
    render_part_named(ir, part, parts, &case_fn_names(ir))
}

/// [`render_part`] with the case functions' names ([`case_fn_names`]) made once for all parts.
pub fn render_part_named(ir: &Ir, part: usize, parts: usize, names: &[String]) -> syn::File {
    let count = ir.operations.len();
    let fns: Vec<proc_macro2::Ident> = names.iter().map(|n| ident(n)).collect();
    let mut out: syn::File = syn::parse_quote!();
    if part == 0 {
        out = syn::parse_quote! {
            //! One contract case per operation, generated from the IR (`cargo xtask regen`): a request
            //! built from synthesized values with every optional input set, the exact request the SDK
            //! must send, and the response to serve. Used by `contract.rs` (wiremock) and `prism.rs`.
            #![allow(deprecated, clippy::all)]

            use super::common::contract::*;
            use mistral_sdk::models::*;

            /// The number of operations in the spec.
            #[allow(dead_code)]
            pub const OPERATIONS: usize = #count;

            /// Every case, in the spec's order.
            pub fn cases() -> Vec<Case> {
                vec![#(#fns()),*]
            }
        };
    }
    let per = count.div_ceil(parts.max(1)).max(1);
    let range = (part * per).min(count)..((part + 1) * per).min(count);
    for (op, f) in ir.operations[range.clone()].iter().zip(&fns[range]) {
        let case = render_case(ir, op);
        let doc = format!(" `{}`: `{} {}`.", op.id, op.http_method, op.path);
        out.items.push(syntax::fn_item(vec![syntax::attr_str("doc", &doc)], f.clone(), syntax::named("Case"), vec![syntax::tail(case)]));
    }
    out
}

/// `build_sent_types()`: every type the SDK sends, built from outside the crate through its
/// public API as a user must (the types are `#[non_exhaustive]`, so no struct literals):
/// constructors, `Default`, variants. It compiles only if each can be built, and returns
/// their names. Written as text, laid out by the examples' own layout: 434 statements parsed
/// and formatted would be a tenth of a regeneration.
pub fn sent_types_text(ir: &Ir) -> String {
    let examples = super::example::Examples::in_memory(ir);
    let mut out = String::from(
        "/// Every type the SDK sends, built through its public API (constructors, `Default`,\n\
         /// variants), as code outside the crate must build the `#[non_exhaustive]` types.\n\
         #[allow(dead_code)]\n\
         pub fn build_sent_types() -> Vec<&'static str> {\n    let mut built = Vec::new();\n",
    );
    let mut count = 0;
    for t in ir.types.iter().filter(|t| t.ser) {
        let Some(statement) = examples.build_statement(&t.name) else { continue };
        out.push_str(&statement);
        out.push_str(&format!("\n    built.push(\"{}\");\n", t.name));
        count += 1;
    }
    out.push_str("    built\n}\n");
    out.push_str(&format!("/// How many types the SDK sends.\n#[allow(dead_code)]\npub const SENT_TYPES: usize = {count};\n"));
    out
}

/// One function name per operation: its id as an identifier, made unique.
pub fn case_fn_names(ir: &Ir) -> Vec<String> {
    let mut used = crate::fast::HashSet::default();
    ir.operations
        .iter()
        .map(|op| {
            let base = crate::names::field_name(&op.id);
            let mut name = base.clone();
            let mut n = 2;
            while !used.insert(name.clone()) {
                name = format!("{base}_{n}");
                n += 1;
            }
            name
        })
        .collect()
}

/// One case, as a `syn` expression built directly (the rare irregular parts parsed from tokens).
fn render_case(ir: &Ir, op: &Operation) -> Expr {
    let id = &op.id;
    let method = &op.http_method;
    // Path with synthesized parameter values (plain text, so no encoding applies here; encoding
    // has its own tests).
    let mut path = op.path.clone();
    let mut calls_args = Vec::new();
    let mut setters = Vec::new();
    let mut query: Vec<(String, String)> = Vec::new();
    let mut headers: Vec<(String, String)> = Vec::new();
    for p in &op.params {
        let v = match p.location {
            ParamLocation::Path if p.ty == TypeRef::String && p.format.is_none() => json!(format!("p-{}", p.wire.replace('_', "-"))),
            _ => synth_with_format(ir, &p.ty, p.format.as_deref(), 0),
        };
        let value_expr = json_value(&p.ty, &v);
        match p.location {
            ParamLocation::Path => {
                path = path.replace(&format!("{{{}}}", p.wire), &encode_segment(&wire_text(&v)));
            }
            ParamLocation::Query => {
                if p.json {
                    query.push((p.wire.clone(), lit(&v)));
                } else if let Value::Array(items) = &v {
                    for i in items {
                        query.push((p.wire.clone(), wire_text(i)));
                    }
                } else if let Value::Object(_) = &v {
                    query.push((p.wire.clone(), lit(&v)));
                } else {
                    query.push((p.wire.clone(), wire_text(&v)));
                }
            }
            ParamLocation::Header => headers.push((p.wire.to_ascii_lowercase(), wire_text(&v))),
            ParamLocation::Cookie => {}
        }
        if p.required {
            calls_args.push(value_expr);
        } else {
            setters.push((p.rust.clone(), value_expr));
        }
    }
    let (body_json, multipart) = match &op.body {
        Some(b) => {
            let mut v = synth(ir, &b.ty, 0);
            // A field the method fixes (`stream`): the caller's body says the opposite, the
            // request must carry the method's value.
            let mut given = v.clone();
            if let (Some(flag), Value::Object(_)) = (&op.body_flag, &v) {
                given[flag.wire.as_str()] = Value::Bool(!flag.value);
                v[flag.wire.as_str()] = Value::Bool(flag.value);
            }
            let text = lit(&v);
            let expr = if b.kind == BodyKind::Multipart {
                // Files cannot come from JSON: build the struct with a file part.
                syn::parse2::<Expr>(multipart_body(ir, b)).expect("a multipart body expression")
            } else {
                json_value(&b.ty, &given)
            };
            if b.required {
                calls_args.push(expr);
            } else {
                setters.push(("body".to_string(), expr));
            }
            if b.kind == BodyKind::Multipart {
                let names: Vec<String> = match &b.ty {
                    TypeRef::Named(n) => match ir.find(n).map(|d| &d.kind) {
                        Some(TypeKind::Struct(s)) => s.fields.iter().filter(|f| f.required).map(|f| f.wire.clone()).collect(),
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                (None, Some(names))
            } else {
                (Some(text), None)
            }
        }
        None => (None, None),
    };
    // The harness gives every scheme the key `test-<scheme name>`.
    // The `case_data!` body is written laid out (`layout::body_text`): values as their text.
    let string = syntax::quoted;
    let auth = match op.security.first().and_then(|s| ir.auth_scheme(s.name())) {
        Some(a) => {
            let (header, value) = match &a.location {
                crate::ir::AuthLocation::Bearer => ("authorization".to_string(), format!("Bearer test-{}", a.name)),
                crate::ir::AuthLocation::Header(h) => (h.clone(), format!("test-{}", a.name)),
            };
            format!("Some(({}, {}))", string(&header), string(&value))
        }
        None => "None".to_string(),
    };
    let status = op.success_statuses.first().copied().unwrap_or(200).max(200);
    let r = || syntax::expr_path("r");
    let (response, kind, finish) = match &op.success {
        Success::Json(t) => {
            let v = synth(ir, t, 0);
            (Some(lit(&v)), "Kind::Json", syntax::call("Ok", vec![syntax::call("to_json", vec![syntax::reference(r())])]))
        }
        Success::Empty => (
            None,
            "Kind::Empty",
            syn::parse_quote!({
                let () = r;
                Ok(serde_json::Value::Null)
            }),
        ),
        Success::Binary => (Some("binary-content".to_string()), "Kind::Binary", syntax::await_expr(syntax::call("binary", vec![r()]))),
        Success::Sse(t) => {
            let v = synth(ir, t, 0);
            (Some(lit(&v)), "Kind::Sse", syntax::call("Ok", vec![syntax::call("events", vec![r()])]))
        }
    };
    let some = |text: Option<String>| text.map_or_else(|| "None".to_string(), |t| format!("Some({})", syntax::text(&t)));
    let multipart = match multipart {
        Some(names) => format!("Some(&[{}])", names.iter().map(|n| string(n)).collect::<Vec<_>>().join(", ")),
        None => "None".to_string(),
    };
    // A non-empty list of pairs is laid out one pair a line.
    let pairs = |key: &str, list: &[(String, String)], lines: &mut Vec<String>| {
        if list.is_empty() {
            lines.push(format!("{key}: &[],"));
            return;
        }
        lines.push(format!("{key}: &["));
        lines.extend(list.iter().map(|(k, v)| format!("    ({}, {}),", syntax::text(k), syntax::text(v))));
        lines.push("],".to_string());
    };
    let mut data = vec![format!("op: {},", string(id)), format!("method: {},", string(method)), format!("path: {},", string(&path))];
    pairs("query", &query, &mut data);
    pairs("headers", &headers, &mut data);
    data.extend([
        format!("auth: {auth},"),
        format!("body: {},", some(body_json)),
        format!("multipart_fields: {multipart},"),
        format!("status: {status}u16,"),
        format!("response: {},", some(response)),
        format!("kind: {kind},"),
    ]);
    let mut chain = syntax::expr_path("c");
    for g in &op.group {
        chain = syntax::method_call(chain, crate::names::field_name(g).as_str(), Vec::new());
    }
    chain = syntax::method_call(chain, &op.method, calls_args);
    for (setter, value) in setters {
        chain = syntax::method_call(chain, &setter, vec![value]);
    }
    let sent = syntax::try_expr(syntax::await_expr(syntax::method_call(chain, "send", Vec::new())));
    // A streaming operation's case gives the whole stream (the contract check takes its one
    // event; the streaming tests use all of it); any other gives the decoded answer.
    let run = syntax::call(
        "Some",
        vec![syntax::closure_with(
            "c",
            syntax::call("Box::pin", vec![syntax::async_move(vec![syntax::let_stmt("r", false, sent), syntax::tail(finish)])]),
        )],
    );
    let (call, stream) = if matches!(op.success, Success::Sse(_)) { (syntax::expr_path("None"), run) } else { (run, syntax::expr_path("None")) };
    syntax::struct_expr(
        "Case",
        vec![(ident("data"), Some(syntax::macro_expr_text("case_data", data))), (ident("call"), Some(call)), (ident("stream"), Some(stream))],
    )
}

fn multipart_body(ir: &Ir, b: &Body) -> TokenStream {
    let TypeRef::Named(n) = &b.ty else { return quote!(Default::default()) };
    let Some(TypeKind::Struct(s)) = ir.find(n).map(|d| &d.kind) else { return quote!(Default::default()) };
    let t = format_ident!("{}", n);
    let is_file = |f: &Field| {
        matches!(&f.ty, TypeRef::File)
            || matches!(&f.ty, TypeRef::Named(x) if matches!(ir.find(x).map(|d| &d.kind), Some(TypeKind::Alias(TypeRef::File))))
    };
    let mut args = Vec::new();
    let mut sets = Vec::new();
    for f in &s.fields {
        let fi = ident(&f.rust);
        let value = if is_file(f) {
            quote!(mistral_sdk::FilePart::from_bytes(b"contract-test-bytes".to_vec(), "data.jsonl"))
        } else {
            let ty = case_ty(&f.ty);
            let text = lit(&synth(ir, &f.ty, 1));
            quote!(j::<#ty>(#text))
        };
        match f.presence() {
            Presence::Plain if f.is_const => {}
            Presence::Plain | Presence::Option => args.push(value),
            Presence::Optional | Presence::Nullable => {
                if f.required || is_file(f) {
                    sets.push(quote!(.#fi(#value)));
                }
            }
        }
    }
    quote!(#t::new(#(#args),*)#(#sets)*)
}
