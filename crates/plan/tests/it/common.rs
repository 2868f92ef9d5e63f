//! Shared helpers: the reference template (read in place, never copied into
//! the repository) and parsing fixture specs.

use std::path::PathBuf;

use smtx_plan::fixture::WorkbookSpec;
use smtx_plan::{ParsedWorkbook, parse_workbook};

/// `../shared/reference` relative to the repository root.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

pub fn template_path() -> PathBuf {
    reference_dir().join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

pub fn template_bytes() -> Vec<u8> {
    std::fs::read(template_path()).expect("the reference template is readable")
}

pub fn parse_spec(spec: &WorkbookSpec) -> ParsedWorkbook {
    let bytes = spec.to_xlsx_bytes().expect("the fixture builds");
    parse_workbook(&bytes, "fixture.xlsx").expect("the fixture parses")
}
