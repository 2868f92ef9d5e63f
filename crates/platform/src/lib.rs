//! `smtx-platform`: what differs between the operating systems the tool
//! runs on (Linux, Windows), one module per concern, so that no other
//! crate spells a `cfg(unix)` or `cfg(windows)`:
//!
//! - `files`: private files and directories, a file's identity, whether a
//!   file is one the tool made, an owner kept across a rewrite, a file in
//!   use by another program, making a rename durable;
//! - `locale`: the user's language where no environment variable says it;
//! - `shell`: quoting a command line for the shell the user has;
//! - `paths`: canonical paths as a user would type them;
//! - `dirs`: where per-user state lives by default;
//! - `host`: this machine's name.
//!
//! Each function says what it relies on where the platforms differ. It is a
//! leaf: it knows nothing of the rest of the tool.

pub mod dirs;
pub mod files;
pub mod host;
pub mod locale;
pub mod paths;
pub mod shell;
