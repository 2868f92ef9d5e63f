//! The VIP is probed before it is set: a VIP another device already answers
//! on is left alone (a warning naming it, no PUT), unless the settings allow
//! it; a VIP nothing answers on, or one this cluster already holds, is set.

use smtx_engine::StepStatus;
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::Fault;

use crate::support::{Harness, calls_exact, status, step};

const VIP_PATH: &str = "/api/v2/settings/vip";

#[tokio::test(flavor = "multi_thread")]
async fn a_vip_something_else_answers_on_is_not_set() {
    let spec = WorkbookSpec::example(2);
    let vip = spec.vip.clone();
    let mut harness = Harness::fixture(spec, vec![Fault::VipInUse]).await;
    let report = harness.run().await;
    let set_vip = step(&report, "set_vip");
    assert_eq!(set_vip.status, StepStatus::Warning, "{set_vip:#?}");
    let error = set_vip
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(error.contains(&vip), "names the address: {error}");
    assert!(error.contains("TCP"), "says what answered: {error}");
    assert!(
        set_vip
            .hint
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|h| h.contains("--allow-active-vip")),
        "{set_vip:#?}"
    );
    let state = harness.state();
    assert_eq!(calls_exact(&state, "PUT", VIP_PATH), 0, "nothing sent");
    assert!(state["cluster"]["vip"].is_null(), "{}", state["cluster"]);
    // The rest of the stage goes on, and the run is not failed.
    assert_eq!(status(&report, "set_dns"), StepStatus::Ok);
    assert_ne!(report.status, StepStatus::Failed, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn allow_active_vip_sets_it_anyway() {
    let spec = WorkbookSpec::example(2);
    let vip = spec.vip.clone();
    let mut harness = Harness::fixture(spec, vec![Fault::VipInUse]).await;
    let mut settings = harness.settings();
    settings.allow_active_vip = true;
    let report = harness.run_with(settings).await;
    assert_eq!(status(&report, "set_vip"), StepStatus::Ok, "{report:#?}");
    let state = harness.state();
    assert_eq!(calls_exact(&state, "PUT", VIP_PATH), 1);
    assert_eq!(state["cluster"]["vip"], vip.as_str());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_free_vip_is_set_and_a_rerun_knows_it_as_its_own() {
    let mut harness = Harness::fixture(WorkbookSpec::example(2), vec![]).await;
    let first = harness.run().await;
    assert_eq!(status(&first, "set_vip"), StepStatus::Ok, "{first:#?}");
    assert_eq!(calls_exact(&harness.state(), "PUT", VIP_PATH), 1);
    // Now the VIP answers — as this cluster: not in the way, and the
    // cluster already has it, so nothing is sent (issue 17).
    let second = harness.run().await;
    let set_vip = step(&second, "set_vip");
    assert_eq!(set_vip.status, StepStatus::Ok, "{second:#?}");
    assert!(
        set_vip
            .detail
            .as_ref()
            .map(ToString::to_string)
            .is_some_and(|detail| detail.contains("already set")),
        "{set_vip:#?}"
    );
    assert_eq!(calls_exact(&harness.state(), "PUT", VIP_PATH), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vip_already_set_is_still_probed_and_another_device_on_it_is_named() {
    // The cluster has the VIP (an earlier run), and then another device
    // answers on it too: the probe, which comes before the read, still
    // says so, and nothing is sent (issue 17 keeps the probe first).
    let spec = WorkbookSpec::example(2);
    let vip = spec.vip.clone();
    let mut harness = Harness::fixture(spec, vec![]).await;
    let first = harness.run().await;
    assert_eq!(status(&first, "set_vip"), StepStatus::Ok, "{first:#?}");
    // The stranger: it takes connections and hangs up at once, so it
    // answers the probe but never the host scan.
    let stranger = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let stranger_address = stranger.local_addr().expect("addr");
    let hanging_up = tokio::spawn(async move {
        loop {
            if let Ok((connection, _)) = stranger.accept().await {
                drop(connection);
            }
        }
    });
    let mut settings = harness.settings();
    for entry in &mut settings.http_overrides {
        if entry.host == vip {
            entry.target = stranger_address;
        }
    }
    let report = harness.run_with(settings).await;
    hanging_up.abort();
    let set_vip = step(&report, "set_vip");
    assert_eq!(set_vip.status, StepStatus::Warning, "{set_vip:#?}");
    assert!(
        set_vip
            .error
            .as_ref()
            .map(ToString::to_string)
            .is_some_and(|error| error.contains(&vip)),
        "{set_vip:#?}"
    );
    assert_eq!(calls_exact(&harness.state(), "PUT", VIP_PATH), 1);
}
