//! Virtual distributed switches and their VLANs: the management and storage
//! VDSes deployment created, `POST /api/v2/network/vds` (a job) and the VLAN
//! endpoints.

use rand::Rng;
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, Node, SimState, v4_uuid};
use crate::spec::ClusterSpec;

pub(crate) struct VdsHost {
    pub host_uuid: String,
    pub nics: Vec<String>,
    pub data_ip: Option<String>,
}

pub(crate) struct Vlan {
    pub uuid: String,
    pub name: String,
    pub vlan_id: u16,
}

pub(crate) struct Vds {
    pub uuid: String,
    pub name: String,
    pub bond_mode: String,
    pub ovsbr_name: String,
    pub hosts: Vec<VdsHost>,
    pub vlans: Vec<Vlan>,
}

/// `POST /api/v2/network/vds`. Extra keys are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateVdsBody {
    name: Option<String>,
    bond_mode: Option<String>,
    hosts_associated: Option<Vec<VdsHostBody>>,
}

#[derive(Debug, Deserialize)]
struct VdsHostBody {
    host_uuid: Option<String>,
    #[serde(default)]
    nics_associated: Vec<String>,
    data_ip: Option<String>,
}

/// `POST /api/v2/network/vds/{uuid}/vlans`.
#[derive(Debug, Deserialize)]
pub(crate) struct CreateVlanBody {
    name: Option<String>,
    vlan_id: Option<i64>,
}

const BOND_MODES: [&str; 4] = ["active-backup", "balance-slb", "balance-tcp", "lacp"];

fn ovsbr_name(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let suffix: String = (0..9)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("ovsbr-{suffix}")
}

/// The management and storage VDSes, on every host with its workbook NICs.
pub(super) fn deployed_vdses(spec: &ClusterSpec, nodes: &[Node], rng: &mut StdRng) -> Vec<Vds> {
    let mut vdses = Vec::new();
    for (vds, storage) in [(&spec.management_vds, false), (&spec.storage_vds, true)] {
        let uuid = v4_uuid(rng);
        let hosts = nodes
            .iter()
            .map(|node| VdsHost {
                host_uuid: node.host_uuid.clone(),
                nics: vds
                    .nics
                    .iter()
                    .filter(|nic| node.nics.contains(nic))
                    .cloned()
                    .collect(),
                data_ip: if storage {
                    node.storage_ip.map(|ip| ip.to_string())
                } else {
                    Some(node.management_ip.to_string())
                },
            })
            .collect();
        vdses.push(Vds {
            uuid,
            name: vds.name.clone(),
            bond_mode: "active-backup".to_owned(),
            ovsbr_name: ovsbr_name(rng),
            hosts,
            vlans: Vec::new(),
        });
    }
    vdses
}

fn host_json(host: &VdsHost) -> Value {
    json!({"host_uuid": host.host_uuid, "nics_associated": host.nics, "data_ip": host.data_ip})
}

fn bond_name(vds: &Vds) -> String {
    format!("bond-m-{}", vds.uuid.get(..8).unwrap_or(&vds.uuid))
}

fn vds_json(vds: &Vds) -> Value {
    json!({
        "uuid": vds.uuid,
        "bond_mode": vds.bond_mode,
        "bond_name": bond_name(vds),
        "bond_type": "ovs_bond",
        "description": "",
        "name": vds.name,
        "ovsbr_name": vds.ovsbr_name,
        "qos_enable": false,
        "rb_interval": "",
        "type": 1,
        "work_mode": "single",
        "hosts_associated": vds.hosts.iter().map(host_json).collect::<Vec<_>>(),
        "vlans_count": vds.vlans.len()
    })
}

fn vlan_json(vlan: &Vlan, vds_uuid: &str) -> Value {
    json!({
        "uuid": vlan.uuid,
        "name": vlan.name,
        "vds_uuid": vds_uuid,
        "vlan_id": vlan.vlan_id,
        "type": 3,
        "enable_dhcp": false,
        "vms_count": 0,
        "vm_snapshots_count": 0,
        "vm_templates_count": 0,
        "dhcp_config": null
    })
}

fn vds_not_found(uuid: &str) -> ApiError {
    ApiError::not_found("VDS_NOT_FOUND", format!("no VDS {uuid}"))
}

impl SimState {
    pub fn list_vds(&self) -> Value {
        Value::Array(self.vdses.iter().map(vds_json).collect())
    }

    pub fn get_vds(&self, uuid: &str) -> Result<Value, ApiError> {
        self.vdses
            .iter()
            .find(|vds| vds.uuid == uuid)
            .map(vds_json)
            .ok_or_else(|| vds_not_found(uuid))
    }

    /// The hosts of a new VDS, after checking each NIC exists on its host
    /// and no other VDS uses it there.
    fn vds_hosts(&self, requested: Vec<VdsHostBody>) -> Result<Vec<VdsHost>, ApiError> {
        let mut hosts = Vec::new();
        for entry in requested {
            let host_uuid = entry.host_uuid.ok_or_else(|| {
                ApiError::bad_request("INVALID_ARGUMENT", "host_uuid is required")
            })?;
            let node = self
                .nodes
                .iter()
                .find(|node| node.host_uuid == host_uuid)
                .ok_or_else(|| {
                    ApiError::bad_request("HOST_NOT_FOUND", format!("no host {host_uuid}"))
                })?;
            let nics = entry.nics_associated;
            if nics.is_empty() {
                return Err(ApiError::bad_request(
                    "INVALID_ARGUMENT",
                    format!("no nics_associated for host {}", node.hostname),
                ));
            }
            for nic in &nics {
                if !node.nics.contains(nic) {
                    return Err(ApiError::bad_request(
                        "NIC_NOT_FOUND",
                        format!("host {} has no NIC {nic}", node.hostname),
                    ));
                }
                if let Some(other) = self.vdses.iter().find(|vds| {
                    vds.hosts
                        .iter()
                        .any(|h| h.host_uuid == host_uuid && h.nics.contains(nic))
                }) {
                    return Err(ApiError::conflict(
                        "NIC_IN_USE",
                        format!(
                            "NIC {nic} of host {} is used by VDS {:?}",
                            node.hostname, other.name
                        ),
                    ));
                }
            }
            hosts.push(VdsHost {
                host_uuid,
                nics,
                data_ip: entry.data_ip,
            });
        }
        Ok(hosts)
    }

    pub fn create_vds(&mut self, body: CreateVdsBody) -> Result<Value, ApiError> {
        let name = body
            .name
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "name is required"))?;
        let bond_mode = body.bond_mode.unwrap_or_else(|| "active-backup".to_owned());
        if !BOND_MODES.contains(&bond_mode.as_str()) {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                format!("unknown bond_mode {bond_mode:?}"),
            ));
        }
        if self.vdses.iter().any(|vds| vds.name == name) {
            return Err(ApiError::conflict(
                "VDS_NAME_DUPLICATE",
                format!("a VDS named {name:?} exists already"),
            ));
        }
        let requested = body.hosts_associated.ok_or_else(|| {
            ApiError::bad_request("INVALID_ARGUMENT", "hosts_associated is required")
        })?;
        let hosts = self.vds_hosts(requested)?;
        let vds = Vds {
            uuid: v4_uuid(&mut self.rng),
            name,
            bond_mode,
            ovsbr_name: ovsbr_name(&mut self.rng),
            hosts,
            vlans: Vec::new(),
        };
        let uuid = vds.uuid.clone();
        if self.faults.vds_returns_uuid {
            self.vdses.push(vds);
            return Ok(json!({ "uuid": uuid }));
        }
        let hosts_map: serde_json::Map<String, Value> = vds
            .hosts
            .iter()
            .map(|host| (host.host_uuid.clone(), host_json(host)))
            .collect();
        let resource = json!({
            "type": "NETWORK_VDS",
            "uuid": vds.uuid,
            "name": vds.name,
            "ovsbr_name": vds.ovsbr_name,
            "description": "",
            "status": "created",
            "hosts_associated": hosts_map,
            "bond_name": bond_name(&vds),
            "bond_type": "ovs_bond",
            "bond_mode": vds.bond_mode,
            "work_mode": "single",
            "qos_enable": false,
            "rb_interval": ""
        });
        let message = format!("Created virtual distributed switch {}.\n", vds.name);
        let event_data = json!({"name": vds.name, "uuid": vds.uuid});
        let (job_id, fails) = self.new_job(super::jobs::NewJob {
            description: "NETWORK_CREATE_VDS",
            event_name: "CREATE_VDS",
            message,
            resources: json!({ uuid.clone(): resource }),
            event_resources: json!({ uuid: "NETWORK_VDS" }),
            event_data,
        });
        if !fails {
            self.vdses.push(vds);
        }
        Ok(json!({ "job_id": job_id }))
    }

    pub fn create_vlan(&mut self, vds_uuid: &str, body: CreateVlanBody) -> Result<Value, ApiError> {
        let name = body
            .name
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "name is required"))?;
        let vlan_id = body
            .vlan_id
            .filter(|id| (0..=4094).contains(id))
            .and_then(|id| u16::try_from(id).ok())
            .ok_or_else(|| {
                ApiError::bad_request("INVALID_ARGUMENT", "vlan_id must be an integer 0..=4094")
            })?;
        let uuid = v4_uuid(&mut self.rng);
        let vds = self
            .vdses
            .iter_mut()
            .find(|vds| vds.uuid == vds_uuid)
            .ok_or_else(|| vds_not_found(vds_uuid))?;
        if vds.vlans.iter().any(|vlan| vlan.name == name) {
            return Err(ApiError::conflict(
                "VLAN_NAME_DUPLICATE",
                format!("VDS {:?} has a network named {name:?}", vds.name),
            ));
        }
        if vds.vlans.iter().any(|vlan| vlan.vlan_id == vlan_id) {
            return Err(ApiError::conflict(
                "VLAN_ID_DUPLICATE",
                format!("VDS {:?} has a network with VLAN {vlan_id}", vds.name),
            ));
        }
        let vlan = Vlan {
            uuid,
            name,
            vlan_id,
        };
        let answer = vlan_json(&vlan, vds_uuid);
        vds.vlans.push(vlan);
        Ok(answer)
    }

    pub fn list_vlans(&self, vds_uuid: &str) -> Result<Value, ApiError> {
        let vds = self
            .vdses
            .iter()
            .find(|vds| vds.uuid == vds_uuid)
            .ok_or_else(|| vds_not_found(vds_uuid))?;
        Ok(Value::Array(
            vds.vlans
                .iter()
                .map(|vlan| vlan_json(vlan, vds_uuid))
                .collect(),
        ))
    }
}
