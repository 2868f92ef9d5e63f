//! Issue 10 item 5 through the binary: a workbook with rows inserted and
//! values away from the template's cells; every hint the run prints, in
//! both languages, names the cell the value is in.

use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{Fault, Scenario, SimOptions};

use crate::run::{rehearsal_with, run_cli};

async fn run(r: &crate::run::Rehearsal, lang: &str, run_dir: &str) -> String {
    let args = vec![
        "--lang".to_string(),
        lang.to_string(),
        "run".to_string(),
        "--plan".into(),
        r.workbook.display().to_string(),
        "--config".into(),
        r.config.display().to_string(),
        "--run-dir".into(),
        r.dir.path().join(run_dir).display().to_string(),
    ];
    let output = run_cli(args).await;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.code().is_some(), "{text}");
    text
}

/// The hint lines of a run's output.
fn hints(output: &str) -> Vec<&str> {
    output
        .lines()
        .filter(|line| line.contains("hint:") || line.contains("提示："))
        .collect()
}

fn assert_a_hint_names(output: &str, cell: &str) {
    assert!(
        hints(output).iter().any(|line| line.contains(cell)),
        "no hint names {cell}:\n{output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_hints_name_the_moved_cells_in_both_languages() {
    let spec = WorkbookSpec::example_moved();
    let moved_bmc = spec.hosts[17].bmc_ip.parse().expect("an address");
    let faults = vec![
        Fault::JobFails {
            description: "UPDATE_DNS".to_string(),
            times: 2,
        },
        Fault::JobFails {
            description: "UPDATE_NTP".to_string(),
            times: 2,
        },
        Fault::BmcUnreachable { ip: moved_bmc },
    ];
    let options = SimOptions {
        scenario: Scenario { faults },
        ..SimOptions::default()
    };
    let r = rehearsal_with(spec, options).await;
    for (lang, dir) in [("en", "runs/en"), ("zh-CN", "runs/zh")] {
        let output = run(&r, lang, dir).await;
        assert_a_hint_names(&output, "集群管理信息!E26");
        assert_a_hint_names(&output, "集群管理信息!E24");
        assert_a_hint_names(&output, "主机规划!E20:G20");
        // The serial goes into the Cluster SN cell of the row found.
        assert!(output.contains("主机规划!E21"), "{output}");
        for line in hints(&output) {
            for template_cell in ["E25", "E22", "E3:", "主机规划!E:G"] {
                assert!(!line.contains(template_cell), "{line}");
            }
        }
        let context = std::fs::read_to_string(r.dir.path().join(dir).join("context.json"))
            .expect("context written");
        let context: serde_json::Value = serde_json::from_str(&context).expect("JSON");
        assert_eq!(context["config"]["serial_cell"], "主机规划!E21");
    }

    // The network on row 12 given another VLAN ID than the cluster now has.
    let bytes = std::fs::read(&r.workbook).expect("workbook");
    let edited = smtx_plan::fixture::edit_cells(&bytes, &[("虚拟网络!F12", Some("1199"))])
        .expect("F12 edited");
    std::fs::write(&r.workbook, edited).expect("written");
    for (lang, dir) in [("en", "runs/en2"), ("zh-CN", "runs/zh2")] {
        let output = run(&r, lang, dir).await;
        assert_a_hint_names(&output, "虚拟网络!F12");
    }
    r.sim.shutdown().await;
}

/// `plan set-serial` without `--cell` writes the Cluster SN cell of the row
/// the reader finds, not the template's E19 (a host row's BMC cell here).
#[tokio::test(flavor = "multi_thread")]
async fn set_serial_defaults_to_the_cluster_row_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("moved.xlsx");
    WorkbookSpec::example_moved()
        .write_to(&workbook)
        .expect("fixture written");
    let args = vec![
        "plan".to_string(),
        "set-serial".into(),
        workbook.display().to_string(),
        "SN-0123456789".into(),
    ];
    let output = run_cli(args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("主机规划!E21"), "{stdout}");
    let bytes = std::fs::read(&workbook).expect("workbook");
    let cell = |at: &str| smtx_plan::cell_text(&bytes, "moved.xlsx", at).expect("readable");
    assert_eq!(cell("主机规划!E21").as_deref(), Some("SN-0123456789"));
    assert_eq!(cell("主机规划!E19"), None);
}
