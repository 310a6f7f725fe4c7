//! Model Context Protocol servers as tools of a [`RunContext`] (feature `mcp`, on the official
//! Rust MCP SDK, `rmcp`): the official Python SDK's `RunContext.register_mcp_client`.
//!
//! Connect to a server ([`McpServer::stdio`] spawns a command and talks over its stdin and
//! stdout; [`McpServer::http`] reaches a streamable HTTP endpoint; [`McpServer::serve`] takes any
//! `rmcp` transport), list its tools as a [`McpToolset`], choose which to include, exclude or
//! confirm, and add them to a run context next to local functions. The same context then drives
//! conversations, chat completions and agents completions (see [`run`](crate::run)).
//!
//! ```no_run
//! # async fn demo(client: mistral_sdk::Client) -> mistral_sdk::Result<()> {
//! use mistral_sdk::mcp::McpServer;
//! use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
//! use mistral_sdk::run::RunContext;
//!
//! let files = McpServer::stdio("files", tokio::process::Command::new("my-mcp-server")).await?;
//! let docs = McpServer::http("docs", "https://mcp.example.com/mcp").bearer("token").connect().await?;
//! let ctx = RunContext::new()
//!     .mcp(files.toolset().await?.exclude(["delete_file"]).require_confirmation(["write_file"]))
//!     .mcp(docs.toolset().await?.prefix("docs_"));
//! let request = ChatCompletionRequest::new("mistral-medium-latest", vec![Message::User(UserMessage::new("Summarize notes.md"))]);
//! let result = client.chat().run(&ctx, request).await?;
//! # Ok(())
//! # }
//! ```
//!
//! **Declaration.** Each tool is declared as a function tool with the server's name,
//! description and `inputSchema` as its parameters, `strict: true`, as the official SDK
//! declares them. **Names.** A tool registered later replaces an earlier one of the same name,
//! local function or MCP tool alike (the official SDK's rule too); [`McpToolset::prefix`] keeps
//! two servers' tools apart. The prefix is the model's name only: the server is called with
//! its own.
//!
//! **Results.** A call runs `tools/call` on the server. Text content goes back as the official
//! SDK sends it, a JSON array of text chunks (`[{"type":"text","text":"…"}]`). A result the
//! server marks `isError`, content that is not text (an image, audio, a resource), a server
//! that exited and one that does not answer within the call timeout (60 s by default,
//! [`McpServer::call_timeout`]) go back to the model as an error result (`{"error": "…"}`); the
//! run goes on. The official SDK raises on non-text content and sends `isError` results as if
//! they were answers; the model is better told.
//!
//! **Lifetime.** A server's connection is shared by the toolsets and run contexts made from
//! it and closes when the last of them is dropped; a spawned command is killed then (no orphan
//! process). [`McpServer::close`] closes it at once.
//!
//! **Transports.** stdio and streamable HTTP, which `rmcp` supports. The older HTTP+SSE
//! transport is not: `rmcp` has no client for it (the Python SDK's `MCPClientSSE` is that
//! one); most servers serve streamable HTTP now.
//!
//! **Authorization.** A server that answers 401 gives [`Error::McpAuthorization`]; authorize
//! with [`McpOAuth`] (protected-resource and authorization-server metadata discovery, dynamic
//! client registration, authorization code with PKCE S256) and connect with
//! [`McpHttp::oauth`], which refreshes the token before it expires.

use crate::run::RunContext;
use crate::{Error, Result};
use rmcp::model::{CallToolRequestParams, ContentBlock};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::auth::{AuthClient, AuthorizationManager, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::ServiceExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const OPERATION: &str = "mcp";

/// A connection to an MCP server. Cheap to clone: clones share the connection, which closes
/// when the last one (and every toolset and run context made from it) is dropped.
#[derive(Clone)]
pub struct McpServer {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    service: tokio::sync::Mutex<Option<RunningService<RoleClient, ()>>>,
    peer: rmcp::Peer<RoleClient>,
    call_timeout: std::sync::Mutex<Duration>,
    pid: Option<u32>,
}

impl std::fmt::Debug for McpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServer").field("name", &self.inner.name).field("pid", &self.inner.pid).finish()
    }
}

/// The error for `server` out of an `rmcp` error: a 401 anywhere in its causes is
/// [`Error::McpAuthorization`].
fn mcp_error(server: &str, e: &(dyn std::error::Error + 'static)) -> Error {
    // A failed start holds the transport's error in a field that is not its `source()`.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = match e.downcast_ref::<rmcp::service::ClientInitializeError>() {
        Some(rmcp::service::ClientInitializeError::TransportError { error, .. }) => Some(error),
        _ => Some(e),
    };
    let mut message = e.to_string();
    while let Some(c) = cause {
        if let Some(auth) = c.downcast_ref::<rmcp::transport::streamable_http_client::AuthRequiredError>() {
            return Error::McpAuthorization {
                operation: OPERATION,
                server: server.to_string(),
                www_authenticate: Some(auth.www_authenticate_header.clone()),
            };
        }
        let text = c.to_string();
        if text.contains("401") && text.to_ascii_lowercase().contains("unauthorized") {
            return Error::McpAuthorization { operation: OPERATION, server: server.to_string(), www_authenticate: None };
        }
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
        cause = c.source();
    }
    Error::Mcp { operation: OPERATION, server: server.to_string(), message }
}

/// rmcp's HTTP client (reqwest 0.13, built without a TLS crypto provider) uses rustls' process
/// default: ring, what the SDK's own TLS uses, unless the application installed one.
fn ensure_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl McpServer {
    /// Spawns `command` and talks MCP over its stdin and stdout (its stderr is the
    /// application's). `name` names the server in errors and logs. The process is killed when
    /// the connection closes.
    pub async fn stdio(name: impl Into<String>, mut command: tokio::process::Command) -> Result<McpServer> {
        let name = name.into();
        command.kill_on_drop(true);
        let (transport, _) = TokioChildProcess::builder(command).stderr(std::process::Stdio::inherit()).spawn().map_err(|e| Error::Mcp {
            operation: OPERATION,
            server: name.clone(),
            message: format!("cannot start the command: {e}"),
        })?;
        let pid = transport.id();
        Self::start(name, transport, pid).await
    }

    /// A streamable HTTP server at `url`: set headers, a bearer token, timeouts or OAuth on the
    /// returned builder, then [`connect`](McpHttp::connect).
    pub fn http(name: impl Into<String>, url: impl Into<String>) -> McpHttp {
        McpHttp {
            name: name.into(),
            url: url.into(),
            headers: Vec::new(),
            bearer: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(300),
            oauth: None,
        }
    }

    /// A server over any `rmcp` client transport (an in-process pipe, a socket, …).
    pub async fn serve<T, E, A>(name: impl Into<String>, transport: T) -> Result<McpServer>
    where
        T: rmcp::transport::IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        Self::start(name.into(), transport, None).await
    }

    async fn start<T, E, A>(name: String, transport: T, pid: Option<u32>) -> Result<McpServer>
    where
        T: rmcp::transport::IntoTransport<RoleClient, E, A>,
        E: std::error::Error + Send + Sync + 'static,
    {
        let service = ().serve(transport).await.map_err(|e| mcp_error(&name, &e))?;
        let peer = service.peer().clone();
        Ok(McpServer {
            inner: Arc::new(Inner {
                name,
                service: tokio::sync::Mutex::new(Some(service)),
                peer,
                call_timeout: std::sync::Mutex::new(Duration::from_secs(60)),
                pid,
            }),
        })
    }

    /// The name the server was registered under.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The spawned process's id (servers started by [`stdio`](Self::stdio)).
    pub fn pid(&self) -> Option<u32> {
        self.inner.pid
    }

    /// How long a tool call may take before the model gets an error result instead (default
    /// 60 s). Applies to every clone.
    pub fn call_timeout(self, timeout: Duration) -> Self {
        *self.inner.call_timeout.lock().expect("the timeout lock") = timeout;
        self
    }

    /// Every tool the server lists (all pages), to include, exclude or confirm, then add to a
    /// run context with [`RunContext::mcp`].
    pub async fn toolset(&self) -> Result<McpToolset> {
        let tools = self.inner.peer.list_all_tools().await.map_err(|e| mcp_error(&self.inner.name, &e))?;
        let tools = tools
            .into_iter()
            .map(|t| McpTool {
                name: t.name.to_string(),
                description: t.description.map(|d| d.to_string()),
                input_schema: Value::Object((*t.input_schema).clone()),
            })
            .collect();
        Ok(McpToolset { server: self.clone(), tools, include: None, exclude: Vec::new(), confirm: Vec::new(), prefix: String::new() })
    }

    /// Every prompt the server lists (all pages).
    pub async fn prompts(&self) -> Result<Vec<McpPrompt>> {
        let prompts = self.inner.peer.list_all_prompts().await.map_err(|e| mcp_error(&self.inner.name, &e))?;
        Ok(prompts
            .into_iter()
            .map(|p| McpPrompt {
                name: p.name,
                description: p.description,
                arguments: p
                    .arguments
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| McpPromptArgument { name: a.name, description: a.description, required: a.required.unwrap_or(false) })
                    .collect(),
            })
            .collect())
    }

    /// Calls the tool `name` (the server's name for it): the result text the model gets, or
    /// the error text.
    async fn call(&self, name: &str, arguments: Value) -> std::result::Result<String, String> {
        let mut params = CallToolRequestParams::new(name.to_string());
        match arguments {
            Value::Object(map) => params = params.with_arguments(map),
            Value::Null => {}
            other => return Err(format!("the arguments are not a JSON object: {other}")),
        }
        let timeout = *self.inner.call_timeout.lock().expect("the timeout lock");
        let result = match tokio::time::timeout(timeout, self.inner.peer.call_tool(params)).await {
            Err(_) => return Err(format!("the MCP server `{}` did not answer within {} s", self.inner.name, timeout.as_secs_f64())),
            Ok(Err(e)) => return Err(format!("the MCP server `{}` failed: {}", self.inner.name, mcp_error(&self.inner.name, &e))),
            Ok(Ok(result)) => result,
        };
        let mut chunks = Vec::new();
        for block in &result.content {
            match block {
                ContentBlock::Text(t) => chunks.push(json!({"type": "text", "text": t.text})),
                other => {
                    let kind = match other {
                        ContentBlock::Image(_) => "an image",
                        ContentBlock::Audio(_) => "audio",
                        ContentBlock::Resource(_) => "an embedded resource",
                        ContentBlock::ResourceLink(_) => "a resource link",
                        _ => "content that is not text",
                    };
                    return Err(format!("the tool `{name}` returned {kind}; only text results can go back to the model"));
                }
            }
        }
        if result.is_error == Some(true) {
            let text: Vec<&str> = chunks.iter().filter_map(|c| c["text"].as_str()).collect();
            return Err(if text.is_empty() { format!("the tool `{name}` failed") } else { text.join("\n") });
        }
        Ok(Value::Array(chunks).to_string())
    }

    /// The prompt `name` with `arguments`, as chat messages ready to send (MCP prompts have
    /// user and assistant messages). Content that is not text is [`Error::Mcp`].
    #[cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))]
    #[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))))]
    pub async fn prompt(&self, name: &str, arguments: serde_json::Map<String, Value>) -> Result<McpPromptMessages> {
        use crate::models::{AssistantMessage, Message, MessageContent, UserMessage};
        use rmcp::model::{GetPromptRequestParams, Role};
        let mut params = GetPromptRequestParams::new(name);
        params.arguments = Some(arguments);
        let result = self.inner.peer.get_prompt(params).await.map_err(|e| mcp_error(&self.inner.name, &e))?;
        let mut messages = Vec::new();
        for m in result.messages {
            let ContentBlock::Text(t) = m.content else {
                return Err(Error::Mcp {
                    operation: OPERATION,
                    server: self.inner.name.clone(),
                    message: format!("the prompt `{name}` has content that is not text"),
                });
            };
            messages.push(match m.role {
                Role::User => Message::User(UserMessage::new(t.text)),
                Role::Assistant => {
                    Message::Assistant(AssistantMessage { content: crate::Nullable::Value(MessageContent::String(t.text)), ..Default::default() })
                }
            });
        }
        Ok(McpPromptMessages { description: result.description, messages })
    }

    /// Closes the connection now (a spawned process is asked to stop, then killed). Clones,
    /// toolsets and run contexts made from the server then get error results.
    pub async fn close(&self) {
        if let Some(service) = self.inner.service.lock().await.take() {
            let _ = service.cancel().await;
        }
    }
}

/// A streamable HTTP MCP server to connect to ([`McpServer::http`]).
#[must_use = "connect() opens the connection"]
pub struct McpHttp {
    name: String,
    url: String,
    headers: Vec<(String, String)>,
    bearer: Option<crate::runtime::secret::Secret>,
    connect_timeout: Duration,
    read_timeout: Duration,
    oauth: Option<McpAuthorized>,
}

impl std::fmt::Debug for McpHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("McpHttp")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .field("oauth", &self.oauth.is_some())
            .finish()
    }
}

impl McpHttp {
    /// A header sent with every request (values are never printed).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// `Authorization: Bearer <token>` on every request.
    pub fn bearer(mut self, token: impl Into<String>) -> Self {
        self.bearer = Some(crate::runtime::secret::Secret::new(token.into()));
        self
    }

    /// How long connecting may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a response may go without a byte (default 300 s, for event streams).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Authorizes every request with OAuth tokens ([`McpOAuth`]), refreshed before they expire.
    pub fn oauth(mut self, authorized: McpAuthorized) -> Self {
        self.oauth = Some(authorized);
        self
    }

    /// Connects and initializes the session. A 401 is [`Error::McpAuthorization`].
    pub async fn connect(self) -> Result<McpServer> {
        ensure_crypto_provider();
        let fail = |message: String| Error::Mcp { operation: OPERATION, server: self.name.clone(), message };
        let http = reqwest_mcp::Client::builder()
            .connect_timeout(self.connect_timeout)
            .read_timeout(self.read_timeout)
            .build()
            .map_err(|e| fail(format!("cannot build the HTTP client: {e}")))?;
        let mut custom_headers = std::collections::HashMap::new();
        for (name, value) in &self.headers {
            let n = reqwest_mcp::header::HeaderName::from_bytes(name.as_bytes()).map_err(|e| fail(format!("header `{name}`: {e}")))?;
            let mut v = reqwest_mcp::header::HeaderValue::from_str(value).map_err(|_| fail(format!("header `{name}`: the value is not valid")))?;
            v.set_sensitive(true);
            custom_headers.insert(n, v);
        }
        let mut config = StreamableHttpClientTransportConfig::with_uri(self.url.clone());
        config.auth_header = self.bearer.as_ref().map(|s| s.expose().to_string());
        config.custom_headers = custom_headers;
        match self.oauth {
            Some(authorized) => {
                let client = AuthClient::new(http, authorized.manager);
                Self::finish(self.name, StreamableHttpClientTransport::with_client(client, config)).await
            }
            None => Self::finish(self.name, StreamableHttpClientTransport::with_client(http, config)).await,
        }
    }

    async fn finish<C>(name: String, transport: StreamableHttpClientTransport<C>) -> Result<McpServer>
    where
        C: rmcp::transport::streamable_http_client::StreamableHttpClient + Send + Sync + 'static,
    {
        McpServer::start(name, transport, None).await
    }
}

/// A tool an MCP server lists.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpTool {
    /// Its name on the server.
    pub name: String,
    /// What it does, as the server says.
    pub description: Option<String>,
    /// Its `inputSchema`: the function's parameters.
    pub input_schema: Value,
}

/// A server's tools, filtered and marked, ready for [`RunContext::mcp`].
#[derive(Debug, Clone)]
#[must_use = "add it to a run context with RunContext::mcp"]
pub struct McpToolset {
    server: McpServer,
    tools: Vec<McpTool>,
    include: Option<Vec<String>>,
    exclude: Vec<String>,
    confirm: Vec<String>,
    prefix: String,
}

fn names<I: IntoIterator<Item = S>, S: Into<String>>(list: I) -> Vec<String> {
    list.into_iter().map(Into::into).collect()
}

impl McpToolset {
    /// Only these tools (by the server's names); the others are left out.
    pub fn include<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tools: I) -> Self {
        self.include = Some(names(tools));
        self
    }

    /// Leaves these tools out (by the server's names).
    pub fn exclude<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tools: I) -> Self {
        self.exclude.extend(names(tools));
        self
    }

    /// These tools (by the server's names) need approval before each call, through the same
    /// paths as local functions: the context's `on_confirm` callback, or the run stops with
    /// the call deferred.
    pub fn require_confirmation<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tools: I) -> Self {
        self.confirm.extend(names(tools));
        self
    }

    /// The model sees each tool as `prefix` + its name (`docs_search`), to keep two servers'
    /// tools (or a local function) from clashing; the server is called with its own name.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The tools that will be added, after `include` and `exclude`.
    pub fn tools(&self) -> impl Iterator<Item = &McpTool> {
        self.tools.iter().filter(|t| self.include.as_ref().is_none_or(|only| only.contains(&t.name)) && !self.exclude.contains(&t.name))
    }

    /// The server the tools run on.
    pub fn server(&self) -> &McpServer {
        &self.server
    }
}

impl RunContext {
    /// Adds an MCP server's tools (see [the module](crate::mcp)): each declared as a function
    /// tool, `strict: true`, called on the server. A tool replaces an earlier function or tool
    /// of the same name.
    pub fn mcp(mut self, toolset: McpToolset) -> Self {
        let chosen: Vec<McpTool> = toolset.tools().cloned().collect();
        for tool in chosen {
            let model_name = format!("{}{}", toolset.prefix, tool.name);
            if toolset.confirm.contains(&tool.name) {
                self = self.require_confirmation(model_name.clone());
            }
            let server = toolset.server.clone();
            let server_name = tool.name.clone();
            let handler = Arc::new(move |args: Value| {
                let server = server.clone();
                let name = server_name.clone();
                Box::pin(async move { server.call(&name, args).await }) as futures::future::BoxFuture<'static, std::result::Result<String, String>>
            });
            self = self.register(model_name, tool.description.unwrap_or_default(), tool.input_schema, handler);
        }
        self
    }
}

/// A prompt an MCP server lists.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpPrompt {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// The arguments it takes.
    pub arguments: Vec<McpPromptArgument>,
}

/// An argument of an [`McpPrompt`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpPromptArgument {
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Whether the prompt needs it.
    pub required: bool,
}

/// A prompt got from a server ([`McpServer::prompt`]): its messages, ready to send.
#[cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "agents", feature = "chat", feature = "classifiers"))))]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct McpPromptMessages {
    /// The prompt's description.
    pub description: Option<String>,
    /// Its messages as chat messages.
    pub messages: Vec<crate::models::Message>,
}

/// OAuth authorization for a remote MCP server (MCP authorization: the server's
/// protected-resource metadata and its authorization server's RFC 8414 metadata are
/// discovered, the client registers itself with RFC 7591 dynamic registration unless a client
/// id is given, and the user authorizes with the authorization code flow and PKCE S256), on
/// `rmcp`'s implementation.
///
/// ```no_run
/// # async fn demo() -> mistral_sdk::Result<()> {
/// use mistral_sdk::mcp::{McpOAuth, McpServer};
/// let oauth = McpOAuth::start("https://mcp.example.com/mcp", "http://127.0.0.1:8765/callback", &["read"], "my-app").await?;
/// println!("Open {}", oauth.authorization_url());
/// let callback_url = "http://127.0.0.1:8765/callback?code=…&state=…"; // where the browser came back
/// let authorized = oauth.finish(callback_url).await?;
/// let server = McpServer::http("docs", "https://mcp.example.com/mcp").oauth(authorized).connect().await?;
/// # Ok(())
/// # }
/// ```
pub struct McpOAuth {
    state: OAuthState,
    url: String,
}

impl std::fmt::Debug for McpOAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpOAuth").field("url", &self.url).finish_non_exhaustive()
    }
}

/// Tokens from [`McpOAuth::finish`], for [`McpHttp::oauth`] (never printed).
pub struct McpAuthorized {
    manager: AuthorizationManager,
}

impl std::fmt::Debug for McpAuthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("McpAuthorized(<tokens redacted>)")
    }
}

fn oauth_error(url: &str, what: &str, e: impl std::fmt::Display) -> Error {
    Error::Mcp { operation: "mcp.oauth", server: url.to_string(), message: format!("{what}: {e}") }
}

impl McpOAuth {
    /// Discovers the server's authorization server, registers this client (dynamic client
    /// registration, named `client_name`, redirecting to `redirect_uri`) and prepares an
    /// authorization request for `scopes` with PKCE S256.
    pub async fn start(server_url: &str, redirect_uri: &str, scopes: &[&str], client_name: &str) -> Result<McpOAuth> {
        Self::start_with(server_url, AuthorizationRequest::new(redirect_uri).with_scopes(scopes.iter().copied()).with_client_name(client_name)).await
    }

    /// The same with a client registered beforehand (no dynamic registration).
    pub async fn start_registered(server_url: &str, redirect_uri: &str, scopes: &[&str], client_id: &str) -> Result<McpOAuth> {
        let request = AuthorizationRequest::new(redirect_uri).with_scopes(scopes.iter().copied()).with_preregistered_client(client_id);
        Self::start_with(server_url, request).await
    }

    async fn start_with(server_url: &str, request: AuthorizationRequest) -> Result<McpOAuth> {
        ensure_crypto_provider();
        let mut state = OAuthState::new(server_url, None).await.map_err(|e| oauth_error(server_url, "cannot start authorization", e))?;
        state.start_authorization(request).await.map_err(|e| oauth_error(server_url, "metadata discovery or client registration failed", e))?;
        Ok(McpOAuth { state, url: server_url.to_string() })
    }

    /// Where to send the user to authorize (it carries the PKCE challenge and the state).
    pub fn authorization_url(&self) -> String {
        match &self.state {
            OAuthState::Session(session) => session.get_authorization_url().to_string(),
            _ => String::new(),
        }
    }

    /// Exchanges the code of the URL the authorization server redirected back to (its state
    /// checked) for tokens.
    pub async fn finish(mut self, callback_url: &str) -> Result<McpAuthorized> {
        self.state.handle_callback_url(callback_url).await.map_err(|e| oauth_error(&self.url, "the token exchange failed", e))?;
        let manager = self.state.into_authorization_manager().ok_or_else(|| oauth_error(&self.url, "the token exchange failed", "no tokens"))?;
        Ok(McpAuthorized { manager })
    }
}
