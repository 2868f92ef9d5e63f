//! The VMTools (SVT) chunked upload (`ApiClient::upload_svt_image`) against
//! the in-process simulator on loopback: the SHA-256 the simulator computes
//! from what it received equals ours at the chunk-boundary sizes, chunk
//! retries, rollback and recreation, dropped connections, resume of a
//! partly uploaded volume, progress, dry run, the ISO lookup, and no token
//! in errors or logs.

use super::raw_upload::RawVolume;
use super::upload_support::*;

#[tokio::test]
async fn sha256_matches_the_simulator_at_chunk_boundaries() -> TestResult {
    // HTTPS here, plain HTTP elsewhere: the body stream must work over both.
    let sim = sim(true).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    for (index, size) in [1, CHUNK, CHUNK + 1, 10 * CHUNK + 123]
        .into_iter()
        .enumerate()
    {
        let (path, expected) = write_iso(dir.path(), &format!("SMTX_VMTOOLS-1.{index}.iso"), size)?;
        let report = client
            .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
            .await?;
        assert_eq!(report.sha256, expected, "size {size}");
        assert_eq!(report.size, size);
        assert_eq!(report.chunk_size, CHUNK);
        assert_eq!(
            report.chunks_sent as u64,
            size.div_ceil(CHUNK),
            "size {size}"
        );
        assert_eq!(report.chunks_already_present, 0);
        assert!(!report.recreated);
        let images = images(&sim);
        let seen = image(&images, &report.image_uuid).ok_or("image not in the simulator")?;
        assert_eq!(seen["sha256"], expected.as_str(), "size {size}");
        assert_eq!(seen["complete"], true);
        assert_eq!(seen["zbs_volume_id"], report.zbs_volume_id.as_str());
        assert_eq!(seen["name"], format!("SMTX_VMTOOLS-1.{index}.iso"));
    }
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_chunk_failing_once_or_twice_is_retried_on_the_same_volume() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    for times in [1u32, 2] {
        let (path, expected) = write_iso(dir.path(), &format!("fail-{times}.iso"), 5 * CHUNK + 7)?;
        sim.inject(Fault::ChunkFails { chunk: 2, times });
        let report = client
            .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
            .await?;
        assert!(!report.recreated, "{times} failure(s) must not recreate");
        assert_eq!(report.sha256, expected);
        let images = images(&sim);
        let seen = image(&images, &report.image_uuid).ok_or("image not in the simulator")?;
        assert_eq!(seen["sha256"], expected.as_str());
        let calls = chunk_calls(&sim, &report.image_uuid);
        let failed = calls
            .iter()
            .filter(|(chunk, status)| *chunk == 2 && *status == 500)
            .count();
        assert_eq!(failed, times as usize, "calls: {calls:?}");
        let ok: Vec<u64> = calls
            .iter()
            .filter(|(_, status)| *status == 200)
            .map(|(c, _)| *c)
            .collect();
        assert_eq!(ok, vec![0, 1, 2, 3, 4, 5]);
    }
    assert_eq!(count_calls(&sim, "DELETE", "/api/v2/images/"), 0);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_chunk_failing_three_times_rolls_back_and_recreates() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let (path, expected) = write_iso(dir.path(), "SMTX_VMTOOLS-3.2.0-1.iso", 4 * CHUNK + 1)?;
    sim.inject(Fault::ChunkFails { chunk: 1, times: 3 });
    let report = client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await?;
    assert!(report.recreated);
    assert_eq!(report.sha256, expected);
    assert_eq!(report.chunks_sent, 5);
    let images = images(&sim);
    assert_eq!(
        images.len(),
        2,
        "a first, deleted volume and the new one: {images:?}"
    );
    assert_eq!(images[0]["deleted"], true);
    assert_ne!(images[0]["uuid"], report.image_uuid.as_str());
    let current = image(&images, &report.image_uuid).ok_or("new image missing")?;
    assert_eq!(current["deleted"], false);
    assert_eq!(current["complete"], true);
    assert_eq!(current["sha256"], expected.as_str());
    assert_eq!(count_calls(&sim, "DELETE", "/api/v2/images/"), 1);
    assert_eq!(
        count_calls(&sim, "POST", "/api/v2/svt_image/create_volume"),
        2
    );
    let first = images[0]["uuid"].as_str().ok_or("uuid")?;
    let first_calls = chunk_calls(&sim, first);
    assert_eq!(first_calls, vec![(0, 200), (1, 500), (1, 500), (1, 500)]);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn failing_after_the_recreate_too_is_an_error_naming_file_and_chunk() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let (path, _) = write_iso(dir.path(), "SMTX_VMTOOLS-3.2.0-2.iso", 3 * CHUNK)?;
    sim.inject(Fault::ChunkFails { chunk: 2, times: 6 });
    let error = client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await
        .err()
        .ok_or("the upload should fail")?;
    assert!(
        matches!(&error, ApiError::Upload { chunk: Some(2), file, .. } if file.contains("SMTX_VMTOOLS-3.2.0-2.iso")),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("chunk 2"), "{text}");
    assert!(text.contains("HTTP 500"), "{text}");
    assert!(text.contains("recreated"), "{text}");
    let images = images(&sim);
    assert_eq!(images.len(), 2);
    assert!(
        images.iter().all(|image| image["deleted"] == true),
        "{images:?}"
    );
    assert_eq!(count_calls(&sim, "DELETE", "/api/v2/images/"), 2);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_connection_dropped_mid_chunk_is_retried() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let (path, expected) = write_iso(dir.path(), "drop.iso", 6 * CHUNK)?;
    sim.inject(Fault::DropUpload { chunk: 3, times: 1 });
    let report = client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await?;
    assert!(!report.recreated);
    assert_eq!(report.sha256, expected);
    let images = images(&sim);
    let seen = image(&images, &report.image_uuid).ok_or("image missing")?;
    assert_eq!(seen["sha256"], expected.as_str());
    let calls = chunk_calls(&sim, &report.image_uuid);
    assert!(
        calls.contains(&(3, 0)),
        "the drop is in the call log: {calls:?}"
    );
    assert_eq!(
        calls
            .iter()
            .filter(|(chunk, status)| *chunk == 3 && *status == 200)
            .count(),
        1
    );
    sim.shutdown().await;
    Ok(())
}

/// Logs in and uploads `chunks` of the file by hand, as an interrupted
/// earlier run would have; answers the image uuid.
async fn upload_part_by_hand(
    sim: &RunningSim,
    path: &Path,
    chunks: &[u64],
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let base = sim.node_url(0).ok_or("no node")?;
    let bytes = std::fs::read(path)?;
    let name = path
        .file_name()
        .ok_or("no name")?
        .to_string_lossy()
        .into_owned();
    let volume = RawVolume::create(
        reqwest::Client::new(),
        &base,
        ROOT_PASSWORD,
        &name,
        bytes.len() as u64,
    )
    .await?;
    for &chunk in chunks {
        let start = usize::try_from(chunk * CHUNK)?;
        let end = (start + usize::try_from(CHUNK)?).min(bytes.len());
        let answer = volume.send_chunk(chunk, bytes[start..end].to_vec()).await?;
        assert_eq!(answer.status(), 200);
    }
    Ok(volume.image_uuid)
}

#[tokio::test]
async fn a_partly_uploaded_volume_is_resumed_with_the_missing_chunks_only() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let (path, expected) = write_iso(dir.path(), "SMTX_VMTOOLS-4.0.0-1.iso", 7 * CHUNK + 99)?;
    let image_uuid = upload_part_by_hand(&sim, &path, &[0, 2, 3, 7]).await?;
    let before = chunk_calls(&sim, &image_uuid).len();
    let report = client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await?;
    assert_eq!(report.image_uuid, image_uuid, "the same volume is resumed");
    assert_eq!(report.chunks_already_present, 4);
    assert_eq!(report.chunks_sent, 4);
    assert_eq!(report.sha256, expected, "the skipped chunks are hashed too");
    let sent: Vec<u64> = chunk_calls(&sim, &image_uuid)[before..]
        .iter()
        .map(|(chunk, _)| *chunk)
        .collect();
    assert_eq!(sent, vec![1, 4, 5, 6]);
    let images = images(&sim);
    let seen = image(&images, &image_uuid).ok_or("image missing")?;
    assert_eq!(seen["sha256"], expected.as_str());
    assert_eq!(count_calls(&sim, "DELETE", "/api/v2/images/"), 0);
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn progress_rises_to_the_total() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let size = 9 * CHUNK + 5;
    let (path, _) = write_iso(dir.path(), "progress.iso", size)?;
    let seen: Arc<Mutex<Vec<UploadProgress>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let options = UploadOptions {
        progress: Some(Arc::new(move |progress: &UploadProgress| {
            if let Ok(mut seen) = sink.lock() {
                seen.push(progress.clone());
            }
        })),
        ..UploadOptions::default()
    };
    client
        .upload_svt_image(&SvtUpload::new(&path), &options)
        .await?;
    let seen = seen.lock().map_err(|_| "poisoned")?.clone();
    assert!(
        seen.len() >= 10,
        "one update per chunk at least: {}",
        seen.len()
    );
    assert!(
        seen.windows(2)
            .all(|pair| pair[0].bytes_done <= pair[1].bytes_done
                && pair[0].chunks_done <= pair[1].chunks_done),
        "{seen:?}"
    );
    let last = seen.last().ok_or("no progress")?;
    assert_eq!(last.bytes_done, size);
    assert_eq!(last.total, size);
    assert_eq!(last.chunks_done, 10);
    assert_eq!(last.chunks_total, 10);
    assert_eq!(last.eta, Some(Duration::ZERO));
    assert!(last.bytes_per_sec > 0.0);
    assert!(seen.iter().all(|progress| progress.total == size));
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn an_empty_file_is_refused_and_a_dry_run_sends_nothing() -> TestResult {
    let sim = sim(false).await?;
    let dir = tempfile::tempdir()?;
    let (empty, _) = write_iso(dir.path(), "empty.iso", 0)?;
    let client = logged_in(&sim).await?;
    let error = client
        .upload_svt_image(&SvtUpload::new(&empty), &UploadOptions::default())
        .await
        .err()
        .ok_or("an empty file must be refused")?;
    assert!(
        matches!(&error, ApiError::File { path, .. } if path.contains("empty.iso")),
        "{error:?}"
    );
    assert_eq!(count_calls(&sim, "POST", "/api/v2/svt_image/"), 0);

    let size = 20 * 1024 * 1024 + 1;
    let (path, _) = write_iso(dir.path(), "dry.iso", size)?;
    let mut dry = config(&sim)?;
    dry.dry_run = true;
    let client = ApiClient::new(dry)?;
    let report = client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await?;
    assert_eq!(report.size, size);
    let planned = client.planned_calls();
    assert_eq!(
        planned.len(),
        1 + 3,
        "create + 3 chunks of 8 MiB: {planned:?}"
    );
    assert!(
        planned[0]
            .url
            .contains("/api/v2/svt_image/create_volume?name=dry.iso&size=20971521")
    );
    assert!(planned[3].url.contains("chunk_num=2"));
    assert!(images(&sim).is_empty());
    assert_eq!(count_calls(&sim, "POST", "/api/v2/svt_image/"), 0);
    sim.shutdown().await;
    Ok(())
}

fn touch(dir: &Path, name: &str, age_secs: u64) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    let file = std::fs::File::create(&path)?;
    file.set_len(1)?;
    file.set_modified(SystemTime::now() - Duration::from_secs(age_secs))?;
    Ok(path)
}

#[test]
fn find_vmtools_iso_picks_the_highest_version_then_the_newest() -> TestResult {
    let dir = tempfile::tempdir()?;
    assert_eq!(find_vmtools_iso(dir.path()), None);
    touch(dir.path(), "other.iso", 0)?;
    touch(dir.path(), "SMTX_VMTOOLS-99.0.0.iso.part", 0)?;
    touch(dir.path(), "smtx_vmtools-99.0.0.iso", 0)?;
    std::fs::create_dir(dir.path().join("SMTX_VMTOOLS-98.0.0.iso"))?;
    assert_eq!(
        find_vmtools_iso(dir.path()),
        None,
        "none of these is an ISO to pick"
    );

    touch(dir.path(), "SMTX_VMTOOLS-3.9.0-2501210639.iso", 0)?;
    let newest_version = touch(dir.path(), "SMTX_VMTOOLS-3.10.0-2401010000.iso", 500)?;
    assert_eq!(
        find_vmtools_iso(dir.path()),
        Some(newest_version.clone()),
        "3.10 > 3.9 numerically"
    );

    // Same version in the name: the newer file wins.
    touch(dir.path(), "SMTX_VMTOOLS-3.10.0_2401010000.iso", 1000)?;
    assert_eq!(find_vmtools_iso(dir.path()), Some(newest_version));
    let newer = touch(dir.path(), "SMTX_VMTOOLS-3.10.0_2401010000.ISO", 10)?;
    assert_eq!(find_vmtools_iso(dir.path()), Some(newer));
    Ok(())
}

#[tokio::test]
async fn an_expired_session_mid_upload_logs_in_again() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let (path, expected) = write_iso(dir.path(), "expiry.iso", 8 * CHUNK)?;
    sim.inject(Fault::TokenExpiresAfter { calls: 3 });
    let report = client
        .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
        .await?;
    assert!(!report.recreated, "a 401 is not a chunk failure");
    assert_eq!(report.sha256, expected);
    let calls = chunk_calls(&sim, &report.image_uuid);
    assert!(calls.iter().any(|(_, status)| *status == 401), "{calls:?}");
    assert!(count_calls(&sim, "POST", "/api/v3/sessions") >= 3);
    sim.shutdown().await;
    Ok(())
}

/// Writes `bytes` to `path` until its ctime has moved past `before`'s
/// (a rewrite within one clock tick keeps the stamp), with the same mtime.
fn rewrite(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let before = std::fs::metadata(path).map_err(|e| e.to_string())?;
    let modified = before.modified().map_err(|e| e.to_string())?;
    smtx_testkit::poll_until_blocking(Duration::from_secs(10), || {
        std::fs::write(path, bytes).ok()?;
        let file = std::fs::File::options().write(true).open(path).ok()?;
        file.set_modified(modified).ok()?;
        let now = std::fs::metadata(path).ok()?;
        use std::os::unix::fs::MetadataExt;
        ((now.ctime(), now.ctime_nsec()) != (before.ctime(), before.ctime_nsec())).then_some(())
    })
    .ok_or_else(|| "the file's ctime never moved".to_string())
}

#[tokio::test]
async fn a_file_changed_between_uploads_is_hashed_again() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let size = 3 * CHUNK + 11;
    let (path, first) = write_iso(dir.path(), "SMTX_VMTOOLS-5.0.0-1.iso", size)?;
    let upload = SvtUpload::new(&path);
    let report = client
        .upload_svt_image(&upload, &UploadOptions::default())
        .await?;
    assert_eq!(report.sha256, first);
    // Same name, size and mtime; other bytes.
    let mut other = pattern(size);
    other.reverse();
    let second = hex::encode(Sha256::digest(&other));
    assert_ne!(first, second);
    rewrite(&path, &other)?;
    let report = client
        .upload_svt_image(&upload, &UploadOptions::default())
        .await?;
    assert_eq!(
        report.sha256, second,
        "the cached digest of the old file was used"
    );
    let images = images(&sim);
    let seen = image(&images, &report.image_uuid).ok_or("image not in the simulator")?;
    assert_eq!(seen["sha256"], second.as_str());
    sim.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_file_changed_during_the_upload_is_an_error_and_rolled_back() -> TestResult {
    let sim = sim(false).await?;
    let client = logged_in(&sim).await?;
    let dir = tempfile::tempdir()?;
    let (path, _) = write_iso(dir.path(), "SMTX_VMTOOLS-5.0.0-2.iso", 4 * CHUNK)?;
    let grow = path.clone();
    let options = UploadOptions {
        // After the first chunk, the file grows by a byte.
        progress: Some(Arc::new(move |progress: &UploadProgress| {
            if progress.chunks_done == 1
                && let Ok(mut file) = std::fs::File::options().append(true).open(&grow)
            {
                let _ = file.write_all(b"!");
            }
        })),
        ..UploadOptions::default()
    };
    let answer = client
        .upload_svt_image(&SvtUpload::new(&path), &options)
        .await;
    assert!(
        matches!(&answer, Err(ApiError::File { reason, .. }) if reason.to_string().contains("changed")),
        "{answer:?}"
    );
    assert_eq!(count_calls(&sim, "DELETE", "/api/v2/images/"), 1);
    sim.shutdown().await;
    Ok(())
}
