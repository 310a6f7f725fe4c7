//! Every example in the spec (`example`/`examples` on schemas) decodes into its Rust type and
//! re-encodes to equal JSON; unknown enum values and union tags decode into the fallbacks.

mod common;
use common::*;
use mistralai::models::*;
use serde_json::json;

/// Examples that violate their own schema in the published spec. Each entry is checked: the test
/// fails if one of these starts passing (remove it) or if any other example fails.
const KNOWN_BAD_EXAMPLES: &[(&str, &str)] = &[(
    "#/components/schemas/AdminScimSyncRunOUT/properties/summary/examples/0",
    "`groups: {}` lacks the fields ScimSyncGroupsSummaryOut requires (`create`, ...)",
)];

#[test]
fn every_spec_example_round_trips() {
    let (_, ir, _) = sdkgen::lower_spec(&spec_text(), &overlay()).unwrap();
    let mut failures = Vec::new();
    let mut known_seen = Vec::new();
    for ex in &ir.examples {
        let problem = match mistralai::roundtrip::roundtrip(&ex.rust_type, ex.value.clone()) {
            None => Some(format!("no round-trip entry for `{}` (generated/ is stale?)", ex.rust_type)),
            Some(Err(e)) => Some(format!("{} as `{}`: {e}", ex.value, ex.rust_type)),
            Some(Ok(back)) if !json_eq(&back, &ex.value) => Some(format!("`{}` re-encodes {} as {back}", ex.rust_type, ex.value)),
            Some(Ok(_)) => None,
        };
        match (problem, KNOWN_BAD_EXAMPLES.iter().find(|(p, _)| *p == ex.pointer)) {
            (Some(_), Some((p, _))) => known_seen.push(*p),
            (Some(problem), None) => failures.push(format!("{}: {problem}", ex.pointer)),
            (None, Some((p, why))) => failures.push(format!("{p}: listed as bad ({why}) but now round-trips; remove it")),
            (None, None) => {}
        }
    }
    for (p, why) in KNOWN_BAD_EXAMPLES {
        assert!(known_seen.contains(p) || failures.iter().any(|f| f.starts_with(p)), "{p} ({why}) is no longer in the spec");
    }
    println!(
        "{} examples round-tripped, {} known-bad examples rejected, {} failed",
        ir.examples.len() - known_seen.len() - failures.len(),
        known_seen.len(),
        failures.len()
    );
    assert!(ir.examples.len() > 200, "expected the spec's examples, found {}", ir.examples.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    let decoded: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("decoding {v}: {e}"));
    let back = serde_json::to_value(&decoded).unwrap();
    assert!(json_eq(&back, &v), "{v} re-encoded as {back}");
    decoded
}

#[test]
fn unknown_enum_values_decode_into_unknown() {
    let mode: MistralPromptMode = round_trip(json!("telepathic"));
    assert_eq!(mode, MistralPromptMode::Unknown("telepathic".into()));
    assert_eq!(mode.as_str(), "telepathic");
    let known: MistralPromptMode = round_trip(json!("reasoning"));
    assert_eq!(known, MistralPromptMode::Reasoning);
}

#[test]
fn unknown_union_tags_keep_the_raw_json() {
    let raw = json!({"role": "oracle", "content": "hi", "extra": [1, 2]});
    let m: Message = round_trip(raw.clone());
    assert_eq!(m, Message::Unknown(raw));
    assert_eq!(m.tag(), Some("oracle"));

    let known: Message = round_trip(json!({"role": "user", "content": "hi"}));
    assert!(matches!(known, Message::User(_)), "{known:?}");
    assert_eq!(known.tag(), Some("user"));

    // A conversation event type this SDK does not know.
    let ev = json!({"type": "brand.new.event", "payload": {"x": 1}});
    let decoded: ConversationEvent = round_trip(ev.clone());
    assert_eq!(decoded, ConversationEvent::Unknown(ev));
}

#[test]
fn a_known_tag_with_a_broken_body_names_the_path() {
    let err = serde_json::from_value::<Message>(json!({"role": "assistant", "tool_calls": [{"function": 5}]})).unwrap_err();
    assert!(err.to_string().contains("tool_calls[0].function"), "{err}");
}

#[test]
fn untagged_unions_fall_back_to_raw_json() {
    // `content` of a user message is a string or a list of chunks.
    let s: MessageContent = round_trip(json!("plain"));
    assert!(matches!(s, MessageContent::String(_)), "{s:?}");
    let odd: MessageContent = round_trip(json!(42));
    assert_eq!(odd, MessageContent::Unknown(json!(42)));
}

#[test]
fn const_fields_are_filled_in_and_checked() {
    let m = UserMessage::new("Hi");
    assert_eq!(serde_json::to_value(&m).unwrap(), json!({"role": "user", "content": "Hi"}));
    assert!(serde_json::from_value::<UserMessage>(json!({"role": "system", "content": "x"})).is_err());
}

#[test]
fn optional_nullable_fields_are_tri_state() {
    let req = ChatCompletionRequest::new("mistral-small-latest", vec![UserMessage::new("Hi").into()]).temperature(0.3);
    let v = serde_json::to_value(&req).unwrap();
    assert_eq!(v["temperature"], json!(0.3));
    assert!(v.get("top_p").is_none(), "absent fields are not sent: {v}");
    let mut req = req;
    req.top_p = mistralai::Nullable::Null;
    assert_eq!(serde_json::to_value(&req).unwrap()["top_p"], json!(null));
    let back: ChatCompletionRequest = serde_json::from_value(json!({"model": "m", "messages": [], "top_p": null})).unwrap();
    assert!(back.top_p.is_null());
    assert!(back.temperature.is_absent());
}
