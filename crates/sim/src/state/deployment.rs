//! The pre-deployment endpoints: the host scan (`GET
//! /api/v2/deployment/host`, the fixture with this host's identity,
//! addresses, interfaces and disks filled in) and `deploy_verify`.

use serde_json::{Value, json};

use super::fixtures::{HOST_SCAN, set};
use super::{ApiError, SimState};

/// Only the ports that carry an address are `running` in a capture.
fn ipv4_running(name: &str) -> bool {
    name.starts_with("port-")
}

impl SimState {
    pub fn host_scan(&self, node: usize) -> Result<Value, ApiError> {
        let Some(host) = self.nodes.get(node) else {
            return Ok(json!({}));
        };
        let node_byte = node as u8;
        let mut ifaces: Vec<Value> = host
            .nics
            .iter()
            .enumerate()
            .map(|(index, name)| {
                json!({
                    "hwaddr": format!("00:50:56:b5:{node_byte:02x}:{:02x}", index as u8),
                    "ibdev": null,
                    "ipv4": null,
                    "ipv6": format!("fe80::250:56ff:feb5:{node_byte:02x}{:02x}", index as u8),
                    "mtu": 1500,
                    "name": name,
                    "pci_slot_name": format!("0000:{:02x}:00", index + 4),
                    "physical_link_up": true,
                    "rdma": false,
                    "running": true,
                    "speed": 10_000_000_000_u64,
                    "up": true
                })
            })
            .collect();
        let virtual_iface = |name: &str, ipv4: Option<String>, index: u8| {
            json!({
                "hwaddr": format!("02:00:00:{node_byte:02x}:00:{index:02x}"),
                "ibdev": null,
                "ipv4": ipv4,
                "ipv6": null,
                "mtu": 1500,
                "name": name,
                "pci_slot_name": null,
                "physical_link_up": true,
                "rdma": false,
                "running": ipv4_running(name),
                "speed": null,
                "up": true
            })
        };
        for (index, vds) in self.vdses.iter().take(2).enumerate() {
            ifaces.push(virtual_iface(&vds.ovsbr_name, None, index as u8));
        }
        ifaces.push(virtual_iface("ovsbr-internal", None, 2));
        ifaces.push(virtual_iface(
            "port-internal",
            Some("169.254.169.254".to_owned()),
            3,
        ));
        ifaces.push(virtual_iface(
            "port-mgt",
            Some(host.management_ip.to_string()),
            4,
        ));
        ifaces.push(virtual_iface(
            "port-storage",
            host.storage_ip.map(|ip| ip.to_string()),
            5,
        ));

        let mut scan = HOST_SCAN.load()?;
        // Disk serials start with the host's serial number.
        let fixture_sn = scan["sn"].as_str().unwrap_or_default().to_owned();
        let disks: Vec<Value> = scan["disks"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|mut disk| {
                let serial = disk["serial"].as_str().unwrap_or_default();
                let serial = json!(serial.replace(&fixture_sn, &host.sn));
                set(&mut disk, &["serial"], serial).map(|()| disk)
            })
            .collect::<Result<_, _>>()?;
        let role = if node == 0 { "master" } else { "storage" };
        set(&mut scan, &["cgroup_profile_env", "node_role"], json!(role))?;
        set(&mut scan, &["disks"], Value::Array(disks))?;
        set(
            &mut scan,
            &["host_ip"],
            json!(host.management_ip.to_string()),
        )?;
        set(&mut scan, &["host_uuid"], json!(host.host_uuid))?;
        set(&mut scan, &["hostname"], json!(host.hostname))?;
        set(&mut scan, &["ifaces"], Value::Array(ifaces))?;
        set(
            &mut scan,
            &["ipmi_ip"],
            json!(host.bmc_ip.map(|ip| ip.to_string())),
        )?;
        set(&mut scan, &["sn"], json!(host.sn))?;
        Ok(scan)
    }

    pub fn deploy_verify(&self) -> Value {
        json!({"is_deployed": !self.faults.not_deployed, "platform": "kvm"})
    }
}

#[cfg(test)]
mod tests {
    use super::super::settings::CPU_VENDOR;
    use super::super::tests::state;
    use super::*;

    #[test]
    fn the_scan_names_this_host_and_its_cpu_vendor() -> Result<(), ApiError> {
        let state = state();
        let scan = state.host_scan(1)?;
        assert_eq!(scan["hostname"], json!(state.nodes[1].hostname));
        assert_eq!(scan["cgroup_profile_env"]["node_role"], "storage");
        assert_eq!(scan["cpu"]["vendor"], CPU_VENDOR);
        assert_eq!(scan["cgroup_profile_env"]["cpu_vendor"], CPU_VENDOR);
        let serial = scan["disks"][0]["serial"].as_str().unwrap_or_default();
        assert!(serial.starts_with(&state.nodes[1].sn), "{serial}");
        Ok(())
    }
}
