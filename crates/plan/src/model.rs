//! The typed plan: what a workbook asks the cluster to become.
//!
//! Secrets are `smtx_secret::Secret` and skipped by `Serialize`, so the JSON
//! that `plan check --json` prints can never hold one. A cell that did not
//! parse leaves a placeholder in the plan (for the engine's types) and its
//! raw text in [`InvalidCells`]; the JSON shows such a field as `null` with
//! `<field>_raw` beside it, never the placeholder.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use smtx_secret::Secret;

use crate::layout;

/// Everything `config_cluster` needs from the workbook.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub cluster: ClusterPlan,
    pub management_vds: VdsPlan,
    pub storage_vds: VdsPlan,
    /// `None` when the workbook names no business VDS (its name cell,
    /// 虚拟网络!C8 in the template, empty).
    pub business_vds: Option<VdsPlan>,
    pub business_networks: Vec<NetworkPlan>,
    pub hosts: Vec<HostPlan>,
    pub dns_servers: Vec<Ipv4Addr>,
    /// IPs or domain names, as the workbook gives them.
    pub ntp_servers: Vec<String>,
    pub fisheye: FisheyeAdmin,
    /// Where `dns_servers` were read.
    #[serde(skip)]
    pub dns_cells: ListCells,
    /// Where `ntp_servers` were read.
    #[serde(skip)]
    pub ntp_cells: ListCells,
}

/// Where a list setting (DNS, NTP servers) was read: the cells that held
/// values, and every cell the reader looked at. Messages name the filled
/// cells, or the whole span when none was filled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCells {
    /// `集群管理信息!E25`, … in the order the values came.
    pub filled: Vec<String>,
    /// `集群管理信息!E25:E26`.
    pub span: String,
}

impl ListCells {
    /// The filled cells (`集群管理信息!E25, 集群管理信息!E26`), or the span
    /// when none was filled.
    pub fn named(&self) -> String {
        if self.filled.is_empty() {
            self.span.clone()
        } else {
            self.filled.join(", ")
        }
    }
}

/// Where the business networks go.
#[derive(Debug, Clone, Copy)]
pub enum BusinessNetworkHome<'a> {
    /// 存储独立: the existing management VDS, found by name on the cluster.
    ManagementVds(&'a str),
    /// 三网独立: the business VDS the stage creates (or finds).
    BusinessVds(&'a VdsPlan),
    /// Nowhere: no VDS for them (a workbook error when there are networks).
    Nowhere,
}

impl Plan {
    /// Where the business VDS is named: its row's name cell (虚拟网络!C8 in
    /// the template), read or not.
    pub fn business_vds_cell(&self) -> String {
        match &self.business_vds {
            Some(vds) => vds.name_cell(),
            None => layout::location(
                layout::network::SHEET,
                layout::network::VDS_NAME,
                layout::network::BUSINESS_VDS_ROW,
            ),
        }
    }

    /// Where business networks are named (虚拟网络!D8:D18).
    pub fn business_network_cells(&self) -> String {
        layout::network::business_names_span()
    }

    /// The BMC columns of the host rows read (主机规划!E3:E5 for three
    /// hosts from row 3), or of the template's first host row when none.
    pub fn bmc_cells(&self) -> String {
        self.host_column_span(layout::hosts::BMC_IP)
    }

    /// The SSH user's and root's password columns of the host rows read.
    pub fn password_cells(&self) -> String {
        format!(
            "{}, {}",
            self.host_column_span(layout::hosts::SSH_PASSWORD),
            self.host_column_span(layout::hosts::ROOT_PASSWORD)
        )
    }

    fn host_column_span(&self, column: &str) -> String {
        let rows = self.hosts.iter().map(|host| host.row);
        let first = rows.clone().min().unwrap_or(layout::hosts::FIRST_ROW);
        let last = rows.max().unwrap_or(first);
        layout::column_span(layout::hosts::SHEET, column, first, last)
    }

    /// Where the business networks go: under 存储独立 the management VDS
    /// whether or not a business-VDS row is filled in, under 三网独立 the
    /// business VDS of 虚拟网络 row 8.
    pub fn business_network_home(&self) -> BusinessNetworkHome<'_> {
        match &self.cluster.network_architecture {
            NetworkArchitecture::StorageSeparate if !self.management_vds.name.is_empty() => {
                BusinessNetworkHome::ManagementVds(&self.management_vds.name)
            }
            NetworkArchitecture::ThreeSeparate => match &self.business_vds {
                Some(vds) if !vds.name.is_empty() => BusinessNetworkHome::BusinessVds(vds),
                _ => BusinessNetworkHome::Nowhere,
            },
            _ => BusinessNetworkHome::Nowhere,
        }
    }
}

/// Cells that did not parse, by field name: their raw text as typed. The
/// plan's value for such a field is a placeholder and must not be applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvalidCells(BTreeMap<&'static str, String>);

impl InvalidCells {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn insert(&mut self, field: &'static str, raw: impl Into<String>) {
        self.0.insert(field, raw.into());
    }
}

/// `field: value`, or `field: null, field_raw: "what was typed"` when the
/// cell did not parse.
fn checked_entry<M: SerializeMap, T: Serialize + ?Sized>(
    map: &mut M,
    invalid: &InvalidCells,
    field: &'static str,
    value: &T,
) -> Result<(), M::Error> {
    match invalid.get(field) {
        Some(raw) => {
            map.serialize_entry(field, &Option::<()>::None)?;
            map.serialize_entry(&format!("{field}_raw"), raw)
        }
        None => map.serialize_entry(field, value),
    }
}

#[derive(Debug, Clone)]
pub struct ClusterPlan {
    pub name: String,
    pub vip: Option<Ipv4Addr>,
    pub network_architecture: NetworkArchitecture,
    pub storage_architecture: Option<String>,
    /// The serial already in the workbook (主机规划!E19), if any.
    pub serial: Option<String>,
    /// `vip` when its cell did not parse.
    pub invalid: InvalidCells,
    /// The cluster row of 主机规划 these came from: 19 in the template,
    /// lower where host rows were inserted. Messages name cells through it.
    pub row: u32,
}

impl ClusterPlan {
    /// `主机规划!<column><row>` of the cluster row.
    pub fn cell(&self, column: &str) -> String {
        layout::location(layout::hosts::SHEET, column, self.row)
    }

    /// Where the management VIP was read (主机规划!I19 in the template).
    pub fn vip_cell(&self) -> String {
        self.cell(layout::hosts::cluster::VIP)
    }

    /// Where the Fisheye admin password was read (主机规划!M19 in the template).
    pub fn fisheye_password_cell(&self) -> String {
        self.cell(layout::hosts::cluster::FISHEYE_PASSWORD)
    }

    /// The `Cluster SN` value cell the serial was read from and goes back
    /// into (主机规划!E19 in the template).
    pub fn serial_cell(&self) -> String {
        self.cell(layout::hosts::cluster::SERIAL)
    }

    /// Where the network architecture was read: the row under the cluster
    /// row (主机规划!Q20 in the template).
    pub fn network_architecture_cell(&self) -> String {
        layout::location(
            layout::hosts::SHEET,
            layout::hosts::cluster::ARCHITECTURE,
            self.row + 1,
        )
    }
}

impl Serialize for ClusterPlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        checked_entry(&mut map, &self.invalid, "vip", &self.vip)?;
        map.serialize_entry("network_architecture", &self.network_architecture)?;
        map.serialize_entry("storage_architecture", &self.storage_architecture)?;
        map.serialize_entry("serial", &self.serial)?;
        map.end()
    }
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

#[derive(Debug, Clone)]
pub struct VdsPlan {
    /// Its row on 虚拟网络 (4 management, 6 storage, 8 business in the
    /// template), for messages.
    pub row: u32,
    pub name: String,
    pub nics: Vec<String>,
    pub bond_mode: BondMode,
    /// `bond_mode` when its cell did not parse.
    pub invalid: InvalidCells,
}

impl Serialize for VdsPlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("nics", &self.nics)?;
        checked_entry(&mut map, &self.invalid, "bond_mode", &self.bond_mode)?;
        map.end()
    }
}

impl VdsPlan {
    /// `虚拟网络!<column><row>` of this switch's row.
    pub fn cell(&self, column: &str) -> String {
        layout::location(layout::network::SHEET, column, self.row)
    }

    /// Where the switch is named (虚拟网络!C4 for the management VDS).
    pub fn name_cell(&self) -> String {
        self.cell(layout::network::VDS_NAME)
    }

    /// Where its host NICs are listed (虚拟网络!J8 for the business VDS).
    pub fn nics_cell(&self) -> String {
        self.cell(layout::network::NICS)
    }
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

#[derive(Debug, Clone)]
pub struct NetworkPlan {
    pub name: String,
    pub vlan_id: u16,
    pub subnet: Option<Ipv4Subnet>,
    pub gateway: Option<Ipv4Addr>,
    /// Workbook row on 虚拟网络, for messages.
    pub row: u32,
    /// `vlan_id`, `subnet`, `gateway` when their cells did not parse.
    pub invalid: InvalidCells,
}

impl Serialize for NetworkPlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("name", &self.name)?;
        checked_entry(&mut map, &self.invalid, "vlan_id", &self.vlan_id)?;
        checked_entry(&mut map, &self.invalid, "subnet", &self.subnet)?;
        checked_entry(&mut map, &self.invalid, "gateway", &self.gateway)?;
        map.serialize_entry("row", &self.row)?;
        map.end()
    }
}

impl NetworkPlan {
    /// `虚拟网络!<column><row>` of this network's row.
    pub fn cell(&self, column: &str) -> String {
        layout::location(layout::network::SHEET, column, self.row)
    }

    /// Where the network is named.
    pub fn name_cell(&self) -> String {
        self.cell(layout::network::NETWORK_NAME)
    }

    /// Where its VLAN ID was read.
    pub fn vlan_cell(&self) -> String {
        self.cell(layout::network::VLAN_ID)
    }
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

#[derive(Debug, Clone)]
pub struct HostPlan {
    /// Workbook row on 主机规划 (3..=18 in the template, further down where
    /// rows were inserted), for messages.
    pub row: u32,
    pub hostname: String,
    pub management_ip: Ipv4Addr,
    pub storage_ip: Option<Ipv4Addr>,
    pub bmc: BmcPlan,
    /// Host login user for SSH (主机规划!J, default `smartx`).
    pub ssh_user: String,
    /// Target password for `ssh_user` (主机规划!K).
    pub ssh_password: Secret,
    /// Target password for `root` (主机规划!M; K when empty).
    pub root_password: Secret,
    /// `management_ip`, `storage_ip` when their cells did not parse.
    pub invalid: InvalidCells,
}

impl Serialize for HostPlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("row", &self.row)?;
        map.serialize_entry("hostname", &self.hostname)?;
        checked_entry(
            &mut map,
            &self.invalid,
            "management_ip",
            &self.management_ip,
        )?;
        checked_entry(&mut map, &self.invalid, "storage_ip", &self.storage_ip)?;
        map.serialize_entry("bmc", &self.bmc)?;
        map.serialize_entry("ssh_user", &self.ssh_user)?;
        map.end()
    }
}

impl HostPlan {
    /// `主机规划!<column><row>` of this host's row.
    pub fn cell(&self, column: &str) -> String {
        layout::location(layout::hosts::SHEET, column, self.row)
    }

    pub fn hostname_cell(&self) -> String {
        self.cell(layout::hosts::HOSTNAME)
    }

    pub fn management_ip_cell(&self) -> String {
        self.cell(layout::hosts::MANAGEMENT_IP)
    }

    /// Where its BMC address was read.
    pub fn bmc_cell(&self) -> String {
        self.cell(layout::hosts::BMC_IP)
    }

    /// Its BMC address, user and password (主机规划!E5:G5).
    pub fn bmc_cells(&self) -> String {
        format!(
            "{}:{}",
            self.bmc_cell(),
            layout::cell(layout::hosts::BMC_PASSWORD, self.row)
        )
    }

    /// Its SSH user's and root's passwords (主机规划!K5, 主机规划!M5).
    pub fn password_cells(&self) -> String {
        format!(
            "{}, {}",
            self.cell(layout::hosts::SSH_PASSWORD),
            self.cell(layout::hosts::ROOT_PASSWORD)
        )
    }
}

#[derive(Debug, Clone)]
pub struct BmcPlan {
    pub ip: Option<Ipv4Addr>,
    pub user: String,
    pub password: Secret,
    /// `ip` when its cell did not parse.
    pub invalid: InvalidCells,
}

impl Serialize for BmcPlan {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        checked_entry(&mut map, &self.invalid, "ip", &self.ip)?;
        map.serialize_entry("user", &self.user)?;
        map.end()
    }
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
    /// What is wrong, in either language (its English in JSON).
    pub message: crate::Problem,
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

impl smtx_i18n::Localize for Diagnostic {
    fn localize(&self, lang: smtx_i18n::Lang) -> String {
        match lang {
            smtx_i18n::Lang::En => self.to_string(),
            smtx_i18n::Lang::ZhCn => format!(
                "{}：{}（{}）：{}",
                match self.severity {
                    Severity::Warning => "警告",
                    Severity::Error => "错误",
                },
                self.location,
                crate::messages::field_name(&self.field, lang),
                self.message.localize(lang)
            ),
        }
    }
}
