//! Reading and validating a workbook: bytes in, a [`Plan`] plus every problem
//! found in one pass out. Workbook problems are [`Diagnostic`]s located to
//! the cell; only a file that cannot be read at all is a [`PlanError`].
//!
//! Reading is forgiving about what spreadsheets do to values: numbers come
//! back as floats or strings, lists are typed with any separator, and a
//! formula saved without its cached value (openpyxl) is followed to the cell
//! it points at.

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
    ListCells, NetworkArchitecture, NetworkPlan, Plan, Severity, VdsPlan,
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
    /// Over one of the workbook's limits (a crafted or damaged file).
    #[error("{file}: {limit}")]
    OverLimit {
        file: String,
        limit: Box<crate::LimitExceeded>,
    },
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
    limits::check_package(bytes, limits).map_err(|error| match error {
        limits::PackageError::Limit(limit) => PlanError::OverLimit {
            file: file.to_string(),
            limit: Box::new(limit),
        },
        limits::PackageError::Damaged(reason) => unreadable(file, reason),
    })?;
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
            limits::read_sheet(&mut workbook, name, name, limits).map_err(|error| match error {
                limits::SheetError::Limit(limit) => PlanError::OverLimit {
                    file: file.to_string(),
                    limit: Box::new(limit),
                },
                limits::SheetError::Xlsx(error) => {
                    unreadable(file, format!("sheet {name:?} cannot be read: {error}"))
                }
            })?;
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
}

mod sections;
mod values;

use values::parse_network_architecture;
pub use values::{
    check_hostname, is_domain_name, parse_bond_mode, parse_ipv4, parse_vlan_id, split_list,
};

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
