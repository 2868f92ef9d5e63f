//! Integration tests of `smtx-sim`, one module per topic.

mod build;
mod common;
mod conformance;
mod control;
mod faults;
mod readback;
mod requests;
mod session;
mod sim_ssh;
mod ssh;
mod tls;
mod upload;
