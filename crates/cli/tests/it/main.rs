//! CLI integration tests: the `smtx-deploy` binary as a user runs it.

mod onsite;
mod plan;
mod run;
mod sim;
mod sim_control;
