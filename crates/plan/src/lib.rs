//! `smtx-plan`: the planning workbook (规划设计表) as a typed, validated
//! [`Plan`], and the one write we ever make to it (the cluster serial).
//!
//! Sync, no network, no tokio: bytes in, plan and diagnostics out. The cell
//! map follows `reference/workbook/LAYOUT.md` (see [`layout`]).

pub mod cell;
pub mod crafted;
pub mod fixture;
mod hidden;
pub mod layout;
mod limits;
mod messages;
mod model;
mod ooxml;
mod platform;
mod read;
pub mod report;
mod serial;

pub use hidden::{HiddenKind, code_point, hidden_characters, hidden_kind, visible};
pub use limits::{
    Found, Limit, LimitExceeded, Subject, WorkbookFileError, WorkbookLimits, read_workbook_file,
};
pub use messages::{Problem, VdsRole};
pub use model::*;
pub use read::{
    ParsedWorkbook, PlanError, cell_text, check_hostname, is_domain_name, parse_bond_mode,
    parse_ipv4, parse_vlan_id, parse_workbook, parse_workbook_with_limits, split_list,
};
pub use report::{render_diagnostics, render_summary};
pub use serial::{
    DEFAULT_SERIAL_CELL, SerialWriteError, SerialWriteOptions, SerialWriteOutcome, is_placeholder,
    looks_like_serial, write_serial,
};
