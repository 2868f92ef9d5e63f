//! Issue 10 item 5: a hint names the cell the plan read, not the template's
//! position. The workbooks here have their values away from where the
//! template puts them — host rows inserted above the cluster row, a host and
//! a business network further down, DNS and NTP in their last cells — and
//! each failure's hint must name those cells.

use smtx_engine::{Lang, Localize, RunReport, StepResult, StepStatus};
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::Fault;

use crate::support::{Harness, context_json, step, steps};

/// Both languages of a step's hint.
fn hint(result: &StepResult) -> [String; 2] {
    let hint = result
        .hint
        .as_ref()
        .unwrap_or_else(|| panic!("{} has a hint: {result:#?}", result.step));
    [hint.localize(Lang::En), hint.localize(Lang::ZhCn)]
}

fn assert_names(report: &RunReport, action: &str, cell: &str, not: &str) {
    let result = step(report, action);
    assert_eq!(result.status, StepStatus::Warning, "{result:#?}");
    for text in hint(result) {
        assert!(text.contains(cell), "{action}: {text}");
        assert!(!text.contains(not), "{action}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hints_name_the_cells_of_a_workbook_with_moved_rows() {
    let spec = WorkbookSpec::example_moved();
    let moved_bmc = spec.hosts[17].bmc_ip.parse().expect("an address");
    let faults = vec![
        Fault::JobFails {
            description: "UPDATE_DNS".to_string(),
            times: 1,
        },
        Fault::JobFails {
            description: "UPDATE_NTP".to_string(),
            times: 1,
        },
        Fault::BmcUnreachable { ip: moved_bmc },
    ];
    let mut harness = Harness::fixture(spec, faults).await;
    let plan = harness.plan();
    assert_eq!(plan.cluster.row, 21);
    assert_eq!(
        plan.hosts.iter().map(|h| h.row).collect::<Vec<_>>(),
        [3, 4, 20]
    );
    let report = harness.run().await;

    assert_names(&report, "set_dns", "集群管理信息!E26", "E25");
    assert_names(&report, "set_ntp", "集群管理信息!E24", "E22");
    assert_names(&report, "ipmi_accounts", "主机规划!E20:G20", "E3");

    // The serial goes into the Cluster SN cell of the row the reader found.
    let serial = step(&report, "serial");
    assert_eq!(serial.status, StepStatus::Ok, "{serial:#?}");
    let detail = serial.detail.as_ref().expect("a detail");
    for lang in [Lang::En, Lang::ZhCn] {
        let text = detail.localize(lang);
        assert!(text.contains("主机规划!E21"), "{text}");
    }
    let bytes = std::fs::read(&harness.workbook).expect("workbook readable");
    let written = smtx_plan::cell_text(&bytes, "workbook", "主机规划!E21").expect("readable");
    assert!(written.is_some_and(|text| !text.is_empty()));
    let template_cell = smtx_plan::cell_text(&bytes, "workbook", "主机规划!E19").expect("readable");
    assert_eq!(template_cell, None, "E19 is a host row's BMC cell here");
    let context = context_json(&harness.dir.path().join("run1"));
    assert_eq!(context["config"]["serial_cell"], "主机规划!E21");

    // The network on row 12 with another VLAN ID than the cluster's: the
    // hint names its VLAN cell.
    let edited = smtx_plan::fixture::edit_cells(&bytes, &[("虚拟网络!F12", Some("1199"))])
        .expect("F12 edited");
    std::fs::write(&harness.workbook, edited).expect("workbook written");
    let again = harness.run().await;
    let vlans = steps(&again, "vlan");
    let taken = vlans
        .iter()
        .find(|result| result.status == StepStatus::Warning)
        .unwrap_or_else(|| panic!("a VLAN warning: {vlans:#?}"));
    for text in hint(taken) {
        assert!(text.contains("虚拟网络!F12"), "{text}");
        assert!(!text.contains("F8"), "{text}");
    }
}

/// The real template as a site edits it: the third host's row cleared (the
/// fourth, on row 6, stays), DNS only in E26, NTP only in E23. Hints name
/// the cells the values are in.
#[tokio::test(flavor = "multi_thread")]
async fn hints_name_the_cells_of_the_real_template_as_a_site_edits_it() {
    let template = std::fs::read(crate::support::template_path()).expect("template readable");
    let edited = smtx_plan::fixture::edit_cells(
        &template,
        &[
            ("主机规划!E5", None),
            ("主机规划!H5", None),
            ("主机规划!I5", None),
            ("主机规划!N5", None),
            ("集群管理信息!E25", None),
            ("集群管理信息!E22", None),
        ],
    )
    .expect("template edited");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("edited.xlsx");
    std::fs::write(&path, edited).expect("written");
    let plan = crate::support::parse(&path);
    let fourth = plan
        .hosts
        .iter()
        .find(|h| h.row == 6)
        .expect("row 6 is a host");
    let faults = vec![
        Fault::JobFails {
            description: "UPDATE_DNS".to_string(),
            times: 1,
        },
        Fault::JobFails {
            description: "UPDATE_NTP".to_string(),
            times: 1,
        },
        Fault::BmcUnreachable {
            ip: fourth.bmc.ip.expect("a BMC address"),
        },
    ];
    let mut harness = Harness::copy_of(&path, faults).await;
    let report = harness.run().await;
    assert_names(&report, "set_dns", "集群管理信息!E26", "E25");
    assert_names(&report, "set_ntp", "集群管理信息!E23", "E22");
    assert_names(&report, "ipmi_accounts", "主机规划!E6:G6", "E5");
}
