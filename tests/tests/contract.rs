//! Every operation against a wiremock server on 127.0.0.1 that answers only the exact expected
//! request (cases generated from the IR in `common/cases.rs`).

mod common;
#[path = "common/cases.rs"]
#[rustfmt::skip]
mod cases;

/// The generated types are `#[non_exhaustive]`, so code outside the crate builds them through
/// constructors, setters, `Default` and variants only: `build_sent_types` (generated) compiles
/// only if every type the SDK sends can be built that way, and builds each.
#[test]
fn every_sent_type_builds_through_its_public_api() {
    let built = cases::build_sent_types();
    assert_eq!(built.len(), cases::SENT_TYPES);
    for name in ["ChatCompletionRequest", "EmbeddingRequest", "Message", "ChatTool", "ConversationRequest", "CreateBatchJobRequest"] {
        assert!(built.contains(&name), "{name} not built");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_matches_its_contract() {
    let cases = cases::cases();
    assert_eq!(cases.len(), cases::OPERATIONS, "one case per operation");
    let manifest: serde_json::Value = serde_json::from_str(include_str!("../../generated/sdk-manifest.json")).unwrap();
    assert_eq!(manifest["operations"].as_array().unwrap().len(), cases.len(), "every operation of the manifest has a case");
    common::contract::run_all(cases).await;
}
