//! Aborting a run and guarding its directory (issue 9): a cancelled run
//! stops within a second even mid-upload, records the step under way as
//! `aborted` in the report, the context and the stage log, and leaves the
//! upload volume so that a run `--from` it resumes from the chunks the
//! server has; a second run on a directory in use is refused; a lock left
//! by a dead run is taken over.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use smtx_engine::{
    CancellationToken, EngineError, LOCK_FILE, RunContext, RunReport, RunRequest, Settings, Stage,
    StepStatus, Workbook,
};
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{Fault, Scenario, SimOptions};
use smtx_testkit::poll_until;

use crate::support::{Harness, calls, calls_exact, context_json, status, step};

const CHUNK: u64 = 64 * 1024;
const CHUNKS: u64 = 40;
const UPLOAD_PATH: &str = "/api/v2/svt_image/upload_template";

/// A harness whose uploads are slow (50 ms a chunk) and an ISO of
/// `CHUNKS` chunks in its work directory.
async fn slow_upload_harness(extra: Vec<Fault>) -> Harness {
    let mut faults = vec![Fault::Latency {
        ms: 50,
        method: Some("POST".into()),
        path: Some(UPLOAD_PATH.into()),
    }];
    faults.extend(extra);
    let options = SimOptions {
        chunk_size: CHUNK,
        scenario: Scenario { faults },
        ..SimOptions::default()
    };
    let harness = Harness::fixture_with(WorkbookSpec::example(2), options).await;
    let bytes: Vec<u8> = (0..CHUNKS * CHUNK + 5)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    std::fs::write(
        harness.dir.path().join("SMTX_VMTOOLS-3.2.0-2501210639.iso"),
        bytes,
    )
    .expect("iso written");
    harness
}

fn request(harness: &Harness, settings: Settings, cancel: &CancellationToken) -> RunRequest {
    RunRequest {
        settings,
        workbook: Workbook {
            path: harness.workbook.clone(),
            plan: harness.plan(),
        },
        stages: Stage::ALL.to_vec(),
        from: None,
        progress: smtx_engine::ProgressSink::none(),
        cancel: cancel.clone(),
    }
}

fn received_chunks(state: &Value) -> Option<u64> {
    state["images"].as_array()?.first()?["received_chunks"].as_u64()
}

/// Waits until the simulator holds at least `chunks` chunks of the ISO.
async fn until_chunks(harness: &Harness, chunks: u64) -> u64 {
    poll_until(Duration::from_secs(60), || async {
        received_chunks(&harness.state()).filter(|n| *n >= chunks)
    })
    .await
    .expect("the upload gets going")
}

fn stage_log(run_dir: &Path, stage: &str) -> Vec<Value> {
    std::fs::read_to_string(run_dir.join(format!("logs/stage_{stage}.log")))
        .expect("stage log")
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abort_mid_upload_is_recorded_and_a_run_from_it_resumes_the_volume() {
    let mut harness = slow_upload_harness(vec![]).await;
    let mut settings = harness.settings();
    // One step at a time, so that nothing comes after the upload in the
    // report (lanes: `lanes.rs`).
    settings.lanes = false;
    let run_dir = settings.run_dir.clone();
    let cancel = CancellationToken::new();
    let running = tokio::spawn(smtx_engine::run(request(&harness, settings, &cancel)));
    let before = until_chunks(&harness, 3).await;

    let started = Instant::now();
    cancel.cancel();
    let report: RunReport = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the run stops")
        .expect("joins")
        .expect("a report");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "stopped in {took:?}");

    // The report: the upload step aborted, nothing after it.
    assert_eq!(report.status, StepStatus::Aborted, "{report:#?}");
    assert!(report.aborted());
    let upload = step(&report, "vmtools_upload");
    assert_eq!(upload.status, StepStatus::Aborted, "{upload:?}");
    assert!(
        upload
            .hint
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|h| h.contains("--from"))
    );
    let last = report.stages.last().expect("stages");
    assert_eq!(last.stage, smtx_engine::Stage::ConfigCluster);
    assert_eq!(last.status, StepStatus::Aborted);
    assert_eq!(
        last.steps.last().map(|s| s.step.to_string()),
        Some("vmtools_upload".to_string()),
        "no step after the aborted one is recorded"
    );
    let on_disk: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("report.json")).expect("report.json"),
    )
    .expect("report.json is JSON");
    assert_eq!(on_disk["status"], "aborted");

    // The context and the stage log say the same.
    let context = RunContext::load(&run_dir).expect("context loads");
    let json = context_json(&run_dir);
    let stage = &json["extra"]["config_cluster"];
    assert_eq!(stage["status"], "aborted");
    let results = stage["results"].as_array().expect("results");
    assert_eq!(
        results.last().map(|r| (&r["action"], &r["status"])),
        Some((&Value::from("vmtools_upload"), &Value::from("aborted")))
    );
    let log = stage_log(&run_dir, "config_cluster");
    assert!(
        log.iter()
            .any(|line| line["action"] == "vmtools_upload" && line["status"] == "aborted"),
        "the stage log has the aborted step"
    );

    // The volume is kept, half full.
    let state = harness.state();
    let image = &state["images"][0];
    assert_eq!(image["deleted"], false);
    assert_eq!(image["complete"], false);
    assert!(received_chunks(&state) >= Some(before));
    assert_eq!(calls(&state, "DELETE", "/api/v2/images/"), 0);

    // A run from that context resumes the same volume and finishes.
    let settings = harness.settings();
    let resumed = harness.run_from(settings, Some(context)).await;
    assert_eq!(resumed.status, StepStatus::Ok, "{resumed:#?}");
    assert_eq!(status(&resumed, "vmtools_upload"), StepStatus::Ok);
    let state = harness.state();
    let images = state["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "one volume: resumed, not recreated");
    assert_eq!(images[0]["complete"], true);
    // Every chunk was accepted exactly once over both runs.
    let accepted = state["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter(|c| c["path"] == UPLOAD_PATH && c["status"] == 200)
        .count() as u64;
    assert_eq!(accepted, CHUNKS + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abort_during_a_job_wait_stops_at_once() {
    // Jobs that take a minute: the run sits in a job wait.
    let options = SimOptions {
        job_duration: Duration::from_secs(60),
        ..SimOptions::default()
    };
    let mut harness = Harness::fixture_with(WorkbookSpec::example(1), options).await;
    // No ISO: the upload lane ends at once (a warning) instead of waiting
    // for the VIP's job too, so one step is under way at the abort.
    std::fs::remove_file(harness.dir.path().join(crate::support::STAND_IN_ISO))
        .expect("the harness's ISO removed");
    let settings = harness.settings();
    let run_dir = settings.run_dir.clone();
    let cancel = CancellationToken::new();
    let running = tokio::spawn(smtx_engine::run(request(&harness, settings, &cancel)));
    poll_until(Duration::from_secs(30), || async {
        (calls(&harness.state(), "GET", "/api/v2/jobs/") >= 1).then_some(())
    })
    .await
    .expect("a job is being polled");
    let started = Instant::now();
    cancel.cancel();
    let report = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the run stops")
        .expect("joins")
        .expect("a report");
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(report.status, StepStatus::Aborted);
    let aborted: Vec<_> = report
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| s.status == StepStatus::Aborted)
        .collect();
    assert_eq!(aborted.len(), 1, "exactly the step under way: {report:#?}");
    assert!(
        stage_log(&run_dir, "config_cluster")
            .iter()
            .any(|line| line["status"] == "aborted")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_aborted_before_it_starts_says_so() {
    let mut harness = Harness::fixture(WorkbookSpec::example(1), vec![]).await;
    let settings = harness.settings();
    let run_dir = settings.run_dir.clone();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let report = smtx_engine::run(request(&harness, settings, &cancel))
        .await
        .expect("a report");
    assert_eq!(report.status, StepStatus::Aborted);
    assert_eq!(report.stages.len(), 1, "the run stops at the first stage");
    assert_eq!(report.stages[0].steps[0].status, StepStatus::Aborted);
    assert!(run_dir.join("report.json").is_file());
    assert_eq!(
        calls_exact(&harness.state(), "GET", "/api/v2/deployment/host"),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_a_directory_in_use_is_refused() {
    let mut harness = slow_upload_harness(vec![]).await;
    let settings = harness.settings();
    let run_dir = settings.run_dir.clone();
    let cancel = CancellationToken::new();
    let first = tokio::spawn(smtx_engine::run(request(
        &harness,
        settings.clone(),
        &cancel,
    )));
    until_chunks(&harness, 1).await;

    let error = smtx_engine::run(request(
        &harness,
        settings.clone(),
        &CancellationToken::new(),
    ))
    .await
    .expect_err("refused");
    match &error {
        EngineError::RunDirBusy {
            run_dir: dir,
            holder,
        } => {
            assert_eq!(dir, &run_dir);
            assert_eq!(*holder, Some(std::process::id()));
        }
        other => panic!("expected RunDirBusy, got {other}"),
    }
    assert!(error.to_string().contains("another run"), "{error}");
    // The refused run wrote nothing: the first one's context is intact.
    let context = RunContext::load(&run_dir).expect("context of the first run");
    assert!(context.extra.host_scan.is_some());

    cancel.cancel();
    let report = first.await.expect("joins").expect("report");
    assert_eq!(report.status, StepStatus::Aborted);
    // Once the first run has ended the directory is free again.
    let mut again = request(&harness, settings, &CancellationToken::new());
    again.stages = vec![Stage::Prepare];
    let report = smtx_engine::run(again).await.expect("runs");
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lock_left_by_a_dead_run_is_taken_over() {
    let mut harness = Harness::fixture(WorkbookSpec::example(1), vec![]).await;
    let settings = harness.settings();
    std::fs::create_dir_all(&settings.run_dir).expect("run dir");
    // What a run killed with SIGKILL leaves: its pid, and no lock held.
    std::fs::write(settings.run_dir.join(LOCK_FILE), "4194303\n").expect("stale lock");
    let mut request = request(&harness, settings, &CancellationToken::new());
    request.stages = vec![Stage::Prepare];
    let report = smtx_engine::run(request)
        .await
        .expect("the stale lock is taken over");
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
}
