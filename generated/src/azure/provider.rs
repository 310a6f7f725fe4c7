//! The Azure AI provider and the settings of [`Client`](super::Client). Hand-written
//! (`templates/providers/azure.rs`); which operations the client serves comes from the overlay.

use crate::runtime::provider::{bearer, Call, Provider, ProviderFuture, Route};
use crate::runtime::secret::Secret;
use crate::Error;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::sync::Arc;

/// The `api-version` sent when none is set (as the official SDKs).
pub const DEFAULT_API_VERSION: &str = "2024-05-01-preview";
/// The environment variable [`Client::from_env`](super::Client::from_env) reads the key from.
pub const API_KEY_ENV: &str = "AZURE_API_KEY";
/// The environment variable the endpoint is read from.
pub const ENDPOINT_ENV: &str = "AZURE_ENDPOINT";
/// The environment variable the API version is read from.
pub const API_VERSION_ENV: &str = "AZURE_API_VERSION";

/// Which paths an Azure endpoint serves the operations at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Routes {
    /// Azure AI Foundry: each operation at its own path under the resource root, as the
    /// official SDK sends them (chat at `/models/chat/completions`, OCR at
    /// `/providers/mistral/azure/ocr`). The endpoint is the resource root
    /// (`https://<resource>.services.ai.azure.com`); given with `/models` (as the portal shows
    /// the model inference endpoint), that suffix is taken off.
    Foundry,
    /// A serverless deployment (`https://<name>.<region>.models.ai.azure.com`): the spec's path
    /// without `/v1` (`/chat/completions`, `/ocr`).
    Serverless,
}

impl Routes {
    /// What an endpoint's form says: serverless for a `*.models.ai.azure.com` host, Foundry for
    /// any other.
    pub fn of(endpoint: &str) -> Routes {
        let host = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
        let host = host.split(['/', '?', '#']).next().unwrap_or_default();
        let host = host.rsplit_once(':').filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit())).map_or(host, |(h, _)| h);
        if host.to_ascii_lowercase().ends_with(".models.ai.azure.com") {
            Routes::Serverless
        } else {
            Routes::Foundry
        }
    }
}

/// Routes calls to an Azure AI deployment: the endpoint and the operation's path (see
/// [`Routes`]), `api-version` in the query, and the key as a bearer token.
pub struct AzureProvider {
    endpoint: String,
    routes: Routes,
    api_version: String,
    auth: HeaderValue,
}

impl std::fmt::Debug for AzureProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureProvider")
            .field("endpoint", &self.endpoint)
            .field("routes", &self.routes)
            .field("api_version", &self.api_version)
            .finish_non_exhaustive()
    }
}

/// The resource root of a Foundry endpoint: without a trailing `/models`.
fn foundry_root(endpoint: &str) -> &str {
    endpoint.strip_suffix("/models").unwrap_or(endpoint)
}

impl Provider for AzureProvider {
    fn name(&self) -> &'static str {
        "azure"
    }

    fn base_url(&self) -> &str {
        &self.endpoint
    }

    fn route<'a>(&'a self, call: &'a Call<'a>) -> ProviderFuture<'a, Route<'a>> {
        let spec_path = call.path.strip_prefix("/v1").filter(|p| p.starts_with('/')).unwrap_or(call.path);
        let base = call.server_url.unwrap_or(&self.endpoint);
        let (base, path) = match self.routes {
            Routes::Serverless => (base, spec_path),
            Routes::Foundry => {
                let own = super::PATHS.iter().find(|(id, _)| *id == call.operation.id).map(|(_, p)| *p);
                (foundry_root(base), own.unwrap_or(spec_path))
            }
        };
        let route = Route::new(base, path).query("api-version", self.api_version.as_str()).header(AUTHORIZATION, self.auth.clone());
        Box::pin(std::future::ready(Ok(route)))
    }
}

impl super::Client {
    /// Every setting, with defaults for the rest.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from `AZURE_API_KEY`, `AZURE_ENDPOINT` and (optionally)
    /// `AZURE_API_VERSION`; a missing one is an [`Error::MissingSetting`] naming it.
    pub fn from_env() -> Result<Self, Error> {
        ClientBuilder::default().from_env().build()
    }
}

/// Builds an Azure [`Client`](super::Client): the endpoint and key of the deployment, and the
/// same options as [`crate::ClientBuilder`] (timeouts, retries, hooks, HTTP client).
#[derive(Debug, Default)]
pub struct ClientBuilder {
    endpoint: Option<String>,
    routes: Option<Routes>,
    api_key: Option<Secret>,
    api_version: Option<String>,
    common: crate::ClientBuilder,
}

impl ClientBuilder {
    /// The endpoint: an Azure AI Foundry resource root (`https://<resource>.services.ai.azure.com`,
    /// what the official SDK takes as `server_url`; `…/models` is accepted too), or a serverless
    /// deployment's endpoint (`https://<name>.<region>.models.ai.azure.com`). The form decides
    /// the paths (see [`Routes`]); [`routes`](Self::routes) overrides it (a gateway in front of
    /// Azure).
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// The paths to send the operations to, instead of those the endpoint's form implies.
    pub fn routes(mut self, routes: Routes) -> Self {
        self.routes = Some(routes);
        self
    }

    /// The deployment's key, sent as a bearer token.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(Secret::new(key));
        self
    }

    /// The `api-version` query parameter (default [`DEFAULT_API_VERSION`]).
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// Takes each setting not set yet from its environment variable ([`API_KEY_ENV`],
    /// [`ENDPOINT_ENV`], [`API_VERSION_ENV`]), when set.
    pub fn from_env(mut self) -> Self {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        self.endpoint = self.endpoint.or_else(|| var(ENDPOINT_ENV));
        self.api_key = self.api_key.or_else(|| var(API_KEY_ENV).map(Secret::new));
        self.api_version = self.api_version.or_else(|| var(API_VERSION_ENV));
        self
    }

    crate::runtime::client_options!();

    /// The client; fails with [`Error::MissingSetting`] without an endpoint or a key, and with
    /// [`Error::Config`] for an endpoint that is not a URL or a key that cannot be a header.
    pub fn build(self) -> Result<super::Client, Error> {
        let missing = |setting: &'static str, env: &str| Error::MissingSetting {
            provider: "azure",
            setting,
            hint: format!("call `.{setting}(…)` on the builder or set {env}"),
        };
        let endpoint = self.endpoint.ok_or_else(|| missing("endpoint", ENDPOINT_ENV))?;
        let api_key = self.api_key.ok_or_else(|| missing("api_key", API_KEY_ENV))?;
        let endpoint = crate::runtime::client::base_url("the Azure endpoint", &endpoint)?;
        let routes = self.routes.unwrap_or_else(|| Routes::of(&endpoint));
        let provider = AzureProvider {
            endpoint,
            routes,
            api_version: self.api_version.unwrap_or_else(|| DEFAULT_API_VERSION.to_string()),
            auth: bearer(api_key.expose())?,
        };
        Ok(super::Client { client: self.common.build_with(Arc::new(provider))? })
    }
}

#[cfg(feature = "structured-outputs")]
#[cfg_attr(docsrs, doc(cfg(feature = "structured-outputs")))]
crate::structured::provider_chat!(super::Chat);
