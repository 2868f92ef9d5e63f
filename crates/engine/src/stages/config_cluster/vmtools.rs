//! Step 8 of `config_cluster`: the optional VMTools (SVT) ISO upload — the
//! configured ISO or the newest `SMTX_VMTOOLS-*.iso` in the working
//! directory, to the VIP when it is in place, chunked, with the record kept
//! in `extra.config_cluster.svt_image` (and `extra.deploy_cloudtower.vmtools`
//! for the CloudTower stage). A completed upload of the same file to the
//! same cluster is not repeated unless forced.

use std::sync::Arc;

use smtx_api::{SvtUpload, UploadOptions, UploadProgress, find_vmtools_iso};

use super::StageRun;
use crate::messages::VmtoolsMsg;
use crate::{ProgressEvent, Step, StepResult, SvtImageRecord};

const ACTION: Step = Step::VmtoolsUpload;

/// `vip_ok`: whether the VIP is in place; `None` in a lane, which learns it
/// from the API lane before the first call.
pub async fn run(run: &mut StageRun<'_>, vip_ok: Option<bool>) {
    let started = run.step_started(ACTION);
    let iso = run
        .settings
        .vmtools_iso
        .clone()
        .or_else(|| find_vmtools_iso(&run.settings.work_dir));
    let Some(path) = iso else {
        // A warning, not a skip: a site left without VMTools is found when
        // the first virtual machine needs it, long after the engineer left.
        run.record(
            StepResult::warning(
                ACTION,
                VmtoolsMsg::NoIso {
                    dir: run.settings.work_dir.display().to_string(),
                },
            )
            .with_hint(VmtoolsMsg::NoIsoHint),
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
                    VmtoolsMsg::Unreadable {
                        path: path.display().to_string(),
                        reason: error.to_string(),
                    },
                )
                .with_hint(VmtoolsMsg::CheckIsoHint),
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
                VmtoolsMsg::Empty {
                    path: path.display().to_string(),
                },
            )
            .with_hint(VmtoolsMsg::EmptyHint),
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
        if sha.as_deref() == Some(previous.sha256.as_str()) {
            run.record(
                StepResult::skipped(
                    ACTION,
                    VmtoolsMsg::AlreadyUploaded {
                        file: file_name.clone(),
                        sha256: sha.unwrap_or_default(),
                    },
                ),
                started,
            );
            return;
        }
    }

    let vip_ok = match vip_ok {
        Some(known) => known,
        None if run.plan().cluster.vip.is_some() => run.vip_in_place().await,
        None => false,
    };
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
    let file = file_name.clone();
    let options = UploadOptions {
        progress: Some(Arc::new(move |p: &UploadProgress| {
            progress.emit(ProgressEvent::Transfer {
                step: ACTION,
                file: file.clone(),
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
                    StepResult::ok(
                        ACTION,
                        VmtoolsMsg::WouldUpload {
                            file: file_name.clone(),
                            size,
                        },
                    ),
                    started,
                );
                return;
            }
            tracing::info!(action = %ACTION, status = "ok", error = "", sha256 = %report.sha256, file = %file_name);
            let record = SvtImageRecord {
                image_uuid: report.image_uuid.clone(),
                zbs_volume_id: report.zbs_volume_id.clone(),
                file_name: report.file_name.clone(),
                chunk_size: report.chunk_size,
                sha256: report.sha256.clone(),
                size: Some(report.size),
                cluster: Some(cluster),
                other: Default::default(),
            };
            let extra = &mut run.context.extra;
            extra.config_cluster_mut().svt_image = Some(record.clone());
            extra
                .deploy_cloudtower
                .get_or_insert_with(Default::default)
                .vmtools = Some(record);
            run.record(
                StepResult::ok(
                    ACTION,
                    VmtoolsMsg::Uploaded {
                        file: file_name.clone(),
                        chunks: report.chunks_sent as u64,
                        chunk_size: report.chunk_size,
                        recreated: report.recreated,
                        sha256: report.sha256.clone(),
                    },
                ),
                started,
            );
        }
        Err(error) => {
            // A file refused before any call has no image to roll back.
            let hint = match &error {
                smtx_api::ApiError::File {
                    reason:
                        smtx_api::FileReason::Io { .. }
                        | smtx_api::FileReason::NotRegular
                        | smtx_api::FileReason::Empty
                        | smtx_api::FileReason::NoFileName,
                    ..
                } => VmtoolsMsg::CheckIsoHint,
                // Not the network: another try gets the same answer.
                smtx_api::ApiError::Upload {
                    reason:
                        smtx_api::UploadReason {
                            cause: smtx_api::UploadCause::Chunking(_),
                            ..
                        },
                    ..
                } => VmtoolsMsg::ChunkingHint,
                _ => VmtoolsMsg::RolledBackHint,
            };
            run.record(StepResult::failed(ACTION, &error).with_hint(hint), started);
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
        .host_scan
        .as_ref()
        .and_then(|scans| scans.get(&first_ip))
        .map(|scan| scan.host_uuid.clone())
        .unwrap_or_default()
}

/// The record of an earlier upload of the same file (name and size) to the
/// same cluster, if the context has one.
fn previous_upload(
    run: &StageRun<'_>,
    file_name: &str,
    size: u64,
    cluster: &str,
) -> Option<SvtImageRecord> {
    let previous = run
        .context
        .extra
        .config_cluster
        .as_ref()?
        .svt_image
        .clone()?;
    let same = previous.file_name == file_name
        && previous.size == Some(size)
        && !cluster.is_empty()
        && previous.cluster.as_deref() == Some(cluster);
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
