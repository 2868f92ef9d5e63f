//! The delivery record (issue 18): every run's directory gets
//! `delivery.json` and `report.html` as it ends — an ok rehearsal of the
//! real template, a failed run (the bmc-down scenario), an aborted one —
//! in the run's language, with every VLAN, the serial, and no secret; and
//! the page prints on A4 (Chromium's `--print-to-pdf`, read back by
//! `pdftotext` and `pdfinfo`).

use std::path::Path;
use std::process::Command;

use smtx_engine::delivery::{DELIVERY_FILE, DeliveryRecord, REPORT_HTML_FILE, RunKind};
use smtx_engine::{CancellationToken, Lang, RunRequest, Stage, StepStatus, Workbook};
use smtx_sim::Scenario;

use crate::support::{Harness, template_path};

/// Every password of the workbook: none may reach the record.
fn secrets_of(plan: &smtx_plan::Plan) -> Vec<String> {
    let mut secrets = vec![plan.fisheye.password.expose().to_string()];
    for host in &plan.hosts {
        secrets.push(host.bmc.password.expose().to_string());
        secrets.push(host.ssh_password.expose().to_string());
        secrets.push(host.root_password.expose().to_string());
    }
    secrets.retain(|secret| secret.len() >= 4);
    secrets
}

fn assert_no_secret(secrets: &[String], run_dir: &Path) {
    for file in [DELIVERY_FILE, REPORT_HTML_FILE] {
        let text = std::fs::read_to_string(run_dir.join(file)).expect("written");
        for secret in secrets {
            assert!(!text.contains(secret.as_str()), "a password in {file}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ok_rehearsal_of_the_real_template_leaves_a_record_that_prints_on_a4() {
    let mut harness = Harness::copy_of(&template_path(), vec![]).await;
    let plan = harness.plan();
    let mut settings = harness.settings();
    settings.rehearsal = true;
    settings.report_lang = Lang::ZhCn;
    let run_dir = settings.run_dir.clone();
    let report = harness.run_with(settings).await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");

    let record = DeliveryRecord::load(&run_dir).expect("delivery.json");
    assert_eq!(record.kind, RunKind::Rehearsal);
    assert_eq!(record.status, StepStatus::Ok);
    assert_eq!(record.cluster, plan.cluster.name);
    let serial = report.serial.clone().expect("a serial");
    assert_eq!(record.serial.as_deref(), Some(serial.as_str()));
    assert_eq!(record.vlans.len(), 11, "{:#?}", record.vlans);
    assert!(
        record
            .vlans
            .iter()
            .all(|vlan| vlan.uuid.is_some() && vlan.status == Some(StepStatus::Ok)),
        "{:#?}",
        record.vlans
    );
    assert!(
        record
            .hosts
            .iter()
            .all(|host| host.password == Some(StepStatus::Ok))
    );
    assert_ne!(
        record.workbook.sha256_before, record.workbook.sha256_after,
        "the serial went into the rehearsal's copy"
    );
    assert_no_secret(&secrets_of(&plan), &run_dir);

    let page = std::fs::read_to_string(run_dir.join(REPORT_HTML_FILE)).expect("report.html");
    assert!(page.contains("lang=\"zh-CN\""));
    assert!(page.contains("演练（模拟集群）：不是交给客户的交付记录"));

    // Printed as a browser prints it: A4 pages with the facts on them.
    let pdf = run_dir.join("report.pdf");
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| Command::new(name).arg("--version").output().is_ok())
        .expect("chromium is installed (.ci/run installs it)");
    let printed = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!(
            "file://{}",
            run_dir.join(REPORT_HTML_FILE).display()
        ))
        .output()
        .expect("chromium runs");
    assert!(
        pdf.is_file(),
        "no PDF: {}",
        String::from_utf8_lossy(&printed.stderr)
    );
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext runs (poppler-utils, installed by .ci/run)");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains(&plan.cluster.name), "{text}");
    assert!(text.contains(&serial), "{text}");
    for network in &plan.business_networks {
        assert!(
            text.contains(&network.vlan_id.to_string()),
            "VLAN {} in {text}",
            network.vlan_id
        );
    }
    for title in [
        "交付记录",
        "概要",
        "待办事项",
        "集群设置",
        "主机",
        "业务网络（VLAN）",
        "全部步骤",
    ] {
        assert!(text.contains(title), "{title} in {text}");
    }
    let info = Command::new("pdfinfo")
        .args(["-f", "1", "-l", "99"])
        .arg(&pdf)
        .output()
        .expect("pdfinfo runs");
    let info = String::from_utf8_lossy(&info.stdout);
    let sizes: Vec<&str> = info
        .lines()
        .filter(|line| line.starts_with("Page") && line.contains("size:"))
        .collect();
    assert!(sizes.len() >= 3, "a page per part: {info}");
    for size in sizes {
        let width: f64 = size
            .split("size:")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|width| width.parse().ok())
            .unwrap_or_else(|| panic!("a width in {size}"));
        assert!(width <= 596.0, "wider than A4: {size}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_leaves_a_record_that_says_what_is_left_to_do() {
    let scenario = Scenario::from_toml(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/scenarios/bmc-down.toml"),
        )
        .expect("scenario file"),
    )
    .expect("scenario parses");
    let mut harness = Harness::copy_of(&template_path(), scenario.faults).await;
    let plan = harness.plan();
    let mut settings = harness.settings();
    settings.report_lang = Lang::En;
    let run_dir = settings.run_dir.clone();
    let report = harness.run_with(settings).await;
    assert_ne!(report.status, StepStatus::Ok, "{report:#?}");
    let record = DeliveryRecord::load(&run_dir).expect("delivery.json");
    assert_eq!(record.kind, RunKind::Live);
    assert_eq!(record.status, report.status);
    assert!(!record.left_to_do.is_empty(), "{record:#?}");
    assert_no_secret(&secrets_of(&plan), &run_dir);
    let page = std::fs::read_to_string(run_dir.join(REPORT_HTML_FILE)).expect("report.html");
    assert!(page.contains("lang=\"en\"") && page.contains("What is left to do"));
    assert!(!page.contains("REHEARSAL"), "a live run's record");
    // Written again in the other language, from delivery.json alone.
    std::fs::remove_file(&harness.workbook).expect("the workbook is not needed");
    smtx_engine::delivery::write_html(&run_dir, Lang::ZhCn, None).expect("rendered again");
    let page = std::fs::read_to_string(run_dir.join(REPORT_HTML_FILE)).expect("report.html");
    assert!(page.contains("待办事项") && page.contains(&plan.cluster.name));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_aborted_run_leaves_a_record_too() {
    let mut harness = Harness::copy_of(&template_path(), vec![]).await;
    let plan = harness.plan();
    let mut settings = harness.settings();
    settings.report_lang = Lang::ZhCn;
    let run_dir = settings.run_dir.clone();
    let cancel = CancellationToken::new();
    cancel.cancel();
    let report = smtx_engine::run(RunRequest {
        settings,
        workbook: Workbook {
            path: harness.workbook.clone(),
            plan: plan.clone(),
        },
        stages: Stage::ALL.to_vec(),
        from: None,
        progress: smtx_engine::ProgressSink::none(),
        cancel,
    })
    .await
    .expect("the run ends");
    assert_eq!(report.status, StepStatus::Aborted);
    let record = DeliveryRecord::load(&run_dir).expect("delivery.json");
    assert_eq!(record.status, StepStatus::Aborted);
    assert_eq!(record.serial, None);
    let page = std::fs::read_to_string(run_dir.join(REPORT_HTML_FILE)).expect("report.html");
    assert!(page.contains("已中止") && page.contains("未读取"), "{page}");
    assert_no_secret(&secrets_of(&plan), &run_dir);
}
