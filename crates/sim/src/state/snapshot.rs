//! `GET /_sim/state` (and [`RunningSim::state`](crate::RunningSim::state)):
//! everything a test may want to check after a run, as one JSON document.
//! `evicted` counts what the bounds threw away; `calls[].seq` keeps
//! counting across dropped calls.

use serde_json::{Value, json};

use super::{SimState, Target};

impl SimState {
    pub fn snapshot(&self) -> Value {
        let hostname_of = |uuid: &str| {
            self.nodes
                .iter()
                .find(|node| node.host_uuid == uuid)
                .map(|node| node.hostname.clone())
        };
        let vdses: Vec<Value> = self
            .vdses
            .iter()
            .map(|vds| {
                json!({
                    "uuid": vds.uuid,
                    "name": vds.name,
                    "bond_mode": vds.bond_mode,
                    "ovsbr_name": vds.ovsbr_name,
                    "hosts": vds.hosts.iter().map(|host| json!({
                        "host_uuid": host.host_uuid,
                        "hostname": hostname_of(&host.host_uuid),
                        "nics": host.nics,
                        "data_ip": host.data_ip
                    })).collect::<Vec<_>>(),
                    "vlans": vds.vlans.iter().map(|vlan| json!({
                        "uuid": vlan.uuid, "name": vlan.name, "vlan_id": vlan.vlan_id
                    })).collect::<Vec<_>>()
                })
            })
            .collect();
        let images: Vec<Value> = self
            .images
            .list
            .iter()
            .map(|image| {
                json!({
                    "uuid": image.uuid,
                    "zbs_volume_id": image.zbs_volume_id,
                    "name": image.name,
                    "size": image.size,
                    "chunk_size": image.chunk_size,
                    "chunks": image.chunk_count(),
                    "received_chunks": image.received.count(),
                    "complete": image.complete(),
                    "sha256": image.sha256,
                    "deleted": image.deleted
                })
            })
            .collect();
        let hosts: Vec<Value> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                json!({
                    "index": index,
                    "hostname": node.hostname,
                    "host_uuid": node.host_uuid,
                    "management_ip": node.management_ip.to_string(),
                    "storage_ip": node.storage_ip.map(|ip| ip.to_string()),
                    "bmc_ip": node.bmc_ip.map(|ip| ip.to_string()),
                    "passwords_rotated": {"smartx": node.smartx_rotated, "root": node.root_rotated}
                })
            })
            .collect();
        let pace = self.pace();
        let jobs: Vec<Value> = self
            .jobs
            .list
            .iter()
            .map(|job| {
                json!({
                    "job_id": job.id,
                    "description": job.description,
                    "polls": job.polls,
                    "state": job.state(pace),
                    "will_fail": job.fails
                })
            })
            .collect();
        let calls: Vec<Value> = self
            .calls
            .records
            .iter()
            .map(|call| {
                let (target, node) = match call.target {
                    Target::Node(index) => (
                        self.nodes
                            .get(index)
                            .map(|node| node.hostname.clone())
                            .unwrap_or_default(),
                        Some(index),
                    ),
                    Target::Vip => ("vip".to_owned(), None),
                };
                json!({
                    "seq": call.seq,
                    "method": call.method,
                    "path": call.path,
                    "query": call.query,
                    "status": call.status,
                    "started_us": call.started_us,
                    "ended_us": call.ended_us,
                    "target": target,
                    "node": node
                })
            })
            .collect();
        let settings = &self.settings;
        json!({
            "cluster": {
                "name": self.spec.cluster_name,
                "deployed": !self.faults.not_deployed,
                "initialized": self.root.is_some(),
                "root_user": self.root.as_ref().map(|root| root.username.clone()),
                "sessions": self.sessions.len(),
                "vip": self.vip.map(|ip| ip.to_string()),
                "dns": settings.dns.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "ntp": {"mode": settings.ntp_mode, "servers": settings.ntp_servers},
                "cpu_model": settings.cpu_model,
                "serial": self.serial
            },
            "ipmi_accounts": self.ipmi.values().map(|account| json!({
                "node_uuid": account.node_uuid,
                "node_name": account.node_name,
                "host": account.host,
                "user": account.user,
                "is_valid": account.is_valid
            })).collect::<Vec<_>>(),
            "vdses": vdses,
            "jobs": jobs,
            "images": images,
            "hosts": hosts,
            "calls": calls,
            "evicted": {
                "calls": self.calls.dropped,
                "sessions": self.sessions.evicted.total(),
                "jobs": self.jobs.evicted.total(),
                "images": self.images.evicted.total()
            }
        })
    }
}
