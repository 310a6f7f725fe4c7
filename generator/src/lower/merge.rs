//! Names for the inline enums and unions that several places declare identically.
//!
//! Lowering generates one type for identical inline enums and unions, first named after the
//! first place met, and records every place ([`Place`]: the name the place would give it, its
//! description). [`plan`] then names each shared type for all its places, never after the first
//! one met (the embeddings `input` was once a `ChatCompletionRequestStop`), and lowering renames
//! it everywhere:
//!
//! - a union of plain JSON types (`string | string[]`) means what its field means, so it is
//!   shared only by places typing the same field: lowering keys it by the word its name ends in
//!   (`Stop`, `Input`), with a list item's `Item` dropped and its plural made singular
//!   ([`field_word`]); a shape with a `$ref` or enum values is one type wherever it is declared;
//! - a group is named by the words all its places end in (`ChatCompletionRequestStop`,
//!   `AgentsCompletionRequestStop`, `FIMCompletionRequestStop` → `CompletionRequestStop`),
//!   before which come the words all of them start with (their owner: `WithEnumsMode`) or
//!   else contain when that ending is one word or taken (`WorkspaceRoleName`); a one-word name
//!   too vague for the crate's namespace (`Status`) keeps the first place's name;
//! - a request or response body's name says nothing of what the type is and is not counted;
//! - a group whose first name the overlay renames keeps it: the maintainers named it.
//!
//! The type's description is the places' own when they all agree; otherwise it has none and
//! its doc lists where it is used. It is deprecated only when every place says so.

use crate::fast::{HashMap, HashSet};

/// One place declaring an inline enum or union: the name it would give the type and the
/// schema's description.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub hint: String,
    pub docs: Option<String>,
    /// A request or response body rather than a field or parameter: its name says nothing
    /// of what the type is.
    pub body: bool,
    /// The schema is marked deprecated at this place.
    pub deprecated: bool,
}

/// What becomes of a group's type: its name, whether its places describe it alike, whether
/// every place deprecates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Planned {
    pub name: String,
    pub docs_agree: bool,
    pub deprecated: bool,
}

/// One-word names that say too little to stand alone among a thousand types.
const VAGUE: &[&str] = &["Item", "Value", "Data", "Type", "Status", "Name", "Id", "Input", "Output", "Content", "Body", "Kind", "Mode"];
/// Words that do not tell one group from another when prefixed (`IN`, `OUT`, `Raw`, …).
const NOISE: &[&str] = &["In", "IN", "Out", "OUT", "Raw", "Item", "Request", "Response", "Get", "List", "Create", "Update", "Delete", "Admin"];

/// The word a place's name ends in, which a union of plain JSON types is keyed by.
pub(crate) fn field_word(hint: &str) -> String {
    normalized(hint).pop().unwrap_or_default()
}

/// Names each group (the places sharing one type, in the order met). `taken` holds every other
/// type's name; `renamed` says whether the overlay renames a name.
pub(crate) fn plan(groups: &[Vec<Place>], taken: &HashSet<String>, renamed: &dyn Fn(&str) -> bool) -> Vec<Planned> {
    // An ending two groups would both take is prefixed in both.
    let mut endings: HashMap<String, usize> = HashMap::default();
    for g in groups {
        let fields = fields_of(g);
        if fields.len() > 1 {
            *endings.entry(ending(&fields).concat()).or_default() += 1;
        }
    }
    let mut used: HashSet<String> = taken.clone();
    let mut out = Vec::new();
    for group in groups {
        let fields = fields_of(group);
        let name = if fields.len() < 2 || renamed(&group[0].hint) {
            group[0].hint.clone()
        } else {
            let shared = endings.get(&ending(&fields).concat()).is_some_and(|n| *n > 1);
            group_name(&fields, &used, shared)
        };
        used.insert(name.clone());
        out.push(Planned { name, docs_agree: group.iter().all(|p| p.docs == group[0].docs), deprecated: group.iter().all(|p| p.deprecated) });
    }
    out
}

/// A group's places that are fields or parameters, not bodies.
fn fields_of(group: &[Place]) -> Vec<&Place> {
    group.iter().filter(|p| !p.body).collect()
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
        Place { hint: hint.into(), docs: None, deprecated: false, body: hint.ends_with("Response") }
    }

    fn names(groups: &[&[&str]], taken: &[&str]) -> Vec<String> {
        let groups: Vec<Vec<Place>> = groups.iter().map(|s| s.iter().map(|h| place(h)).collect()).collect();
        let taken = taken.iter().map(|s| s.to_string()).collect();
        plan(&groups, &taken, &|h| h == "ChatCompletionRequestMessagesItem").into_iter().map(|p| p.name).collect()
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
    fn a_group_is_named_by_what_all_its_places_end_in() {
        let got = names(
            &[
                &["ChatCompletionRequestStop", "FIMCompletionRequestStop", "AgentsCompletionRequestStop"],
                &["EmbeddingRequestInput", "ClassificationRequestInput"],
            ],
            &[],
        );
        assert_eq!(got, ["CompletionRequestStop", "RequestInput"]);
        assert_eq!(field_word("EmbeddingRequestInput"), "Input");
        assert_eq!(field_word("AssignGroupToWorkspaceInRoleNamesItem"), field_word("WorkspaceMemberSingleINRoleName"));
    }

    #[test]
    fn a_body_does_not_name_its_group() {
        assert_eq!(names(&[&["ModelListDataItem", "ModelsRetrieveResponse"]], &[]), ["ModelListDataItem"]);
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
        assert_eq!(got, ["OrganizationRoleName", "WorkspaceRoleName", "Role", "WorkspaceRole"]);
    }

    #[test]
    fn vague_or_taken_names_fall_back_to_the_first_place() {
        assert_eq!(names(&[&["WithEnumsInlineMode", "WithEnumsOtherMode"]], &[]), ["WithEnumsMode"]);
        let got = names(
            &[&["RunsListRunsStatus", "WorkflowsGetWorkflowsStatus"], &["ConversationRequestAgentVersion", "AgentConversationAgentVersion"]],
            &["AgentVersion"],
        );
        assert_eq!(got, ["RunsListRunsStatus", "ConversationAgentVersion"]);
    }

    #[test]
    fn a_renamed_group_keeps_its_name() {
        let got = names(
            &[&["ChatCompletionRequestMessagesItem", "InstructRequestMessagesItem", "ChatModerationRequestInputVariant1Item"], &["OnlyOne"]],
            &[],
        );
        assert_eq!(got, ["ChatCompletionRequestMessagesItem", "OnlyOne"]);
    }
}
