//! Faults: what can go wrong on purpose, and the scenario file (TOML) or
//! control-endpoint body (JSON) that lists them. Both formats share one
//! shape: `{ faults = [ { kind = "...", ... }, ... ] }`, and the control
//! endpoint also takes a single fault object.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::SimError;

/// A set of faults to arm at start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub faults: Vec<Fault>,
}

impl Scenario {
    /// Parses a scenario file.
    pub fn from_toml(text: &str) -> Result<Self, SimError> {
        toml::from_str(text).map_err(|error| SimError::Scenario {
            source_name: "scenario (TOML)".to_owned(),
            message: error.to_string(),
        })
    }

    /// Parses the JSON the control endpoint takes: a scenario
    /// (`{"faults":[...]}`) or one fault (`{"kind":...}`).
    pub fn from_json(text: &str) -> Result<Self, SimError> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Body {
            Scenario(Scenario),
            One(Fault),
        }
        match serde_json::from_str::<Body>(text) {
            Ok(Body::Scenario(scenario)) => Ok(scenario),
            Ok(Body::One(fault)) => Ok(Self {
                faults: vec![fault],
            }),
            Err(error) => Err(SimError::Scenario {
                source_name: "faults (JSON)".to_owned(),
                message: error.to_string(),
            }),
        }
    }
}

fn one() -> u32 {
    1
}

/// One injected fault. `node` is a 0-based index into the cluster's hosts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// `method` + `path` (a `*` segment matches any one segment; method `*`
    /// matches any) answers `status` with an error envelope for the next
    /// `times` calls.
    EndpointStatus {
        method: String,
        path: String,
        status: u16,
        #[serde(default = "one")]
        times: u32,
    },
    /// Every call (or only those matching `method`/`path`) waits `ms` first.
    Latency {
        ms: u64,
        #[serde(default)]
        method: Option<String>,
        #[serde(default)]
        path: Option<String>,
    },
    /// Jobs with this description (`NETWORK_CREATE_VDS`, `UPDATE_DNS`,
    /// `UPDATE_NTP`, `UPDATE_VIP`) end `failed`; their effect is not applied.
    JobFails {
        description: String,
        #[serde(default = "one")]
        times: u32,
    },
    /// Upload of chunk `chunk` answers 500 `times` times.
    ChunkFails {
        chunk: u64,
        #[serde(default = "one")]
        times: u32,
    },
    /// The connection is aborted in the middle of the upload of chunk
    /// `chunk` (after part of its body was read), `times` times.
    DropUpload {
        chunk: u64,
        #[serde(default = "one")]
        times: u32,
    },
    /// Every session token stops working after `calls` authenticated calls
    /// (401 `TOKEN_EXPIRED`); a new login gets a fresh token.
    TokenExpiresAfter { calls: u32 },
    /// The session token expires, once, at the first authenticated call made
    /// while another call is held by a `latency` fault: that call and the
    /// held one (its session is checked after its wait) are both refused
    /// (401). Two lanes meeting one expiry, whatever the timing.
    TokenExpiresMidCall,
    /// The root account exists already: setupRoot fails from its first call.
    /// Login then accepts `password`, or, when absent, the password of the
    /// first (refused) setupRoot call.
    AlreadyInitialized {
        #[serde(default)]
        password: Option<String>,
    },
    /// `POST /api/v2/network/vds` answers `data.uuid` (no job).
    VdsCreateReturnsUuid,
    /// `deploy_verify` answers `is_deployed: false`.
    NotDeployed,
    /// IPMI upsert reports this BMC address as failed (`is_valid: false`).
    BmcUnreachable { ip: Ipv4Addr },
    /// SSH on this node refuses every password.
    SshLoginRefused { node: usize },
    /// SSH on this node never answers the password request.
    SshHang { node: usize },
    /// Another device already holds the management VIP: its listeners
    /// (HTTPS and SSH) accept connections before the VIP is set, and answer
    /// like a stranger (HTTP 503, SSH logins refused).
    VipInUse,
    /// `PUT /api/v2/elf/cluster_cpu_compatibility` is accepted but not
    /// kept: reading it back answers the model the cluster had before.
    CpuModelNotKept,
}

/// `pattern` matches `path` segment by segment, `*` matching one segment.
pub(crate) fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let path: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    pattern.len() == path.len()
        && pattern
            .iter()
            .zip(&path)
            .all(|(want, got)| *want == "*" || want == got)
}

pub(crate) fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*" || pattern.eq_ignore_ascii_case(method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_matches_one_segment() {
        assert!(path_matches("/api/v2/jobs/*", "/api/v2/jobs/abc"));
        assert!(!path_matches("/api/v2/jobs/*", "/api/v2/jobs"));
        assert!(!path_matches("/api/v2/jobs/*", "/api/v2/jobs/a/b"));
        assert!(path_matches(
            "/api/v3/users:setupRoot",
            "/api/v3/users:setupRoot"
        ));
    }

    #[test]
    fn json_takes_one_fault_or_a_scenario() -> Result<(), SimError> {
        let one = Scenario::from_json(r#"{"kind":"not_deployed"}"#)?;
        assert_eq!(one.faults, vec![Fault::NotDeployed]);
        let many = Scenario::from_json(r#"{"faults":[{"kind":"ssh_hang","node":1}]}"#)?;
        assert_eq!(many.faults, vec![Fault::SshHang { node: 1 }]);
        assert!(Scenario::from_json(r#"{"kind":"nonsense"}"#).is_err());
        Ok(())
    }
}
