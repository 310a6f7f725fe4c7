//! Snapshot tests of every pipeline stage on small fixture specs (`tests/fixtures/*.yaml`), one
//! per construct: the normalized document, the diagnostics, the IR dump, the features table and
//! the rendered models with their layout.
//! Review changes with `cargo insta review`; never accept them blindly.

use sdkgen::Overlay;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures").join(format!("{name}.yaml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(name: &str, overlay: &Overlay) {
    let spec = fixture(name);
    let (normalized, ir, diags) = sdkgen::lower_spec(&spec, overlay).expect("fixture lowers");
    let mut doc = serde_json::Map::new();
    for key in ["paths", "components"] {
        if let Some(v) = normalized.document.get(key) {
            doc.insert(key.into(), v.clone());
        }
    }
    let normalized_yaml = serde_yaml_ng::to_string(&doc).unwrap();

    let generated = sdkgen::generate(&spec, overlay).expect("fixture generates");
    // The features table, then the models layout (mod.rs first) and every models file.
    let manifest = &generated.files["Cargo.toml"];
    let features = &manifest[manifest.find("[features]").expect("a features table")..];
    let features = &features[..features.find("\n[package.metadata").unwrap_or(features.len())];
    let mut code = format!("# ===== Cargo.toml\n{features}\n");
    code.push_str(&format!("// ===== src/models/mod.rs\n{}", generated.files["src/models/mod.rs"]));
    for (path, text) in &generated.files {
        if path.starts_with("src/models/") && !path.ends_with("mod.rs") {
            code.push_str(&format!("// ===== {path}\n{text}"));
        }
    }
    let diagnostics: Vec<String> = diags.iter().map(ToString::to_string).collect();

    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_suffix(name);
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        insta::assert_snapshot!("normalized", normalized_yaml);
        insta::assert_snapshot!("diagnostics", diagnostics.join("\n"));
        insta::assert_snapshot!("ir", ir.dump());
        insta::assert_snapshot!("code", code);
    });
}

macro_rules! fixtures {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run(stringify!($name), &Overlay::default());
            }
        )*
    };
}

fixtures!(nullable, enums, unions, allof, consts, recursion, additional, names, inline, defs, spec_bugs, operations, legacy_required);

/// The helper fixtures are lowered with the project's helper asked for, so their snapshots show
/// the helper's verdict among the diagnostics.
#[test]
fn helper_fit() {
    run("helper_fit", &Overlay::parse("helpers: [completion]").unwrap());
}

#[test]
fn helper_misfit() {
    run("helper_misfit", &Overlay::parse("helpers: [completion]").unwrap());
}

/// A helper is added only when every shape it declares fits: each change of one shape (as older
/// and newer specs have them) leaves it out with a warning that names the shape, and the crate
/// still lists no module for it.
#[test]
fn helper_shapes_are_checked_one_by_one() {
    let overlay = Overlay::parse("helpers: [completion]").unwrap();
    let spec = fixture("helper_fit");
    let fit = sdkgen::generate(&spec, &overlay).unwrap();
    assert_eq!(fit.ir.helpers, ["completion"], "{:?}", fit.diagnostics);
    let module = &fit.files["src/completion.rs"];
    assert!(!module.contains("//@") && module.contains("pub struct Completion"), "declarations stripped, code kept");
    assert!(fit.files["src/lib.rs"].contains("pub mod completion;"));
    let cases: &[(&str, &str, &str)] = &[
        ("        index: {type: integer, default: 0}\n", "", "`ToolCall` has no field `index`"),
        (
            "        type: {$ref: '#/components/schemas/ToolTypes'}",
            "        type: {const: function}",
            "`ToolCall.type` is `ToolCallType`, the helper needs `Option<ToolTypes>`",
        ),
        (
            "        index: {type: integer, default: 0}",
            "        index: {type: string}",
            "`ToolCall.index` is `Option<String>`, the helper needs `Option<i64>`",
        ),
        (
            "      required: [index, delta, finish_reason]",
            "      required: [index, delta]",
            "`CompletionResponseStreamChoice.finish_reason` is `Nullable<CompletionResponseStreamChoiceFinishReason>`",
        ),
        (
            "        - type: array\n          items: {$ref: '#/components/schemas/ContentChunk'}\n",
            "        - type: array\n          items: {$ref: '#/components/schemas/ContentChunk'}\n        - type: integer\n",
            "`MessageContent` has the variants",
        ),
        (
            "    TextChunk:\n      type: object\n      required: [text]",
            "    TextChunk:\n      type: object\n      required: []",
            "`TextChunk.text` is `Option<String>`, the helper needs `String`",
        ),
        (
            "    UsageInfo:\n      type: object",
            "    UsageInfo:\n      type: string\n    Unused:\n      type: object",
            "`CompletionChunk.usage` is `Option<String>`",
        ),
        ("        - $ref: '#/components/schemas/TextChunk'\n", "", "`ContentChunk` has no variant `Text`"),
    ];
    for (from, to, expected) in cases {
        assert!(spec.contains(from), "the fixture has {from:?}");
        let changed = spec.replacen(from, to, 1);
        let generated = sdkgen::generate(&changed, &overlay).unwrap();
        assert!(generated.ir.helpers.is_empty(), "{expected}: the helper is left out");
        assert!(!generated.files.contains_key("src/completion.rs"));
        assert!(!generated.files["src/lib.rs"].contains("completion"));
        let warning = generated.diagnostics.iter().find(|d| d.message.starts_with("helper `completion` left out"));
        let warning = warning.unwrap_or_else(|| panic!("no warning for {expected}: {:?}", generated.diagnostics));
        assert!(warning.message.contains(expected), "{expected}: {}", warning.message);
        assert_eq!(warning.pointer, "spec/overlay.yaml#/helpers");
    }
}

/// The manifest lists every schema and operation with its Rust names and types, so a spec
/// update shows its API change in review (the real spec's manifest is checked by
/// `cargo xtask check`).
#[test]
fn manifest_of_operations() {
    let overlay = Overlay::parse("operations:\n  get_thing_v1: things.get\n  create_thing_v1: things.create\n").unwrap();
    let generated = sdkgen::generate(&fixture("operations"), &overlay).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_str(&generated.files["sdk-manifest.json"]).unwrap();
    manifest["spec"]["sha256"] = serde_json::Value::String("<sha256>".into());
    insta::assert_snapshot!("manifest@operations", serde_json::to_string_pretty(&manifest).unwrap());
}

#[test]
fn overlay_renames_and_reports_stale_entries() {
    let overlay = Overlay::parse("type_names:\n  RequestOptions2: Options\n  NoSuchType: X\n").unwrap();
    let (_, ir, diags) = sdkgen::lower_spec(&fixture("inline"), &overlay).unwrap();
    assert!(ir.find("Options").is_some(), "renamed type present");
    assert!(ir.find("RequestOptions2").is_none(), "old name gone");
    let stale: Vec<_> = diags.iter().filter(|d| d.message.contains("NoSuchType")).collect();
    assert_eq!(stale.len(), 1, "a rename that matches nothing is reported: {diags:?}");
}

#[test]
fn overlay_rejects_unknown_keys() {
    let err = Overlay::parse("type_name:\n  A: B\n").unwrap_err();
    assert!(format!("{err:#}").contains("type_name"), "{err:#}");
}

#[test]
fn regeneration_is_deterministic() {
    for name in ["unions", "inline", "defs"] {
        let spec = fixture(name);
        let a = sdkgen::generate(&spec, &Overlay::default()).unwrap();
        let b = sdkgen::generate(&spec, &Overlay::default()).unwrap();
        assert_eq!(a.files, b.files, "{name}: two runs differ");
    }
}

#[test]
fn bad_input_is_named() {
    let err = sdkgen::generate("openapi: 3.1.0\ninfo: [", &Overlay::default()).err().unwrap();
    assert!(format!("{err:#}").contains("YAML"), "{err:#}");
    let err = sdkgen::generate("swagger: '2.0'\n", &Overlay::default()).err().unwrap();
    assert!(format!("{err:#}").contains("#/openapi"), "{err:#}");
    // A structurally wrong document names the JSON path that does not fit.
    let err = sdkgen::generate("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      responses: 5\n", &Overlay::default())
        .err()
        .unwrap();
    let msg = format!("{err:#}");
    assert!(msg.contains("#/paths/~1x/get"), "{msg}");
    assert!(msg.contains("responses"), "{msg}");
}

/// The contract tests are formatted in parts on several threads and joined; the result is the
/// file formatted whole (the operations fixture has enough operations for several parts).
#[test]
fn contract_tests_formatted_in_parts_equal_the_whole() {
    let spec = fixture("operations");
    let (_, ir, _) = sdkgen::lower_spec(&spec, &Overlay::default()).unwrap();
    assert!(ir.operations.len() >= 4, "the fixture needs several operations");
    // The cases, then the sent types (written as text).
    let sent = sdkgen::render::contract::sent_types_text(&ir);
    let whole = sdkgen::render::layout::unparse(|| sdkgen::render::contract::render(&ir)).unwrap();
    let whole = sdkgen::render::space_items(&format!("{}{whole}{sent}", sdkgen::render::HEADER));
    let generated = sdkgen::generate(&spec, &Overlay::default()).unwrap();
    assert_eq!(generated.contract_tests, whole);
    // And by hand, with as many parts as operations.
    let n = ir.operations.len();
    let joined: String = (0..n).map(|i| sdkgen::render::layout::unparse(|| sdkgen::render::contract::render_part(&ir, i, n)).unwrap()).collect();
    assert_eq!(sdkgen::render::space_items(&format!("{}{joined}{sent}", sdkgen::render::HEADER)), whole);
}

/// `streams` in the overlay: an operation answering JSON or events becomes two methods that
/// fix the body flag; `events` adds a stream the spec lacks; bad entries are named.
#[test]
fn stream_twins_from_the_overlay() {
    let overlay = Overlay::parse(
        "operations: {complete: chat.complete, agents_complete: agents.complete, other: other.send_it}\n\
         streams:\n\
         \x20 complete: {method: chat.stream, flag: stream}\n\
         \x20 agents_complete: {method: agents.stream, flag: stream, events: ChunkEvent}\n\
         \x20 missing_op: {method: x.stream, flag: stream}\n",
    )
    .unwrap();
    let (_, ir, diags) = sdkgen::lower_spec(&fixture("streams"), &overlay).unwrap();
    let shape: Vec<String> = ir
        .operations
        .iter()
        .map(|o| format!("{}.{} {:?} {:?}", o.group.join("."), o.method, o.success, o.body_flag.as_ref().map(|f| (&f.wire, f.value))))
        .collect();
    insta::assert_snapshot!("stream_twins", shape.join("\n"));
    let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|m| m.contains("missing_op") && m.contains("not an operation")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("`other` answers JSON or server-sent events")), "{messages:?}");

    // A flag that is not a boolean body field: no twin, and the place is named.
    let bad = Overlay::parse("streams:\n  complete: {method: chat.stream, flag: prompt}\n").unwrap();
    let (_, ir, diags) = sdkgen::lower_spec(&fixture("streams"), &bad).unwrap();
    assert!(!ir.operations.iter().any(|o| o.method == "stream"), "no twin for a bad flag");
    assert!(ir.operations.iter().all(|o| o.body_flag.is_none()));
    assert!(diags.iter().any(|d| d.to_string().contains("streams/complete") && d.message.contains("`flag: prompt`")), "{diags:?}");

    // A streaming method named like an existing one: no twin, the JSON method unchanged.
    let clash = Overlay::parse("operations: {complete: chat.complete}\nstreams:\n  complete: {method: chat.complete, flag: stream}\n").unwrap();
    let (_, ir, diags) = sdkgen::lower_spec(&fixture("streams"), &clash).unwrap();
    assert_eq!(ir.operations.iter().filter(|o| o.id == "complete").count(), 1);
    assert!(ir.operations.iter().all(|o| o.body_flag.is_none()));
    assert!(diags.iter().any(|d| d.message.contains("already a method")), "{diags:?}");
}

/// The project root, and every spec the generator is checked on: the fixtures, then the
/// published specs beside the project (history, then current) when they are there.
fn every_spec() -> (PathBuf, Vec<PathBuf>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut specs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures")).unwrap().map(|e| e.unwrap().path()).collect();
    if let Ok(history) = std::fs::read_dir(root.join("../shared/spec/history")) {
        specs.extend(history.map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "yaml")));
    }
    specs.sort();
    specs.push(root.join("../shared/spec/mistral-openapi.yaml"));
    (root, specs)
}

/// Item docs are placed into the formatted text after formatting (`render::docs::placed`); the
/// files are the same as when the docs go through `syn` and prettyplease with the code. Checked
/// on every fixture and on the published specs beside the project (current and history), when
/// they are there.
#[test]
fn placed_docs_equal_formatted_docs() {
    let (root, specs) = every_spec();
    let overlay = Overlay::parse(&std::fs::read_to_string(root.join("spec/overlay.yaml")).unwrap()).unwrap();
    let info = sdkgen::render::SpecInfo { title: "t".into(), version: "v".into(), sha256: "s".into() };
    let mut checked = 0;
    for path in specs.iter().filter(|p| p.exists()) {
        let spec = std::fs::read_to_string(path).unwrap();
        let Ok((_, ir, _)) = sdkgen::lower_spec(&spec, &overlay) else { continue };
        let placed = sdkgen::render::render_all_with(&ir, &info, true).unwrap();
        let plain = sdkgen::render::render_all_with(&ir, &info, false).unwrap();
        assert_eq!(placed.files.keys().collect::<Vec<_>>(), plain.files.keys().collect::<Vec<_>>());
        for (file, text) in &plain.files {
            assert!(placed.files[file] == *text, "{}: {file} differs with placed docs", path.display());
        }
        assert!(placed.contract_tests == plain.contract_tests, "{}: the contract tests differ with placed docs", path.display());
        assert!(text_has_docs(&placed.files), "{}: no docs rendered", path.display());
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} specs checked");
}

fn text_has_docs(files: &std::collections::BTreeMap<String, String>) -> bool {
    files.iter().any(|(p, t)| p.starts_with("src/models/") && t.contains("\n///") && !t.contains('\u{1}'))
}

/// `providers` in the overlay: a client per known provider with the methods found among the
/// operations (nested by group), the features those need; an unknown provider, a method the spec
/// lacks and a provider left with no method are warnings naming the place, and the rest is
/// still rendered as its module, its hand-written part, its feature and its optional dependency.
#[test]
fn provider_clients_from_the_overlay() {
    let overlay = Overlay::parse(
        "operations: {complete: chat.complete, agents_complete: agents.complete}\n\
         streams:\n\
         \x20 complete: {method: chat.stream, flag: stream}\n\
         providers:\n\
         \x20 gcp: {title: Google Cloud, methods: [chat.complete, chat.stream, chat.vanished]}\n\
         \x20 azure: {title: Azure AI, methods: [nothing.here]}\n\
         \x20 nimbus: {title: Nimbus, methods: [chat.complete]}\n",
    )
    .unwrap();
    let (_, ir, diags) = sdkgen::lower_spec(&fixture("streams"), &overlay).unwrap();
    let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|m| m.contains("providers/gcp") && m.contains("`chat.vanished` is no method")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("providers/azure") && m.contains("serves no method")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("providers/nimbus") && m.contains("no provider `nimbus`")), "{messages:?}");
    assert_eq!(ir.providers.len(), 1);
    let gcp = &ir.providers[0];
    let operations = &ir.operations;
    let methods: Vec<String> = gcp.groups.iter().flat_map(|(g, ops)| ops.iter().map(move |&i| format!("{g}.{}", operations[i].method))).collect();
    assert_eq!(methods, ["chat.complete", "chat.stream"]);
    assert_eq!(gcp.enables, ["chat"]);

    let rendering =
        sdkgen::render::render_all(&ir, &sdkgen::render::SpecInfo { title: "t".into(), version: "v".into(), sha256: "s".into() }).unwrap();
    let module = &rendering.files["src/gcp/mod.rs"];
    assert!(
        module.contains("pub fn complete(") && module.contains("pub fn stream(") && module.contains("-> crate::api::chat::StreamBuilder<'c>"),
        "{module}"
    );
    assert!(rendering.files["src/gcp/provider.rs"].contains("pub struct GcpProvider"));
    assert!(!rendering.files.contains_key("src/azure/mod.rs"));
    assert!(rendering.files["src/lib.rs"].contains("#[cfg(feature = \"gcp\")]\n#[cfg_attr(docsrs, doc(cfg(feature = \"gcp\")))]\npub mod gcp;"));
    let manifest = &rendering.files["Cargo.toml"];
    assert!(manifest.contains("gcp = [\"chat\"]") && manifest.contains("gcp-adc = [\"gcp\", \"dep:gcp_auth\"]"), "{manifest}");
    assert!(manifest.contains("gcp_auth = { version = \"0.12\", optional = true }"), "{manifest}");
}

/// `stream_ends` in the overlay: the stream twin of an operation gets the terminator (its JSON
/// method does not), rendered into its `operation!` and its docs; an unknown operation, one
/// without an event stream and an entry giving neither or both forms are warnings naming the
/// place. Azure-style `paths` for a provider are resolved by operation id, once per operation.
#[test]
fn stream_ends_and_provider_paths_from_the_overlay() {
    let overlay = Overlay::parse(
        "operations: {complete: chat.complete, agents_complete: agents.complete}\n\
         streams:\n\
         \x20 complete: {method: chat.stream, flag: stream}\n\
         stream_ends:\n\
         \x20 complete: {sentinel: \"[DONE]\"}\n\
         \x20 agents_complete: {events: [done]}\n\
         \x20 vanished: {sentinel: x}\n\
         \x20 other: {}\n\
         providers:\n\
         \x20 azure: {title: Azure AI, methods: [chat.complete, chat.stream], paths: {chat.complete: /models/c, chat.stream: /models/c, agents.complete: /a, chat.nope: x}}\n",
    )
    .unwrap();
    let (_, ir, diags) = sdkgen::lower_spec(&fixture("streams"), &overlay).unwrap();
    let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(messages.iter().any(|m| m.contains("stream_ends/vanished") && m.contains("not an operation")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("stream_ends/other") && m.contains("either")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("stream_ends/agents_complete") && m.contains("no event stream")), "{messages:?}");
    assert!(
        messages.iter().any(|m| m.contains("providers/azure/paths") && m.contains("`agents.complete` is not a method this provider serves")),
        "{messages:?}"
    );
    let ends: Vec<(String, Option<sdkgen::overlay::StreamEndSpec>)> =
        ir.operations.iter().filter(|o| o.id == "complete").map(|o| (o.method.clone(), o.stream_end.clone())).collect();
    assert_eq!(ends, [("complete".to_string(), None), ("stream".to_string(), Some(sdkgen::overlay::StreamEndSpec::Sentinel("[DONE]".into())))]);
    assert_eq!(ir.providers[0].paths, [("complete".to_string(), "/models/c".to_string())]);

    let rendering =
        sdkgen::render::render_all(&ir, &sdkgen::render::SpecInfo { title: "t".into(), version: "v".into(), sha256: "s".into() }).unwrap();
    let chat = &rendering.files["src/api/chat.rs"];
    assert!(
        chat.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("\"chat.stream\", POST \"/v1/complete\", [], [], [ 200u16, ], sentinel \"[DONE]\""),
        "{chat}"
    );
    assert!(chat.contains("a connection that closes before it ends the stream with `Error::Stream`"), "{chat}");
    assert!(rendering.files["src/azure/mod.rs"].contains("(\"complete\", \"/models/c\")"));
}

/// `x-speakeasy-pagination` and the overlay's `pagination:`: cursor and offset entries reach the
/// IR and the builders get `pages()`/`items()`; the overlay adds, removes and names stale
/// entries; an entry that does not fit the operation is a warning naming it and the plain
/// method stays.
#[test]
fn pagination_from_the_spec_and_the_overlay() {
    let overlay = Overlay::parse(
        "pagination:\n\
         \x20 list_plain: {type: cursor, inputs: [{name: token, in: parameters, type: cursor}], outputs: {results: $.items, nextCursor: $.next}}\n\
         \x20 list_removed: null\n\
         \x20 vanished: {type: cursor}\n",
    )
    .unwrap();
    let (_, ir, diags) = sdkgen::lower_spec(&fixture("pagination"), &overlay).unwrap();
    let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
    assert!(
        messages.iter().any(|m| m.contains("~1v1~1broken/get/x-speakeasy-pagination") && m.contains("`ItemPage` has no field `missing`")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("pagination/vanished") && m.contains("no JSON operation `vanished`")), "{messages:?}");
    let paged = |id: &str| ir.operations.iter().find(|o| o.id == id).unwrap().pagination.clone();
    assert!(matches!(paged("list_items").unwrap().kind, sdkgen::ir::PageKind::Cursor { ref param, ref next } if param == "after" && next == "next"));
    assert!(matches!(paged("list_things").unwrap().kind, sdkgen::ir::PageKind::Offset { ref param, .. } if param == "skip"));
    assert!(matches!(paged("list_plain").unwrap().kind, sdkgen::ir::PageKind::Cursor { ref param, .. } if param == "token"));
    assert!(paged("list_broken").is_none());
    assert!(paged("list_removed").is_none());
    assert_eq!(paged("list_items").unwrap().item, sdkgen::ir::TypeRef::Named("Item".into()));

    let rendering =
        sdkgen::render::render_all(&ir, &sdkgen::render::SpecInfo { title: "t".into(), version: "v".into(), sha256: "s".into() }).unwrap();
    let group = &rendering.files["src/api/items.rs"];
    assert_eq!(group.matches("pub fn pages(").count(), 3, "{group}");
    assert!(group.contains("crate::runtime::paginate::offset(") && group.contains("<i32>::try_from(offset)"), "{group}");
    assert!(group.contains("pub fn items(self) -> crate::runtime::paginate::Items<'c, crate::models::Item>"), "{group}");
}

/// `//@ needs` between helpers: a helper that calls one the crate does not get (not asked for,
/// or left out) is left out too, with a warning naming both; asked for together, both are in.
#[test]
fn a_helper_needing_another_is_left_out_without_it() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let spec = std::fs::read_to_string(root.join("spec/openapi.yaml")).expect("cargo xtask fetch-spec puts the spec in place");
    let real = Overlay::parse(&std::fs::read_to_string(root.join("spec/overlay.yaml")).unwrap()).unwrap();
    let mut alone = real.clone();
    alone.helpers = vec!["answers".into(), "structured".into()];
    let (_, ir, diags) = sdkgen::lower_spec(&spec, &alone).unwrap();
    assert!(ir.helpers.is_empty(), "{:?}", ir.helpers);
    let messages: Vec<String> = diags.iter().map(ToString::to_string).collect();
    for name in ["answers", "structured"] {
        let expected = format!("helper `{name}` left out: it calls the helper `completion`");
        assert!(messages.iter().any(|m| m.contains(&expected)), "{messages:?}");
    }
    let mut together = real;
    together.helpers = vec!["completion".into(), "answers".into(), "structured".into()];
    let (_, ir, _) = sdkgen::lower_spec(&spec, &together).unwrap();
    assert_eq!(ir.helpers, ["completion", "answers", "structured"]);
}

/// Every method's doc has an example (`render::example`) on every fixture and published spec
/// beside the project, and every type the SDK sends can be built; one that cannot is named
/// here. That they compile is the generated crate's doctests' job (`cargo test --doc -p
/// mistral-sdk --all-features`) and the contract tests' (`build_sent_types`).
#[test]
fn every_method_has_a_doc_example() {
    let (root, specs) = every_spec();
    let overlay = Overlay::parse(&std::fs::read_to_string(root.join("spec/overlay.yaml")).unwrap()).unwrap();
    let mut checked = 0;
    for path in specs.iter().filter(|p| p.exists()) {
        let Ok((_, ir, _)) = sdkgen::lower_spec(&std::fs::read_to_string(path).unwrap(), &overlay) else { continue };
        let examples = sdkgen::render::example::Examples::new(&ir);
        let missing: Vec<&str> = ir.operations.iter().filter(|op| examples.section(op).is_none()).map(|op| op.id.as_str()).collect();
        assert!(missing.is_empty(), "{}: no example for {missing:?}", path.display());
        // And every type the SDK sends has an expression building it (the contract tests'
        // `build_sent_types`, which must compile outside the crate).
        let unbuilt: Vec<&str> = ir.types.iter().filter(|t| t.ser && examples.build(&t.name).is_none()).map(|t| t.name.as_str()).collect();
        assert!(unbuilt.is_empty(), "{}: no way to build {unbuilt:?}", path.display());
        checked += ir.operations.len();
    }
    assert!(checked >= 800, "only {checked} operations checked");
}

/// The normalized document parses into `openapiv3` the same through the generator's fast path
/// (path items and component schemas straight from the document, on two threads) as through
/// `openapiv3`'s own derives. Checked on every fixture and on the published specs beside the
/// project, and on documents with the parts the fast path passes to the derives.
#[test]
fn the_fast_openapi_parse_equals_the_derives() {
    use serde::Deserialize;
    let (_, specs) = every_spec();
    let mut checked = 0;
    let mut check = |doc: serde_json::Value, what: &str| {
        let derived = openapiv3::OpenAPI::deserialize(&doc);
        let fast = sdkgen::normalize::parse_openapi(&doc);
        match (derived, fast) {
            (Ok(d), Ok(f)) => assert!(d == f, "{what}: the fast parse differs from the derives"),
            (Err(_), Err(_)) => {}
            (d, f) => panic!("{what}: derives {:?}, fast path {:?}", d.is_ok(), f.is_ok()),
        }
        checked += 1;
    };
    for path in specs.iter().filter(|p| p.exists()) {
        let spec = std::fs::read_to_string(path).unwrap();
        let Ok(value) = sdkgen::load::parse_yaml(&spec) else { continue };
        let mut diags = sdkgen::diag::Diagnostics::default();
        let Ok(n) = sdkgen::normalize::normalize(value, &mut diags) else { continue };
        assert!(sdkgen::normalize::parse_fast(&n.document).is_some(), "{}: the fast path is not taken", path.display());
        check(n.document, &path.display().to_string());
    }
    let base = serde_json::json!({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}});
    let with = |key: &str, v: serde_json::Value| {
        let mut doc = base.clone();
        doc[key] = v;
        doc
    };
    check(with("components", serde_json::Value::Null), "components: null");
    check(with("components", serde_json::json!({})), "components: {}");
    check(with("components", serde_json::json!({"schemas": null})), "schemas: null");
    check(with("components", serde_json::json!({"x-a": 1, "other": 2, "schemas": {"A": {"type": "string"}}})), "extensions");
    check(with("paths", serde_json::json!({"x-b": true, "not-a-path": {}, "/a": {"get": {"responses": {}}}})), "path extensions");
    check(with("paths", serde_json::json!({"/a": {"get": 3}})), "a bad path item");
    check(with("paths", serde_json::Value::Null), "paths: null");
    assert!(checked >= 17, "only {checked} documents checked");
}

/// Struct fields whose wire names need escapes in a string literal, or are long enough that the
/// formatter breaks their line, are written as the formatter prints them: the renames keep
/// their escapes and every model file is valid Rust.
#[test]
fn fields_with_escaped_or_long_names_render_as_rust() {
    let long = "p".repeat(90);
    let spec = format!(
        "openapi: 3.1.0\ninfo: {{title: t, version: '1'}}\npaths:\n  /x:\n    post:\n      operationId: send\n      requestBody:\n        content:\n          application/json:\n            schema: {{$ref: '#/components/schemas/Odd'}}\n      responses:\n        '200': {{description: ok}}\ncomponents:\n  schemas:\n    Odd:\n      type: object\n      required: [plain]\n      properties:\n        plain: {{type: string, description: A plain field.}}\n        'a\"b': {{type: string}}\n        'x\\y': {{type: integer}}\n        'caf\u{e9}': {{type: boolean}}\n        {long}: {{type: string}}\n        listOfThings: {{type: array, items: {{type: array, items: {{type: object, additionalProperties: {{type: string}}}}}}}}\n"
    );
    let generated = sdkgen::generate(&spec, &Overlay::default()).unwrap();
    let (path, text) = generated.files.iter().find(|(p, t)| p.starts_with("src/models/") && t.contains("pub struct Odd")).expect("the struct");
    assert!(text.contains(r#"rename = "a\"b","#), "{path}:\n{text}");
    assert!(text.contains(r#"rename = "x\\y","#), "{path}:\n{text}");
    // Too long for one line: the formatter breaks the type.
    assert!(text.contains(&format!("pub {long}: Option<\n")), "{path}:\n{text}");
    assert!(text.contains("/// A plain field."), "{path}:\n{text}");
    for (path, text) in generated.files.iter().filter(|(p, _)| p.ends_with(".rs")) {
        syn::parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
    }
}

/// The component schemas lowered on two threads give the IR and the findings of lowering them
/// one after another, with the project's overlay (its renames too), on every published spec
/// beside the project (the fixtures are too small to be split, and are checked as well), and
/// on the current spec with its components in reverse order (the part lowered ahead then
/// meets other names and shapes made before it).
#[test]
fn components_lowered_on_two_threads_equal_one_after_another() {
    let (root, specs) = every_spec();
    let overlay = Overlay::parse(&std::fs::read_to_string(root.join("spec/overlay.yaml")).unwrap()).unwrap();
    let mut large = 0;
    for path in specs.iter().filter(|p| p.exists()) {
        let text = std::fs::read_to_string(path).unwrap();
        let mut variants = vec![text.clone()];
        if path.ends_with("mistral-openapi.yaml") {
            // The same spec with its component schemas in reverse order.
            let mut doc: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
            let schemas = doc["components"]["schemas"].as_object_mut().unwrap();
            let reversed: serde_json::Map<String, serde_json::Value> = std::mem::take(schemas).into_iter().rev().collect();
            *schemas = reversed;
            variants.push(serde_json::to_string(&doc).unwrap());
        }
        for spec in variants {
            let Ok(value) = sdkgen::load::parse_yaml(&spec) else { continue };
            let mut d = sdkgen::diag::Diagnostics::default();
            let Ok(n) = sdkgen::normalize::normalize(value, &mut d) else { continue };
            let components = n.openapi.components.as_ref().map_or(0, |c| c.schemas.len());
            large += usize::from(components >= 64);
            let (mut a, mut b) = (sdkgen::diag::Diagnostics::default(), sdkgen::diag::Diagnostics::default());
            let serial = sdkgen::lower::lower_with(&n.openapi, &overlay, &mut a, false);
            let parallel = sdkgen::lower::lower_with(&n.openapi, &overlay, &mut b, true);
            assert!(serde_json::to_string(&serial).unwrap() == serde_json::to_string(&parallel).unwrap(), "{}: the IR differs", path.display());
            assert_eq!(a.finish(), b.finish(), "{}: the findings differ", path.display());
        }
    }
    assert!(large >= 1, "no spec large enough to lower on two threads");
}
