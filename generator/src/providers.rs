//! The registry of provider clients (`templates/providers/*.rs`): other hosts of the API's
//! models (Azure AI, Google Cloud Vertex AI), each a hand-written [`Provider`] implementation
//! and its builder. The overlay (`providers:`) turns one on and says which methods it serves;
//! lowering resolves those against the operations ([`resolve`]) and rendering writes a client
//! exposing just them (`render::OUTPUTS`, "provider clients").
//!
//! [`Provider`]: ../../templates/runtime/provider.rs

use crate::diag::Diagnostics;
use crate::ir::{Operation, ProviderClient};
use crate::overlay::ProviderEntry;
use std::collections::BTreeMap;

/// A provider the generator knows how to write.
pub struct ProviderKind {
    pub name: &'static str,
    /// Its module's hand-written part, copied as `src/<name>/provider.rs`.
    pub source: &'static str,
    /// Optional dependencies it brings (manifest lines), turned on by `extra_features`.
    pub dependencies: &'static [&'static str],
    /// Further features: name, what they enable besides the provider's own, and their doc.
    pub extra_features: &'static [(&'static str, &'static [&'static str], &'static str)],
}

pub const PROVIDERS: &[ProviderKind] = &[
    ProviderKind { name: "azure", source: include_str!("../../templates/providers/azure.rs"), dependencies: &[], extra_features: &[] },
    ProviderKind {
        name: "gcp",
        source: include_str!("../../templates/providers/gcp.rs"),
        dependencies: &[r#"gcp_auth = { version = "0.12", optional = true }"#],
        extra_features: &[("gcp-adc", &["dep:gcp_auth"], "Google Application Default Credentials for `gcp`, through the `gcp_auth` crate")],
    },
];

impl ProviderKind {
    /// The hand-written part as written into the crate. A block between `//@ with-helper NAME`
    /// and `//@ end` uses a helper module (structured outputs on the provider's chat): it is
    /// kept, gated by the helper's feature, when the crate has that helper, and dropped when
    /// it does not (a spec the helper does not fit).
    pub fn output(&self, helpers: &[String]) -> String {
        let mut out = String::with_capacity(self.source.len());
        let mut dropping = false;
        for line in self.source.lines() {
            let directive = line.trim_start();
            if let Some(name) = directive.strip_prefix("//@ with-helper ") {
                let name = name.trim();
                dropping = !helpers.iter().any(|h| h == name);
                if let (false, Some(feature)) = (dropping, crate::helpers::find(name).and_then(|h| h.feature.as_ref())) {
                    let indent = &line[..line.len() - directive.len()];
                    out.push_str(&format!("{indent}#[cfg(feature = \"{}\")]\n", feature.name));
                    out.push_str(&format!("{indent}#[cfg_attr(docsrs, doc(cfg(feature = \"{}\")))]\n", feature.name));
                }
            } else if directive.starts_with("//@ end") {
                dropping = false;
            } else if !dropping {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

pub fn find(name: &str) -> Option<&'static ProviderKind> {
    PROVIDERS.iter().find(|p| p.name == name)
}

/// The provider clients of the overlay, with their methods found among the operations. A
/// provider the generator does not know, or a method the spec lacks, is a warning and left out
/// (a later spec may drop an operation; the rest of the client is still written).
pub fn resolve(entries: &BTreeMap<String, ProviderEntry>, operations: &[Operation], diags: &mut Diagnostics) -> Vec<ProviderClient> {
    let mut clients = Vec::new();
    for (name, entry) in entries {
        let at = format!("spec/overlay.yaml#/providers/{name}");
        if find(name).is_none() {
            let known: Vec<&str> = PROVIDERS.iter().map(|p| p.name).collect();
            diags.warn(&at, format!("no provider `{name}` in the generator's registry (known: {known:?}); left out"));
            continue;
        }
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for method in &entry.methods {
            let found = method
                .rsplit_once('.')
                .and_then(|(group, m)| operations.iter().position(|op| op.group.join(".") == group && op.method == m).map(|i| (group, i)));
            match found {
                Some((group, _)) if group.contains('.') => {
                    diags.warn(&at, format!("`{method}`: provider clients serve methods of top-level groups only; left out"))
                }
                Some((group, i)) => groups.entry(group.to_string()).or_default().push(i),
                None => diags.warn(&at, format!("`{method}` is no method of this spec (`group.method`, as in `operations:`); left out")),
            }
        }
        if groups.is_empty() {
            diags.warn(&at, format!("provider `{name}` serves no method of this spec; left out"));
            continue;
        }
        let mut paths = Vec::new();
        for (method, path) in &entry.paths {
            let served = groups.values().flatten().map(|&i| &operations[i]).find(|op| format!("{}.{}", op.group.join("."), op.method) == *method);
            match served {
                Some(_) if !path.starts_with('/') => {
                    diags.warn(format!("{at}/paths"), format!("`{method}`: the path `{path}` does not start with `/`; left out"))
                }
                // A streaming twin is the same operation: one entry, or a warning if they differ.
                Some(op) => match paths.iter().find(|(id, _): &&(String, String)| *id == op.id) {
                    Some((_, first)) if first != path => {
                        diags.warn(format!("{at}/paths"), format!("`{method}`: `{}` already has the path `{first}`; `{path}` is left out", op.id))
                    }
                    Some(_) => {}
                    None => paths.push((op.id.clone(), path.clone())),
                },
                None => diags.warn(format!("{at}/paths"), format!("`{method}` is not a method this provider serves; its path is left out")),
            }
        }
        let mut enables: Vec<String> = groups.values().flatten().map(|&i| operations[i].feature.clone()).collect();
        enables.sort();
        enables.dedup();
        clients.push(ProviderClient {
            name: name.clone(),
            title: entry.title.clone(),
            docs: entry.docs.clone(),
            groups: groups.into_iter().collect(),
            enables,
            paths,
        });
    }
    clients
}

#[cfg(test)]
mod tests {
    use super::ProviderKind;

    #[test]
    fn a_with_helper_block_is_gated_by_the_helper_feature_or_dropped() {
        let kind = ProviderKind {
            name: "x",
            source: "struct A;\n//@ with-helper structured\nimpl A {\n    fn parse() {}\n}\n//@ end\nstruct B;\n",
            dependencies: &[],
            extra_features: &[],
        };
        let with = kind.output(&["structured".to_string()]);
        assert_eq!(
            with,
            "struct A;\n#[cfg(feature = \"structured-outputs\")]\n#[cfg_attr(docsrs, doc(cfg(feature = \"structured-outputs\")))]\nimpl A {\n    fn parse() {}\n}\nstruct B;\n"
        );
        assert_eq!(kind.output(&[]), "struct A;\nstruct B;\n");
    }
}
