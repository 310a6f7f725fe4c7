//! The project's overlay (`spec/overlay.yaml`): the only place where names or behaviour specific to
//! one spec are written down. The generator itself knows nothing about Mistral.

use anyhow::{Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overlay {
    /// The SDK crate's version (`cargo xtask changelog` bumps it as the API-change report says);
    /// the generator's own version when absent.
    #[serde(default)]
    pub version: Option<String>,
    /// Renames of generated type names: `GeneratedName: NewName`. Applies to component and
    /// inline types alike; a rename that matches nothing is reported.
    #[serde(default)]
    pub type_names: BTreeMap<String, String>,
    /// Method names: `operationId: group.path.method` (`chat.complete`,
    /// `beta.libraries.documents.upload`). Operations not listed get a derived name and a warning.
    #[serde(default)]
    pub operations: BTreeMap<String, String>,
    /// Operations that answer JSON or server-sent events depending on a boolean field of their
    /// JSON body: `operationId: {method: group.name, flag: field}`. The operation's own method
    /// sends the field `false` and decodes JSON; `method` sends it `true` and streams the events.
    /// `events` names the component schema of one event when the spec lacks the
    /// `text/event-stream` response.
    #[serde(default)]
    pub streams: BTreeMap<String, StreamMethod>,
    /// What tells an event stream's answer is complete, by operation id: `{sentinel: "[DONE]"}`
    /// (an event with that data ends it) or `{events: [name, …]}` (one of these events is the
    /// last). A stream whose connection closes before it ends with an error (truncated), never
    /// cleanly.
    #[serde(default)]
    pub stream_ends: BTreeMap<String, StreamEndEntry>,
    /// Hand-written helper modules to add to the crate (`templates/helpers/<name>.rs`, listed in
    /// `helpers::HELPERS`, each declaring the model shapes it needs).
    #[serde(default)]
    pub helpers: Vec<String>,
    /// The site relative links in descriptions point into (`[list](/api/#tag/models)`): they are
    /// made absolute against it, since on docs.rs they would point nowhere.
    #[serde(default)]
    pub docs_url: Option<String>,
    /// The SDK's names for the spec's authentication schemes: `SchemeName: {setter, env}`. A
    /// scheme not listed gets a setter named after it and no environment variable.
    #[serde(default)]
    pub auth: BTreeMap<String, AuthNames>,
    /// How the API groups become cargo features (see [`Features`]).
    #[serde(default)]
    pub features: Features,
    /// Clients for other hosts of the models: `name: {title, methods: [group.method, …]}`, the
    /// name one of the generator's providers (`providers::PROVIDERS`).
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderEntry>,
    /// Pagination of list operations, in the spec's own `x-speakeasy-pagination` form:
    /// `operationId: {type, inputs, outputs}` adds or replaces an operation's entry, and
    /// `operationId: null` removes the spec's.
    #[serde(default)]
    pub pagination: BTreeMap<String, Option<PaginationSpec>>,
    /// Operations whose every request carries a sampled W3C `traceparent` (the caller's own
    /// header wins), as the official SDK sends workflow executions so that the workers' traces
    /// are always recorded.
    #[serde(default)]
    pub sampled_traceparent: Vec<String>,
}

/// `x-speakeasy-pagination`: `type` is `cursor` or `offsetLimit`; `inputs` name the parameters
/// (`type: cursor | offset | limit`); `outputs` are JSON paths into the response (`$.data`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginationSpec {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub inputs: Vec<PaginationInput>,
    #[serde(default)]
    pub outputs: PaginationOutputs,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaginationInput {
    pub name: String,
    #[serde(rename = "in", default)]
    pub location: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaginationOutputs {
    #[serde(default)]
    pub results: Option<String>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// Other outputs Speakeasy knows (`numPages`, `nextUrl`) are read and not used.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// See [`Overlay::providers`].
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderEntry {
    pub title: String,
    #[serde(default)]
    pub docs: Option<String>,
    /// The methods it serves, as `group.method` (the names of `operations:`).
    pub methods: Vec<String>,
    /// Paths of the provider's own, by method, where it does not serve the spec's path (Azure
    /// AI Foundry: `chat.complete: /models/chat/completions`).
    #[serde(default)]
    pub paths: BTreeMap<String, String>,
}

/// See [`Overlay::auth`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthNames {
    /// The `ClientBuilder` method that sets the key (`api_key`).
    #[serde(default)]
    pub setter: Option<String>,
    /// The environment variable `Client::from_env` reads the key from (`MISTRAL_API_KEY`).
    #[serde(default)]
    pub env: Option<String>,
}

/// Cargo features: by default one per top-level API group, named after the group in kebab case
/// (`fine_tuning` → `fine-tuning`).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Features {
    /// Top-level groups that are namespaces of unrelated APIs: each subgroup gets its own feature
    /// (`beta.conversations` → `beta-conversations`), and the group's feature turns them all on.
    #[serde(default)]
    pub split: Vec<String>,
}

/// The streaming twin of an operation (see [`Overlay::streams`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamMethod {
    pub method: String,
    pub flag: String,
    #[serde(default)]
    pub events: Option<String>,
}

/// See [`Overlay::stream_ends`]: one of the two.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamEndEntry {
    #[serde(default)]
    pub sentinel: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
}

/// What ends an event stream's answer (see [`Overlay::stream_ends`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum StreamEndSpec {
    Sentinel(String),
    Events(Vec<String>),
}

impl Overlay {
    pub fn parse(text: &str) -> Result<Self> {
        serde_yaml_ng::from_str(text).context("spec/overlay.yaml is not a valid overlay")
    }
}
