//! Malformed specs: each gives an error or a warning that names the place (a JSON pointer or a
//! line), never a panic or a stack overflow; a failed regeneration leaves the output directory
//! byte for byte as it was.

use sdkgen::Overlay;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const HEAD: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\n";

/// A small valid spec the cases start from.
fn base() -> String {
    format!(
        "{HEAD}paths:\n  /v1/things/{{id}}:\n    get:\n      operationId: get_thing\n      parameters:\n        - {{name: id, in: path, required: true, schema: {{type: string}}}}\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {{$ref: '#/components/schemas/Thing'}}\ncomponents:\n  schemas:\n    Thing:\n      type: object\n      required: [id]\n      properties:\n        id: {{type: string}}\n"
    )
}

enum Expect {
    /// Generation fails; the message contains every one of these.
    Error(&'static [&'static str]),
    /// Generation succeeds; one warning contains every one of these.
    Warning(&'static [&'static str]),
}
use Expect::*;

fn cases() -> Vec<(&'static str, Vec<u8>, Expect)> {
    let b = base();
    let deep_yaml = {
        let mut s = format!("{HEAD}paths: {{}}\ncomponents:\n  schemas:\n    Deep:\n");
        let mut indent = 6;
        for _ in 0..200 {
            s.push_str(&format!("{}type: object\n{}properties:\n{}p:\n", " ".repeat(indent), " ".repeat(indent), " ".repeat(indent + 2)));
            indent += 4;
        }
        s.push_str(&format!("{}type: string\n", " ".repeat(indent)));
        s
    };
    let deep_flow = format!("{HEAD}paths: {{}}\ncomponents:\n  schemas:\n    Deep: {}{}\n", "{items: ".repeat(200), "}".repeat(200));
    let mut non_utf8 = b.clone().into_bytes();
    let at = b.find("get_thing").unwrap();
    non_utf8.splice(at..at, [0xff, 0xfe]);
    vec![
        ("empty document", b"".to_vec(), Error(&["#: the spec's root is not a mapping"])),
        ("truncated YAML", b[..b.find("'200'").unwrap() + 2].to_string().into_bytes(), Error(&["not valid YAML", "line 10"])),
        ("truncated flow mapping", format!("{HEAD}paths: {{/x: {{get: {{responses: ").into_bytes(), Error(&["not valid YAML", "line 4"])),
        ("a tab-indented line", b.replace("      operationId: get_thing", "\toperationId: get_thing").into_bytes(), Error(&["not valid YAML", "line 6"])),
        ("a key written twice", b.replace("      operationId: get_thing\n", "      operationId: get_thing\n      operationId: again\n").into_bytes(), Error(&["not valid YAML", "duplicate key `operationId`", "paths./v1/things/{id}.get", "written again at line 7"])),
        ("a non-mapping root", b"- openapi\n- 3.1.0\n".to_vec(), Error(&["#: the spec's root is not a mapping"])),
        ("a scalar root", b"just text\n".to_vec(), Error(&["#: the spec's root is not a mapping"])),
        ("Swagger 2.0", b"swagger: '2.0'\ninfo: {title: t, version: '1'}\n".to_vec(), Error(&["#/openapi"])),
        ("OpenAPI 4", b.replace("openapi: 3.1.0", "openapi: 4.0.0").into_bytes(), Error(&["#/openapi", "4.0.0"])),
        ("paths as a list", format!("{HEAD}paths:\n  - /v1/things\n").into_bytes(), Error(&["#/paths", "does not fit"])),
        ("an operation as a list", b.replace("    get:\n      operationId", "    get: []\n    put:\n      operationId").into_bytes(), Error(&["#/paths/~1v1~1things~1{id}/get", "does not fit"])),
        ("a dangling local $ref", b.replace("$ref: '#/components/schemas/Thing'", "$ref: '#/components/schemas/Nothing'").into_bytes(), Warning(&["#/paths/~1v1~1things~1{id}/get/responses/200/content/application~1json/schema", "Nothing"])),
        ("a dangling property $ref", b.replace("        id: {type: string}\n", "        id: {type: string}\n        other: {$ref: '#/components/schemas/Gone'}\n").into_bytes(), Warning(&["#/components/schemas/Thing/properties/other", "Gone"])),
        ("a dangling $defs ref", b.replace("        id: {type: string}\n", "        id: {type: string}\n        other: {$ref: '#/$defs/Gone'}\n").into_bytes(), Warning(&["#/components/schemas/Thing/properties/other", "#/$defs/Gone"])),
        ("an external file ref", b.replace("        id: {type: string}\n", "        id: {type: string}\n        other: {$ref: 'other.yaml#/Thing'}\n").into_bytes(), Warning(&["#/components/schemas/Thing/properties/other", "other.yaml#/Thing"])),
        ("a dangling parameter ref", b.replace("        - {name: id, in: path, required: true, schema: {type: string}}", "        - {name: id, in: path, required: true, schema: {type: string}}\n        - $ref: '#/components/parameters/Nope'").into_bytes(), Warning(&["#/paths/~1v1~1things~1{id}/get/parameters/1", "Nope"])),
        ("a dangling response ref", b.replace("        '200':\n          description: ok\n", "        '404': {$ref: '#/components/responses/Missing'}\n        '200':\n          description: ok\n").into_bytes(), Warning(&["#/paths/~1v1~1things~1{id}/get/responses/404", "Missing"])),
        ("a $ref cycle through allOf", b.replace("    Thing:\n      type: object\n", "    Thing:\n      allOf: [{$ref: '#/components/schemas/Other'}]\n      type: object\n").replace("components:\n  schemas:\n", "components:\n  schemas:\n    Other:\n      allOf: [{$ref: '#/components/schemas/Thing'}]\n").into_bytes(), Warning(&["#/components/schemas/", "cycle"])),
        ("a $ref to itself", b.replace("components:\n  schemas:\n", "components:\n  schemas:\n    Loop: {$ref: '#/components/schemas/Loop'}\n").into_bytes(), Warning(&["#/components/schemas/Loop", "cycle"])),
        ("duplicate operationIds", b.replace("components:\n", "  /v1/other:\n    get:\n      operationId: get_thing\n      responses:\n        '200': {description: ok}\ncomponents:\n").into_bytes(), Warning(&["#/paths/~1v1~1other/get", "operationId `get_thing` is also used by #/paths/~1v1~1things~1{id}/get"])),
        ("a path parameter with no definition", b.replace("/v1/things/{id}:", "/v1/things/{id}/parts/{part}:").into_bytes(), Warning(&["#/paths/~1v1~1things~1{id}~1parts~1{part}/get", "no path parameter `part`"])),
        ("a path parameter not in the path", b.replace("/v1/things/{id}:", "/v1/things:").into_bytes(), Warning(&["#/paths/~1v1~1things/get/parameters", "`id` does not appear in the path"])),
        ("a parameter defined twice", b.replace("        - {name: id, in: path, required: true, schema: {type: string}}", "        - {name: id, in: path, required: true, schema: {type: string}}\n        - {name: id, in: path, required: true, schema: {type: integer}}").into_bytes(), Warning(&["#/paths/~1v1~1things~1{id}/get/parameters/1", "twice"])),
        ("an unknown `in`", b.replace("in: path", "in: body").into_bytes(), Error(&["#/paths/~1v1~1things~1{id}/get/parameters/0", "does not fit"])),
        ("an empty `responses`", b.replace("      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Thing'}\n", "      responses: {}\n").into_bytes(), Warning(&["#/paths/~1v1~1things~1{id}/get/responses", "no success response"])),
        ("200-deep nesting (block)", deep_yaml.into_bytes(), Error(&["not valid YAML", "recursion"])),
        ("200-deep nesting (flow)", deep_flow.into_bytes(), Error(&["not valid YAML", "recursion"])),
        ("non-UTF-8 bytes", non_utf8, Error(&["not UTF-8", "line 6, column 20"])),
        ("an enum of mixed types", b.replace("        id: {type: string}\n", "        id: {type: string}\n        mode: {enum: [fast, 1, true, null]}\n").into_bytes(), Warning(&["#/components/schemas/Thing/properties/mode", "enum"])),
        ("a string enum with a number", b.replace("        id: {type: string}\n", "        id: {type: string}\n        mode: {type: string, enum: [fast, 2]}\n").into_bytes(), Warning(&["#/components/schemas/Thing/properties/mode", "enum"])),
        ("a discriminator naming a missing property", b.replace("components:\n  schemas:\n", "components:\n  schemas:\n    Either:\n      oneOf: [{$ref: '#/components/schemas/Thing'}]\n      discriminator: {propertyName: kind}\n").into_bytes(), Warning(&["#/components/schemas/Either/discriminator", "kind"])),
        ("a schema that is a string", b.replace("components:\n  schemas:\n", "components:\n  schemas:\n    Odd: hello\n").into_bytes(), Warning(&["#/components/schemas/Odd", "mapping"])),
        ("`required` that is not a list", b.replace("      required: [id]", "      required: id").into_bytes(), Warning(&["#/components/schemas/Thing/required", "list"])),
        ("a property named like nothing in Rust", b.replace("        id: {type: string}\n", "        id: {type: string}\n        '': {type: string}\n        '$$': {type: integer}\n        type: {type: string}\n        '123': {type: boolean}\n").into_bytes(), Warning(&["#/components/schemas/Thing/properties", "name"])),
        ("an operationId that is no identifier", b.replace("operationId: get_thing", "operationId: '123 get-thing!'").into_bytes(), Warning(&["#/paths/~1v1~1things~1{id}/get", "123 get-thing!"])),
    ]
}

fn sentinel_tree(dir: &Path) -> BTreeMap<String, String> {
    let files: BTreeMap<String, String> = [("Cargo.toml", "[package]\nname = \"before\"\n"), ("src/lib.rs", "// the crate before\n")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    sdkgen::emit::write_tree(dir, &files).unwrap();
    files
}

#[test]
fn malformed_specs_are_named_and_nothing_is_lost() {
    let cases = cases();
    assert!(cases.len() >= 20);
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("malformed-{}", std::process::id()));
    let overlay = Overlay::default();
    let mut failures = Vec::new();
    for (i, (name, bytes, expect)) in cases.iter().enumerate() {
        let out = tmp.join(format!("case{i}/generated"));
        let before = sentinel_tree(&out);
        let result = sdkgen::regenerate(bytes, &overlay, &out);
        match (expect, result) {
            (Error(needles), Err(e)) => {
                let msg = format!("{e:#}");
                if !needles.iter().all(|n| msg.contains(n)) {
                    failures.push(format!("{name}: error `{msg}` lacks one of {needles:?}"));
                }
                if msg.contains("internal error") {
                    failures.push(format!("{name}: the generator panicked: {msg}"));
                }
                let after = sdkgen::emit::read_tree(&out).unwrap();
                if after != before {
                    failures.push(format!("{name}: the output directory changed on a failed regeneration"));
                }
            }
            (Warning(needles), Ok(generated)) => {
                if !generated.diagnostics.iter().any(|d| needles.iter().all(|n| d.to_string().contains(n))) {
                    let found: Vec<String> = generated.diagnostics.iter().map(ToString::to_string).collect();
                    failures.push(format!("{name}: no warning with all of {needles:?}; found {found:#?}"));
                }
                if !generated.files.contains_key("src/lib.rs") {
                    failures.push(format!("{name}: no crate written"));
                }
            }
            (Error(_), Ok(g)) => failures.push(format!("{name}: expected an error, generated with {:?}", g.diagnostics)),
            (Warning(_), Err(e)) => failures.push(format!("{name}: expected a warning, failed: {e:#}")),
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(failures.is_empty(), "{} of {} cases:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// A 10 MB description is kept whole as the type's doc and does not slow generation down to
/// a crawl (no quadratic pass over descriptions).
#[test]
fn a_ten_megabyte_description_is_kept() {
    let b = base();
    let big = "lorem ipsum ".repeat(900_000);
    let spec = b.replace("    Thing:\n      type: object\n", &format!("    Thing:\n      type: object\n      description: '{big}'\n"));
    assert!(spec.len() > 10_000_000);
    let generated = sdkgen::generate(&spec, &Overlay::default()).unwrap();
    let models: String = generated.files.iter().filter(|(p, _)| p.starts_with("src/models/")).map(|(_, t)| t.as_str()).collect();
    assert!(models.contains(big.trim_end()), "the description is in the docs");
}
