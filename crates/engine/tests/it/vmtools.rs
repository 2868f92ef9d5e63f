//! The VMTools upload as a step of `config_cluster`: ISO discovery, the
//! upload to the VIP, the record in the run context, no repeat from a
//! context that already holds it, and the stage failing when even the
//! recreated volume cannot be filled; every upload failure the simulator
//! can provoke worded in Chinese with its English unchanged.

use std::path::Path;

use serde_json::Value;
use sha2::{Digest, Sha256};
use smtx_engine::{Lang, Localize, RunContext, StepStatus};
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{Fault, Scenario, SimOptions};

use crate::support::{Harness, calls, context_json, status, step};

const CHUNK: u64 = 64 * 1024;

fn write_iso(path: &Path, size: usize) -> String {
    let bytes: Vec<u8> = (0..size).map(|i| (i * 31 % 251) as u8).collect();
    std::fs::write(path, &bytes).expect("iso written");
    hex::encode(Sha256::digest(&bytes))
}

async fn harness(faults: Vec<Fault>) -> Harness {
    harness_with(faults, CHUNK).await
}

async fn harness_with(faults: Vec<Fault>, chunk_size: u64) -> Harness {
    let options = SimOptions {
        chunk_size,
        scenario: Scenario { faults },
        ..SimOptions::default()
    };
    Harness::fixture_with(WorkbookSpec::example(2), options).await
}

#[tokio::test(flavor = "multi_thread")]
async fn newest_iso_in_the_work_dir_is_uploaded_to_the_vip_and_recorded() {
    let mut harness = harness(vec![]).await;
    let dir = harness.dir.path().to_path_buf();
    write_iso(&dir.join("SMTX_VMTOOLS-3.1.0-2401010000.iso"), 1000);
    let sha = write_iso(
        &dir.join("SMTX_VMTOOLS-3.2.0-2501210639.iso"),
        5 * CHUNK as usize + 17,
    );
    let report = harness.run().await;
    assert_eq!(
        status(&report, "vmtools_upload"),
        StepStatus::Ok,
        "{report:#?}"
    );
    assert_eq!(report.status, StepStatus::Ok);

    let state = harness.state();
    let images = state["images"].as_array().expect("images");
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["name"], "SMTX_VMTOOLS-3.2.0-2501210639.iso");
    assert_eq!(images[0]["complete"], true);
    assert_eq!(images[0]["sha256"], sha.as_str());
    let to_vip = state["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["path"] == "/api/v2/svt_image/upload_template" && c["target"] == "vip")
        .count();
    assert_eq!(to_vip, 6, "every chunk went to the VIP");

    let context = RunContext::load(&report.run_dir).expect("context loads");
    let json = context_json(&report.run_dir);
    let record = &json["extra"]["config_cluster"]["svt_image"];
    for key in [
        "image_uuid",
        "zbs_volume_id",
        "file_name",
        "chunk_size",
        "sha256",
    ] {
        assert!(!record[key].is_null(), "svt_image.{key}: {record}");
    }
    assert_eq!(record["sha256"], sha.as_str());
    assert_eq!(record["chunk_size"], CHUNK);
    assert_eq!(&json["extra"]["deploy_cloudtower"]["vmtools"], record);
    let log =
        std::fs::read_to_string(report.run_dir.join("logs/stage_config_cluster.log")).expect("log");
    assert!(log.contains(&sha), "the SHA256 is in the stage log");

    // Starting from that context: the same file is not sent again...
    let settings = harness.settings();
    let again = harness.run_from(settings, Some(context.clone())).await;
    assert_eq!(
        status(&again, "vmtools_upload"),
        StepStatus::Skipped,
        "{again:#?}"
    );
    assert!(
        step(&again, "vmtools_upload")
            .error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains("already uploaded"))
    );
    assert_eq!(harness.state()["images"].as_array().map(Vec::len), Some(1));
    // ...unless forced.
    let mut settings = harness.settings();
    settings.force_upload = true;
    let forced = harness.run_from(settings, Some(context)).await;
    assert_eq!(
        status(&forced, "vmtools_upload"),
        StepStatus::Ok,
        "{forced:#?}"
    );
    assert_eq!(harness.state()["images"].as_array().map(Vec::len), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn no_iso_and_an_empty_one_are_warnings() {
    let mut harness = harness(vec![]).await;
    // Issue 18: no ISO is a warning with what to do, not a quiet skip that
    // leaves the site without VMTools and the summary saying "done".
    std::fs::remove_file(harness.dir.path().join(crate::support::STAND_IN_ISO))
        .expect("the harness's ISO removed");
    let report = harness.run().await;
    let upload = step(&report, "vmtools_upload");
    assert_eq!(upload.status, StepStatus::Warning, "{report:#?}");
    assert_eq!(report.status, StepStatus::Warning);
    for lang in [Lang::En, Lang::ZhCn] {
        let error = upload
            .error
            .as_ref()
            .map(|e| e.localize(lang))
            .unwrap_or_default();
        assert!(error.contains("VMTools"), "{error}");
        let hint = upload
            .hint
            .as_ref()
            .map(|h| h.localize(lang))
            .unwrap_or_default();
        assert!(hint.contains("--vmtools-iso"), "{hint}");
    }
    assert_eq!(calls(&harness.state(), "POST", "/api/v2/svt_image"), 0);
    let empty = harness.dir.path().join("SMTX_VMTOOLS-9.9.9-1.iso");
    std::fs::write(&empty, b"").expect("empty iso");
    let mut settings = harness.settings();
    settings.vmtools_iso = Some(empty);
    let report = harness.run_with(settings).await;
    let upload = step(&report, "vmtools_upload");
    assert_eq!(upload.status, StepStatus::Warning);
    assert!(
        upload
            .error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains("empty"))
    );
    assert_eq!(calls(&harness.state(), "POST", "/api/v2/svt_image"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn chunk_failing_after_the_recreate_fails_the_stage() {
    // Chunk 1 fails on the first volume (3 tries) and on the recreated one (3 more).
    let mut harness = harness(vec![Fault::ChunkFails { chunk: 1, times: 6 }]).await;
    let iso = harness.dir.path().join("SMTX_VMTOOLS-3.2.0-1.iso");
    write_iso(&iso, 3 * CHUNK as usize);
    // One step at a time: the steps after the upload run (with lanes the
    // failure stops the stage, see `lanes.rs`).
    let mut settings = harness.settings();
    settings.lanes = false;
    let report = harness.run_with(settings).await;
    let upload = step(&report, "vmtools_upload");
    assert_eq!(upload.status, StepStatus::Failed, "{upload:#?}");
    assert_eq!(report.status, StepStatus::Failed);
    let state = harness.state();
    assert_eq!(
        calls(&state, "DELETE", "/api/v2/images/"),
        2,
        "both volumes rolled back"
    );
    // The steps after the upload still ran: the serial is in the workbook.
    assert_eq!(status(&report, "serial"), StepStatus::Ok);
    let value: &Value = &state["cluster"]["serial"];
    assert_eq!(report.serial.as_deref(), value.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn chunk_failing_three_times_is_recreated_and_succeeds() {
    let mut harness = harness(vec![Fault::ChunkFails { chunk: 2, times: 3 }]).await;
    let iso = harness.dir.path().join("SMTX_VMTOOLS-3.2.0-1.iso");
    let sha = write_iso(&iso, 4 * CHUNK as usize);
    let report = harness.run().await;
    let upload = step(&report, "vmtools_upload");
    assert_eq!(upload.status, StepStatus::Ok, "{upload:#?}");
    assert!(
        upload
            .detail
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|d| d.contains("recreating"))
    );
    let state = harness.state();
    let complete: Vec<&Value> = state["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter(|i| i["complete"] == true)
        .collect();
    assert_eq!(complete.len(), 1);
    assert_eq!(complete[0]["sha256"], sha.as_str());
}

/// The failed (or warned) upload step in both languages: the English as
/// report.json keeps it, and the Chinese a `--lang zh-CN` run prints, which
/// must have no English of ours left in it.
fn upload_texts(report: &smtx_engine::RunReport) -> (StepStatus, String, String) {
    use smtx_i18n::{Lang, Localize};
    let upload = step(report, "vmtools_upload");
    let error = upload.error.as_ref().expect("the upload step says why");
    let zh = error.localize(Lang::ZhCn);
    let words = smtx_i18n::untranslated_words(&zh);
    assert!(words.is_empty(), "English {words:?} in {zh}");
    assert!(smtx_i18n::has_cjk(&zh), "{zh}");
    if let Some(hint) = &upload.hint {
        let hint = hint.localize(Lang::ZhCn);
        let words = smtx_i18n::untranslated_words(&hint);
        assert!(words.is_empty(), "English {words:?} in {hint}");
    }
    (upload.status, error.to_string(), zh)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_upload_failure_we_can_provoke_reads_in_chinese_and_keeps_its_english() {
    // An empty ISO: the step's own warning, before any call.
    let mut harness = harness(vec![]).await;
    let empty = harness.dir.path().join("SMTX_VMTOOLS-9.9.9-1.iso");
    std::fs::write(&empty, b"").expect("empty iso");
    let mut settings = harness.settings();
    settings.vmtools_iso = Some(empty.clone());
    let report = harness.run_with(settings).await;
    let (status, en, _) = upload_texts(&report);
    assert_eq!(status, StepStatus::Warning);
    assert_eq!(en, format!("{} is empty; upload skipped", empty.display()));

    // A directory where the ISO should be (with an entry, so that no file
    // system reports it as 0 bytes and the step takes it for empty).
    let dir_iso = harness.dir.path().join("SMTX_VMTOOLS-9.9.9-2.iso");
    std::fs::create_dir(&dir_iso).expect("directory");
    std::fs::write(dir_iso.join("inside"), b"x").expect("entry");
    let mut settings = harness.settings();
    settings.vmtools_iso = Some(dir_iso.clone());
    let report = harness.run_with(settings).await;
    let (status, en, zh) = upload_texts(&report);
    assert_eq!(status, StepStatus::Failed);
    assert_eq!(en, format!("{}: not a regular file", dir_iso.display()));
    let hint = step(&report, "vmtools_upload")
        .hint
        .as_ref()
        .map(ToString::to_string);
    assert_eq!(
        hint.as_deref(),
        Some("check --vmtools-iso / vmtools.iso"),
        "nothing was uploaded, so nothing was rolled back"
    );
    assert!(!zh.contains('「'), "{zh}");
    assert_eq!(calls(&harness.state(), "POST", "/api/v2/svt_image"), 0);

    // create_volume refused: the call's own error, in the same language.
    let create = "/api/v2/svt_image/create_volume";
    let mut harness = harness_with(
        vec![Fault::EndpointStatus {
            method: "POST".into(),
            path: create.into(),
            status: 400,
            times: 10,
        }],
        CHUNK,
    )
    .await;
    let iso = harness.dir.path().join("SMTX_VMTOOLS-3.2.0-1.iso");
    write_iso(&iso, 2 * CHUNK as usize);
    let report = harness.run().await;
    let (status, en, zh) = upload_texts(&report);
    assert_eq!(status, StepStatus::Failed);
    assert_eq!(
        en,
        format!(
            "upload of {} failed: POST {create}: HTTP 400, INJECTED_FAULT: injected fault on POST {create}",
            iso.display()
        )
    );
    // The call's error is said, not quoted whole: only the server's words are.
    assert!(zh.contains("：HTTP 400，错误码 「INJECTED_FAULT」"), "{zh}");

    // A chunk the simulator rejects on both volumes.
    let mut harness = harness_with(vec![Fault::ChunkFails { chunk: 1, times: 6 }], CHUNK).await;
    let iso = harness.dir.path().join("SMTX_VMTOOLS-3.2.0-1.iso");
    write_iso(&iso, 3 * CHUNK as usize);
    let report = harness.run().await;
    let (status, en, zh) = upload_texts(&report);
    assert_eq!(status, StepStatus::Failed);
    assert_eq!(
        en,
        format!(
            "upload of {} failed at chunk 1: failed 3 time(s): POST /api/v2/svt_image/upload_template: HTTP 500, CHUNK_UPLOAD_FAILED: chunk 1 failed (injected fault) (on the recreated volume too; image deleted)",
            iso.display()
        )
    );
    assert!(zh.contains("镜像已删除"), "{zh}");

    // create_volume asking for chunks smaller than any cluster would.
    let mut harness = harness_with(vec![], 1024).await;
    let iso = harness.dir.path().join("SMTX_VMTOOLS-3.2.0-1.iso");
    write_iso(&iso, 3000);
    let report = harness.run().await;
    let (status, en, zh) = upload_texts(&report);
    assert_eq!(status, StepStatus::Failed);
    assert_eq!(
        en,
        format!(
            "upload of {} failed: create_volume asks for chunks of 1024 bytes; a usable chunk size is 4 KiB to 1 GiB (image deleted)",
            iso.display()
        )
    );
    assert!(!zh.contains('「'), "{zh}");
    assert_eq!(calls(&harness.state(), "DELETE", "/api/v2/images/"), 1);
    // Another try gets the same chunking: the hint must not send the
    // engineer to check the network.
    let hint = step(&report, "vmtools_upload")
        .hint
        .as_ref()
        .map(|hint| hint.to_string())
        .unwrap_or_default();
    assert!(hint.contains("chunking"), "{hint}");
    assert!(!hint.contains("network"), "{hint}");
}
