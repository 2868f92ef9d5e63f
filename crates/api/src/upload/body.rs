//! A chunk's request body: `len` bytes at `offset` of the ISO, streamed in
//! [`READ_PIECE`] reads on the blocking pool, each read straight into the
//! buffer that becomes the body's `Bytes` (no copy). The buffers are
//! reused once the HTTP client has sent (dropped) their pieces: a fresh
//! allocation per piece meant fresh pages, zeroed by the kernel, for every
//! 256 KiB sent. Memory stays flat whatever the chunk size: a body is a
//! stream of pieces, never the whole chunk. Made anew for every attempt.
//! The file's SHA-256 is not computed here but once per file (`digest.rs`).

use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::progress::Tracker;

/// One read from the file, and one piece of a chunk's request body.
const READ_PIECE: usize = 256 * 1024;

/// Buffers a body keeps for its pieces: the HTTP client holds a piece or
/// two while it writes them, so with a few the next read finds one free.
const BUFFERS: usize = 3;

/// Where a chunk lies in the file.
#[derive(Debug, Clone)]
pub(super) struct ChunkRead {
    pub path: PathBuf,
    pub offset: u64,
    pub len: u64,
}

/// One chunk's request body, made anew for every attempt.
pub(super) struct ChunkBody {
    read: ChunkRead,
    tracker: Arc<Tracker>,
}

impl ChunkBody {
    pub(super) fn new(read: ChunkRead, tracker: Arc<Tracker>) -> Self {
        Self { read, tracker }
    }

    /// A body from the chunk's first byte (the progress of the chunk in
    /// flight starts again with it).
    pub(super) fn stream(&self) -> reqwest::Body {
        self.tracker.chunk_started();
        reqwest::Body::wrap_stream(chunk_stream(self.read.clone(), Arc::clone(&self.tracker)))
    }
}

fn chunk_stream(
    read: ChunkRead,
    tracker: Arc<Tracker>,
) -> impl futures::Stream<Item = std::io::Result<Bytes>> + Send + 'static {
    struct State {
        file: Option<std::fs::File>,
        read: ChunkRead,
        remaining: u64,
        tracker: Arc<Tracker>,
        buffers: Vec<BytesMut>,
    }
    let remaining = read.len;
    let state = State {
        file: None,
        read,
        remaining,
        tracker,
        buffers: Vec::with_capacity(BUFFERS),
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
        let mut buffer = free_buffer(&mut state.buffers, want);
        let (file, piece, buffer) = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Seek, SeekFrom};
            let mut file = match file {
                Some(file) => file,
                None => {
                    let mut file = std::fs::File::open(&path)?;
                    file.seek(SeekFrom::Start(offset))?;
                    file
                }
            };
            // Zero-filling memory already in use is cheap next to the
            // read; only a fresh buffer's first use faults its pages in.
            buffer.resize(want, 0);
            file.read_exact(&mut buffer).map_err(|error| {
                if error.kind() == std::io::ErrorKind::UnexpectedEof {
                    std::io::Error::new(
                        error.kind(),
                        "the file is shorter than when the upload began",
                    )
                } else {
                    error
                }
            })?;
            let piece = buffer.split().freeze();
            Ok::<_, std::io::Error>((file, piece, buffer))
        })
        .await
        .map_err(std::io::Error::other)??;
        state.file = Some(file);
        state.buffers.push(buffer);
        state.remaining -= want as u64;
        state.tracker.streamed(want as u64);
        Ok(Some((piece, state)))
    })
}

/// A buffer with room for `want` bytes: one whose earlier piece the HTTP
/// client has dropped, or a new one (the oldest is let go if all are in
/// use; its memory goes when its piece does).
fn free_buffer(buffers: &mut Vec<BytesMut>, want: usize) -> BytesMut {
    if let Some(index) = buffers
        .iter_mut()
        .position(|buffer| buffer.try_reclaim(want))
    {
        return buffers.swap_remove(index);
    }
    if buffers.len() >= BUFFERS {
        buffers.remove(0);
    }
    BytesMut::with_capacity(READ_PIECE.max(want))
}
