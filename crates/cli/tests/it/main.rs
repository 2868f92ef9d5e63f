//! CLI integration tests: the `smtx-deploy` binary as a user runs it.

mod cells;
mod chinese;
mod durability;
mod fleet;
mod hints;
mod onsite;
mod pipes;
mod plan;
mod run;
mod scenarios;
mod serve;
mod settings_errors;
mod settings_layers;
mod sim;
mod sim_control;
mod version;
