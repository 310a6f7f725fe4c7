//! Renders operations: one module per API group with a handle struct (`client.beta().connectors()`),
//! a request builder per operation (required inputs positional, optional ones setters, per-call
//! options, awaited directly or with `.send()`), the typed error enum, and the client accessors.

use super::models::{doc_attr_list, ident, qualified_ty as ty};
use super::syntax;
use crate::ir::*;
use crate::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};
use syn::parse::Parser;
use syn::{ImplItem, Item};

/// A node of the group tree.
#[derive(Default)]
pub struct Group<'a> {
    pub children: BTreeSet<String>,
    pub ops: Vec<&'a Operation>,
    /// The features of every operation in the group and below it.
    pub features: BTreeSet<String>,
}

/// Group path → node, for every group and every ancestor of one.
pub fn groups(ir: &Ir) -> BTreeMap<Vec<String>, Group<'_>> {
    let mut map: BTreeMap<Vec<String>, Group> = BTreeMap::new();
    map.entry(Vec::new()).or_default();
    for op in &ir.operations {
        for depth in 1..=op.group.len() {
            let parent = op.group[..depth - 1].to_vec();
            map.entry(parent).or_default().children.insert(op.group[depth - 1].clone());
            map.entry(op.group[..depth].to_vec()).or_default();
        }
        for depth in 0..=op.group.len() {
            map.get_mut(&op.group[..depth]).expect("entered above").features.insert(op.feature.clone());
        }
        map.entry(op.group.clone()).or_default().ops.push(op);
    }
    map
}

/// The file a group module lives in.
pub fn group_file(path: &[String], has_children: bool) -> String {
    let segs: Vec<String> = path.iter().map(|s| module_name(s)).collect();
    match (segs.is_empty(), has_children) {
        (true, _) => "src/api/mod.rs".into(),
        (false, true) => format!("src/api/{}/mod.rs", segs.join("/")),
        (false, false) => format!("src/api/{}.rs", segs.join("/")),
    }
}

fn module_name(seg: &str) -> String {
    names::bare(&names::field_name(seg)).to_string()
}

/// Names of the Rust prelude a group handle must not shadow.
const PRELUDE: &[&str] = &[
    "Default", "Option", "Result", "Some", "None", "Ok", "Err", "Vec", "String", "Box", "Send", "Sync", "Sized", "Clone", "Copy", "Drop", "Fn",
    "Iterator", "ToString", "From", "Into",
];

fn handle_name(seg: &str) -> proc_macro2::Ident {
    let name = names::pascal(seg);
    if PRELUDE.contains(&name.as_str()) {
        format_ident!("{}Api", name)
    } else {
        format_ident!("{}", name)
    }
}

fn accessor(seg: &str) -> proc_macro2::Ident {
    ident(&names::field_name(seg))
}

/// Renders one group module, as `syn` items built directly (see [`super::syntax`]).
pub fn render_group(
    ir: &Ir,
    path: &[String],
    group: &Group,
    all: &BTreeMap<Vec<String>, Group>,
    examples: &super::example::Examples,
) -> anyhow::Result<syn::File> {
    let doc = if path.is_empty() {
        " API groups and operations. Start from [`Client`](crate::Client): `client.chat().complete(…)`.".to_string()
    } else {
        format!(" The `{}` group.", path.join("."))
    };
    let mut items: Vec<Item> = Vec::new();
    if !group.ops.is_empty() {
        items.push(syn::parse_quote!(
            use crate::runtime::http::HttpRequest;
        ));
    }
    // A child whose operations are all in this group's features needs no gate of its own.
    let child_gate = |c: &String| -> Vec<syn::Attribute> {
        let mut child_path = path.to_vec();
        child_path.push(c.clone());
        let features = &all[&child_path].features;
        if features == &group.features && !path.is_empty() {
            return Vec::new();
        }
        super::gate::attrs(ir, &features.iter().cloned().collect::<Vec<_>>())
    };
    items.extend(group.children.iter().map(|c| {
        let gate = child_gate(c);
        let m = format_ident!("{}", module_name(c));
        syn::parse_quote!(#(#gate)* pub mod #m;)
    }));
    let mut impl_items: Vec<ImplItem> = group
        .children
        .iter()
        .map(|c| {
            let gate = child_gate(c);
            let m = format_ident!("{}", module_name(c));
            let h = handle_name(c);
            let a = accessor(c);
            if path.is_empty() {
                let doc = format!(" The `{c}` operations.");
                syn::parse_quote! {
                    #[doc = #doc]
                    #(#gate)*
                    pub fn #a(&self) -> #m::#h<'_> { #m::#h { client: self } }
                }
            } else {
                let doc = format!(" The `{}` operations.", path.iter().chain(std::iter::once(c)).cloned().collect::<Vec<_>>().join("."));
                syn::parse_quote! {
                    #[doc = #doc]
                    #(#gate)*
                    pub fn #a(&self) -> #m::#h<'c> { #m::#h { client: self.client } }
                }
            }
        })
        .collect();
    let mut op_items = Vec::new();
    for op in &group.ops {
        let (method, builder) = render_op(ir, op, Some(examples))?;
        impl_items.push(method);
        op_items.extend(builder);
    }
    if path.is_empty() {
        // The root: accessors on the client itself.
        items.push(syntax::impl_item(Vec::new(), syntax::named("crate::Client"), impl_items));
    } else {
        let h = handle_name(path.last().unwrap());
        let doc = format!(
            " The `{}` operations: get it with `client.{}()`.",
            path.join("."),
            path.iter().map(|s| names::bare(&names::field_name(s)).to_string()).collect::<Vec<_>>().join("().")
        );
        items.push(syn::parse_quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy)]
            pub struct #h<'c> {
                pub(crate) client: &'c crate::Client,
            }
        });
        let self_ty = syntax::generic_with_lifetime(&h.to_string(), "'c", []);
        items.push(syntax::impl_with(Vec::new(), syntax::lifetime_generics("'c"), self_ty, impl_items));
    }
    items.extend(op_items);
    Ok(syn::File { shebang: None, attrs: vec![syntax::inner_doc(&doc)], items })
}

/// The call a user writes for an operation: `client.beta().libraries().list(…)`.
pub fn call_of(op: &Operation) -> String {
    let mut call = String::from("client.");
    for seg in &op.group {
        call.push_str(names::bare(&names::field_name(seg)));
        call.push_str("().");
    }
    call.push_str(names::bare(&op.method));
    call.push_str("(…)");
    call
}

fn builder_name(op: &Operation) -> proc_macro2::Ident {
    format_ident!("{}Builder", names::pascal(names::bare(&op.method)))
}

fn static_name(op: &Operation) -> proc_macro2::Ident {
    format_ident!("OP_{}", names::bare(&op.method).to_ascii_uppercase())
}

/// Whether values of this type can go to a query string directly (`QueryValue`).
fn query_direct(ir: &Ir, t: &TypeRef) -> bool {
    match t {
        TypeRef::String | TypeRef::I32 | TypeRef::I64 | TypeRef::F64 | TypeRef::Bool | TypeRef::Any => true,
        TypeRef::Vec(inner) => query_direct(ir, inner),
        TypeRef::Named(n) => match ir.find(n).map(|d| &d.kind) {
            Some(TypeKind::Enum(_)) => true,
            Some(TypeKind::Alias(a)) => query_direct(ir, a),
            _ => false,
        },
        _ => false,
    }
}

fn op_docs(op: &Operation) -> String {
    let mut parts = Vec::new();
    if let Some(s) = op.summary.as_deref().filter(|s| !s.trim().is_empty()) {
        parts.push(s.trim().to_string());
    }
    if let Some(d) = op.description.as_deref().filter(|d| !d.trim().is_empty()) {
        if op.summary.as_deref().map(str::trim) != Some(d.trim()) {
            parts.push(d.trim().to_string());
        }
    }
    parts.push(format!("`{} {}` (operation `{}`).", op.http_method, op.path, op.id));
    match (&op.body_flag, &op.success) {
        (Some(f), Success::Sse(_)) => parts.push(format!(
            "Sends `{}: {}` (whatever the body says) and returns the server-sent events as a typed stream.",
            f.wire, f.value
        )),
        (Some(f), _) => parts.push(format!(
            "Sends `{}: {}` (whatever the body says) and returns one JSON body; the group's streaming method sends the same request for server-sent events.",
            f.wire, f.value
        )),
        _ => {}
    }
    match &op.stream_end {
        Some(crate::overlay::StreamEndSpec::Sentinel(v)) => parts.push(format!(
            "The stream ends at the server's `{v}`; a connection that closes before it ends the stream with `Error::Stream` (the answer is truncated)."
        )),
        Some(crate::overlay::StreamEndSpec::Events(names)) => parts.push(format!(
            "The stream's last event is {}; a connection that closes before one ends the stream with `Error::Stream` (the answer is truncated).",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(" or ")
        )),
        None if matches!(op.success, Success::Sse(_)) => parts.push("The stream ends when the server closes it.".to_string()),
        None => {}
    }
    let errs: Vec<String> = op
        .errors
        .iter()
        .map(|e| match &e.ty {
            Some(t) => format!("`{}` ({})", e.status_text, t.rust()),
            None => format!("`{}`", e.status_text),
        })
        .collect();
    if !errs.is_empty() {
        parts.push(format!("Errors: {}; they come back as `Error::Api` with the typed body in `ApiError::error`.", errs.join(", ")));
    }
    parts.join("\n\n")
}

/// The error enum variant name for an error body type.
pub fn error_variant(t: &TypeRef) -> String {
    match t {
        TypeRef::Named(n) => n.clone(),
        TypeRef::Any => "Json".into(),
        other => names::pascal(&other.rust()),
    }
}

fn decoder_name(t: &TypeRef) -> proc_macro2::Ident {
    format_ident!("decode_{}", heck::ToSnakeCase::to_snake_case(error_variant(t).as_str()))
}

/// Renders one operation: the handle method (returned) and the builder items, as `syn` items
/// built directly; the rare irregular statements (multipart forms, a fixed body field) are
/// parsed from tokens.
/// An operation's method on its group handle and its builder; `examples` gives the method's
/// doc an example (the provider clients' methods, called on another client, go without).
fn render_op(ir: &Ir, op: &Operation, examples: Option<&super::example::Examples>) -> anyhow::Result<(ImplItem, Vec<Item>)> {
    let builder = builder_name(op);
    let builder_text = builder.to_string();
    let stat = static_name(op);
    let stat_text = stat.to_string();
    let method_ident = ident(&op.method);
    let id = &op.id;
    let path_text = &op.path;
    // The macro bodies are written laid out (`layout::body_text`): entries as text.
    let string = syntax::quoted;
    let security: Vec<String> = op.security.iter().filter_map(|s| Some(ir.auth_scheme(s.name())?.variant.clone())).collect();
    let errors: Vec<String> =
        op.errors.iter().filter_map(|e| Some(format!("({}u16, crate::errors::{})", e.status, decoder_name(e.ty.as_ref()?)))).collect();
    let success_statuses: Vec<String> = op.success_statuses.iter().map(|s| format!("{s}u16")).collect();
    let self_field = |name: &str| syntax::expr_field(syntax::expr_path("self"), ident(name));

    // Inputs.
    let private = || syn::Visibility::Inherited;
    let mut fields = vec![syntax::field(private(), ident("client"), syntax::reference_type("'c", syntax::named("crate::Client")))];
    let mut params = vec![syntax::receiver(true)];
    let mut inits = vec![(ident("client"), Some(self_field("client")))];
    let mut setters = Vec::new();
    for p in &op.params {
        let f = ident(&p.rust);
        let t = syntax::ty(&p.ty, Spelling::CRATE);
        if p.required {
            fields.push(syntax::field(private(), f.clone(), syntax::ty(&p.ty, Spelling::CRATE)));
            params.push(syntax::param(f.clone(), syntax::impl_into(t)));
            inits.push((f.clone(), Some(syntax::method_call(syntax::expr_path(&p.rust), "into", Vec::new()))));
        } else {
            fields.push(syntax::field(private(), f.clone(), syntax::generic("Option", [t])));
            inits.push((f.clone(), Some(syntax::expr_path("None"))));
            let mut d = p.docs.clone().unwrap_or_default();
            if !d.is_empty() {
                d.push_str("\n\n");
            }
            d.push_str(&format!(
                "The `{}` {} parameter.",
                p.wire,
                match p.location {
                    ParamLocation::Query => "query",
                    ParamLocation::Header => "header",
                    ParamLocation::Path => "path",
                    ParamLocation::Cookie => "cookie",
                }
            ));
            setters.extend(super::models::prefixed_lines(&d).into_iter().map(|l| format!("///{l}").trim_end().to_string()));
            if p.deprecated {
                setters.push("#[deprecated]".to_string());
            }
            setters.push(format!("{f}: {},", p.ty.spell(Spelling::CRATE)));
        }
    }
    let mut body_setter = None;
    if let Some(b) = &op.body {
        let t = syntax::ty(&b.ty, Spelling::CRATE);
        if b.required {
            fields.push(syntax::field(private(), ident("body"), syntax::ty(&b.ty, Spelling::CRATE)));
            params.push(syntax::param(ident("body"), t));
            inits.push((ident("body"), None));
        } else {
            fields.push(syntax::field(private(), ident("body"), syntax::generic("Option", [t])));
            inits.push((ident("body"), Some(syntax::expr_path("None"))));
            let t = ty(&b.ty);
            body_setter = Some(syn::parse2::<ImplItem>(quote! {
                /// The request body (optional for this operation).
                pub fn body(mut self, value: #t) -> Self { self.body = Some(value); self }
            })?);
        }
    }
    fields.push(syntax::field(private(), ident("opts"), syntax::named("crate::runtime::http::RequestOptions")));
    inits.push((ident("opts"), Some(syntax::call("Default::default", Vec::new()))));

    // Path.
    let mut fmt = String::new();
    let mut args = Vec::new();
    let mut rest = op.path.as_str();
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else { break };
        fmt.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
        fmt.push_str("{}");
        let name = &rest[start + 1..start + end];
        match op.params.iter().find(|p| p.location == ParamLocation::Path && p.wire == name) {
            Some(p) => {
                let f = ident(&p.rust);
                if p.ty == TypeRef::String {
                    args.push(quote!(crate::runtime::http::segment(&self.#f)));
                } else if query_direct(ir, &p.ty) {
                    args.push(quote!(crate::runtime::http::segment(&self.#f.to_string())));
                } else {
                    args.push(quote!(crate::runtime::http::segment(&crate::runtime::http::path_value(&self.#f))));
                }
            }
            None => {
                // A template variable without a parameter: sent literally.
                fmt.pop();
                fmt.pop();
                fmt.push_str(&format!("{{{{{name}}}}}"));
            }
        }
        rest = &rest[start + end + 1..];
    }
    fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
    let path_expr = if args.is_empty() {
        syntax::call("String::from", vec![syntax::lit_str(&fmt)])
    } else {
        syntax::macro_expr("format", quote!(#fmt, #(#args),*))
    };

    let req = || syntax::expr_path("req");
    let op_ref = || syntax::reference(syntax::expr_path(&stat_text));
    let mut req_steps = Vec::new();
    for p in &op.params {
        if p.location == ParamLocation::Path {
            continue;
        }
        let wire = syntax::lit_str(&p.wire);
        // Optional inputs are `Option`s, which the request methods skip when `None`.
        let v = syntax::reference(self_field(&p.rust));
        req_steps.push(match p.location {
            ParamLocation::Header => syntax::stmt(syntax::method_call(req(), "header", vec![wire, v])),
            _ if p.json => {
                let method = if p.required { "query_json" } else { "query_json_opt" };
                syntax::stmt(syntax::try_expr(syntax::method_call(req(), method, vec![op_ref(), wire, v])))
            }
            _ if query_direct(ir, &p.ty) => syntax::stmt(syntax::method_call(req(), "query", vec![wire, v])),
            _ => syntax::stmt(syntax::method_call(req(), "query_serde", vec![wire, v])),
        });
    }
    // A body field this method fixes (`stream: true` for a streaming twin) is set on the
    // caller's body before it is encoded.
    let mut prelude = Vec::new();
    let mut body_ref = syntax::reference(self_field("body"));
    if let (Some(flag), Some(b)) = (&op.body_flag, &op.body) {
        if let Some(f) = body_field(ir, &b.ty, &flag.wire) {
            let fname = ident(&f.rust);
            let v = flag.value;
            let value = match f.presence() {
                Presence::Plain => quote!(#v),
                Presence::Option | Presence::Optional => quote!(Some(#v)),
                Presence::Nullable => quote!(crate::Nullable::Value(#v)),
            };
            let tokens = if b.required {
                quote!(let mut body = self.body; body.#fname = #value;)
            } else {
                quote!(let mut body = self.body; if let Some(b) = &mut body { b.#fname = #value; })
            };
            prelude = syn::Block::parse_within.parse2(tokens)?;
            body_ref = syntax::reference(syntax::expr_path("body"));
        }
    }
    if let Some(b) = &op.body {
        match b.kind {
            BodyKind::Json => {
                let method = if b.required { "json" } else { "json_opt" };
                let encode = syntax::try_expr(syntax::method_call(req(), method, vec![op_ref(), body_ref]));
                req_steps.push(syntax::stmt(syntax::assign(req(), encode)));
            }
            BodyKind::Multipart => req_steps.extend(syn::Block::parse_within.parse2(multipart_step(ir, op, b))?),
        }
    }
    let (output, output_tokens) = match &op.success {
        Success::Json(t) => (syntax::ty(t, Spelling::CRATE), ty(t)),
        Success::Empty => (syntax::unit(), quote!(())),
        Success::Binary => (syntax::named("crate::BinaryResponse"), quote!(crate::BinaryResponse)),
        Success::Sse(t) => {
            let event = syntax::generic("crate::Event", [syntax::ty(t, Spelling::CRATE)]);
            let t = ty(t);
            (syntax::generic("crate::EventStream", [event]), quote!(crate::EventStream<crate::Event<#t>>))
        }
    };
    let sender = match &op.success {
        Success::Json(_) => "crate::runtime::http::send_json",
        _ => "crate::runtime::http::send",
    };

    // The group handle's method.
    let mut attrs = doc_attr_list(Some(&op_docs(op)));
    if let Some(section) = examples.and_then(|e| e.section(op)) {
        // The generator's own Markdown, kept as written (the spec's text is made safe above).
        let lines = std::iter::once(String::new()).chain(section.lines().map(|l| if l.is_empty() { String::new() } else { format!(" {l}") }));
        attrs.extend(super::docs::attr_list(lines.collect()));
    }
    if let Some(note) = &op.deprecated {
        attrs.push(syntax::attr("deprecated", quote!(note = #note)));
    }
    let returns = syntax::generic_with_lifetime(&builder_text, "'c", []);
    let construct = syntax::struct_expr(&builder_text, inits);
    let method = syntax::method_item(attrs, method_ident, params, returns, vec![syntax::tail(construct)]);

    // The builder.
    let operation = {
        let mut lines = vec![format!("{stat_text} = {} {}, {} {},", string(id), string(&op.sdk_name()), op.http_method, string(path_text))];
        for (i, list) in [&security, &errors, &success_statuses].into_iter().enumerate() {
            if i > 0 {
                lines.last_mut().expect("a line").push(',');
            }
            crate::render::layout::push_list(&mut lines, list);
        }
        match &op.stream_end {
            Some(crate::overlay::StreamEndSpec::Sentinel(v)) => lines.last_mut().expect("a line").push_str(&format!(", sentinel {}", string(v))),
            Some(crate::overlay::StreamEndSpec::Events(names)) => {
                lines.last_mut().expect("a line").push_str(", events");
                crate::render::layout::push_list(&mut lines, &names.iter().map(|n| string(n)).collect::<Vec<_>>());
            }
            None => {}
        }
        syntax::mac_text("crate::runtime::operation", lines, false)
    };
    let builder_doc =
        format!(" Request builder for `{}` (operation `{}`): set optional inputs, then `.await` it or call `.send()`.", call_of(op), op.id);
    let builder_attrs = vec![
        syntax::attr_str("doc", &builder_doc),
        syntax::attr("derive", quote!(Debug)),
        syntax::attr_str("must_use", "a request does nothing until it is awaited or sent"),
    ];
    let mut impl_items = Vec::new();
    if !setters.is_empty() {
        impl_items.push(syntax::macro_impl_item(syntax::mac_text("crate::runtime::param_setters", setters, true)));
    }
    impl_items.extend(body_setter);
    impl_items.push(syntax::macro_impl_item(syntax::mac("crate::runtime::request_options", TokenStream::new(), false)));
    // Event streams and downloads are read after the call returns: both get an idle timeout.
    if matches!(op.success, Success::Sse(_) | Success::Binary) {
        impl_items.push(syntax::macro_impl_item(syntax::mac("crate::runtime::stream_options", TokenStream::new(), false)));
    }
    let mutable = !req_steps.is_empty();
    let mut build = vec![syntax::let_stmt("req", mutable, syntax::call("HttpRequest::new", vec![path_expr]))];
    build.extend(req_steps);
    build.push(syntax::tail(syntax::call("Ok", vec![req()])));
    let mut send = prelude;
    send.push(syntax::let_stmt("req", false, syntax::call("crate::runtime::http::build", vec![syntax::closure(build)])));
    send.push(syntax::tail(syntax::call(sender, vec![self_field("client"), op_ref(), req(), self_field("opts")])));
    let pending = syntax::generic_with_lifetime("crate::Pending", "'c", [output]);
    impl_items.push(syntax::method_item(
        vec![syntax::attr_str("doc", " Sends the request."), syntax::attr_word("inline")],
        ident("send"),
        vec![syntax::receiver(false)],
        pending,
        send,
    ));
    let paged = op.pagination.as_ref().map(|p| paging_items(op, p, &output_tokens, &stat)).transpose()?;
    let builder_attrs = if paged.is_some() {
        let mut a = builder_attrs;
        a[1] = syntax::attr("derive", quote!(Debug, Clone));
        a
    } else {
        builder_attrs
    };
    impl_items.extend(paged.into_iter().flatten());
    let allow_dep =
        if op.deprecated.is_some() || op.params.iter().any(|p| p.deprecated) { vec![syntax::attr("allow", quote!(deprecated))] } else { Vec::new() };
    let items = vec![
        syntax::macro_item(Vec::new(), operation),
        syntax::struct_with(builder_attrs, builder.clone(), syntax::lifetime_generics("'c"), fields),
        syntax::impl_with(allow_dep, syntax::lifetime_generics("'c"), syntax::generic_with_lifetime(&builder_text, "'c", []), impl_items),
        syntax::macro_item(Vec::new(), syntax::mac("crate::runtime::into_future", quote!(#builder, #output_tokens), false)),
    ];
    Ok((method, items))
}

/// `pages()` and `items()` of a paginated operation's builder (see `runtime::paginate`).
fn paging_items(op: &Operation, p: &crate::ir::Pagination, page: &TokenStream, stat: &proc_macro2::Ident) -> anyhow::Result<Vec<ImplItem>> {
    let results = ident(&p.results);
    let item = ty(&p.item);
    let rt = quote!(crate::runtime::paginate);
    let (how, pages) = match &p.kind {
        crate::ir::PageKind::Cursor { param, next } => {
            let param_ident = ident(param);
            let next = ident(next);
            let how = format!(
                "The first page is the one this builder names (its `{}`, if set); each next page is asked for with the previous page's `{}`. \
                 The stream ends after a page without a next cursor or without items.",
                crate::names::bare(param),
                crate::names::bare(&next.to_string())
            );
            let body = quote! {
                #rt::cursor(&#stat, self, #rt::Cursor::<Self, #page> {
                    get: |b| b.#param_ident.clone(),
                    set: |b, cursor| b.#param_ident = Some(cursor),
                    count: |p| #rt::PageItems::count(&p.#results),
                    next: |p| #rt::PageCursor::cursor(&p.#next),
                }, Self::send)
            };
            (how, body)
        }
        crate::ir::PageKind::Offset { param, ty: offset_ty } => {
            let param_ident = ident(param);
            let t = ty(offset_ty);
            let how = format!(
                "The first page starts at this builder's `{}` (0 if not set); each next one at the offset moved by the items received. \
                 The stream ends after an empty page.",
                crate::names::bare(param)
            );
            let body = quote! {
                #rt::offset(&#stat, self, #rt::Offset::<Self, #page> {
                    get: |b| b.#param_ident.and_then(|o| u64::try_from(o).ok()),
                    set: |b, offset| b.#param_ident = Some(<#t>::try_from(offset).unwrap_or(<#t>::MAX)),
                    count: |p| #rt::PageItems::count(&p.#results),
                    same: |a, b| a.#results == b.#results,
                }, Self::send)
            };
            (how, body)
        }
    };
    let pages_doc = format!(
        " Every page of the list, as a stream that asks for a page when the previous one has been read. {how} \
         An error ends the stream after it is yielded; a server that repeats a cursor, or sends the same items for a new offset, \
         is an [`Error::Pagination`](crate::Error::Pagination) rather than an endless loop. Call `{}` for one page.",
        call_of(op)
    );
    let items_doc = format!(" Every item of every page (the pages' `{}`), as [`pages`](Self::pages) fetches them.", crate::names::bare(&p.results));
    Ok(vec![
        syn::parse2(quote! {
            #[doc = #pages_doc]
            pub fn pages(self) -> #rt::Pages<'c, #page> { #pages }
        })?,
        syn::parse2(quote! {
            #[doc = #items_doc]
            pub fn items(self) -> #rt::Items<'c, #item> {
                self.pages().items(|p| #rt::PageItems::into_items(p.#results))
            }
        })?,
    ])
}

fn multipart_step(ir: &Ir, op: &Operation, b: &Body) -> TokenStream {
    let fields: Vec<Field> = match &b.ty {
        TypeRef::Named(n) => match ir.find(n).map(|d| &d.kind) {
            Some(TypeKind::Struct(s)) => s.fields.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let id = &op.id;
    let parts = fields.iter().map(|f| {
        let name = ident(&f.rust);
        let wire = &f.wire;
        let is_file = matches!(&f.ty, TypeRef::File)
            || matches!(&f.ty, TypeRef::Named(n) if matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Alias(TypeRef::File))));
        if is_file {
            match f.presence() {
                Presence::Plain => quote!(form = form.part(#wire, b.#name.to_part(#id)?);),
                Presence::Option | Presence::Optional => quote!(if let Some(p) = &b.#name { form = form.part(#wire, p.to_part(#id)?); }),
                Presence::Nullable => quote!(if let crate::Nullable::Value(p) = &b.#name { form = form.part(#wire, p.to_part(#id)?); }),
            }
        } else {
            quote!(form = crate::runtime::multipart::form_field(form, #id, #wire, &b.#name)?;)
        }
    });
    let body_ref = if b.required { quote!(self.body) } else { quote!(self.body.unwrap_or_default()) };
    quote! {
        let body = std::sync::Arc::new(#body_ref);
        req.body = crate::runtime::http::RequestBody::Multipart(std::sync::Arc::new(move || {
            let b = &*body;
            let mut form = reqwest::multipart::Form::new();
            #(#parts)*
            Ok(form)
        }));
    }
}

/// `src/errors.rs`: the typed error bodies the spec declares and their decoders.
pub fn render_errors(ir: &Ir) -> TokenStream {
    // Each body, with the features of the operations that declare it: the variant and its
    // decoder compile with them.
    let mut types: BTreeMap<String, (TypeRef, BTreeSet<String>)> = BTreeMap::new();
    for op in &ir.operations {
        for e in &op.errors {
            if let Some(t) = &e.ty {
                types.entry(error_variant(t)).or_insert_with(|| (t.clone(), BTreeSet::new())).1.insert(op.feature.clone());
            }
        }
    }
    let gate = |features: &BTreeSet<String>| super::gate::cfg(ir, &features.iter().cloned().collect::<Vec<_>>());
    let variants = types.iter().map(|(v, (t, features))| {
        let vi = format_ident!("{}", v);
        let tt = ty(t);
        let d = format!(" A `{}` error body.", t.rust());
        let gate = gate(features);
        quote!(#[doc = #d] #gate #vi(#tt),)
    });
    let decoders = types.iter().map(|(v, (t, features))| {
        let vi = format_ident!("{}", v);
        let tt = ty(t);
        let name = decoder_name(t);
        let gate = gate(features);
        quote! {
            #gate
            pub(crate) fn #name(body: &[u8]) -> Result<ErrorBody, serde_json::Error> {
                crate::runtime::http::decode_error::<#tt>(body).map(ErrorBody::#vi)
            }
        }
    });
    quote! {
        //! Error bodies the spec declares, as one enum (see `ApiError::error`).

        /// A typed error body.
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum ErrorBody {
            #(#variants)*
        }

        #(#decoders)*
    }
}

/// The field of a JSON body's struct type with this wire name.
pub(crate) fn body_field<'a>(ir: &'a Ir, ty: &TypeRef, wire: &str) -> Option<&'a Field> {
    let TypeRef::Named(n) = ty else { return None };
    match &ir.find(n)?.kind {
        TypeKind::Struct(s) => s.fields.iter().find(|f| f.wire == wire),
        _ => None,
    }
}

/// A provider client's module (`src/<name>/mod.rs`): a `Client` wrapping the main client with
/// the provider's routing, and one handle per group holding only the methods the provider
/// serves. Each method is the main group's, with the same signature and docs, returning the
/// same request builder: one set of builders, streams and errors for every provider.
pub fn render_provider(ir: &Ir, p: &crate::ir::ProviderClient) -> anyhow::Result<syn::File> {
    let calls: Vec<String> = p.groups.iter().flat_map(|(_, ops)| ops.iter().map(|&i| format!("`{}`", call_of(&ir.operations[i])))).collect();
    let mut doc = format!(
        " Mistral's models on {}: a [`Client`] serving {}, with the request and response types, builders, streams and errors of the main client.",
        p.title,
        calls.join(", ")
    );
    if let Some(more) = &p.docs {
        doc.push_str("\n\n");
        doc.push_str(more.trim_end());
    }
    let mut items: Vec<Item> = vec![
        syn::parse_quote!(
            mod provider;
        ),
        syn::parse_quote!(
            pub use provider::*;
        ),
    ];
    let (ids, paths): (Vec<&str>, Vec<&str>) = p.paths.iter().map(|(id, path)| (id.as_str(), path.as_str())).unzip();
    items.push(syn::parse_quote! {
        /// The provider's own path of an operation (by operation id), where it differs from the
        /// spec's (the overlay's `paths:`).
        #[allow(dead_code)]
        pub(crate) const PATHS: &[(&str, &str)] = &[#((#ids, #paths)),*];
    });
    let client_doc = format!(" A client for Mistral's models on {}. Cheap to clone; build it with [`Client::builder`].", p.title);
    items.push(syn::parse_quote! {
        #[doc = #client_doc]
        #[derive(Debug, Clone)]
        pub struct Client {
            pub(crate) client: crate::Client,
        }
    });
    let accessors = p.groups.iter().map(|(group, _)| {
        let a = accessor(group);
        let h = handle_name(group);
        let doc = format!(" The `{group}` operations {} serves.", p.title);
        quote!(#[doc = #doc] pub fn #a(&self) -> #h<'_> { #h { client: &self.client } })
    });
    items.push(syn::parse_quote! {
        impl Client {
            /// The base URL calls go to.
            pub fn base_url(&self) -> &str {
                self.client.base_url()
            }
            #(#accessors)*
        }
    });
    for (group, ops) in &p.groups {
        let h = handle_name(group);
        let m = format_ident!("{}", module_name(group));
        let doc = format!(" The `{group}` operations {} serves: get it with `client.{}()`.", p.title, names::bare(&names::field_name(group)));
        items.push(syn::parse_quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy)]
            pub struct #h<'c> {
                client: &'c crate::Client,
            }
        });
        let mut methods = Vec::new();
        for &i in ops {
            let op = &ir.operations[i];
            let (ImplItem::Fn(mut f), _) = render_op(ir, op, None)? else { anyhow::bail!("{}: the method is not a function", op.id) };
            let args: Vec<syn::Ident> = f
                .sig
                .inputs
                .iter()
                .filter_map(|a| match a {
                    syn::FnArg::Typed(t) => match &*t.pat {
                        syn::Pat::Ident(id) => Some(id.ident.clone()),
                        _ => None,
                    },
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            let name = &f.sig.ident;
            let builder = builder_name(op);
            f.sig.output = syn::parse_quote!(-> crate::api::#m::#builder<'c>);
            f.block = syn::parse_quote!({ crate::api::#m::#h { client: self.client }.#name(#(#args),*) });
            methods.push(ImplItem::Fn(f));
        }
        let self_ty = syntax::generic_with_lifetime(&h.to_string(), "'c", []);
        items.push(syntax::impl_with(Vec::new(), syntax::lifetime_generics("'c"), self_ty, methods));
    }
    let attrs = doc.lines().map(|l| syntax::inner_doc(&if l.is_empty() || l.starts_with(' ') { l.to_string() } else { format!(" {l}") })).collect();
    Ok(syn::File { shebang: None, attrs, items })
}
