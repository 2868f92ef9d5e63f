//! Integration tests of `smtx-sim`, one module per topic.

mod common;
mod conformance;
mod session;
mod ssh;
