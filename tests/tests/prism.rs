//! Third-party validation: Stoplight Prism (installed from npm into `tools/prism` by
//! `npm ci --prefix tools/prism`), started here on 127.0.0.1 with the generator's normalized spec
//! (`sdkgen::normalize::for_mock_server` lists the two patches Prism needs), checks that the
//! requests the SDK sends satisfy the spec. Prism runs with `-d` (dynamic responses, which also
//! exercise unknown extra properties) and `--errors` (an invalid request gets a 4xx).

mod common;
#[path = "common/cases.rs"]
#[rustfmt::skip]
mod cases;

use mistral_sdk::{Client, Error, RetryPolicy};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Operations whose synthesized request Prism refuses, and why. None is an SDK defect: the test
/// fails if another operation is refused, or if one of these starts passing (remove it then).
const KNOWN_REFUSED: &[(&str, &str)] = &[
    ("agents_api_v1_agents_list", "Prism limitation: a nullable array query parameter (`sources`) sent as repeated keys is read as a string"),
    ("agents_api_v1_agents_list_pages", "Prism limitation: nullable array query parameter `sources`"),
    ("get_judges_v1_observability_judges_get", "Prism limitation: nullable array query parameters `model_filter`, `type_filter`"),
    ("connector_list_v1", "Prism limitation: it does not parse query parameters whose spec uses JSON `content` (`query_filters`)"),
    ("libraries_share_delete_v1", "spec bug: SharingDelete requires `level`, which is not one of its properties"),
    ("libraries_create_v1", "test data: `chunk_size` must be >= 256 (synthesized 7)"),
    ("get_workflow_execution_logs", "test data: `activity_id` must match ^\\d+$"),
    ("schedule_workflow_v1_workflows_schedules_post", "test data: integer enum `overlap` (1..6), synthesized 7"),
    ("update_schedule_v1_workflows_schedules__schedule_id__patch", "test data: integer enum `overlap`"),
    ("trigger_schedule_v1_workflows_schedules__schedule_id__trigger_post", "test data: integer enum `overlap`"),
    ("jobs_api_routes_batch_get_batch_jobs", "Prism limitation: nullable array query parameter `status`"),
    ("users_api_admin_audit_logs_get_audit_logs", "Prism limitation: nullable array query parameters and a JSON `content` parameter"),
    ("users_api_admin_workspaces_create_workspace", "test data: `icon` is at most 2 characters"),
    ("users_api_admin_workspaces_update_workspaces", "test data: `icon` is at most 2 characters"),
    ("skills_create", "spec bug: SkillAssetContent sets additionalProperties: false next to a oneOf of property sets, so no asset validates"),
    ("skills_create_version", "spec bug: SkillAssetContent, as above"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_accepts_the_requests_the_sdk_sends() {
    let (_prism, uri) = common::prism_server::start();
    let client = Client::builder()
        .api_key("test-api-key")
        .admin_api_key("test-admin-key")
        .user_context_api_key("test-user-context-key")
        .server(&uri)
        .retry_policy(RetryPolicy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    // Prism validates: a request missing a required body field is refused.
    let raw = reqwest::Client::new().post(format!("{uri}/v1/embeddings")).bearer_auth("k").json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(raw.status().as_u16(), 422, "prism must refuse an invalid request");

    let mut accepted: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut refused: Vec<(&str, String)> = Vec::new();
    let mut undecodable = Vec::new();
    for case in cases::cases() {
        // Streams are not mocked by Prism (it answers JSON); their requests are checked by the
        // contract tests.
        if matches!(case.kind, common::contract::Kind::Sse) {
            continue;
        }
        let group = case_group(case.op);
        match case.run(&client).await {
            Ok(_) => accepted.entry(group).or_default().push(case.op),
            Err(Error::Decode(d)) => {
                // The request passed validation; Prism's random response did not decode.
                accepted.entry(group).or_default().push(case.op);
                undecodable.push(format!("{}: {} at `{}`", case.op, d.message, d.path));
            }
            Err(e) => {
                let body: serde_json::Value = e.api_error().and_then(|a| serde_json::from_slice(&a.body).ok()).unwrap_or_default();
                // Prism's own random response failing its own validation (a 500 whose violations
                // are all in the response) means the request was valid.
                let violations = body["validation"].as_array().cloned().unwrap_or_default();
                let is_500 = e.status().map(|s| s.as_u16()) == Some(500);
                let response_only = is_500 && !violations.is_empty() && violations.iter().all(|v| v["location"][0] == "response");
                // Prism validates the request first (a 422 with --errors); a 500 of type UNKNOWN
                // comes later, when its faker cannot build the response (e.g. the `prefixItems`
                // tuple of the workflow metrics, which it builds on some runs and not others).
                let faker_failed = is_500 && body["type"].as_str().is_some_and(|t| t.ends_with("#UNKNOWN"));
                if response_only || faker_failed {
                    accepted.entry(group).or_default().push(case.op);
                    undecodable.push(format!(
                        "{}: prism could not produce a valid response ({})",
                        case.op,
                        body["title"].as_str().unwrap_or("its own validation rejects it")
                    ));
                } else {
                    refused.push((case.op, format!("{e}")));
                }
            }
        }
    }
    let total: usize = accepted.values().map(Vec::len).sum();
    println!("prism accepted the requests of {total} operations in {} groups; refused {}", accepted.len(), refused.len());
    for (op, r) in &refused {
        println!("  refused: {op}: {r}");
    }
    for u in &undecodable {
        println!("  response did not decode: {u}");
    }
    let groups: BTreeSet<&String> = accepted.keys().collect();
    println!("groups: {groups:?}");
    let unexpected: Vec<String> =
        refused.iter().filter(|(op, _)| !KNOWN_REFUSED.iter().any(|(k, _)| k == op)).map(|(op, r)| format!("{op}: {r}")).collect();
    assert!(unexpected.is_empty(), "prism refused {} requests:\n{}", unexpected.len(), unexpected.join("\n"));
    for (op, why) in KNOWN_REFUSED {
        assert!(refused.iter().any(|(r, _)| r == op), "{op} is listed as refused ({why}) but prism accepted it: remove it");
    }
    assert!(total >= 40, "at least 40 operations validated, got {total}");
    // Every top-level group of the API is among them.
    let top = |g: &str| g.split('.').take(if g.starts_with("beta.") { 2 } else { 1 }).collect::<Vec<_>>().join(".");
    let all_groups: BTreeSet<String> = cases::cases().iter().map(|c| top(&case_group(c.op))).collect();
    let covered: BTreeSet<String> = accepted.keys().map(|g| top(g)).collect();
    let missing: Vec<&String> = all_groups.difference(&covered).collect();
    assert!(missing.is_empty(), "groups without a validated operation: {missing:?}");
}

/// The top-level group of an operation, from the manifest.
fn case_group(op: &str) -> String {
    static MANIFEST: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let m = MANIFEST.get_or_init(|| serde_json::from_str(include_str!("../../generated/sdk-manifest.json")).unwrap());
    m["operations"].as_array().unwrap().iter().find(|o| o["operation_id"] == op).map(|o| o["group"].as_str().unwrap().to_string()).unwrap_or_default()
}
