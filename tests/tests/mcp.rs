//! MCP servers as tools (`mistral_sdk::mcp`, on `rmcp`): an in-process server over a pipe, the
//! test binary over stdio, and streamable HTTP on 127.0.0.1 (headers, a bearer token, a 401,
//! and the OAuth flow against a loopback authorization server with PKCE checked). The chat loop
//! runs against a scripted completions server.

mod common;
#[path = "../src/mcp_fixture.rs"]
mod mcp_fixture;

use common::chat_script::{answer, calls, completion, serve, tool_call, tool_messages};
use mistral_sdk::mcp::{McpOAuth, McpServer};
use mistral_sdk::models::{ChatCompletionRequest, Message, UserMessage};
use mistral_sdk::run::{Confirmation, DeferralReason, RunContext, RunStop};
use mistral_sdk::Error;
use rmcp::ServiceExt;
use serde_json::{json, Map, Value};
use std::time::Duration;

/// The fixture server in this process, over a pipe.
async fn in_process() -> McpServer {
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(service) = mcp_fixture::Fixture::default().serve(server_io).await {
            let _ = service.waiting().await;
        }
    });
    McpServer::serve("local", client_io).await.expect("the session starts")
}

fn user(text: &str) -> Vec<Message> {
    vec![Message::User(UserMessage::new(text))]
}

#[tokio::test]
async fn a_toolset_lists_every_page_and_filters() {
    let server = in_process().await;
    let all = server.toolset().await.unwrap();
    let names: Vec<&str> = all.tools().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["echo", "add", "picture", "broken", "slow", "exit"], "both pages");
    let echo = all.tools().next().unwrap();
    assert_eq!(echo.description.as_deref(), Some("Says the text back"));
    assert_eq!(echo.input_schema["required"], json!(["text"]));
    let some = server.toolset().await.unwrap().include(["echo", "add", "slow"]).exclude(["slow"]);
    assert_eq!(some.tools().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["echo", "add"]);
}

#[tokio::test]
async fn tools_go_out_strict_and_results_come_back_as_the_official_sdk_sends_them() {
    let server = in_process().await.call_timeout(Duration::from_millis(300));
    let ctx = RunContext::new()
        .function("echo", "A local echo, replaced by the server's", |_: Value| async move { Ok::<_, String>("local".to_string()) })
        .mcp(server.toolset().await.unwrap().exclude(["exit"]));
    let (_mock, script, client) = serve(vec![
        completion(
            calls(vec![
                tool_call("t1", "echo", json!({"text": "hi"})),
                tool_call("t2", "add", json!({"a": 2, "b": 3})),
                tool_call("t3", "picture", json!({})),
                tool_call("t4", "broken", json!({})),
                tool_call("t5", "slow", json!({})),
            ]),
            None,
        ),
        completion(answer("done"), None),
    ])
    .await;
    let result = client.chat().run(&ctx, ChatCompletionRequest::new("m", user("go"))).await.unwrap();
    assert_eq!(result.stop, RunStop::Answered);
    let bodies = script.bodies();
    // The tools JSON of the first request: the server's name, description, inputSchema, strict.
    let tools = bodies[0]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["function"]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["echo", "add", "picture", "broken", "slow"], "the server's echo replaced the local one");
    assert_eq!(
        tools[1],
        json!({"type": "function", "function": {"name": "add", "description": "Adds two integers", "strict": true,
            "parameters": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}}, "required": ["a", "b"]}}})
    );
    let sent = tool_messages(&bodies[1]);
    assert_eq!(sent[0].2, json!([{"type": "text", "text": "echo: hi"}]).to_string());
    assert_eq!(sent[1].2, json!([{"type": "text", "text": "5"}, {"type": "text", "text": "(exact)"}]).to_string());
    let error = |i: usize| serde_json::from_str::<Value>(&sent[i].2).unwrap()["error"].as_str().unwrap_or_default().to_string();
    assert!(error(2).contains("returned an image"), "{}", sent[2].2);
    assert_eq!(error(3), "disk full", "an isError result is an error result");
    assert!(error(4).contains("did not answer within 0.3 s"), "{}", sent[4].2);
}

#[tokio::test]
async fn mcp_tools_take_the_confirmation_paths_of_local_functions() {
    let server = in_process().await;
    // Refused in process by the callback.
    let ctx = RunContext::new().mcp(server.toolset().await.unwrap().include(["add"]).require_confirmation(["add"]).prefix("calc_")).on_confirm(
        |call| async move {
            assert_eq!(call.name, "calc_add");
            Confirmation::Refuse("not today".into())
        },
    );
    let (_mock, script, client) =
        serve(vec![completion(calls(vec![tool_call("c1", "calc_add", json!({"a": 1, "b": 1}))]), None), completion(answer("ok"), None)]).await;
    client.chat().run(&ctx, ChatCompletionRequest::new("m", user("go"))).await.unwrap();
    assert_eq!(script.bodies()[0]["tools"][0]["function"]["name"], "calc_add", "the prefix is the model's name");
    assert!(tool_messages(&script.bodies()[1])[0].2.contains("not today"));

    // Without a callback the call is deferred; approving it calls the server with its own name.
    let ctx = RunContext::new().mcp(server.toolset().await.unwrap().include(["add"]).require_confirmation(["add"]).prefix("calc_"));
    let (_mock, script, client) =
        serve(vec![completion(calls(vec![tool_call("c1", "calc_add", json!({"a": 4, "b": 5}))]), None), completion(answer("9"), None)]).await;
    let request = ChatCompletionRequest::new("m", user("go"));
    let result = client.chat().run(&ctx, request.clone()).await.unwrap();
    let deferred = result.deferred.expect("deferred");
    assert_eq!(deferred.deferred_calls[0].reason, DeferralReason::ConfirmationRequired);
    let decisions = vec![deferred.deferred_calls[0].approve()];
    let resumed = client.chat().run_resume(&ctx, request, deferred, decisions).await.unwrap();
    assert_eq!(resumed.stop, RunStop::Answered);
    assert_eq!(tool_messages(&script.bodies()[1])[0].2, json!([{"type": "text", "text": "9"}, {"type": "text", "text": "(exact)"}]).to_string());
}

#[tokio::test]
async fn prompts_are_listed_and_come_as_chat_messages() {
    let server = in_process().await;
    let prompts = server.prompts().await.unwrap();
    assert_eq!(prompts.len(), 2);
    assert_eq!(prompts[0].name, "greet");
    assert!(prompts[0].arguments[0].required);
    let mut args = Map::new();
    args.insert("name".into(), json!("Ada"));
    let prompt = server.prompt("greet", args).await.unwrap();
    assert_eq!(prompt.description.as_deref(), Some("A greeting"));
    let roles: Vec<Value> = prompt.messages.iter().map(|m| serde_json::to_value(m).unwrap()).collect();
    assert_eq!(roles[0], json!({"role": "user", "content": "Say hello to Ada."}));
    assert_eq!(roles[1]["role"], "assistant");
    assert_eq!(roles[1]["content"], "Hello!");
    let err = server.prompt("drawing", Map::new()).await.unwrap_err();
    assert!(matches!(&err, Error::Mcp { server, .. } if server == "local"), "{err}");
}

fn alive(pid: u32) -> bool {
    // A zombie (exited, not yet reaped) counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.split_whitespace().nth(2).is_none_or(|state| state != "Z"))
}

async fn gone(pid: u32) -> bool {
    for _ in 0..100 {
        if !alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn stdio_command() -> tokio::process::Command {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_mcp-test-server"))
}

#[tokio::test]
async fn a_stdio_server_runs_a_round_trip_and_is_gone_when_the_context_is_dropped() {
    let server = McpServer::stdio("stdio", stdio_command()).await.unwrap();
    let pid = server.pid().expect("a process");
    assert!(alive(pid));
    let ctx = RunContext::new().mcp(server.toolset().await.unwrap());
    drop(server);
    let (_mock, script, client) =
        serve(vec![completion(calls(vec![tool_call("s1", "echo", json!({"text": "over stdio"}))]), None), completion(answer("ok"), None)]).await;
    client.chat().run(&ctx, ChatCompletionRequest::new("m", user("go"))).await.unwrap();
    assert_eq!(tool_messages(&script.bodies()[1])[0].2, json!([{"type": "text", "text": "echo: over stdio"}]).to_string());
    assert!(alive(pid), "the context keeps the server");
    drop(ctx);
    assert!(gone(pid).await, "the server process outlived its run context");
}

#[tokio::test]
async fn a_server_that_exits_mid_run_gives_error_results_not_a_hang() {
    let server = McpServer::stdio("stdio", stdio_command()).await.unwrap().call_timeout(Duration::from_secs(5));
    let pid = server.pid().unwrap();
    let ctx = RunContext::new().mcp(server.toolset().await.unwrap());
    let (_mock, script, client) = serve(vec![
        completion(calls(vec![tool_call("x1", "exit", json!({}))]), None),
        completion(calls(vec![tool_call("x2", "echo", json!({"text": "still there?"}))]), None),
        completion(answer("ok"), None),
    ])
    .await;
    let started = std::time::Instant::now();
    let result = client.chat().run(&ctx, ChatCompletionRequest::new("m", user("go"))).await.unwrap();
    assert_eq!(result.stop, RunStop::Answered);
    assert!(started.elapsed() < Duration::from_secs(12), "took {:?}", started.elapsed());
    let bodies = script.bodies();
    for (round, body) in [(1, &bodies[1]), (2, &bodies[2])] {
        let text = tool_messages(body).last().unwrap().2.clone();
        assert!(serde_json::from_str::<Value>(&text).unwrap()["error"].is_string(), "round {round}: {text}");
    }
    assert!(gone(pid).await);
    server.close().await;
}

#[tokio::test]
async fn a_command_that_cannot_start_is_a_clear_error() {
    let err = McpServer::stdio("missing", tokio::process::Command::new("/nonexistent/mcp-server")).await.unwrap_err();
    assert!(matches!(&err, Error::Mcp { server, message, .. } if server == "missing" && message.contains("cannot start")), "{err}");
}

mod http {
    //! A loopback HTTP server: the fixture over streamable HTTP at `/mcp` (optionally behind a
    //! bearer token), and an OAuth authorization server beside it.

    use super::mcp_fixture::Fixture;
    use base64::Engine;
    use bytes::Bytes;
    use http_body_util::{combinators::BoxBody, BodyExt, Full};
    use hyper::body::Incoming;
    use hyper::{Request, Response};
    use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
    use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
    use serde_json::{json, Value};
    use sha2::Digest;
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex};

    type Body = BoxBody<Bytes, Infallible>;

    #[derive(Default)]
    pub struct Seen {
        /// The headers of each `/mcp` request.
        pub mcp_headers: Vec<hyper::HeaderMap>,
        /// The `code_challenge` of the authorization request.
        pub challenge: Option<String>,
        /// Each token request's form.
        pub token_forms: Vec<Vec<(String, String)>>,
        pub registered: bool,
    }

    #[derive(Clone)]
    pub struct Server {
        pub base: String,
        pub seen: Arc<Mutex<Seen>>,
    }

    fn reply(status: u16, json: Value) -> Response<Body> {
        Response::builder().status(status).header("content-type", "application/json").body(Full::new(Bytes::from(json.to_string())).boxed()).unwrap()
    }

    /// Serves on 127.0.0.1; `token`: the bearer `/mcp` requires (`None`: none), checked by a
    /// prefix so refreshed tokens pass.
    pub async fn start(token: Option<&'static str>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Seen::default()));
        let mcp =
            StreamableHttpService::new(|| Ok(Fixture::default()), Arc::new(LocalSessionManager::default()), StreamableHttpServerConfig::default());
        let server = Server { base: base.clone(), seen: seen.clone() };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (mcp, seen, base) = (mcp.clone(), seen.clone(), base.clone());
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let (mut mcp, seen, base) = (mcp.clone(), seen.clone(), base.clone());
                    async move { Ok::<_, Infallible>(route(req, &mut mcp, &seen, &base, token).await) }
                });
                tokio::spawn(hyper::server::conn::http1::Builder::new().serve_connection(hyper_util::rt::TokioIo::new(stream), service));
            }
        });
        server
    }

    fn form(body: &[u8]) -> Vec<(String, String)> {
        reqwest::Url::parse(&format!("http://x/?{}", String::from_utf8_lossy(body)))
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    async fn route(
        req: Request<Incoming>,
        mcp: &mut StreamableHttpService<Fixture, LocalSessionManager>,
        seen: &Mutex<Seen>,
        base: &str,
        token: Option<&str>,
    ) -> Response<Body> {
        let path = req.uri().path().to_string();
        match path.as_str() {
            "/mcp" => {
                seen.lock().unwrap().mcp_headers.push(req.headers().clone());
                if let Some(token) = token {
                    let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("");
                    if !auth.starts_with(&format!("Bearer {token}")) {
                        let challenge = format!("Bearer resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\"");
                        let mut r = reply(401, json!({"error": "unauthorized"}));
                        r.headers_mut().insert("www-authenticate", challenge.parse().unwrap());
                        return r;
                    }
                }
                let response = tower_service::Service::call(mcp, req).await.unwrap();
                let (parts, body) = response.into_parts();
                Response::from_parts(parts, body.map_err(|e| match e {}).boxed())
            }
            "/.well-known/oauth-protected-resource/mcp" | "/.well-known/oauth-protected-resource" => {
                reply(200, json!({"resource": format!("{base}/mcp"), "authorization_servers": [base], "scopes_supported": ["tools"]}))
            }
            "/.well-known/oauth-authorization-server" => reply(
                200,
                json!({"issuer": base, "authorization_endpoint": format!("{base}/authorize"), "token_endpoint": format!("{base}/token"),
                    "registration_endpoint": format!("{base}/register"), "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code", "refresh_token"], "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["none"], "scopes_supported": ["tools"]}),
            ),
            "/register" => {
                let body = req.into_body().collect().await.unwrap().to_bytes();
                let asked: Value = serde_json::from_slice(&body).unwrap_or_default();
                seen.lock().unwrap().registered = true;
                reply(201, json!({"client_id": "client-1", "redirect_uris": asked["redirect_uris"], "token_endpoint_auth_method": "none"}))
            }
            "/token" => {
                let body = req.into_body().collect().await.unwrap().to_bytes();
                let form = form(&body);
                let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
                seen.lock().unwrap().token_forms.push(form.clone());
                match get("grant_type").as_str() {
                    "authorization_code" => {
                        // PKCE S256: the verifier must hash to the challenge of the authorization request.
                        let digest = sha2::Sha256::digest(get("code_verifier").as_bytes());
                        let hashed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest);
                        let challenge = seen.lock().unwrap().challenge.clone().unwrap_or_default();
                        if get("code") != "code-1" || hashed != challenge {
                            return reply(400, json!({"error": "invalid_grant"}));
                        }
                        // Expires at once: the next use must refresh it.
                        reply(
                            200,
                            json!({"access_token": "access-1", "token_type": "Bearer", "expires_in": 1, "refresh_token": "refresh-1", "scope": "tools"}),
                        )
                    }
                    "refresh_token" if get("refresh_token") == "refresh-1" => reply(
                        200,
                        json!({"access_token": "access-2", "token_type": "Bearer", "expires_in": 3600, "refresh_token": "refresh-2", "scope": "tools"}),
                    ),
                    _ => reply(400, json!({"error": "invalid_grant"})),
                }
            }
            _ => reply(404, json!({"error": "not found"})),
        }
    }
}

#[tokio::test]
async fn streamable_http_sends_headers_and_a_bearer_and_runs_tools() {
    let server = http::start(None).await;
    let mcp = McpServer::http("remote", format!("{}/mcp", server.base))
        .header("x-team", "sdk")
        .bearer("secret-token")
        .connect_timeout(Duration::from_secs(2))
        .read_timeout(Duration::from_secs(10))
        .connect()
        .await
        .unwrap();
    assert!(!format!("{mcp:?}").contains("secret-token"));
    let ctx = RunContext::new().mcp(mcp.toolset().await.unwrap().include(["echo"]));
    let (_mock, script, client) =
        serve(vec![completion(calls(vec![tool_call("h1", "echo", json!({"text": "over http"}))]), None), completion(answer("ok"), None)]).await;
    client.chat().run(&ctx, ChatCompletionRequest::new("m", user("go"))).await.unwrap();
    assert_eq!(tool_messages(&script.bodies()[1])[0].2, json!([{"type": "text", "text": "echo: over http"}]).to_string());
    let seen = server.seen.lock().unwrap();
    assert!(seen.mcp_headers.len() >= 3, "initialize, list, call");
    for h in &seen.mcp_headers {
        assert_eq!(h.get("x-team").unwrap(), "sdk");
        assert_eq!(h.get("authorization").unwrap(), "Bearer secret-token");
    }
}

#[tokio::test]
async fn a_401_is_a_typed_authorization_error() {
    let server = http::start(Some("access")).await;
    let err = McpServer::http("locked", format!("{}/mcp", server.base)).connect().await.unwrap_err();
    match &err {
        Error::McpAuthorization { server, www_authenticate, .. } => {
            assert_eq!(server, "locked");
            assert!(www_authenticate.as_deref().unwrap_or("").contains("resource_metadata"), "{www_authenticate:?}");
        }
        other => panic!("expected McpAuthorization, got {other:?}"),
    }
    assert!(err.to_string().contains("needs authorization"), "{err}");
}

#[tokio::test]
async fn the_oauth_flow_discovers_registers_uses_pkce_and_refreshes() {
    let server = http::start(Some("access")).await;
    let url = format!("{}/mcp", server.base);
    let oauth = McpOAuth::start(&url, "http://127.0.0.1:9/callback", &["tools"], "sdk-tests").await.unwrap();
    assert!(server.seen.lock().unwrap().registered, "dynamic client registration");
    let authorize = reqwest::Url::parse(&oauth.authorization_url()).unwrap();
    assert_eq!(authorize.path(), "/authorize");
    let q = |k: &str| authorize.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
    assert_eq!(q("code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(q("client_id").as_deref(), Some("client-1"));
    assert_eq!(q("response_type").as_deref(), Some("code"));
    server.seen.lock().unwrap().challenge = q("code_challenge");
    let callback = format!("http://127.0.0.1:9/callback?code=code-1&state={}", q("state").unwrap());

    let authorized = oauth.finish(&callback).await.unwrap();
    assert!(!format!("{authorized:?}").contains("access-1"), "tokens are never printed");
    let forms = server.seen.lock().unwrap().token_forms.clone();
    assert_eq!(forms.len(), 1);
    assert!(forms[0].iter().any(|(k, v)| k == "code_verifier" && v.len() >= 43), "a PKCE verifier");

    tokio::time::sleep(Duration::from_millis(1100)).await; // the first token has expired
    let mcp = McpServer::http("oauth", url).oauth(authorized).connect().await.unwrap();
    assert_eq!(mcp.toolset().await.unwrap().tools().count(), 6);
    let seen = server.seen.lock().unwrap();
    assert!(seen.token_forms.iter().any(|f| f.iter().any(|(k, v)| k == "grant_type" && v == "refresh_token")), "refreshed before use");
    let last = seen.mcp_headers.last().unwrap();
    assert_eq!(last.get("authorization").unwrap(), "Bearer access-2");
}

#[tokio::test]
async fn an_oauth_callback_with_a_wrong_state_is_refused() {
    let server = http::start(Some("access")).await;
    let url = format!("{}/mcp", server.base);
    let oauth = McpOAuth::start(&url, "http://127.0.0.1:9/callback", &["tools"], "sdk-tests").await.unwrap();
    let err = oauth.finish("http://127.0.0.1:9/callback?code=code-1&state=forged").await.unwrap_err();
    assert!(matches!(err, Error::Mcp { .. }), "{err}");
    assert!(server.seen.lock().unwrap().token_forms.is_empty(), "no token request with a forged state");
}
