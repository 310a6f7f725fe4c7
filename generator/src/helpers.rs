//! The registry of hand-written helper modules (`templates/helpers/*.rs`), an input to lowering
//! like the overlay.
//!
//! A helper is written against model types, and the same type names can have other shapes in
//! another version of the spec (a field missing, a const where an enum was, a variant renamed).
//! So each helper declares, in `//@` lines at the top of its source, every shape it relies on;
//! lowering checks them against the IR and leaves the helper out, with a warning naming the first
//! shape that does not fit, instead of writing a crate that does not compile.
//!
//! ```text
//! //@ type Name                         the type exists
//! //@ field Type.field: Spelling        a struct field, spelled as in the crate
//! //@ variant Type::Variant(Spelling)   a variant of a union
//! //@ variants Type: A, B               the union has exactly these variants (an exhaustive match)
//! //@ value Enum::Value                 a value of a string enum
//! //@ needs helper                      another helper this one calls (left out without it)
//! ```
//! A spelling is the field's Rust type as the generated crate writes it, relative to `models`:
//! `String`, `i64`, `Option<T>`, `Nullable<T>`, `Vec<T>`, `Box<T>`, a model type name;
//! aliases are looked through.
//!
//! One more line is written into the output: `//@ cfg-of Type` becomes the `#[cfg]` under which
//! `Type` is compiled, for the item that follows (`//@ cfg-of A, B`: under which both are). So a helper serving two API groups (chat and
//! agents) compiles its part for each with that group's feature, without naming the features;
//! the types named by `cfg-of` lines do not gate the module as a whole.
//!
//! A helper that brings dependencies (a JSON-schema or WebSocket crate) has its own cargo
//! feature ([`HelperFeature`]); the module compiles when that feature and its types' are on.

use crate::ir::{Field, Presence, TypeDef, TypeKind, TypeRef};

/// A hand-written module added when the overlay lists it (`helpers:`) and its shapes fit.
pub struct Helper {
    pub name: &'static str,
    /// The module's source, `//@` declarations included.
    pub source: &'static str,
    /// Its own cargo feature, when it brings dependencies; `None`: it compiles whenever its
    /// types do.
    pub feature: Option<HelperFeature>,
}

/// See [`Helper::feature`].
pub struct HelperFeature {
    pub name: &'static str,
    /// What the feature turns on (`dep:schemars`).
    pub enables: &'static [&'static str],
    /// Optional dependencies it brings (manifest lines).
    pub dependencies: &'static [&'static str],
    pub doc: &'static str,
}

const SCHEMARS: &str = r#"schemars = { version = "1.0", optional = true }"#;

pub const HELPERS: &[Helper] = &[
    Helper { name: "completion", source: include_str!("../../templates/helpers/completion.rs"), feature: None },
    Helper { name: "answers", source: include_str!("../../templates/helpers/answers.rs"), feature: None },
    Helper { name: "prelude", source: include_str!("../../templates/helpers/prelude.rs"), feature: None },
    Helper { name: "jobs", source: include_str!("../../templates/helpers/jobs.rs"), feature: None },
    Helper { name: "batch", source: include_str!("../../templates/helpers/batch.rs"), feature: None },
    Helper {
        name: "structured",
        source: include_str!("../../templates/helpers/structured.rs"),
        feature: Some(HelperFeature {
            name: "structured-outputs",
            enables: &["dep:schemars"],
            dependencies: &[SCHEMARS],
            doc: "`mistral_sdk::structured`: `parse::<T>()` on chat and agents completions, a strict JSON schema from a `schemars::JsonSchema` type",
        }),
    },
    Helper {
        name: "run",
        source: include_str!("../../templates/helpers/run.rs"),
        feature: Some(HelperFeature {
            name: "conversation-run",
            enables: &["dep:schemars"],
            dependencies: &[SCHEMARS],
            doc: "`mistral_sdk::run`: conversations, chat and agents completions that run local functions (`client.beta().conversations().run(&ctx, request)`, `client.chat().run(&ctx, request)`), parameters from `schemars::JsonSchema` types",
        }),
    },
    Helper {
        name: "realtime",
        source: include_str!("../../templates/helpers/realtime.rs"),
        feature: Some(HelperFeature {
            name: "realtime",
            enables: &["dep:tokio-tungstenite", "dep:base64"],
            dependencies: &[
                r#"tokio-tungstenite = { version = "0.30", default-features = false, features = ["connect", "rustls-tls-webpki-roots"], optional = true }"#,
                r#"base64 = { version = "0.22", optional = true }"#,
            ],
            doc: "`mistral_sdk::realtime`: realtime transcription over a WebSocket (`client.audio().realtime(model)`), through `tokio-tungstenite` with rustls",
        }),
    },
    Helper {
        name: "mcp",
        source: include_str!("../../templates/helpers/mcp.rs"),
        feature: Some(HelperFeature {
            name: "mcp",
            enables: &["conversation-run", "dep:rmcp", "dep:reqwest-mcp", "dep:rustls"],
            dependencies: &[
                r#"rmcp = { version = "3.11", default-features = false, features = ["client", "transport-child-process", "transport-streamable-http-client-reqwest", "reqwest-tls-no-provider", "auth"], optional = true }"#,
                r#"reqwest-mcp = { package = "reqwest", version = "0.13", default-features = false, features = ["rustls-no-provider"], optional = true }"#,
                r#"rustls = { version = "0.23", default-features = false, features = ["ring", "std"], optional = true }"#,
            ],
            doc: "`mistral_sdk::mcp`: the tools and prompts of Model Context Protocol servers (stdio, streamable HTTP, OAuth) in a run context, on `rmcp`",
        }),
    },
    Helper {
        name: "otel",
        source: include_str!("../../templates/helpers/otel.rs"),
        feature: Some(HelperFeature {
            name: "otel",
            enables: &["dep:opentelemetry"],
            dependencies: &[r#"opentelemetry = { version = "0.33", default-features = false, features = ["trace", "metrics"], optional = true }"#],
            doc: "`mistral_sdk::otel`: OpenTelemetry GenAI spans and metrics for every call (a middleware), on the `opentelemetry` API crate",
        }),
    },
    Helper {
        name: "telemetry",
        source: include_str!("../../templates/helpers/telemetry.rs"),
        feature: Some(HelperFeature {
            name: "otel-export",
            enables: &["otel", "dep:opentelemetry_sdk", "dep:opentelemetry-otlp", "dep:opentelemetry-http", "dep:regex", "tokio/rt"],
            dependencies: &[
                r#"opentelemetry_sdk = { version = "0.33", default-features = false, features = ["trace"], optional = true }"#,
                r#"opentelemetry-otlp = { version = "0.33", default-features = false, features = ["http-proto", "trace"], optional = true }"#,
                r#"opentelemetry-http = { version = "0.33", default-features = false, optional = true }"#,
                r#"regex = { version = "1", optional = true }"#,
            ],
            doc: "`mistral_sdk::telemetry`: export to Mistral's observability as the official SDKs do (`MISTRAL_SDK_TELEMETRY=dedicated|global`, OTLP/HTTP, spans redacted), on `opentelemetry_sdk` and `opentelemetry-otlp`",
        }),
    },
];

pub fn find(name: &str) -> Option<&'static Helper> {
    HELPERS.iter().find(|h| h.name == name)
}

/// One shape a helper relies on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    Type(String),
    Field { ty: String, field: String, spelling: String },
    Variant { ty: String, variant: String, spelling: String },
    Variants { ty: String, variants: Vec<String> },
    Value { ty: String, value: String },
}

impl Helper {
    /// The source written into the crate: the `//@` declarations removed, each `//@ cfg-of T`
    /// replaced by `cfg_of(T)` (the attribute lines gating `T`, empty when it is always on).
    pub fn output(&self, cfg_of: impl Fn(&str) -> String) -> String {
        let mut out = String::with_capacity(self.source.len());
        for line in self.source.lines() {
            if let Some(ty) = line.trim_start().strip_prefix("//@ cfg-of ") {
                let indent = &line[..line.len() - line.trim_start().len()];
                for attr in cfg_of(ty.trim()).lines() {
                    out.push_str(indent);
                    out.push_str(attr);
                    out.push('\n');
                }
            } else if !line.starts_with("//@") {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    /// The lines holding `//@` (declarations are few in a long source; found by substring
    /// search rather than line by line), each with its 0-based line number.
    fn declaration_lines(&self) -> impl Iterator<Item = (usize, &'static str)> {
        let source: &'static str = self.source;
        // The start and end of the last line yielded, and its number.
        let (mut last_start, mut last_end, mut line_no) = (0, 0, 0);
        source.match_indices("//@").filter_map(move |(at, _)| {
            if at < last_end {
                return None; // a second `//@` on a line already yielded
            }
            let start = source[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = source[at..].find('\n').map_or(source.len(), |i| at + i);
            line_no += source[last_start..start].bytes().filter(|&b| b == b'\n').count();
            (last_start, last_end) = (start, end);
            Some((line_no, source[start..end].trim_end_matches('\r')))
        })
    }

    /// The helpers this one calls (`//@ needs NAME`): it is left out when one of them is.
    pub fn needs(&self) -> Vec<&'static str> {
        self.declaration_lines().filter_map(|(_, l)| l.trim_start().strip_prefix("//@ needs ")).map(str::trim).collect()
    }

    /// The types named by `//@ cfg-of` lines.
    pub fn cfg_types(&self) -> Vec<String> {
        self.declaration_lines().filter_map(|(_, l)| l.trim_start().strip_prefix("//@ cfg-of ")).flat_map(cfg_list).collect()
    }

    /// The declared shapes; a declaration that does not parse is an error naming its line.
    pub fn shapes(&self) -> Result<Vec<Shape>, String> {
        let mut out = Vec::new();
        for (n, line) in self.declaration_lines() {
            if let Some(types) = line.trim_start().strip_prefix("//@ cfg-of ") {
                out.extend(cfg_list(types).map(Shape::Type));
                continue;
            }
            let Some(decl) = line.strip_prefix("//@") else { continue };
            if decl.trim_start().starts_with("needs ") {
                continue;
            }
            let at = || format!("templates/helpers/{}.rs:{}", self.name, n + 1);
            let decl = decl.trim();
            let (kind, rest) = decl.split_once(' ').ok_or_else(|| format!("{}: `{decl}` is not a shape declaration", at()))?;
            let rest = rest.trim();
            let shape = match kind {
                "type" => Shape::Type(rest.to_string()),
                "field" => {
                    let (path, spelling) = rest.split_once(':').ok_or_else(|| format!("{}: `field` needs `Type.field: Spelling`", at()))?;
                    let (ty, field) = path.trim().split_once('.').ok_or_else(|| format!("{}: `field` needs `Type.field: Spelling`", at()))?;
                    Shape::Field { ty: ty.into(), field: field.into(), spelling: squash(spelling) }
                }
                "variant" => {
                    let (path, spelling) = rest
                        .strip_suffix(')')
                        .and_then(|r| r.split_once('('))
                        .ok_or_else(|| format!("{}: `variant` needs `Type::Variant(Spelling)`", at()))?;
                    let (ty, variant) = path.split_once("::").ok_or_else(|| format!("{}: `variant` needs `Type::Variant(Spelling)`", at()))?;
                    Shape::Variant { ty: ty.into(), variant: variant.into(), spelling: squash(spelling) }
                }
                "value" => {
                    let (ty, value) = rest.split_once("::").ok_or_else(|| format!("{}: `value` needs `Enum::Value`", at()))?;
                    Shape::Value { ty: ty.trim().into(), value: value.trim().into() }
                }
                "variants" => {
                    let (ty, list) = rest.split_once(':').ok_or_else(|| format!("{}: `variants` needs `Type: A, B`", at()))?;
                    Shape::Variants { ty: ty.trim().into(), variants: list.split(',').map(|v| v.trim().to_string()).collect() }
                }
                other => return Err(format!("{}: unknown shape `{other}` (type, field, variant, variants, value)", at())),
            };
            out.push(shape);
        }
        Ok(out)
    }

    /// The model types the helper's declared shapes name, but those of `cfg-of` lines: the
    /// module compiles when these do.
    pub fn types(&self) -> Vec<String> {
        let optional = self.cfg_types();
        let mut out: Vec<String> = self
            .shapes()
            .unwrap_or_default()
            .into_iter()
            .map(|s| match s {
                Shape::Type(ty) | Shape::Field { ty, .. } | Shape::Variant { ty, .. } | Shape::Variants { ty, .. } | Shape::Value { ty, .. } => ty,
            })
            .filter(|t| !optional.contains(t))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Checks every declared shape against the lowered types; `Err` names the first misfit.
    pub fn check(&self, types: &[TypeDef]) -> Result<(), String> {
        let by_name = Types::new(types);
        for shape in self.shapes()? {
            check_shape(&shape, &by_name)?;
        }
        Ok(())
    }
}

/// The types by name: sorted references searched by halving (the IR's types come sorted, so
/// this is one pass; a map of them was built for every helper).
struct Types<'a>(Vec<&'a TypeDef>);

impl<'a> Types<'a> {
    fn new(types: &'a [TypeDef]) -> Self {
        let mut sorted: Vec<&TypeDef> = types.iter().collect();
        if !sorted.is_sorted_by(|a, b| a.name <= b.name) {
            sorted.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Types(sorted)
    }

    fn get(&self, name: &str) -> Option<&'a TypeDef> {
        self.0.binary_search_by(|t| t.name.as_str().cmp(name)).ok().map(|i| self.0[i])
    }
}

/// The types of a `cfg-of` line: `A, B`.
fn cfg_list(types: &str) -> impl Iterator<Item = String> + '_ {
    types.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string)
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn check_shape(shape: &Shape, types: &Types) -> Result<(), String> {
    let get = |name: &str| types.get(name).ok_or_else(|| format!("the spec has no type `{name}`"));
    match shape {
        Shape::Type(name) => get(name).map(|_| ()),
        Shape::Field { ty, field, spelling } => {
            let TypeKind::Struct(s) = &get(ty)?.kind else { return Err(format!("`{ty}` is not a struct (`{ty}.{field}` expected)")) };
            let Some(f) = s.fields.iter().find(|f| f.rust.trim_start_matches("r#") == field.trim_start_matches("r#") && !f.flatten) else {
                return Err(format!("`{ty}` has no field `{field}`"));
            };
            let found = field_spelling(f, types);
            if found == *spelling {
                Ok(())
            } else {
                Err(format!("`{ty}.{field}` is `{found}`, the helper needs `{spelling}`"))
            }
        }
        Shape::Variant { ty, variant, spelling } => {
            let found = variants(get(ty)?, types).ok_or_else(|| format!("`{ty}` is not a union (`{ty}::{variant}` expected)"))?;
            match found.iter().find(|(v, _)| v == variant) {
                None => Err(format!("`{ty}` has no variant `{variant}`")),
                Some((_, s)) if s == spelling => Ok(()),
                Some((_, s)) => Err(format!("`{ty}::{variant}` holds `{s}`, the helper needs `{spelling}`")),
            }
        }
        Shape::Value { ty, value } => {
            let TypeKind::Enum(values) = &get(ty)?.kind else { return Err(format!("`{ty}` is not an enum (`{ty}::{value}` expected)")) };
            if values.iter().any(|v| v.rust == *value) {
                Ok(())
            } else {
                Err(format!("`{ty}` has no value `{value}`"))
            }
        }
        Shape::Variants { ty, variants: wanted } => {
            let found = variants(get(ty)?, types).ok_or_else(|| format!("`{ty}` is not a union"))?;
            let mut names: Vec<&str> = found.iter().map(|(v, _)| v.as_str()).collect();
            let mut wanted_sorted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            names.sort_unstable();
            wanted_sorted.sort_unstable();
            if names == wanted_sorted {
                Ok(())
            } else {
                Err(format!("`{ty}` has the variants {}, the helper matches exactly {}", names.join(", "), wanted.join(", ")))
            }
        }
    }
}

fn variants(t: &TypeDef, types: &Types) -> Option<Vec<(String, String)>> {
    let boxed = |ty: &TypeRef, b: bool| {
        let s = spell(ty, types);
        if b {
            format!("Box<{s}>")
        } else {
            s
        }
    };
    match &t.kind {
        TypeKind::Tagged { variants, .. } => Some(variants.iter().map(|v| (v.rust.clone(), boxed(&v.ty, v.boxed))).collect()),
        TypeKind::Untagged(variants) => Some(variants.iter().map(|v| (v.rust.clone(), boxed(&v.ty, v.boxed))).collect()),
        _ => None,
    }
}

/// A field's Rust type as the crate writes it (presence and box included), aliases looked through.
fn field_spelling(f: &Field, types: &Types) -> String {
    let inner = spell(&f.ty, types);
    let inner = if f.boxed { format!("Box<{inner}>") } else { inner };
    match f.presence() {
        Presence::Plain => inner,
        Presence::Option | Presence::Optional => format!("Option<{inner}>"),
        Presence::Nullable => format!("Nullable<{inner}>"),
    }
}

/// [`TypeRef::rust`] with aliases resolved and no spaces.
fn spell(t: &TypeRef, types: &Types) -> String {
    let resolved = resolve(t, types, 0);
    squash(&resolved.rust())
}

fn resolve(t: &TypeRef, types: &Types, depth: usize) -> TypeRef {
    match t {
        TypeRef::Named(n) if depth < 32 => match types.get(n).map(|d| &d.kind) {
            Some(TypeKind::Alias(a)) => resolve(a, types, depth + 1),
            _ => t.clone(),
        },
        TypeRef::Vec(i) => TypeRef::Vec(Box::new(resolve(i, types, depth + 1))),
        TypeRef::Map(i) => TypeRef::Map(Box::new(resolve(i, types, depth + 1))),
        TypeRef::Option(i) => TypeRef::Option(Box::new(resolve(i, types, depth + 1))),
        _ => t.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `//@` lines found by substring search are the lines holding `//@`, numbered alike.
    #[test]
    fn declaration_lines_are_found_with_their_numbers() {
        let odd = Helper { name: "odd", source: "a\n//@ type A\n  //@ cfg-of B //@ x\n\n//@ needs c\r\nz //@", feature: None };
        for h in HELPERS.iter().chain([&odd]) {
            let by_line: Vec<(usize, &str)> = h.source.lines().enumerate().filter(|(_, l)| l.contains("//@")).collect();
            assert_eq!(h.declaration_lines().collect::<Vec<_>>(), by_line, "{}", h.name);
        }
    }

    #[test]
    fn every_helper_declares_shapes_that_parse() {
        for h in HELPERS {
            let shapes = h.shapes().unwrap_or_else(|e| panic!("{e}"));
            // A helper of re-exports only (the prelude) gates each line by `cfg-of` instead.
            let cfg_only = !shapes.is_empty() && h.source.lines().filter(|l| l.starts_with("//@")).all(|l| l.starts_with("//@ cfg-of"));
            // A helper that reads no wire shape itself and builds on another (the telemetry
            // export on the OpenTelemetry middleware) is checked through that one.
            let through_needs = shapes.is_empty() && !h.needs().is_empty();
            assert!(cfg_only || through_needs || shapes.iter().any(|s| matches!(s, Shape::Field { .. })), "{}: declares no field", h.name);
            assert!(!h.output(|_| String::new()).contains("//@"), "{}: declarations left in the output", h.name);
        }
    }

    #[test]
    fn cfg_of_lines_gate_the_next_item_and_not_the_module() {
        let h = Helper { name: "x", source: "//@ field A.b: String\nuse x;\n    //@ cfg-of B\n    impl B {}\n", feature: None };
        assert_eq!(h.types(), ["A"]);
        assert_eq!(h.shapes().unwrap()[1], Shape::Type("B".into()));
        assert_eq!(h.output(|t| format!("#[cfg(of = \"{t}\")]\n#[doc]")), "use x;\n    #[cfg(of = \"B\")]\n    #[doc]\n    impl B {}\n");
    }

    #[test]
    fn a_cfg_of_line_names_several_types() {
        let h = Helper { name: "x", source: "//@ field A.b: String\n//@ cfg-of B, C\nmod m {}\n", feature: None };
        assert_eq!(h.types(), ["A"]);
        assert_eq!(h.cfg_types(), ["B", "C"]);
        assert_eq!(h.output(|t| format!("#[cfg(of = \"{t}\")]")), "#[cfg(of = \"B, C\")]\nmod m {}\n");
    }

    #[test]
    fn a_bad_declaration_names_its_line() {
        let h = Helper { name: "x", source: "//! doc\n//@ field Foo\n", feature: None };
        assert_eq!(h.shapes().unwrap_err(), "templates/helpers/x.rs:2: `field` needs `Type.field: Spelling`");
        let h = Helper { name: "x", source: "//@ nothing\n", feature: None };
        assert_eq!(h.shapes().unwrap_err(), "templates/helpers/x.rs:1: `nothing` is not a shape declaration");
        let h = Helper { name: "x", source: "//@ struct Foo\n", feature: None };
        assert!(h.shapes().unwrap_err().contains("unknown shape `struct`"));
    }
}
