//! `smtx-api`: SMTX OS wire types and the async client — HTTP (reqwest) for
//! the REST API of `reference/smartx-api.md`, the chunked SVT upload, and the
//! SSH password rotation (russh). Knows nothing of workbooks: callers pass
//! plain values.

mod answer;
mod atomic_file;
mod client;
mod dry_run;
mod endpoint;
mod endpoints;
mod error;
pub mod probe;
mod readback;
mod request;
mod send;
pub mod ssh;
pub mod ssh_probe;
mod tls;
mod upload;

pub use atomic_file::{ForeignFile, ForeignWhy, Replace, foreign_file, write_atomic};
pub use client::{
    AddressOverride, AddressOverrideError, ApiClient, ClientConfig, DEPLOYMENT_TOKEN, RetryPolicy,
};
pub use dry_run::{PlannedCall, redact};
pub use endpoints::*;
pub use error::{
    ApiError, CallUrl, ChunkingReason, ConfigReason, DecodeReason, FileReason, MISSING_SHOWN,
    TlsKind, TlsReason, TransportKind, TransportReason, UploadCause, UploadReason,
};
pub use readback::*;
pub use tls::{TlsConfig, check_ca_pem};
pub use upload::*;
