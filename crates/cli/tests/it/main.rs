//! CLI integration tests: the `smtx-deploy` binary as a user runs it.

mod fleet;
mod plan;
mod run;
mod sim;
