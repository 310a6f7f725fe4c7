//! Names for the inline enums and unions that several places declare identically.
//!
//! Lowering runs twice. The first run records, for each shape, every place that declares it
//! ([`Place`]: the name the place would give it and its description). [`plan`] then decides,
//! from those places alone, which of them share one Rust type and what it is called; the second
//! run follows the plan. A shared type must be named for all its places, never after the first
//! one met (the embeddings `input` was once a `ChatCompletionRequestStop`):
//!
//! - places are grouped by the word their name ends in, the field they type (`Stop`, `Input`,
//!   `AgentVersion`), with a list item's `Item` dropped and its plural made singular
//!   (`role_names` items and `role_name` are both a `RoleName`); places of different fields keep
//!   their own types, under their own names;
//! - a group is named by the words all its places end in (`ChatCompletionRequestStop`,
//!   `AgentsCompletionRequestStop`, `FIMCompletionRequestStop` → `CompletionRequestStop`),
//!   before which come the words all of them start with (their owner: `WithEnumsMode`) or
//!   else contain when that ending is one word or taken (`WorkspaceRoleName`); a one-word name
//!   too vague for the crate's namespace (`Status`) falls back to the first place's name;
//! - a group whose first name the overlay renames is kept whole: the maintainers named it.
//!
//! The type's description is the places' own when they all agree; otherwise it has none and
//! its doc lists where it is used.

use std::collections::{HashMap, HashSet};

/// One place declaring an inline enum or union: the name it would give the type, the pointer,
/// and the schema's description.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub hint: String,
    pub ptr: String,
    pub docs: Option<String>,
    /// A request or response body rather than a field or parameter: its name says nothing
    /// of what the type is.
    pub body: bool,
    /// The schema is marked deprecated at this place.
    pub deprecated: bool,
    /// The shape is made of plain JSON types only (no `$ref`, no enum values): it means what
    /// its field means (`string | string[]` is a stop sequence in one place, a text to embed in
    /// another).
    pub structural: bool,
}

/// What the second run does with a place: the name of the type it shares (the same for every
/// place of a group) and whether the group's places describe it alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    pub name: String,
    pub docs_agree: bool,
    /// Every place marks it deprecated (one that does not keeps the type undeprecated).
    pub deprecated: bool,
}

/// One-word names that say too little to stand alone among a thousand types.
const VAGUE: &[&str] = &["Item", "Value", "Data", "Type", "Status", "Name", "Id", "Input", "Output", "Content", "Body", "Kind", "Mode"];
/// Words that do not tell one group from another when prefixed (`IN`, `OUT`, `Raw`, …).
const NOISE: &[&str] = &["In", "IN", "Out", "OUT", "Raw", "Item", "Request", "Response", "Get", "List", "Create", "Update", "Delete", "Admin"];

/// Decides, shape by shape, which places share a type and its name. `shapes` lists each shape's
/// places in the order the first run met them; `taken` holds every other type's name (components
/// and inline types declared once); `renamed` says whether the overlay renames a name.
pub(crate) fn plan(shapes: &[Vec<Place>], taken: &HashSet<String>, renamed: &dyn Fn(&str) -> bool) -> HashMap<String, Planned> {
    // Each shape's groups of places, in the order met.
    let mut groups: Vec<Vec<&Place>> = Vec::new();
    for places in shapes {
        if places.len() < 2 || renamed(&places[0].hint) || !places[0].structural {
            groups.push(places.iter().collect());
            continue;
        }
        // A union of plain JSON types means what its field means: one group per field word;
        // a body joins the first group.
        let mut by_word: Vec<(String, Vec<&Place>)> = Vec::new();
        for p in places.iter().filter(|p| !p.body) {
            let key = normalized(&p.hint).last().cloned().unwrap_or_default();
            match by_word.iter_mut().find(|(k, _)| *k == key) {
                Some((_, g)) => g.push(p),
                None => by_word.push((key, vec![p])),
            }
        }
        let bodies = places.iter().filter(|p| p.body);
        match by_word.first_mut() {
            Some((_, g)) => g.extend(bodies),
            None => by_word.push((String::new(), bodies.collect())),
        }
        groups.extend(by_word.into_iter().map(|(_, g)| g));
    }
    // An ending two groups would both take is prefixed in both.
    let mut endings: HashMap<String, usize> = HashMap::new();
    for g in &groups {
        let fields: Vec<&Place> = g.iter().copied().filter(|p| !p.body).collect();
        if fields.len() > 1 {
            *endings.entry(ending(&fields).concat()).or_default() += 1;
        }
    }
    let mut out = HashMap::new();
    let mut used: HashSet<String> = taken.clone();
    for group in &groups {
        let fields: Vec<&Place> = group.iter().copied().filter(|p| !p.body).collect();
        let name = if fields.len() < 2 || renamed(&group[0].hint) {
            group[0].hint.clone()
        } else {
            let shared = endings.get(&ending(&fields).concat()).is_some_and(|n| *n > 1);
            group_name(&fields, &used, shared)
        };
        used.insert(name.clone());
        let docs_agree = group.iter().all(|p| p.docs == group[0].docs);
        let deprecated = group.iter().all(|p| p.deprecated);
        for p in group {
            out.insert(p.ptr.clone(), Planned { name: name.clone(), docs_agree, deprecated });
        }
    }
    out
}

/// The words all of a group's names end in.
fn ending(group: &[&Place]) -> Vec<String> {
    let words: Vec<Vec<String>> = group.iter().map(|p| normalized(&p.hint)).collect();
    let mut suffix: Vec<String> = Vec::new();
    'outer: for i in 1.. {
        let Some(w) = words[0].len().checked_sub(i).map(|j| &words[0][j]) else { break };
        for other in &words[1..] {
            match other.len().checked_sub(i).map(|j| &other[j]) {
                Some(o) if o == w => {}
                _ => break 'outer,
            }
        }
        suffix.insert(0, w.clone());
    }
    // The API's `IN`/`OUT`/`Raw` name parts are not part of what a type is.
    while suffix.len() > 1 && ["In", "IN", "Out", "OUT", "Raw"].contains(&suffix[0].as_str()) {
        suffix.remove(0);
    }
    suffix
}

/// The name of a group of two or more places (see the module docs); `shared` when another
/// group ends in the same words.
fn group_name(group: &[&Place], used: &HashSet<String>, shared: bool) -> String {
    let words: Vec<Vec<String>> = group.iter().map(|p| normalized(&p.hint)).collect();
    let suffix = ending(group);
    if suffix.is_empty() {
        return group[0].hint.clone();
    }
    // Words every place contains, before its ending, in the first place's order.
    let mut common: Vec<&String> = Vec::new();
    for w in &words[0][..words[0].len() - suffix.len()] {
        let everywhere = words[1..].iter().all(|o| o[..o.len() - suffix.len()].contains(w));
        if everywhere && !NOISE.contains(&w.as_str()) && !suffix.contains(w) && !common.contains(&w) {
            common.push(w);
        }
    }
    let join = |prefix: &[&String]| prefix.iter().map(|s| s.as_str()).chain(suffix.iter().map(String::as_str)).collect::<String>();
    let bare_ok = suffix.len() >= 2 || (suffix.len() == 1 && !VAGUE.contains(&suffix[0].as_str()));
    // The words all names start with: the owner, when every place is in the same one.
    let mut prefix: Vec<&String> = Vec::new();
    for (i, w) in words[0][..words[0].len() - suffix.len()].iter().enumerate() {
        if !words[1..].iter().all(|o| o.len() - suffix.len() > i && o[i] == *w) {
            break;
        }
        prefix.push(w);
    }
    let mut candidates = Vec::new();
    if bare_ok && suffix.len() >= 2 && !shared {
        candidates.push(join(&[]));
    }
    if prefix.iter().any(|w| !NOISE.contains(&w.as_str())) {
        candidates.push(join(&prefix));
    }
    for w in &common {
        candidates.push(join(&[w]));
    }
    if common.len() > 1 {
        candidates.push(join(&common));
    }
    if bare_ok {
        candidates.push(join(&[]));
    }
    let own = |c: &String| group.iter().any(|p| p.hint == *c);
    candidates.into_iter().find(|c| !used.contains(c) || own(c)).unwrap_or_else(|| group[0].hint.clone())
}

/// A name's words, with a list item's `Item` dropped and the plural before it made singular:
/// `RoleNamesItem` → `Role`, `Name`.
fn normalized(hint: &str) -> Vec<String> {
    let mut words = words(hint);
    let mut item = false;
    while words.len() > 1 && words.last().is_some_and(|w| w == "Item") {
        words.pop();
        item = true;
    }
    if item {
        if let Some(last) = words.last_mut() {
            if last.len() > 4 && last.ends_with("ies") {
                last.truncate(last.len() - 3);
                last.push('y');
            } else if last.len() > 3 && last.ends_with('s') && !last.ends_with("ss") && !last.ends_with("us") {
                last.pop();
            }
        }
    }
    words
}

/// The words of a PascalCase name: `OCRRequestTableFormat` → `OCR`, `Request`, `Table`, `Format`;
/// digits stay with the word before them.
fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| chars[j]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit() || (p.is_uppercase() && next.is_some_and(char::is_lowercase)));
        if boundary && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(hint: &str) -> Place {
        Place {
            hint: hint.into(),
            ptr: format!("#/{hint}"),
            docs: None,
            deprecated: false,
            body: hint.ends_with("Response"),
            structural: hint.ends_with("Stop") || hint.ends_with("Input"),
        }
    }

    fn names(shapes: &[&[&str]], taken: &[&str]) -> Vec<Vec<String>> {
        let shapes: Vec<Vec<Place>> = shapes.iter().map(|s| s.iter().map(|h| place(h)).collect()).collect();
        let taken = taken.iter().map(|s| s.to_string()).collect();
        let plan = plan(&shapes, &taken, &|h| h == "ChatCompletionRequestMessagesItem");
        shapes.iter().map(|s| s.iter().map(|p| plan[&p.ptr].name.clone()).collect()).collect()
    }

    #[test]
    fn splits_words() {
        assert_eq!(words("OCRRequestTableFormat"), ["OCR", "Request", "Table", "Format"]);
        assert_eq!(words("ChatModerationRequestInputVariant2ItemItem"), ["Chat", "Moderation", "Request", "Input", "Variant2", "Item", "Item"]);
        assert_eq!(normalized("WorkspaceMemberSingleINRoleNamesItem"), ["Workspace", "Member", "Single", "IN", "Role", "Name"]);
        assert_eq!(normalized("RunsListRunsStatus"), ["Runs", "List", "Runs", "Status"]);
        assert_eq!(normalized("InputEntriesItem"), ["Input", "Entry"]);
    }

    #[test]
    fn places_of_different_fields_keep_their_own_types() {
        let got = names(
            &[&[
                "ChatCompletionRequestStop",
                "FIMCompletionRequestStop",
                "EmbeddingRequestInput",
                "ClassificationRequestInput",
                "AgentsCompletionRequestStop",
            ]],
            &[],
        );
        assert_eq!(got[0], ["CompletionRequestStop", "CompletionRequestStop", "RequestInput", "RequestInput", "CompletionRequestStop"]);
    }

    #[test]
    fn a_one_word_ending_takes_the_words_all_places_share() {
        let got = names(
            &[
                &["OrganizationMemberCreateRoleNamesItem", "OrganizationInviteINRoleName", "AdminOrganizationMemberUpdateRoleNamesItem"],
                &["WorkspaceMemberSingleINRoleNamesItem", "AssignGroupToWorkspaceInRoleNamesItem"],
                &["AdminOrganizationMemberOUTRawRole", "AdminUserOUTRawRole"],
                &["MemberWorkspaceInfoRawRole", "AssignGroupToWorkspaceInRole"],
            ],
            &[],
        );
        assert_eq!(got[0], ["OrganizationRoleName"; 3]);
        assert_eq!(got[1], ["WorkspaceRoleName"; 2]);
        assert_eq!(got[2], ["Role"; 2]);
        assert_eq!(got[3], ["WorkspaceRole"; 2]);
    }

    #[test]
    fn vague_or_taken_names_fall_back_to_the_first_place() {
        let got = names(&[&["WithEnumsInlineMode", "WithEnumsOtherMode"]], &[]);
        assert_eq!(got[0], ["WithEnumsMode"; 2]);
        let got = names(
            &[&["RunsListRunsStatus", "WorkflowsGetWorkflowsStatus"], &["ConversationRequestAgentVersion", "AgentConversationAgentVersion"]],
            &["AgentVersion"],
        );
        assert_eq!(got[0], ["RunsListRunsStatus"; 2]);
        assert_eq!(got[1], ["ConversationAgentVersion"; 2]);
    }

    #[test]
    fn a_renamed_group_stays_whole() {
        let got = names(
            &[&["ChatCompletionRequestMessagesItem", "InstructRequestMessagesItem", "ChatModerationRequestInputVariant1Item"], &["OnlyOne"]],
            &[],
        );
        assert_eq!(got[0], ["ChatCompletionRequestMessagesItem"; 3]);
        assert_eq!(got[1], ["OnlyOne"]);
    }
}
