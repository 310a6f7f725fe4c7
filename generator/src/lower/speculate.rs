//! The component schemas lowered on two threads, with exactly the result of lowering them one
//! after another.
//!
//! Lowering a component reads what the ones before it made: the names taken (a clash gets a
//! numeric suffix), the inline schemas already typed (by pointer) and the inline enums and
//! unions already made (by shape, shared rather than made again). So the last part is lowered
//! ahead, on the other thread, against only its own state, writing a journal of every such
//! read and what it gave, and of every write. Then, component by component in order, the
//! journal is replayed against the real state: each read must give what it gave ahead, and
//! the writes are applied. A component whose reads differ (an enum the first half already
//! made, a name it already took) is undone and lowered again, here, after the ones before it.
//! Either way every component is lowered against the state the components before it left, as
//! one after another. A new read or write of that state in the lowering must be journaled
//! here too (`Lowerer::note`); `components_lowered_on_two_threads_equal_one_after_another`
//! compares the two ways on every fixture and published spec.

use super::Lowerer;
use crate::diag::{Diagnostic, Diagnostics};
use crate::ir::{Example, TypeDef, TypeRef};
use std::collections::BTreeMap;

/// Below this many component schemas, the second thread costs more than it saves.
const MIN_COMPONENTS: usize = 64;

/// A read of the state a component's lowering depends on, or a write to it, in the order the
/// lowering made them.
pub(super) enum Event {
    /// Component `component` starts; the diagnostics so far numbered `diags`.
    Start {
        component: usize,
        diags: usize,
    },
    /// A fresh name for `hint` was `got`.
    Name {
        hint: String,
        got: String,
    },
    /// The type made for an inline schema's pointer.
    Pointer {
        ptr: String,
        got: Option<TypeRef>,
    },
    /// The type made for an inline enum or union of this shape.
    Shape {
        key: String,
        got: Option<String>,
    },
    PointerSet {
        ptr: String,
        t: TypeRef,
    },
    ShapeSet {
        key: String,
        name: String,
    },
    Place {
        key: String,
        place: super::merge::Place,
    },
    /// A type defined (the definition is in the journal's types).
    Type(String),
    Example(String, Example),
}

/// The last part lowered ahead: the journal, the types it defined, its diagnostics.
struct Ahead {
    journal: Vec<Event>,
    types: BTreeMap<String, TypeDef>,
    diags: Vec<Diagnostic>,
}

/// What the replay of one component changed, to take it back.
#[derive(Default)]
pub(super) struct Undo {
    /// Names taken (by `new_name`) and overlay renames first used.
    pub(super) names: Vec<String>,
    pub(super) renames: Vec<String>,
    pointers: Vec<String>,
    shapes: Vec<String>,
    /// Places pushed: the key, and whether the key was new.
    places: Vec<(String, bool)>,
    types: Vec<String>,
    examples: Vec<(String, Option<Example>)>,
}

impl<'a> Lowerer<'a> {
    /// Lowers every component schema (their names already made), on two threads when there
    /// are enough of them.
    pub(super) fn components_in_parallel(&mut self, count: usize) {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if !self.parallel || threads < 2 || count < MIN_COMPONENTS {
            (0..count).for_each(|i| self.lower_component(i));
            return;
        }
        // The part lowered ahead starts on a fresh thread and keeps a journal, and the last
        // components are the larger ones: it gets the last 30 % (measured on the published
        // spec: 70/30 took 5.6 ms where one thread took 7.4 ms, halves 7.2 ms).
        let split = count * 7 / 10;
        let (api, overlay) = (self.api, self.overlay);
        let (components, taken) = (self.components.clone(), self.taken.clone());
        let ahead = std::thread::scope(|scope| {
            let other = scope.spawn(move || {
                let mut diags = Diagnostics::default();
                let mut l = Lowerer::new(api, overlay, &mut diags);
                l.components = components;
                l.taken = taken;
                l.journal = Some(Vec::new());
                for i in split..count {
                    let start = Event::Start { component: i, diags: l.diags.len() };
                    l.journal.as_mut().expect("journaling").push(start);
                    l.lower_component(i);
                }
                let journal = l.journal.take().unwrap_or_default();
                let types = std::mem::take(&mut l.types);
                drop(l);
                Ahead { journal, types, diags: diags.into_vec() }
            });
            (0..split).for_each(|i| self.lower_component(i));
            other.join().expect("the lowering thread panicked")
        });
        self.merge(ahead);
    }

    /// Replays the journal component by component; lowers again each one whose reads differ.
    fn merge(&mut self, ahead: Ahead) {
        let Ahead { journal, mut types, diags } = ahead;
        let starts: Vec<usize> = journal.iter().enumerate().filter(|(_, e)| matches!(e, Event::Start { .. })).map(|(i, _)| i).collect();
        for (n, &at) in starts.iter().enumerate() {
            let Event::Start { component, diags: first } = journal[at] else { unreachable!("a start") };
            let end = starts.get(n + 1).copied().unwrap_or(journal.len());
            let last = match starts.get(n + 1).map(|&s| &journal[s]) {
                Some(Event::Start { diags, .. }) => *diags,
                _ => diags.len(),
            };
            let before = self.diags.len();
            if self.replay(&journal[at + 1..end], &mut types) {
                // The component's own findings, as it made them ahead.
                self.diags.truncate(before);
                self.diags.extend(diags[first..last].to_vec());
            } else {
                self.diags.truncate(before);
                self.lower_component(component);
            }
        }
    }

    /// Applies one component's journal; `false` (with nothing changed) when a read differs.
    fn replay(&mut self, events: &[Event], types: &mut BTreeMap<String, TypeDef>) -> bool {
        let mut undo = Undo::default();
        self.track = Some(Undo::default());
        let ok = events.iter().all(|e| self.apply(e, types, &mut undo));
        let named = self.track.take().unwrap_or_default();
        if !ok {
            for n in &named.names {
                self.taken.remove(n);
            }
            for n in &named.renames {
                self.used_renames.remove(n);
            }
            undo.pointers.iter().for_each(|p| drop(self.by_pointer.remove(p)));
            undo.shapes.iter().for_each(|k| drop(self.by_shape.remove(k)));
            for (key, new) in undo.places.iter().rev() {
                if *new {
                    self.places.shift_remove(key);
                } else if let Some(list) = self.places.get_mut(key) {
                    list.pop();
                }
            }
            undo.types.iter().for_each(|t| drop(self.types.remove(t)));
            for (pointer, previous) in undo.examples.into_iter().rev() {
                match previous {
                    Some(e) => drop(self.examples.insert(pointer, e)),
                    None => drop(self.examples.remove(&pointer)),
                }
            }
        }
        ok
    }

    fn apply(&mut self, e: &Event, types: &mut BTreeMap<String, TypeDef>, undo: &mut Undo) -> bool {
        match e {
            Event::Start { .. } => false,
            Event::Name { hint, got } => self.new_name(hint) == *got,
            Event::Pointer { ptr, got } => self.by_pointer.get(ptr) == got.as_ref(),
            Event::Shape { key, got } => self.by_shape.get(key) == got.as_ref(),
            Event::PointerSet { ptr, t } => set_new(&mut self.by_pointer, ptr, t, &mut undo.pointers),
            Event::ShapeSet { key, name } => set_new(&mut self.by_shape, key, name, &mut undo.shapes),
            Event::Place { key, place } => {
                let new = !self.places.contains_key(key);
                self.places.entry(key.clone()).or_default().push(place.clone());
                undo.places.push((key.clone(), new));
                true
            }
            Event::Type(name) => {
                let Some(def) = types.remove(name) else { return false };
                if self.types.contains_key(name) {
                    return false;
                }
                self.types.insert(name.clone(), def);
                undo.types.push(name.clone());
                true
            }
            Event::Example(pointer, example) => {
                let previous = self.examples.insert(pointer.clone(), example.clone());
                undo.examples.push((pointer.clone(), previous));
                true
            }
        }
    }

    /// Records an event while lowering ahead.
    pub(super) fn note(&mut self, event: impl FnOnce() -> Event) {
        if let Some(journal) = &mut self.journal {
            journal.push(event());
        }
    }
}

/// Sets a key the map must not have yet (else `false`), noting it to take back.
fn set_new<V: Clone>(map: &mut crate::fast::HashMap<String, V>, key: &str, value: &V, undo: &mut Vec<String>) -> bool {
    if map.contains_key(key) {
        return false;
    }
    map.insert(key.to_string(), value.clone());
    undo.push(key.to_string());
    true
}
