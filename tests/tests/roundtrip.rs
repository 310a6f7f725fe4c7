//! Every example in the spec (`example`/`examples` on schemas) decodes into its Rust type and
//! re-encodes to equal JSON; unknown enum values and union tags decode into the fallbacks.

mod common;
use common::*;
use mistral_sdk::models::*;
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
        let problem = match mistral_sdk::roundtrip::roundtrip(&ex.rust_type, ex.value.clone()) {
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
    req.top_p = mistral_sdk::Nullable::Null;
    assert_eq!(serde_json::to_value(&req).unwrap()["top_p"], json!(null));
    let back: ChatCompletionRequest = serde_json::from_value(json!({"model": "m", "messages": [], "top_p": null})).unwrap();
    assert!(back.top_p.is_null());
    assert!(back.temperature.is_absent());
}

/// A minimal JSON value of a type: its required fields only, each with a plain sample value
/// (`"x"`, `1`, the first enum value, a const's value, the first variant of a union). The
/// tag under test is left out of the outermost object unless it is a const (which constructors
/// fill in).
fn sample(ir: &sdkgen::ir::Ir, t: &sdkgen::ir::TypeRef, depth: usize) -> serde_json::Value {
    use sdkgen::ir::{TypeKind, TypeRef};
    if depth > 12 {
        return serde_json::Value::Null;
    }
    match t {
        TypeRef::String => json!("x"),
        TypeRef::I32 | TypeRef::I64 => json!(1),
        TypeRef::F64 => json!(0.5),
        TypeRef::Bool => json!(true),
        TypeRef::Any => json!({}),
        TypeRef::Vec(_) => json!([]),
        TypeRef::Map(_) => json!({}),
        TypeRef::Option(_) => serde_json::Value::Null,
        TypeRef::File => json!("x"),
        TypeRef::Named(n) => {
            let def = ir.find(n).unwrap_or_else(|| panic!("no type {n}"));
            match &def.kind {
                TypeKind::Struct(_) => sample_struct(ir, n, None, depth),
                TypeKind::Enum(values) => json!(values[0].wire),
                TypeKind::Const(v) => v.clone(),
                TypeKind::Alias(t) => sample(ir, t, depth + 1),
                TypeKind::Untagged(vs) => sample(ir, &vs[0].ty, depth + 1),
                TypeKind::Tagged { tag, variants } => {
                    let mut v = sample(ir, &variants[0].ty, depth + 1);
                    v[tag.as_str()] = json!(variants[0].tags[0]);
                    v
                }
            }
        }
    }
}

/// A struct's required fields with sample values, without the field `omit`.
fn sample_struct(ir: &sdkgen::ir::Ir, name: &str, omit: Option<&str>, depth: usize) -> serde_json::Value {
    let Some(sdkgen::ir::TypeDef { kind: sdkgen::ir::TypeKind::Struct(st), .. }) = ir.find(name) else { panic!("{name} is not a struct") };
    let mut map = serde_json::Map::new();
    for f in &st.fields {
        if !f.is_const && (Some(f.wire.as_str()) == omit || !f.required) {
            continue;
        }
        let v = if f.nullable && !f.is_const { serde_json::Value::Null } else { sample(ir, &f.ty, depth + 1) };
        if f.flatten {
            if let serde_json::Value::Object(m) = v {
                map.extend(m);
            }
        } else {
            map.insert(f.wire.clone(), v);
        }
    }
    serde_json::Value::Object(map)
}

/// Every variant of every discriminated union, holding a value whose own tag field is unset
/// (as its constructor leaves it), is sent with the union's tag and decodes back into the same
/// variant (issue 18: `ChatTool::Function` was sent without `"type": "function"`).
#[test]
fn every_discriminated_union_writes_its_tag() {
    let (_, ir, _) = sdkgen::lower_spec(&spec_text(), &overlay()).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for def in &ir.types {
        let sdkgen::ir::TypeKind::Tagged { tag, variants } = &def.kind else { continue };
        for v in variants {
            let value = match &v.ty {
                sdkgen::ir::TypeRef::Named(n) if matches!(ir.find(n).map(|d| &d.kind), Some(sdkgen::ir::TypeKind::Struct(_))) => {
                    let mut value = sample_struct(&ir, n, Some(tag), 0);
                    // A required tag is an argument of the constructor: the user gives it.
                    if let Some(sdkgen::ir::TypeDef { kind: sdkgen::ir::TypeKind::Struct(st), .. }) = ir.find(n) {
                        if st.fields.iter().any(|f| f.wire == *tag && f.required && !f.is_const) {
                            value[tag.as_str()] = json!(v.tags[0]);
                        }
                    }
                    value
                }
                other => sample(&ir, other, 0),
            };
            let Some(result) = mistral_sdk::roundtrip::tagged_variant(&def.name, &v.rust, value.clone()) else {
                failures.push(format!("{}::{}: no entry (generated/ is stale?)", def.name, v.rust));
                continue;
            };
            checked += 1;
            match result {
                Err(e) => failures.push(format!("{}::{} from {value}: {e}", def.name, v.rust)),
                Ok((json, same)) => {
                    let sent = json.get(tag.as_str()).and_then(serde_json::Value::as_str);
                    if sent.is_none_or(|s| !v.tags.iter().any(|t| t == s)) {
                        failures.push(format!("{}::{} is sent as {json}: `{tag}` should be one of {:?}", def.name, v.rust, v.tags));
                    } else if !same {
                        failures.push(format!("{}::{} is sent as {json}, which decodes into another variant", def.name, v.rust));
                    }
                }
            }
        }
    }
    println!("{checked} variants checked");
    assert!(checked > 100, "expected the spec's tagged unions, found {checked} variants");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

/// Values built through public constructors, as users build them, carry their tag on the wire
/// and decode back into the same variant.
#[test]
fn union_values_built_by_constructors_carry_their_tags() {
    use std::collections::BTreeMap;
    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (serde_json::to_value(Message::from(UserMessage::new("hi"))).unwrap(), "role", "user"),
        (serde_json::to_value(Message::from(SystemMessage::new("be brief"))).unwrap(), "role", "system"),
        (serde_json::to_value(ContentChunk::from(TextChunk::new("t"))).unwrap(), "type", "text"),
        (serde_json::to_value(AgentTool::from(FunctionTool::new(Function::new("f", BTreeMap::new())))).unwrap(), "type", "function"),
        (serde_json::to_value(AgentTool::from(WebSearchTool::default())).unwrap(), "type", "web_search"),
        (serde_json::to_value(ChatTool::from(WebSearchTool::default())).unwrap(), "type", "web_search"),
        (serde_json::to_value(ConversationEntry::from(FunctionResultEntry::new("c1", "ok"))).unwrap(), "type", "function.result"),
    ];
    for (json, tag, want) in cases {
        assert_eq!(json[tag], want, "{json}");
    }
    let back: Message = serde_json::from_value(serde_json::to_value(Message::from(UserMessage::new("hi"))).unwrap()).unwrap();
    assert!(matches!(back, Message::User(_)));
    let back: AgentTool =
        serde_json::from_value(serde_json::to_value(AgentTool::from(FunctionTool::new(Function::new("f", BTreeMap::new())))).unwrap()).unwrap();
    assert!(matches!(back, AgentTool::Function(_)));
}

/// The docs' way of declaring a function tool sends `"type": "function"` and decodes back as
/// a function tool; a tool the user tagged is sent as set.
#[test]
fn a_function_tool_built_by_its_constructor_is_sent_with_its_type() {
    let tool = ChatTool::from(Tool::new(Function::new("get_weather", std::collections::BTreeMap::new())));
    let json = serde_json::to_value(&tool).unwrap();
    assert_eq!(json["type"], "function", "{json}");
    assert_eq!(json["function"]["name"], "get_weather");
    let back: ChatTool = serde_json::from_value(json).unwrap();
    assert!(matches!(back, ChatTool::Function(_)), "{back:?}");

    let tagged = ChatTool::from(Tool::new(Function::new("f", std::collections::BTreeMap::new())).r#type(ToolTypes::Function));
    let json = serde_json::to_value(&tagged).unwrap();
    assert_eq!(json["type"], "function");
    assert_eq!(json.as_object().unwrap().keys().filter(|k| *k == "type").count(), 1);
}
