//! The client's one error type. Every variant names the call (`PUT
//! /api/v2/settings/dns`) and, where known, the HTTP status and the server's
//! `ec` and message. Request bodies are never quoted: they may hold secrets.
//!
//! What the client itself says — why a connection or a certificate failed,
//! what was wrong with an answer, why an upload or its file was given up —
//! is typed ([`TransportReason`], [`TlsReason`], [`DecodeReason`],
//! [`CallUrl`], [`FileReason`], [`UploadReason`]), so a front end can word
//! it in its reader's language; `Display` is the English, unchanged, that
//! files and logs keep. Only the cause's own words (an operating-system or
//! TLS-library text, a server's message) stay as they came.

use std::fmt;

/// Where a call went: the URL as the user knows it (the workbook address)
/// and, under an address override, where it was really sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallUrl {
    pub url: String,
    /// `127.0.0.1:4443` when the address override sent it elsewhere.
    pub sent_to: Option<String>,
}

impl fmt::Display for CallUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sent_to {
            Some(real) => write!(f, "{} (sent to {real})", self.url),
            None => f.write_str(&self.url),
        }
    }
}

/// What kind of connection failure the client recognised in the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// Nothing listens there (`Connection refused`).
    Refused,
    /// The peer reset the connection.
    Reset,
    /// No route to the address, or the network is down.
    Unreachable,
    /// The name did not resolve.
    NameNotResolved,
    /// The connection closed before the answer was complete.
    Closed,
    /// Anything else: only the cause's words say what.
    Other,
}

/// Why a connection failed: the kind, and the cause as the operating system
/// or the HTTP library wrote it (what `Display` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportReason {
    pub kind: TransportKind,
    pub cause: String,
}

impl TransportReason {
    /// The kind read from the cause's words (the innermost error of
    /// reqwest's chain, an `io::Error`'s text).
    pub fn from_cause(cause: impl Into<String>) -> Self {
        let cause = cause.into();
        let lower = cause.to_ascii_lowercase();
        let kind = if lower.contains("refused") {
            TransportKind::Refused
        } else if lower.contains("reset") {
            TransportKind::Reset
        } else if lower.contains("unreachable") || lower.contains("no route") {
            TransportKind::Unreachable
        } else if lower.contains("dns")
            || lower.contains("resolve")
            || lower.contains("name or service not known")
        {
            TransportKind::NameNotResolved
        } else if lower.contains("closed") || lower.contains("incomplete") || lower.contains("eof")
        {
            TransportKind::Closed
        } else {
            TransportKind::Other
        };
        Self { kind, cause }
    }
}

impl fmt::Display for TransportReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

/// What kind of certificate failure the client recognised in the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsKind {
    /// Signed by a CA we do not trust (a self-signed cluster certificate).
    UnknownIssuer,
    /// The certificate does not name the address it was asked for.
    NotValidForName,
    /// Expired, or not valid yet.
    Expired,
    /// Signed, but not by a CA we trust (another CA of the same name).
    BadSignature,
    /// Anything else (a handshake failure, a protocol mismatch).
    Other,
}

/// Why TLS failed: the kind, and rustls' own words (what `Display` shows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsReason {
    pub kind: TlsKind,
    pub cause: String,
}

impl TlsReason {
    pub fn from_cause(cause: impl Into<String>) -> Self {
        let cause = cause.into();
        let lower = cause.to_ascii_lowercase();
        let kind = if lower.contains("unknownissuer") || lower.contains("unknown issuer") {
            TlsKind::UnknownIssuer
        } else if lower.contains("notvalidforname") || lower.contains("not valid for name") {
            TlsKind::NotValidForName
        } else if lower.contains("expired") || lower.contains("notvalidyet") {
            TlsKind::Expired
        } else if lower.contains("badsignature") || lower.contains("bad signature") {
            TlsKind::BadSignature
        } else {
            TlsKind::Other
        };
        Self { kind, cause }
    }
}

impl fmt::Display for TlsReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cause)
    }
}

/// What is wrong with the client's configuration (or a request it was
/// handed), as the client says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigReason {
    /// The HTTP library refused the settings (its words).
    BuildClient {
        cause: String,
    },
    BadPath {
        path: String,
        cause: String,
    },
    CannotOverride {
        host: String,
    },
    CannotOverridePort {
        host: String,
    },
    /// The API base URL does not parse (`cause`) or is not http(s)://HOST.
    BadBaseUrl {
        url: String,
        cause: Option<String>,
    },
    /// `insecure` and a CA certificate together.
    InsecureWithCa,
    TlsSettings {
        cause: String,
    },
    TlsVersions {
        cause: String,
    },
    /// The CA file is not PEM.
    CaNotPem {
        cause: String,
    },
    /// A certificate of the CA file was refused.
    CaRefused {
        cause: String,
    },
    /// The CA file holds no certificate.
    CaEmpty,
    /// An address that cannot be a certificate's name.
    NotAServerName {
        host: String,
        cause: String,
    },
    /// A file part planned without its bytes (a bug of the caller).
    NoBytes {
        action: String,
    },
    ContentType {
        action: String,
        cause: String,
    },
}

impl fmt::Display for ConfigReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BuildClient { cause } => write!(f, "cannot build the HTTP client: {cause}"),
            Self::BadPath { path, cause } => write!(f, "bad path {path}: {cause}"),
            Self::CannotOverride { host } => write!(f, "cannot override {host}"),
            Self::CannotOverridePort { host } => write!(f, "cannot override the port of {host}"),
            Self::BadBaseUrl {
                url,
                cause: Some(cause),
            } => write!(f, "API base URL {url:?}: {cause}"),
            Self::BadBaseUrl { url, cause: None } => {
                write!(f, "API base URL {url:?}: expected http(s)://HOST[:PORT]")
            }
            Self::InsecureWithCa => f.write_str(
                "a CA certificate and insecure together: either verify against the CA or verify nothing",
            ),
            Self::TlsSettings { cause } => write!(f, "TLS verification settings: {cause}"),
            Self::TlsVersions { cause } => write!(f, "TLS versions: {cause}"),
            Self::CaNotPem { cause } => write!(f, "CA certificate: not a PEM bundle: {cause}"),
            Self::CaRefused { cause } => write!(f, "CA certificate: {cause}"),
            Self::CaEmpty => f.write_str("CA certificate: no certificate in the PEM file"),
            Self::NotAServerName { host, cause } => {
                write!(f, "{host:?} cannot be checked in a certificate: {cause}")
            }
            Self::NoBytes { action } => {
                write!(f, "{action}: a planned file part has no bytes to send")
            }
            Self::ContentType { action, cause } => write!(f, "{action}: content type: {cause}"),
        }
    }
}

/// What was wrong with an answer (or with a request body being encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeReason {
    /// Larger than the client reads ([`crate::answer`]'s cap).
    TooLarge { mib: usize },
    /// A body that is not JSON, with this status.
    NotJson { status: u16 },
    /// `data.<key>` missing from the answer.
    MissingData { key: String },
    /// The session answer carried no token.
    NoToken,
    /// A host scan entry without `host_uuid`.
    NoHostUuid,
    /// Neither a uuid nor a job id where one of them is due.
    NoUuidOrJob,
    /// A job answer without its state.
    NoJobState,
    /// `data.chunk_size` is not a whole number.
    BadChunkSize,
    /// `data.to_upload` is not a list of chunk numbers.
    BadChunkList,
    /// The JSON does not have the documented shape: serde's words.
    Shape { cause: String },
}

impl fmt::Display for DecodeReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { mib } => write!(f, "the answer is larger than {mib} MiB"),
            Self::NotJson { status } => write!(f, "HTTP {status} with a body that is not JSON"),
            Self::MissingData { key } => write!(f, "no data.{key} in the answer"),
            Self::NoToken => f.write_str("no token in the session answer"),
            Self::NoHostUuid => f.write_str("no host_uuid in the scan"),
            Self::NoUuidOrJob => f.write_str("neither uuid nor job_id in the answer"),
            Self::NoJobState => f.write_str("no job state in the answer"),
            Self::BadChunkSize => f.write_str("data.chunk_size is not a whole number of bytes"),
            Self::BadChunkList => f.write_str("data.to_upload is not a list of chunk numbers"),
            Self::Shape { cause } => f.write_str(cause),
        }
    }
}

/// Why a local file (the ISO) cannot be uploaded, or cannot be trusted to
/// be what was uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileReason {
    /// The operating system's words (`No such file or directory`).
    Io {
        cause: String,
    },
    /// A directory, a device, a socket.
    NotRegular,
    Empty,
    /// The path ends in `..` or `/`: no name for the image.
    NoFileName,
    /// The size or modification time moved between the start and the end
    /// of the upload; the image was rolled back.
    ChangedDuringUpload,
    /// The file could not be read for its SHA-256 (the operating system's
    /// or the runtime's words).
    HashRead {
        cause: String,
    },
    /// The hashing was stopped because the upload ended first.
    HashStopped,
    /// The size or modification time moved while it was hashed.
    ChangedWhileHashed,
}

impl fmt::Display for FileReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { cause } => f.write_str(cause),
            Self::NotRegular => f.write_str("not a regular file"),
            Self::Empty => f.write_str("the file is empty: nothing to upload"),
            Self::NoFileName => f.write_str("no file name to upload it under"),
            Self::ChangedDuringUpload => f.write_str(
                "the file changed while it was uploaded (image deleted); upload it again",
            ),
            Self::HashRead { cause } => write!(f, "reading for the SHA-256: {cause}"),
            Self::HashStopped => {
                f.write_str("reading for the SHA-256: the upload ended before the hash")
            }
            Self::ChangedWhileHashed => {
                f.write_str("the file changed while it was read for the SHA-256")
            }
        }
    }
}

/// Why the chunking a `create_volume` answer asks for cannot be used for
/// the file (the volume is given up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkingReason {
    /// Outside [`crate::MIN_CHUNK_SIZE`]..=[`crate::MAX_CHUNK_SIZE`].
    ChunkSizeOutOfBounds { chunk_size: u64 },
    /// More than [`crate::MAX_CHUNKS`] chunks.
    TooManyChunks {
        size: u64,
        chunk_size: u64,
        chunks: u64,
    },
    /// More chunks than this machine can count.
    ChunkTableTooLarge { chunks: u64, chunk_size: u64 },
    /// The answer wants a chunk the file does not have.
    ChunkOutOfRange {
        index: u64,
        chunks: u64,
        chunk_size: u64,
    },
    /// The answer lists a chunk twice.
    ChunkTwice { index: u64, chunks: u64 },
}

impl fmt::Display for ChunkingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ChunkSizeOutOfBounds { chunk_size } => write!(
                f,
                "create_volume asks for chunks of {chunk_size} bytes; a usable chunk size is {} KiB to {} GiB",
                crate::MIN_CHUNK_SIZE / 1024,
                crate::MAX_CHUNK_SIZE / (1024 * 1024 * 1024)
            ),
            Self::TooManyChunks {
                size,
                chunk_size,
                chunks,
            } => write!(
                f,
                "{size} bytes in chunks of {chunk_size} bytes is {chunks} chunks, more than {}",
                crate::MAX_CHUNKS
            ),
            Self::ChunkTableTooLarge { chunks, chunk_size } => {
                write!(f, "{chunks} chunks of {chunk_size} bytes is too many")
            }
            Self::ChunkOutOfRange {
                index,
                chunks,
                chunk_size,
            } => write!(
                f,
                "create_volume asks for chunk {index}, but the file has {chunks} chunks of {chunk_size} bytes"
            ),
            Self::ChunkTwice { index, chunks } => write!(
                f,
                "create_volume lists chunk {index} twice: its record does not match a file of {chunks} chunks"
            ),
        }
    }
}

/// What made an upload give a volume up.
#[derive(Debug)]
pub enum UploadCause {
    /// A call of the upload failed (`create_volume`): its own error, which
    /// a front end renders in its reader's language like any other.
    Call(Box<ApiError>),
    /// The volume's chunking does not fit the file.
    Chunking(ChunkingReason),
    /// A chunk failed every try; `error` is the last try's.
    ChunkFailed { tries: u32, error: Box<ApiError> },
    /// After the last chunk the server still lacks `count` chunks; `first`
    /// are the first (at most ten) of them.
    StillMissing { count: usize, first: Vec<u64> },
}

/// Chunk numbers shown of a "still missing" list.
pub const MISSING_SHOWN: usize = 10;

impl fmt::Display for UploadCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Call(error) => write!(f, "{error}"),
            Self::Chunking(reason) => write!(f, "{reason}"),
            Self::ChunkFailed { tries, error } => write!(f, "failed {tries} time(s): {error}"),
            Self::StillMissing { count, first } => {
                let shown: Vec<String> = first.iter().map(u64::to_string).collect();
                let more = if *count > first.len() { ", ..." } else { "" };
                write!(
                    f,
                    "after the last chunk the server still misses {count} chunk(s): [{}{more}]",
                    shown.join(", ")
                )
            }
        }
    }
}

/// Why an upload failed for good: the cause, and what was done about it.
#[derive(Debug)]
pub struct UploadReason {
    pub cause: UploadCause,
    /// The image was deleted (rolled back) after the failure.
    pub image_deleted: bool,
    /// The failure came again on the volume created after the first was
    /// given up.
    pub on_recreated_volume: bool,
}

impl UploadReason {
    /// A cause before any volume was made: nothing to delete.
    pub fn of(cause: UploadCause) -> Self {
        Self {
            cause,
            image_deleted: false,
            on_recreated_volume: false,
        }
    }
}

impl fmt::Display for UploadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.cause)?;
        match (self.on_recreated_volume, self.image_deleted) {
            (true, true) => f.write_str(" (on the recreated volume too; image deleted)"),
            (true, false) => f.write_str(" (on the recreated volume too)"),
            (false, true) => f.write_str(" (image deleted)"),
            (false, false) => Ok(()),
        }
    }
}

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Could not reach the server, or the connection broke.
    #[error("{action}: cannot reach {url}: {reason}")]
    Transport {
        action: String,
        url: CallUrl,
        reason: TransportReason,
    },
    /// TLS verification failed (self-signed certificate and no CA given).
    #[error(
        "{action}: TLS certificate of {url} is not trusted ({reason}); pass --ca-cert FILE to trust the cluster's CA, or --insecure to skip verification"
    )]
    Tls {
        action: String,
        url: CallUrl,
        reason: TlsReason,
    },
    /// No answer within the deadline.
    #[error("{action}: no answer from {url} within {seconds:.1}s")]
    Timeout {
        action: String,
        url: CallUrl,
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
    Decode {
        action: String,
        reason: DecodeReason,
    },
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
    Config(ConfigReason),
    /// The SVT upload of `file` failed for good (after retries and the
    /// volume recreation); `chunk` is the chunk that failed, if one did.
    #[error("upload of {file} failed{}: {reason}", chunk.map(|c| format!(" at chunk {c}")).unwrap_or_default())]
    Upload {
        file: String,
        chunk: Option<u64>,
        reason: UploadReason,
    },
    /// A local file (the ISO) could not be read, or is not fit to upload.
    #[error("{path}: {reason}")]
    File { path: String, reason: FileReason },
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
