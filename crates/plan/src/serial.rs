//! Writing the cluster serial back into the workbook. (Being implemented: issue 2.)

use std::path::{Path, PathBuf};

/// `主机规划!E19`, the template's `Cluster SN` cell.
pub const DEFAULT_SERIAL_CELL: &str = "主机规划!E19";

#[derive(Debug, Clone)]
pub struct SerialWriteOptions {
    /// `sheet!cell`.
    pub cell: String,
    /// Overwrite content that is neither empty, a placeholder nor a serial.
    pub force: bool,
}

impl Default for SerialWriteOptions {
    fn default() -> Self {
        Self {
            cell: DEFAULT_SERIAL_CELL.to_string(),
            force: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SerialWriteOutcome {
    Written { previous: Option<String> },
    AlreadyPresent,
}

#[derive(Debug, thiserror::Error)]
pub enum SerialWriteError {
    #[error("{path}: {reason}")]
    Failed { path: PathBuf, reason: String },
}

pub fn write_serial(
    path: &Path,
    serial: &str,
    options: &SerialWriteOptions,
) -> Result<SerialWriteOutcome, SerialWriteError> {
    let _ = (serial, options);
    Err(SerialWriteError::Failed {
        path: path.to_path_buf(),
        reason: "not implemented yet".to_string(),
    })
}

/// Empty or a placeholder a template leaves for the value: `XXXX…`, `-`.
pub(crate) fn is_placeholder(text: &str) -> bool {
    let text = text.trim();
    text.is_empty()
        || text.eq_ignore_ascii_case("n/a")
        || text.eq_ignore_ascii_case("tbd")
        || text
            .chars()
            .all(|c| matches!(c, 'x' | 'X' | '-' | '_' | '*' | '.' | '…' | '—' | ' '))
}
