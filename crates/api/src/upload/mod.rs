//! The VMTools (SVT) chunked upload (reference 2.14–2.16): `create_volume`,
//! one streamed multipart `upload_template` per chunk the server still
//! wants (`chunks.rs`, bodies read from the file by `body.rs`), one
//! rollback-and-recreate when a volume is given up, the SHA-256 of the
//! whole file computed beside the upload, once per file and process
//! (`digest.rs`), progress for the terminal and the web console
//! (`progress.rs`), what a volume answer is trusted for (`volume.rs`), and
//! the ISO lookup in a directory (`discover.rs`). Every call, chunks
//! included, goes through the client's one pipeline (`send.rs`).

mod body;
mod chunks;
mod digest;
mod discover;
mod progress;
mod volume;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use crate::endpoint::Endpoint;
pub use crate::endpoint::FALLBACK_CHUNK_SIZE;
use crate::request::FilePart;
use crate::{ApiClient, ApiError, FileReason, UploadCause, UploadReason};
use chunks::{RoundError, RoundOutcome};
use digest::FileStamp;
pub use discover::find_vmtools_iso;
use progress::Tracker;
pub use progress::{ProgressFn, UploadProgress};
use volume::Volume;
pub use volume::{MAX_CHUNK_SIZE, MAX_CHUNKS, MIN_CHUNK_SIZE};

const CREATE_ACTION: &str = "POST /api/v2/svt_image/create_volume";

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

/// A volume that holds every chunk.
struct Uploaded {
    volume: Volume,
    done: RoundOutcome,
    recreated: bool,
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
                reason: FileReason::Io {
                    cause: e.to_string(),
                },
            })?;
        if !metadata.is_file() {
            return Err(ApiError::File {
                path: shown,
                reason: FileReason::NotRegular,
            });
        }
        let size = metadata.len();
        if size == 0 {
            return Err(ApiError::File {
                path: shown,
                reason: FileReason::Empty,
            });
        }
        if upload.file_name.is_empty() {
            return Err(ApiError::File {
                path: shown,
                reason: FileReason::NoFileName,
            });
        }
        if self.is_dry_run() {
            return self.plan_upload(upload, size).await;
        }

        let stamp = FileStamp::of(&metadata);
        let started = Instant::now();
        // The digest is read beside the upload (a fleet's clusters share
        // one computation); an upload that ends early drops it.
        let digest = digest::process().sha256(&upload.path, &stamp);
        let rounds = self.upload_rounds(upload, size, options);
        tokio::pin!(digest, rounds);
        let mut hashed = None;
        let uploaded = loop {
            tokio::select! {
                answer = &mut digest, if hashed.is_none() => hashed = Some(answer),
                uploaded = &mut rounds => break uploaded,
            }
        };
        let Uploaded {
            volume,
            done,
            recreated,
        } = uploaded?;
        let hashed = match hashed {
            Some(answer) => answer,
            // An abort does not wait for the rest of a big file's hash.
            None => tokio::select! {
                answer = &mut digest => answer,
                () = self.cancellation().cancelled() => Err(ApiError::Cancelled {
                    action: format!("upload of {}", upload.file_name),
                }),
            },
        };
        let changed = match tokio::fs::metadata(&upload.path).await {
            Ok(now) => FileStamp::of(&now) != stamp,
            Err(_) => true,
        };
        let (sha256, cached) = match hashed {
            Ok(_) if changed => {
                // The image may mix old and new bytes: it is not the file.
                self.rollback(&volume.image_uuid, &upload.file_name).await;
                return Err(ApiError::File {
                    path: shown,
                    reason: FileReason::ChangedDuringUpload,
                });
            }
            Ok(answer) => answer,
            Err(error @ ApiError::Cancelled { .. }) => return Err(error),
            Err(error) => {
                self.rollback(&volume.image_uuid, &upload.file_name).await;
                return Err(error);
            }
        };
        let elapsed = started.elapsed().as_secs_f64();
        tracing::info!(
            action = "svt_upload",
            status = "ok",
            error = "",
            file = %upload.file_name,
            sha256 = %sha256,
            sha256_from = if cached { "cache" } else { "file" },
            size,
            image_uuid = %volume.image_uuid,
            chunks_sent = done.chunks_sent,
            chunks_already_present = done.chunks_already_present,
            recreated,
            elapsed_s = format_args!("{elapsed:.1}")
        );
        Ok(UploadReport {
            image_uuid: volume.image_uuid,
            zbs_volume_id: volume.zbs_volume_id,
            file_name: upload.file_name.clone(),
            chunk_size: volume.chunk_size,
            sha256,
            size,
            chunks_sent: done.chunks_sent,
            chunks_already_present: done.chunks_already_present,
            recreated,
        })
    }

    /// Volumes until one holds every chunk: create, send, and on a volume
    /// given up, delete it and start over (`recreate_attempts` times).
    async fn upload_rounds(
        &self,
        upload: &SvtUpload,
        size: u64,
        options: &UploadOptions,
    ) -> Result<Uploaded, ApiError> {
        let tracker = Arc::new(Tracker::new(
            options.progress.clone(),
            &upload.file_name,
            size,
        ));
        let mut recreated = false;
        let mut round = 0u32;
        loop {
            let volume = match self.create_volume(&upload.file_name, size).await {
                Ok(volume) => volume,
                Err(error @ ApiError::Cancelled { .. }) => return Err(error),
                Err(error) => {
                    let cause = UploadCause::Call(Box::new(error));
                    return Err(upload_error(upload, None, UploadReason::of(cause)));
                }
            };
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
            if let Err(reason) = volume.check_chunking(size) {
                // Another volume would come with the same chunk size.
                self.rollback(&volume.image_uuid, &upload.file_name).await;
                let reason = UploadReason {
                    cause: UploadCause::Chunking(reason),
                    image_deleted: true,
                    on_recreated_volume: false,
                };
                return Err(upload_error(upload, None, reason));
            }
            let outcome = self
                .upload_volume(upload, size, &volume, options, &tracker)
                .await;
            let (chunk, reason) = match outcome {
                Ok(done) => {
                    return Ok(Uploaded {
                        volume,
                        done,
                        recreated,
                    });
                }
                Err(RoundError::Cancelled) => {
                    tracing::info!(
                        action = "svt_upload",
                        status = "aborted",
                        error = "",
                        file = %upload.file_name,
                        image_uuid = %volume.image_uuid,
                        "the volume is kept: a later run resumes it"
                    );
                    return Err(ApiError::Cancelled {
                        action: format!("upload of {}", upload.file_name),
                    });
                }
                Err(RoundError::Server { chunk, reason }) => {
                    self.rollback(&volume.image_uuid, &upload.file_name).await;
                    (chunk, reason)
                }
            };
            if round >= options.recreate_attempts {
                let reason = UploadReason {
                    cause: reason,
                    image_deleted: true,
                    on_recreated_volume: recreated,
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
        let data = self.send(Endpoint::CreateVolume { name, size }).await?;
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

    /// Dry run: the create call and one call per chunk at the chunk size of
    /// the endpoint's dry-run answer, recorded through the same pipeline as
    /// a real upload; nothing is sent and the file is not read.
    async fn plan_upload(&self, upload: &SvtUpload, size: u64) -> Result<UploadReport, ApiError> {
        let volume = self.create_volume(&upload.file_name, size).await?;
        let chunk_size = volume.chunk_size;
        for index in 0..size.div_ceil(chunk_size) {
            let len = chunk_size.min(size - index * chunk_size);
            self.send(Endpoint::UploadChunk {
                image_uuid: &volume.image_uuid,
                zbs_volume_id: &volume.zbs_volume_id,
                chunk: index,
                part: FilePart {
                    file_name: &upload.file_name,
                    len,
                    stream: None,
                },
                retries: 0,
            })
            .await?;
        }
        Ok(UploadReport {
            image_uuid: volume.image_uuid,
            zbs_volume_id: volume.zbs_volume_id,
            file_name: upload.file_name.clone(),
            chunk_size,
            sha256: String::new(),
            size,
            chunks_sent: 0,
            chunks_already_present: 0,
            recreated: false,
        })
    }
}

fn upload_error(upload: &SvtUpload, chunk: Option<u64>, reason: UploadReason) -> ApiError {
    ApiError::Upload {
        file: upload.path.display().to_string(),
        chunk,
        reason,
    }
}
