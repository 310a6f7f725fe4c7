//! Diagnostics: warnings about the spec that never stop generation, each naming where it applies.

use std::fmt;

/// One finding about the input spec: where it is (a JSON pointer into the document) and what it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Diagnostic {
    /// JSON pointer (RFC 6901, written as a `#/…` fragment) to the place in the spec.
    pub pointer: String,
    /// What was found and what the generator did about it.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "warning: {}: {}", self.pointer, self.message)
    }
}

/// Collects diagnostics in the order they are found; [`Diagnostics::finish`] sorts and dedups them
/// so output is deterministic.
#[derive(Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn warn(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(Diagnostic { pointer: pointer.into(), message: message.into() });
    }

    pub fn extend(&mut self, other: Vec<Diagnostic>) {
        self.0.extend(other);
    }

    /// How many were found so far.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Forgets those found after the first `len`.
    pub fn truncate(&mut self, len: usize) {
        self.0.truncate(len);
    }

    /// The findings in the order found (unsorted).
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.0.sort();
        self.0.dedup();
        self.0
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_token(token: &str) -> std::borrow::Cow<'_, str> {
    // Bytes, not a two-character pattern: every pointer built goes through here.
    if token.bytes().any(|b| b == b'~' || b == b'/') {
        token.replace('~', "~0").replace('/', "~1").into()
    } else {
        token.into()
    }
}

/// Appends `/token` to a pointer being built in place; returns the length to truncate back to.
pub fn push(pointer: &mut String, token: &str) -> usize {
    let len = pointer.len();
    pointer.push('/');
    pointer.push_str(&escape_token(token));
    len
}

/// Appends a token to a pointer.
pub fn child(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + 1 + token.len());
    out.push_str(pointer);
    push(&mut out, token);
    out
}
