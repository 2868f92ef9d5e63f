//! CLI integration tests: the `smtx-deploy` binary as a user runs it.

mod durability;
mod pipes;
mod plan;
mod run;
mod settings_errors;
mod sim;
