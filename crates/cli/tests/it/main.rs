//! CLI integration tests: the `smtx-deploy` binary as a user runs it.

mod hints;
mod plan;
mod run;
mod scenarios;
mod sim;
