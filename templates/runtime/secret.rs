//! API keys that never show up in `Debug` output, logs or traces.

use std::fmt;

/// A secret string (an API key). `Debug` prints `Secret([REDACTED])`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; only the request builder needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A header value marked sensitive, so HTTP-level debug output redacts it too.
    pub(crate) fn header_value(&self, prefix: &str) -> Result<reqwest::header::HeaderValue, crate::Error> {
        let mut v = reqwest::header::HeaderValue::from_str(&format!("{prefix}{}", self.0)).map_err(|_| {
            // Name the character only when it is a control character (never a part of the key).
            let at = match self.0.char_indices().find(|(_, c)| c.is_control() || !c.is_ascii()) {
                Some((i, c)) if c.is_control() => format!(": {c:?} at byte {i} of {}", self.0.len()),
                Some((i, _)) => format!(": a non-ASCII character at byte {i} of {}", self.0.len()),
                None => String::new(),
            };
            crate::Error::Config(format!("an API key contains a character not allowed in an HTTP header{at} (a trailing newline from a file?)"))
        })?;
        v.set_sensitive(true);
        Ok(v)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}
