//! The generator's hash maps and sets. Their keys are its own strings (type names, JSON
//! pointers, schema shapes written as JSON), read from a spec the maintainers chose, so the
//! hash need not resist flooding: FxHash (`rustc-hash`, the compiler's own) instead of SipHash,
//! which was an eighth of the lowering's instructions. Nothing iterates these in hash order
//! into the output.

pub type HashMap<K, V> = std::collections::HashMap<K, V, rustc_hash::FxBuildHasher>;
pub type HashSet<K> = std::collections::HashSet<K, rustc_hash::FxBuildHasher>;
pub type IndexMap<K, V> = indexmap::IndexMap<K, V, rustc_hash::FxBuildHasher>;
