//! Integration tests of `smtx-sim`, one module per topic.

mod common;
mod conformance;
mod faults;
mod readback;
mod requests;
mod session;
mod sim_ssh;
mod ssh;
