//! Engine integration tests: `prepare` and `config_cluster` against the
//! simulator started in-process on loopback, reached through the address
//! override and the simulator's CA, as a user's run would.

mod abort;
mod cells;
mod check;
mod context;
mod delivery;
mod failures;
mod lanes;
mod modes;
mod rerun;
mod resume;
mod ssh;
mod support;
mod vip;
mod vmtools;
mod workbooks;
