//! Lower: `openapiv3::OpenAPI` (+ overlay) → [`Ir`].
//!
//! Naming: component schemas keep their key (made a valid identifier); inline schemas that need a
//! type are named from their owner and property path (`ChatCompletionRequest` + `tool_choice` →
//! `ChatCompletionRequestToolChoice`, array items get `Item`, map values `Value`). Titles are
//! never used. Identical inline enums and unions typing the same field are generated once, under a
//! name that fits every place ([`merge`]), so the same message or tool union is one Rust type
//! everywhere. Collisions get a numeric suffix.
//!
//! The stages, in order: [`schema`] lowers every component schema (and each inline schema that
//! needs a type), [`ops`] every operation, then the [`passes`] fix up the whole set of types
//! (alias cycles, body flags, union order, serde directions, boxing), [`membership`] assigns the
//! cargo features, [`auth`] the authentication schemes.

use crate::diag::Diagnostics;
use crate::ir::*;
use crate::overlay::Overlay;
use indexmap::IndexMap;
use openapiv3::OpenAPI;
use std::collections::{BTreeMap, HashMap, HashSet};

mod auth;
mod membership;
mod merge;
mod ops;
mod passes;
mod schema;

pub(crate) use schema::{AsNode, Node};

/// Lowers the whole document's schemas.
pub fn lower(api: &OpenAPI, overlay: &Overlay, diags: &mut Diagnostics) -> Ir {
    // A first run finds the places that declare the same inline enum or union; the plan names
    // what they share (see [`merge`]), and the second run, the one kept, follows it.
    let mut scratch = Diagnostics::default();
    let mut first = Lowerer::new(api, overlay, &mut scratch, HashMap::new());
    first.run();
    first.operations();
    let taken: HashSet<String> = first.types.keys().cloned().chain(first.places.values().flatten().map(|p| p.hint.clone())).collect();
    let shapes: Vec<Vec<merge::Place>> = first.places.into_values().collect();
    let plan = merge::plan(&shapes, &taken, &|hint| overlay.type_names.contains_key(hint));

    let mut l = Lowerer::new(api, overlay, diags, plan);
    l.run();
    let mut operations = l.operations();
    let Lowerer { mut types, components, examples, used_renames, .. } = l;
    let features = membership::assign_features(&mut operations, &overlay.features, diags);
    let auth = auth::schemes(api, overlay, diags);
    let providers = crate::providers::resolve(&overlay.providers, &operations, diags);
    passes::break_alias_cycles(&mut types, diags);
    passes::check_body_flags(&mut operations, &types, diags);
    passes::pagination(api, &overlay.pagination, &mut operations, &types, diags);
    passes::order_untagged(&mut types);
    passes::directions(&mut types, &operations);
    membership::reach(&mut types, &operations);
    membership::uses(&mut types, &operations);
    for from in overlay.type_names.keys() {
        if !used_renames.contains(from) {
            diags.warn("spec/overlay.yaml#/type_names", format!("rename of `{from}` matches no generated type"));
        }
    }
    let mut types: Vec<TypeDef> = types.into_values().collect();
    passes::box_recursion(&mut types);
    passes::box_large_variants(&mut types);
    let helpers = passes::helpers_that_fit(&overlay.helpers, &types, diags);
    if let Some(base) = &overlay.docs_url {
        passes::absolute_links(&mut types, &mut operations, base.trim_end_matches('/'));
    }
    Ir {
        title: api.info.title.clone(),
        version: api.info.version.clone(),
        types,
        schemas: components.into_iter().map(|(component, rust)| SchemaEntry { component, rust }).collect(),
        examples: examples.into_values().collect(),
        operations,
        helpers,
        auth,
        features,
        providers,
    }
}

impl<'a> Lowerer<'a> {
    fn new(api: &'a OpenAPI, overlay: &'a Overlay, diags: &'a mut Diagnostics, plan: HashMap<String, merge::Planned>) -> Self {
        Lowerer {
            api,
            overlay,
            diags,
            types: BTreeMap::new(),
            components: IndexMap::new(),
            taken: HashSet::new(),
            by_pointer: HashMap::new(),
            by_shape: HashMap::new(),
            places: IndexMap::new(),
            plan,
            examples: BTreeMap::new(),
            used_renames: HashSet::new(),
        }
    }
}

pub(crate) struct Lowerer<'a> {
    api: &'a OpenAPI,
    overlay: &'a Overlay,
    diags: &'a mut Diagnostics,
    types: BTreeMap<String, TypeDef>,
    /// Component key → Rust name.
    components: IndexMap<String, String>,
    taken: HashSet<String>,
    /// Inline schema pointer → the type made for it.
    by_pointer: HashMap<String, TypeRef>,
    /// Shape key of an inline enum or union (with the planned name) → its type (dedup).
    by_shape: HashMap<String, String>,
    /// Shape key → the places declaring it, in the order met (the first run's findings).
    places: IndexMap<String, Vec<merge::Place>>,
    /// Inline schema pointer → the shared type's name, from the first run ([`merge::plan`]).
    plan: HashMap<String, merge::Planned>,
    examples: BTreeMap<String, Example>,
    /// The overlay's type renames that matched a generated name.
    used_renames: HashSet<String>,
}
