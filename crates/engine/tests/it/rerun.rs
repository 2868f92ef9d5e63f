//! Re-running is safe: a second run creates nothing and ends ok; a run after
//! a failure in the middle finishes the job.

use smtx_engine::StepStatus;
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::Fault;

use crate::support::{Harness, calls, calls_exact, status, steps};

#[tokio::test(flavor = "multi_thread")]
async fn second_run_creates_nothing_and_ends_ok() {
    let mut harness = Harness::fixture(WorkbookSpec::example(3), vec![]).await;
    let first = harness.run().await;
    assert_eq!(first.status, StepStatus::Ok, "{first:#?}");
    let before = harness.state();
    let vds_posts = calls_exact(&before, "POST", "/api/v2/network/vds");
    let vlan_posts = calls(&before, "POST", "/api/v2/network/vds/");
    assert_eq!(vds_posts, 1);
    assert_eq!(vlan_posts, 3);

    let second = harness.run().await;
    assert_eq!(second.status, StepStatus::Ok, "{second:#?}");
    let after = harness.state();
    assert_eq!(
        calls_exact(&after, "POST", "/api/v2/network/vds"),
        vds_posts,
        "no new VDS"
    );
    assert_eq!(
        calls(&after, "POST", "/api/v2/network/vds/"),
        vlan_posts,
        "no new VLAN"
    );
    assert_eq!(after["vdses"], before["vdses"]);
    assert_eq!(status(&second, "setup_root"), StepStatus::Skipped);
    for step in steps(&second, "host_password ") {
        assert!(
            step.detail
                .as_ref()
                .map(ToString::to_string)
                .as_deref()
                .is_some_and(|d| d.contains("already")),
            "{step:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failure_in_the_middle_then_rerun_converges() {
    // A VLAN create is refused (a 4xx is not worth repeating within the run).
    let faults = vec![Fault::EndpointStatus {
        method: "POST".to_string(),
        path: "/api/v2/network/vds/*/vlans".to_string(),
        status: 400,
        times: 1,
    }];
    let mut harness = Harness::fixture(WorkbookSpec::example(2), faults).await;
    let first = harness.run().await;
    assert_eq!(first.status, StepStatus::Warning, "{first:#?}");
    let failed: Vec<_> = steps(&first, "vlan ")
        .into_iter()
        .filter(|s| s.status == StepStatus::Warning)
        .collect();
    assert_eq!(failed.len(), 1, "{first:#?}");
    assert_eq!(status(&first, "verify_vlans"), StepStatus::Warning);

    let second = harness.run().await;
    assert_eq!(second.status, StepStatus::Ok, "{second:#?}");
    let state = harness.state();
    let vdses = state["vdses"].as_array().expect("vdses");
    assert_eq!(vdses.len(), 3, "still one business VDS");
    let business = vdses
        .iter()
        .find(|v| v["name"] == harness.plan().business_vds.expect("vds").name.as_str())
        .expect("business VDS");
    assert_eq!(business["vlans"].as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transient_create_failure_is_looked_at_then_sent_once_more() {
    let faults = vec![
        Fault::EndpointStatus {
            method: "POST".to_string(),
            path: "/api/v2/network/vds".to_string(),
            status: 503,
            times: 1,
        },
        Fault::EndpointStatus {
            method: "POST".to_string(),
            path: "/api/v2/network/vds/*/vlans".to_string(),
            status: 502,
            times: 1,
        },
    ];
    let mut harness = Harness::fixture(WorkbookSpec::example(2), faults).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    let state = harness.state();
    assert_eq!(calls_exact(&state, "POST", "/api/v2/network/vds"), 2);
    assert_eq!(
        calls(&state, "POST", "/api/v2/network/vds/"),
        4,
        "3 VLANs, one sent twice"
    );
    // Between the failed create and the second one, the client looked.
    let log = state["calls"].as_array().expect("calls");
    let posts: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, c)| c["method"] == "POST" && c["path"] == "/api/v2/network/vds")
        .map(|(i, _)| i)
        .collect();
    assert!(
        log[posts[0] + 1..posts[1]]
            .iter()
            .any(|c| c["method"] == "GET" && c["path"] == "/api/v2/network/vds"),
        "looked before creating again"
    );
    let vdses = state["vdses"].as_array().expect("vdses");
    assert_eq!(vdses.len(), 3, "one business VDS");
}
