//! Integration tests of `smtx-api`, one module per topic.

mod client;
mod raw_upload;
mod ssh;
mod ssh_support;
mod tls;
mod upload;
mod upload_support;
