//! The Google Cloud Vertex AI provider, its access tokens, and the settings of
//! [`Client`](super::Client). Hand-written (`templates/providers/gcp.rs`); which operations the
//! client serves comes from the overlay.

use crate::runtime::http::segment;
use crate::runtime::provider::{bearer, Call, Provider, ProviderFuture, Route};
use crate::runtime::secret::Secret;
use crate::Error;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The region used when none is set (as the official SDKs).
pub const DEFAULT_REGION: &str = "europe-west4";
/// The OAuth scope tokens are asked for.
pub const SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";
/// How long before its expiry a token is replaced (default; see
/// [`ClientBuilder::token_refresh_margin`]).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Why a token could not be had: any error, kept as the source of [`Error::Token`].
pub type TokenError = Box<dyn std::error::Error + Send + Sync>;

/// The future a [`TokenProvider`] returns.
pub type TokenFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TokenError>> + Send + 'a>>;

/// An access token and when it stops being valid.
#[derive(Clone)]
pub struct AccessToken {
    token: Secret,
    expires_at: Option<Instant>,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken").field("token", &self.token).field("expires_at", &self.expires_at).finish()
    }
}

impl AccessToken {
    /// A token valid for `expires_in` from now.
    pub fn new(token: impl Into<String>, expires_in: Duration) -> Self {
        AccessToken { token: Secret::new(token), expires_at: Some(Instant::now() + expires_in) }
    }

    /// A token with no known expiry: used until the process ends.
    pub fn without_expiry(token: impl Into<String>) -> Self {
        AccessToken { token: Secret::new(token), expires_at: None }
    }

    /// The token itself.
    pub fn secret(&self) -> &str {
        self.token.expose()
    }

    /// When it expires (`None`: never, as far as the client knows).
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }
}

/// Where access tokens come from. The client caches the token and asks again only shortly
/// before it expires, and only once however many calls are waiting for it.
pub trait TokenProvider: Send + Sync + 'static {
    /// A fresh token.
    fn fetch(&self) -> TokenFuture<'_, AccessToken>;

    /// The project the credentials belong to, used when the client is given none.
    fn project_id(&self) -> TokenFuture<'_, Option<String>> {
        Box::pin(std::future::ready(Ok(None)))
    }
}

/// A fixed token (`gcloud auth print-access-token`, say): never refreshed.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// A fixed token, sent as it is (it never expires for the client: refresh it yourself).
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(Secret::new(token))
    }
}

impl TokenProvider for StaticToken {
    fn fetch(&self) -> TokenFuture<'_, AccessToken> {
        Box::pin(std::future::ready(Ok(AccessToken::without_expiry(self.0.expose()))))
    }
}

/// Google's Application Default Credentials, through the `gcp_auth` crate: a service-account
/// key file named by `GOOGLE_APPLICATION_CREDENTIALS`, the gcloud user credentials
/// (`gcloud auth application-default login`), the metadata server on Google Cloud, or the
/// `gcloud` command, in that order. Found on first use; `gcp_auth` caches its own tokens.
#[cfg(feature = "gcp-adc")]
#[cfg_attr(docsrs, doc(cfg(feature = "gcp-adc")))]
#[derive(Default)]
pub struct ApplicationDefaultCredentials {
    provider: tokio::sync::OnceCell<Arc<dyn gcp_auth::TokenProvider>>,
}

#[cfg(feature = "gcp-adc")]
impl ApplicationDefaultCredentials {
    /// Credentials found the usual way (see the type's docs), on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Credentials from a service-account key file (its `token_uri` is where tokens come from).
    pub fn from_service_account_file(path: impl AsRef<std::path::Path>) -> Result<Self, TokenError> {
        let account = gcp_auth::CustomServiceAccount::from_file(path)?;
        let provider: Arc<dyn gcp_auth::TokenProvider> = Arc::new(account);
        Ok(ApplicationDefaultCredentials { provider: tokio::sync::OnceCell::new_with(Some(provider)) })
    }

    async fn provider(&self) -> Result<&Arc<dyn gcp_auth::TokenProvider>, TokenError> {
        Ok(self.provider.get_or_try_init(gcp_auth::provider).await?)
    }
}

#[cfg(feature = "gcp-adc")]
impl TokenProvider for ApplicationDefaultCredentials {
    fn fetch(&self) -> TokenFuture<'_, AccessToken> {
        Box::pin(async move {
            let token = self.provider().await?.token(&[SCOPE]).await?;
            let left = token.expires_at().timestamp() - std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64;
            Ok(AccessToken::new(token.as_str(), Duration::from_secs(left.max(0) as u64)))
        })
    }

    fn project_id(&self) -> TokenFuture<'_, Option<String>> {
        Box::pin(async move { Ok(self.provider().await?.project_id().await.ok().map(|p| p.to_string())) })
    }
}

/// The current token as a header, replaced once when it nears its expiry.
struct TokenCache {
    provider: Arc<dyn TokenProvider>,
    margin: Duration,
    current: RwLock<Option<(HeaderValue, Option<Instant>)>>,
    /// Held by the one caller fetching a token; the others wait for it and take its token.
    refresh: tokio::sync::Mutex<()>,
}

impl TokenCache {
    fn fresh(&self) -> Option<HeaderValue> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        let (header, expires_at) = current.as_ref()?;
        (!self.stale(*expires_at)).then(|| header.clone())
    }

    async fn header(&self, operation: &'static str) -> Result<HeaderValue, Error> {
        if let Some(h) = self.fresh() {
            return Ok(h);
        }
        let _one_at_a_time = self.refresh.lock().await;
        if let Some(h) = self.fresh() {
            return Ok(h); // fetched by the caller this one waited for
        }
        // A token that comes back expired, or inside the refresh margin, is never sent: the
        // provider is asked once more, then the call fails.
        let mut token = self.fetch(operation).await?;
        if self.stale(token.expires_at()) {
            token = self.fetch(operation).await?;
            if let Some(at) = token.expires_at().filter(|at| self.stale(Some(*at))) {
                let left = at.saturating_duration_since(Instant::now());
                let message = format!(
                    "the token provider returned a token valid for {left:?}, twice; it must outlive the refresh margin of {:?} (`token_refresh_margin`)",
                    self.margin
                );
                return Err(Error::Token { operation, provider: "gcp", source: message.into() });
            }
        }
        let header = bearer(token.secret())?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some((header.clone(), token.expires_at()));
        Ok(header)
    }

    async fn fetch(&self, operation: &'static str) -> Result<AccessToken, Error> {
        self.provider.fetch().await.map_err(|source| Error::Token { operation, provider: "gcp", source })
    }

    /// Whether a token expiring at `expires_at` must not be sent any more.
    fn stale(&self, expires_at: Option<Instant>) -> bool {
        expires_at.is_some_and(|at| Instant::now() + self.margin >= at)
    }
}

/// What a model id escapes in the path: everything but RFC 3986 unreserved characters and `@`
/// (a path character there): a versioned id (`mistral-large@2407`) goes as written, as the
/// official SDK sends it.
const MODEL_SEGMENT: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'@');

fn model_segment(model: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(model, MODEL_SEGMENT)
}

/// Routes calls to Vertex AI: `https://{region}-aiplatform.googleapis.com`, and a path naming
/// the project, the region and the body's `model`, ending in `:rawPredict` (or
/// `:streamRawPredict` for event streams); a cached access token as a bearer token.
pub struct GcpProvider {
    project_id: Option<String>,
    region: String,
    base_url: String,
    tokens: TokenCache,
    /// The project found through the token provider, when none was given.
    found_project: tokio::sync::OnceCell<String>,
}

impl std::fmt::Debug for GcpProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcpProvider")
            .field("project_id", &self.project_id)
            .field("region", &self.region)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The `model` of a JSON body.
#[derive(serde::Deserialize)]
struct ModelOf<'a> {
    #[serde(borrow, default)]
    model: Option<std::borrow::Cow<'a, str>>,
}

impl GcpProvider {
    async fn project(&self) -> Result<&str, Error> {
        if let Some(p) = &self.project_id {
            return Ok(p);
        }
        let missing = || Error::MissingSetting {
            provider: "gcp",
            setting: "project_id",
            hint: "call `.project_id(…)` on the builder, or use credentials that name their project".to_string(),
        };
        let found = self
            .found_project
            .get_or_try_init(|| async {
                match self.tokens.provider.project_id().await {
                    Ok(Some(p)) if !p.is_empty() => Ok(p),
                    _ => Err(missing()),
                }
            })
            .await?;
        Ok(found)
    }
}

impl Provider for GcpProvider {
    fn name(&self) -> &'static str {
        "gcp"
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn route<'a>(&'a self, call: &'a Call<'a>) -> ProviderFuture<'a, Route<'a>> {
        Box::pin(async move {
            let operation = call.operation.name;
            let model = call.json_body.and_then(|b| serde_json::from_slice::<ModelOf>(b).ok()).and_then(|m| m.model);
            let model = model.filter(|m| !m.is_empty()).ok_or(Error::MissingModel { operation, provider: "gcp" })?;
            let project = self.project().await?;
            let action = if call.event_stream { "streamRawPredict" } else { "rawPredict" };
            let path = format!(
                "/v1/projects/{}/locations/{}/publishers/mistralai/models/{}:{action}",
                segment(project),
                segment(&self.region),
                model_segment(&model)
            );
            let auth = self.tokens.header(operation).await?;
            Ok(Route::new(call.server_url.unwrap_or(&self.base_url), path).header(AUTHORIZATION, auth))
        })
    }
}

impl super::Client {
    /// Every setting, with defaults for the rest.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }
}

/// Builds a Google Cloud [`Client`](super::Client): the project, the region, where tokens come
/// from, and the same options as [`crate::ClientBuilder`] (timeouts, retries, hooks, HTTP
/// client, and `server` to send calls elsewhere than `https://{region}-aiplatform.googleapis.com`).
#[derive(Default)]
pub struct ClientBuilder {
    project_id: Option<String>,
    region: Option<String>,
    server: Option<String>,
    tokens: Option<Arc<dyn TokenProvider>>,
    margin: Option<Duration>,
    common: crate::ClientBuilder,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder").field("project_id", &self.project_id).field("region", &self.region).finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The Google Cloud project (default: the one the credentials name).
    pub fn project_id(mut self, project: impl Into<String>) -> Self {
        self.project_id = Some(project.into());
        self
    }

    /// The region (default [`DEFAULT_REGION`]).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sends calls to this URL instead of `https://{region}-aiplatform.googleapis.com`.
    pub fn server(mut self, url: impl Into<String>) -> Self {
        self.server = Some(url.into());
        self
    }

    /// A fixed access token, never refreshed.
    pub fn access_token(self, token: impl Into<String>) -> Self {
        self.token_provider(StaticToken::new(token))
    }

    /// Where tokens come from (see [`TokenProvider`]).
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.tokens = Some(Arc::new(provider));
        self
    }

    /// How long before its expiry a token is replaced (default [`DEFAULT_REFRESH_MARGIN`]).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = Some(margin);
        self
    }

    crate::runtime::client_options!();

    /// The client. Without a token provider it uses [`ApplicationDefaultCredentials`] when the
    /// `gcp-adc` feature is on, and fails with [`Error::MissingSetting`] otherwise.
    pub fn build(self) -> Result<super::Client, Error> {
        let tokens = match self.tokens {
            Some(t) => t,
            #[cfg(feature = "gcp-adc")]
            None => Arc::new(ApplicationDefaultCredentials::new()),
            #[cfg(not(feature = "gcp-adc"))]
            None => {
                return Err(Error::MissingSetting {
                    provider: "gcp",
                    setting: "access_token",
                    hint: "call `.access_token(…)` or `.token_provider(…)`, or enable the `gcp-adc` feature for Application Default Credentials"
                        .to_string(),
                })
            }
        };
        let region = self.region.unwrap_or_else(|| DEFAULT_REGION.to_string());
        let base_url = match self.server {
            Some(s) => crate::runtime::client::base_url("server URL", &s)?,
            None => format!("https://{region}-aiplatform.googleapis.com"),
        };
        let provider = GcpProvider {
            project_id: self.project_id.filter(|p| !p.is_empty()),
            region,
            base_url,
            tokens: TokenCache {
                provider: tokens,
                margin: self.margin.unwrap_or(DEFAULT_REFRESH_MARGIN),
                current: RwLock::new(None),
                refresh: tokio::sync::Mutex::new(()),
            },
            found_project: tokio::sync::OnceCell::new(),
        };
        Ok(super::Client { client: self.common.build_with(Arc::new(provider))? })
    }
}

#[cfg(feature = "structured-outputs")]
#[cfg_attr(docsrs, doc(cfg(feature = "structured-outputs")))]
crate::structured::provider_chat!(super::Chat);
