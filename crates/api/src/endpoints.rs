//! One method per SMTX OS endpoint that `prepare` and `config_cluster` call
//! (`reference/smartx-api.md` section 2), the wire types, and lenient
//! decoding of the answers: the captures are few, so unknown keys are
//! ignored and the known alternatives (uuid or job id, list or object) are
//! all accepted. What each call sends, and its dry-run answer, is its
//! variant of `Endpoint` (`endpoint.rs`); the job wait lives here.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smtx_secret::Secret;

use crate::endpoint::Endpoint;
use crate::{ApiClient, ApiError};

/// What the host scan tells us about one node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HostScan {
    pub host_uuid: String,
    pub hostname: String,
    pub host_ip: String,
    /// Interface names (`ens192`, `port-mgt`, …).
    pub nics: Vec<String>,
    /// The whole answer's `data`, kept for the run context.
    pub raw: Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeployVerify {
    pub is_deployed: bool,
    pub platform: Option<String>,
    pub raw: Value,
}

/// One BMC account for `upsert_accounts`.
#[derive(Debug, Clone)]
pub struct IpmiAccount {
    pub node_uuid: String,
    pub node_name: String,
    /// The BMC address, not the node's management IP.
    pub host: String,
    pub user: String,
    pub password: Secret,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IpmiEntry {
    #[serde(default)]
    pub node_uuid: String,
    #[serde(default)]
    pub node_name: String,
    #[serde(default)]
    pub host: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct IpmiResult {
    #[serde(default)]
    pub success: Vec<IpmiEntry>,
    #[serde(default)]
    pub failure: Vec<IpmiEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VdsHostAssociation {
    pub host_uuid: String,
    pub nics_associated: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_ip: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CreateVds {
    pub name: String,
    pub bond_mode: String,
    pub hosts_associated: Vec<VdsHostAssociation>,
}

/// A VDS as listed or fetched.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Vds {
    pub uuid: String,
    pub name: String,
    #[serde(default)]
    pub vlans_count: Option<u64>,
    #[serde(default)]
    pub bond_mode: Option<String>,
}

/// `POST network/vds` answers a uuid or a job to wait for (2.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateVdsAnswer {
    Uuid(String),
    Job(String),
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Vlan {
    #[serde(default)]
    pub uuid: String,
    pub name: String,
    pub vlan_id: u16,
}

/// A job as `GET /api/v2/jobs/{id}` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Job {
    pub job_id: String,
    pub state: String,
    pub description: String,
    pub raw: Value,
}

impl Job {
    pub fn is_done(&self) -> bool {
        self.state == "done"
    }

    pub fn is_failed(&self) -> bool {
        matches!(self.state.as_str(), "failed" | "error" | "aborted")
    }

    /// Where a failed job puts its reason is not captured; look where the
    /// reference suggests (1.5).
    pub fn failure_reason(&self) -> Option<String> {
        let job = &self.raw;
        for pointer in ["/error", "/message", "/event/message/en_US"] {
            match job.pointer(pointer) {
                Some(Value::String(text)) if !text.trim().is_empty() => {
                    return Some(text.trim().to_string());
                }
                Some(Value::Object(map)) if !map.is_empty() => {
                    if let Some(Value::String(msg)) = map.get("msg") {
                        return Some(msg.clone());
                    }
                    return Some(Value::Object(map.clone()).to_string());
                }
                _ => {}
            }
        }
        None
    }

    /// The uuid of the first resource of `kind` (`NETWORK_VDS`), from
    /// `resources` or else `event.data.uuid` (2.13).
    pub fn resource_uuid(&self, kind: &str) -> Option<String> {
        if let Some(Value::Object(resources)) = self.raw.get("resources") {
            for (key, resource) in resources {
                if resource.get("type").and_then(Value::as_str) == Some(kind) {
                    return resource
                        .get("uuid")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .or_else(|| Some(key.clone()));
                }
            }
        }
        self.raw
            .pointer("/event/data/uuid")
            .and_then(Value::as_str)
            .map(str::to_string)
    }
}

/// Distinct job states a wait remembers (and logs); a server inventing a
/// new state on every poll cannot make the list grow past this.
pub const MAX_LOGGED_STATES: usize = 16;

/// Longest piece of a server's job answer quoted in a log line or error.
const MAX_QUOTED_CHARS: usize = 200;

/// `text` cut to [`MAX_QUOTED_CHARS`] characters (on a character boundary).
fn shorten(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// How long and how often to poll a job.
#[derive(Debug, Clone, Copy)]
pub struct JobWait {
    pub deadline: Duration,
    pub first_interval: Duration,
    pub max_interval: Duration,
}

impl Default for JobWait {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(300),
            first_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(5),
        }
    }
}

impl JobWait {
    /// The pause before the next poll of a job waited on for `elapsed`:
    /// a tenth of that, at least `first_interval`, at most `max_interval`.
    /// A job that ends between two polls is then seen at most
    /// max(`first_interval`, 10 % of its duration) after it ended (plus one
    /// round trip): a 500 ms job 100 ms late, a 30 s job 3 s, none more
    /// than `max_interval`. (Pauses growing ×1.5 from 100 ms saw a 500 ms
    /// job at 812 ms, and waste up to 5 s on every long one.)
    pub fn pause_after(&self, elapsed: Duration) -> Duration {
        (elapsed / 10)
            .max(self.first_interval)
            .min(self.max_interval.max(self.first_interval))
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct License {
    pub serial: String,
    pub raw: Value,
}

fn decode<T: for<'de> Deserialize<'de>>(action: &str, value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Decode {
        action: action.to_string(),
        reason: crate::DecodeReason::Shape {
            cause: e.to_string(),
        },
    })
}

/// A list answer: a plain array, or an object holding one (2.9).
fn list_items(value: Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Object(mut map) => ["items", "list", "results", "vdses", "vlans"]
            .iter()
            .find_map(|key| match map.remove(*key) {
                Some(Value::Array(items)) => Some(items),
                _ => None,
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn job_id_of(data: &Value) -> Option<String> {
    data.get("job_id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_string)
}

impl ApiClient {
    /// 2.1 — one host's own description, asked of that host.
    pub async fn host_scan(&self) -> Result<HostScan, ApiError> {
        const ACTION: &str = "GET /api/v2/deployment/host";
        let data = self.send(Endpoint::HostScan).await?;
        let text = |key: &str| {
            data.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let nics = data
            .get("ifaces")
            .and_then(Value::as_array)
            .map(|ifaces| {
                ifaces
                    .iter()
                    .filter_map(|i| i.get("name").and_then(Value::as_str))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let scan = HostScan {
            host_uuid: text("host_uuid"),
            hostname: text("hostname"),
            host_ip: text("host_ip"),
            nics,
            raw: data.clone(),
        };
        if scan.host_uuid.is_empty() && !self.is_dry_run() {
            return Err(ApiError::Decode {
                action: ACTION.to_string(),
                reason: crate::DecodeReason::NoHostUuid,
            });
        }
        Ok(scan)
    }

    /// 2.2
    pub async fn deploy_verify(&self) -> Result<DeployVerify, ApiError> {
        let data = self.send(Endpoint::DeployVerify).await?;
        Ok(DeployVerify {
            is_deployed: data
                .get("is_deployed")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            platform: data
                .get("platform")
                .and_then(Value::as_str)
                .map(str::to_string),
            raw: data,
        })
    }

    /// 2.3 — fails on a cluster whose root is already set up.
    pub async fn setup_root(&self, user: &str, password: &Secret) -> Result<(), ApiError> {
        self.send(Endpoint::SetupRoot { user, password }).await?;
        Ok(())
    }

    /// 2.4 — logs in, keeps the session for later calls and for one
    /// re-login on 401.
    pub async fn login(&self, user: &str, password: &Secret) -> Result<(), ApiError> {
        let started = Instant::now();
        let result = self.login_request(user, password).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(token) => {
                tracing::info!(
                    action = "POST /api/v3/sessions",
                    status = "ok",
                    error = "",
                    user,
                    password_len = password.char_len(),
                    elapsed_ms
                );
                self.set_session_token(token);
                self.remember_credentials(user, password);
                Ok(())
            }
            Err(error) => {
                tracing::warn!(action = "POST /api/v3/sessions", status = "failed", error = %error, user, password_len = password.char_len(), elapsed_ms);
                Err(error)
            }
        }
    }

    /// 2.5 — answers a job id if the server gives one.
    pub async fn set_vip(&self, vip: Ipv4Addr) -> Result<Option<String>, ApiError> {
        let data = self.send(Endpoint::SetVip { vip }).await?;
        Ok(job_id_of(&data))
    }

    /// 2.6
    pub async fn set_dns(&self, servers: &[Ipv4Addr]) -> Result<Option<String>, ApiError> {
        let data = self.send(Endpoint::SetDns { servers }).await?;
        Ok(job_id_of(&data))
    }

    /// 2.7
    pub async fn set_ntp(&self, servers: &[String]) -> Result<Option<String>, ApiError> {
        let data = self.send(Endpoint::SetNtp { servers }).await?;
        Ok(job_id_of(&data))
    }

    /// 2.8 — the call succeeds even when every account fails validation:
    /// read `failure`.
    pub async fn upsert_ipmi_accounts(
        &self,
        accounts: &[IpmiAccount],
    ) -> Result<IpmiResult, ApiError> {
        let data = self.send(Endpoint::UpsertIpmiAccounts { accounts }).await?;
        decode("POST /api/v2/ipmi/upsert_accounts", data)
    }

    /// 2.9
    pub async fn list_vds(&self) -> Result<Vec<Vds>, ApiError> {
        const ACTION: &str = "GET /api/v2/network/vds";
        let data = self.send(Endpoint::ListVds).await?;
        list_items(data)
            .into_iter()
            .map(|mut item| {
                if item.get("uuid").is_none()
                    && let Some(id) = item.get("id").cloned()
                {
                    item["uuid"] = id;
                }
                decode(ACTION, item)
            })
            .collect()
    }

    /// Find a VDS by name, case-insensitively as the original client does.
    pub async fn find_vds(&self, name: &str) -> Result<Option<Vds>, ApiError> {
        let all = self.list_vds().await?;
        Ok(all.into_iter().find(|v| v.name.eq_ignore_ascii_case(name)))
    }

    /// 2.10 — not repeated on failure: look (find_vds) before trying again.
    pub async fn create_vds(&self, request: &CreateVds) -> Result<CreateVdsAnswer, ApiError> {
        const ACTION: &str = "POST /api/v2/network/vds";
        let data = self.send(Endpoint::CreateVds { request }).await?;
        if let Some(uuid) = data.get("uuid").and_then(Value::as_str) {
            return Ok(CreateVdsAnswer::Uuid(uuid.to_string()));
        }
        if let Some(job_id) = job_id_of(&data) {
            return Ok(CreateVdsAnswer::Job(job_id));
        }
        Err(ApiError::Decode {
            action: ACTION.to_string(),
            reason: crate::DecodeReason::NoUuidOrJob,
        })
    }

    /// 2.11
    pub async fn get_vds(&self, uuid: &str) -> Result<Vds, ApiError> {
        let data = self.send(Endpoint::GetVds { uuid }).await?;
        decode(&format!("GET /api/v2/network/vds/{uuid}"), data)
    }

    /// 2.12 list
    pub async fn list_vlans(&self, vds_uuid: &str) -> Result<Vec<Vlan>, ApiError> {
        let data = self.send(Endpoint::ListVlans { vds_uuid }).await?;
        let action = format!("GET /api/v2/network/vds/{vds_uuid}/vlans");
        list_items(data)
            .into_iter()
            .map(|item| decode(&action, item))
            .collect()
    }

    /// 2.12 create — synchronous.
    pub async fn create_vlan(
        &self,
        vds_uuid: &str,
        name: &str,
        vlan_id: u16,
    ) -> Result<Vlan, ApiError> {
        let data = self
            .send(Endpoint::CreateVlan {
                vds_uuid,
                name,
                vlan_id,
            })
            .await?;
        decode(&format!("POST /api/v2/network/vds/{vds_uuid}/vlans"), data)
    }

    /// 2.13
    pub async fn get_job(&self, job_id: &str) -> Result<Job, ApiError> {
        let data = self.send(Endpoint::GetJob { job_id }).await?;
        let job = data.get("job").cloned().unwrap_or(data);
        let text = |key: &str| {
            job.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let state = text("state");
        if state.is_empty() {
            return Err(ApiError::Decode {
                action: format!("GET /api/v2/jobs/{job_id}"),
                reason: crate::DecodeReason::NoJobState,
            });
        }
        Ok(Job {
            job_id: job_id.to_string(),
            state,
            description: text("description"),
            raw: job,
        })
    }

    /// Poll a job until it ends or the deadline passes, pausing
    /// [`JobWait::pause_after`] between polls. Logs every state it has not
    /// seen before.
    ///
    /// Whatever the server does, the wait ends by the deadline and holds
    /// little: a poll that is not answered in the time left ends it (each
    /// answer is capped by the client), at most [`MAX_LOGGED_STATES`]
    /// distinct states are remembered, and what the server says is
    /// shortened before it reaches a log line or an error.
    pub async fn wait_job(&self, job_id: &str, wait: JobWait) -> Result<Job, ApiError> {
        let started = Instant::now();
        let mut seen: Vec<String> = Vec::new();
        let mut last_state = "not yet answered".to_string();
        loop {
            let left = wait.deadline.saturating_sub(started.elapsed());
            let job = match tokio::time::timeout(left, self.get_job(job_id)).await {
                Ok(job) => job?,
                Err(_) => {
                    return Err(ApiError::JobTimeout {
                        job_id: shorten(job_id),
                        state: last_state,
                        seconds: started.elapsed().as_secs_f64(),
                    });
                }
            };
            let state = shorten(&job.state);
            if seen.len() < MAX_LOGGED_STATES && !seen.contains(&state) {
                tracing::info!(action = "job", status = %state, error = "", job_id, description = %shorten(&job.description));
                seen.push(state.clone());
            }
            if job.is_done() {
                return Ok(job);
            }
            if job.is_failed() {
                return Err(ApiError::JobFailed {
                    job_id: shorten(job_id),
                    description: shorten(&job.description),
                    state,
                    reason: job.failure_reason().map(|reason| shorten(&reason)),
                });
            }
            last_state = state;
            let elapsed = started.elapsed();
            if elapsed >= wait.deadline {
                return Err(ApiError::JobTimeout {
                    job_id: shorten(job_id),
                    state: last_state,
                    seconds: elapsed.as_secs_f64(),
                });
            }
            self.pause(
                wait.pause_after(elapsed).min(wait.deadline - elapsed),
                "GET /api/v2/jobs/{job_id}",
            )
            .await?;
        }
    }

    /// 2.18 — recommended models, first is the pick.
    pub async fn recommended_cpu_models(&self) -> Result<Vec<String>, ApiError> {
        let data = self.send(Endpoint::RecommendedCpuModels).await?;
        Ok(data
            .get("cpu_models")
            .and_then(Value::as_array)
            .map(|models| {
                models
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn set_cpu_compatibility(&self, model: &str) -> Result<(), ApiError> {
        self.send(Endpoint::SetCpuCompatibility { model }).await?;
        Ok(())
    }

    pub async fn cpu_compatibility(&self) -> Result<Option<String>, ApiError> {
        let data = self.send(Endpoint::CpuCompatibility).await?;
        Ok(data
            .get("cpu_model")
            .and_then(Value::as_str)
            .map(str::to_string))
    }

    /// 2.17
    pub async fn license(&self) -> Result<License, ApiError> {
        let data = self.send(Endpoint::License).await?;
        let serial = data
            .get("serial")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if serial.is_empty() && !self.is_dry_run() {
            return Err(ApiError::Decode {
                action: "GET /api/v2/tools/license".to_string(),
                reason: crate::DecodeReason::MissingData {
                    key: "serial".to_string(),
                },
            });
        }
        Ok(License { serial, raw: data })
    }

    /// 2.16 — best effort rollback of an upload.
    pub async fn delete_image(&self, image_uuid: &str) -> Result<(), ApiError> {
        self.send(Endpoint::DeleteImage { image_uuid }).await?;
        Ok(())
    }
}
