//! Issue 18: the strict schema sent for structured outputs and function parameters accepts
//! exactly what serde writes. For a wide set of Rust types (nested structs, enums in every serde
//! representation, options, maps, sets, tuples, recursion, flatten, renames, skipped fields),
//! serde's JSON of sample values validates against `structured::json_schema::<T>()` with a real
//! JSON Schema validator (`jsonschema`, draft 2020-12), every object schema is closed, and a
//! value with an unknown key is rejected where serde would not write one.

use mistral_sdk::structured::json_schema;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Serialize, JsonSchema)]
struct Point {
    x: i32,
    y: f64,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
struct Renamed {
    first_name: String,
    #[serde(rename = "AGE")]
    age: u8,
    #[serde(skip)]
    #[allow(dead_code)]
    hidden: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    nickname: Option<String>,
}

#[derive(Serialize, JsonSchema)]
#[serde(tag = "kind")]
enum Internal {
    Circle { radius: f64 },
    Square(Point),
    Named(Renamed),
    Unit,
}

#[derive(Serialize, JsonSchema)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
enum Adjacent {
    Text(String),
    Point(Point),
    Pair(i32, i32),
    Nothing,
    Move { dx: i32, dy: i32 },
}

#[derive(Serialize, JsonSchema)]
enum External {
    Text(String),
    Point(Point),
    Pair(i32, bool),
    Unit,
    Move { dx: i32 },
}

#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
enum Untagged {
    Number(i64),
    Text(String),
    Point(Point),
    List(Vec<u8>),
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum Plain {
    Low,
    High,
    VeryHigh,
}

#[derive(Serialize, JsonSchema)]
struct Tree {
    label: String,
    children: Vec<Tree>,
    parent: Option<Box<Tree>>,
}

#[derive(Serialize, JsonSchema)]
struct Meta {
    created: String,
    tags: BTreeSet<String>,
}

#[derive(Serialize, JsonSchema)]
struct WithFlatten {
    id: u32,
    #[serde(flatten)]
    meta: Meta,
}

#[derive(Serialize, JsonSchema)]
struct WithFlattenedEnum {
    id: u32,
    #[serde(flatten)]
    shape: Internal,
}

#[derive(Serialize, JsonSchema)]
struct Newtype(Point);

#[derive(Serialize, JsonSchema)]
struct Everything {
    point: Point,
    maybe: Option<Point>,
    tuple: (i32, String, bool),
    scores: BTreeMap<String, f32>,
    by_id: HashMap<String, Point>,
    set: BTreeSet<i64>,
    list: Vec<Internal>,
    adjacent: Vec<Adjacent>,
    external: Vec<External>,
    untagged: Vec<Untagged>,
    level: Plain,
    tree: Tree,
    newtype: Newtype,
    nested: Vec<Vec<Option<u16>>>,
    flat: WithFlatten,
}

fn samples_internal() -> Vec<Internal> {
    vec![
        Internal::Circle { radius: 1.5 },
        Internal::Square(Point { x: 1, y: 2.0 }),
        Internal::Named(Renamed { first_name: "Ada".into(), age: 36, hidden: true, nickname: None }),
        Internal::Named(Renamed { first_name: "Bo".into(), age: 3, hidden: false, nickname: Some("b".into()) }),
        Internal::Unit,
    ]
}

fn tree() -> Tree {
    let leaf = |l: &str| Tree { label: l.into(), children: vec![], parent: None };
    Tree {
        label: "root".into(),
        children: vec![leaf("a"), Tree { label: "b".into(), children: vec![leaf("c")], parent: Some(Box::new(leaf("up"))) }],
        parent: None,
    }
}

fn everything() -> Everything {
    Everything {
        point: Point { x: -3, y: 0.25 },
        maybe: None,
        tuple: (7, "seven".into(), true),
        scores: [("a".to_string(), 0.5)].into(),
        by_id: [("p".to_string(), Point { x: 0, y: 0.0 })].into(),
        set: [1, 2, 3].into(),
        list: samples_internal(),
        adjacent: vec![
            Adjacent::Text("t".into()),
            Adjacent::Point(Point { x: 1, y: 1.0 }),
            Adjacent::Pair(1, 2),
            Adjacent::Nothing,
            Adjacent::Move { dx: 1, dy: -1 },
        ],
        external: vec![
            External::Text("t".into()),
            External::Point(Point { x: 1, y: 1.0 }),
            External::Pair(4, false),
            External::Unit,
            External::Move { dx: 2 },
        ],
        untagged: vec![Untagged::Number(4), Untagged::Text("x".into()), Untagged::Point(Point { x: 5, y: 5.5 }), Untagged::List(vec![1, 2])],
        level: Plain::VeryHigh,
        tree: tree(),
        newtype: Newtype(Point { x: 9, y: 9.0 }),
        nested: vec![vec![Some(1), None], vec![]],
        flat: WithFlatten { id: 1, meta: Meta { created: "now".into(), tags: ["x".to_string()].into() } },
    }
}

/// Every object schema in `schema` (where `type` is or includes `object`, or `properties` is
/// present), by its JSON pointer.
fn objects<'a>(v: &'a Value, at: String, out: &mut Vec<(String, &'a serde_json::Map<String, Value>)>) {
    match v {
        Value::Object(map) => {
            let is_object = map.get("type").is_some_and(|t| t == "object" || t.as_array().is_some_and(|a| a.iter().any(|t| t == "object")))
                || map.contains_key("properties");
            if is_object {
                out.push((at.clone(), map));
            }
            for (k, child) in map {
                if k != "enum" && k != "const" && k != "default" && k != "examples" {
                    objects(child, format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(items) => items.iter().enumerate().for_each(|(i, c)| objects(c, format!("{at}/{i}"), out)),
        _ => {}
    }
}

/// Checks `values` against `T`'s strict schema: each validates, every object is closed, and
/// each object value with an extra key does not validate.
fn check<T: JsonSchema + Serialize>(values: &[T]) {
    let schema = json_schema::<T>();
    let name = T::schema_name();
    let validator = jsonschema::draft202012::new(&schema).unwrap_or_else(|e| panic!("{name}: the schema does not compile: {e}\n{schema:#}"));
    let mut objs = Vec::new();
    objects(&schema, String::new(), &mut objs);
    for (at, map) in &objs {
        match map.get("additionalProperties") {
            Some(Value::Bool(false)) | Some(Value::Object(_)) => {}
            other => panic!("{name}: the object at `{at}` is not closed (additionalProperties: {other:?})\n{schema:#}"),
        }
    }
    for value in values {
        let json = serde_json::to_value(value).unwrap();
        let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: serde's own JSON is rejected by the schema sent:\n{json:#}\n{}\nschema: {schema:#}", errors.join("\n"));
        if let Value::Object(mut map) = json {
            map.insert("__unexpected".into(), json!(1));
            assert!(!validator.is_valid(&Value::Object(map)), "{name}: an unknown key is accepted\nschema: {schema:#}");
        }
    }
}

#[test]
fn internally_tagged_enums_with_newtype_variants() {
    check(&samples_internal());
}

#[test]
fn adjacently_externally_and_untagged_enums() {
    check(&everything().adjacent);
    check(&everything().external);
    check(&everything().untagged);
    check(&[Plain::Low, Plain::High, Plain::VeryHigh]);
}

#[test]
fn renames_skips_options_and_newtypes() {
    check(&[
        Renamed { first_name: "a".into(), age: 1, hidden: false, nickname: None },
        Renamed { first_name: "b".into(), age: 2, hidden: true, nickname: Some("n".into()) },
    ]);
    check(&[Newtype(Point { x: 1, y: 2.0 })]);
    check(&[Some(Point { x: 1, y: 2.0 }), None]);
}

#[test]
fn recursion_maps_sets_and_tuples() {
    check(&[tree()]);
    check(&[BTreeMap::from([("k".to_string(), Point { x: 1, y: 1.0 })])]);
    check(&[(1, "x".to_string(), vec![true])]);
    check(&[BTreeSet::from([1u8, 2])]);
}

#[test]
fn flattened_structs_and_enums() {
    check(&[WithFlatten { id: 1, meta: Meta { created: "c".into(), tags: BTreeSet::new() } }]);
    check(&samples_internal().into_iter().map(|shape| WithFlattenedEnum { id: 2, shape }).collect::<Vec<_>>());
}

#[test]
fn everything_at_once() {
    check(&[everything()]);
}

/// The strictness is real: a wrong value is rejected, so the checks above can fail.
#[test]
fn the_validator_rejects_wrong_values() {
    let schema = json_schema::<Internal>();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    assert!(!validator.is_valid(&json!({"kind": "Square", "x": 1})), "y is required");
    assert!(!validator.is_valid(&json!({"kind": "Triangle"})));
    assert!(!validator.is_valid(&json!({"kind": "Circle", "radius": "big"})));
}
