//! The client's one error type. Every variant names the call (`PUT
//! /api/v2/settings/dns`) and, where known, the HTTP status and the server's
//! `ec` and message. Request bodies are never quoted: they may hold secrets.

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Could not reach the server, or the connection broke.
    #[error("{action}: cannot reach {url}: {reason}")]
    Transport {
        action: String,
        url: String,
        reason: String,
    },
    /// TLS verification failed (self-signed certificate and no CA given).
    #[error(
        "{action}: TLS certificate of {url} is not trusted ({reason}); pass --ca-cert FILE to trust the cluster's CA, or --insecure to skip verification"
    )]
    Tls {
        action: String,
        url: String,
        reason: String,
    },
    /// No answer within the deadline.
    #[error("{action}: no answer from {url} within {seconds:.1}s")]
    Timeout {
        action: String,
        url: String,
        seconds: f64,
    },
    /// The server answered with a failure (status ≥ 400, `ec` not EOK, or a
    /// non-empty `error`).
    #[error("{action}: HTTP {status}{}{}", ec.as_deref().map(|ec| format!(", {ec}")).unwrap_or_default(), msg.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Api {
        action: String,
        status: u16,
        ec: Option<String>,
        msg: Option<String>,
    },
    /// The answer was not what the reference documents.
    #[error("{action}: unexpected answer: {reason}")]
    Decode { action: String, reason: String },
    /// 401/403 and no way to log in again.
    #[error(
        "{action}: not authorized (HTTP {status}); check the Fisheye admin password or the configured token"
    )]
    Unauthorized { action: String, status: u16 },
    /// A job ended in failure.
    #[error("job {job_id} ({description}) ended {state}{}", reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default())]
    JobFailed {
        job_id: String,
        description: String,
        state: String,
        reason: Option<String>,
    },
    /// A job did not end before its deadline.
    #[error("job {job_id} still {state} after {seconds:.0}s")]
    JobTimeout {
        job_id: String,
        state: String,
        seconds: f64,
    },
    /// Bad client configuration (URL, CA file, override).
    #[error("{0}")]
    Config(String),
    /// The SVT upload of `file` failed for good (after retries and the
    /// volume recreation); `chunk` is the chunk that failed, if one did.
    #[error("upload of {file} failed{}: {reason}", chunk.map(|c| format!(" at chunk {c}")).unwrap_or_default())]
    Upload {
        file: String,
        chunk: Option<u64>,
        reason: String,
    },
    /// A local file (the ISO) could not be read.
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    /// The run was aborted (Ctrl-C, the console's abort) before or during
    /// `action`; nothing more was sent.
    #[error("{action}: aborted")]
    Cancelled { action: String },
}

impl ApiError {
    /// HTTP status of a server-side failure, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Unauthorized { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Worth another try for a call that is safe to repeat.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Api { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}
