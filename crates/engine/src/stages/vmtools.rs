//! Step 8 of `config_cluster`: the optional VMTools (SVT) ISO upload — the
//! configured ISO or the newest `SMTX_VMTOOLS-*.iso` in the working
//! directory, to the VIP when it is in place, chunked, with the record kept
//! in `extra.config_cluster.svt_image` (and `extra.deploy_cloudtower.vmtools`
//! for the CloudTower stage). A completed upload of the same file to the
//! same cluster is not repeated unless forced.

use std::sync::Arc;

use serde_json::{Value, json};
use smtx_api::{SvtUpload, UploadOptions, UploadProgress, find_vmtools_iso};

use super::StageRun;
use crate::{ProgressEvent, StepResult};

const ACTION: &str = "vmtools_upload";

pub async fn run(run: &mut StageRun<'_>, vip_ok: bool) {
    let started = run.step_started(ACTION);
    let iso = run
        .settings
        .vmtools_iso
        .clone()
        .or_else(|| find_vmtools_iso(&run.settings.work_dir));
    let Some(path) = iso else {
        run.record(
            StepResult::skipped(
                ACTION,
                format!(
                    "no VMTools ISO configured and no SMTX_VMTOOLS-*.iso in {}",
                    run.settings.work_dir.display()
                ),
            ),
            started,
        );
        return;
    };
    let size = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(error) => {
            run.record(
                StepResult::warning(
                    ACTION,
                    format!("{}: {error}; upload skipped", path.display()),
                )
                .with_hint("check --vmtools-iso / vmtools.iso"),
                started,
            );
            return;
        }
    };
    if size == 0 {
        // An empty ISO is a mistake worth a warning, not a silent skip.
        run.record(
            StepResult::warning(
                ACTION,
                format!("{} is empty; upload skipped", path.display()),
            )
            .with_hint("copy the VMTools ISO again; an interrupted copy leaves an empty file"),
            started,
        );
        return;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vmtools.iso".to_string());
    let cluster = cluster_identity(run);

    if !run.settings.force_upload
        && let Some(previous) = previous_upload(run, &file_name, size, &cluster)
    {
        // Same name, size and cluster: check the content before skipping.
        let path_for_hash = path.clone();
        let sha = tokio::task::spawn_blocking(move || sha256_file(&path_for_hash))
            .await
            .ok()
            .and_then(Result::ok);
        if sha.as_deref() == previous.get("sha256").and_then(Value::as_str) {
            run.record(
                StepResult::skipped(
                    ACTION,
                    format!(
                        "{file_name} (sha256 {}) was already uploaded to this cluster; --force-upload to send it again",
                        sha.unwrap_or_default()
                    ),
                ),
                started,
            );
            return;
        }
    }

    let client = match run.plan().cluster.vip {
        Some(vip) if vip_ok => match run
            .client
            .with_base(&run.client.base_for_host(&vip.to_string()))
        {
            Ok(client) => client,
            Err(_) => run.client.clone(),
        },
        _ => run.client.clone(),
    };
    let progress = run.progress.clone();
    let action = format!("upload {file_name}");
    let options = UploadOptions {
        progress: Some(Arc::new(move |p: &UploadProgress| {
            progress.emit(ProgressEvent::Transfer {
                action: action.clone(),
                bytes_done: p.bytes_done,
                total: p.total,
                bytes_per_sec: p.bytes_per_sec,
                eta: p.eta,
            });
        })),
        ..UploadOptions::default()
    };
    let upload = SvtUpload {
        path: path.clone(),
        file_name: file_name.clone(),
    };
    match client.upload_svt_image(&upload, &options).await {
        Ok(report) => {
            if run.settings.dry_run {
                run.record(
                    StepResult::ok(ACTION, format!("would upload {file_name} ({size} bytes)")),
                    started,
                );
                return;
            }
            tracing::info!(action = ACTION, status = "ok", error = "", sha256 = %report.sha256, file = %file_name);
            let record = json!({
                "image_uuid": report.image_uuid,
                "zbs_volume_id": report.zbs_volume_id,
                "file_name": report.file_name,
                "chunk_size": report.chunk_size,
                "sha256": report.sha256,
                "size": report.size,
                "cluster": cluster,
            });
            run.context
                .stage_mut("config_cluster")
                .insert("svt_image".into(), record.clone());
            run.context
                .stage_mut("deploy_cloudtower")
                .insert("vmtools".into(), record);
            let recreated = if report.recreated {
                ", after recreating the volume"
            } else {
                ""
            };
            run.record(
                StepResult::ok(
                    ACTION,
                    format!(
                        "{file_name}: {} chunk(s) of {} bytes sent{recreated}, sha256 {}",
                        report.chunks_sent, report.chunk_size, report.sha256
                    ),
                ),
                started,
            );
        }
        Err(error) => {
            run.record(
                StepResult::failed(ACTION, error.to_string()).with_hint(
                    "the image was rolled back; check the network to the cluster and run again",
                ),
                started,
            );
        }
    }
}

/// The cluster's identity for "same cluster": the first scanned host uuid.
fn cluster_identity(run: &StageRun<'_>) -> String {
    let plan = run.plan();
    let first_ip = plan
        .hosts
        .first()
        .map(|h| h.management_ip.to_string())
        .unwrap_or_default();
    run.context
        .extra
        .get("host_scan")
        .and_then(|scans| scans.get(&first_ip))
        .and_then(|scan| scan.get("host_uuid"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn previous_upload(run: &StageRun<'_>, file_name: &str, size: u64, cluster: &str) -> Option<Value> {
    let previous = run
        .context
        .extra
        .get("config_cluster")?
        .get("svt_image")?
        .clone();
    let same = previous.get("file_name").and_then(Value::as_str) == Some(file_name)
        && previous.get("size").and_then(Value::as_u64) == Some(size)
        && !cluster.is_empty()
        && previous.get("cluster").and_then(Value::as_str) == Some(cluster);
    same.then_some(previous)
}

fn sha256_file(path: &std::path::Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
