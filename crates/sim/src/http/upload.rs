//! Image uploads: `create_volume` (which creates the sparse image file),
//! the streamed chunk upload `upload_template` with its `chunk_fails` and
//! `drop_upload` faults, and deletion. Chunks go from the request body to
//! their offset in the file, hashed on the way when they arrive in file
//! order (the running SHA-256 of `state::images`), so a complete image is
//! not read back; nothing holds a whole chunk in memory. A chunk of the
//! wrong size or a body cut short leaves the chunk missing.

use std::path::PathBuf;

use axum::Extension;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::extract::{QueryArgs, Session};
use super::{App, ConnInfo, ok};
use crate::state::{ApiError, HashRest, NewVolume};

/// `POST /api/v2/svt_image/create_volume?name=..&size=..`.
#[derive(Debug, Deserialize)]
pub(super) struct CreateVolumeArgs {
    #[serde(default)]
    name: String,
    size: Option<String>,
}

/// `POST /api/v2/svt_image/upload_template?image_uuid=..&zbs_volume_id=..&chunk_num=..`.
#[derive(Debug, Deserialize)]
pub(super) struct UploadArgs {
    #[serde(default)]
    image_uuid: String,
    #[serde(default)]
    zbs_volume_id: String,
    chunk_num: Option<String>,
}

fn io_error(what: &str, error: std::io::Error) -> ApiError {
    ApiError::internal(format!("{what}: {error}"))
}

pub(super) async fn create_volume(
    State(app): State<App>,
    _: Session,
    QueryArgs(args): QueryArgs<CreateVolumeArgs>,
) -> Result<Response, ApiError> {
    let size = args
        .size
        .and_then(|size| size.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "size must be a byte count"))?;
    let NewVolume {
        answer,
        create,
        remove,
    } = app
        .lock()
        .create_volume(&args.name, size, &app.upload_dir)?;
    if let Some(path) = remove {
        // Best effort: the evicted image is gone from the API either way.
        let _ = tokio::fs::remove_file(&path).await;
    }
    if let Some((path, size)) = create {
        // Sparse: chunks land at their offsets, in any order.
        let file = tokio::fs::File::create(&path)
            .await
            .map_err(|error| io_error("cannot create the image file", error))?;
        file.set_len(size)
            .await
            .map_err(|error| io_error("cannot size the image file", error))?;
    }
    Ok(ok(answer))
}

struct ChunkTarget {
    path: PathBuf,
    offset: u64,
    expected: u64,
}

/// Bytes gathered from the body before one write (and hash) on the
/// blocking pool: few enough hand-offs per chunk, little memory per upload.
const WRITE_BATCH: usize = 512 * 1024;

pub(super) async fn upload_template(
    State(app): State<App>,
    _: Session,
    conn: Option<Extension<ConnInfo>>,
    QueryArgs(args): QueryArgs<UploadArgs>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let UploadArgs {
        image_uuid,
        zbs_volume_id,
        chunk_num,
    } = args;
    let chunk_num = chunk_num
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "chunk_num must be an integer"))?;
    let (target, drop_connection, fail_chunk) = {
        let mut state = app.lock();
        let image = state.image_mut(&image_uuid)?;
        if image.zbs_volume_id != zbs_volume_id {
            return Err(ApiError::bad_request(
                "VOLUME_MISMATCH",
                format!("zbs_volume_id {zbs_volume_id} does not belong to image {image_uuid}"),
            ));
        }
        if chunk_num >= image.chunk_count() {
            return Err(ApiError::bad_request(
                "CHUNK_OUT_OF_RANGE",
                format!(
                    "chunk_num {chunk_num} is out of range (image has {} chunks)",
                    image.chunk_count()
                ),
            ));
        }
        let target = ChunkTarget {
            path: image.path.clone(),
            offset: chunk_num * image.chunk_size,
            expected: image.expected_len(chunk_num),
        };
        let drop_connection = state.take_drop_fault(chunk_num);
        let fail_chunk = !drop_connection && state.take_chunk_fault(chunk_num);
        (target, drop_connection, fail_chunk)
    };
    let mut multipart = multipart.map_err(|rejection| {
        ApiError::bad_request(
            "INVALID_MULTIPART",
            format!("body is not multipart: {rejection}"),
        )
    })?;
    if drop_connection {
        // Read a little of the chunk first, so the client is mid-send.
        if let Ok(Some(mut field)) = multipart.next_field().await {
            let _ = field.chunk().await;
        }
        if let Some(Extension(conn)) = conn {
            app.lock().record_call(
                "POST",
                "/api/v2/svt_image/upload_template",
                Some(&format!("chunk_num={chunk_num}&dropped=true")),
                0,
                conn.target,
            );
            conn.abort.cancel();
            // The accept loop drops this future together with the connection.
            std::future::pending::<()>().await;
        }
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CONNECTION_DROPPED",
            "connection dropped (injected fault)",
        ));
    }
    if fail_chunk {
        // Drain the body so the client sees the status, not a reset.
        while let Ok(Some(mut field)) = multipart.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "CHUNK_UPLOAD_FAILED",
            format!("chunk {chunk_num} failed (injected fault)"),
        ));
    }
    let claim = app.lock().image_mut(&image_uuid)?.begin_write(chunk_num);
    let written = write_chunk(&mut multipart, &target, claim.hasher.clone()).await;
    // A chunk counts only if exactly its bytes arrived; anything else
    // leaves it missing (its bytes on disk are not the chunk any more).
    let (result, stored) = match written {
        Ok((written, hasher)) if written == target.expected => (Ok(()), Some(hasher)),
        Ok((written, _)) => (
            Err(ApiError::bad_request(
                "CHUNK_SIZE_MISMATCH",
                format!(
                    "chunk {chunk_num} has {written} bytes, expected {}",
                    target.expected
                ),
            )),
            None,
        ),
        Err(error) => (Err(error), None),
    };
    let (missing, rest) = {
        let mut state = app.lock();
        let image = state.image_mut(&image_uuid)?;
        let rest = image.end_write(claim, stored);
        (image.missing(), rest)
    };
    result?;
    if let Some(rest) = rest {
        // Chunks that came out of their turn (a resumed upload) or were
        // written twice: the rest of the digest comes from the file, once.
        let writes = rest.writes;
        let digest = tokio::task::spawn_blocking(move || hash_rest(rest))
            .await
            .map_err(|error| ApiError::internal(format!("hashing stopped: {error}")))?
            .map_err(|error| io_error("cannot hash the image", error))?;
        if let Ok(image) = app.lock().image_mut(&image_uuid) {
            image.finish_hash(writes, digest);
        }
    }
    Ok(ok(json!({"chunk_num": chunk_num, "to_upload": missing})))
}

/// Streams the `file` field to its offset in the image file, hashing what
/// it writes into `hasher` when given; returns the number of bytes the
/// field held (writing stops once it exceeds the expected length) and the
/// hasher after them. The body's pieces are gathered up to [`WRITE_BATCH`]
/// and written and hashed on the blocking pool, without copying them.
async fn write_chunk(
    multipart: &mut Multipart,
    target: &ChunkTarget,
    hasher: Option<Sha256>,
) -> Result<(u64, Option<Sha256>), ApiError> {
    let bad = |error: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(
            "INVALID_MULTIPART",
            format!("cannot read the body: {error}"),
        )
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut writer = BatchWriter {
            file: None,
            path: target.path.clone(),
            offset: target.offset,
            hasher,
        };
        let mut batch: Vec<Bytes> = Vec::new();
        let mut batched = 0usize;
        let mut written: u64 = 0;
        while let Some(bytes) = field.chunk().await.map_err(bad)? {
            let room = target.expected.saturating_sub(written);
            written += bytes.len() as u64;
            // Keep counting to report the size, but never write past the chunk.
            let keep = usize::try_from(room).unwrap_or(usize::MAX).min(bytes.len());
            if keep > 0 {
                batched += keep;
                batch.push(bytes.slice(..keep));
            }
            if batched >= WRITE_BATCH {
                writer = writer.write(std::mem::take(&mut batch)).await?;
                batched = 0;
            }
        }
        if !batch.is_empty() {
            writer = writer.write(batch).await?;
        }
        return Ok((written, writer.hasher));
    }
    Err(ApiError::bad_request(
        "MISSING_FILE_FIELD",
        "multipart body has no `file` field",
    ))
}

/// The image file, opened on the first write and positioned at the
/// chunk's offset, and the hash of what has been written.
struct BatchWriter {
    file: Option<std::fs::File>,
    path: PathBuf,
    offset: u64,
    hasher: Option<Sha256>,
}

impl BatchWriter {
    async fn write(mut self, batch: Vec<Bytes>) -> Result<Self, ApiError> {
        tokio::task::spawn_blocking(move || {
            use std::io::{Seek, SeekFrom, Write};
            let mut file = match self.file.take() {
                Some(file) => file,
                None => {
                    let mut file = std::fs::OpenOptions::new().write(true).open(&self.path)?;
                    file.seek(SeekFrom::Start(self.offset))?;
                    file
                }
            };
            for bytes in &batch {
                if let Some(hasher) = self.hasher.as_mut() {
                    hasher.update(bytes);
                }
                file.write_all(bytes)?;
            }
            self.file = Some(file);
            Ok::<_, std::io::Error>(self)
        })
        .await
        .map_err(|error| ApiError::internal(format!("writing stopped: {error}")))?
        .map_err(|error| io_error("cannot write the image file", error))
    }
}

/// Finishes a digest from the file: `rest.size - rest.offset` bytes from
/// `rest.offset`, into `rest.hasher`.
fn hash_rest(rest: HashRest) -> std::io::Result<String> {
    use std::io::{Read, Seek, SeekFrom};
    let HashRest {
        path,
        offset,
        size,
        mut hasher,
        ..
    } = rest;
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = file.take(size.saturating_sub(offset));
    let mut buffer = vec![0_u8; 1 << 20];
    loop {
        let read = reader.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}

pub(super) async fn delete_image(
    State(app): State<App>,
    _: Session,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    let path = app.lock().delete_image(&uuid)?;
    // Best effort: the image is gone from the API either way.
    let _ = tokio::fs::remove_file(&path).await;
    Ok(ok(json!({})))
}
