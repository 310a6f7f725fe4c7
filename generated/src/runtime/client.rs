//! The client: configuration, authentication, servers.

use super::hooks::Hook;
use super::provider::{Mistral, Provider};
use super::retry::RetryPolicy;
use super::secret::Secret;
use crate::auth::Scheme;
use crate::Error;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Arc;
use std::time::Duration;

/// Named servers, as the official SDKs name them.
pub const SERVERS: &[(&str, &str)] = &[("eu", "https://api.mistral.ai")];

/// Default bound on one attempt of a call (connect, send, response head and body); for event
/// streams and downloads, on the wait for the response head. As the OpenAI SDKs: 600 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// Default longest silence in an event stream or a download before it ends with an error.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest JSON (or error) body read into memory: 256 MiB.
pub const DEFAULT_MAX_BODY_SIZE: usize = 256 << 20;
/// Default largest server-sent event (its data and any unterminated line): 16 MiB.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 << 20;

/// A client for the Mistral API. Cheap to clone (an `Arc` inside); share one per process.
///
/// ```no_run
/// # async fn run() -> mistral_sdk::Result<()> {
/// let client = mistral_sdk::Client::from_env()?;
/// let models = client.models().list().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// Where calls go and how they are authorized (Mistral's API unless set otherwise).
    pub(crate) provider: Arc<dyn Provider>,
    pub(crate) default_headers: HeaderMap,
    pub(crate) timeout: Option<Duration>,
    pub(crate) stream_idle_timeout: Option<Duration>,
    pub(crate) max_body_size: usize,
    pub(crate) max_event_size: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) hooks: Vec<Arc<dyn Hook>>,
    pub(crate) middleware: Vec<Arc<dyn super::middleware::Middleware>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.inner;
        f.debug_struct("Client")
            .field("provider", &i.provider)
            .field("timeout", &i.timeout)
            .field("retry", &i.retry)
            .field("hooks", &i.hooks.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for the default server with this key for the default scheme
    /// ([`Scheme::DEFAULT`], the API key) and default settings.
    ///
    /// Fails with [`Error::Config`] (never panics) when the key cannot be sent in a header:
    /// a control character such as the newline a key read from a file often ends with.
    pub fn new(api_key: impl Into<String>) -> Result<Self, Error> {
        match Scheme::DEFAULT {
            Some(scheme) => Client::builder().key(scheme, api_key).build(),
            None => Client::builder().build(),
        }
    }

    /// A client with the key of every scheme whose environment variable ([`Scheme::env`],
    /// `MISTRAL_API_KEY` for the API key) is set, and the server of [`BASE_URL_ENV`]
    /// (`MISTRAL_BASE_URL`: a server name such as `eu` or a URL, a gateway's say) when set; fails
    /// with [`Error::Config`] when no key is set, or a key cannot be sent in a header or the
    /// server is not a URL (naming the variable).
    pub fn from_env() -> Result<Self, Error> {
        let mut builder = Client::builder();
        if let Some(server) = std::env::var(BASE_URL_ENV).ok().filter(|v| !v.trim().is_empty()) {
            server_url(server.trim()).map_err(|e| match e {
                Error::Config(m) => Error::Config(format!("{BASE_URL_ENV}: {m}")),
                other => other,
            })?;
            builder = builder.server(server.trim());
        }
        let mut found = false;
        for scheme in Scheme::ALL {
            let Some(var) = scheme.env() else { continue };
            let Ok(key) = std::env::var(var) else { continue };
            let secret = Secret::new(key);
            secret.header_value(scheme.prefix()).map_err(|e| match e {
                Error::Config(m) => Error::Config(format!("{var}: {m}")),
                other => other,
            })?;
            builder = builder.key(*scheme, secret.expose());
            found = true;
        }
        if !found {
            let vars: Vec<&str> = Scheme::ALL.iter().filter_map(|s| s.env()).collect();
            return Err(Error::Config(format!("{} is not set (or not UTF-8)", vars.join(" nor "))));
        }
        builder.build()
    }

    /// This client with one more middleware after its own (see [`ClientBuilder::middleware`]):
    /// a new client sharing the connection pool, the provider and every other setting; this one
    /// is unchanged.
    pub fn with_middleware(&self, middleware: impl super::middleware::Middleware) -> Client {
        let mut inner = Inner::clone(&self.inner);
        inner.middleware.push(Arc::new(middleware));
        Client { inner: Arc::new(inner) }
    }

    /// Every setting, with defaults for the rest.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.provider.base_url()
    }

    /// The provider calls go through ([`Provider::name`]: `"mistral"` unless set otherwise).
    pub fn provider_name(&self) -> &'static str {
        self.inner.provider.name()
    }
}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    http: Option<reqwest::Client>,
    server: Option<String>,
    keys: Vec<Option<Secret>>,
    headers: Vec<(String, String)>,
    user_agent: Option<String>,
    timeout: Option<Duration>,
    stream_idle_timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_body_size: Option<usize>,
    max_event_size: Option<usize>,
    retry: Option<RetryPolicy>,
    hooks: Vec<Arc<dyn Hook>>,
    middleware: Vec<Arc<dyn super::middleware::Middleware>>,
    provider: Option<Arc<dyn Provider>>,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("server", &self.server)
            .field("keys", &super::provider::KeysDebug(&self.keys))
            .field("provider", &self.provider.as_ref().map(|p| p.name()))
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The key of a scheme. Each scheme also has a setter of its own (`api_key`, …; see
    /// [`Scheme::setter`]).
    pub fn key(mut self, scheme: Scheme, key: impl Into<String>) -> Self {
        let i = scheme.index();
        if self.keys.len() <= i {
            self.keys.resize_with(i + 1, || None);
        }
        self.keys[i] = Some(Secret::new(key));
        self
    }

    /// A named server (`"eu"`) or a URL. A URL's path is kept as a base path
    /// (`https://proxy.example/mistral` → `https://proxy.example/mistral/v1/models`).
    pub fn server(mut self, name_or_url: impl Into<String>) -> Self {
        self.server = Some(name_or_url.into());
        self
    }

    /// Use this `reqwest::Client` (its timeouts, proxies and TLS settings) instead of building one.
    /// The client-wide timeout set here still applies per request; `connect_timeout` does not,
    /// and neither does the redirect policy: the SDK's own client follows a redirect only within
    /// the same origin (so no key reaches another host), while yours follows its own policy.
    /// Give it `reqwest::redirect::Policy::none()` or a same-origin policy of your own.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// A header sent with every request.
    pub fn default_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Replaces the `User-Agent` (default `mistral-sdk-rust/<version>`).
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// Total time for one attempt (connect, send, receive headers and body). Default:
    /// [`DEFAULT_TIMEOUT`] (600 s); each call can change it with `.timeout(d)`.
    /// For event streams and downloads it bounds the wait for the response's headers only.
    pub fn timeout(mut self, d: Duration) -> Self {
        self.timeout = Some(d);
        self
    }

    /// The longest silence between bytes of an event stream or a download before it ends with
    /// an error (`Error::Stream` for streams, `Error::Timeout` for downloads). Each call can
    /// change it with `.idle_timeout(d)`. Default: [`DEFAULT_IDLE_TIMEOUT`] (300 s).
    pub fn stream_idle_timeout(mut self, d: Duration) -> Self {
        self.stream_idle_timeout = Some(d);
        self
    }

    /// The largest response body decoded in memory (JSON results and error bodies); a larger
    /// one ends the call with [`Error::TooLarge`] without reading the rest. Downloads are not
    /// bounded (they are streamed). Default: [`DEFAULT_MAX_BODY_SIZE`] (256 MiB).
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = Some(bytes);
        self
    }

    /// The largest server-sent event (its data, or a line not yet ended); a larger one ends
    /// the stream with [`Error::TooLarge`]. Default: [`DEFAULT_MAX_EVENT_SIZE`] (16 MiB).
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = Some(bytes);
        self
    }

    /// Time to establish a connection. Default: 10 s.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = Some(d);
        self
    }

    /// The retry policy for every call (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// Adds a hook that sees (and may change) every request and response.
    pub fn hook(mut self, hook: impl Hook) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Adds a middleware: it follows every call from its start through each attempt (async,
    /// may add headers) to its decoded end or error, streams to their last event (see
    /// [`middleware`](crate::middleware)). Middleware runs in the order added, after the hooks.
    pub fn middleware(mut self, middleware: impl super::middleware::Middleware) -> Self {
        self.middleware.push(Arc::new(middleware));
        self
    }

    /// Sends every call through this provider instead of Mistral's API: a gateway, another
    /// host of the models. It decides each call's URL and authorization, so `server` and the
    /// keys are its business; setting them too is an error at `build`. (The Azure and Google
    /// Cloud clients, `mistral_sdk::azure` and `mistral_sdk::gcp`, are built on this.)
    pub fn provider(mut self, provider: impl Provider) -> Self {
        self.provider = Some(Arc::new(provider));
        self
    }

    pub fn build(mut self) -> Result<Client, Error> {
        let provider: Arc<dyn Provider> = match self.provider.take() {
            Some(p) => {
                if self.server.is_some() || self.keys.iter().any(Option::is_some) {
                    return Err(Error::Config(format!(
                        "the `{}` provider decides the server and the authorization: set them on the provider, not on ClientBuilder",
                        p.name()
                    )));
                }
                p
            }
            None => Arc::new(Mistral::new(self.base_url()?, std::mem::take(&mut self.keys))?),
        };
        self.build_with(provider)
    }

    /// The base URL of the `server` setting (a name or a URL).
    fn base_url(&self) -> Result<String, Error> {
        match self.server.as_deref() {
            None => Ok(SERVERS[0].1.to_string()),
            Some(s) => server_url(s),
        }
    }

    /// The client with every setting but the provider's.
    pub(crate) fn build_with(self, provider: Arc<dyn Provider>) -> Result<Client, Error> {
        let mut default_headers = HeaderMap::new();
        let ua = self.user_agent.unwrap_or_else(|| format!("mistral-sdk-rust/{}", env!("CARGO_PKG_VERSION")));
        default_headers
            .insert(reqwest::header::USER_AGENT, HeaderValue::from_str(&ua).map_err(|_| Error::Config(format!("invalid user agent `{ua}`")))?);
        for (name, value) in &self.headers {
            let n = HeaderName::from_bytes(name.as_bytes()).map_err(|_| Error::Config(format!("invalid header name `{name}`")))?;
            let v = HeaderValue::from_str(value).map_err(|_| Error::Config(format!("invalid value for header `{name}`")))?;
            default_headers.append(n, v);
        }
        let http = match self.http {
            Some(c) => c,
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .redirect(same_origin_redirects())
                .build()
                .map_err(|e| Error::Config(format!("building the HTTP client: {e}")))?,
        };
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                provider,
                default_headers,
                timeout: Some(self.timeout.unwrap_or(DEFAULT_TIMEOUT)),
                stream_idle_timeout: Some(self.stream_idle_timeout.unwrap_or(DEFAULT_IDLE_TIMEOUT)),
                max_body_size: self.max_body_size.unwrap_or(DEFAULT_MAX_BODY_SIZE),
                max_event_size: self.max_event_size.unwrap_or(DEFAULT_MAX_EVENT_SIZE),
                retry: self.retry.unwrap_or_default(),
                hooks: self.hooks,
                middleware: self.middleware,
            }),
        })
    }
}

/// A base URL as given (a path in it is kept as a base path), checked to be an http(s) URL,
/// without its trailing `/`; `what` names the setting in the error. The main client's `server`
/// and the provider clients' endpoints go through it.
/// The base URL of a server name (`eu`) or URL.
pub(crate) fn server_url(s: &str) -> Result<String, Error> {
    match SERVERS.iter().find(|(name, _)| *name == s) {
        Some((_, url)) => Ok(url.to_string()),
        None if s.starts_with("http://") || s.starts_with("https://") => base_url("server URL", s),
        None => {
            let names: Vec<&str> = SERVERS.iter().map(|(n, _)| *n).collect();
            Err(Error::Config(format!("unknown server `{s}`: use a URL or one of {names:?}")))
        }
    }
}

/// The environment variable [`Client::from_env`] reads the server from (a name or a URL).
pub const BASE_URL_ENV: &str = "MISTRAL_BASE_URL";

pub(crate) fn base_url(what: &str, url: &str) -> Result<String, Error> {
    match reqwest::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") => Ok(url.trim_end_matches('/').to_string()),
        Ok(_) => Err(Error::Config(format!("{what} `{url}` is not an http(s) URL"))),
        Err(e) => Err(Error::Config(format!("{what} `{url}`: {e}"))),
    }
}

/// Redirects are followed (at most 10) only while they stay on the origin (scheme, host and
/// port) of the request: reqwest removes `Authorization` when a redirect leaves the origin, but
/// not other headers such as `x-api-key`, so no redirect to another origin is followed at all.
/// The 3xx response then ends the call as an error with its status and `Location`.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(|u| u.origin());
        if attempt.previous().len() > 10 {
            attempt.error("more than 10 redirects")
        } else if first.is_some_and(|o| o != attempt.url().origin()) {
            attempt.stop()
        } else {
            attempt.follow()
        }
    })
}
