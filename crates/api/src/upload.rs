//! The VMTools (SVT) chunked upload (reference 2.14–2.16): `create_volume`,
//! one streamed multipart `upload_template` per chunk the server still
//! wants, per-chunk retries with backoff, one rollback-and-recreate, the
//! SHA-256 of the whole file computed in the same single read pass, progress
//! for the terminal and the web console, and the ISO lookup in a directory.
//!
//! Memory stays flat whatever the chunk size: a chunk's body is a stream of
//! [`READ_PIECE`] reads from the file, never the whole chunk. The hash of a
//! chunk is computed while its body streams, on a copy of the running hash
//! state, and only becomes the running state once the server acknowledged
//! the chunk — so a retried chunk is never hashed twice.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use reqwest::{Body, Url, header, multipart};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::client::{Auth, Call, Envelope, read_answer, transport_error};
use crate::dry_run::{DRY_RUN_ID, PlannedCall};
use crate::{ApiClient, ApiError};

/// Used when `create_volume` does not say (the original client does too).
pub const FALLBACK_CHUNK_SIZE: u64 = 8 * 1024 * 1024;

/// One read from the file, and one piece of a chunk's request body.
const READ_PIECE: usize = 256 * 1024;

/// Progress callbacks inside a chunk come at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The progress log line comes at most this often.
const LOG_EVERY: Duration = Duration::from_secs(5);

const CREATE_PATH: &str = "/api/v2/svt_image/create_volume";
const CHUNK_PATH: &str = "/api/v2/svt_image/upload_template";
const CREATE_ACTION: &str = "POST /api/v2/svt_image/create_volume";
const CHUNK_ACTION: &str = "POST /api/v2/svt_image/upload_template";

/// Called with every progress update.
pub type ProgressFn = Arc<dyn Fn(&UploadProgress) + Send + Sync>;

/// The ISO to upload, and the name the cluster will know it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SvtUpload {
    pub path: PathBuf,
    pub file_name: String,
}

impl SvtUpload {
    /// Uploads `path` under its own file name.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let file_name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        Self { path, file_name }
    }
}

/// How hard to try.
#[derive(Clone)]
pub struct UploadOptions {
    /// Extra attempts for a failed chunk before the volume is given up.
    pub chunk_retries: u32,
    /// Times a given-up volume is deleted and the upload started again.
    pub recreate_attempts: u32,
    pub progress: Option<ProgressFn>,
}

impl Default for UploadOptions {
    fn default() -> Self {
        Self {
            chunk_retries: 2,
            recreate_attempts: 1,
            progress: None,
        }
    }
}

impl std::fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadOptions")
            .field("chunk_retries", &self.chunk_retries)
            .field("recreate_attempts", &self.recreate_attempts)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

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

/// A finished upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UploadReport {
    pub image_uuid: String,
    pub zbs_volume_id: String,
    pub file_name: String,
    pub chunk_size: u64,
    /// Lower-case hex SHA-256 of the whole file (empty in a dry run).
    pub sha256: String,
    pub size: u64,
    pub chunks_sent: usize,
    /// Chunks the server already had when the volume was created (resume).
    pub chunks_already_present: usize,
    /// The first volume was given up, deleted, and a new one completed.
    pub recreated: bool,
}

/// The newest `SMTX_VMTOOLS-*.iso` regular file in `dir`: highest version
/// in the name (numbers compared as numbers), then latest mtime, then name.
pub fn find_vmtools_iso(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_str()?.to_string();
            let version = vmtools_version(&name)?;
            let metadata = std::fs::metadata(entry.path()).ok()?;
            if !metadata.is_file() {
                return None;
            }
            let mtime = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            Some(((version, mtime, name), entry.path()))
        })
        .max_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, path)| path)
}

/// The numbers in `SMTX_VMTOOLS-3.2.0-2501210639.iso` → `[3, 2, 0,
/// 2501210639]`; `None` for any other name.
fn vmtools_version(name: &str) -> Option<Vec<u64>> {
    let rest = name.strip_prefix("SMTX_VMTOOLS-")?;
    let stem_len = rest.len().checked_sub(4)?;
    if !rest.is_char_boundary(stem_len) || !rest[stem_len..].eq_ignore_ascii_case(".iso") {
        return None;
    }
    Some(
        rest[..stem_len]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .map(|part| part.parse::<u64>().unwrap_or(u64::MAX))
            .collect(),
    )
}

/// What `create_volume` answered.
#[derive(Debug, Clone)]
struct Volume {
    image_uuid: String,
    zbs_volume_id: String,
    chunk_size: u64,
    /// `None` when the answer has no list: every chunk is wanted.
    to_upload: Option<Vec<u64>>,
}

impl Volume {
    fn from_answer(data: &Value) -> Result<Self, ApiError> {
        let text = |key: &str| {
            data.get(key)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
                .ok_or_else(|| ApiError::Decode {
                    action: CREATE_ACTION.to_string(),
                    reason: format!("no data.{key} in the answer"),
                })
        };
        let chunk_size = match data.get("chunk_size").and_then(Value::as_u64) {
            Some(size) if size > 0 => size,
            _ => {
                tracing::warn!(
                    action = CREATE_ACTION,
                    status = "fallback",
                    error = "no usable chunk_size in the answer",
                    chunk_size = FALLBACK_CHUNK_SIZE
                );
                FALLBACK_CHUNK_SIZE
            }
        };
        let to_upload = match data.get("to_upload") {
            None | Some(Value::Null) => None,
            Some(value) => Some(index_list(value).ok_or_else(|| ApiError::Decode {
                action: CREATE_ACTION.to_string(),
                reason: "data.to_upload is not a list of chunk numbers".to_string(),
            })?),
        };
        Ok(Self {
            image_uuid: text("image_uuid")?,
            zbs_volume_id: text("zbs_volume_id")?,
            chunk_size,
            to_upload,
        })
    }
}

fn index_list(value: &Value) -> Option<Vec<u64>> {
    value.as_array()?.iter().map(Value::as_u64).collect()
}

/// Why one volume was given up.
#[derive(Debug)]
enum RoundError {
    /// A chunk failed every attempt, or the server still misses chunks.
    Server { chunk: Option<u64>, reason: String },
    /// Reading the file failed: a new volume would not help.
    Local(ApiError),
}

/// What one volume's upload achieved.
struct RoundOutcome {
    sha256: String,
    chunks_sent: usize,
    chunks_already_present: usize,
}

/// Progress bookkeeping shared by the upload loop and the body streams.
struct Tracker {
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
    fn new(callback: Option<ProgressFn>, file_name: &str, total: u64) -> Self {
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
    fn start_round(&self, chunks_total: usize) {
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

    fn streamed(&self, bytes: u64) {
        self.with(|s| {
            s.first_send.get_or_insert_with(Instant::now);
            s.in_flight += bytes;
            let due = s
                .last_emit
                .is_none_or(|last| last.elapsed() >= PROGRESS_EVERY);
            if due {
                self.emit(s, false);
            }
        });
    }

    fn retrying(&self) {
        self.with(|s| s.in_flight = 0);
    }

    fn chunk_done(&self, bytes: u64, sent: bool) {
        self.with(|s| {
            s.in_flight = 0;
            s.committed += bytes;
            s.chunks_done += 1;
            if sent {
                s.sent += bytes;
            }
            let last = s.chunks_done == s.chunks_total;
            self.emit(s, last);
        });
    }

    /// Calls the callback (under the lock, so updates arrive in order and
    /// `bytes_done` never goes back within a round) and logs now and then.
    fn emit(&self, s: &mut TrackerState, last: bool) {
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
        if last || s.last_log.is_none_or(|at| at.elapsed() >= LOG_EVERY) {
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

/// The chunk to send: where it lies in the file and the hash state before it.
struct ChunkRead {
    path: PathBuf,
    offset: u64,
    len: u64,
    hasher: Sha256,
}

/// Where a fully streamed chunk leaves its hash state.
type HashSlot = Arc<Mutex<Option<Sha256>>>;

/// A chunk's body: `len` bytes from `offset`, read in [`READ_PIECE`] pieces
/// on the blocking pool and hashed there; once the last piece is read the
/// hash state is put in `slot` (the request may still fail afterwards: the
/// caller decides whether to keep it).
fn chunk_stream(
    read: ChunkRead,
    slot: HashSlot,
    tracker: Arc<Tracker>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    struct State {
        file: Option<std::fs::File>,
        read: ChunkRead,
        remaining: u64,
        slot: HashSlot,
        tracker: Arc<Tracker>,
    }
    let remaining = read.len;
    let state = State {
        file: None,
        read,
        remaining,
        slot,
        tracker,
    };
    futures::stream::try_unfold(state, |mut state| async move {
        if state.remaining == 0 {
            return Ok(None);
        }
        let want = usize::try_from(state.remaining)
            .unwrap_or(READ_PIECE)
            .min(READ_PIECE);
        let file = state.file.take();
        let path = state.read.path.clone();
        let offset = state.read.offset;
        let mut hasher = state.read.hasher.clone();
        let (file, piece, hasher) = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = match file {
                Some(file) => file,
                None => {
                    let mut file = std::fs::File::open(&path)?;
                    file.seek(SeekFrom::Start(offset))?;
                    file
                }
            };
            let mut piece = vec![0u8; want];
            file.read_exact(&mut piece)?;
            hasher.update(&piece);
            Ok::<_, std::io::Error>((file, piece, hasher))
        })
        .await
        .map_err(std::io::Error::other)??;
        state.file = Some(file);
        state.read.hasher = hasher;
        state.remaining -= want as u64;
        if state.remaining == 0
            && let Ok(mut slot) = state.slot.lock()
        {
            *slot = Some(state.read.hasher.clone());
        }
        state.tracker.streamed(want as u64);
        Ok(Some((Bytes::from(piece), state)))
    })
}

/// Hashes `len` bytes at `offset` of an open file (chunks not sent, and the
/// fallback when a body was not fully streamed).
async fn hash_region(
    path: &Path,
    file: Option<std::fs::File>,
    offset: u64,
    len: u64,
    mut hasher: Sha256,
) -> Result<(std::fs::File, Sha256), ApiError> {
    let path = path.to_path_buf();
    let shown = path.display().to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = match file {
            Some(file) => file,
            None => std::fs::File::open(&path)?,
        };
        file.seek(SeekFrom::Start(offset))?;
        let mut piece = vec![0u8; READ_PIECE];
        let mut remaining = len;
        while remaining > 0 {
            let want = usize::try_from(remaining)
                .unwrap_or(READ_PIECE)
                .min(READ_PIECE);
            file.read_exact(&mut piece[..want])?;
            hasher.update(&piece[..want]);
            remaining -= want as u64;
        }
        Ok::<_, std::io::Error>((file, hasher))
    })
    .await
    .map_err(|e| ApiError::File {
        path: shown.clone(),
        reason: format!("reading for the SHA-256: {e}"),
    })?
    .map_err(|e| ApiError::File {
        path: shown,
        reason: format!("reading for the SHA-256: {e}"),
    })
}

impl ApiClient {
    /// Uploads an ISO as the cluster's VMTools image (reference 2.14–2.16):
    /// creates the volume, sends the chunks the server still wants, retries
    /// a chunk `chunk_retries` times, then deletes the image and starts over
    /// on a new volume up to `recreate_attempts` times. An empty file is
    /// refused. In dry-run mode the calls are recorded, nothing is sent and
    /// the file is not read.
    pub async fn upload_svt_image(
        &self,
        upload: &SvtUpload,
        options: &UploadOptions,
    ) -> Result<UploadReport, ApiError> {
        let shown = upload.path.display().to_string();
        let metadata = tokio::fs::metadata(&upload.path)
            .await
            .map_err(|e| ApiError::File {
                path: shown.clone(),
                reason: e.to_string(),
            })?;
        if !metadata.is_file() {
            return Err(ApiError::File {
                path: shown,
                reason: "not a regular file".to_string(),
            });
        }
        let size = metadata.len();
        if size == 0 {
            return Err(ApiError::File {
                path: shown,
                reason: "the file is empty: nothing to upload".to_string(),
            });
        }
        if upload.file_name.is_empty() {
            return Err(ApiError::File {
                path: shown,
                reason: "no file name to upload it under".to_string(),
            });
        }
        if self.is_dry_run() {
            return self.plan_upload(upload, size);
        }

        let tracker = Arc::new(Tracker::new(
            options.progress.clone(),
            &upload.file_name,
            size,
        ));
        let started = Instant::now();
        let mut recreated = false;
        let mut round = 0u32;
        loop {
            let volume = self
                .create_volume(&upload.file_name, size)
                .await
                .map_err(|error| upload_error(upload, None, error.to_string()))?;
            tracing::info!(
                action = CREATE_ACTION,
                status = "ok",
                error = "",
                file = %upload.file_name,
                size,
                image_uuid = %volume.image_uuid,
                zbs_volume_id = %volume.zbs_volume_id,
                chunk_size = volume.chunk_size,
                to_upload = volume.to_upload.as_ref().map(Vec::len)
            );
            let outcome = self
                .upload_volume(upload, size, &volume, options, &tracker)
                .await;
            let error = match outcome {
                Ok(done) => {
                    let elapsed = started.elapsed().as_secs_f64();
                    tracing::info!(
                        action = "svt_upload",
                        status = "ok",
                        error = "",
                        file = %upload.file_name,
                        sha256 = %done.sha256,
                        size,
                        image_uuid = %volume.image_uuid,
                        chunks_sent = done.chunks_sent,
                        chunks_already_present = done.chunks_already_present,
                        recreated,
                        elapsed_s = format_args!("{elapsed:.1}")
                    );
                    return Ok(UploadReport {
                        image_uuid: volume.image_uuid,
                        zbs_volume_id: volume.zbs_volume_id,
                        file_name: upload.file_name.clone(),
                        chunk_size: volume.chunk_size,
                        sha256: done.sha256,
                        size,
                        chunks_sent: done.chunks_sent,
                        chunks_already_present: done.chunks_already_present,
                        recreated,
                    });
                }
                Err(error) => error,
            };
            // A half-written image is useless and blocks a clean retry.
            self.rollback(&volume.image_uuid, &upload.file_name).await;
            let (chunk, reason) = match error {
                RoundError::Local(error) => return Err(error),
                RoundError::Server { chunk, reason } => (chunk, reason),
            };
            if round >= options.recreate_attempts {
                let reason = if recreated {
                    format!("{reason} (on the recreated volume too; image deleted)")
                } else {
                    format!("{reason} (image deleted)")
                };
                return Err(upload_error(upload, chunk, reason));
            }
            round += 1;
            recreated = true;
            tracing::warn!(
                action = "svt_upload",
                status = "recreate",
                error = %reason,
                file = %upload.file_name,
                chunk,
                round
            );
        }
    }

    async fn create_volume(&self, name: &str, size: u64) -> Result<Volume, ApiError> {
        let data = self
            .send(
                Call::post(CREATE_PATH, None)
                    .query("name", name)
                    .query("size", size.to_string()),
            )
            .await?;
        Volume::from_answer(&data)
    }

    async fn rollback(&self, image_uuid: &str, file_name: &str) {
        match self.delete_image(image_uuid).await {
            Ok(()) => tracing::info!(
                action = "DELETE /api/v2/images/{image_uuid}",
                status = "ok",
                error = "",
                file = %file_name,
                image_uuid
            ),
            Err(error) => tracing::warn!(
                action = "DELETE /api/v2/images/{image_uuid}",
                status = "failed",
                error = %error,
                file = %file_name,
                image_uuid
            ),
        }
    }

    /// Sends the wanted chunks of one volume in file order, hashing every
    /// chunk (sent or not) exactly once, in order.
    async fn upload_volume(
        &self,
        upload: &SvtUpload,
        size: u64,
        volume: &Volume,
        options: &UploadOptions,
        tracker: &Arc<Tracker>,
    ) -> Result<RoundOutcome, RoundError> {
        let chunk_size = volume.chunk_size;
        let chunks = size.div_ceil(chunk_size);
        let chunks_total = usize::try_from(chunks).map_err(|_| RoundError::Server {
            chunk: None,
            reason: format!("{chunks} chunks of {chunk_size} bytes is too many"),
        })?;
        let mut wanted = vec![volume.to_upload.is_none(); chunks_total];
        for &index in volume.to_upload.iter().flatten() {
            let slot = usize::try_from(index)
                .ok()
                .and_then(|index| wanted.get_mut(index))
                .ok_or_else(|| RoundError::Server {
                    chunk: Some(index),
                    reason: format!(
                        "create_volume asks for chunk {index}, but the file has {chunks} chunks of {chunk_size} bytes"
                    ),
                })?;
            *slot = true;
        }
        tracker.start_round(chunks_total);

        let mut hasher = Sha256::new();
        let mut skip_file: Option<std::fs::File> = None;
        let mut chunks_sent = 0usize;
        let mut chunks_already_present = 0usize;
        // The missing list of the latest chunk answer (`None`: it had none,
        // so acknowledged chunks are all we know).
        let mut still_missing: Option<Vec<u64>> = None;
        for (index, send) in (0..chunks).zip(wanted) {
            let offset = index * chunk_size;
            let len = chunk_size.min(size - offset);
            if !send {
                let (file, next) = hash_region(&upload.path, skip_file.take(), offset, len, hasher)
                    .await
                    .map_err(RoundError::Local)?;
                skip_file = Some(file);
                hasher = next;
                chunks_already_present += 1;
                tracker.chunk_done(len, false);
                continue;
            }
            let read = ChunkRead {
                path: upload.path.clone(),
                offset,
                len,
                hasher: hasher.clone(),
            };
            let (next, missing) = self
                .send_chunk(upload, volume, index, read, options, tracker)
                .await?;
            hasher = next;
            chunks_sent += 1;
            still_missing = missing;
            tracker.chunk_done(len, true);
        }
        if let Some(missing) = still_missing.filter(|missing| !missing.is_empty()) {
            let shown: Vec<String> = missing.iter().take(10).map(u64::to_string).collect();
            let more = if missing.len() > 10 { ", ..." } else { "" };
            return Err(RoundError::Server {
                chunk: missing.first().copied(),
                reason: format!(
                    "after the last chunk the server still misses {} chunk(s): [{}{more}]",
                    missing.len(),
                    shown.join(", ")
                ),
            });
        }
        Ok(RoundOutcome {
            sha256: hex::encode(hasher.finalize()),
            chunks_sent,
            chunks_already_present,
        })
    }

    /// One chunk with its retries; answers the hash state after the chunk
    /// and the server's missing list, if the answer had one.
    async fn send_chunk(
        &self,
        upload: &SvtUpload,
        volume: &Volume,
        index: u64,
        read: ChunkRead,
        options: &UploadOptions,
        tracker: &Arc<Tracker>,
    ) -> Result<(Sha256, Option<Vec<u64>>), RoundError> {
        let mut attempt = 0u32;
        let mut relogged = false;
        loop {
            let slot: HashSlot = Arc::new(Mutex::new(None));
            let started = Instant::now();
            let result = self
                .post_chunk(upload, volume, index, &read, &slot, tracker)
                .await;
            let elapsed_ms = started.elapsed().as_millis() as u64;
            match result {
                Ok(data) => {
                    tracing::debug!(
                        action = CHUNK_ACTION,
                        status = "ok",
                        error = "",
                        chunk = index,
                        bytes = read.len,
                        attempt,
                        elapsed_ms
                    );
                    let streamed = slot.lock().ok().and_then(|mut slot| slot.take());
                    let hasher = match streamed {
                        Some(hasher) => hasher,
                        // The server took the chunk without our reading all
                        // of it: hash it again from the file.
                        None => {
                            hash_region(
                                &read.path,
                                None,
                                read.offset,
                                read.len,
                                read.hasher.clone(),
                            )
                            .await
                            .map_err(RoundError::Local)?
                            .1
                        }
                    };
                    let missing = match data.get("to_upload") {
                        None | Some(Value::Null) => None,
                        Some(list) => {
                            let parsed = index_list(list);
                            if parsed.is_none() {
                                tracing::warn!(
                                    action = CHUNK_ACTION,
                                    status = "ignored",
                                    error = "data.to_upload is not a list of chunk numbers",
                                    chunk = index
                                );
                            }
                            parsed
                        }
                    };
                    return Ok((hasher, missing));
                }
                Err(ApiError::Unauthorized { .. }) if !relogged && self.can_relogin() => {
                    relogged = true;
                    tracker.retrying();
                    tracing::info!(
                        action = CHUNK_ACTION,
                        status = "retry",
                        error = "session rejected, logging in again",
                        chunk = index
                    );
                    if let Err(error) = self.relogin().await {
                        return Err(RoundError::Server {
                            chunk: Some(index),
                            reason: error.to_string(),
                        });
                    }
                }
                Err(error) if attempt < options.chunk_retries => {
                    let delay = self.config().retry.delay(attempt);
                    attempt += 1;
                    tracker.retrying();
                    tracing::debug!(
                        action = CHUNK_ACTION,
                        status = "retry",
                        error = %error,
                        chunk = index,
                        attempt,
                        delay_ms = delay.as_millis() as u64,
                        elapsed_ms
                    );
                    // Backoff before resending the chunk (capped, jittered).
                    tokio::time::sleep(delay).await;
                }
                Err(error) => {
                    tracing::debug!(
                        action = CHUNK_ACTION,
                        status = "failed",
                        error = %error,
                        chunk = index,
                        attempt,
                        elapsed_ms
                    );
                    return Err(RoundError::Server {
                        chunk: Some(index),
                        reason: format!("failed {} time(s): {error}", attempt + 1),
                    });
                }
            }
        }
    }

    /// One multipart POST of one chunk, the body streamed from the file.
    async fn post_chunk(
        &self,
        upload: &SvtUpload,
        volume: &Volume,
        index: u64,
        read: &ChunkRead,
        slot: &HashSlot,
        tracker: &Arc<Tracker>,
    ) -> Result<Value, ApiError> {
        let query = chunk_query(volume, index);
        let crate::client::Routed {
            url,
            host_header,
            http,
        } = self.target(CHUNK_PATH, &query)?;
        let stream = chunk_stream(
            ChunkRead {
                path: read.path.clone(),
                offset: read.offset,
                len: read.len,
                hasher: read.hasher.clone(),
            },
            Arc::clone(slot),
            Arc::clone(tracker),
        );
        let part = multipart::Part::stream_with_length(Body::wrap_stream(stream), read.len)
            .file_name(upload.file_name.clone())
            .mime_str("application/octet-stream")
            .map_err(|e| ApiError::Config(format!("{CHUNK_ACTION}: content type: {e}")))?;
        let form = multipart::Form::new().part("file", part);
        let timeout = self.config().upload_timeout;
        let mut request = http.post(url.clone()).timeout(timeout).multipart(form);
        if let Some(host) = &host_header {
            request = request.header(header::HOST, host.as_str());
        }
        let request = self.authorize(request, Auth::Session);
        let response = request.send().await.map_err(|e| {
            transport_error(CHUNK_ACTION, &url, host_header.as_deref(), &e, timeout)
        })?;
        read_answer(
            CHUNK_ACTION,
            response,
            Envelope::V2,
            &url,
            host_header.as_deref(),
            timeout,
        )
        .await
    }

    /// Dry run: the create call and one call per chunk (at the fallback
    /// chunk size, as the real one is the server's to say), nothing sent.
    fn plan_upload(&self, upload: &SvtUpload, size: u64) -> Result<UploadReport, ApiError> {
        let base = Url::parse(self.base_url())
            .map_err(|e| ApiError::Config(format!("API base URL: {e}")))?;
        let url_for = |path: &str, query: &[(&'static str, String)]| -> Result<String, ApiError> {
            let mut url = base
                .join(path)
                .map_err(|e| ApiError::Config(format!("bad path {path}: {e}")))?;
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
            Ok(url.to_string())
        };
        self.record_planned(PlannedCall {
            method: "POST".to_string(),
            url: url_for(
                CREATE_PATH,
                &[
                    ("name", upload.file_name.clone()),
                    ("size", size.to_string()),
                ],
            )?,
            body: None,
        });
        let volume = Volume {
            image_uuid: DRY_RUN_ID.to_string(),
            zbs_volume_id: DRY_RUN_ID.to_string(),
            chunk_size: FALLBACK_CHUNK_SIZE,
            to_upload: None,
        };
        let chunks = size.div_ceil(FALLBACK_CHUNK_SIZE);
        for index in 0..chunks {
            let len = FALLBACK_CHUNK_SIZE.min(size - index * FALLBACK_CHUNK_SIZE);
            self.record_planned(PlannedCall {
                method: "POST".to_string(),
                url: url_for(CHUNK_PATH, &chunk_query(&volume, index))?,
                body: Some(json!({"file": {"file_name": upload.file_name, "bytes": len}})),
            });
        }
        Ok(UploadReport {
            image_uuid: volume.image_uuid,
            zbs_volume_id: volume.zbs_volume_id,
            file_name: upload.file_name.clone(),
            chunk_size: FALLBACK_CHUNK_SIZE,
            sha256: String::new(),
            size,
            chunks_sent: 0,
            chunks_already_present: 0,
            recreated: false,
        })
    }
}

fn chunk_query(volume: &Volume, index: u64) -> Vec<(&'static str, String)> {
    vec![
        ("zbs_volume_id", volume.zbs_volume_id.clone()),
        ("chunk_num", index.to_string()),
        ("image_uuid", volume.image_uuid.clone()),
    ]
}

fn upload_error(upload: &SvtUpload, chunk: Option<u64>, reason: String) -> ApiError {
    ApiError::Upload {
        file: upload.path.display().to_string(),
        chunk,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_from_the_name() {
        assert_eq!(
            vmtools_version("SMTX_VMTOOLS-3.2.0-2501210639.iso"),
            Some(vec![3, 2, 0, 2_501_210_639])
        );
        assert_eq!(vmtools_version("SMTX_VMTOOLS-10.0.ISO"), Some(vec![10, 0]));
        assert_eq!(vmtools_version("SMTX_VMTOOLS-3.2.0.iso.part"), None);
        assert_eq!(vmtools_version("smtx_vmtools-3.2.0.iso"), None);
        assert_eq!(vmtools_version("SMTX_VMTOOLS-.iso"), Some(vec![]));
        assert!(vmtools_version("SMTX_VMTOOLS-10.0.iso") > vmtools_version("SMTX_VMTOOLS-9.9.iso"));
    }

    #[test]
    fn volume_answer_falls_back_to_8_mib() -> Result<(), ApiError> {
        let volume = Volume::from_answer(&json!({
            "image_uuid": "i", "zbs_volume_id": "z", "to_upload": [0, 1]
        }))?;
        assert_eq!(volume.chunk_size, FALLBACK_CHUNK_SIZE);
        assert_eq!(volume.to_upload, Some(vec![0, 1]));
        let volume = Volume::from_answer(&json!({
            "image_uuid": "i", "zbs_volume_id": "z", "chunk_size": 65536
        }))?;
        assert_eq!(volume.chunk_size, 65536);
        assert_eq!(volume.to_upload, None);
        assert!(Volume::from_answer(&json!({"zbs_volume_id": "z"})).is_err());
        assert!(
            Volume::from_answer(
                &json!({"image_uuid": "i", "zbs_volume_id": "z", "to_upload": "x"})
            )
            .is_err()
        );
        Ok(())
    }
}
