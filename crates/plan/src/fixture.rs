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
        let sheet = layout::DOCUMENT_SHEET;
        cells.text(sheet, "B15", "客户名称：");
        cells.text(sheet, "C15", "八九实验室");
        cells.text(sheet, "B16", "项目名称：");
        cells.text(sheet, "C16", "超融合项目");
        cells.text(sheet, "B17", "数据中心名称：");
        cells.text(sheet, "C17", "C89-LAB");
        for (col, label) in ["B", "C", "D", "E", "F"].iter().zip([
            "版本日期",
            "版本",
            "作者",
            "联系电话",
            "变更记录",
        ]) {
            cells.text(sheet, &format!("{col}18"), label);
        }
    }

    fn network_sheet(&self, cells: &mut Cells) {
        let sheet = layout::NETWORK_SHEET;
        cells.formula(
            sheet,
            "B1",
            "=文档描述!C15&\"-\"&文档描述!C16&\"-SMTX 平台虚拟交换机规划\"",
            Some("八九实验室-超融合项目-SMTX 平台虚拟交换机规划"),
        );
        let headers = [
            ("B2", "集群名称"),
            ("C2", "虚拟交换机"),
            ("D2", "虚拟网络"),
            ("E2", "网络功能说明"),
            ("F2", "VLAN ID"),
            ("G2", "VLAN类型"),
            ("H2", "SubNetwork"),
            ("I2", "Gateway"),
            ("J2", "主机端口"),
            ("K2", "网口绑定模式"),
        ];
        for (cell, label) in headers {
            cells.text(sheet, cell, label);
        }
        cells.text(sheet, "B3", &self.cluster_name);
        cells.text(sheet, "C3", "（IPMI）");
        cells.text(sheet, "D3", "（IPMI）");

        let vds_row = |cells: &mut Cells, row: u32, vds: &VdsSpec| {
            cells.text(sheet, &format!("C{row}"), &vds.name);
            cells.text(sheet, &format!("J{row}"), &vds.nics);
            cells.text(sheet, &format!("K{row}"), &vds.bond_mode);
        };
        vds_row(cells, 4, &self.management_vds);
        cells.text(sheet, "D4", "default");
        cells.set(sheet, "F4", FixtureCell::Number(0.0));
        cells.text(sheet, "G4", "Access");
        if let Some(subnet) = self.management_subnet() {
            cells.text(sheet, "H4", &format!("{subnet}.0/24"));
            cells.text(sheet, "I4", &format!("{subnet}.1"));
        }
        cells.text(sheet, "D5", "Infra-network");
        vds_row(cells, 6, &self.storage_vds);
        cells.text(sheet, "D6", "storage-network");
        cells.set(sheet, "F6", FixtureCell::Number(0.0));
        cells.text(sheet, "G6", "Access");
        cells.text(sheet, "D7", "backup-network");
        if let Some(backup) = &self.backup_vds {
            vds_row(cells, 7, backup);
        }
        if let Some(business) = &self.business_vds {
            vds_row(cells, 8, business);
        }
        for (row, network) in (layout::BUSINESS_FIRST_ROW..).zip(&self.business_networks) {
            cells.text(sheet, &format!("D{row}"), &network.name);
            cells.set(sheet, &format!("F{row}"), network.vlan_id.clone());
            cells.text(sheet, &format!("G{row}"), "Access");
            cells.text(sheet, &format!("H{row}"), &network.subnet);
            cells.text(sheet, &format!("I{row}"), &network.gateway);
        }
        cells.text(
            sheet,
            "B23",
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
        let sheet = layout::HOST_SHEET;
        cells.formula(
            sheet,
            "B1",
            "=文档描述!C15&\"-\"&文档描述!C16&\"-SMTX 集群节点管理地址规划\"",
            Some("八九实验室-超融合项目-SMTX 集群节点管理地址规划"),
        );
        let headers = [
            ("B2", "序号"),
            ("C2", "集群名称"),
            ("D2", "设备S/N"),
            ("E2", "带外地址"),
            ("F2", "带外账号"),
            ("G2", "带外密码"),
            ("H2", "主机名"),
            ("I2", "管理地址"),
            ("J2", "SSH 用户名"),
            ("K2", "密码"),
            ("L2", "管理员账号"),
            ("M2", "密码"),
            ("N2", "存储IP"),
            ("O2", "功能描述"),
        ];
        for (cell, label) in headers {
            cells.text(sheet, cell, label);
        }
        let cached = (!self.cluster_name.is_empty()).then_some(self.cluster_name.as_str());
        cells.formula(sheet, "C3", "=虚拟网络!B3", cached);

        // The template has 16 host rows; more hosts push the cluster rows
        // down, as inserting rows in Excel would.
        let host_rows = self.hosts.len().max(layout::MAX_HOSTS);
        let host_rows = u32::try_from(host_rows).map_err(|_| FixtureError::TooManyHosts)?;
        if host_rows > u32::from(u16::MAX) {
            return Err(FixtureError::TooManyHosts);
        }
        for index in 0..host_rows {
            let row = layout::HOST_FIRST_ROW + index;
            cells.set(
                sheet,
                &format!("B{row}"),
                FixtureCell::Number(f64::from(index + 1)),
            );
            // Pre-filled on every row of the template, host or not.
            cells.text(sheet, &format!("J{row}"), "smartx");
            cells.text(sheet, &format!("L{row}"), "root");
            cells.text(
                sheet,
                &format!("O{row}"),
                &format!("SmartX管理集群Node{}", index + 1),
            );
        }
        for (row, host) in (layout::HOST_FIRST_ROW..).zip(&self.hosts) {
            for (col, value) in [
                ("E", &host.bmc_ip),
                ("F", &host.bmc_user),
                ("G", &host.bmc_password),
                ("H", &host.hostname),
                ("I", &host.management_ip),
                ("J", &host.ssh_user),
                ("K", &host.ssh_password),
                ("M", &host.root_password),
                ("N", &host.storage_ip),
            ] {
                cells.set(
                    sheet,
                    &format!("{col}{row}"),
                    FixtureCell::text(value.as_str()),
                );
            }
        }
        let cluster_row = layout::HOST_FIRST_ROW + host_rows;
        let arch_row = cluster_row + 1;
        let row_cells = [
            ("C", cluster_row, "版本:6.2.0P4"),
            ("D", cluster_row, layout::SERIAL_LABEL),
            ("E", cluster_row, self.serial.as_str()),
            ("H", cluster_row, "集群VIP"),
            ("I", cluster_row, self.vip.as_str()),
            ("J", cluster_row, "集群管理员"),
            ("L", cluster_row, self.fisheye_user.as_str()),
            ("M", cluster_row, self.fisheye_password.as_str()),
            ("N", cluster_row, "集群功能启用"),
            ("O", cluster_row, "Boost"),
            ("P", cluster_row, "存储架构"),
            ("Q", cluster_row, "混闪-分层"),
            ("P", arch_row, "网络架构"),
            ("Q", arch_row, self.network_architecture.as_str()),
        ];
        for (col, row, value) in row_cells {
            cells.text(sheet, &format!("{col}{row}"), value);
        }
        Ok(())
    }

    fn management_sheet(&self, cells: &mut Cells) {
        let sheet = layout::MANAGEMENT_SHEET;
        cells.formula(
            sheet,
            "B1",
            "=文档描述!C15&\"-\"&文档描述!C16&\"SMTX OS 架构平台管理规划\"",
            Some("八九实验室-超融合项目SMTX OS 架构平台管理规划"),
        );
        for (cell, label) in [
            ("B21", "基础架构设备名称"),
            ("C21", "技术说明"),
            ("D21", "类别"),
            ("E21", "IP地址"),
        ] {
            cells.text(sheet, cell, label);
        }
        for (index, row) in layout::NTP_ROWS.enumerate() {
            cells.text(
                sheet,
                &format!("B{row}"),
                &format!("NTP Server{}", index + 1),
            );
        }
        for (index, row) in layout::DNS_ROWS.enumerate() {
            cells.text(
                sheet,
                &format!("B{row}"),
                &format!("DNS Server{}", index + 1),
            );
        }
        for (row, server) in layout::NTP_ROWS.zip(&self.ntp_servers) {
            cells.text(sheet, &format!("E{row}"), server);
        }
        for (row, server) in layout::DNS_ROWS.zip(&self.dns_servers) {
            cells.text(sheet, &format!("E{row}"), server);
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
