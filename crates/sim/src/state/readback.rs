//! Reading back what `config_cluster` wrote, for `smtx-deploy check` (and
//! for a run, which reads the settings and BMC accounts before it sends): the
//! management VIP, DNS, NTP, the IPMI accounts and the image list; and the
//! one change the control endpoint makes behind a client's back (a VLAN
//! removed, as someone might in Fisheye), so drift can be rehearsed.
//!
//! \[ASSUMED\] The reference captures only the writes (`PUT settings/vip`,
//! `dns`, `ntp`, `POST ipmi/upsert_accounts`); the reads are our guess, each
//! in the shape of its write:
//! - `GET /api/v2/settings/vip` → `{"management_vip": "10.0.20.10" | null,
//!   "iscsi_vip": null}`;
//! - `GET /api/v2/settings/dns` → `{"dns_servers": [..]}` (empty before any
//!   PUT);
//! - `GET /api/v2/settings/ntp` → `{"ntp_mode": .., "ntp_servers": [..]}`
//!   (`internal` and no servers before any PUT, the deploy payload's mode);
//! - `GET /api/v2/ipmi/accounts` → an array of the upsert answer's entries
//!   (`node_uuid`, `node_name`, `host`, `port`, `user`, `is_valid`,
//!   `interface`), one per node, never a password;
//! - `GET /api/v2/images` → `{"images": [..]}` as captured for ISO images
//!   (chapter 04), listing the SVT images too (the rollback already assumes
//!   they live in `/api/v2/images`), `type` `SVT_IMAGE`, `resource_state`
//!   `CREATED` once every chunk arrived, else `UPLOADING`; deleted ones are
//!   not listed.

use serde_json::{Value, json};

use super::{ApiError, SimState};

fn vlan_not_found(vds: &str, vlan: &str) -> ApiError {
    ApiError::not_found(
        "VLAN_NOT_FOUND",
        format!("VDS {vds:?} has no network {vlan:?}"),
    )
}

impl SimState {
    pub fn vip_setting(&self) -> Value {
        json!({
            "management_vip": self.vip.map(|vip| vip.to_string()),
            "iscsi_vip": null
        })
    }

    pub fn dns_setting(&self) -> Value {
        let servers: Vec<String> = self.settings.dns.iter().map(ToString::to_string).collect();
        json!({ "dns_servers": servers })
    }

    pub fn ntp_setting(&self) -> Value {
        json!({
            "ntp_mode": self.settings.ntp_mode.as_deref().unwrap_or("internal"),
            "ntp_servers": self.settings.ntp_servers
        })
    }

    pub fn ipmi_accounts(&self) -> Value {
        Value::Array(
            self.ipmi
                .values()
                .map(|account| {
                    json!({
                        "node_uuid": account.node_uuid,
                        "node_name": account.node_name,
                        "host": account.host,
                        "port": 623,
                        "user": account.user,
                        "is_valid": account.is_valid,
                        "interface": null
                    })
                })
                .collect(),
        )
    }

    pub fn list_images(&self) -> Value {
        let images: Vec<Value> = self
            .images
            .list
            .iter()
            .filter(|image| !image.deleted)
            .map(|image| {
                json!({
                    "uuid": image.uuid,
                    "name": image.name,
                    "size": image.size,
                    "md5": null,
                    "path": format!("/usr/share/smartx/images/vmtools/{}", image.uuid),
                    "zbs_volume_id": image.zbs_volume_id,
                    "resource_state": if image.complete() { "CREATED" } else { "UPLOADING" },
                    "type": "SVT_IMAGE"
                })
            })
            .collect();
        json!({ "images": images })
    }

    /// Removes a business network as someone might in Fisheye; `vds` and
    /// `vlan` are each a name or a uuid. Answers what was removed.
    pub fn remove_vlan(&mut self, vds: &str, vlan: &str) -> Result<Value, ApiError> {
        let switch = self
            .vdses
            .iter_mut()
            .find(|switch| switch.uuid == vds || switch.name == vds)
            .ok_or_else(|| ApiError::not_found("VDS_NOT_FOUND", format!("no VDS {vds:?}")))?;
        let index = switch
            .vlans
            .iter()
            .position(|network| network.uuid == vlan || network.name == vlan)
            .ok_or_else(|| vlan_not_found(&switch.name, vlan))?;
        let removed = switch.vlans.remove(index);
        Ok(json!({
            "vds": switch.name,
            "removed": {"uuid": removed.uuid, "name": removed.name, "vlan_id": removed.vlan_id}
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::network::CreateVlanBody;
    use super::super::tests::state;
    use super::*;

    #[test]
    fn a_fresh_cluster_reads_back_empty_settings() {
        let state = state();
        assert_eq!(state.vip_setting()["management_vip"], Value::Null);
        assert_eq!(state.dns_setting(), json!({"dns_servers": []}));
        assert_eq!(state.ntp_setting()["ntp_mode"], "internal");
        assert_eq!(state.ipmi_accounts(), json!([]));
        assert_eq!(state.list_images(), json!({"images": []}));
    }

    #[test]
    fn a_vlan_is_removed_by_name_or_uuid_and_only_once() -> Result<(), ApiError> {
        let mut state = state();
        let vds = state.vdses[0].uuid.clone();
        let vds_name = state.vdses[0].name.clone();
        for (name, id) in [("VLAN-1", 1), ("VLAN-2", 2)] {
            let body: CreateVlanBody = serde_json::from_value(json!({"name": name, "vlan_id": id}))
                .map_err(|error| ApiError::internal(error.to_string()))?;
            state.create_vlan(&vds, body)?;
        }
        let removed = state.remove_vlan(&vds_name, "VLAN-1")?;
        assert_eq!(removed["removed"]["vlan_id"], 1);
        let uuid = state.vdses[0].vlans[0].uuid.clone();
        state.remove_vlan(&vds, &uuid)?;
        assert!(state.vdses[0].vlans.is_empty());
        let again = state.remove_vlan(&vds, "VLAN-1");
        assert!(again.is_err_and(|error| error.status.as_u16() == 404));
        Ok(())
    }
}
