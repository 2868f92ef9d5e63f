//! Integration tests of `smtx-api`, one module per topic.

mod bounds;
mod client;
mod job_wait;
mod raw_upload;
mod ssh;
mod ssh_support;
mod tls;
mod upload;
mod upload_support;
