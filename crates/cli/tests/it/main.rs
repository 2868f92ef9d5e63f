//! CLI integration tests: the `smtx-deploy` binary as a user runs it.

mod hints;
mod onsite;
mod plan;
mod run;
mod scenarios;
mod sim;
