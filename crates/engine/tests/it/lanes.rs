//! Issue 19, the lanes: after the session `config_cluster` runs its API
//! steps, the SSH rotation and the VMTools upload at once. The same report
//! and the same cluster as one step at a time; `--sequential` really is one
//! call at a time; an abort stops every lane and a run `--from` it finishes
//! each; a failed upload fails the stage once the other lanes have ended
//! their step under way; an expired session is renewed once for the lanes
//! it meets.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use smtx_engine::{
    CancellationToken, RunContext, RunReport, RunRequest, Settings, Stage, StepStatus, Workbook,
};
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{Fault, Scenario, SimOptions};
use smtx_testkit::poll_until;

use crate::support::{Harness, calls, status, step, steps};

const CHUNK: u64 = 64 * 1024;
const CHUNKS: u64 = 40;
const UPLOAD_PATH: &str = "/api/v2/svt_image/upload_template";
const LOGIN_PATH: &str = "/api/v3/sessions";

/// A shipped scenario of the simulator (`crates/sim/scenarios`).
fn shipped(name: &str) -> Vec<Fault> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sim/scenarios")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("scenario file");
    Scenario::from_toml(&text).expect("scenario parses").faults
}

/// The example workbook of two hosts, 64 KiB chunks, these faults, and an
/// ISO of `CHUNKS` chunks in the work directory.
async fn harness(faults: Vec<Fault>) -> Harness {
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

/// Steps as `(action, status)`, in the report's order.
fn outline(report: &RunReport) -> Vec<(String, StepStatus)> {
    report
        .stages
        .iter()
        .flat_map(|stage| &stage.steps)
        .map(|step| (step.step.to_string(), step.status))
        .collect()
}

/// What the cluster ends up holding, without the identifiers the
/// simulator makes up as calls arrive.
fn cluster_state(state: &Value) -> Value {
    let mut cluster = state["cluster"].clone();
    if let Some(cluster) = cluster.as_object_mut() {
        // Login counts differ with timing; the settings do not.
        cluster.remove("sessions");
    }
    let vdses: Vec<Value> = state["vdses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|vds| {
            let vlans: Vec<Value> = vds["vlans"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|vlan| json!([vlan["name"], vlan["vlan_id"]]))
                .collect();
            json!({"name": vds["name"], "bond_mode": vds["bond_mode"], "vlans": vlans})
        })
        .collect();
    let images: Vec<Value> = state["images"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|image| {
            json!([
                image["name"],
                image["size"],
                image["complete"],
                image["deleted"],
                image["sha256"]
            ])
        })
        .collect();
    let ipmi: Vec<Value> = state["ipmi_accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|account| json!([account["host"], account["user"], account["is_valid"]]))
        .collect();
    let hosts: Vec<Value> = state["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|host| json!([host["hostname"], host["passwords_rotated"]]))
        .collect();
    json!({"cluster": cluster, "vdses": vdses, "images": images, "ipmi": ipmi, "hosts": hosts})
}

/// The simulator's calls from the first login on (the stage that lanes
/// change), as `(method, path, status, started_us, ended_us)`.
fn stage_calls(state: &Value) -> Vec<(String, String, u64, u64, u64)> {
    let log = state["calls"].as_array().cloned().unwrap_or_default();
    log.iter()
        .skip_while(|call| call["path"] != LOGIN_PATH)
        .map(|call| {
            (
                call["method"].as_str().unwrap_or_default().to_owned(),
                call["path"].as_str().unwrap_or_default().to_owned(),
                call["status"].as_u64().unwrap_or_default(),
                call["started_us"].as_u64().unwrap_or_default(),
                call["ended_us"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// Pairs of calls that were under way at the same time.
fn overlaps(calls: &[(String, String, u64, u64, u64)]) -> usize {
    let mut sorted: Vec<_> = calls.iter().collect();
    sorted.sort_by_key(|call| call.3);
    let mut count = 0;
    for (index, call) in sorted.iter().enumerate() {
        count += sorted[index + 1..]
            .iter()
            .take_while(|later| later.3 < call.4)
            .count();
    }
    count
}

#[tokio::test(flavor = "multi_thread")]
async fn lanes_and_one_step_at_a_time_give_the_same_report_and_cluster() {
    let mut with_lanes = harness(vec![]).await;
    let settings = with_lanes.settings();
    assert!(settings.lanes, "lanes are the default");
    let report = with_lanes.run_with(settings).await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");

    let mut sequential = harness(vec![]).await;
    let mut settings = sequential.settings();
    settings.lanes = false;
    let one_by_one = sequential.run_with(settings).await;
    assert_eq!(one_by_one.status, StepStatus::Ok, "{one_by_one:#?}");

    assert_eq!(outline(&report), outline(&one_by_one));
    assert_eq!(
        cluster_state(&with_lanes.state()),
        cluster_state(&sequential.state())
    );
    // Each step's time is its own: the upload's is not the stage's.
    let stage = &report.stages[1];
    let upload = step(&report, "vmtools_upload");
    assert!(upload.elapsed_ms <= stage.elapsed_ms);
}

#[tokio::test(flavor = "multi_thread")]
async fn sequential_makes_one_call_at_a_time_and_lanes_overlap() {
    // Slow chunks: with lanes the API calls meet the upload under way.
    let slow_chunks = || {
        vec![Fault::Latency {
            ms: 20,
            method: Some("POST".into()),
            path: Some(UPLOAD_PATH.into()),
        }]
    };
    let mut sequential = harness(slow_chunks()).await;
    let mut settings = sequential.settings();
    settings.lanes = false;
    let report = sequential.run_with(settings).await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    let log = stage_calls(&sequential.state());
    assert!(log.len() > 40, "{log:?}");
    assert_eq!(overlaps(&log), 0, "one call at a time: {log:#?}");

    let mut with_lanes = harness(slow_chunks()).await;
    let report = with_lanes.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert!(
        overlaps(&stage_calls(&with_lanes.state())) > 0,
        "the lanes run at once"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_abort_mid_upload_with_vlans_under_way_stops_both_and_a_run_from_it_finishes_both() {
    let faults = vec![
        Fault::Latency {
            ms: 100,
            method: Some("POST".into()),
            path: Some(UPLOAD_PATH.into()),
        },
        Fault::Latency {
            ms: 1_500,
            method: Some("POST".into()),
            path: Some("/api/v2/network/vds/*/vlans".into()),
        },
    ];
    let mut harness = harness(faults).await;
    let settings = harness.settings();
    let run_dir = settings.run_dir.clone();
    let cancel = CancellationToken::new();
    // Told by the run itself when a VLAN step begins: its create (1.5 s)
    // is then under way.
    let vlan_started = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut run_request = request(&harness, settings, &cancel);
    run_request.progress = smtx_engine::ProgressSink::new({
        let vlan_started = std::sync::Arc::clone(&vlan_started);
        move |event| {
            if let smtx_engine::ProgressEvent::StepStarted {
                step: smtx_engine::Step::Vlan(_),
                ..
            } = event
            {
                vlan_started.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    let running = tokio::spawn(smtx_engine::run(run_request));
    // A VLAN create is under way (each takes 1.5 s) and chunks are arriving.
    poll_until(Duration::from_secs(60), || async {
        let state = harness.state();
        let chunks = state["images"][0]["received_chunks"].as_u64().unwrap_or(0);
        let vlan = vlan_started.load(std::sync::atomic::Ordering::SeqCst);
        (chunks >= 3 && vlan).then_some(())
    })
    .await
    .expect("the upload and the VLANs get going");
    cancel.cancel();
    let report = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the run stops")
        .expect("joins")
        .expect("a report");
    assert_eq!(report.status, StepStatus::Aborted, "{report:#?}");
    assert_eq!(status(&report, "vmtools_upload"), StepStatus::Aborted);
    let vlans = steps(&report, "vlan ");
    assert_eq!(
        vlans.last().map(|vlan| vlan.status),
        Some(StepStatus::Aborted),
        "{report:#?}"
    );
    // The design's order: the VLAN before the upload, whichever ended first.
    let order = outline(&report);
    let position = |action: &str| order.iter().position(|(step, _)| step.starts_with(action));
    assert!(position("vlan ") < position("vmtools_upload"), "{order:?}");
    // The context says the same.
    let context = RunContext::load(&run_dir).expect("context loads");
    let recorded = context
        .extra
        .config_cluster
        .as_ref()
        .and_then(|record| record.results.clone())
        .expect("results");
    assert_eq!(
        recorded
            .iter()
            .filter(|step| step.status == StepStatus::Aborted)
            .count(),
        2,
        "{recorded:#?}"
    );

    // A run from that context finishes both lanes.
    let settings = harness.settings();
    let resumed = harness.run_from(settings, Some(context)).await;
    assert_eq!(resumed.status, StepStatus::Ok, "{resumed:#?}");
    assert_eq!(status(&resumed, "vmtools_upload"), StepStatus::Ok);
    assert_eq!(status(&resumed, "verify_vlans"), StepStatus::Ok);
    let state = harness.state();
    let images = state["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "one volume: resumed, not recreated");
    assert_eq!(images[0]["complete"], true);
    let planned = harness.plan().business_networks.len();
    let vlans: usize = state["vdses"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|vds| vds["vlans"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(vlans, planned);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_upload_fails_the_stage_once_the_other_lanes_end_their_step() {
    let mut harness = harness(shipped("upload-fails-mid-vlans.toml")).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Failed, "{report:#?}");
    let stage = &report.stages[1];
    assert_eq!(stage.status, StepStatus::Failed);
    assert_eq!(status(&report, "vmtools_upload"), StepStatus::Failed);
    // The other lanes' steps are recorded, each ended as it ran.
    assert_eq!(status(&report, "set_vip"), StepStatus::Ok);
    assert_eq!(status(&report, "host_passwords"), StepStatus::Ok);
    let vlans = steps(&report, "vlan ");
    assert!(!vlans.is_empty(), "{report:#?}");
    assert!(vlans.iter().all(|vlan| vlan.status == StepStatus::Ok));
    // The VLANs were being created when the upload failed: the API lane
    // stopped after the one under way, before the rest of its steps.
    let planned = harness.plan().business_networks.len();
    assert!(vlans.len() < planned, "{} of {planned}", vlans.len());
    for action in ["verify_vlans", "cpu_compatibility", "serial"] {
        assert!(
            steps(&report, action).is_empty(),
            "{action} ran after the failure: {report:#?}"
        );
    }
    assert_eq!(report.serial, None);
    let state = harness.state();
    assert!(
        calls(&state, "DELETE", "/api/v2/images/") >= 1,
        "rolled back"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_session_met_by_two_lanes_is_renewed_once() {
    // The same run without the expiry: how many logins it makes anyway.
    let latency_only: Vec<Fault> = shipped("session-expires-mid-lanes.toml")
        .into_iter()
        .filter(|fault| matches!(fault, Fault::Latency { .. }))
        .collect();
    let mut clean = harness(latency_only).await;
    let report = clean.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    let logins = |state: &Value| {
        stage_calls(state)
            .iter()
            .filter(|call| call.0 == "POST" && call.1 == LOGIN_PATH && call.2 == 200)
            .count()
    };
    let baseline = logins(&clean.state());

    let mut harness = harness(shipped("session-expires-mid-lanes.toml")).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert_eq!(status(&report, "vmtools_upload"), StepStatus::Ok);
    assert_eq!(status(&report, "verify_vlans"), StepStatus::Ok);
    let state = harness.state();
    let log = stage_calls(&state);
    // Both lanes met the expired session: the API lane's call and the
    // upload's chunk under way were refused. (The first login is refused
    // before the cluster is initialized; it is no lane's.)
    let refused: Vec<_> = log
        .iter()
        .filter(|call| call.2 == 401 && call.1 != LOGIN_PATH)
        .collect();
    let upload = |call: &&(String, String, u64, u64, u64)| call.1 == UPLOAD_PATH;
    assert!(
        refused.iter().any(upload) && !refused.iter().all(upload),
        "a chunk and an API call refused: {log:#?}"
    );
    assert_eq!(logins(&state), baseline + 1, "one re-login: {log:#?}");
}
