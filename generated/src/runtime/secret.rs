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
        let mut v = reqwest::header::HeaderValue::from_str(&format!("{prefix}{}", self.0))
            .map_err(|_| crate::Error::Config("an API key contains characters not allowed in an HTTP header".into()))?;
        v.set_sensitive(true);
        Ok(v)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}
