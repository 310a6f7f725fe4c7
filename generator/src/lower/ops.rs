//! Lowering of operations: method names (overlay, else derived), parameters, bodies, responses,
//! errors and security.

use super::{AsNode, Lowerer, Node};
use crate::diag::child;
use crate::fast::{HashMap, HashSet};
use crate::ir::*;
use crate::names;
use openapiv3::{Parameter, ParameterSchemaOrContent, ReferenceOr, StatusCode};

/// Names a builder's own methods use; parameters get another name when they clash.
const RESERVED: &[&str] = &["send", "into_future", "timeout", "retry", "header", "server_url", "idle_timeout", "client", "opts", "body", "new"];

/// The `{name}`s of a path template, in order.
pub(crate) fn template_names(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else { break };
        out.push(&rest[open + 1..open + len]);
        rest = &rest[open + len + 1..];
    }
    out
}

/// What the operations seen so far have taken or used, to report clashes and unused overlay
/// entries.
#[derive(Default)]
struct Seen {
    /// operationId → where it is first written.
    ids: HashMap<String, String>,
    /// (group, method) pairs taken.
    methods: HashSet<(Vec<String>, String)>,
    /// Overlay `operations` and `streams` entries that matched an operation.
    overlay: HashSet<String>,
    streams: HashSet<String>,
}

/// See [`Lowerer::responses`].
struct Responses {
    success: Success,
    success_statuses: Vec<u16>,
    errors: Vec<ErrorResponse>,
    twin_events: Option<TypeRef>,
}

impl<'a> Lowerer<'a> {
    /// Path parameters and the path template agree: a declared path parameter the template
    /// lacks is dropped, a template name without a declaration becomes a required string
    /// parameter; both are reported.
    fn match_path_template(&mut self, path: &str, ptr: &str, params: &mut Vec<Param>, taken: &mut HashSet<String>) {
        let names = template_names(path);
        params.retain(|p| {
            let keep = p.location != ParamLocation::Path || names.contains(&p.wire.as_str());
            if !keep {
                self.diags.warn(child(ptr, "parameters"), format!("path parameter `{}` does not appear in the path `{path}`; ignored", p.wire));
            }
            keep
        });
        for name in names {
            if !params.iter().any(|p| p.location == ParamLocation::Path && p.wire == name) {
                self.diags.warn(
                    ptr,
                    format!("the path has `{{{name}}}` but no path parameter `{name}` is defined; it becomes a required string parameter"),
                );
                params.push(Param {
                    wire: name.to_string(),
                    rust: names::unique(names::field_name(name), taken),
                    location: ParamLocation::Path,
                    required: true,
                    ty: TypeRef::String,
                    json: false,
                    docs: None,
                    deprecated: false,
                    format: None,
                });
            }
        }
    }

    pub(crate) fn operations(&mut self) -> Vec<Operation> {
        let api = self.api;
        let mut out = Vec::new();
        let mut seen = Seen::default();
        for (key, item) in &api.paths.paths {
            let ReferenceOr::Item(item) = item else {
                self.diags.warn(child("#/paths", key), "path item `$ref`s are not supported; skipped");
                continue;
            };
            let path = key.split('#').next().unwrap_or_default().to_string();
            for (method, op) in item.iter() {
                let ptr = child(&child("#/paths", key), method);
                let id = self.operation_id(op, method, &path, &ptr, &mut seen.ids);
                let (group, name) = self.method_name(&id, op, method, &path, &ptr, &mut seen);
                let hint = format!("{}{}", group.last().map(|g| names::pascal(g)).unwrap_or_default(), names::pascal(&name));

                let params = self.parameters(item, op, key, &ptr, &path, &hint);

                let body = self.request_body(op, &ptr, &hint);

                let stream_spec = self.overlay.streams.get(&id);
                let Responses { success, success_statuses, errors, twin_events } = self.responses(op, &ptr, &hint, &id, stream_spec.is_some());

                let security = self.security(op, &ptr);

                let deprecated = op.deprecated.then(|| {
                    op.extensions
                        .get("x-speakeasy-deprecation-message")
                        .and_then(|v| v.as_str())
                        .map(String::from)
                        .unwrap_or_else(|| "deprecated by the API".to_string())
                });
                let twin = stream_spec.and_then(|spec| self.stream_events(&id, spec, twin_events, &hint, &mut seen).map(|t| (spec, t)));
                let body_flag = twin.as_ref().map(|(spec, _)| BodyFlag { wire: spec.flag.clone(), value: false });
                let op_index = out.len();
                out.push(Operation {
                    id,
                    http_method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    path_key: key.clone(),
                    group,
                    method: name,
                    feature: String::new(),
                    summary: op.summary.clone(),
                    description: op.description.clone(),
                    deprecated,
                    params,
                    body,
                    success,
                    success_statuses,
                    errors,
                    security,
                    body_flag,
                    pagination: None,
                    stream_end: None,
                });
                if let Some((spec, events)) = twin {
                    let mut parts: Vec<String> = spec.method.split('.').map(String::from).collect();
                    let mut name = names::field_name(&parts.pop().unwrap_or_default());
                    if name.starts_with("r#") || RESERVED.contains(&name.as_str()) {
                        name = format!("{}_", names::bare(&name));
                    }
                    let mut stream_op = out[op_index].clone();
                    if !seen.methods.insert((parts.clone(), name.clone())) {
                        self.diags.warn(
                            child("spec/overlay.yaml#/streams", &stream_op.id),
                            format!("`{}` is already a method; no streaming method", spec.method),
                        );
                        // Without a twin, the JSON method leaves the flag to the caller again.
                        out[op_index].body_flag = None;
                        continue;
                    }
                    stream_op.group = parts;
                    stream_op.method = name;
                    stream_op.success = Success::Sse(events);
                    stream_op.body_flag = Some(BodyFlag { wire: spec.flag.clone(), value: true });
                    out.push(stream_op);
                }
            }
        }
        for (id, entry) in &self.overlay.stream_ends {
            let at = child("spec/overlay.yaml#/stream_ends", id);
            let end = match (&entry.sentinel, &entry.events) {
                (Some(s), None) => crate::overlay::StreamEndSpec::Sentinel(s.clone()),
                (None, Some(names)) if !names.is_empty() => crate::overlay::StreamEndSpec::Events(names.clone()),
                _ => {
                    self.diags.warn(at, "give either `sentinel: TEXT` or `events: [NAME, …]`; left out");
                    continue;
                }
            };
            let mut found = false;
            let mut streams = false;
            for op in out.iter_mut().filter(|op| op.id == *id) {
                found = true;
                if matches!(op.success, Success::Sse(_)) {
                    streams = true;
                    op.stream_end = Some(end.clone());
                }
            }
            match (found, streams) {
                (false, _) => self.diags.warn(at, format!("`{id}` is not an operation of the spec")),
                (true, false) => self.diags.warn(at, format!("`{id}` has no event stream; its end is left out")),
                _ => {}
            }
        }
        for id in self.overlay.streams.keys() {
            if !seen.streams.contains(id) {
                self.diags.warn("spec/overlay.yaml#/streams", format!("`{id}` is not an operation of the spec"));
            }
        }
        for id in self.overlay.operations.keys() {
            if !seen.overlay.contains(id) {
                self.diags.warn("spec/overlay.yaml#/operations", format!("`{id}` is not an operation of the spec"));
            }
        }
        out
    }

    /// The operationId, or one derived from the method and path; a repeated id is reported.
    fn operation_id(&mut self, op: &openapiv3::Operation, method: &str, path: &str, ptr: &str, ids: &mut HashMap<String, String>) -> String {
        let id = op.operation_id.clone().unwrap_or_else(|| {
            let derived = format!("{method}{}", path.replace(['/', '{', '}', '-', '.'], "_"));
            self.diags.warn(ptr, format!("no operationId; using `{derived}`"));
            derived
        });
        if let Some(first) = ids.get(&id) {
            self.diags
                .warn(ptr, format!("operationId `{id}` is also used by {first}; operationIds must be unique (overlay entries for it apply to both)"));
        } else {
            ids.insert(id.clone(), ptr.to_string());
        }
        id
    }

    /// The group path and method name: the overlay's, else derived from the first tag and the
    /// path (reported); made a free identifier in its group.
    fn method_name(&mut self, id: &str, op: &openapiv3::Operation, method: &str, path: &str, ptr: &str, seen: &mut Seen) -> (Vec<String>, String) {
        let (group, mut name) = match self.overlay.operations.get(id) {
            Some(full) => {
                seen.overlay.insert(id.to_string());
                let mut parts: Vec<String> = full.split('.').map(String::from).collect();
                let m = parts.pop().unwrap_or_default();
                (parts, m)
            }
            None => {
                let group: Vec<String> = op
                    .tags
                    .first()
                    .map(|t| t.split('.').map(|s| names::field_name(s).trim_start_matches("r#").to_string()).collect())
                    .unwrap_or_else(|| vec!["default".to_string()]);
                let name = derive_method_name(method, path);
                self.diags.warn(ptr, format!("`{id}` has no method name in spec/overlay.yaml; derived `{}.{name}`", group.join(".")));
                (group, name)
            }
        };
        name = names::field_name(&name);
        if name.starts_with("r#") || RESERVED.contains(&name.as_str()) {
            name = format!("{}_", names::bare(&name));
        }
        if !seen.methods.insert((group.clone(), name.clone())) {
            let mut unique = format!("{name}_{method}");
            let mut n = 2;
            while !seen.methods.insert((group.clone(), unique.clone())) {
                unique = format!("{name}_{method}_{n}");
                n += 1;
            }
            self.diags.warn(ptr, format!("method `{}.{name}` is taken; `{id}` becomes `{unique}`", group.join(".")));
            name = unique;
        }
        (group, name)
    }

    /// The parameters: path-level first, then the operation's (which override by name and
    /// location), checked against the path template; cookies are dropped (reported).
    fn parameters(
        &mut self,
        item: &'a openapiv3::PathItem,
        op: &'a openapiv3::Operation,
        key: &str,
        ptr: &str,
        path: &str,
        hint: &str,
    ) -> Vec<Param> {
        // Parameters: path-level first, then the operation's (which override by name+in).
        let mut params: Vec<Param> = Vec::new();
        let mut taken_params: HashSet<String> = RESERVED.iter().map(|s| s.to_string()).collect();
        let path_level = child(&child("#/paths", key), "parameters");
        let op_level = child(ptr, "parameters");
        let all = item
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| (p, &path_level, i))
            .chain(op.parameters.iter().enumerate().map(|(i, p)| (p, &op_level, i)));
        let mut seen: HashSet<(String, String, ParamLocation)> = HashSet::default();
        for (p, base, i) in all {
            let pptr = format!("{base}/{i}");
            let Some(p) = self.resolve_param(p, &pptr) else { continue };
            let (data, location) = match p {
                Parameter::Query { parameter_data, .. } => (parameter_data, ParamLocation::Query),
                Parameter::Header { parameter_data, .. } => (parameter_data, ParamLocation::Header),
                Parameter::Path { parameter_data, .. } => (parameter_data, ParamLocation::Path),
                Parameter::Cookie { parameter_data, .. } => (parameter_data, ParamLocation::Cookie),
            };
            let phint = [hint, &names::pascal(&data.name)].concat();
            let format = match &data.format {
                ParameterSchemaOrContent::Schema(ReferenceOr::Item(s)) => match &s.schema_kind {
                    openapiv3::SchemaKind::Type(openapiv3::Type::String(st)) => match &st.format {
                        openapiv3::VariantOrUnknownOrEmpty::Item(i) => serde_json::to_value(i).ok().and_then(|v| v.as_str().map(String::from)),
                        openapiv3::VariantOrUnknownOrEmpty::Unknown(u) => Some(u.clone()),
                        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
                    },
                    _ => None,
                },
                _ => None,
            };
            let (ty, json) = match &data.format {
                ParameterSchemaOrContent::Schema(s) => (self.type_of(s, &phint, &child(&pptr, "schema")).0, false),
                ParameterSchemaOrContent::Content(content) => match content.iter().next() {
                    Some((media, mt)) => match &mt.schema {
                        Some(s) => {
                            let sp = child(&child(&child(&pptr, "content"), media), "schema");
                            (self.type_of(s, &phint, &sp).0, true)
                        }
                        None => (TypeRef::Any, true),
                    },
                    None => (TypeRef::Any, true),
                },
            };
            if !seen.insert((base.clone(), data.name.clone(), location)) {
                self.diags.warn(
                    &pptr,
                    format!(
                        "parameter `{}` (in: {}) is defined twice here; the later definition is used",
                        data.name,
                        format!("{location:?}").to_lowercase()
                    ),
                );
            }
            params.retain(|q: &Param| !(q.wire == data.name && q.location == location));
            let rust = names::unique(names::field_name(&data.name), &mut taken_params);
            params.push(Param {
                wire: data.name.clone(),
                rust,
                location,
                required: data.required || location == ParamLocation::Path,
                ty,
                json,
                docs: data.description.clone(),
                deprecated: data.deprecated.unwrap_or(false),
                format,
            });
        }
        self.match_path_template(path, ptr, &mut params, &mut taken_params);
        if params.iter().any(|p| p.location == ParamLocation::Cookie) {
            self.diags.warn(ptr, "cookie parameters are not sent by the SDK");
            params.retain(|p| p.location != ParamLocation::Cookie);
        }

        params
    }

    /// The request body: JSON, else multipart, else the first media type (sent as JSON, reported).
    fn request_body(&mut self, op: &'a openapiv3::Operation, ptr: &str, hint: &str) -> Option<Body> {
        let api = self.api;
        // Body.
        op.request_body.as_ref().and_then(|rb| {
            let rb = match rb {
                ReferenceOr::Item(rb) => rb,
                ReferenceOr::Reference { reference } => {
                    let name = reference.strip_prefix("#/components/requestBodies/")?;
                    match api.components.as_ref()?.request_bodies.get(name)? {
                        ReferenceOr::Item(rb) => rb,
                        ReferenceOr::Reference { .. } => return None,
                    }
                }
            };
            let (media, mt) = rb
                .content
                .iter()
                .find(|(m, _)| m.starts_with("application/json"))
                .or_else(|| rb.content.iter().find(|(m, _)| m.starts_with("multipart/form-data")))
                .or_else(|| rb.content.iter().next())?;
            let kind = if media.starts_with("multipart/form-data") {
                BodyKind::Multipart
            } else {
                if !media.starts_with("application/json") {
                    self.diags.warn(child(ptr, "requestBody"), format!("request media type `{media}` is sent as JSON"));
                }
                BodyKind::Json
            };
            let ty = match &mt.schema {
                Some(s) => {
                    let sp = child(&child(&child(&child(ptr, "requestBody"), "content"), media), "schema");
                    self.type_of(s, &[hint, "Body"].concat(), &sp).0
                }
                None => TypeRef::Any,
            };
            Some(Body { kind, ty, required: rb.required, docs: rb.description.clone() })
        })
    }

    /// The responses: the first success response's body (JSON, events, bytes or none), every
    /// success status, the error bodies, and the events of a JSON operation's streaming twin.
    fn responses(&mut self, op: &'a openapiv3::Operation, ptr: &str, hint: &str, id: &str, has_twin: bool) -> Responses {
        let api = self.api;
        // Responses.
        let mut success = None;
        let mut success_statuses = Vec::new();
        let mut errors = Vec::new();
        // The events of an operation that can also answer JSON (overlay `streams`).
        let mut twin_events: Option<TypeRef> = None;
        let responses =
            op.responses.responses.iter().map(|(s, r)| (status_of(s), r)).chain(op.responses.default.iter().map(|r| ((0, "default".to_string()), r)));
        for ((code, text), r) in responses {
            let rptr = child(&child(ptr, "responses"), &text);
            let r = match r {
                ReferenceOr::Item(r) => r,
                ReferenceOr::Reference { reference } => {
                    let Some(r) = reference
                        .strip_prefix("#/components/responses/")
                        .and_then(|n| api.components.as_ref()?.responses.get(n))
                        .and_then(|r| r.as_item())
                    else {
                        self.diags.warn(&rptr, format!("`{reference}` does not resolve; response ignored"));
                        continue;
                    };
                    r
                }
            };
            let json = r.content.iter().find(|(m, _)| m.starts_with("application/json"));
            let sse = r.content.iter().find(|(m, _)| m.starts_with("text/event-stream"));
            let is_success = (200..300).contains(&code) || code == 2;
            if is_success {
                success_statuses.push(code);
                if success.is_some() {
                    continue;
                }
                if let (Some(_), Some((media, mt))) = (json, sse) {
                    let sp = child(&child(&child(&rptr, "content"), media), "schema");
                    if has_twin {
                        twin_events = Some(self.sse_data_type(mt.schema.as_ref(), &[hint, "Event"].concat(), &sp));
                    } else {
                        self.diags.warn(
                            child(&rptr, "content"),
                            format!("`{id}` answers JSON or server-sent events; only the JSON form gets a method (name a streaming twin under `streams` in spec/overlay.yaml)"),
                        );
                    }
                }
                let suffix = if code == 200 || code == 2 { "Response".to_string() } else { format!("Response{code}") };
                success = Some(match (json, sse) {
                    (Some((media, mt)), _) => match &mt.schema {
                        Some(s) => {
                            let sp = child(&child(&child(&rptr, "content"), media), "schema");
                            Success::Json(self.type_of(s, &[hint, suffix.as_str()].concat(), &sp).0)
                        }
                        None => Success::Json(TypeRef::Any),
                    },
                    (None, Some((media, mt))) => {
                        let sp = child(&child(&child(&rptr, "content"), media), "schema");
                        Success::Sse(self.sse_data_type(mt.schema.as_ref(), &[hint, "Event"].concat(), &sp))
                    }
                    (None, None) if r.content.is_empty() => Success::Empty,
                    (None, None) => Success::Binary,
                });
            } else {
                let ty = json.and_then(|(media, mt)| {
                    let s = mt.schema.as_ref()?;
                    let sp = child(&child(&child(&rptr, "content"), media), "schema");
                    Some(self.type_of(s, &format!("{hint}Error{}", if code == 0 { "Default".into() } else { text.clone() }), &sp).0)
                });
                errors.push(ErrorResponse { status: code, status_text: text.clone(), ty });
            }
        }
        let success = success.unwrap_or_else(|| {
            self.diags.warn(child(ptr, "responses"), "no success response declared; the body is ignored");
            Success::Empty
        });

        Responses { success, success_statuses, errors, twin_events }
    }

    /// The accepted security schemes: the operation's, else the document's.
    fn security(&mut self, op: &openapiv3::Operation, ptr: &str) -> Vec<SecurityScheme> {
        let api = self.api;
        // Security: the operation's, else the document's.
        let reqs = op.security.as_ref().or(api.security.as_ref());
        let mut security = Vec::new();
        for req in reqs.into_iter().flatten() {
            for scheme_name in req.keys() {
                match self.security_scheme(scheme_name) {
                    Some(s) => security.push(s),
                    None => self.diags.warn(child(ptr, "security"), format!("unknown or unsupported security scheme `{scheme_name}`")),
                }
            }
        }

        security
    }

    /// The events of the streaming twin the overlay asks for: the spec's event stream, else the
    /// overlay's `events` schema; `None` (reported) when there is neither.
    fn stream_events(
        &mut self,
        id: &str,
        spec: &crate::overlay::StreamMethod,
        twin_events: Option<TypeRef>,
        hint: &str,
        seen: &mut Seen,
    ) -> Option<TypeRef> {
        let at = child("spec/overlay.yaml#/streams", id);
        seen.streams.insert(id.to_string());
        match (&spec.events, twin_events) {
            (Some(events), Some(_)) => {
                self.diags.warn(&at, format!("`events: {events}` is not needed: the spec now declares the event stream"));
                None
            }
            (Some(events), None) => match self.api.components.as_ref().and_then(|c| c.schemas.get(events)) {
                Some(s) => Some(self.sse_data_type(Some(s), &[hint, "Event"].concat(), &child("#/components/schemas", events))),
                None => {
                    self.diags.warn(&at, format!("`events: {events}` is not a component schema; no streaming method"));
                    None
                }
            },
            (None, Some(t)) => Some(t),
            (None, None) => {
                self.diags.warn(&at, "the operation declares no event stream and no `events` is given; no streaming method");
                None
            }
        }
    }

    fn resolve_param(&mut self, p: &'a ReferenceOr<Parameter>, at: &str) -> Option<&'a Parameter> {
        match p {
            ReferenceOr::Item(p) => Some(p),
            ReferenceOr::Reference { reference } => {
                let found = reference
                    .strip_prefix("#/components/parameters/")
                    .and_then(|n| self.api.components.as_ref()?.parameters.get(n))
                    .and_then(|p| p.as_item());
                if found.is_none() {
                    self.diags.warn(at, format!("`{reference}` does not resolve; parameter skipped"));
                }
                found
            }
        }
    }

    fn security_scheme(&self, name: &str) -> Option<SecurityScheme> {
        let scheme = self.api.components.as_ref()?.security_schemes.get(name)?.as_item()?;
        match scheme {
            openapiv3::SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("bearer") => Some(SecurityScheme::Bearer(name.to_string())),
            openapiv3::SecurityScheme::APIKey { location: openapiv3::APIKeyLocation::Header, name: header, .. } => {
                Some(SecurityScheme::Header { scheme: name.to_string(), header: header.to_ascii_lowercase() })
            }
            _ => None,
        }
    }

    /// An SSE response's schema describes one event (`{event, data}`); items are its `data`.
    fn sse_data_type(&mut self, schema: Option<&'a ReferenceOr<openapiv3::Schema>>, hint: &str, ptr: &str) -> TypeRef {
        let Some(schema) = schema else { return TypeRef::Any };
        let resolved = match schema.node() {
            Node::Inline(s) => Some((s, ptr.to_string())),
            Node::Ref(r) => self.component_schema(r),
        };
        if let Some((s, sptr)) = resolved {
            if let openapiv3::SchemaKind::Type(openapiv3::Type::Object(o)) = &s.schema_kind {
                if let Some(data) = o.properties.get("data") {
                    return self.type_of(data, hint, &child(&child(&sptr, "properties"), "data")).0;
                }
            }
        }
        self.type_of(schema, hint, ptr).0
    }
}

fn status_of(s: &StatusCode) -> (u16, String) {
    match s {
        StatusCode::Code(c) => (*c, c.to_string()),
        StatusCode::Range(r) => (*r, format!("{r}XX")),
    }
}

/// A method name for an operation the overlay does not name: the HTTP method and the last
/// literal path segment (`GET /v1/things/{id}` → `get_things`).
fn derive_method_name(method: &str, path: &str) -> String {
    let last = path.split('/').rev().find(|s| !s.is_empty() && !s.starts_with('{')).unwrap_or("root");
    let verb = match method {
        "get" if path.ends_with('}') => "get",
        "get" => "list",
        "post" => "create",
        "put" => "put",
        "patch" => "update",
        "delete" => "delete",
        other => other,
    };
    names::field_name(&format!("{verb}_{last}")).trim_start_matches("r#").to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn derived_names() {
        assert_eq!(super::derive_method_name("get", "/v1/things/{id}"), "get_things");
        assert_eq!(super::derive_method_name("get", "/v1/things"), "list_things");
        assert_eq!(super::derive_method_name("post", "/v1/things/{id}/cancel"), "create_cancel");
    }
}
