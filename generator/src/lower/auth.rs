//! Authentication schemes: the spec's `securitySchemes` the SDK can send (bearer tokens and
//! header keys), with the SDK names the overlay gives them.

use crate::diag::{child, Diagnostics};
use crate::fast::HashSet;
use crate::ir::{AuthLocation, AuthScheme};
use crate::names;
use crate::overlay::Overlay;
use openapiv3::{APIKeyLocation, OpenAPI, SecurityScheme};

/// The methods `ClientBuilder` already has (`templates/runtime/client.rs`); a scheme's setter
/// gets another name when it would clash.
const TAKEN: &[&str] = &[
    "key",
    "server",
    "http_client",
    "default_header",
    "user_agent",
    "timeout",
    "stream_idle_timeout",
    "max_body_size",
    "max_event_size",
    "connect_timeout",
    "retry_policy",
    "hook",
    "build",
];

pub(super) fn schemes(api: &OpenAPI, overlay: &Overlay, diags: &mut Diagnostics) -> Vec<AuthScheme> {
    let mut out: Vec<AuthScheme> = Vec::new();
    let default = api.security.as_ref().and_then(|reqs| reqs.iter().flat_map(|r| r.keys()).next().cloned());
    let mut setters: HashSet<String> = TAKEN.iter().map(|s| s.to_string()).collect();
    let mut variants = HashSet::default();
    let Some(components) = &api.components else { return out };
    for (name, scheme) in &components.security_schemes {
        let at = child("#/components/securitySchemes", name);
        let Some(scheme) = scheme.as_item() else {
            diags.warn(&at, "a `$ref` security scheme is not supported; operations needing it send no key");
            continue;
        };
        let (location, docs) = match scheme {
            SecurityScheme::HTTP { scheme, description, .. } if scheme.eq_ignore_ascii_case("bearer") => (AuthLocation::Bearer, description),
            SecurityScheme::APIKey { location: APIKeyLocation::Header, name: header, description, .. } => {
                (AuthLocation::Header(header.to_ascii_lowercase()), description)
            }
            other => {
                let kind = match other {
                    SecurityScheme::HTTP { scheme, .. } => format!("http `{scheme}`"),
                    SecurityScheme::APIKey { .. } => "an API key outside a header".into(),
                    SecurityScheme::OAuth2 { .. } => "oauth2".into(),
                    SecurityScheme::OpenIDConnect { .. } => "openIdConnect".into(),
                };
                diags.warn(&at, format!("{kind} is not supported (bearer tokens and header keys are); operations needing it send no key"));
                continue;
            }
        };
        let names = overlay.auth.get(name).cloned().unwrap_or_default();
        let setter = names::unique(names.setter.unwrap_or_else(|| names::bare(&names::field_name(name)).to_string()), &mut setters);
        let variant = names::unique(names::type_name(name), &mut variants);
        out.push(AuthScheme {
            name: name.clone(),
            variant,
            setter,
            env: names.env,
            location,
            docs: docs.clone(),
            default: default.as_deref() == Some(name.as_str()),
        });
    }
    if !out.iter().any(|a| a.default) {
        if let Some(first) = out.first_mut() {
            first.default = true;
        }
    }
    for name in overlay.auth.keys() {
        if !out.iter().any(|a| &a.name == name) {
            diags.warn("spec/overlay.yaml#/auth", format!("`{name}` is not a supported security scheme of the spec"));
        }
    }
    out
}
