//! Fixture builder: writes workbooks in the real template's layout (the four
//! sheets that matter, their labels and cell positions) so tests and the demo
//! can make any case — valid, broken, odd number formats, formulas without a
//! cached value — without committing binary files.
//!
//! Every value is a plain `String` (or a [`FixtureCell`]) on purpose: tests
//! must be able to write what a user might type, including invalid values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Formula, Workbook};

use crate::cell::{CellRef, SheetCell};
use crate::layout;

/// Everything the fixture writes. Build one with [`WorkbookSpec::example`]
/// and change the fields a test cares about.
#[derive(Debug, Clone)]
pub struct WorkbookSpec {
    pub cluster_name: String,
    pub vip: String,
    pub network_architecture: String,
    pub management_vds: VdsSpec,
    pub storage_vds: VdsSpec,
    pub backup_vds: Option<VdsSpec>,
    pub business_vds: Option<VdsSpec>,
    pub business_networks: Vec<NetworkSpec>,
    pub hosts: Vec<HostSpec>,
    pub ntp_servers: Vec<String>,
    pub dns_servers: Vec<String>,
    pub fisheye_user: String,
    pub fisheye_password: String,
    pub serial: String,
    /// `(sheet!cell, value)`, applied last, for odd cases (an `Empty` removes
    /// the cell).
    pub overrides: Vec<(String, FixtureCell)>,
    /// Sheets to leave out entirely, e.g. to test a missing `主机规划`.
    pub omit_sheets: Vec<String>,
    /// Protect the four sheets like the template does (default true).
    pub protect_sheets: bool,
}

#[derive(Debug, Clone)]
pub struct VdsSpec {
    pub name: String,
    /// As typed in the cell, e.g. `"ens225,ens257"`.
    pub nics: String,
    pub bond_mode: String,
}

#[derive(Debug, Clone)]
pub struct NetworkSpec {
    pub name: String,
    pub vlan_id: FixtureCell,
    pub subnet: String,
    pub gateway: String,
}

#[derive(Debug, Clone)]
pub struct HostSpec {
    pub bmc_ip: String,
    pub bmc_user: String,
    pub bmc_password: String,
    pub hostname: String,
    pub management_ip: String,
    pub ssh_user: String,
    pub ssh_password: String,
    pub root_password: String,
    pub storage_ip: String,
}

impl HostSpec {
    /// A row with nothing typed in (not a host).
    pub fn blank() -> Self {
        Self {
            bmc_ip: String::new(),
            bmc_user: String::new(),
            bmc_password: String::new(),
            hostname: String::new(),
            management_ip: String::new(),
            ssh_user: String::new(),
            ssh_password: String::new(),
            root_password: String::new(),
            storage_ip: String::new(),
        }
    }
}

impl NetworkSpec {
    /// A row with nothing typed in (not a network).
    pub fn blank() -> Self {
        Self {
            name: String::new(),
            vlan_id: FixtureCell::Empty,
            subnet: String::new(),
            gateway: String::new(),
        }
    }
}

/// One cell's content.
#[derive(Debug, Clone, PartialEq)]
pub enum FixtureCell {
    Empty,
    Text(String),
    Number(f64),
    /// `formula` with or without the leading `=`. `cached: None` writes an
    /// empty cached value, as a file saved by openpyxl has.
    Formula {
        formula: String,
        cached: Option<String>,
    },
}

impl FixtureCell {
    /// `Text`, or `Empty` for an empty string (what a blank cell is).
    pub fn text(value: impl Into<String>) -> Self {
        let value = value.into();
        if value.is_empty() {
            Self::Empty
        } else {
            Self::Text(value)
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("fixture override {location:?}: not a sheet!cell location")]
    BadLocation { location: String },
    #[error("fixture: more than {max} hosts do not fit a worksheet", max = u16::MAX)]
    TooManyHosts,
    #[error("fixture: rewriting the xlsx package failed: {0}")]
    Zip(String),
    #[error("fixture: writing the xlsx failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("fixture: cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "fixture: {location} is not a cell of the workbook (only existing cells can be edited)"
    )]
    NoSuchCell { location: String },
}

impl WorkbookSpec {
    /// A realistic, valid workbook like the template's example, with `hosts`
    /// hosts (the template holds 1..=16; more shifts the cluster rows down as
    /// a user inserting rows would, which the reader reports as an error).
    pub fn example(hosts: usize) -> Self {
        let hosts = (1..=hosts)
            .map(|n| HostSpec {
                bmc_ip: format!("10.0.19.{}", 10 + n),
                bmc_user: "ADMIN".to_string(),
                bmc_password: "Bmc#Pass!23".to_string(),
                hostname: format!("node-{n:02}"),
                management_ip: format!("10.0.20.{}", 10 + n),
                ssh_user: "smartx".to_string(),
                ssh_password: "Sm@rtX&2025<new>".to_string(),
                root_password: "R00t$\"quote\"'!".to_string(),
                storage_ip: format!("10.0.21.{}", 10 + n),
            })
            .collect();
        Self {
            cluster_name: "CN-BJ-SMTX-Prod-Cls01".to_string(),
            vip: "10.0.20.10".to_string(),
            network_architecture: "三网独立".to_string(),
            management_vds: VdsSpec {
                name: "vDS-MgMt-Network".to_string(),
                nics: "ens224,ens192".to_string(),
                bond_mode: "active-backup".to_string(),
            },
            storage_vds: VdsSpec {
                name: "vDS-Storage-Network".to_string(),
                nics: "ens256,ens161".to_string(),
                bond_mode: "active-backup".to_string(),
            },
            backup_vds: None,
            business_vds: Some(VdsSpec {
                name: "vDS-Prod-Network".to_string(),
                nics: "ens225,ens257".to_string(),
                bond_mode: "balance-slb".to_string(),
            }),
            business_networks: (0..3)
                .map(|i| NetworkSpec {
                    name: format!("VLAN-{}", 1120 + i),
                    vlan_id: FixtureCell::Number(f64::from(1120 + i)),
                    subnet: format!("10.1.{}.0/24", 20 + i),
                    gateway: format!("10.1.{}.1", 20 + i),
                })
                .collect(),
            hosts,
            ntp_servers: vec!["10.0.0.2".to_string(), "ntp.example.com".to_string()],
            dns_servers: vec!["10.0.0.114".to_string(), "10.0.0.1".to_string()],
            fisheye_user: "root".to_string(),
            fisheye_password: "Fish&Eye<2025>!".to_string(),
            serial: String::new(),
            overrides: Vec::new(),
            omit_sheets: Vec::new(),
            protect_sheets: true,
        }
    }

    /// [`example`](Self::example) as a 存储独立 site fills it in: management
    /// and business share a switch, so the business-VDS row of 虚拟网络 (C8,
    /// J8, K8) is left empty while the business networks (D8…) are there.
    pub fn storage_separate(hosts: usize) -> Self {
        Self {
            network_architecture: "存储独立".to_string(),
            business_vds: None,
            ..Self::example(hosts)
        }
    }

    /// [`example`](Self::example) with its values away from the template's
    /// positions, as a site leaves a copy: two host rows inserted above the
    /// cluster row (so it is row 21), hosts on rows 3, 4 and 20, the one
    /// business network (VLAN-1120, ID 1124) on row 12, DNS only in its
    /// second cell (E26), NTP only in its third (E24).
    pub fn example_moved() -> Self {
        let mut spec = Self::example(3);
        let third = spec.hosts.pop();
        spec.hosts
            .resize_with(layout::hosts::MAX_HOSTS + 1, HostSpec::blank);
        spec.hosts.extend(third);
        let network = spec.business_networks.drain(..).next();
        spec.business_networks = (0..4).map(|_| NetworkSpec::blank()).collect();
        spec.business_networks
            .extend(network.map(|network| NetworkSpec {
                vlan_id: FixtureCell::Number(1124.0),
                ..network
            }));
        spec.dns_servers = vec![String::new(), "10.0.0.1".to_string()];
        spec.ntp_servers = vec![String::new(), String::new(), "10.0.0.2".to_string()];
        spec
    }

    /// Adds an override (`sheet!cell`), for chaining in tests.
    pub fn with_cell(mut self, location: &str, value: FixtureCell) -> Self {
        self.overrides.push((location.to_string(), value));
        self
    }

    pub fn to_xlsx_bytes(&self) -> Result<Vec<u8>, FixtureError> {
        let cells = self.cells()?;
        let mut workbook = Workbook::new();
        for sheet in layout::SHEETS {
            if self.omit_sheets.iter().any(|s| s == sheet) {
                continue;
            }
            let worksheet = workbook.add_worksheet();
            worksheet.set_name(sheet)?;
            for (at, value) in cells.iter().filter(|(at, _)| at.sheet == sheet) {
                let col = u16::try_from(at.cell.col).map_err(|_| FixtureError::TooManyHosts)?;
                let row = at.cell.row;
                match value {
                    FixtureCell::Empty => {}
                    FixtureCell::Text(text) => {
                        worksheet.write_string(row, col, text)?;
                    }
                    FixtureCell::Number(number) => {
                        worksheet.write_number(row, col, *number)?;
                    }
                    FixtureCell::Formula { formula, cached } => {
                        let result = cached.as_deref().unwrap_or(NO_CACHED_VALUE);
                        let formula = Formula::new(formula).set_result(result);
                        worksheet.write_formula(row, col, formula)?;
                    }
                }
            }
            if self.protect_sheets {
                worksheet.protect();
            }
        }
        let bytes = workbook.save_to_buffer()?;
        strip_cached_values(&bytes)
    }

    pub fn write_to(&self, path: &Path) -> Result<(), FixtureError> {
        let bytes = self.to_xlsx_bytes()?;
        std::fs::write(path, bytes).map_err(|source| FixtureError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Every cell to write, keyed by location, overrides applied.
    fn cells(&self) -> Result<BTreeMap<SheetCell, FixtureCell>, FixtureError> {
        let mut cells = Cells::default();
        self.document_sheet(&mut cells);
        self.network_sheet(&mut cells);
        self.host_sheet(&mut cells)?;
        self.management_sheet(&mut cells);
        for (location, value) in &self.overrides {
            let at = SheetCell::parse(location).ok_or_else(|| FixtureError::BadLocation {
                location: location.clone(),
            })?;
            cells.0.insert(at, value.clone());
        }
        Ok(cells.0.into_iter().collect())
    }

    fn document_sheet(&self, cells: &mut Cells) {
        use layout::document::*;
        for (row, label, value) in [
            (CUSTOMER_ROW, "客户名称：", "八九实验室"),
            (PROJECT_ROW, "项目名称：", "超融合项目"),
            (DATA_CENTER_ROW, "数据中心名称：", "C89-LAB"),
        ] {
            cells.text(SHEET, &layout::cell(LABEL_COLUMN, row), label);
            cells.text(SHEET, &layout::cell(VALUE_COLUMN, row), value);
        }
        for (col, label) in
            VERSION_HEADER_COLUMNS
                .iter()
                .zip(["版本日期", "版本", "作者", "联系电话", "变更记录"])
        {
            cells.text(SHEET, &layout::cell(col, VERSION_HEADER_ROW), label);
        }
    }

    /// Every sheet's `B1`: the customer and project, then the sheet's title.
    fn title(cells: &mut Cells, sheet: &str, title: &str) {
        use layout::document as doc;
        let customer = layout::location(doc::SHEET, doc::VALUE_COLUMN, doc::CUSTOMER_ROW);
        let project = layout::location(doc::SHEET, doc::VALUE_COLUMN, doc::PROJECT_ROW);
        cells.formula(
            sheet,
            &layout::cell(layout::TITLE_COLUMN, layout::TITLE_ROW),
            &format!("={customer}&\"-\"&{project}&\"{title}\""),
            Some(&format!("八九实验室-超融合项目{title}")),
        );
    }

    fn network_sheet(&self, cells: &mut Cells) {
        use layout::network::{self as n, SHEET as sheet};
        Self::title(cells, sheet, "-SMTX 平台虚拟交换机规划");
        let headers = [
            (n::CLUSTER_NAME_COLUMN, "集群名称"),
            (n::VDS_NAME, "虚拟交换机"),
            (n::NETWORK_NAME, "虚拟网络"),
            (n::PURPOSE, "网络功能说明"),
            (n::VLAN_ID, "VLAN ID"),
            (n::VLAN_TYPE, "VLAN类型"),
            (n::SUBNET, "SubNetwork"),
            (n::GATEWAY, "Gateway"),
            (n::NICS, "主机端口"),
            (n::BOND_MODE, "网口绑定模式"),
        ];
        for (col, label) in headers {
            cells.text(sheet, &layout::cell(col, n::HEADER_ROW), label);
        }
        let at = |col: &str, row: u32| layout::cell(col, row);
        cells.text(
            sheet,
            &at(n::CLUSTER_NAME_COLUMN, n::CLUSTER_NAME_ROW),
            &self.cluster_name,
        );
        cells.text(sheet, &at(n::VDS_NAME, n::IPMI_ROW), "（IPMI）");
        cells.text(sheet, &at(n::NETWORK_NAME, n::IPMI_ROW), "（IPMI）");

        let vds_row = |cells: &mut Cells, row: u32, vds: &VdsSpec| {
            cells.text(sheet, &at(n::VDS_NAME, row), &vds.name);
            cells.text(sheet, &at(n::NICS, row), &vds.nics);
            cells.text(sheet, &at(n::BOND_MODE, row), &vds.bond_mode);
        };
        let access_row = |cells: &mut Cells, row: u32, name: &str| {
            cells.text(sheet, &at(n::NETWORK_NAME, row), name);
            cells.set(sheet, &at(n::VLAN_ID, row), FixtureCell::Number(0.0));
            cells.text(sheet, &at(n::VLAN_TYPE, row), "Access");
        };
        vds_row(cells, n::MANAGEMENT_ROW, &self.management_vds);
        access_row(cells, n::MANAGEMENT_ROW, "default");
        if let Some(subnet) = self.management_subnet() {
            cells.text(
                sheet,
                &at(n::SUBNET, n::MANAGEMENT_ROW),
                &format!("{subnet}.0/24"),
            );
            cells.text(
                sheet,
                &at(n::GATEWAY, n::MANAGEMENT_ROW),
                &format!("{subnet}.1"),
            );
        }
        cells.text(
            sheet,
            &at(n::NETWORK_NAME, n::EXTRA_MANAGEMENT_ROW),
            "Infra-network",
        );
        vds_row(cells, n::STORAGE_ROW, &self.storage_vds);
        access_row(cells, n::STORAGE_ROW, "storage-network");
        cells.text(sheet, &at(n::NETWORK_NAME, n::BACKUP_ROW), "backup-network");
        if let Some(backup) = &self.backup_vds {
            vds_row(cells, n::BACKUP_ROW, backup);
        }
        if let Some(business) = &self.business_vds {
            vds_row(cells, n::BUSINESS_VDS_ROW, business);
        }
        for (row, network) in (n::BUSINESS_FIRST_ROW..).zip(&self.business_networks) {
            cells.text(sheet, &at(n::NETWORK_NAME, row), &network.name);
            cells.set(sheet, &at(n::VLAN_ID, row), network.vlan_id.clone());
            cells.text(sheet, &at(n::VLAN_TYPE, row), "Access");
            cells.text(sheet, &at(n::SUBNET, row), &network.subnet);
            cells.text(sheet, &at(n::GATEWAY, row), &network.gateway);
        }
        cells.text(
            sheet,
            &at(n::CLUSTER_NAME_COLUMN, n::NOTE_ROW),
            "请注意：当前仅支持“管理&业务融合、存储独立”与“三网独立”两种网络部署模型。",
        );
    }

    /// `10.0.20` from the VIP or the first host, for the management row.
    fn management_subnet(&self) -> Option<String> {
        let ip = if self.vip.is_empty() {
            self.hosts.first().map(|h| h.management_ip.as_str())?
        } else {
            self.vip.as_str()
        };
        let (prefix, _) = ip.rsplit_once('.')?;
        Some(prefix.to_string())
    }

    fn host_sheet(&self, cells: &mut Cells) -> Result<(), FixtureError> {
        use layout::hosts::{self as h, SHEET as sheet, cluster};
        Self::title(cells, sheet, "-SMTX 集群节点管理地址规划");
        let headers = [
            (h::NUMBER, "序号"),
            (h::CLUSTER_NAME, "集群名称"),
            (h::DEVICE_SN, "设备S/N"),
            (h::BMC_IP, "带外地址"),
            (h::BMC_USER, "带外账号"),
            (h::BMC_PASSWORD, "带外密码"),
            (h::HOSTNAME, "主机名"),
            (h::MANAGEMENT_IP, "管理地址"),
            (h::SSH_USER, "SSH 用户名"),
            (h::SSH_PASSWORD, "密码"),
            (h::ROOT_USER, "管理员账号"),
            (h::ROOT_PASSWORD, "密码"),
            (h::STORAGE_IP, "存储IP"),
            (h::PURPOSE, "功能描述"),
        ];
        for (col, label) in headers {
            cells.text(sheet, &layout::cell(col, h::HEADER_ROW), label);
        }
        let cached = (!self.cluster_name.is_empty()).then_some(self.cluster_name.as_str());
        cells.formula(
            sheet,
            &layout::cell(h::CLUSTER_NAME, h::FIRST_ROW),
            &format!("={}", layout::network::cluster_name_location()),
            cached,
        );

        // The template has 16 host rows; more hosts push the cluster rows
        // down, as inserting rows in Excel would.
        let host_rows = self.hosts.len().max(h::MAX_HOSTS);
        let host_rows = u32::try_from(host_rows).map_err(|_| FixtureError::TooManyHosts)?;
        if host_rows > u32::from(u16::MAX) {
            return Err(FixtureError::TooManyHosts);
        }
        for index in 0..host_rows {
            let row = h::FIRST_ROW + index;
            cells.set(
                sheet,
                &layout::cell(h::NUMBER, row),
                FixtureCell::Number(f64::from(index + 1)),
            );
            // Pre-filled on every row of the template, host or not.
            cells.text(sheet, &layout::cell(h::SSH_USER, row), "smartx");
            cells.text(sheet, &layout::cell(h::ROOT_USER, row), "root");
            cells.text(
                sheet,
                &layout::cell(h::PURPOSE, row),
                &format!("SmartX管理集群Node{}", index + 1),
            );
        }
        for (row, host) in (h::FIRST_ROW..).zip(&self.hosts) {
            for (col, value) in [
                (h::BMC_IP, &host.bmc_ip),
                (h::BMC_USER, &host.bmc_user),
                (h::BMC_PASSWORD, &host.bmc_password),
                (h::HOSTNAME, &host.hostname),
                (h::MANAGEMENT_IP, &host.management_ip),
                (h::SSH_USER, &host.ssh_user),
                (h::SSH_PASSWORD, &host.ssh_password),
                (h::ROOT_PASSWORD, &host.root_password),
                (h::STORAGE_IP, &host.storage_ip),
            ] {
                cells.set(
                    sheet,
                    &layout::cell(col, row),
                    FixtureCell::text(value.as_str()),
                );
            }
        }
        let cluster_row = h::FIRST_ROW + host_rows;
        let arch_row = cluster_row + 1;
        let row_cells = [
            (cluster::VERSION, cluster_row, "版本:6.2.0P4"),
            (cluster::LABEL, cluster_row, h::SERIAL_LABEL),
            (cluster::SERIAL, cluster_row, self.serial.as_str()),
            (cluster::VIP_LABEL, cluster_row, "集群VIP"),
            (cluster::VIP, cluster_row, self.vip.as_str()),
            (cluster::ADMIN_LABEL, cluster_row, "集群管理员"),
            (
                cluster::FISHEYE_USER,
                cluster_row,
                self.fisheye_user.as_str(),
            ),
            (
                cluster::FISHEYE_PASSWORD,
                cluster_row,
                self.fisheye_password.as_str(),
            ),
            (cluster::FEATURES_LABEL, cluster_row, "集群功能启用"),
            (cluster::FEATURES, cluster_row, "Boost"),
            (cluster::ARCHITECTURE_LABEL, cluster_row, "存储架构"),
            (cluster::ARCHITECTURE, cluster_row, "混闪-分层"),
            (cluster::ARCHITECTURE_LABEL, arch_row, "网络架构"),
            (
                cluster::ARCHITECTURE,
                arch_row,
                self.network_architecture.as_str(),
            ),
        ];
        for (col, row, value) in row_cells {
            cells.text(sheet, &layout::cell(col, row), value);
        }
        Ok(())
    }

    fn management_sheet(&self, cells: &mut Cells) {
        use layout::management::*;
        Self::title(cells, SHEET, "SMTX OS 架构平台管理规划");
        for (col, label) in [
            (NAME_COLUMN, "基础架构设备名称"),
            (NOTE_COLUMN, "技术说明"),
            (KIND_COLUMN, "类别"),
            (ADDRESS_COLUMN, "IP地址"),
        ] {
            cells.text(SHEET, &layout::cell(col, HEADER_ROW), label);
        }
        for (rows, label, servers) in [
            (NTP_ROWS, "NTP Server", &self.ntp_servers),
            (DNS_ROWS, "DNS Server", &self.dns_servers),
        ] {
            for (index, row) in rows.clone().enumerate() {
                cells.text(
                    SHEET,
                    &layout::cell(NAME_COLUMN, row),
                    &format!("{label}{}", index + 1),
                );
            }
            for (row, server) in rows.zip(servers) {
                cells.text(SHEET, &layout::cell(ADDRESS_COLUMN, row), server);
            }
        }
    }
}

/// Edits cells of an existing workbook (the real template, say) as a user
/// would in Excel: `Some(text)` types text into the cell, `None` clears it;
/// its style stays. Every other entry of the package is copied unchanged.
/// Only cells present in the sheet can be edited (the template has a styled
/// cell everywhere a value goes).
pub fn edit_cells(bytes: &[u8], edits: &[(&str, Option<&str>)]) -> Result<Vec<u8>, FixtureError> {
    use std::io::{Cursor, Read, Write};

    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let read = |archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str| {
        let mut text = String::new();
        archive
            .by_name(name)
            .map_err(zip_error)?
            .read_to_string(&mut text)
            .map_err(|source| FixtureError::Io {
                path: PathBuf::from(name),
                source,
            })?;
        Ok::<_, FixtureError>(text)
    };
    let workbook = read(&mut archive, "xl/workbook.xml")?;
    let rels = read(&mut archive, "xl/_rels/workbook.xml.rels")?;
    let mut by_entry: BTreeMap<String, Vec<CellEdit<'_>>> = BTreeMap::new();
    for (location, value) in edits {
        let bad = || FixtureError::NoSuchCell {
            location: (*location).to_string(),
        };
        let at = SheetCell::parse(location).ok_or_else(bad)?;
        let entry = sheet_entry(&workbook, &rels, &at.sheet).ok_or_else(bad)?;
        by_entry
            .entry(entry)
            .or_default()
            .push((at.cell, *value, location));
    }
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .map_err(|source| FixtureError::Io {
                path: PathBuf::from(&name),
                source,
            })?;
        if let Some(cells) = by_entry.get(&name) {
            let mut xml = String::from_utf8_lossy(&content).into_owned();
            for (cell, value, location) in cells {
                xml = edit_cell(&xml, &cell.to_string(), *value).ok_or_else(|| {
                    FixtureError::NoSuchCell {
                        location: (*location).to_string(),
                    }
                })?;
            }
            content = xml.into_bytes();
        }
        writer
            .start_file(name.as_str(), options)
            .map_err(zip_error)?;
        writer
            .write_all(&content)
            .map_err(|source| FixtureError::Io {
                path: PathBuf::from(&name),
                source,
            })?;
    }
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}

/// One edit of [`edit_cells`]: the cell, its new text (`None` clears it),
/// and the `sheet!cell` it was asked as, for errors.
type CellEdit<'a> = (CellRef, Option<&'a str>, &'a str);

/// `xl/worksheets/sheetN.xml` of the sheet named `sheet`.
fn sheet_entry(workbook: &str, rels: &str, sheet: &str) -> Option<String> {
    // `tag` starts right after the element name: its first attribute has no
    // space before it.
    let attribute = |tag: &str, name: &str| -> Option<String> {
        let tag = format!(" {tag}");
        let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = start + tag[start..].find('"')?;
        Some(tag[start..end].to_string())
    };
    let id = workbook
        .split("<sheet ")
        .skip(1)
        .find(|tag| attribute(tag, "name").as_deref() == Some(sheet))
        .and_then(|tag| attribute(tag, "r:id"))?;
    let target = rels
        .split("<Relationship ")
        .skip(1)
        .find(|tag| attribute(tag, "Id").as_deref() == Some(id.as_str()))
        .and_then(|tag| attribute(tag, "Target"))?;
    let target = target.trim_start_matches('/');
    Some(if target.starts_with("xl/") {
        target.to_string()
    } else {
        format!("xl/{target}")
    })
}

/// The sheet XML with cell `reference` holding inline text, or cleared.
fn edit_cell(xml: &str, reference: &str, value: Option<&str>) -> Option<String> {
    let open = format!("<c r=\"{reference}\"");
    let start = xml
        .match_indices(&open)
        .map(|(index, _)| index)
        .find(|index| {
            matches!(
                xml.as_bytes().get(index + open.len()),
                Some(b' ' | b'>' | b'/')
            )
        })?;
    let head_end = start + xml[start..].find('>')?;
    let self_closing = xml.as_bytes().get(head_end - 1) == Some(&b'/');
    let end = if self_closing {
        head_end + 1
    } else {
        head_end + xml[head_end..].find("</c>")? + "</c>".len()
    };
    let style = xml[start..head_end]
        .split_once(" s=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(style, _)| format!(" s=\"{style}\""))
        .unwrap_or_default();
    let cell = match value {
        None => format!("<c r=\"{reference}\"{style}/>"),
        Some(text) => {
            let escaped = text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            format!(
                "<c r=\"{reference}\"{style} t=\"inlineStr\"><is><t xml:space=\"preserve\">{escaped}</t></is></c>"
            )
        }
    };
    Some(format!("{}{cell}{}", &xml[..start], &xml[end..]))
}

/// Marks a formula written without a cached value. rust_xlsxwriter always
/// writes one (`0` by default), so [`strip_cached_values`] removes it after.
const NO_CACHED_VALUE: &str = "SMTX-FIXTURE-NO-CACHED-VALUE";

/// Rewrites formula cells carrying [`NO_CACHED_VALUE`] as openpyxl saves
/// them: `<c r="C3"><f>…</f><v/></c>`, no type, no value.
fn strip_cached_values(bytes: &[u8]) -> Result<Vec<u8>, FixtureError> {
    use std::io::{Cursor, Read, Write};

    let marker = format!("<v>{NO_CACHED_VALUE}</v>");
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let mut content = Vec::new();
        entry
            .read_to_end(&mut content)
            .map_err(|source| FixtureError::Io {
                path: PathBuf::from(&name),
                source,
            })?;
        if let Ok(text) = std::str::from_utf8(&content)
            && text.contains(&marker)
        {
            content = strip_marker(text, &marker).into_bytes();
        }
        writer
            .start_file(name.as_str(), options)
            .map_err(zip_error)?;
        writer
            .write_all(&content)
            .map_err(|source| FixtureError::Io {
                path: PathBuf::from(&name),
                source,
            })?;
    }
    Ok(writer.finish().map_err(zip_error)?.into_inner())
}

fn strip_marker(text: &str, marker: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = rest.find(marker) {
        let (before, after) = rest.split_at(found);
        // Drop the string type of this cell: there is no value to type.
        match before.rfind("<c ") {
            Some(start) => {
                let (head, cell) = before.split_at(start);
                out.push_str(head);
                out.push_str(&cell.replacen(" t=\"str\"", "", 1));
            }
            None => out.push_str(before),
        }
        out.push_str("<v/>");
        rest = &after[marker.len()..];
    }
    out.push_str(rest);
    out
}

fn zip_error(error: zip::result::ZipError) -> FixtureError {
    FixtureError::Zip(error.to_string())
}

/// The cells being assembled; later writes win.
#[derive(Debug, Default)]
struct Cells(BTreeMap<SheetCell, FixtureCell>);

impl Cells {
    fn set(&mut self, sheet: &str, cell: &str, value: FixtureCell) {
        // Every address here is a literal or built from layout constants.
        if let Some(cell) = CellRef::parse(cell) {
            let at = SheetCell::new(sheet, cell);
            if value == FixtureCell::Empty {
                self.0.remove(&at);
            } else {
                self.0.insert(at, value);
            }
        }
    }

    fn text(&mut self, sheet: &str, cell: &str, value: &str) {
        self.set(sheet, cell, FixtureCell::text(value));
    }

    fn formula(&mut self, sheet: &str, cell: &str, formula: &str, cached: Option<&str>) {
        self.set(
            sheet,
            cell,
            FixtureCell::Formula {
                formula: formula.to_string(),
                cached: cached.map(str::to_string),
            },
        );
    }
}
