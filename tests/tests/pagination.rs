//! `pages()` and `items()` of the paginated list operations over a multi-page loopback server:
//! cursor and offset paging, the end of the list (no next cursor, an empty last page), laziness,
//! errors ending the stream, and servers that would make a naive loop run forever.

use futures::{StreamExt, TryStreamExt};
use mistral_sdk::{Client, Error, RetryPolicy};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

fn client(uri: &str) -> Client {
    Client::builder().api_key("k").user_context_api_key("u").server(uri).retry_policy(RetryPolicy::none()).build().unwrap()
}

/// Answers each request with the page its query selects (`param` → answer; a missing param is
/// the key ""), and records every request's query.
#[derive(Clone)]
struct Pages {
    param: &'static str,
    answers: HashMap<String, ResponseTemplate>,
    seen: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

impl Pages {
    fn new(param: &'static str, answers: &[(&str, Value)]) -> Self {
        let answers = answers.iter().map(|(k, v)| (k.to_string(), ResponseTemplate::new(200).set_body_json(v))).collect();
        Pages { param, answers, seen: Arc::default() }
    }
    fn with(mut self, key: &str, answer: ResponseTemplate) -> Self {
        self.answers.insert(key.to_string(), answer);
        self
    }
    fn queries(&self) -> Vec<HashMap<String, String>> {
        self.seen.lock().unwrap().clone()
    }
    fn selected(&self) -> Vec<String> {
        self.queries().iter().map(|q| q.get(self.param).cloned().unwrap_or_default()).collect()
    }
}

impl Respond for Pages {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let query: HashMap<String, String> = req.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let key = query.get(self.param).cloned().unwrap_or_default();
        self.seen.lock().unwrap().push(query);
        self.answers.get(&key).cloned().unwrap_or_else(|| ResponseTemplate::new(404).set_body_string(format!("no page {key}")))
    }
}

fn prompt(id: &str) -> Value {
    json!({"id": id, "name": format!("prompt {id}")})
}

fn agent(id: &str) -> Value {
    json!({"model": "m", "name": id, "id": id, "version": 1, "versions": [1], "created_at": "2026-01-01T00:00:00Z",
           "updated_at": "2026-01-01T00:00:00Z", "deployment_chat": false, "source": "api"})
}

fn org(id: &str) -> Value {
    json!({"id": id, "name": format!("org {id}")})
}

async fn serve(at: &str, pages: &Pages) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET")).and(path(at)).respond_with(pages.clone()).mount(&server).await;
    server
}

#[tokio::test]
async fn cursor_pages_until_an_empty_page_and_keep_the_other_parameters() {
    let pages = Pages::new(
        "pageToken",
        &[
            ("", json!({"data": [prompt("a"), prompt("b")], "nextPageToken": "t1"})),
            ("t1", json!({"data": [prompt("c")], "nextPageToken": "t2"})),
            // The last page is empty and still names a next cursor: the list has ended.
            ("t2", json!({"data": [], "nextPageToken": "t3"})),
        ],
    );
    let server = serve("/v2/prompts", &pages).await;
    let c = client(&server.uri());
    let ids: Vec<String> = c.beta().prompts().list().page_size(2).alias("prod").items().map_ok(|p| p.id.unwrap()).try_collect().await.unwrap();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(pages.selected(), ["", "t1", "t2"], "one request per page, each with the previous page's cursor");
    for q in pages.queries() {
        assert_eq!(q["pageSize"], "2");
        assert_eq!(q["alias"], "prod");
    }
}

#[tokio::test]
async fn cursor_pages_end_without_a_next_cursor_and_start_from_the_builders_cursor() {
    let pages = Pages::new(
        "page_token",
        &[
            ("start", json!({"object": "list", "data": [agent("a1")], "next_page_token": "p2"})),
            ("p2", json!({"object": "list", "data": [agent("a2"), agent("a3")], "next_page_token": null})),
        ],
    );
    let server = serve("/v1/agents/pages", &pages).await;
    let c = client(&server.uri());
    let got: Vec<_> = c.beta().agents().list_pages().page_token("start").pages().try_collect().await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].data.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["a2", "a3"]);
    assert_eq!(pages.selected(), ["start", "p2"]);
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_not_a_loop() {
    let pages = Pages::new(
        "pageToken",
        &[("", json!({"data": [prompt("a")], "nextPageToken": "same"})), ("same", json!({"data": [prompt("b")], "nextPageToken": "same"}))],
    );
    let server = serve("/v2/prompts", &pages).await;
    let c = client(&server.uri());
    let got: Vec<_> = c.beta().prompts().list().items().collect().await;
    assert_eq!(got.len(), 3, "two items, then the error, then the end: {got:?}");
    assert_eq!(got[0].as_ref().unwrap().id.as_deref(), Some("a"));
    assert_eq!(got[1].as_ref().unwrap().id.as_deref(), Some("b"));
    match &got[2] {
        Err(e @ Error::Pagination { operation, message }) => {
            assert_eq!(*operation, "beta.prompts.list");
            assert!(message.contains("`same`"), "{message}");
            assert!(e.to_string().starts_with("beta.prompts.list: pagination stopped"), "{e}");
        }
        other => panic!("expected Error::Pagination, got {other:?}"),
    }
    assert_eq!(pages.selected(), ["", "same"]);
}

#[tokio::test]
async fn offset_pages_move_by_the_items_received_until_an_empty_page() {
    let pages = Pages::new(
        "offset",
        &[("0", json!({"organizations": [org("o1"), org("o2")]})), ("2", json!({"organizations": [org("o3")]})), ("3", json!({"organizations": []}))],
    );
    let server = serve("/v1/users/me/organizations", &pages).await;
    let c = client(&server.uri());
    let ids: Vec<String> = c.beta().users().list_organizations().limit(2).items().map_ok(|o| o.id).try_collect().await.unwrap();
    assert_eq!(ids, ["o1", "o2", "o3"]);
    assert_eq!(pages.selected(), ["0", "2", "3"]);
    assert!(pages.queries().iter().all(|q| q["limit"] == "2"));

    // From the builder's own offset.
    let pages = Pages::new("offset", &[("2", json!({"organizations": [org("o3")]})), ("3", json!({"organizations": []}))]);
    let server = serve("/v1/users/me/organizations", &pages).await;
    let got: Vec<_> = client(&server.uri()).beta().users().list_organizations().offset(2).pages().try_collect().await.unwrap();
    assert_eq!(got.len(), 2, "the empty last page is a page too");
    assert!(got[1].organizations.is_empty());
    assert_eq!(pages.selected(), ["2", "3"]);
}

#[tokio::test]
async fn a_server_ignoring_the_offset_is_an_error_not_a_loop() {
    let same = json!({"workspaces": [{"id": "w1", "name": "one", "organization_id": "o"}]});
    let pages = Pages::new("offset", &[("0", same.clone()), ("1", same.clone()), ("2", same)]);
    let server = serve("/v1/users/me/workspaces", &pages).await;
    let got: Vec<_> = client(&server.uri()).beta().users().list_workspaces().items().collect().await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].as_ref().unwrap().id, "w1");
    assert!(
        matches!(&got[1], Err(Error::Pagination { operation: "beta.users.list_workspaces", message }) if message.contains("offset 1")),
        "{got:?}"
    );
    assert_eq!(pages.selected(), ["0", "1"]);
}

#[tokio::test]
async fn pages_are_fetched_only_when_read() {
    let pages = Pages::new(
        "pageToken",
        &[("", json!({"data": [prompt("a")], "nextPageToken": "t1"})), ("t1", json!({"data": [prompt("b")], "nextPageToken": "t2"}))],
    );
    let server = serve("/v2/prompts", &pages).await;
    let c = client(&server.uri());
    let stream = c.beta().prompts().list().pages();
    assert!(pages.selected().is_empty(), "nothing is sent before the stream is read");
    let first: Vec<_> = stream.take(1).try_collect().await.unwrap();
    assert_eq!(first.len(), 1);
    assert_eq!(pages.selected(), [""], "one page read, one page requested");
}

#[tokio::test]
async fn an_error_ends_the_stream_after_it_is_yielded() {
    let pages = Pages::new("pageToken", &[("", json!({"data": [prompt("a")], "nextPageToken": "t1"}))])
        .with("t1", ResponseTemplate::new(500).set_body_string("boom"));
    let server = serve("/v2/prompts", &pages).await;
    let got: Vec<_> = client(&server.uri()).beta().prompts().list().items().collect().await;
    assert_eq!(got.len(), 2);
    assert!(got[0].is_ok());
    assert_eq!(got[1].as_ref().unwrap_err().status().map(|s| s.as_u16()), Some(500));
    assert_eq!(pages.selected(), ["", "t1"], "nothing after the failed page");
}
