//! Integration tests of `smtx-plan`, one module per topic.

mod common;
mod fixture;
mod fuzz;
mod layout;
mod limits;
mod messages;
mod read;
mod serial;
mod validate;
