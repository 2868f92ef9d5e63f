//! Issue 12, the live drift check: in sync right after a run, every missing
//! item on a fresh cluster, a VLAN removed behind the client's back named,
//! a changed workbook read as different and extra, a read-back answering
//! 404 reported as "cannot verify" without failing the rest, an unreachable
//! cluster as "could not check" — and never a write, on the cluster or in
//! known_hosts.

use std::collections::BTreeSet;

use serde_json::Value;
use smtx_engine::check::{CheckItem, CheckReport, CheckRequest, CheckStatus, Drift, Note, check};
use smtx_engine::{StepStatus, Workbook};
use smtx_plan::fixture::{FixtureCell, WorkbookSpec};
use smtx_sim::{Fault, Scenario, SimOptions};

use crate::support::Harness;

const ADMIN_PASSWORD: &str = "Fish&Eye<2025>!";

async fn harness(faults: Vec<Fault>) -> Harness {
    let options = SimOptions {
        chunk_size: 64 * 1024,
        scenario: Scenario { faults },
        ..SimOptions::default()
    };
    let harness = Harness::fixture_with(WorkbookSpec::example(3), options).await;
    let iso = harness.dir.path().join("SMTX_VMTOOLS-3.2.0-2501210639.iso");
    std::fs::write(&iso, vec![7u8; 100_000]).expect("iso written");
    harness
}

async fn check_now(harness: &mut Harness) -> CheckReport {
    let settings = harness.settings();
    check(CheckRequest {
        settings,
        workbook: Workbook {
            path: harness.workbook.clone(),
            plan: harness.plan(),
        },
    })
    .await
    .expect("the check runs")
}

/// `item` or `item subject` for every item with this drift.
fn with_drift(report: &CheckReport, drift: Drift) -> BTreeSet<String> {
    report
        .items
        .iter()
        .filter(|item| item.drift == drift)
        .map(|item| match &item.subject {
            Some(subject) => format!("{} {subject}", item.item),
            None => item.item.to_owned(),
        })
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn item<'a>(report: &'a CheckReport, name: &str, subject: Option<&str>) -> &'a CheckItem {
    report
        .items
        .iter()
        .find(|item| item.item == name && item.subject.as_deref() == subject)
        .unwrap_or_else(|| panic!("no item {name} {subject:?} in {report:#?}"))
}

/// Every call since `seq`: method and path.
fn calls_since(state: &Value, seq: u64) -> Vec<(String, String)> {
    state["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| call["seq"].as_u64().is_some_and(|at| at >= seq))
        .map(|call| {
            (
                call["method"].as_str().unwrap_or_default().to_owned(),
                call["path"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn next_seq(state: &Value) -> u64 {
    state["calls"]
        .as_array()
        .and_then(|calls| calls.last())
        .and_then(|call| call["seq"].as_u64())
        .map_or(0, |seq| seq + 1)
}

#[tokio::test(flavor = "multi_thread")]
async fn right_after_a_run_everything_is_in_sync_and_the_check_writes_nothing() {
    let mut harness = harness(vec![]).await;
    let run = harness.run().await;
    assert_eq!(run.status, StepStatus::Ok, "{run:#?}");
    let known_hosts = harness.dir.path().join("known_hosts");
    let pinned = std::fs::read_to_string(&known_hosts).expect("the run pinned the host keys");
    let before = next_seq(&harness.state());
    let vdses = harness.state()["vdses"].clone();

    let report = check_now(&mut harness).await;
    assert_eq!(report.status, CheckStatus::InSync, "{report:#?}");
    let in_sync = with_drift(&report, Drift::InSync);
    for name in [
        "vip",
        "dns",
        "ntp",
        "bmc node-01",
        "bmc node-03",
        "business_vds vDS-Prod-Network",
        "vds_bond_mode vDS-Prod-Network",
        "vds_nics node-02",
        "vlan VLAN-1120",
        "vlan VLAN-1122",
        "host_key node-01",
        "host_password node-03",
        "cpu_compatibility",
        "serial",
        "vmtools",
    ] {
        assert!(in_sync.contains(name), "{name} not in sync: {report:#?}");
    }
    assert_eq!(
        report
            .items
            .iter()
            .filter(|item| item.drift != Drift::InSync)
            .count(),
        0,
        "{report:#?}"
    );

    // Read-only: GETs and the login, nothing else; no key recorded or changed.
    let state = harness.state();
    let calls = calls_since(&state, before);
    assert!(!calls.is_empty());
    for (method, path) in &calls {
        assert!(
            method == "GET" || (method == "POST" && path == "/api/v3/sessions"),
            "the check sent {method} {path}"
        );
    }
    assert_eq!(state["vdses"], vdses);
    assert_eq!(std::fs::read_to_string(&known_hosts).ok(), Some(pinned));
    let json = serde_json::to_string(&report).expect("serializes");
    assert!(!json.contains(ADMIN_PASSWORD) && !json.contains("Sm@rtX"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_cluster_lists_every_missing_item() {
    // Initialized with the workbook's admin password (so the check can log
    // in), nothing else configured.
    let mut harness = harness(vec![Fault::AlreadyInitialized {
        password: Some(ADMIN_PASSWORD.to_owned()),
    }])
    .await;
    let report = check_now(&mut harness).await;
    assert_eq!(report.status, CheckStatus::Drift, "{report:#?}");
    assert_eq!(
        with_drift(&report, Drift::Missing),
        set(&[
            "vip",
            "dns",
            "ntp",
            "bmc node-01",
            "bmc node-02",
            "bmc node-03",
            "business_vds vDS-Prod-Network",
            "vlan VLAN-1120",
            "vlan VLAN-1121",
            "vlan VLAN-1122",
            "host_password node-01",
            "host_password node-02",
            "host_password node-03",
            "cpu_compatibility",
            "vmtools",
        ]),
        "{report:#?}"
    );
    let serial = item(&report, "serial", None);
    assert_eq!(serial.drift, Drift::Different);
    assert_eq!(serial.note, Some(Note::NotInWorkbook));
    assert_eq!(
        item(&report, "host_password", Some("node-02")).note,
        Some(Note::NotRotated)
    );
    assert_eq!(
        item(&report, "host_key", Some("node-01")).note,
        Some(Note::NotPinned)
    );
    assert!(
        !harness.dir.path().join("known_hosts").exists(),
        "a check pins nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_uninitialized_cluster_says_the_admin_password_is_refused() {
    let mut harness = harness(vec![]).await;
    let report = check_now(&mut harness).await;
    assert_eq!(report.status, CheckStatus::Drift, "{report:#?}");
    let login = item(&report, "admin_login", None);
    assert_eq!(login.drift, Drift::Different);
    assert_eq!(login.note, Some(Note::AdminPasswordRefused));
    assert_eq!(item(&report, "vip", None).note, Some(Note::NoSession));
    assert_eq!(
        item(&report, "host_password", Some("node-01")).drift,
        Drift::Missing,
        "SSH needs no session"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vlan_removed_through_the_control_endpoint_is_named() {
    let mut harness = harness(vec![]).await;
    assert_eq!(harness.run().await.status, StepStatus::Ok);
    let mut http = reqwest::Client::builder().use_rustls_tls();
    if let Some(pem) = harness.sim.ca_cert_pem() {
        // The certificate names the workbook addresses only; the control
        // endpoint is reached on loopback, so trust the CA without the name.
        http = http
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(pem.as_bytes()).expect("the simulator's CA"),
            )
            .danger_accept_invalid_hostnames(true);
    }
    let url = format!(
        "{}/_sim/vds/vDS-Prod-Network/vlans/VLAN-1121",
        harness.sim.control_url()
    );
    let answer = http
        .build()
        .expect("client")
        .delete(url)
        .send()
        .await
        .expect("control endpoint");
    assert_eq!(answer.status(), 200);

    let report = check_now(&mut harness).await;
    assert_eq!(report.status, CheckStatus::Drift, "{report:#?}");
    assert_eq!(
        with_drift(&report, Drift::Missing),
        set(&["vlan VLAN-1121"]),
        "{report:#?}"
    );
    assert_eq!(
        item(&report, "vlan", Some("VLAN-1121")).expected.as_deref(),
        Some("1121")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_workbook_reads_as_different_and_extra() {
    let mut harness = harness(vec![]).await;
    assert_eq!(harness.run().await.status, StepStatus::Ok);
    // The workbook changes afterwards: a VLAN id, the bond mode, a network
    // dropped, the DNS servers swapped.
    let mut spec = WorkbookSpec::example(3);
    spec.business_networks[0].vlan_id = FixtureCell::Number(1999.0);
    spec.business_networks.truncate(2);
    if let Some(vds) = spec.business_vds.as_mut() {
        vds.bond_mode = "active-backup".to_owned();
    }
    spec.dns_servers.reverse();
    spec.serial = harness.sim.serial();
    spec.write_to(&harness.workbook)
        .expect("workbook rewritten");

    let report = check_now(&mut harness).await;
    assert_eq!(report.status, CheckStatus::Drift, "{report:#?}");
    assert_eq!(
        with_drift(&report, Drift::Different),
        set(&["dns", "vds_bond_mode vDS-Prod-Network", "vlan VLAN-1120"]),
        "{report:#?}"
    );
    let vlan = item(&report, "vlan", Some("VLAN-1120"));
    assert_eq!(
        (vlan.expected.as_deref(), vlan.actual.as_deref()),
        (Some("1999"), Some("1120"))
    );
    assert_eq!(item(&report, "dns", None).note, Some(Note::OrderDiffers));
    assert_eq!(with_drift(&report, Drift::Extra), set(&["vlan VLAN-1122"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_back_answering_404_cannot_be_verified_and_the_rest_is_checked() {
    let mut harness = harness(vec![]).await;
    assert_eq!(harness.run().await.status, StepStatus::Ok);
    for path in ["/api/v2/settings/vip", "/api/v2/ipmi/accounts"] {
        harness.sim.inject(Fault::EndpointStatus {
            method: "GET".to_owned(),
            path: path.to_owned(),
            status: 404,
            times: 100,
        });
    }
    let report = check_now(&mut harness).await;
    assert_eq!(report.status, CheckStatus::InSync, "{report:#?}");
    assert_eq!(
        with_drift(&report, Drift::CannotVerify),
        set(&["vip", "bmc node-01", "bmc node-02", "bmc node-03"]),
        "{report:#?}"
    );
    let vip = item(&report, "vip", None);
    assert!(
        matches!(&vip.note, Some(Note::Error(text)) if text.contains("404")),
        "{vip:#?}"
    );
    assert_eq!(item(&report, "dns", None).drift, Drift::InSync);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_cluster_could_not_be_checked() {
    let mut harness = harness(vec![]).await;
    let mut settings = harness.settings();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    for entry in &mut settings.http_overrides {
        entry.target = closed;
    }
    for entry in &mut settings.ssh_overrides {
        entry.target = closed;
    }
    let report = check(CheckRequest {
        settings,
        workbook: Workbook {
            path: harness.workbook.clone(),
            plan: harness.plan(),
        },
    })
    .await
    .expect("a report, not an error");
    assert_eq!(report.status, CheckStatus::CouldNotCheck, "{report:#?}");
    assert!(
        report
            .error
            .is_some_and(|error| error.contains("cannot reach"))
    );
}
