//! Integration tests of `smtx-plan`, one module per topic.

mod common;
mod fixture;
mod read;
mod validate;
