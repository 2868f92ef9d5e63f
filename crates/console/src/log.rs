//! The console's own log, `DATA_DIR/console.log`: JSON lines, one per API
//! request (`action`, `status`, `error`, method, route, HTTP status,
//! duration, and the name of the token it carried) written by the console itself, plus whatever `tracing` events
//! the front end sends here ([`ConsoleLog::writer`], which `serve` installs).
//! Bounded: past [`MAX_LOG_BYTES`] the file becomes `console.log.1` (the
//! previous one dropped) and a new one starts. Nothing secret is written:
//! a route is the request's path without its query (where `?token=` goes),
//! and no header or body is logged.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use crate::{AppState, ConsoleError};

/// The log's file name in the data directory.
pub const LOG_FILE: &str = "console.log";

/// Where the log rotates: two files of this size at most.
pub const MAX_LOG_BYTES: u64 = 8 * 1024 * 1024;

struct Open {
    file: std::fs::File,
    written: u64,
}

/// The log file, shared by the request log and the `tracing` writer.
pub struct ConsoleLog {
    path: PathBuf,
    limit: u64,
    open: Mutex<Option<Open>>,
}

impl std::fmt::Debug for ConsoleLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn open_file(path: &Path) -> std::io::Result<Open> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    let file = smtx_platform::files::private_file(&mut options).open(path)?;
    let written = file.metadata()?.len();
    Ok(Open { file, written })
}

impl ConsoleLog {
    /// `DATA_DIR/console.log`, appended to, rotated past [`MAX_LOG_BYTES`].
    pub fn open(data_dir: &Path) -> Result<Arc<Self>, ConsoleError> {
        Self::with_limit(data_dir, MAX_LOG_BYTES)
    }

    /// As `open`, rotating past `limit` bytes.
    pub fn with_limit(data_dir: &Path, limit: u64) -> Result<Arc<Self>, ConsoleError> {
        let path = data_dir.join(LOG_FILE);
        let open = open_file(&path).map_err(|e| ConsoleError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        Ok(Arc::new(Self {
            path,
            limit,
            open: Mutex::new(Some(open)),
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line (`line` without its newline). A log that cannot be
    /// written never fails a request: the line is lost, the next one tries
    /// the file again.
    pub fn write_line(&self, line: &[u8]) {
        let Ok(mut open) = self.open.lock() else {
            return;
        };
        let len = line.len() as u64 + 1;
        if open.as_ref().is_some_and(|o| o.written + len > self.limit) {
            *open = None;
            let _ = std::fs::rename(&self.path, self.path.with_extension("log.1"));
        }
        if open.is_none() {
            *open = open_file(&self.path).ok();
        }
        if let Some(current) = open.as_mut() {
            let mut bytes = Vec::with_capacity(line.len() + 1);
            bytes.extend_from_slice(line);
            bytes.push(b'\n');
            match current.file.write_all(&bytes) {
                Ok(()) => current.written += len,
                Err(_) => *open = None,
            }
        }
    }

    /// A `tracing_subscriber` writer into this log: each event is buffered
    /// and written as one line, rotation included.
    pub fn writer(self: &Arc<Self>) -> LogWriter {
        LogWriter(Arc::clone(self))
    }
}

/// `MakeWriter` over a [`ConsoleLog`].
#[derive(Debug, Clone)]
pub struct LogWriter(Arc<ConsoleLog>);

/// One event's bytes, written to the log as lines when dropped.
#[derive(Debug)]
pub struct LineBuffer {
    log: Arc<ConsoleLog>,
    bytes: Vec<u8>,
}

impl Write for LineBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        for line in self.bytes.split(|&b| b == b'\n') {
            if !line.is_empty() {
                self.log.write_line(line);
            }
        }
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LineBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        LineBuffer {
            log: Arc::clone(&self.0),
            bytes: Vec::new(),
        }
    }
}

/// The error code an [`crate::ApiError`] answer carried, for the log.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

/// At most this much of a path is logged (a path is the client's to make
/// as long as it likes).
const MAX_ROUTE_CHARS: usize = 200;

/// Carries the matched route out to [`access_log`], which runs before
/// routing and so cannot see it on the request.
pub async fn keep_route(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let mut response = next.run(request).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// One line per `/api` request: what was asked, how it ended, how long it
/// took. Answers to the page's assets are not logged.
pub async fn access_log(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api") {
        return next.run(request).await;
    }
    let method = request.method().to_string();
    let path: String = path.chars().take(MAX_ROUTE_CHARS).collect();
    let started = Instant::now();
    let response = next.run(request).await;
    // The route pattern when one matched (see `keep_route`); else the path.
    // Never the query: that is where `?token=` goes.
    let route = response
        .extensions()
        .get::<MatchedPath>()
        .map_or(path.clone(), |route| route.as_str().to_string());
    let code = response.status();
    let error = response.extensions().get::<ErrorCode>().map(|code| code.0);
    // Whose token the request carried: its name, never the token.
    let by = response
        .extensions()
        .get::<crate::tokens::Caller>()
        .and_then(|caller| caller.name.clone());
    let failed = code.is_client_error() || code.is_server_error();
    let line = json!({
        // As the tracing lines beside it: to the microsecond.
        "timestamp": humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
        "level": if code.is_server_error() { "ERROR" } else if failed { "WARN" } else { "INFO" },
        "target": "smtx_console::http",
        "fields": {
            "action": "http_request",
            "status": if failed { "failed" } else { "ok" },
            "error": error.or_else(|| failed.then(|| code.canonical_reason().unwrap_or("error"))),
            "method": method,
            "route": route,
            "path": path,
            "code": code.as_u16(),
            "by": by,
            "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
        },
    });
    state.log().write_line(line.to_string().as_bytes());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_and_stays_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = ConsoleLog::with_limit(dir.path(), 1000).expect("opens");
        let line = vec![b'x'; 99];
        for _ in 0..35 {
            log.write_line(&line);
        }
        let current = std::fs::metadata(dir.path().join(LOG_FILE)).expect("log");
        let old = std::fs::metadata(dir.path().join("console.log.1")).expect("rotated");
        assert!(current.len() <= 1000 && old.len() <= 1000);
        assert_eq!(current.len() % 100, 0, "whole lines only");
        assert_eq!(old.len(), 1000);
        // A reopened log counts what is there already.
        drop(log);
        let log = ConsoleLog::with_limit(dir.path(), 1000).expect("reopens");
        for _ in 0..10 {
            log.write_line(&line);
        }
        let current = std::fs::metadata(dir.path().join(LOG_FILE)).expect("log");
        assert!(current.len() <= 1000);
    }
}
