//! [`BadInput`]: the mark of an error that is the user's input (a file, a
//! flag, a settings key), which `main` turns into exit 2. Its own module so
//! that commands and settings both use it without importing each other.

/// Marks an error as the user's input being wrong (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);
