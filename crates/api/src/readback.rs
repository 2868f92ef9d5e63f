//! The read-only calls of `smtx-deploy check`: the cluster settings, BMC
//! accounts, switches with their hosts and the image list, read back to be
//! compared with the workbook. A run reads the settings and BMC accounts
//! the same way before it sends them. Lenient like the rest of the client.
//!
//! \[ASSUMED\] The reference captures only the writes of VIP, DNS, NTP and
//! the BMC accounts (2.5–2.8). These reads are our guess, each in the shape
//! of its write: `GET /api/v2/settings/{vip,dns,ntp}` answer the PUT's body
//! (`management_vip`; `dns_servers`; `ntp_mode`, `ntp_servers`) and `GET
//! /api/v2/ipmi/accounts` the upsert answer's entries. `GET /api/v2/images`
//! is captured for ISO images (chapter 04, `data.images[]`); that it lists
//! the SVT (VMTools) images too is assumed, as the rollback (2.16) already
//! assumes they live there. A cluster that answers 404 to one of these is
//! one the check cannot verify that item on, and one a run sends without
//! comparing; the caller decides.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::endpoint::Endpoint;
use crate::{ApiClient, ApiError};

/// NTP as the cluster reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NtpSetting {
    pub mode: Option<String>,
    pub servers: Vec<String>,
}

/// One stored BMC account (never with its password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpmiAccountEntry {
    #[serde(default)]
    pub node_uuid: String,
    #[serde(default)]
    pub node_name: String,
    /// The BMC address.
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub user: String,
    #[serde(default)]
    pub is_valid: Option<bool>,
}

/// One host of a switch and its uplink NICs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VdsHost {
    #[serde(default)]
    pub host_uuid: String,
    #[serde(default)]
    pub nics_associated: Vec<String>,
}

/// A switch with its hosts, as the list answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VdsDetail {
    pub uuid: String,
    pub name: String,
    #[serde(default)]
    pub bond_mode: Option<String>,
    /// Empty in the one captured detail (2.11) even for a switch with hosts:
    /// empty means "not shown", not "none".
    #[serde(default)]
    pub hosts_associated: Vec<VdsHost>,
}

/// One image of `GET /api/v2/images`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageEntry {
    #[serde(default)]
    pub uuid: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub resource_state: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

fn decode<T: for<'de> Deserialize<'de>>(action: &str, value: Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::Decode {
        action: action.to_string(),
        reason: crate::DecodeReason::Shape {
            cause: e.to_string(),
        },
    })
}

/// A list answer: a plain array, or an object holding one under one of `keys`.
fn items(value: Value, keys: &[&str]) -> Vec<Value> {
    match value {
        Value::Array(items) => items,
        Value::Object(mut map) => keys
            .iter()
            .chain(&["items", "list", "results"])
            .find_map(|key| match map.remove(*key) {
                Some(Value::Array(items)) => Some(items),
                _ => None,
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl ApiClient {
    /// The management VIP, `None` when none is set.
    pub async fn vip_setting(&self) -> Result<Option<String>, ApiError> {
        let data = self.send(Endpoint::VipSetting).await?;
        Ok(data
            .get("management_vip")
            .and_then(Value::as_str)
            .filter(|vip| !vip.is_empty())
            .map(str::to_string))
    }

    pub async fn dns_setting(&self) -> Result<Vec<String>, ApiError> {
        let data = self.send(Endpoint::DnsSetting).await?;
        Ok(strings(data.get("dns_servers")))
    }

    pub async fn ntp_setting(&self) -> Result<NtpSetting, ApiError> {
        let data = self.send(Endpoint::NtpSetting).await?;
        Ok(NtpSetting {
            mode: data
                .get("ntp_mode")
                .and_then(Value::as_str)
                .map(str::to_string),
            servers: strings(data.get("ntp_servers")),
        })
    }

    pub async fn ipmi_accounts(&self) -> Result<Vec<IpmiAccountEntry>, ApiError> {
        const ACTION: &str = "GET /api/v2/ipmi/accounts";
        let data = self.send(Endpoint::ListIpmiAccounts).await?;
        items(data, &["accounts"])
            .into_iter()
            .map(|item| decode(ACTION, item))
            .collect()
    }

    /// Every switch with its hosts (2.9, read for the hosts too).
    pub async fn list_vds_detail(&self) -> Result<Vec<VdsDetail>, ApiError> {
        const ACTION: &str = "GET /api/v2/network/vds";
        let data = self.send(Endpoint::ListVds).await?;
        items(data, &["vdses"])
            .into_iter()
            .map(|mut item| {
                if item.get("uuid").is_none()
                    && let Some(id) = item.get("id").cloned()
                {
                    item["uuid"] = id;
                }
                // Inside a job, hosts are a map keyed by host uuid (2.13).
                if let Some(Value::Object(hosts)) = item.get("hosts_associated").cloned() {
                    item["hosts_associated"] = Value::Array(hosts.into_values().collect());
                }
                decode(ACTION, item)
            })
            .collect()
    }

    pub async fn list_images(&self) -> Result<Vec<ImageEntry>, ApiError> {
        const ACTION: &str = "GET /api/v2/images";
        let data = self.send(Endpoint::ListImages).await?;
        items(data, &["images"])
            .into_iter()
            .map(|item| decode(ACTION, item))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_come_bare_or_wrapped() {
        let wrapped = serde_json::json!({"images": [{"name": "a"}], "total": 1});
        assert_eq!(items(wrapped, &["images"]).len(), 1);
        assert_eq!(items(serde_json::json!([1, 2]), &[]).len(), 2);
        assert!(items(serde_json::json!({"other": 1}), &["images"]).is_empty());
    }
}
