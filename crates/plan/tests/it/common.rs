//! Shared helpers: the reference template's path and bytes.

use std::path::PathBuf;

/// `../shared/reference` relative to the repository root; never copied in.
pub fn reference_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference")
}

pub fn template_path() -> PathBuf {
    reference_dir().join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

pub fn template_bytes() -> Vec<u8> {
    std::fs::read(template_path()).expect("the reference template is readable")
}
