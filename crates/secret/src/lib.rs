//! `Secret`: the one wrapper every password and token travels in.
//!
//! Its `Debug` and `Display` print `***`, and it deliberately implements
//! neither `Serialize` nor `Deserialize`: nothing holding a secret can end up
//! in `context.json`, a report, a log line or a web response by accident. The
//! few places that must put the value on the wire call [`Secret::expose`],
//! which is easy to grep for.

use std::fmt;

/// A password, token or other credential. Prints as `***`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The clear text, for the one place that must send it (a request body, an
    /// SSH channel). Never format it into a message.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Length in characters: the only thing about a password a log may show.
    pub fn char_len(&self) -> usize {
        self.0.chars().count()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("HC!r0cks");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some(***)");
        assert_eq!(secret.expose(), "HC!r0cks");
        assert_eq!(secret.char_len(), 8);
    }
}
