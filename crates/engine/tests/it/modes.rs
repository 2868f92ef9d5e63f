//! Run modes: a dry run that sends nothing, a stage started from an earlier
//! run's context, and job waits bounded by their deadline.

use std::time::Duration;

use smtx_engine::{RunContext, RunRequest, Stage, StepStatus, Workbook};
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::SimOptions;

use crate::support::{Harness, parse, status};

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_lists_redacted_calls_and_changes_nothing() {
    let spec = WorkbookSpec::example(2);
    let secrets = [
        spec.fisheye_password.clone(),
        spec.hosts[0].bmc_password.clone(),
    ];
    let mut harness = Harness::fixture(spec, vec![]).await;
    let mut settings = harness.settings();
    settings.dry_run = true;
    let report = harness.run_with(settings).await;
    assert_ne!(report.status, StepStatus::Failed, "{report:#?}");
    let state = harness.state();
    assert_eq!(
        state["calls"].as_array().map(Vec::len),
        Some(0),
        "nothing sent"
    );
    assert_eq!(state["cluster"]["initialized"], false);
    let calls: Vec<String> = report
        .planned_calls
        .iter()
        .map(ToString::to_string)
        .collect();
    for expected in [
        "GET https://10.0.20.11/api/v2/deployment/host",
        "POST https://10.0.20.11/api/v3/users:setupRoot",
        "PUT https://10.0.20.11/api/v2/settings/dns",
        "POST https://10.0.20.11/api/v2/ipmi/upsert_accounts",
        "POST https://10.0.20.11/api/v2/network/vds ",
        "GET https://10.0.20.11/api/v2/tools/license",
    ] {
        assert!(
            calls.iter().any(|c| c.starts_with(expected)),
            "{expected} in {calls:#?}"
        );
    }
    let text = calls.join("\n");
    assert!(text.contains("\"password\":\"***\""), "{text}");
    for secret in &secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a password in the dry-run output"
        );
    }
    assert_eq!(
        parse(&harness.workbook).cluster.serial,
        None,
        "workbook untouched"
    );
    // Every step says what it would do; none reads like a real run (no
    // "created", no made-up uuid or job id).
    for step in report.stages.iter().flat_map(|s| &s.steps) {
        if step.step == smtx_engine::Step::Workbook || step.status == StepStatus::Skipped {
            continue;
        }
        let said = step
            .detail
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(said.contains("would"), "{step:#?}");
        assert!(!said.contains("00000000-0000"), "{step:#?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn config_cluster_starts_from_an_earlier_prepare() {
    let mut harness = Harness::fixture(WorkbookSpec::example(2), vec![]).await;
    let workbook = Workbook {
        path: harness.workbook.clone(),
        plan: harness.plan(),
    };
    let prepare = smtx_engine::run(RunRequest {
        settings: harness.settings(),
        workbook: workbook.clone(),
        stages: vec![Stage::Prepare],
        from: None,
        progress: smtx_engine::ProgressSink::none(),
        cancel: smtx_engine::CancellationToken::new(),
    })
    .await
    .expect("prepare runs");
    assert_eq!(prepare.status, StepStatus::Ok);
    let context = RunContext::load(&prepare.run_dir).expect("prepare saved its context");
    assert!(context.extra.host_scan.is_some());

    // Without that context, config_cluster refuses to start.
    let alone = smtx_engine::run(RunRequest {
        settings: harness.settings(),
        workbook: workbook.clone(),
        stages: vec![Stage::ConfigCluster],
        from: None,
        progress: smtx_engine::ProgressSink::none(),
        cancel: smtx_engine::CancellationToken::new(),
    })
    .await
    .expect("runs");
    assert_eq!(status(&alone, "preconditions"), StepStatus::Failed);

    let scans_before =
        crate::support::calls_exact(&harness.state(), "GET", "/api/v2/deployment/host");
    let report = smtx_engine::run(RunRequest {
        settings: harness.settings(),
        workbook,
        stages: vec![Stage::ConfigCluster],
        from: Some(context),
        progress: smtx_engine::ProgressSink::none(),
        cancel: smtx_engine::CancellationToken::new(),
    })
    .await
    .expect("config_cluster runs");
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert_eq!(
        crate::support::calls_exact(&harness.state(), "GET", "/api/v2/deployment/host"),
        scans_before,
        "the host scan was reused, not repeated"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_that_never_ends_is_a_warning_after_its_deadline() {
    let options = SimOptions {
        job_polls_to_finish: 1_000_000,
        ..SimOptions::default()
    };
    let mut harness = Harness::fixture_with(WorkbookSpec::example(1), options).await;
    let mut settings = harness.settings();
    settings.job_deadline = Duration::from_millis(800);
    let report = harness.run_with(settings).await;
    let dns = crate::support::step(&report, "set_dns");
    assert_eq!(dns.status, StepStatus::Warning, "{dns:#?}");
    assert!(
        dns.error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains("still")),
        "{dns:#?}"
    );
    // Polling grows from ~100 ms: a handful of polls, not hundreds.
    let polls = crate::support::calls(&harness.state(), "GET", "/api/v2/jobs/");
    assert!(polls < 60, "{polls} polls");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_context_is_saved_after_every_step() {
    use std::sync::{Arc, Mutex};
    let mut harness = Harness::fixture(WorkbookSpec::example(1), vec![]).await;
    let settings = harness.settings();
    let context_path = settings.run_dir.join("context.json");
    let seen: Arc<Mutex<Option<String>>> = Arc::default();
    let seen_in_sink = Arc::clone(&seen);
    let progress = smtx_engine::ProgressSink::new(move |event| {
        if let smtx_engine::ProgressEvent::StepStarted { step, .. } = event
            && *step == smtx_engine::Step::SetNtp
        {
            // Mid-stage, as a crash would leave it.
            let text = std::fs::read_to_string(&context_path).unwrap_or_default();
            if let Ok(mut slot) = seen_in_sink.lock() {
                *slot = Some(text);
            }
        }
    });
    let report = harness.run_watched(settings, None, progress).await;
    assert_eq!(report.status, StepStatus::Ok);
    let text = seen.lock().expect("lock").clone().expect("set_ntp started");
    let context: serde_json::Value = serde_json::from_str(&text).expect("a whole JSON file");
    let actions: Vec<&str> = context["extra"]["config_cluster"]["results"]
        .as_array()
        .expect("results so far")
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    // The API lane's steps so far; the other lanes' may be there too.
    assert!(actions.contains(&"set_dns"), "{actions:?}");
    assert!(!actions.contains(&"set_ntp"), "{actions:?}");
    assert!(!actions.contains(&"serial"));
}

/// Issue 18, problem 3: every step a run starts, it ends — in a dry run
/// too, whose host-password step once started and never ended (a front end
/// then showed it running forever). Live and dry, each `StepStarted` has
/// its `StepFinished`.
#[tokio::test(flavor = "multi_thread")]
async fn every_step_started_is_ended_live_and_dry() {
    use std::sync::{Arc, Mutex};
    for dry_run in [true, false] {
        let mut harness = Harness::fixture(WorkbookSpec::example(2), vec![]).await;
        let mut settings = harness.settings();
        settings.dry_run = dry_run;
        let open: Arc<Mutex<Vec<smtx_engine::Step>>> = Arc::default();
        let in_sink = Arc::clone(&open);
        let progress = smtx_engine::ProgressSink::new(move |event| {
            if let Ok(mut open) = in_sink.lock() {
                match event {
                    smtx_engine::ProgressEvent::StepStarted { step, .. } => open.push(step.clone()),
                    smtx_engine::ProgressEvent::StepFinished { result, .. } => {
                        if let Some(at) = open.iter().position(|step| *step == result.step) {
                            open.remove(at);
                        }
                    }
                    _ => {}
                }
            }
        });
        let report = harness.run_watched(settings, None, progress).await;
        assert_eq!(
            report.status,
            StepStatus::Ok,
            "dry run {dry_run}: {report:#?}"
        );
        let open = open.lock().expect("lock").clone();
        assert!(
            open.is_empty(),
            "dry run {dry_run}: started, never ended: {open:?}"
        );
    }
}
