//! Feature gates: the `#[cfg]` that compiles an item when a feature that needs it is on, and the
//! docs.rs note saying which feature that is. Attributes are built, not parsed: there is one
//! per type.

use super::syntax;
use crate::ir::Ir;
use proc_macro2::TokenStream;
use quote::quote;
use syn::Attribute;

/// The `cfg` predicate for "any of these features"; for an empty set (types no operation
/// reaches), every feature that has operations. `None` when nothing is gated: a spec without
/// operations has no features.
pub fn predicate(ir: &Ir, features: &[String]) -> Option<TokenStream> {
    if features.is_empty() {
        let all: Vec<&String> = ir.features.iter().filter(|f| f.operations > 0).map(|f| &f.name).collect();
        return match all.as_slice() {
            [] => None,
            [one] => Some(quote!(feature = #one)),
            many => Some(quote!(all(#(feature = #many),*))),
        };
    }
    Some(match features {
        [one] => quote!(feature = #one),
        many => quote!(any(#(feature = #many),*)),
    })
}

/// [`predicate`] as its tokens' text (`any(feature = "a", feature = "b")`).
pub fn predicate_text(ir: &Ir, features: &[String]) -> Option<String> {
    let one = |f: &String| format!("feature = {}", syntax::quoted(f));
    if features.is_empty() {
        let all: Vec<&String> = ir.features.iter().filter(|f| f.operations > 0).map(|f| &f.name).collect();
        return match all.as_slice() {
            [] => None,
            [f] => Some(one(f)),
            many => Some(format!("all({})", many.iter().map(|f| one(f)).collect::<Vec<_>>().join(", "))),
        };
    }
    Some(match features {
        [f] => one(f),
        many => format!("any({})", many.iter().map(one).collect::<Vec<_>>().join(", ")),
    })
}

/// `#[cfg(…)]` and `#[cfg_attr(docsrs, doc(cfg(…)))]` for an item needing any of `features`.
pub fn attrs(ir: &Ir, features: &[String]) -> Vec<Attribute> {
    match predicate(ir, features) {
        Some(p) => vec![syntax::attr("cfg", p.clone()), syntax::attr("cfg_attr", quote!(docsrs, doc(cfg(#p))))],
        None => Vec::new(),
    }
}

/// `#[cfg(…)]` alone, for items whose docs do not show (private modules, match arms).
pub fn cfg(ir: &Ir, features: &[String]) -> Option<Attribute> {
    predicate(ir, features).map(|p| syntax::attr("cfg", p))
}

/// `#[cfg_attr(docsrs, doc(cfg(…)))]` alone, for items inside a module the `cfg` already gates.
pub fn doc(ir: &Ir, features: &[String]) -> Option<Attribute> {
    predicate(ir, features).map(|p| syntax::attr("cfg_attr", quote!(docsrs, doc(cfg(#p)))))
}

/// The features under which every one of `sets` is on: the intersection of the sets, as the
/// features that compile a helper needing all of those types. `None` when no single feature
/// covers them all.
pub fn common<'a>(mut sets: impl Iterator<Item = &'a [String]>) -> Option<Vec<String>> {
    let first: Vec<String> = sets.next()?.to_vec();
    let common: Vec<String> = sets.fold(first, |acc, s| acc.into_iter().filter(|f| s.contains(f)).collect());
    (!common.is_empty()).then_some(common)
}

/// The `cfg` predicate under which a type of each of `sets` is compiled: `all(any(…), …)`, less
/// the sets another one implies (a type compiled under a subset of another's features is on
/// whenever that one is). `None` when nothing is gated.
pub fn all_of<'a>(ir: &Ir, sets: impl Iterator<Item = &'a [String]>) -> Option<TokenStream> {
    let each: Vec<TokenStream> = minimal(sets.collect()).iter().filter_map(|s| predicate(ir, s)).collect();
    match each.as_slice() {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(quote!(all(#(#many),*))),
    }
}

/// The sets no other one implies, first to last by size.
fn minimal(mut sets: Vec<&[String]>) -> Vec<&[String]> {
    // An empty set compiles only when every feature is on: it implies every other.
    let implies = |a: &[String], b: &[String]| a.is_empty() || (!b.is_empty() && a.iter().all(|f| b.contains(f)));
    sets.sort_by_key(|s| s.len());
    let mut kept: Vec<&[String]> = Vec::new();
    for set in sets {
        if !kept.iter().any(|k| implies(k, set)) {
            kept.push(set);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    fn sets(list: &[&[&str]]) -> Vec<Vec<String>> {
        list.iter().map(|s| s.iter().map(|f| f.to_string()).collect()).collect()
    }

    #[test]
    fn a_gate_keeps_only_the_sets_no_other_implies() {
        let owned =
            sets(&[&["agents", "chat", "fim"], &["chat", "agents"], &["chat", "agents"], &["beta", "chat"], &["agents", "chat", "classifiers"]]);
        let kept = super::minimal(owned.iter().map(Vec::as_slice).collect());
        assert_eq!(kept, [&["chat".to_string(), "agents".to_string()][..], &["beta".to_string(), "chat".to_string()][..]]);
        // A type no operation reaches compiles only with every feature: it implies the others.
        let owned = sets(&[&["chat"], &[]]);
        let kept = super::minimal(owned.iter().map(Vec::as_slice).collect());
        assert_eq!(kept, [&[] as &[String]]);
    }
}
