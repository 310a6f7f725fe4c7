//! The provider seam: where each call goes and how it is authorized. Mistral's own API is one
//! [`Provider`]; the cloud clients (`mistral_sdk::azure`, `mistral_sdk::gcp`) are others, and a
//! gateway of your own can be one too ([`ClientBuilder::provider`](crate::ClientBuilder::provider)).
//! The send path asks the provider before every attempt and knows nothing else about it.

use super::http::Operation;
use super::secret::Secret;
use crate::auth::Scheme;
use crate::Error;
use reqwest::header::{HeaderName, HeaderValue};
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

/// The future a [`Provider`] returns: boxed, so providers can be trait objects.
pub type ProviderFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// What a provider sees of one attempt of a call.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Call<'a> {
    /// The operation (its id, method, path template and accepted schemes).
    pub operation: &'static Operation,
    /// The path as the spec writes it, parameters filled in (`/v1/chat/completions`).
    pub path: &'a str,
    /// The JSON body, when the call has one (a provider may read its `model`).
    pub json_body: Option<&'a [u8]>,
    /// The response is a stream of server-sent events.
    pub event_stream: bool,
    /// The call's own server override (`.server_url(…)` on a request builder).
    pub server_url: Option<&'a str>,
}

/// Where and how one attempt is sent: `base_url` + `path`, the call's query followed by
/// `query`, and `headers` (the authorization) added to the request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Route<'a> {
    pub base_url: Cow<'a, str>,
    pub path: Cow<'a, str>,
    pub query: Vec<(&'static str, Cow<'a, str>)>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl<'a> Route<'a> {
    /// A route to `base_url` + `path`, with no extra query nor headers.
    pub fn new(base_url: impl Into<Cow<'a, str>>, path: impl Into<Cow<'a, str>>) -> Self {
        Route { base_url: base_url.into(), path: path.into(), query: Vec::new(), headers: Vec::new() }
    }

    /// Adds a query parameter after the call's own.
    pub fn query(mut self, name: &'static str, value: impl Into<Cow<'a, str>>) -> Self {
        self.query.push((name, value.into()));
        self
    }

    /// Adds a header (the authorization, usually).
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }
}

/// Decides, before each attempt of a call, the base URL, the path, extra query parameters and
/// the authorization. Asynchronous, so a token can be fetched or refreshed without blocking;
/// an error ends the call before anything is sent. `Debug` must not show secrets.
pub trait Provider: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for errors and `Debug` (`"mistral"`, `"azure"`, `"gcp"`).
    fn name(&self) -> &'static str;
    /// The base URL calls go to when they do not override it.
    fn base_url(&self) -> &str;
    /// The route of one attempt.
    fn route<'a>(&'a self, call: &'a Call<'a>) -> ProviderFuture<'a, Route<'a>>;
    /// The `Authorization` header for Mistral's own services outside the API's operations (the
    /// telemetry export sends the client's key as a bearer token, as the official SDKs do);
    /// `None` for a provider that does not hold a Mistral key.
    #[doc(hidden)]
    fn bearer(&self) -> Option<HeaderValue> {
        None
    }
}

/// Mistral's own API: the configured server (or the call's override), and the key of the first
/// of the operation's schemes that the client has.
pub struct Mistral {
    base_url: String,
    /// The key of each scheme, by [`Scheme::index`].
    keys: Vec<Option<Secret>>,
    /// The keys as ready headers (values marked sensitive, prefixed), built once.
    key_headers: Vec<Option<(HeaderName, HeaderValue)>>,
}

impl std::fmt::Debug for Mistral {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = KeysDebug(&self.keys);
        f.debug_struct("Mistral").field("base_url", &self.base_url).field("keys", &keys).finish()
    }
}

impl Mistral {
    /// Fails with [`Error::Config`] when a key cannot be sent in a header.
    pub(crate) fn new(base_url: String, keys: Vec<Option<Secret>>) -> Result<Self, Error> {
        let mut key_headers = Vec::with_capacity(keys.len());
        for (scheme, key) in Scheme::ALL.iter().zip(&keys) {
            let value = key.as_ref().map(|k| k.header_value(scheme.prefix())).transpose()?;
            key_headers.push(value.map(|v| (HeaderName::from_static(scheme.header()), v)));
        }
        Ok(Mistral { base_url, keys, key_headers })
    }

    fn auth(&self, op: &'static Operation) -> Result<Option<(HeaderName, HeaderValue)>, Error> {
        for scheme in op.security {
            if let Some(Some(header)) = self.key_headers.get(scheme.index()) {
                return Ok(Some(header.clone()));
            }
        }
        match op.security {
            [] => Ok(None),
            [one] => Err(Error::Config(format!("{} needs a key for the `{}` scheme (ClientBuilder::{})", op.name, one.name(), one.setter()))),
            many => {
                let how: Vec<String> = many.iter().map(|s| format!("`{}` (ClientBuilder::{})", s.name(), s.setter())).collect();
                Err(Error::Config(format!("{} needs a key for one of the schemes {}", op.name, how.join(", "))))
            }
        }
    }
}

impl Provider for Mistral {
    fn name(&self) -> &'static str {
        "mistral"
    }

    fn base_url(&self) -> &str {
        &self.base_url
    }

    fn bearer(&self) -> Option<HeaderValue> {
        self.key_headers.iter().flatten().find(|(name, _)| name == reqwest::header::AUTHORIZATION).map(|(_, value)| value.clone())
    }

    fn route<'a>(&'a self, call: &'a Call<'a>) -> ProviderFuture<'a, Route<'a>> {
        let route = self.auth(call.operation).map(|auth| {
            let mut route = Route::new(call.server_url.unwrap_or(&self.base_url), call.path);
            route.headers.extend(auth);
            route
        });
        Box::pin(std::future::ready(route))
    }
}

/// The keys a client has, by scheme name, redacted.
pub(crate) struct KeysDebug<'a>(pub(crate) &'a [Option<Secret>]);

impl std::fmt::Debug for KeysDebug<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(Scheme::ALL.iter().zip(self.0).filter_map(|(s, k)| Some((s.name(), k.as_ref()?)))).finish()
    }
}

/// A bearer token as a sensitive `Authorization` header value (for the provider clients, which
/// a build may leave out).
#[allow(dead_code)]
pub(crate) fn bearer(token: &str) -> Result<HeaderValue, Error> {
    Secret::new(token).header_value("Bearer ")
}
