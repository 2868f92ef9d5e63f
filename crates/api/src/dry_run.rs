//! Dry-run support: the calls a run would make, with secrets redacted. The
//! answers a dry run pretends to get are each endpoint's own
//! (`Endpoint::dry_run_answer`); the calls are kept by `send.rs`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A call that would have been sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedCall {
    pub method: String,
    pub url: String,
    /// The JSON body with every secret replaced by `***`.
    pub body: Option<Value>,
}

impl std::fmt::Display for PlannedCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.url)?;
        if let Some(body) = &self.body {
            write!(f, " {body}")?;
        }
        Ok(())
    }
}

/// Keys whose values are secrets in any request body we send.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["password", "repeat", "token", "secret", "passwd"]
        .iter()
        .any(|needle| key.contains(needle))
}

/// A copy of `body` with every secret value replaced by `***`.
pub fn redact(body: &Value) -> Value {
    match body {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if is_secret_key(key) {
                        Value::String("***".to_string())
                    } else {
                        redact(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact).collect()),
        other => other.clone(),
    }
}

pub(crate) const DRY_RUN_ID: &str = "00000000-0000-0000-0000-000000000000";

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn redact_hides_passwords_at_any_depth() {
        let body = json!({
            "password": "HC!r0cks", "repeat": "HC!r0cks", "encrypted": false,
            "accounts": [{"host": "10.0.19.11", "user": "root", "password": "P@ss"}]
        });
        let text = redact(&body).to_string();
        assert!(!text.contains("HC!r0cks"));
        assert!(!text.contains("P@ss"));
        assert!(text.contains("10.0.19.11"));
        assert!(text.contains("\"encrypted\":false"));
    }
}
