//! Upload progress: what the terminal and the web console are told
//! ([`UploadProgress`], through the caller's [`ProgressFn`]) and the
//! `svt_upload` progress log line, both from one [`Tracker`] shared by the
//! upload loop and the chunk body streams. `bytes_done` never goes back
//! within a volume, and updates are rate-limited; the log line is written
//! only from the upload's own task (see `Origin::Stream`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Progress callbacks inside a chunk come at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The progress log line comes at most this often.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Called with every progress update.
pub type ProgressFn = Arc<dyn Fn(&UploadProgress) + Send + Sync>;

/// Where an upload stands. `bytes_done` counts bytes the server holds
/// (including chunks it had before this run) plus the chunk in flight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadProgress {
    pub bytes_done: u64,
    pub total: u64,
    pub chunks_done: usize,
    pub chunks_total: usize,
    /// Bytes actually sent by this run, per second.
    pub bytes_per_sec: f64,
    pub eta: Option<Duration>,
}

/// Progress bookkeeping shared by the upload loop and the body streams.
/// Where an update comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A chunk body as it streams, on the HTTP client's own task: the
    /// callback is told, but nothing is logged there. That task does not
    /// carry the caller's log (the engine's stage log is attached to the
    /// stage's future), and tracing decides once per call site, where it is
    /// first reached, whether anyone listens: a line first written there
    /// would never reach the stage log.
    Stream,
    /// A chunk acknowledged (or already on the server), on the upload's
    /// own task.
    Chunk,
    /// The last chunk: always logged.
    LastChunk,
}

pub(super) struct Tracker {
    callback: Option<ProgressFn>,
    file_name: String,
    total: u64,
    inner: Mutex<TrackerState>,
}

struct TrackerState {
    chunks_total: usize,
    chunks_done: usize,
    /// Bytes of chunks the server holds.
    committed: u64,
    /// Bytes of the chunk in flight streamed so far.
    in_flight: u64,
    /// Bytes this round actually sent and had acknowledged.
    sent: u64,
    first_send: Option<Instant>,
    last_emit: Option<Instant>,
    last_bytes: u64,
    last_log: Option<Instant>,
}

impl Tracker {
    pub(super) fn new(callback: Option<ProgressFn>, file_name: &str, total: u64) -> Self {
        Self {
            callback,
            file_name: file_name.to_string(),
            total,
            inner: Mutex::new(TrackerState {
                chunks_total: 0,
                chunks_done: 0,
                committed: 0,
                in_flight: 0,
                sent: 0,
                first_send: None,
                last_emit: None,
                last_bytes: 0,
                last_log: None,
            }),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut TrackerState) -> T) -> Option<T> {
        // A poisoned lock only means a progress callback panicked; progress
        // is not worth failing the upload for.
        self.inner.lock().ok().map(|mut state| f(&mut state))
    }

    /// A new volume: everything starts again.
    pub(super) fn start_round(&self, chunks_total: usize) {
        self.with(|s| {
            s.chunks_total = chunks_total;
            s.chunks_done = 0;
            s.committed = 0;
            s.in_flight = 0;
            s.sent = 0;
            s.first_send = None;
            s.last_bytes = 0;
        });
    }

    pub(super) fn streamed(&self, bytes: u64) {
        self.with(|s| {
            s.first_send.get_or_insert_with(Instant::now);
            s.in_flight += bytes;
            let due = s
                .last_emit
                .is_none_or(|last| last.elapsed() >= PROGRESS_EVERY);
            if due {
                self.emit(s, Origin::Stream);
            }
        });
    }

    /// The chunk in flight is sent from its first byte (again).
    pub(super) fn chunk_started(&self) {
        self.with(|s| s.in_flight = 0);
    }

    pub(super) fn chunk_done(&self, bytes: u64, sent: bool) {
        self.with(|s| {
            s.in_flight = 0;
            s.committed += bytes;
            s.chunks_done += 1;
            if sent {
                s.sent += bytes;
            }
            let origin = if s.chunks_done == s.chunks_total {
                Origin::LastChunk
            } else {
                Origin::Chunk
            };
            self.emit(s, origin);
        });
    }

    /// Calls the callback (under the lock, so updates arrive in order and
    /// `bytes_done` never goes back within a round) and, at a chunk's end,
    /// logs now and then.
    fn emit(&self, s: &mut TrackerState, origin: Origin) {
        let bytes_done = (s.committed + s.in_flight).min(self.total);
        if bytes_done < s.last_bytes {
            return;
        }
        s.last_bytes = bytes_done;
        let now = Instant::now();
        s.last_emit = Some(now);
        let elapsed = s
            .first_send
            .map(|start| start.elapsed().as_secs_f64())
            .unwrap_or(0.0);
        let moved = s.sent + s.in_flight;
        let bytes_per_sec = if elapsed > 0.0 {
            moved as f64 / elapsed
        } else {
            0.0
        };
        let remaining = self.total.saturating_sub(bytes_done);
        let eta = if remaining == 0 {
            Some(Duration::ZERO)
        } else if bytes_per_sec > 0.0 {
            Some(Duration::from_secs_f64(remaining as f64 / bytes_per_sec))
        } else {
            None
        };
        let progress = UploadProgress {
            bytes_done,
            total: self.total,
            chunks_done: s.chunks_done,
            chunks_total: s.chunks_total,
            bytes_per_sec,
            eta,
        };
        let log = match origin {
            Origin::Stream => false,
            Origin::Chunk => s.last_log.is_none_or(|at| at.elapsed() >= LOG_EVERY),
            Origin::LastChunk => true,
        };
        if log {
            s.last_log = Some(now);
            let percent = if self.total == 0 {
                100.0
            } else {
                bytes_done as f64 * 100.0 / self.total as f64
            };
            tracing::info!(
                action = "svt_upload",
                status = "progress",
                error = "",
                file = %self.file_name,
                percent = format_args!("{percent:.1}"),
                bytes_done,
                total = self.total,
                chunks_done = s.chunks_done,
                chunks_total = s.chunks_total,
                bytes_per_sec = bytes_per_sec as u64,
                eta_s = eta.map(|eta| eta.as_secs())
            );
        }
        if let Some(callback) = &self.callback {
            callback(&progress);
        }
    }
}
