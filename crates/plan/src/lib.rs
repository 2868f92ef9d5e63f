//! `smtx-plan`: the planning workbook (规划设计表) as a typed, validated
//! [`Plan`], and the one write we ever make to it (the cluster serial).
//!
//! Sync, no network, no tokio: bytes in, plan and diagnostics out. The cell
//! map follows `reference/workbook/LAYOUT.md` (see [`layout`]).

pub mod cell;
pub mod fixture;
pub mod layout;
mod model;
mod read;
mod serial;

pub use model::*;
pub use read::{ParsedWorkbook, PlanError, parse_workbook};
pub use serial::{
    DEFAULT_SERIAL_CELL, SerialWriteError, SerialWriteOptions, SerialWriteOutcome, write_serial,
};
