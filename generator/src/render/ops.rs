//! Renders operations: one module per API group with a handle struct (`client.beta().connectors()`),
//! a request builder per operation (required inputs positional, optional ones setters, per-call
//! options, awaited directly or with `.send()`), the typed error enum, and the client accessors.

use super::models::{doc_attrs, ident, inline_doc_attrs, qualified_ty as ty};
use crate::ir::*;
use crate::names;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::{BTreeMap, BTreeSet};

/// A node of the group tree.
#[derive(Default)]
pub struct Group<'a> {
    pub children: BTreeSet<String>,
    pub ops: Vec<&'a Operation>,
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
const PRELUDE: &[&str] = &["Default", "Option", "Result", "Some", "None", "Ok", "Err", "Vec", "String", "Box", "Send", "Sync", "Sized", "Clone", "Copy", "Drop", "Fn", "Iterator", "ToString", "From", "Into"];

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

/// Renders one group module.
pub fn render_group(ir: &Ir, path: &[String], group: &Group) -> TokenStream {
    let child_mods = group.children.iter().map(|c| {
        let m = format_ident!("{}", module_name(c));
        quote!(pub mod #m;)
    });
    let child_accessors = group.children.iter().map(|c| {
        let m = format_ident!("{}", module_name(c));
        let h = handle_name(c);
        let a = accessor(c);
        let doc = format!(" The `{}` operations.", path.iter().chain(std::iter::once(c)).cloned().collect::<Vec<_>>().join("."));
        quote! {
            #[doc = #doc]
            pub fn #a(&self) -> #m::#h<'c> { #m::#h { client: self.client } }
        }
    });
    let child_accessors: Vec<TokenStream> = if path.is_empty() {
        group
            .children
            .iter()
            .map(|c| {
                let m = format_ident!("{}", module_name(c));
                let h = handle_name(c);
                let a = accessor(c);
                let doc = format!(" The `{c}` operations.");
                quote! {
                    #[doc = #doc]
                    pub fn #a(&self) -> #m::#h<'_> { #m::#h { client: self } }
                }
            })
            .collect()
    } else {
        child_accessors.collect()
    };
    let mut methods = Vec::new();
    let mut items = Vec::new();
    for op in &group.ops {
        let (m, i) = render_op(ir, op);
        methods.push(m);
        items.push(i);
    }
    let body = if path.is_empty() {
        // The root: accessors on the client itself.
        quote! {
            impl crate::Client {
                #(#child_accessors)*
                #(#methods)*
            }
        }
    } else {
        let h = handle_name(path.last().unwrap());
        let doc = format!(" The `{}` operations: get it with `client.{}()`.", path.join("."), path.iter().map(|s| names::bare(&names::field_name(s)).to_string()).collect::<Vec<_>>().join("().") );
        quote! {
            #[doc = #doc]
            #[derive(Debug, Clone, Copy)]
            pub struct #h<'c> {
                pub(crate) client: &'c crate::Client,
            }
            impl<'c> #h<'c> {
                #(#child_accessors)*
                #(#methods)*
            }
        }
    };
    let uses = if group.ops.is_empty() {
        TokenStream::new()
    } else {
        quote! {
            use crate::runtime::http::HttpRequest;
        }
    };
    let doc = if path.is_empty() {
        quote!(#![doc = " API groups and operations. Start from [`Client`](crate::Client): `client.chat().complete(…)`."])
    } else {
        let d = format!(" The `{}` group.", path.join("."));
        quote!(#![doc = #d])
    };
    quote! {
        #doc
        #uses
        #(#child_mods)*
        #body
        #(#items)*
    }
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
            "Sends `{}: {}` (whatever the body says) and returns the server-sent events as a typed stream, which ends at the server's `[DONE]`.",
            f.wire, f.value
        )),
        (Some(f), _) => parts.push(format!(
            "Sends `{}: {}` (whatever the body says) and returns one JSON body; the group's streaming method sends the same request for server-sent events.",
            f.wire, f.value
        )),
        _ => {}
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

/// Renders one operation: the handle method (returned) and the builder items.
fn render_op(ir: &Ir, op: &Operation) -> (TokenStream, TokenStream) {
    let builder = builder_name(op);
    let stat = static_name(op);
    let method_ident = ident(&op.method);
    let id = &op.id;
    let http_method = format_ident!("{}", op.http_method);
    let path_text = &op.path;
    let security = op.security.iter().map(|s| match s {
        SecurityScheme::Bearer(name) if name.to_ascii_lowercase().contains("admin") => quote!(AdminApiKey),
        SecurityScheme::Bearer(_) => quote!(ApiKey),
        SecurityScheme::Header { header, .. } => quote!(UserContextApiKey(#header)),
    });
    let errors = op.errors.iter().filter_map(|e| {
        let t = e.ty.as_ref()?;
        let d = decoder_name(t);
        let s = e.status;
        Some(quote!((#s, crate::errors::#d)))
    });
    let success_statuses = &op.success_statuses;

    // Inputs.
    let mut fields = Vec::new();
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut setters = Vec::new();
    for p in &op.params {
        let f = ident(&p.rust);
        let t = ty(&p.ty);
        if p.required {
            fields.push(quote!(#f: #t,));
            params.push(quote!(#f: impl Into<#t>));
            inits.push(quote!(#f: #f.into(),));
        } else {
            fields.push(quote!(#f: Option<#t>,));
            inits.push(quote!(#f: None,));
            let mut d = p.docs.clone().unwrap_or_default();
            if !d.is_empty() {
                d.push_str("\n\n");
            }
            d.push_str(&format!("The `{}` {} parameter.", p.wire, match p.location {
                ParamLocation::Query => "query",
                ParamLocation::Header => "header",
                ParamLocation::Path => "path",
                ParamLocation::Cookie => "cookie",
            }));
            let docs = inline_doc_attrs(Some(&d));
            let dep = if p.deprecated { quote!(#[deprecated]) } else { TokenStream::new() };
            setters.push(quote!(#docs #dep #f: #t));
        }
    }
    let mut body_setter = TokenStream::new();
    if let Some(b) = &op.body {
        let t = ty(&b.ty);
        if b.required {
            fields.push(quote!(body: #t,));
            params.push(quote!(body: #t));
            inits.push(quote!(body,));
        } else {
            fields.push(quote!(body: Option<#t>,));
            inits.push(quote!(body: None,));
            body_setter = quote! {
                /// The request body (optional for this operation).
                pub fn body(mut self, value: #t) -> Self { self.body = Some(value); self }
            };
        }
    }

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
    let path_expr = if args.is_empty() { quote!(String::from(#fmt)) } else { quote!(format!(#fmt, #(#args),*)) };

    let mut req_steps = Vec::new();
    for p in &op.params {
        if p.location == ParamLocation::Path {
            continue;
        }
        let f = ident(&p.rust);
        let wire = &p.wire;
        let push = |v: TokenStream, required: bool| -> TokenStream {
            match p.location {
                ParamLocation::Header => quote!(req.header(#wire, #v);),
                _ if p.json && required => quote!(req.query_json(&#stat, #wire, #v)?;),
                _ if p.json => quote!(req.query_json_opt(&#stat, #wire, #v)?;),
                _ if query_direct(ir, &p.ty) => quote!(req.query(#wire, #v);),
                _ => quote!(req.query_serde(#wire, #v);),
            }
        };
        // Optional inputs are `Option`s, which the request methods skip when `None`.
        req_steps.push(push(quote!(&self.#f), p.required));
    }
    // A body field this method fixes (`stream: true` for a streaming twin) is set on the
    // caller's body before it is encoded.
    let mut prelude = TokenStream::new();
    let mut body_ref = quote!(&self.body);
    if let (Some(flag), Some(b)) = (&op.body_flag, &op.body) {
        if let Some(f) = body_field(ir, &b.ty, &flag.wire) {
            let fname = ident(&f.rust);
            let v = flag.value;
            let value = match f.presence() {
                Presence::Plain => quote!(#v),
                Presence::Option | Presence::Optional => quote!(Some(#v)),
                Presence::Nullable => quote!(crate::Nullable::Value(#v)),
            };
            prelude = if b.required {
                quote!(let mut body = self.body; body.#fname = #value;)
            } else {
                quote!(let mut body = self.body; if let Some(b) = &mut body { b.#fname = #value; })
            };
            body_ref = quote!(&body);
        }
    }
    if let Some(b) = &op.body {
        match b.kind {
            BodyKind::Json => {
                if b.required {
                    req_steps.push(quote!(req = req.json(&#stat, #body_ref)?;));
                } else {
                    req_steps.push(quote!(req = req.json_opt(&#stat, #body_ref)?;));
                }
            }
            BodyKind::Multipart => req_steps.push(multipart_step(ir, op, b)),
        }
    }
    let output = match &op.success {
        Success::Json(t) => ty(t),
        Success::Empty => quote!(()),
        Success::Binary => quote!(crate::BinaryResponse),
        Success::Sse(t) => {
            let t = ty(t);
            quote!(crate::EventStream<crate::Event<#t>>)
        }
    };
    let sender = match &op.success {
        Success::Json(_) => quote!(crate::runtime::http::send_json),
        _ => quote!(crate::runtime::http::send),
    };
    let docs = doc_attrs(Some(&op_docs(op)));
    let deprecated = match &op.deprecated {
        Some(note) => quote!(#[deprecated(note = #note)]),
        None => TokenStream::new(),
    };
    let builder_doc = format!(" Request builder for `{}`: set optional inputs, then `.await` it or call `.send()`.", op.id);
    let mutable = if req_steps.is_empty() { TokenStream::new() } else { quote!(mut) };
    let allow_dep = if op.deprecated.is_some() || op.params.iter().any(|p| p.deprecated) { quote!(#[allow(deprecated)]) } else { TokenStream::new() };
    let stream_options = if matches!(op.success, Success::Sse(_)) { quote!(crate::runtime::stream_options!();) } else { TokenStream::new() };
    let param_setters = if setters.is_empty() { TokenStream::new() } else { quote!(crate::runtime::param_setters! { #(#setters),* }) };
    let method = quote! {
        #docs
        #deprecated
        pub fn #method_ident(&self, #(#params),*) -> #builder<'c> {
            #builder { client: self.client, #(#inits)* opts: Default::default() }
        }
    };
    let items = quote! {
        crate::runtime::operation!(#stat = #id, #http_method #path_text, [#(#security),*], [#(#errors),*], [#(#success_statuses),*]);

        #[doc = #builder_doc]
        #[derive(Debug)]
        #[must_use = "a request does nothing until it is awaited or sent"]
        pub struct #builder<'c> {
            client: &'c crate::Client,
            #(#fields)*
            opts: crate::runtime::http::RequestOptions,
        }

        #allow_dep
        impl<'c> #builder<'c> {
            #param_setters
            #body_setter
            crate::runtime::request_options!();
            #stream_options

            /// Sends the request.
            pub fn send(self) -> crate::runtime::http::Pending<'c, #output> {
                #prelude
                let req = crate::runtime::http::build(|| {
                    let #mutable req = HttpRequest::new(#path_expr);
                    #(#req_steps)*
                    Ok(req)
                });
                #sender(self.client, &#stat, req, self.opts)
            }
        }

        crate::runtime::into_future!(#builder, #output);
    };
    (method, items)
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
        let is_file = matches!(&f.ty, TypeRef::File) || matches!(&f.ty, TypeRef::Named(n) if matches!(ir.find(n).map(|d| &d.kind), Some(TypeKind::Alias(TypeRef::File))));
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
    let mut types: BTreeMap<String, TypeRef> = BTreeMap::new();
    for op in &ir.operations {
        for e in &op.errors {
            if let Some(t) = &e.ty {
                types.insert(error_variant(t), t.clone());
            }
        }
    }
    let variants = types.iter().map(|(v, t)| {
        let vi = format_ident!("{}", v);
        let tt = ty(t);
        let d = format!(" A `{}` error body.", t.rust());
        quote!(#[doc = #d] #vi(#tt),)
    });
    let decoders = types.iter().map(|(v, t)| {
        let vi = format_ident!("{}", v);
        let tt = ty(t);
        let name = decoder_name(t);
        quote! {
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
