//! Integration tests of `smtx-api`, one module per topic.

mod ssh;
mod upload;
