//! Integration tests of `smtx-api`, one module per topic.

mod client;
mod job_wait;
mod raw_upload;
mod ssh;
mod ssh_support;
mod upload;
mod upload_support;
