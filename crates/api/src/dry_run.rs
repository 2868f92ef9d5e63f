//! Dry-run support: the calls a run would make, with secrets redacted, and
//! the plausible answers that let a stage walk every step without a cluster.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

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

/// What a dry run pretends the cluster answered: empty lists, finished jobs,
/// placeholder ids. Enough for every step to take its normal path.
pub(crate) fn synthetic_answer(method: &Method, path: &str, body: Option<&Value>) -> Value {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("POST", ["api", "v3", "sessions"]) => json!({"token": "dry-run"}),
        ("POST", ["api", "v3", _]) => json!({}),
        ("GET", ["api", "v2", "deployment", "deploy_verify"]) => {
            json!({"is_deployed": true, "platform": "kvm"})
        }
        ("GET", ["api", "v2", "deployment", "host"]) => json!({}),
        ("PUT", ["api", "v2", "settings", _]) => json!({"job_id": DRY_RUN_ID}),
        ("GET", ["api", "v2", "jobs", id]) => {
            json!({"job": {"job_id": id, "state": "done", "description": "DRY_RUN", "resources": {}}})
        }
        ("POST", ["api", "v2", "ipmi", "upsert_accounts"]) => json!({"success": [], "failure": []}),
        ("GET", ["api", "v2", "network", "vds"]) => json!([]),
        ("POST", ["api", "v2", "network", "vds"]) => {
            json!({"uuid": DRY_RUN_ID})
        }
        ("GET", ["api", "v2", "network", "vds", uuid, "vlans"]) => {
            let _ = uuid;
            json!([])
        }
        ("POST", ["api", "v2", "network", "vds", uuid, "vlans"]) => {
            let mut answer = body.cloned().unwrap_or_else(|| json!({}));
            if let Value::Object(map) = &mut answer {
                map.insert("uuid".into(), json!(DRY_RUN_ID));
                map.insert("vds_uuid".into(), json!(uuid));
            }
            answer
        }
        ("GET", ["api", "v2", "network", "vds", uuid]) => {
            json!({"uuid": uuid, "name": "", "vlans_count": 0})
        }
        ("GET", ["api", "v2", "elf", "cluster_recommended_cpu_models"]) => {
            json!({"cpu_models": []})
        }
        ("GET", ["api", "v2", "elf", "cluster_cpu_compatibility"]) => json!({"cpu_model": null}),
        ("GET", ["api", "v2", "tools", "license"]) => json!({"serial": ""}),
        _ => json!({}),
    }
}

#[cfg(test)]
mod tests {
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
