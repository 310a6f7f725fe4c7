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
use crate::fast::IndexMap;
use crate::fast::{HashMap, HashSet};
use crate::ir::*;
use crate::overlay::Overlay;
use openapiv3::OpenAPI;
use std::collections::BTreeMap;

mod auth;
mod membership;
mod merge;
mod ops;
mod passes;
mod schema;
mod speculate;

pub(crate) use schema::{AsNode, Node};

/// Lowers the whole document's schemas.
pub fn lower(api: &OpenAPI, overlay: &Overlay, diags: &mut Diagnostics) -> Ir {
    lower_with(api, overlay, diags, true)
}

/// [`lower`], the component schemas on two threads ([`speculate`]) or, `parallel: false`, one
/// after another (the same result).
pub fn lower_with(api: &OpenAPI, overlay: &Overlay, diags: &mut Diagnostics, parallel: bool) -> Ir {
    let mut l = Lowerer::new(api, overlay, diags);
    l.parallel = parallel;
    l.run();
    let mut operations = l.operations();
    l.name_shared(&mut operations);
    let Lowerer { mut types, components, examples, used_renames, .. } = l;
    let features = membership::assign_features(&mut operations, &overlay.features, diags);
    let auth = auth::schemes(api, overlay, diags);
    let providers = crate::providers::resolve(&overlay.providers, &operations, diags);
    passes::break_alias_cycles(&mut types, diags);
    passes::check_body_flags(&mut operations, &types, diags);
    passes::pagination(api, &overlay.pagination, &mut operations, &types, diags);
    passes::order_untagged(&mut types);
    passes::directions(&mut types, &operations);
    for from in overlay.type_names.keys() {
        if !used_renames.contains(from) {
            diags.warn("spec/overlay.yaml#/type_names", format!("rename of `{from}` matches no generated type"));
        }
    }
    // Sorted by name (the map's order), as `membership` looks types up.
    let mut types: Vec<TypeDef> = types.into_values().collect();
    // Boxing reads only the types' shapes; the helpers' fit reads the boxed spellings, not the
    // features and uses that `membership` fills beside it.
    passes::box_recursion(&mut types);
    passes::box_large_variants(&mut types);
    let helpers = membership::reach_and_uses(&mut types, &operations, |types| passes::helpers_that_fit(&overlay.helpers, types, diags));
    let sampled_traceparent = overlay
        .sampled_traceparent
        .iter()
        .filter(|id| {
            let known = operations.iter().any(|op| op.id == **id);
            if !known {
                diags.warn("spec/overlay.yaml#/sampled_traceparent", format!("`{id}` names no operation of the spec"));
            }
            known
        })
        .cloned()
        .collect();
    if let Some(base) = &overlay.docs_url {
        passes::absolute_links(&mut types, &mut operations, base.trim_end_matches('/'));
    }
    Ir {
        title: api.info.title.clone(),
        version: api.info.version.clone(),
        types,
        schemas: components.into_iter().map(|(component, rust)| SchemaEntry { component, rust }).collect(),
        examples: examples.into_values().collect(),
        crate_version: overlay.version.clone().unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string()),
        operations,
        helpers,
        auth,
        features,
        providers,
        sampled_traceparent,
    }
}

impl<'a> Lowerer<'a> {
    /// Names each type that several places share for all of them ([`merge::plan`]) and renames
    /// it everywhere: types, variants named after it, operations, examples.
    fn name_shared(&mut self, operations: &mut [Operation]) {
        let shared: Vec<(String, Vec<merge::Place>)> = std::mem::take(&mut self.places)
            .into_iter()
            .filter(|(_, p)| p.len() > 1)
            .filter_map(|(k, p)| Some((self.by_shape.get(&k)?.clone(), p)))
            .collect();
        let groups: Vec<Vec<merge::Place>> = shared.iter().map(|(_, p)| p.clone()).collect();
        let taken: HashSet<String> = self.types.keys().cloned().chain(groups.iter().flatten().map(|p| p.hint.clone())).collect();
        let overlay = self.overlay;
        let plan = merge::plan(&groups, &taken, &|hint| overlay.type_names.contains_key(hint));
        let mut renames: HashMap<String, String> = HashMap::default();
        for ((current, _), planned) in shared.iter().zip(plan) {
            if let Some(def) = self.types.get_mut(current) {
                if !planned.docs_agree {
                    // Places describing it differently: its doc lists them instead (`TypeDef::uses`).
                    def.docs = None;
                }
                def.deprecated = planned.deprecated;
            }
            // The overlay may rename the plan's name too; a name already made stays.
            if *current == planned.name || overlay.type_names.get(&planned.name) == Some(current) {
                continue;
            }
            self.taken.remove(current);
            let name = self.new_name(&planned.name);
            renames.insert(current.clone(), name);
        }
        if renames.is_empty() {
            return;
        }
        let types = std::mem::take(&mut self.types);
        for (name, mut def) in types {
            def.rename(&renames);
            let name = renames.get(&name).cloned().unwrap_or(name);
            def.name = name.clone();
            self.types.insert(name, def);
        }
        for op in operations.iter_mut() {
            op.rename(&renames);
        }
        for e in self.examples.values_mut() {
            e.ty.rename(&renames);
            e.rust_type = e.ty.rust();
        }
    }

    fn new(api: &'a OpenAPI, overlay: &'a Overlay, diags: &'a mut Diagnostics) -> Self {
        Lowerer {
            api,
            overlay,
            diags,
            types: BTreeMap::new(),
            components: IndexMap::default(),
            taken: HashSet::default(),
            by_pointer: HashMap::default(),
            by_shape: HashMap::default(),
            places: IndexMap::default(),
            examples: BTreeMap::new(),
            used_renames: HashSet::default(),
            journal: None,
            track: None,
            parallel: true,
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
    /// Shape key of an inline enum or union → its type (dedup).
    by_shape: HashMap<String, String>,
    /// Shape key → the places declaring it, in the order met ([`merge`]).
    places: IndexMap<String, Vec<merge::Place>>,
    examples: BTreeMap<String, Example>,
    /// The overlay's type renames that matched a generated name.
    used_renames: HashSet<String>,
    /// While lowering ahead on another thread: what was read and written ([`speculate`]).
    journal: Option<Vec<speculate::Event>>,
    /// While replaying a journal: the names `new_name` took, to take them back.
    track: Option<speculate::Undo>,
    /// Whether the component schemas may be lowered on two threads.
    parallel: bool,
}
