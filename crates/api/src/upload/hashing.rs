//! Reading the ISO: a chunk's request body streamed from the file in
//! [`READ_PIECE`] reads on the blocking pool, hashed as it streams, and the
//! hash of a region read without sending it (chunks the server already has).
//!
//! Memory stays flat whatever the chunk size: a body is a stream of pieces,
//! never the whole chunk. The hash of a chunk is computed on a copy of the
//! running hash state and only becomes the running state once the server
//! acknowledged the chunk — so a retried chunk is never hashed twice.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::progress::Tracker;
use crate::ApiError;

/// One read from the file, and one piece of a chunk's request body.
const READ_PIECE: usize = 256 * 1024;

/// The chunk to send: where it lies in the file and the hash state before it.
#[derive(Clone)]
pub(super) struct ChunkRead {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
    pub hasher: Sha256,
}

/// Where a fully streamed chunk leaves its hash state.
type HashSlot = Arc<Mutex<Option<Sha256>>>;

/// One chunk's request body, made anew for every attempt, and the hash
/// state after the chunk once one attempt has read it all.
pub(super) struct ChunkBody {
    read: ChunkRead,
    tracker: Arc<Tracker>,
    /// The slot of the latest attempt: an attempt cut short cannot leave
    /// its state where the next one looks.
    slot: Mutex<HashSlot>,
}

impl ChunkBody {
    pub(super) fn new(read: ChunkRead, tracker: Arc<Tracker>) -> Self {
        Self {
            read,
            tracker,
            slot: Mutex::new(Arc::new(Mutex::new(None))),
        }
    }

    /// A body from the chunk's first byte (the progress of the chunk in
    /// flight starts again with it).
    pub(super) fn stream(&self) -> reqwest::Body {
        let slot: HashSlot = Arc::new(Mutex::new(None));
        if let Ok(mut latest) = self.slot.lock() {
            *latest = Arc::clone(&slot);
        }
        self.tracker.chunk_started();
        reqwest::Body::wrap_stream(chunk_stream(
            self.read.clone(),
            slot,
            Arc::clone(&self.tracker),
        ))
    }

    /// The hash state after the chunk, for a chunk the server acknowledged:
    /// from the body that streamed it, or, when the server took it without
    /// our reading all of it, read again from the file.
    pub(super) async fn hash_after(&self) -> Result<Sha256, ApiError> {
        let streamed = self
            .slot
            .lock()
            .ok()
            .and_then(|latest| latest.lock().ok().and_then(|mut slot| slot.take()));
        match streamed {
            Some(hasher) => Ok(hasher),
            None => {
                let read = &self.read;
                let (_, hasher) =
                    hash_region(&read.path, None, read.offset, read.len, read.hasher.clone())
                        .await?;
                Ok(hasher)
            }
        }
    }
}

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
pub(super) async fn hash_region(
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
