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

/// Marks an error as the user's input being wrong (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);
