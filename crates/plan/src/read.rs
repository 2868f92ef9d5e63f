//! Reading and validating a workbook: bytes in, a [`Plan`] plus every problem
//! found in one pass out. Workbook problems are [`Diagnostic`]s located to
//! the cell; only a file that cannot be read at all is a [`PlanError`].
//!
//! Reading is forgiving about what spreadsheets do to values: numbers come
//! back as floats or strings, lists are typed with any separator, and a
//! formula saved without its cached value (openpyxl) is followed to the cell
//! it points at.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Cursor;
use std::net::Ipv4Addr;

use calamine::{Data, Range, Reader, Xlsx};
use serde::Serialize;
use smtx_secret::Secret;

use crate::cell::{CellRef, SheetCell};
use crate::layout;
use crate::limits::{self, WorkbookLimits};
use crate::{
    BmcPlan, BondMode, ClusterPlan, Diagnostic, FisheyeAdmin, HostPlan, InvalidCells, Ipv4Subnet,
    NetworkArchitecture, NetworkPlan, Plan, Severity, VdsPlan,
};
use crate::{Problem, VdsRole};

/// A plan plus every problem found, in one pass. When [`has_errors`] is
/// true, the plan's values at the cells in error are placeholders
/// (`0.0.0.0`, VLAN 0, an empty name) and must not be applied; the JSON form
/// shows them as `null` beside the raw text (see [`InvalidCells`]).
///
/// [`has_errors`]: ParsedWorkbook::has_errors
#[derive(Debug, Clone, Serialize)]
pub struct ParsedWorkbook {
    #[serde(flatten)]
    pub plan: Plan,
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedWorkbook {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}

/// The workbook could not be read at all (as opposed to a diagnostic).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error(
        "{file}: sheet {sheet:?} is missing (sheets present: {present}); \
         is this a copy of the SmartX planning workbook (规划设计表)?"
    )]
    MissingSheet {
        file: String,
        sheet: String,
        present: String,
    },
}

/// Parse workbook bytes; `file` names the source in errors.
pub fn parse_workbook(bytes: &[u8], file: &str) -> Result<ParsedWorkbook, PlanError> {
    parse_workbook_with_limits(bytes, file, &WorkbookLimits::DEFAULT)
}

/// [`parse_workbook`] with other bounds than the defaults.
pub fn parse_workbook_with_limits(
    bytes: &[u8],
    file: &str,
    limits: &WorkbookLimits,
) -> Result<ParsedWorkbook, PlanError> {
    let sheets = load_sheets(bytes, file, limits)?;
    let mut reader = PlanReader {
        sheets,
        diagnostics: Vec::new(),
    };
    let plan = reader.read_plan();
    Ok(ParsedWorkbook {
        plan,
        diagnostics: reader.diagnostics,
    })
}

/// The text of one cell (`sheet!cell`, trimmed; `None` when empty or when
/// the sheet does not exist), e.g. what the serial cell holds before a run
/// writes into it.
pub fn cell_text(bytes: &[u8], file: &str, location: &str) -> Result<Option<String>, PlanError> {
    let at = SheetCell::parse(location)
        .ok_or_else(|| unreadable(file, format!("{location:?} is not a sheet!cell location")))?;
    if !bytes.starts_with(ZIP_MAGIC) {
        return Err(unreadable(file, "not an xlsx workbook"));
    }
    let read = || -> Result<Option<String>, PlanError> {
        let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
            .map_err(|error| unreadable(file, format!("not a readable xlsx workbook: {error}")))?;
        if !workbook.sheet_names().contains(&at.sheet) {
            return Ok(None);
        }
        let values = workbook.worksheet_range(&at.sheet).map_err(|error| {
            unreadable(
                file,
                format!("sheet {:?} cannot be read: {error}", at.sheet),
            )
        })?;
        Ok(values
            .get_value((at.cell.row, at.cell.col))
            .map(|data| data_value_as(data, Trim::Yes))
            .and_then(|value| value.text().map(str::to_string)))
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|_| {
        Err(unreadable(
            file,
            "the workbook is damaged (its XML could not be read)",
        ))
    })
}

// ---------------------------------------------------------------------------
// Loading

/// One worksheet's cached values and formulas.
struct Sheet {
    values: Range<Data>,
    formulas: Option<Range<String>>,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// An OLE compound file: an encrypted (password-protected) xlsx, or an old xls.
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn unreadable(file: &str, reason: impl Into<String>) -> PlanError {
    PlanError::Unreadable {
        file: file.to_string(),
        reason: reason.into(),
    }
}

fn load_sheets(
    bytes: &[u8],
    file: &str,
    limits: &WorkbookLimits,
) -> Result<HashMap<String, Sheet>, PlanError> {
    if bytes.is_empty() {
        return Err(unreadable(file, "the file is empty (0 bytes)"));
    }
    if bytes.starts_with(CFB_MAGIC) {
        return Err(unreadable(
            file,
            "the file is password-protected (encrypted) or an old .xls workbook; \
             open it in Excel, remove the password and save it as .xlsx",
        ));
    }
    if !bytes.starts_with(ZIP_MAGIC) {
        return Err(unreadable(
            file,
            "not an xlsx workbook (an xlsx file is a zip archive; this one does not start like one)",
        ));
    }
    // Sizes and counts first: past this point no reader allocates what a
    // header merely claims.
    limits::check_package(bytes, limits).map_err(|error| unreadable(file, error.to_string()))?;
    // calamine can panic on some damaged files (an overflowing cell
    // reference, for one, in a debug build). A damaged workbook is the
    // user's problem to fix, not a crash: turn it into an error.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_with_calamine(bytes, file, limits)
    })) {
        Ok(result) => result,
        Err(_) => Err(unreadable(
            file,
            "the workbook is damaged (its XML could not be read); open it in Excel or WPS and save it again",
        )),
    }
}

fn read_with_calamine(
    bytes: &[u8],
    file: &str,
    limits: &WorkbookLimits,
) -> Result<HashMap<String, Sheet>, PlanError> {
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|error| unreadable(file, format!("not a readable xlsx workbook: {error}")))?;
    let names = workbook.sheet_names();
    let mut sheets = HashMap::new();
    for required in [
        layout::NETWORK_SHEET,
        layout::HOST_SHEET,
        layout::MANAGEMENT_SHEET,
    ] {
        if !names.iter().any(|name| name == required) {
            return Err(PlanError::MissingSheet {
                file: file.to_string(),
                sheet: required.to_string(),
                present: names.join(", "),
            });
        }
    }
    for name in layout::SHEETS {
        if !names.iter().any(|n| n == name) {
            continue;
        }
        let (values, formulas) =
            limits::read_sheet(&mut workbook, name, &format!("sheet {name}"), limits).map_err(
                |error| match error {
                    limits::SheetError::Limit(error) => unreadable(file, error.to_string()),
                    limits::SheetError::Xlsx(error) => {
                        unreadable(file, format!("sheet {name:?} cannot be read: {error}"))
                    }
                },
            )?;
        sheets.insert(name.to_string(), Sheet { values, formulas });
    }
    Ok(sheets)
}

// ---------------------------------------------------------------------------
// Cell values

/// A cell's content, normalised: trimmed text, or empty.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Empty,
    /// Text as typed, or a number rendered without a spurious `.0`.
    Text(String),
}

impl Value {
    fn text(&self) -> Option<&str> {
        match self {
            Self::Empty => None,
            Self::Text(text) => Some(text),
        }
    }
}

fn number_text(number: f64) -> String {
    if number.is_finite() && number.fract() == 0.0 && number.abs() < 1e15 {
        // Integral and in range, so the cast is exact.
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

/// Whether a cell's text is trimmed: every cell is, except passwords, where
/// a space is a character like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trim {
    Yes,
    No,
}

fn data_value_as(data: &Data, trim: Trim) -> Value {
    let text = match data {
        Data::Empty => return Value::Empty,
        // An all-blank cell is empty, whatever the trimming.
        Data::String(text) if text.trim().is_empty() => return Value::Empty,
        Data::String(text) if trim == Trim::No => text.clone(),
        Data::String(text) => text.trim().to_string(),
        Data::Int(number) => number.to_string(),
        Data::Float(number) => number_text(*number),
        Data::Bool(flag) => if *flag { "TRUE" } else { "FALSE" }.to_string(),
        Data::DateTime(date) => number_text(date.as_f64()),
        other => other.to_string(),
    };
    if text.is_empty() {
        Value::Empty
    } else {
        Value::Text(text)
    }
}

/// `虚拟网络!B3`, `'虚拟网络'!$B$3` or `B3` (on `current`): a formula that
/// only points at another cell.
fn formula_reference(formula: &str, current: &str) -> Option<SheetCell> {
    let formula = formula.trim().trim_start_matches('=').trim();
    if formula.contains('!') {
        SheetCell::parse(formula)
    } else {
        CellRef::parse(formula).map(|cell| SheetCell::new(current, cell))
    }
}

struct PlanReader {
    sheets: HashMap<String, Sheet>,
    diagnostics: Vec<Diagnostic>,
}

/// How many formula references to follow before giving up (a loop).
const MAX_REFERENCE_DEPTH: usize = 8;

impl PlanReader {
    fn value(&self, sheet: &str, cell: &str) -> Value {
        self.value_as(sheet, cell, Trim::Yes)
    }

    fn value_as(&self, sheet: &str, cell: &str, trim: Trim) -> Value {
        match CellRef::parse(cell) {
            Some(cell) => self.value_at(&SheetCell::new(sheet, cell), 0, trim),
            None => Value::Empty,
        }
    }

    fn value_at(&self, at: &SheetCell, depth: usize, trim: Trim) -> Value {
        let Some(sheet) = self.sheets.get(&at.sheet) else {
            return Value::Empty;
        };
        let position = (at.cell.row, at.cell.col);
        let value = sheet
            .values
            .get_value(position)
            .map(|data| data_value_as(data, trim))
            .unwrap_or(Value::Empty);
        if value != Value::Empty || depth >= MAX_REFERENCE_DEPTH {
            return value;
        }
        // No cached value: a file saved without computing formulas. Follow a
        // plain reference to its source cell.
        let formula = sheet
            .formulas
            .as_ref()
            .and_then(|formulas| formulas.get_value(position))
            .filter(|formula| !formula.is_empty());
        match formula.and_then(|formula| formula_reference(formula, &at.sheet)) {
            Some(source) => self.value_at(&source, depth + 1, trim),
            None => Value::Empty,
        }
    }

    fn text(&self, sheet: &str, cell: &str) -> Option<String> {
        self.value(sheet, cell).text().map(str::to_string)
    }

    fn push(&mut self, severity: Severity, sheet: &str, cell: &str, field: &str, message: Problem) {
        self.diagnostics.push(Diagnostic {
            severity,
            location: format!("{sheet}!{cell}"),
            field: field.to_string(),
            message,
        });
    }

    fn error(&mut self, sheet: &str, cell: &str, field: &str, message: Problem) {
        self.push(Severity::Error, sheet, cell, field, message);
    }

    fn warning(&mut self, sheet: &str, cell: &str, field: &str, message: Problem) {
        self.push(Severity::Warning, sheet, cell, field, message);
    }

    /// An IPv4 address from a cell; an error when present but malformed
    /// (`Err` holds the text as typed).
    fn ipv4(&mut self, sheet: &str, cell: &str, field: &str) -> Option<Result<Ipv4Addr, String>> {
        let text = self.text(sheet, cell)?;
        match parse_ipv4(&text) {
            Some(ip) => Some(Ok(ip)),
            None => {
                self.error(sheet, cell, field, Problem::NotIpv4 { text: text.clone() });
                Some(Err(text))
            }
        }
    }

    /// A password cell, exactly as typed: leading or trailing spaces are
    /// part of a password, so they are kept, with a warning in case they
    /// were not meant. `None` when blank.
    fn password(&mut self, sheet: &str, cell: &str, field: &str) -> Option<String> {
        let password = self.value_as(sheet, cell, Trim::No).text()?.to_string();
        if password.trim() != password {
            self.warning(sheet, cell, field, Problem::PasswordSpaces);
        }
        Some(password)
    }

    // -----------------------------------------------------------------------
    // The plan

    fn read_plan(&mut self) -> Plan {
        let network = layout::NETWORK_SHEET;
        let cluster_name = match self.text(network, layout::CLUSTER_NAME) {
            Some(name) => name,
            None => {
                self.error(
                    network,
                    layout::CLUSTER_NAME,
                    "集群名称",
                    Problem::ClusterNameEmpty,
                );
                String::new()
            }
        };
        let cluster_row = self.cluster_row();
        let hosts = self.read_hosts(cluster_row);
        let cluster = self.read_cluster(cluster_name, cluster_row, &hosts);
        let fisheye = self.read_fisheye(cluster_row);
        let management_vds = self.read_vds(layout::MANAGEMENT_VDS_ROW, VdsRole::Management, false);
        let storage_vds = self.read_vds(layout::STORAGE_VDS_ROW, VdsRole::Storage, false);
        let business_networks = self.read_business_networks();
        let business_vds = self.read_business_vds(
            &cluster,
            cluster_row,
            &business_networks,
            management_vds.as_ref(),
        );
        let dns_servers = self.read_dns();
        let ntp_servers = self.read_ntp();
        Plan {
            cluster,
            management_vds: management_vds.unwrap_or_else(empty_vds),
            storage_vds: storage_vds.unwrap_or_else(empty_vds),
            business_vds,
            business_networks,
            hosts,
            dns_servers,
            ntp_servers,
            fisheye,
        }
    }

    /// The row of `Cluster SN` on 主机规划: 19 in the template, lower when a
    /// user inserted host rows (which is how more than 16 hosts show up).
    fn cluster_row(&self) -> u32 {
        let sheet = layout::HOST_SHEET;
        (layout::CLUSTER_ROW..layout::CLUSTER_ROW + 200)
            .find(|row| {
                self.text(sheet, &format!("D{row}"))
                    .is_some_and(|label| label.eq_ignore_ascii_case(layout::SERIAL_LABEL))
            })
            .unwrap_or(layout::CLUSTER_ROW)
    }

    fn read_hosts(&mut self, cluster_row: u32) -> Vec<HostPlan> {
        let sheet = layout::HOST_SHEET;
        let mut hosts = Vec::new();
        for row in layout::HOST_FIRST_ROW..cluster_row {
            let hostname = self.text(sheet, &format!("H{row}"));
            let management = self.text(sheet, &format!("I{row}"));
            // J and L are pre-filled on every row, so only H or I make a host.
            if hostname.is_none() && management.is_none() {
                let stray = ["E", "N"]
                    .iter()
                    .any(|col| self.text(sheet, &format!("{col}{row}")).is_some());
                if stray {
                    self.warning(sheet, &format!("H{row}"), "主机名", Problem::HostRowIgnored);
                }
                continue;
            }
            hosts.push(self.read_host(row, hostname));
        }
        if hosts.len() > layout::MAX_HOSTS {
            let first_extra = hosts
                .get(layout::MAX_HOSTS)
                .map_or(cluster_row, |host| host.row);
            self.error(
                sheet,
                &format!("H{first_extra}"),
                "主机名",
                Problem::TooManyHosts {
                    count: hosts.len(),
                    max: layout::MAX_HOSTS,
                    first_row: layout::HOST_FIRST_ROW,
                    last_row: layout::HOST_FIRST_ROW + 15,
                },
            );
        }
        if hosts.is_empty() {
            self.error(
                sheet,
                &format!("H{}", layout::HOST_FIRST_ROW),
                "主机名",
                Problem::NoHosts,
            );
        }
        self.check_host_duplicates(&hosts);
        hosts
    }

    fn read_host(&mut self, row: u32, hostname: Option<String>) -> HostPlan {
        let sheet = layout::HOST_SHEET;
        let cell = |col: &str| format!("{col}{row}");
        let hostname = match hostname {
            Some(name) => {
                if let Err(reason) = check_hostname(&name) {
                    self.error(
                        sheet,
                        &cell("H"),
                        "主机名",
                        Problem::BadHostname {
                            name: name.clone(),
                            reason: reason.to_string(),
                        },
                    );
                }
                name
            }
            None => {
                self.error(sheet, &cell("H"), "主机名", Problem::HostnameEmpty);
                String::new()
            }
        };
        let mut invalid = InvalidCells::default();
        let mut bmc_invalid = InvalidCells::default();
        let management_ip = match self.ipv4(sheet, &cell("I"), "管理地址") {
            Some(Ok(ip)) => ip,
            Some(Err(raw)) => {
                invalid.insert("management_ip", raw);
                Ipv4Addr::UNSPECIFIED
            }
            None => {
                self.error(sheet, &cell("I"), "管理地址", Problem::ManagementIpEmpty);
                Ipv4Addr::UNSPECIFIED
            }
        };
        let storage_ip = match self.ipv4(sheet, &cell("N"), "存储IP") {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                invalid.insert("storage_ip", raw);
                None
            }
            None => None,
        };
        let bmc_cell = self.ipv4(sheet, &cell("E"), "带外地址");
        let bmc_ip = match bmc_cell.clone() {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                bmc_invalid.insert("ip", raw);
                None
            }
            None => {
                self.warning(sheet, &cell("E"), "带外地址", Problem::BmcEmpty);
                None
            }
        };
        let bmc_user = self
            .text(sheet, &cell("F"))
            .unwrap_or_else(|| layout::DEFAULT_BMC_USER.to_string());
        let bmc_password = match self.password(sheet, &cell("G"), "带外密码") {
            Some(password) => password,
            None => {
                // Only a host with a BMC address gets a BMC account.
                if bmc_cell.is_some() {
                    self.warning(sheet, &cell("G"), "带外密码", Problem::BmcPasswordEmpty);
                }
                layout::DEFAULT_BMC_PASSWORD.to_string()
            }
        };
        let ssh_user = self
            .text(sheet, &cell("J"))
            .unwrap_or_else(|| layout::DEFAULT_SSH_USER.to_string());
        let ssh_password = match self.password(sheet, &cell("K"), "密码") {
            Some(password) => password,
            None => {
                self.warning(
                    sheet,
                    &cell("K"),
                    "密码",
                    Problem::HostPasswordEmpty {
                        user: ssh_user.clone(),
                    },
                );
                layout::DEFAULT_SSH_PASSWORD.to_string()
            }
        };
        let root_password = match self.password(sheet, &cell("M"), "密码") {
            Some(password) => password,
            None => {
                self.warning(
                    sheet,
                    &cell("M"),
                    "密码",
                    Problem::RootPasswordEmpty {
                        cell: format!("{sheet}!K{row}"),
                    },
                );
                ssh_password.clone()
            }
        };
        HostPlan {
            row,
            hostname,
            management_ip,
            storage_ip,
            bmc: BmcPlan {
                ip: bmc_ip,
                user: bmc_user,
                password: Secret::new(bmc_password),
                invalid: bmc_invalid,
            },
            ssh_user,
            ssh_password: Secret::new(ssh_password),
            root_password: Secret::new(root_password),
            invalid,
        }
    }

    /// Hostnames (case-insensitive) and every host address must be unique:
    /// one IP cannot be a management, storage and BMC address at once.
    fn check_host_duplicates(&mut self, hosts: &[HostPlan]) {
        let sheet = layout::HOST_SHEET;
        let mut names: HashMap<String, u32> = HashMap::new();
        let mut addresses: HashMap<Ipv4Addr, String> = HashMap::new();
        let mut found = Vec::new();
        for host in hosts {
            if !host.hostname.is_empty() {
                let key = host.hostname.to_ascii_lowercase();
                if let Some(first) = names.get(&key) {
                    found.push((
                        format!("H{}", host.row),
                        "主机名",
                        Problem::DuplicateHostname {
                            name: host.hostname.clone(),
                            first: format!("{sheet}!H{first}"),
                        },
                    ));
                } else {
                    names.insert(key, host.row);
                }
            }
            let ips = [
                ("I", "管理地址", Some(host.management_ip)),
                ("N", "存储IP", host.storage_ip),
                ("E", "带外地址", host.bmc.ip),
            ];
            for (col, field, ip) in ips {
                let Some(ip) = ip.filter(|ip| !ip.is_unspecified()) else {
                    continue;
                };
                let here = format!("{col}{}", host.row);
                if let Some(first) = addresses.get(&ip) {
                    found.push((
                        here,
                        field,
                        Problem::DuplicateAddress {
                            ip: ip.to_string(),
                            first: format!("{sheet}!{first}"),
                        },
                    ));
                } else {
                    addresses.insert(ip, here);
                }
            }
        }
        for (cell, field, message) in found {
            self.error(sheet, &cell, field, message);
        }
    }

    fn read_cluster(&mut self, name: String, cluster_row: u32, hosts: &[HostPlan]) -> ClusterPlan {
        let sheet = layout::HOST_SHEET;
        let vip_cell = format!("I{cluster_row}");
        let mut invalid = InvalidCells::default();
        let vip = match self.ipv4(sheet, &vip_cell, "集群VIP") {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                invalid.insert("vip", raw);
                None
            }
            None => {
                self.warning(sheet, &vip_cell, "集群VIP", Problem::VipEmpty);
                None
            }
        };
        if let Some(vip) = vip {
            for host in hosts {
                let taken = [
                    ("I", Some(host.management_ip)),
                    ("N", host.storage_ip),
                    ("E", host.bmc.ip),
                ];
                for (col, ip) in taken {
                    if ip == Some(vip) {
                        self.error(
                            sheet,
                            &vip_cell,
                            "集群VIP",
                            Problem::VipIsHostAddress {
                                vip: vip.to_string(),
                                cell: format!("{sheet}!{col}{}", host.row),
                            },
                        );
                    }
                }
            }
        }
        let serial = self
            .text(sheet, &format!("E{cluster_row}"))
            .filter(|serial| !crate::serial::is_placeholder(serial));
        let storage_architecture = self.text(sheet, &format!("Q{cluster_row}"));
        let arch_cell = format!("Q{}", cluster_row + 1);
        let network_architecture = match self.text(sheet, &arch_cell) {
            Some(text) => match parse_network_architecture(&text) {
                Some(architecture) => architecture,
                None => {
                    self.error(
                        sheet,
                        &arch_cell,
                        "网络架构",
                        Problem::UnsupportedArchitecture { text: text.clone() },
                    );
                    NetworkArchitecture::Other(text)
                }
            },
            None => {
                self.error(sheet, &arch_cell, "网络架构", Problem::ArchitectureEmpty);
                NetworkArchitecture::Other(String::new())
            }
        };
        ClusterPlan {
            name,
            vip,
            network_architecture,
            storage_architecture,
            serial,
            invalid,
        }
    }

    fn read_fisheye(&mut self, cluster_row: u32) -> FisheyeAdmin {
        let sheet = layout::HOST_SHEET;
        let user = self
            .text(sheet, &format!("L{cluster_row}"))
            .unwrap_or_else(|| layout::DEFAULT_FISHEYE_USER.to_string());
        let password_cell = format!("M{cluster_row}");
        let password = match self.password(sheet, &password_cell, "集群管理员密码") {
            Some(password) => password,
            None => {
                self.error(
                    sheet,
                    &password_cell,
                    "集群管理员密码",
                    Problem::FisheyePasswordEmpty,
                );
                String::new()
            }
        };
        FisheyeAdmin {
            user,
            password: Secret::new(password),
        }
    }

    /// A VDS row on 虚拟网络 (C name, J NICs, K bond mode). `None` when the
    /// row is empty. `required` makes missing NICs an error.
    fn read_vds(&mut self, row: u32, role: VdsRole, required: bool) -> Option<VdsPlan> {
        let sheet = layout::NETWORK_SHEET;
        let name = self.text(sheet, &format!("C{row}"));
        let nics_text = self.text(sheet, &format!("J{row}"));
        let bond_text = self.text(sheet, &format!("K{row}"));
        if name.is_none() && nics_text.is_none() && bond_text.is_none() && !required {
            return None;
        }
        let name = name.unwrap_or_else(|| {
            let severity = if required {
                Severity::Error
            } else {
                Severity::Warning
            };
            self.push(
                severity,
                sheet,
                &format!("C{row}"),
                "虚拟交换机",
                Problem::VdsNoName { role },
            );
            String::new()
        });
        let nics = nics_text.as_deref().map(split_list).unwrap_or_default();
        let mut invalid = InvalidCells::default();
        if nics.is_empty() && required {
            self.error(
                sheet,
                &format!("J{row}"),
                "主机端口",
                Problem::VdsNoNics { role },
            );
        }
        let bond_mode = match bond_text {
            Some(text) => match parse_bond_mode(&text) {
                Some(mode) => mode,
                None => {
                    self.error(
                        sheet,
                        &format!("K{row}"),
                        "网口绑定模式",
                        Problem::BadBondMode { text: text.clone() },
                    );
                    invalid.insert("bond_mode", text);
                    BondMode::ActiveBackup
                }
            },
            None => BondMode::ActiveBackup,
        };
        Some(VdsPlan {
            name,
            nics,
            bond_mode,
            invalid,
        })
    }

    /// The business VDS of row 8, as the architecture reads it: under
    /// 存储独立 the row is ignored (the networks go on the management VDS,
    /// which is what a site leaves the row empty for); under 三网独立 the
    /// networks need it.
    fn read_business_vds(
        &mut self,
        cluster: &ClusterPlan,
        cluster_row: u32,
        networks: &[NetworkPlan],
        management: Option<&VdsPlan>,
    ) -> Option<VdsPlan> {
        let sheet = layout::NETWORK_SHEET;
        let row = layout::BUSINESS_VDS_ROW;
        let filled: Vec<(String, &str)> = [
            ("C", "虚拟交换机"),
            ("J", "主机端口"),
            ("K", "网口绑定模式"),
        ]
        .into_iter()
        .map(|(col, field)| (format!("{col}{row}"), field))
        .filter(|(cell, _)| self.text(sheet, cell).is_some())
        .collect();
        if cluster.network_architecture.business_on_management_vds() {
            let management_name = management.map_or("", |vds| vds.name.as_str());
            if let Some((first, field)) = filled.first() {
                let cells: Vec<&str> = filled.iter().map(|(cell, _)| cell.as_str()).collect();
                let message = Problem::BusinessVdsIgnored {
                    cells: cells.iter().map(|cell| cell.to_string()).collect(),
                    management: (!management_name.is_empty()).then(|| management_name.to_string()),
                };
                self.warning(sheet, first, field, message);
            }
            if !networks.is_empty() && management_name.is_empty() {
                self.error(
                    sheet,
                    &format!("C{}", layout::MANAGEMENT_VDS_ROW),
                    "虚拟交换机",
                    Problem::ManagementVdsUnnamed,
                );
            }
            return None;
        }
        if filled.iter().all(|(cell, _)| !cell.starts_with('C')) {
            if !filled.is_empty() {
                self.error(
                    sheet,
                    &format!("C{row}"),
                    "虚拟交换机",
                    Problem::BusinessVdsUnnamed,
                );
            } else if !networks.is_empty() {
                let last = networks.last().map_or(row, |network| network.row);
                self.error(
                    sheet,
                    &format!("C{row}"),
                    "虚拟交换机",
                    Problem::NoBusinessVdsForNetworks {
                        networks: format!("{sheet}!D{row}:D{last}"),
                        architecture_cell: format!("{}!Q{}", layout::HOST_SHEET, cluster_row + 1),
                    },
                );
            }
            return None;
        }
        self.read_vds(row, VdsRole::Business, true)
    }

    fn read_business_networks(&mut self) -> Vec<NetworkPlan> {
        let sheet = layout::NETWORK_SHEET;
        let mut networks = Vec::new();
        let mut vlan_valid_flags = Vec::new();
        for row in layout::BUSINESS_FIRST_ROW..=layout::BUSINESS_LAST_ROW {
            let Some(name) = self.text(sheet, &format!("D{row}")) else {
                let stray = ["F", "H", "I"]
                    .iter()
                    .any(|col| self.text(sheet, &format!("{col}{row}")).is_some());
                if stray {
                    self.warning(
                        sheet,
                        &format!("D{row}"),
                        "虚拟网络",
                        Problem::NetworkRowIgnored,
                    );
                }
                continue;
            };
            let (network, vlan_valid) = self.read_network(row, name);
            networks.push(network);
            vlan_valid_flags.push(vlan_valid);
        }
        if networks.is_empty() {
            self.warning(
                sheet,
                &format!("D{}", layout::BUSINESS_FIRST_ROW),
                "虚拟网络",
                Problem::NoBusinessNetworks,
            );
        }
        self.check_network_duplicates(&networks, &vlan_valid_flags);
        networks
    }

    /// The network, and whether its VLAN ID is real (not a placeholder).
    fn read_network(&mut self, row: u32, name: String) -> (NetworkPlan, bool) {
        let sheet = layout::NETWORK_SHEET;
        let vlan_cell = format!("F{row}");
        let mut invalid = InvalidCells::default();
        let vlan_id = match self.text(sheet, &vlan_cell) {
            Some(text) => match parse_vlan_id(&text) {
                Some(id) => Some(id),
                None => {
                    self.error(
                        sheet,
                        &vlan_cell,
                        "VLAN ID",
                        Problem::BadVlanId { text: text.clone() },
                    );
                    invalid.insert("vlan_id", text);
                    None
                }
            },
            None => {
                self.error(
                    sheet,
                    &vlan_cell,
                    "VLAN ID",
                    Problem::NoVlanId { name: name.clone() },
                );
                None
            }
        };
        let subnet_cell = format!("H{row}");
        let subnet =
            self.text(sheet, &subnet_cell)
                .and_then(|text| match text.parse::<Ipv4Subnet>() {
                    Ok(subnet) => Some(subnet),
                    Err(reason) => {
                        self.error(
                            sheet,
                            &subnet_cell,
                            "SubNetwork",
                            Problem::BadSubnet {
                                text: text.clone(),
                                reason,
                            },
                        );
                        invalid.insert("subnet", text);
                        None
                    }
                });
        let gateway_cell = format!("I{row}");
        let gateway = match self.ipv4(sheet, &gateway_cell, "Gateway") {
            Some(Ok(ip)) => Some(ip),
            Some(Err(raw)) => {
                invalid.insert("gateway", raw);
                None
            }
            None => None,
        };
        if let (Some(subnet), Some(gateway)) = (subnet, gateway)
            && !subnet.contains(gateway)
        {
            self.error(
                sheet,
                &gateway_cell,
                "Gateway",
                Problem::GatewayOutsideSubnet {
                    gateway: gateway.to_string(),
                    subnet: subnet.to_string(),
                },
            );
        }
        let network = NetworkPlan {
            name,
            vlan_id: vlan_id.unwrap_or(0),
            subnet,
            gateway,
            row,
            invalid,
        };
        (network, vlan_id.is_some())
    }

    fn check_network_duplicates(&mut self, networks: &[NetworkPlan], vlan_valid: &[bool]) {
        let sheet = layout::NETWORK_SHEET;
        let mut names: HashMap<&str, u32> = HashMap::new();
        let mut vlans: HashMap<u16, u32> = HashMap::new();
        let mut found = Vec::new();
        for (network, vlan_valid) in networks.iter().zip(vlan_valid) {
            if let Some(first) = names.get(network.name.as_str()) {
                found.push((
                    format!("D{}", network.row),
                    "虚拟网络",
                    Problem::DuplicateNetworkName {
                        name: network.name.clone(),
                        first: format!("{sheet}!D{first}"),
                    },
                ));
            } else {
                names.insert(&network.name, network.row);
            }
            if !vlan_valid {
                continue;
            }
            if let Some(first) = vlans.get(&network.vlan_id) {
                found.push((
                    format!("F{}", network.row),
                    "VLAN ID",
                    Problem::DuplicateVlanId {
                        vlan_id: network.vlan_id,
                        first: format!("{sheet}!F{first}"),
                    },
                ));
            } else {
                vlans.insert(network.vlan_id, network.row);
            }
        }
        for (cell, field, message) in found {
            self.error(sheet, &cell, field, message);
        }
    }

    fn read_dns(&mut self) -> Vec<Ipv4Addr> {
        let sheet = layout::MANAGEMENT_SHEET;
        let mut servers = Vec::new();
        let mut filled = false;
        for (index, row) in layout::DNS_ROWS.enumerate() {
            let cell = format!("E{row}");
            let field = format!("DNS Server{}", index + 1);
            let Some(text) = self.text(sheet, &cell) else {
                continue;
            };
            filled = true;
            for item in split_list(&text) {
                match parse_ipv4(&item) {
                    Some(ip) => servers.push(ip),
                    None => {
                        self.error(sheet, &cell, &field, Problem::BadDns { item: item.clone() })
                    }
                }
            }
        }
        if !filled {
            self.warning(
                sheet,
                &format!("E{}", layout::DNS_ROWS.start()),
                "DNS Server1",
                Problem::NoDns,
            );
        }
        servers
    }

    fn read_ntp(&mut self) -> Vec<String> {
        let sheet = layout::MANAGEMENT_SHEET;
        let mut servers = Vec::new();
        let mut filled = false;
        for (index, row) in layout::NTP_ROWS.enumerate() {
            let cell = format!("E{row}");
            let field = format!("NTP Server{}", index + 1);
            let Some(text) = self.text(sheet, &cell) else {
                continue;
            };
            filled = true;
            for item in split_list(&text) {
                if parse_ipv4(&item).is_some() || is_domain_name(&item) {
                    servers.push(item);
                } else {
                    self.error(sheet, &cell, &field, Problem::BadNtp { item: item.clone() });
                }
            }
        }
        if !filled {
            self.warning(
                sheet,
                &format!("E{}", layout::NTP_ROWS.start()),
                "NTP Server1",
                Problem::NoNtp,
            );
        }
        servers
    }
}

fn empty_vds() -> VdsPlan {
    VdsPlan {
        name: String::new(),
        nics: Vec::new(),
        bond_mode: BondMode::ActiveBackup,
        invalid: InvalidCells::default(),
    }
}

// ---------------------------------------------------------------------------
// Field syntax

/// Splits a hand-typed list on `,` `，` `;` `；` `、`, spaces and newlines.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| matches!(c, ',' | '，' | ';' | '；' | '、') || c.is_whitespace())
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_string)
        .collect()
}

/// Strict dotted-quad IPv4 (what `Ipv4Addr` parses), after trimming and
/// turning full-width digits and dots (typed with a Chinese IME) into ASCII.
pub fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    halfwidth(text.trim()).parse().ok()
}

/// `１０．０` → `10.0`: full-width ASCII forms (U+FF01..=U+FF5E) and the
/// ideographic full stop to their ASCII counterparts.
fn halfwidth(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => {
                    char::from_u32(u32::from(c) - 0xFF01 + 0x21).unwrap_or(c)
                }
                '。' => '.',
                other => other,
            })
            .collect(),
    )
}

/// An integer VLAN ID in 0..=4094, typed as `1120`, `1120.0` or `"1120"`.
pub fn parse_vlan_id(text: &str) -> Option<u16> {
    let text = halfwidth(text.trim());
    let number: f64 = text.parse().ok()?;
    if number.fract() != 0.0 || !(0.0..=4094.0).contains(&number) {
        return None;
    }
    // Integral and within 0..=4094, so the cast is exact.
    Some(number as u16)
}

/// The API's spelling of what users type: `Active-Backup`, `active backup`,
/// `balance_slb`, `SLB`, `主备`.
pub fn parse_bond_mode(text: &str) -> Option<BondMode> {
    let normal: String = text
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .collect();
    match normal.as_str() {
        "activebackup" | "ab" | "主备" => Some(BondMode::ActiveBackup),
        "balanceslb" | "slb" => Some(BondMode::BalanceSlb),
        "balancetcp" | "tcp" | "lacp" => Some(BondMode::BalanceTcp),
        _ => None,
    }
}

/// The template's drop-down offers `三网融合`, `存储独立` and `三网独立`
/// (主机规划!Q20:R20); its note spells the supported two out as
/// `管理&业务融合、存储独立` and `三网独立`, and people copy the note.
fn parse_network_architecture(text: &str) -> Option<NetworkArchitecture> {
    let normal: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '“' | '”' | '"'))
        .collect();
    match normal.as_str() {
        "三网独立" => Some(NetworkArchitecture::ThreeSeparate),
        "存储独立" => Some(NetworkArchitecture::StorageSeparate),
        _ => {
            let converged = normal
                .strip_suffix("存储独立")
                .map(|head| head.trim_end_matches(['、', '，', ',', ';', '；', '/']))
                .is_some_and(|head| {
                    matches!(
                        head,
                        "管理&业务融合"
                            | "管理＆业务融合"
                            | "管理业务融合"
                            | "管理与业务融合"
                            | "管理和业务融合"
                    )
                });
            converged.then_some(NetworkArchitecture::StorageSeparate)
        }
    }
}

/// RFC 1123 label: 1..=63 of letters, digits and `-`, not starting or
/// ending with `-`.
pub fn check_hostname(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.len() > 63 {
        return Err("is not a valid hostname: it must be 1 to 63 characters");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err("is not a valid hostname: use only letters, digits and '-'");
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("is not a valid hostname: it must not start or end with '-'");
    }
    Ok(())
}

/// A DNS name: dot-separated RFC 1123 labels, at most 253 characters, and
/// not all-numeric (so a mistyped IP such as `10.0.0.300` is not a name).
pub fn is_domain_name(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.is_empty() || text.len() > 253 {
        return false;
    }
    let labels_ok = text.split('.').all(|label| check_hostname(label).is_ok());
    let numeric = text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    labels_ok && !numeric
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_hand_typed_lists() {
        assert_eq!(split_list("ens224,ens192"), ["ens224", "ens192"]);
        assert_eq!(
            split_list(" a，b; c\nd  e；f "),
            ["a", "b", "c", "d", "e", "f"]
        );
        assert!(split_list(" , ").is_empty());
    }

    #[test]
    fn full_width_addresses_are_read() {
        assert_eq!(
            parse_ipv4("１０．０．２０．１１"),
            Some(Ipv4Addr::new(10, 0, 20, 11))
        );
        assert_eq!(
            parse_ipv4("10。0。20。11"),
            Some(Ipv4Addr::new(10, 0, 20, 11))
        );
        assert_eq!(parse_vlan_id("１１２０"), Some(1120));
        assert_eq!(parse_ipv4("10.0.20.11a"), None);
    }

    #[test]
    fn vlan_ids_accept_floats_and_strings() {
        assert_eq!(parse_vlan_id("1120"), Some(1120));
        assert_eq!(parse_vlan_id("1120.0"), Some(1120));
        assert_eq!(parse_vlan_id(" 0 "), Some(0));
        assert_eq!(parse_vlan_id("4094"), Some(4094));
        assert_eq!(parse_vlan_id("4095"), None);
        assert_eq!(parse_vlan_id("-1"), None);
        assert_eq!(parse_vlan_id("11.5"), None);
        assert_eq!(parse_vlan_id("NaN"), None);
        assert_eq!(parse_vlan_id("VLAN-1"), None);
    }

    #[test]
    fn bond_modes_map_user_spellings() {
        assert_eq!(
            parse_bond_mode("Active-Backup"),
            Some(BondMode::ActiveBackup)
        );
        assert_eq!(
            parse_bond_mode("active_backup"),
            Some(BondMode::ActiveBackup)
        );
        assert_eq!(parse_bond_mode("BALANCE-SLB"), Some(BondMode::BalanceSlb));
        assert_eq!(parse_bond_mode("balance tcp"), Some(BondMode::BalanceTcp));
        assert_eq!(parse_bond_mode("round-robin"), None);
    }

    #[test]
    fn hostnames_and_domains() {
        assert!(check_hostname("BJ-SMTX-Prod-Node-01").is_ok());
        assert!(check_hostname("node_01").is_err());
        assert!(check_hostname("-node").is_err());
        assert!(check_hostname(&"a".repeat(64)).is_err());
        assert!(check_hostname("node.local").is_err());
        assert!(is_domain_name("ntp.c89.fun"));
        assert!(is_domain_name("ntp"));
        assert!(!is_domain_name("10.0.0.300"));
        assert!(!is_domain_name("ntp..org"));
    }

    #[test]
    fn numbers_render_without_spurious_decimals() {
        assert_eq!(number_text(1120.0), "1120");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(
            data_value_as(&Data::Float(0.0), Trim::Yes),
            Value::Text("0".into())
        );
        assert_eq!(
            data_value_as(&Data::String("  ".into()), Trim::No),
            Value::Empty
        );
        assert_eq!(
            data_value_as(&Data::String(" pw ".into()), Trim::No),
            Value::Text(" pw ".into())
        );
    }

    #[test]
    fn architectures_as_the_template_and_its_note_spell_them() {
        for text in [
            "存储独立",
            " 存储独立 ",
            "管理&业务融合、存储独立",
            "“管理&业务融合、存储独立”",
        ] {
            assert_eq!(
                parse_network_architecture(text),
                Some(NetworkArchitecture::StorageSeparate),
                "{text}"
            );
        }
        assert_eq!(
            parse_network_architecture("三网独立"),
            Some(NetworkArchitecture::ThreeSeparate)
        );
        // In the drop-down, but not supported.
        assert_eq!(parse_network_architecture("三网融合"), None);
        assert_eq!(parse_network_architecture("业务存储独立"), None);
    }

    #[test]
    fn formula_references() {
        assert_eq!(
            formula_reference("虚拟网络!B3", "主机规划").map(|at| at.to_string()),
            Some("虚拟网络!B3".to_string())
        );
        assert_eq!(
            formula_reference("=$B$3", "主机规划").map(|at| at.to_string()),
            Some("主机规划!B3".to_string())
        );
        assert_eq!(formula_reference("IF(ISNUMBER(Q3),Q3+1,\"\")", "x"), None);
    }
}
