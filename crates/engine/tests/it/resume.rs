//! Issue 17, a rerun skips what is provably done: a run aborted among the
//! VLANs and resumed `--from` its directory sends none of the VIP, DNS, NTP
//! or BMC accounts again (the simulator's call log shows no write to them)
//! and says "already set"; a setting that differs from the workbook is the
//! only one sent; a read the cluster answers 404 (the reads are
//! \[ASSUMED\]) sends the setting anyway and says so.

use std::time::Duration;

use serde_json::Value;
use smtx_engine::{
    CancellationToken, RunContext, RunReport, RunRequest, Stage, StepStatus, Workbook,
};
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{Fault, Scenario, SimOptions};
use smtx_testkit::poll_until;

use crate::support::{Harness, calls, step};

const VIP: &str = "/api/v2/settings/vip";
const DNS: &str = "/api/v2/settings/dns";
const NTP: &str = "/api/v2/settings/ntp";
const IPMI_UPSERT: &str = "/api/v2/ipmi/upsert_accounts";
const IPMI_READ: &str = "/api/v2/ipmi/accounts";

/// The writes of steps 3 and 4.
const SETTING_WRITES: [(&str, &str); 4] = [
    ("PUT", VIP),
    ("PUT", DNS),
    ("PUT", NTP),
    ("POST", IPMI_UPSERT),
];

/// The sequence number the next call will get.
fn next_seq(state: &Value) -> u64 {
    state["calls"]
        .as_array()
        .and_then(|calls| calls.last())
        .and_then(|call| call["seq"].as_u64())
        .map_or(0, |seq| seq + 1)
}

/// The writes of steps 3 and 4 logged since `seq`, as `METHOD path`.
fn setting_writes_since(state: &Value, seq: u64) -> Vec<String> {
    state["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| call["seq"].as_u64().is_some_and(|at| at >= seq))
        .filter(|call| {
            SETTING_WRITES
                .iter()
                .any(|(method, path)| call["method"] == *method && call["path"] == *path)
        })
        .map(|call| {
            format!(
                "{} {}",
                call["method"].as_str().unwrap_or_default(),
                call["path"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// The English detail of a step, and its status.
fn said(report: &RunReport, action: &str) -> (StepStatus, String) {
    let step = step(report, action);
    let detail = step
        .detail
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    (step.status, detail)
}

fn assert_already_set(report: &RunReport, actions: &[&str]) {
    for action in actions {
        let (status, detail) = said(report, action);
        assert_eq!(status, StepStatus::Ok, "{action}: {detail}");
        assert!(detail.contains("already set"), "{action}: {detail}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_17_a_run_resumed_after_an_abort_among_the_vlans_sends_no_setting_again() {
    // Each VLAN create takes 300 ms: the abort lands among them.
    let options = SimOptions {
        scenario: Scenario {
            faults: vec![Fault::Latency {
                ms: 300,
                method: Some("POST".into()),
                path: Some("/api/v2/network/vds/*/vlans".into()),
            }],
        },
        ..SimOptions::default()
    };
    let mut harness = Harness::fixture_with(WorkbookSpec::example(2), options).await;
    let settings = harness.settings();
    let run_dir = settings.run_dir.clone();
    let cancel = CancellationToken::new();
    let running = tokio::spawn(smtx_engine::run(RunRequest {
        settings,
        workbook: Workbook {
            path: harness.workbook.clone(),
            plan: harness.plan(),
        },
        stages: Stage::ALL.to_vec(),
        from: None,
        progress: smtx_engine::ProgressSink::none(),
        cancel: cancel.clone(),
    }));
    poll_until(Duration::from_secs(60), || async {
        (calls(&harness.state(), "POST", "/api/v2/network/vds/") >= 1).then_some(())
    })
    .await
    .expect("the VLANs are being created");
    cancel.cancel();
    let aborted = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the run stops")
        .expect("joins")
        .expect("a report");
    assert_eq!(aborted.status, StepStatus::Aborted, "{aborted:#?}");
    let under_way = aborted
        .stages
        .iter()
        .flat_map(|stage| &stage.steps)
        .find(|step| step.status == StepStatus::Aborted)
        .map(|step| step.step.to_string())
        .unwrap_or_default();
    assert!(under_way.starts_with("vlan"), "aborted at {under_way}");
    // The first run sent each setting once.
    let first = harness.state();
    assert_eq!(setting_writes_since(&first, 0).len(), 4, "{first:#}");

    let context = RunContext::load(&run_dir).expect("the aborted run's context");
    let seq = next_seq(&first);
    let settings = harness.settings();
    let resumed = harness.run_from(settings, Some(context)).await;
    assert_eq!(resumed.status, StepStatus::Ok, "{resumed:#?}");
    let state = harness.state();
    assert_eq!(
        setting_writes_since(&state, seq),
        Vec::<String>::new(),
        "nothing of steps 3 and 4 sent again"
    );
    assert_already_set(
        &resumed,
        &["set_vip", "set_dns", "set_ntp", "ipmi_accounts"],
    );
    let (_, bmc) = said(&resumed, "ipmi_accounts");
    assert!(
        bmc.contains("user and BMC address") && bmc.contains("not compared"),
        "says what was compared: {bmc}"
    );
    // The resumed run finished the networks.
    let business = state["vdses"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|vds| vds["name"] == "vDS-Prod-Network")
        .cloned()
        .unwrap_or_default();
    assert_eq!(business["vlans"].as_array().map(Vec::len), Some(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_setting_that_differs_is_the_only_one_sent_again() {
    let mut spec = WorkbookSpec::example(3);
    let mut harness = Harness::fixture(spec.clone(), vec![]).await;
    let first = harness.run().await;
    assert_eq!(first.status, StepStatus::Ok, "{first:#?}");
    // The workbook changes NTP and one host's BMC user; the rest stands.
    spec.ntp_servers = vec!["10.0.0.3".to_string(), "ntp.example.com".to_string()];
    spec.hosts[1].bmc_user = "operator".to_string();
    spec.write_to(&harness.workbook)
        .expect("workbook rewritten");
    let seq = next_seq(&harness.state());

    let second = harness.run().await;
    assert_eq!(second.status, StepStatus::Ok, "{second:#?}");
    let state = harness.state();
    assert_eq!(
        setting_writes_since(&state, seq),
        vec![format!("PUT {NTP}"), format!("POST {IPMI_UPSERT}")],
    );
    assert_already_set(&second, &["set_vip", "set_dns"]);
    let (_, ntp) = said(&second, "set_ntp");
    assert!(ntp.starts_with("10.0.0.3, ntp.example.com: "), "{ntp}");
    assert!(!ntp.contains("already"), "{ntp}");
    let (_, bmc) = said(&second, "ipmi_accounts");
    assert_eq!(
        bmc, "1 BMC account(s) stored, 2 already set (same user and address)",
        "only the changed account sent"
    );
    assert_eq!(state["cluster"]["ntp"]["servers"][0], "10.0.0.3");
    let users: Vec<&str> = state["ipmi_accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|account| account["user"].as_str())
        .collect();
    assert_eq!(users.iter().filter(|user| **user == "operator").count(), 1);
    assert_eq!(users.len(), 3, "{users:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_answering_404_sends_the_setting_and_says_so() {
    let mut harness = Harness::fixture(WorkbookSpec::example(2), vec![]).await;
    let first = harness.run().await;
    assert_eq!(first.status, StepStatus::Ok, "{first:#?}");
    // A cluster without the (assumed) reads of DNS and the BMC accounts.
    for path in [DNS, IPMI_READ] {
        harness.sim.inject(Fault::EndpointStatus {
            method: "GET".to_owned(),
            path: path.to_owned(),
            status: 404,
            times: 100,
        });
    }
    let seq = next_seq(&harness.state());

    let second = harness.run().await;
    assert_eq!(second.status, StepStatus::Ok, "{second:#?}");
    assert_eq!(
        setting_writes_since(&harness.state(), seq),
        vec![format!("PUT {DNS}"), format!("POST {IPMI_UPSERT}")],
        "the unread ones are sent, the rest not"
    );
    assert_already_set(&second, &["set_vip", "set_ntp"]);
    for (action, read) in [("set_dns", DNS), ("ipmi_accounts", IPMI_READ)] {
        let (status, detail) = said(&second, action);
        assert_eq!(status, StepStatus::Ok, "{action}: {detail}");
        assert!(
            detail.contains(&format!(
                "sent without comparing: the cluster does not answer GET {read} (404)"
            )),
            "{action}: {detail}"
        );
    }
    // In Chinese too.
    let dns = step(&second, "set_dns")
        .detail
        .as_ref()
        .map(|detail| smtx_i18n::Localize::localize(detail, smtx_i18n::Lang::ZhCn))
        .unwrap_or_default();
    assert!(dns.contains("未比对即发送"), "{dns}");
}
