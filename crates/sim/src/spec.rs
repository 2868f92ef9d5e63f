//! What cluster to simulate: hosts, addresses, NICs and the VDSes that
//! deployment created, taken from a workbook [`Plan`] or built by hand in tests.

use std::net::Ipv4Addr;

use smtx_plan::Plan;

/// The simulated cluster, as the workbook describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSpec {
    pub cluster_name: String,
    /// The management VIP the workbook plans; the VIP listener is bound only
    /// when this is set.
    pub vip: Option<Ipv4Addr>,
    pub hosts: Vec<HostSpec>,
    /// Created at deployment: exists from the start.
    pub management_vds: VdsSpec,
    /// Created at deployment: exists from the start.
    pub storage_vds: VdsSpec,
    /// Drives every generated identifier (host UUIDs, serial, ...).
    pub seed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
    pub hostname: String,
    pub management_ip: Ipv4Addr,
    pub storage_ip: Option<Ipv4Addr>,
    pub bmc_ip: Option<Ipv4Addr>,
    /// Physical NIC names the host scan reports (`ens…`).
    pub nics: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VdsSpec {
    pub name: String,
    pub nics: Vec<String>,
}

/// Physical NICs every simulated host has on top of the ones the plan names,
/// so a scan never lists only planned NICs.
const EXTRA_NICS: [&str; 2] = ["ens1f0", "ens1f1"];

impl ClusterSpec {
    /// The cluster a deployed workbook describes. Every host gets every NIC
    /// named by any VDS of the plan plus a few spare ones; the business VDS
    /// is not created (configuring it is the client's job).
    pub fn from_plan(plan: &Plan, seed: u64) -> Self {
        let mut nics: Vec<String> = Vec::new();
        let vdses = [Some(&plan.management_vds), Some(&plan.storage_vds)]
            .into_iter()
            .chain(std::iter::once(plan.business_vds.as_ref()))
            .flatten();
        for vds in vdses {
            for nic in &vds.nics {
                if !nics.contains(nic) {
                    nics.push(nic.clone());
                }
            }
        }
        for extra in EXTRA_NICS {
            if !nics.iter().any(|nic| nic == extra) {
                nics.push(extra.to_owned());
            }
        }
        let hosts = plan
            .hosts
            .iter()
            .map(|host| HostSpec {
                hostname: host.hostname.clone(),
                management_ip: host.management_ip,
                storage_ip: host.storage_ip,
                bmc_ip: host.bmc.ip,
                nics: nics.clone(),
            })
            .collect();
        Self {
            cluster_name: plan.cluster.name.clone(),
            vip: plan.cluster.vip,
            hosts,
            management_vds: VdsSpec {
                name: plan.management_vds.name.clone(),
                nics: plan.management_vds.nics.clone(),
            },
            storage_vds: VdsSpec {
                name: plan.storage_vds.name.clone(),
                nics: plan.storage_vds.nics.clone(),
            },
            seed,
        }
    }

    /// A small hand-made cluster for tests: `hosts` nodes named `node-01…`
    /// on 10.0.20.11…, storage on 10.0.21.11…, BMCs on 10.0.1.11…, VIP
    /// 10.0.20.10, NICs ens161/ens192 (management), ens224/ens256 (storage),
    /// ens162/ens194 (free for a business VDS).
    pub fn example(hosts: usize) -> Self {
        let nics: Vec<String> = ["ens161", "ens192", "ens224", "ens256", "ens162", "ens194"]
            .into_iter()
            .map(String::from)
            .collect();
        let hosts = (0..hosts)
            .map(|index| {
                let last = u8::try_from(11 + index).unwrap_or(u8::MAX);
                HostSpec {
                    hostname: format!("node-{:02}", index + 1),
                    management_ip: Ipv4Addr::new(10, 0, 20, last),
                    storage_ip: Some(Ipv4Addr::new(10, 0, 21, last)),
                    bmc_ip: Some(Ipv4Addr::new(10, 0, 1, last)),
                    nics: nics.clone(),
                }
            })
            .collect();
        Self {
            cluster_name: "sim-cluster".to_owned(),
            vip: Some(Ipv4Addr::new(10, 0, 20, 10)),
            hosts,
            management_vds: VdsSpec {
                name: "VDS-MGT".to_owned(),
                nics: vec!["ens161".to_owned(), "ens192".to_owned()],
            },
            storage_vds: VdsSpec {
                name: "VDS-SDS".to_owned(),
                nics: vec!["ens224".to_owned(), "ens256".to_owned()],
            },
            seed: 1,
        }
    }
}
