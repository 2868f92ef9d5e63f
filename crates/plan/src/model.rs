//! The typed plan: what a workbook asks the cluster to become.
//!
//! Secrets are `smtx_secret::Secret` and skipped by `Serialize`, so the JSON
//! that `plan check --json` prints can never hold one.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Serialize, Serializer};
use smtx_secret::Secret;

/// Everything `config_cluster` needs from the workbook.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub cluster: ClusterPlan,
    pub management_vds: VdsPlan,
    pub storage_vds: VdsPlan,
    /// `None` when the workbook names no business VDS (虚拟网络!C8 empty).
    pub business_vds: Option<VdsPlan>,
    pub business_networks: Vec<NetworkPlan>,
    pub hosts: Vec<HostPlan>,
    pub dns_servers: Vec<Ipv4Addr>,
    /// IPs or domain names, as the workbook gives them.
    pub ntp_servers: Vec<String>,
    pub fisheye: FisheyeAdmin,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterPlan {
    pub name: String,
    pub vip: Option<Ipv4Addr>,
    pub network_architecture: NetworkArchitecture,
    pub storage_architecture: Option<String>,
    /// The serial already in the workbook (主机规划!E19), if any.
    pub serial: Option<String>,
}

/// 主机规划!Q20. Only the two the template supports are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkArchitecture {
    /// 三网独立: management, storage and business on separate switches.
    ThreeSeparate,
    /// 存储独立: management and business share a switch, storage separate.
    StorageSeparate,
    /// Anything else the user typed, kept verbatim (a validation error).
    Other(String),
}

impl NetworkArchitecture {
    pub fn label(&self) -> &str {
        match self {
            Self::ThreeSeparate => "三网独立",
            Self::StorageSeparate => "存储独立",
            Self::Other(text) => text,
        }
    }

    /// True when business networks belong on the existing management VDS.
    pub fn business_on_management_vds(&self) -> bool {
        matches!(self, Self::StorageSeparate)
    }
}

impl Serialize for NetworkArchitecture {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.label())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct VdsPlan {
    pub name: String,
    pub nics: Vec<String>,
    pub bond_mode: BondMode,
}

/// The bond modes the VDS API accepts, in its spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BondMode {
    ActiveBackup,
    BalanceSlb,
    BalanceTcp,
}

impl BondMode {
    pub fn as_api_str(self) -> &'static str {
        match self {
            Self::ActiveBackup => "active-backup",
            Self::BalanceSlb => "balance-slb",
            Self::BalanceTcp => "balance-tcp",
        }
    }
}

impl fmt::Display for BondMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_api_str())
    }
}

impl Serialize for BondMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_api_str())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NetworkPlan {
    pub name: String,
    pub vlan_id: u16,
    pub subnet: Option<Ipv4Subnet>,
    pub gateway: Option<Ipv4Addr>,
    /// Workbook row on 虚拟网络, for messages.
    pub row: u32,
}

/// An IPv4 CIDR such as `10.1.20.0/24`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Subnet {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Ipv4Subnet {
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        let mask = if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix))
        };
        (u32::from(self.addr) & mask) == (u32::from(ip) & mask)
    }
}

impl fmt::Display for Ipv4Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Ipv4Subnet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a CIDR subnet (a.b.c.d/n)"))?;
        let addr: Ipv4Addr = addr
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a CIDR subnet: bad address"))?;
        let prefix: u8 = prefix
            .trim()
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(|| format!("{text:?} is not a CIDR subnet: prefix must be 0..=32"))?;
        Ok(Self { addr, prefix })
    }
}

impl Serialize for Ipv4Subnet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct HostPlan {
    /// Workbook row on 主机规划 (3..=18), for messages.
    pub row: u32,
    pub hostname: String,
    pub management_ip: Ipv4Addr,
    pub storage_ip: Option<Ipv4Addr>,
    pub bmc: BmcPlan,
    /// Host login user for SSH (主机规划!J, default `smartx`).
    pub ssh_user: String,
    /// Target password for `ssh_user` (主机规划!K).
    #[serde(skip)]
    pub ssh_password: Secret,
    /// Target password for `root` (主机规划!M; K when empty).
    #[serde(skip)]
    pub root_password: Secret,
}

#[derive(Debug, Clone, Serialize)]
pub struct BmcPlan {
    pub ip: Option<Ipv4Addr>,
    pub user: String,
    #[serde(skip)]
    pub password: Secret,
}

#[derive(Debug, Clone, Serialize)]
pub struct FisheyeAdmin {
    pub user: String,
    #[serde(skip)]
    pub password: Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in the workbook, located to the cell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// `sheet!cell`, e.g. `主机规划!I5`.
    pub location: String,
    /// The field's name as the user knows it, e.g. `管理地址`.
    pub field: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(
            f,
            "{severity}: {} ({}): {}",
            self.location, self.field, self.message
        )
    }
}
