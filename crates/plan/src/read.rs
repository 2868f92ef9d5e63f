//! Reading and validating a workbook. (Being implemented: issue 2.)

use crate::{Diagnostic, Plan};

/// A plan plus every problem found, in one pass.
#[derive(Debug, Clone)]
pub struct ParsedWorkbook {
    pub plan: Plan,
    pub diagnostics: Vec<Diagnostic>,
}

impl ParsedWorkbook {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == crate::Severity::Error)
    }
}

/// The workbook could not be read at all (as opposed to a diagnostic).
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
}

/// Parse workbook bytes; `file` names the source in errors.
pub fn parse_workbook(bytes: &[u8], file: &str) -> Result<ParsedWorkbook, PlanError> {
    let _ = bytes;
    Err(PlanError::Unreadable {
        file: file.to_string(),
        reason: "not implemented yet".to_string(),
    })
}
