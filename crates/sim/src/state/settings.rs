//! Cluster settings: the management VIP, DNS and NTP (each a job), the ELF
//! CPU compatibility model, and the license.

use std::net::Ipv4Addr;

use serde::Deserialize;
use serde_json::{Value, json};

use super::fixtures::{LICENSE, set};
use super::{ApiError, SimState};

/// The simulated hosts are AMD EPYC (as in the capture).
pub(super) const CPU_VENDOR: &str = "AuthenticAMD";

/// Recommended CPU model for a vendor string from the host scan.
fn recommended_cpu_models(vendor: &str) -> Vec<&'static str> {
    match vendor {
        "AuthenticAMD" => vec!["EPYC"],
        "GenuineIntel" => vec!["Skylake-Server"],
        "HygonGenuine" => vec!["Dhyana"],
        _ => vec![],
    }
}

#[derive(Default)]
pub(super) struct Settings {
    pub dns: Vec<Ipv4Addr>,
    pub ntp_mode: Option<String>,
    pub ntp_servers: Vec<String>,
    pub cpu_model: Option<String>,
}

/// `PUT /api/v2/settings/vip`.
#[derive(Debug, Deserialize)]
pub(crate) struct VipBody {
    management_vip: Option<String>,
}

/// `PUT /api/v2/settings/dns`.
#[derive(Debug, Deserialize)]
pub(crate) struct DnsBody {
    dns_servers: Option<Vec<String>>,
}

/// `PUT /api/v2/settings/ntp`.
#[derive(Debug, Deserialize)]
pub(crate) struct NtpBody {
    ntp_mode: Option<String>,
    #[serde(default)]
    ntp_servers: Vec<String>,
}

/// `PUT /api/v2/elf/cluster_cpu_compatibility`.
#[derive(Debug, Deserialize)]
pub(crate) struct CpuModelBody {
    cpu_model: Option<String>,
}

impl SimState {
    pub fn set_vip(&mut self, body: VipBody) -> Result<Value, ApiError> {
        let vip = body
            .management_vip
            .and_then(|text| text.parse::<Ipv4Addr>().ok())
            .ok_or_else(|| {
                ApiError::bad_request("INVALID_ARGUMENT", "management_vip must be an IPv4 address")
            })?;
        if self.nodes.iter().any(|node| node.management_ip == vip) {
            return Err(ApiError::conflict(
                "VIP_CONFLICT",
                format!("{vip} is a host management address"),
            ));
        }
        let (job_id, fails) =
            self.settings_job("UPDATE_VIP", format!("Set management VIP {vip}.\n"));
        if !fails {
            self.vip = Some(vip);
        }
        Ok(json!({ "job_id": job_id }))
    }

    /// Whether something answers on the VIP: the cluster once it is set, or
    /// another device (the `vip_in_use` fault). The listeners open then.
    pub fn vip_held(&self) -> bool {
        self.vip.is_some() || self.faults.vip_in_use
    }

    pub fn set_dns(&mut self, body: DnsBody) -> Result<Value, ApiError> {
        let servers = body
            .dns_servers
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "dns_servers is required"))?;
        let parsed = servers
            .iter()
            .map(|server| {
                server.parse::<Ipv4Addr>().map_err(|_| {
                    ApiError::bad_request(
                        "INVALID_ARGUMENT",
                        format!("dns server {server:?} is not an IPv4 address"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if parsed.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "dns_servers must not be empty",
            ));
        }
        let (job_id, fails) = self.settings_job("UPDATE_DNS", "Updated DNS servers.\n".to_owned());
        if !fails {
            self.settings.dns = parsed;
        }
        Ok(json!({ "job_id": job_id }))
    }

    pub fn set_ntp(&mut self, body: NtpBody) -> Result<Value, ApiError> {
        let mode = body
            .ntp_mode
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "ntp_mode is required"))?;
        if mode != "external" && mode != "internal" {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                format!("ntp_mode {mode:?} is not external or internal"),
            ));
        }
        if mode == "external" && body.ntp_servers.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "external ntp_mode needs ntp_servers",
            ));
        }
        let (job_id, fails) = self.settings_job("UPDATE_NTP", "Updated NTP servers.\n".to_owned());
        if !fails {
            self.settings.ntp_mode = Some(mode);
            self.settings.ntp_servers = body.ntp_servers;
        }
        Ok(json!({ "job_id": job_id }))
    }

    pub fn license(&self) -> Result<Value, ApiError> {
        let mut license = LICENSE.load()?;
        set(&mut license, &["serial"], json!(self.serial))?;
        Ok(license)
    }

    pub fn recommended_cpu_models(&self) -> Value {
        json!({"cpu_models": recommended_cpu_models(CPU_VENDOR)})
    }

    pub fn set_cpu_model(&mut self, body: CpuModelBody) -> Result<Value, ApiError> {
        let model = body
            .cpu_model
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "cpu_model is required"))?;
        if !recommended_cpu_models(CPU_VENDOR).contains(&model.as_str()) {
            return Err(ApiError::bad_request(
                "CPU_MODEL_NOT_SUPPORTED",
                format!("cpu model {model:?} is not supported by every host"),
            ));
        }
        if !self.faults.cpu_model_not_kept {
            self.settings.cpu_model = Some(model);
        }
        Ok(json!({}))
    }

    pub fn cpu_model(&self) -> Value {
        json!({ "cpu_model": self.settings.cpu_model })
    }
}
