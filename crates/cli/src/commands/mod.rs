//! One module per subcommand (uv's layout): each owns its clap arguments and
//! its `run` function.

pub mod check;
pub mod demo;
pub mod fleet;
pub mod plan;
pub mod report;
pub mod resume;
pub mod run;
pub mod serve;
pub mod shared;
pub mod sim;
pub mod sim_fleet;

pub use crate::bad_input::BadInput;
