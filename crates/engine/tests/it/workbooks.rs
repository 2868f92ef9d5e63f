//! Whole runs over the real template and fixture workbooks: every step's
//! outcome, the simulator's state equal to what the workbook asked for, and
//! the serial written back into the workbook.

use serde_json::Value;
use smtx_engine::StepStatus;
use smtx_plan::BusinessNetworkHome;
use smtx_plan::fixture::WorkbookSpec;

use crate::support::{Harness, parse, status, steps, template_path};

/// The simulator holds exactly what `plan` asked for.
fn assert_cluster_matches_plan(harness: &Harness, report: &smtx_engine::RunReport) {
    let plan = harness.plan();
    let state = harness.state();
    let cluster = &state["cluster"];
    assert_eq!(cluster["initialized"], true);
    assert_eq!(
        cluster["vip"].as_str(),
        plan.cluster.vip.map(|v| v.to_string()).as_deref(),
        "VIP"
    );
    let dns: Vec<String> = plan.dns_servers.iter().map(ToString::to_string).collect();
    assert_eq!(cluster["dns"], serde_json::json!(dns), "DNS");
    assert_eq!(
        cluster["ntp"]["servers"],
        serde_json::json!(plan.ntp_servers),
        "NTP"
    );

    let with_bmc = plan.hosts.iter().filter(|h| h.bmc.ip.is_some()).count();
    let accounts = state["ipmi_accounts"].as_array().expect("ipmi list");
    assert_eq!(accounts.len(), with_bmc, "one BMC account per host");
    for host in &plan.hosts {
        let Some(bmc) = host.bmc.ip else { continue };
        assert!(
            accounts.iter().any(|a| a["host"] == bmc.to_string()
                && a["user"] == host.bmc.user.as_str()
                && a["node_name"] == host.hostname.as_str()),
            "BMC of {} stored",
            host.hostname
        );
    }

    let vdses = state["vdses"].as_array().expect("vds list");
    let home = plan.business_network_home();
    let planned_somewhere = !matches!(home, BusinessNetworkHome::Nowhere)
        && (plan.business_vds.is_some() || !plan.business_networks.is_empty());
    if planned_somewhere {
        let target_name = match home {
            BusinessNetworkHome::ManagementVds(name) => name.to_string(),
            BusinessNetworkHome::BusinessVds(vds) => vds.name.clone(),
            BusinessNetworkHome::Nowhere => unreachable!("checked above"),
        };
        let matching: Vec<&Value> = vdses
            .iter()
            .filter(|v| v["name"] == target_name.as_str())
            .collect();
        assert_eq!(matching.len(), 1, "exactly one VDS named {target_name}");
        let vds = matching[0];
        if let BusinessNetworkHome::BusinessVds(business) = home {
            assert_eq!(vds["bond_mode"], business.bond_mode.as_api_str());
            assert_eq!(
                vds["hosts"].as_array().map(Vec::len),
                Some(plan.hosts.len())
            );
        }
        let vlans = vds["vlans"].as_array().expect("vlans");
        for network in &plan.business_networks {
            assert!(
                vlans
                    .iter()
                    .any(|v| v["name"] == network.name.as_str() && v["vlan_id"] == network.vlan_id),
                "VLAN {} on {target_name}",
                network.name
            );
        }
        assert_eq!(
            vdses.len(),
            if plan
                .cluster
                .network_architecture
                .business_on_management_vds()
            {
                2
            } else {
                3
            },
            "no extra switch"
        );
    }
    for host in state["hosts"].as_array().expect("hosts") {
        assert_eq!(host["passwords_rotated"]["smartx"], true, "{host}");
        assert_eq!(host["passwords_rotated"]["root"], true, "{host}");
    }

    // The serial is in the workbook and in the report.
    let serial = cluster["serial"].as_str().expect("serial").to_string();
    assert_eq!(report.serial.as_deref(), Some(serial.as_str()));
    let reread = parse(&harness.workbook);
    assert_eq!(reread.cluster.serial.as_deref(), Some(serial.as_str()));
    let context: Value = serde_json::from_str(
        &std::fs::read_to_string(report.run_dir.join("context.json")).expect("context.json"),
    )
    .expect("context is JSON");
    assert_eq!(
        context["extra"]["config_cluster"]["serial"],
        serial.as_str()
    );
    assert!(context["extra"]["config_cluster"]["results"].is_array());
    assert!(context["extra"]["host_scan"].is_object());
    assert_eq!(context["extra"]["deploy_verify"]["is_deployed"], true);
    let log = std::fs::read_to_string(report.run_dir.join("logs/stage_config_cluster.log"))
        .expect("stage log");
    for line in log.lines() {
        let entry: Value = serde_json::from_str(line).expect("every log line is JSON");
        assert!(entry.get("action").is_some(), "action in {line}");
        assert!(entry.get("status").is_some(), "status in {line}");
        assert!(entry.get("error").is_some(), "error in {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn real_template_configures_everything() {
    let mut harness = Harness::copy_of(&template_path(), vec![]).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    for action in [
        "setup_root",
        "login",
        "set_vip",
        "set_dns",
        "set_ntp",
        "ipmi_accounts",
        "business_vds",
        "verify_vlans",
        "host_passwords",
        "cpu_compatibility",
        "serial",
    ] {
        assert_eq!(
            status(&report, action),
            StepStatus::Ok,
            "{action}: {report:#?}"
        );
    }
    assert_eq!(
        steps(&report, "vlan ").len(),
        11,
        "one step per business network"
    );
    assert_cluster_matches_plan(&harness, &report);
    assert_eq!(harness.state()["cluster"]["cpu_model"], "EPYC");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_host() {
    let mut harness = Harness::fixture(WorkbookSpec::example(1), vec![]).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert_cluster_matches_plan(&harness, &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_hosts() {
    let mut harness = Harness::fixture(WorkbookSpec::example(16), vec![]).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert_eq!(steps(&report, "host_password ").len(), 16);
    assert_cluster_matches_plan(&harness, &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_business_networks() {
    let mut spec = WorkbookSpec::example(3);
    spec.business_networks.clear();
    let mut harness = Harness::fixture(spec, vec![]).await;
    let report = harness.run().await;
    assert_eq!(status(&report, "business_vds"), StepStatus::Ok);
    assert_eq!(status(&report, "vlans"), StepStatus::Skipped);
    assert_ne!(report.status, StepStatus::Failed, "{report:#?}");
    assert_cluster_matches_plan(&harness, &report);
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_separate_uses_the_management_vds() {
    let mut spec = WorkbookSpec::example(3);
    spec.network_architecture = "存储独立".to_string();
    let mut harness = Harness::fixture(spec, vec![]).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert!(
        steps(&report, "business_vds")[0]
            .detail
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|d| d.contains("management VDS")),
        "{report:#?}"
    );
    let state = harness.state();
    assert_eq!(
        crate::support::calls_exact(&state, "POST", "/api/v2/network/vds"),
        0,
        "no VDS created"
    );
    assert_eq!(
        crate::support::calls(&state, "POST", "/api/v2/network/vds/"),
        3,
        "three VLANs"
    );
    assert_cluster_matches_plan(&harness, &report);
}

/// Issue 8: a 存储独立 workbook as sites fill it in — no business-VDS row,
/// three business networks — puts the three VLANs on the management VDS,
/// creates no switch, ends ok, and a re-run creates nothing.
#[tokio::test(flavor = "multi_thread")]
async fn storage_separate_with_an_empty_business_vds_row() {
    let mut harness = Harness::fixture(WorkbookSpec::storage_separate(3), vec![]).await;
    assert!(harness.plan().business_vds.is_none(), "the row is empty");
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert_eq!(status(&report, "business_vds"), StepStatus::Ok);
    assert_eq!(steps(&report, "vlan ").len(), 3, "{report:#?}");
    assert_eq!(status(&report, "verify_vlans"), StepStatus::Ok);
    let state = harness.state();
    let vdses = state["vdses"].as_array().expect("vds list");
    assert_eq!(vdses.len(), 2, "no new VDS: {vdses:#?}");
    let management = vdses
        .iter()
        .find(|v| v["name"] == "vDS-MgMt-Network")
        .expect("the management VDS");
    let mut vlans: Vec<u64> = management["vlans"]
        .as_array()
        .expect("vlans")
        .iter()
        .filter_map(|v| v["vlan_id"].as_u64())
        .collect();
    vlans.sort_unstable();
    assert_eq!(vlans, [1120, 1121, 1122]);
    assert_eq!(
        crate::support::calls_exact(&state, "POST", "/api/v2/network/vds"),
        0
    );
    assert_cluster_matches_plan(&harness, &report);

    let vlan_posts = crate::support::calls(&state, "POST", "/api/v2/network/vds/");
    let again = harness.run().await;
    assert_eq!(again.status, StepStatus::Ok, "{again:#?}");
    let after = harness.state();
    assert_eq!(
        crate::support::calls(&after, "POST", "/api/v2/network/vds/"),
        vlan_posts,
        "a re-run creates no VLAN"
    );
    assert_eq!(
        crate::support::calls_exact(&after, "POST", "/api/v2/network/vds"),
        0
    );
    assert_eq!(after["vdses"], state["vdses"]);
}

/// The real template, switched to 存储独立 in Excel (Q20 from its drop-down,
/// the business-VDS row cleared): all eleven networks on the management VDS.
#[tokio::test(flavor = "multi_thread")]
async fn real_template_as_storage_separate() {
    let template = std::fs::read(template_path()).expect("template");
    let edited = smtx_plan::fixture::edit_cells(
        &template,
        &[
            ("主机规划!Q20", Some("存储独立")),
            ("虚拟网络!C8", None),
            ("虚拟网络!J8", None),
            ("虚拟网络!K8", None),
        ],
    )
    .expect("edited");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("存储独立.xlsx");
    std::fs::write(&path, edited).expect("written");
    let mut harness = Harness::copy_of(&path, vec![]).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert_eq!(steps(&report, "vlan ").len(), 11);
    assert_cluster_matches_plan(&harness, &report);
}
