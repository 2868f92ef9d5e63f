//! What `create_volume` answered (reference 2.14), and how far it is
//! trusted: a chunk size within [`MIN_CHUNK_SIZE`]..=[`MAX_CHUNK_SIZE`], at
//! most [`MAX_CHUNKS`] chunks, and a list of wanted chunks that fits the
//! file (else the volume is given up).

use serde_json::Value;

use crate::endpoint::FALLBACK_CHUNK_SIZE;
use crate::{ApiError, ChunkingReason};

/// The chunk sizes a server may ask for. Every capture says 8 MiB and the
/// design mentions 128 MiB; a few bytes would mean millions of requests,
/// more than a gibibyte would mean one request outliving any timeout.
pub const MIN_CHUNK_SIZE: u64 = 4 * 1024;
pub const MAX_CHUNK_SIZE: u64 = 1024 * 1024 * 1024;

/// An upload of more chunks than this is refused: it bounds the chunk table
/// and every list of chunk numbers (an 8 GiB ISO in 8 MiB chunks has 1024).
pub const MAX_CHUNKS: u64 = 1 << 20;

const CREATE_ACTION: &str = "POST /api/v2/svt_image/create_volume";

/// Why a volume's chunk list cannot be trusted for the file.
#[derive(Debug)]
pub(super) struct Mismatch {
    pub chunk: Option<u64>,
    pub reason: ChunkingReason,
}

/// What `create_volume` answered.
#[derive(Debug, Clone)]
pub(super) struct Volume {
    pub image_uuid: String,
    pub zbs_volume_id: String,
    pub chunk_size: u64,
    /// `None` when the answer has no list: every chunk is wanted.
    pub to_upload: Option<Vec<u64>>,
}

impl Volume {
    pub(super) fn from_answer(data: &Value) -> Result<Self, ApiError> {
        let text = |key: &str| {
            data.get(key)
                .and_then(Value::as_str)
                .filter(|value| !value.is_empty())
                .map(str::to_string)
                .ok_or_else(|| ApiError::Decode {
                    action: CREATE_ACTION.to_string(),
                    reason: crate::DecodeReason::MissingData {
                        key: key.to_string(),
                    },
                })
        };
        // Missing: the documented fallback. Present: the server's word,
        // checked against the bounds before anything is sent.
        let chunk_size = match data.get("chunk_size") {
            None | Some(Value::Null) => {
                tracing::warn!(
                    action = CREATE_ACTION,
                    status = "fallback",
                    error = "no chunk_size in the answer",
                    chunk_size = FALLBACK_CHUNK_SIZE
                );
                FALLBACK_CHUNK_SIZE
            }
            Some(value) => value.as_u64().ok_or_else(|| ApiError::Decode {
                action: CREATE_ACTION.to_string(),
                reason: crate::DecodeReason::BadChunkSize,
            })?,
        };
        let to_upload = match data.get("to_upload") {
            None | Some(Value::Null) => None,
            Some(value) => Some(index_list(value).ok_or_else(|| ApiError::Decode {
                action: CREATE_ACTION.to_string(),
                reason: crate::DecodeReason::BadChunkList,
            })?),
        };
        Ok(Self {
            image_uuid: text("image_uuid")?,
            zbs_volume_id: text("zbs_volume_id")?,
            chunk_size,
            to_upload,
        })
    }

    /// The chunk size is one a cluster could mean and the file does not
    /// need an unbounded number of chunks; `Err` says why not.
    pub(super) fn check_chunking(&self, size: u64) -> Result<u64, ChunkingReason> {
        let chunk_size = self.chunk_size;
        if !(MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&chunk_size) {
            return Err(ChunkingReason::ChunkSizeOutOfBounds { chunk_size });
        }
        let chunks = size.div_ceil(chunk_size);
        if chunks > MAX_CHUNKS {
            return Err(ChunkingReason::TooManyChunks {
                size,
                chunk_size,
                chunks,
            });
        }
        Ok(chunks)
    }

    /// Which of the file's `chunks` chunks to send. The chunks the server
    /// says it holds are trusted only if its list describes this file: every
    /// number inside the file's chunk count, none twice. Anything else is a
    /// volume of another size or chunking (or a confused server): `Err`, and
    /// the upload starts over on a new one.
    pub(super) fn wanted(&self, chunks: u64) -> Result<Vec<bool>, Mismatch> {
        let chunk_size = self.chunk_size;
        let chunks_total = usize::try_from(chunks).map_err(|_| Mismatch {
            chunk: None,
            reason: ChunkingReason::ChunkTableTooLarge { chunks, chunk_size },
        })?;
        let mut wanted = vec![self.to_upload.is_none(); chunks_total];
        for &index in self.to_upload.iter().flatten() {
            let slot = usize::try_from(index)
                .ok()
                .and_then(|index| wanted.get_mut(index))
                .ok_or(Mismatch {
                    chunk: Some(index),
                    reason: ChunkingReason::ChunkOutOfRange {
                        index,
                        chunks,
                        chunk_size,
                    },
                })?;
            if *slot {
                return Err(Mismatch {
                    chunk: Some(index),
                    reason: ChunkingReason::ChunkTwice { index, chunks },
                });
            }
            *slot = true;
        }
        Ok(wanted)
    }
}

pub(super) fn index_list(value: &Value) -> Option<Vec<u64>> {
    value.as_array()?.iter().map(Value::as_u64).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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

    fn volume(chunk_size: u64, to_upload: Option<Vec<u64>>) -> Volume {
        Volume {
            image_uuid: "i".to_string(),
            zbs_volume_id: "z".to_string(),
            chunk_size,
            to_upload,
        }
    }

    #[test]
    fn only_a_chunk_list_that_fits_the_file_is_trusted() {
        let wanted = volume(4096, Some(vec![2, 0])).wanted(3).ok();
        assert_eq!(wanted, Some(vec![true, false, true]));
        assert_eq!(volume(4096, None).wanted(2).ok(), Some(vec![true, true]));
        let outside = volume(4096, Some(vec![3])).wanted(3).err();
        assert_eq!(outside.and_then(|m| m.chunk), Some(3));
        let twice = volume(4096, Some(vec![1, 1])).wanted(3).err();
        assert!(
            twice.is_some_and(|m| matches!(m.reason, ChunkingReason::ChunkTwice { index: 1, .. }))
        );
    }

    #[test]
    fn chunk_sizes_and_counts_are_bounded() {
        assert!(volume(MIN_CHUNK_SIZE - 1, None).check_chunking(1).is_err());
        assert!(volume(MAX_CHUNK_SIZE + 1, None).check_chunking(1).is_err());
        assert_eq!(
            volume(MIN_CHUNK_SIZE, None).check_chunking(MIN_CHUNK_SIZE + 1),
            Ok(2)
        );
        let too_many = MIN_CHUNK_SIZE * (MAX_CHUNKS + 1);
        assert!(
            volume(MIN_CHUNK_SIZE, None)
                .check_chunking(too_many)
                .is_err()
        );
    }
}
