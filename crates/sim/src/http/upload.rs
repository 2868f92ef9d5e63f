//! Image uploads: `create_volume` (which creates the sparse image file),
//! the streamed chunk upload `upload_template` with its `chunk_fails` and
//! `drop_upload` faults, the SHA-256 of a completed image, and deletion.
//! Chunks go straight from the request body to their offset in the file;
//! nothing holds a whole chunk in memory.

use std::path::PathBuf;

use axum::Extension;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncSeekExt, AsyncWriteExt};

use super::extract::{QueryArgs, Session};
use super::{App, ConnInfo, ok};
use crate::state::{ApiError, NewVolume};

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
    let written = write_chunk(&mut multipart, &target).await?;
    if written != target.expected {
        return Err(ApiError::bad_request(
            "CHUNK_SIZE_MISMATCH",
            format!(
                "chunk {chunk_num} has {written} bytes, expected {}",
                target.expected
            ),
        ));
    }
    let (missing, hash_job) = {
        let mut state = app.lock();
        let image = state.image_mut(&image_uuid)?;
        image.received.insert(chunk_num);
        image.sha256 = None;
        let hash_job = image.complete().then(|| (image.path.clone(), image.size));
        (image.missing(), hash_job)
    };
    if let Some((path, size)) = hash_job {
        let digest = tokio::task::spawn_blocking(move || hash_file(&path, size))
            .await
            .map_err(|error| ApiError::internal(format!("hashing stopped: {error}")))?
            .map_err(|error| io_error("cannot hash the image", error))?;
        if let Ok(image) = app.lock().image_mut(&image_uuid) {
            image.sha256 = Some(digest);
        }
    }
    Ok(ok(json!({"chunk_num": chunk_num, "to_upload": missing})))
}

/// Streams the `file` field to its offset in the image file; returns the
/// number of bytes the field held (writing stops once it exceeds the
/// expected length).
async fn write_chunk(multipart: &mut Multipart, target: &ChunkTarget) -> Result<u64, ApiError> {
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
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .open(&target.path)
            .await
            .map_err(|error| io_error("cannot open the image file", error))?;
        file.seek(std::io::SeekFrom::Start(target.offset))
            .await
            .map_err(|error| io_error("cannot seek in the image file", error))?;
        let mut written: u64 = 0;
        while let Some(bytes) = field.chunk().await.map_err(bad)? {
            written += bytes.len() as u64;
            if written > target.expected {
                // Keep counting to report the size, but never write past the chunk.
                continue;
            }
            file.write_all(&bytes)
                .await
                .map_err(|error| io_error("cannot write the image file", error))?;
        }
        file.flush()
            .await
            .map_err(|error| io_error("cannot flush the image file", error))?;
        return Ok(written);
    }
    Err(ApiError::bad_request(
        "MISSING_FILE_FIELD",
        "multipart body has no `file` field",
    ))
}

fn hash_file(path: &std::path::Path, size: u64) -> std::io::Result<String> {
    use std::io::Read;
    let file = std::fs::File::open(path)?;
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file.take(size));
    let mut hasher = Sha256::new();
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
