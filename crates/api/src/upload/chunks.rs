//! One volume's chunks (reference 2.15): the wanted ones sent in file order,
//! each as an `Endpoint::UploadChunk` through the client's one pipeline
//! (retries, re-login, abort); the others, which the server has, skipped.

use std::sync::Arc;

use serde_json::Value;

use super::body::{ChunkBody, ChunkRead};
use super::progress::Tracker;
use super::volume::{Volume, index_list};
use super::{SvtUpload, UploadOptions};
use crate::endpoint::Endpoint;
use crate::request::FilePart;
use crate::{ApiClient, ApiError, MISSING_SHOWN, UploadCause};

const CHUNK_ACTION: &str = "POST /api/v2/svt_image/upload_template";

/// Why one volume was given up.
#[derive(Debug)]
pub(super) enum RoundError {
    /// A chunk failed every attempt, or the server still misses chunks, or
    /// its chunk list does not fit the file.
    Server {
        chunk: Option<u64>,
        reason: UploadCause,
    },
    /// The run was aborted: the volume is kept, so that a later run
    /// resumes from the chunks the server has.
    Cancelled,
}

/// What one volume's upload achieved.
pub(super) struct RoundOutcome {
    pub chunks_sent: usize,
    pub chunks_already_present: usize,
}

impl ApiClient {
    /// Sends the wanted chunks of one volume in file order.
    pub(super) async fn upload_volume(
        &self,
        upload: &SvtUpload,
        size: u64,
        volume: &Volume,
        options: &UploadOptions,
        tracker: &Arc<Tracker>,
    ) -> Result<RoundOutcome, RoundError> {
        let chunk_size = volume.chunk_size;
        let chunks = size.div_ceil(chunk_size);
        let wanted = volume
            .wanted(chunks)
            .map_err(|mismatch| RoundError::Server {
                chunk: mismatch.chunk,
                reason: UploadCause::Chunking(mismatch.reason),
            })?;
        tracker.start_round(wanted.len());

        let mut chunks_sent = 0usize;
        let mut chunks_already_present = 0usize;
        // The missing list of the latest chunk answer (`None`: it had none,
        // so acknowledged chunks are all we know).
        let mut still_missing: Option<Vec<u64>> = None;
        for (index, send) in (0..chunks).zip(wanted) {
            if self.cancellation().is_cancelled() {
                return Err(RoundError::Cancelled);
            }
            let offset = index * chunk_size;
            let len = chunk_size.min(size - offset);
            if !send {
                chunks_already_present += 1;
                tracker.chunk_done(len, false);
                continue;
            }
            let read = ChunkRead {
                path: upload.path.clone(),
                offset,
                len,
            };
            let missing = self
                .send_chunk(upload, volume, index, read, options, tracker)
                .await?;
            chunks_sent += 1;
            still_missing = missing;
            tracker.chunk_done(len, true);
        }
        if let Some(missing) = still_missing.filter(|missing| !missing.is_empty()) {
            return Err(RoundError::Server {
                chunk: missing.first().copied(),
                reason: UploadCause::StillMissing {
                    count: missing.len(),
                    first: missing.iter().take(MISSING_SHOWN).copied().collect(),
                },
            });
        }
        Ok(RoundOutcome {
            chunks_sent,
            chunks_already_present,
        })
    }

    /// One chunk, with the retries of `options`; answers the server's
    /// missing list, if the answer had one.
    async fn send_chunk(
        &self,
        upload: &SvtUpload,
        volume: &Volume,
        index: u64,
        read: ChunkRead,
        options: &UploadOptions,
        tracker: &Arc<Tracker>,
    ) -> Result<Option<Vec<u64>>, RoundError> {
        let len = read.len;
        let body = ChunkBody::new(read, Arc::clone(tracker));
        let stream = || body.stream();
        let sent = self
            .send_counted(Endpoint::UploadChunk {
                image_uuid: &volume.image_uuid,
                zbs_volume_id: &volume.zbs_volume_id,
                chunk: index,
                part: FilePart {
                    file_name: &upload.file_name,
                    len,
                    stream: Some(&stream),
                },
                retries: options.chunk_retries,
            })
            .await;
        let data = match sent.answer {
            Ok(data) => data,
            Err(ApiError::Cancelled { .. }) => return Err(RoundError::Cancelled),
            Err(error) => {
                return Err(RoundError::Server {
                    chunk: Some(index),
                    reason: UploadCause::ChunkFailed {
                        tries: sent.tries,
                        error: Box::new(error),
                    },
                });
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
        Ok(missing)
    }
}
