//! Each failure row of PRODUCT.md, triggered with a simulator fault, gives
//! the documented result — a warning and the stage goes on, or the stage
//! fails — and nothing else.

use smtx_engine::StepStatus;
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::Fault;

use crate::support::{Harness, calls_exact, status, steps};

fn fault_status(method: &str, path: &str, status: u16, times: u32) -> Fault {
    Fault::EndpointStatus {
        method: method.to_string(),
        path: path.to_string(),
        status,
        times,
    }
}

/// Everything but the named steps ended ok.
fn assert_others_ok(report: &smtx_engine::RunReport, except: &[&str]) {
    for step in report.stages.iter().flat_map(|s| &s.steps) {
        if except.iter().any(|e| step.step.to_string().starts_with(e)) {
            continue;
        }
        assert!(
            matches!(step.status, StepStatus::Ok | StepStatus::Skipped),
            "{} should be ok: {step:#?}",
            step.step
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn already_initialized_is_a_warning_and_login_goes_on() {
    let spec = WorkbookSpec::example(2);
    let faults = vec![Fault::AlreadyInitialized {
        password: Some(spec.fisheye_password.clone()),
    }];
    let mut harness = Harness::fixture(spec, faults).await;
    let report = harness.run().await;
    // The workbook's password logs in: setupRoot is not even needed.
    assert_eq!(status(&report, "setup_root"), StepStatus::Skipped);
    assert_eq!(status(&report, "login"), StepStatus::Ok);
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_root_error_is_a_warning_and_a_failed_login_fails_the_stage() {
    let faults = vec![Fault::AlreadyInitialized {
        password: Some("someone-else's".to_string()),
    }];
    let mut harness = Harness::fixture(WorkbookSpec::example(2), faults).await;
    let report = harness.run().await;
    assert_eq!(status(&report, "setup_root"), StepStatus::Warning);
    assert_eq!(status(&report, "login"), StepStatus::Failed);
    assert_eq!(report.status, StepStatus::Failed);
    assert!(
        steps(&report, "set_vip").is_empty(),
        "nothing after a failed login"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_failures_are_warnings() {
    let faults = vec![
        fault_status("PUT", "/api/v2/settings/vip", 400, 1),
        Fault::JobFails {
            description: "UPDATE_DNS".to_string(),
            times: 1,
        },
        fault_status("PUT", "/api/v2/settings/ntp", 503, 10),
    ];
    let mut harness = Harness::fixture(WorkbookSpec::example(2), faults).await;
    let report = harness.run().await;
    assert_eq!(status(&report, "set_vip"), StepStatus::Warning);
    assert_eq!(status(&report, "set_dns"), StepStatus::Warning);
    assert_eq!(status(&report, "set_ntp"), StepStatus::Warning);
    assert!(
        steps(&report, "set_dns")[0]
            .error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains("failed"))
    );
    assert_eq!(report.status, StepStatus::Warning);
    assert_others_ok(&report, &["set_vip", "set_dns", "set_ntp"]);
    // A PUT is safe to repeat: the 503s were retried before giving up.
    assert!(calls_exact(&harness.state(), "PUT", "/api/v2/settings/ntp") >= 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_dns_and_ntp_are_warnings() {
    // The design: "列表为空 → 记录 warning 并继续".
    let mut spec = WorkbookSpec::example(1);
    spec.dns_servers.clear();
    spec.ntp_servers.clear();
    let mut harness = Harness::fixture(spec, vec![]).await;
    let report = harness.run().await;
    assert_eq!(status(&report, "set_dns"), StepStatus::Warning);
    assert_eq!(status(&report, "set_ntp"), StepStatus::Warning);
    assert!(
        steps(&report, "set_dns")[0]
            .error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains("集群管理信息!E25:E26"))
    );
    assert_others_ok(&report, &["set_dns", "set_ntp"]);
    assert_eq!(report.status, StepStatus::Warning);
    let state = harness.state();
    assert_eq!(calls_exact(&state, "PUT", "/api/v2/settings/dns"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_bmc_is_named_and_the_stage_goes_on() {
    let spec = WorkbookSpec::example(3);
    let bmc = spec.hosts[1].bmc_ip.parse().expect("fixture BMC ip");
    let hostname = spec.hosts[1].hostname.clone();
    let mut harness = Harness::fixture(spec, vec![Fault::BmcUnreachable { ip: bmc }]).await;
    let report = harness.run().await;
    let ipmi = &steps(&report, "ipmi_accounts")[0];
    assert_eq!(ipmi.status, StepStatus::Warning);
    assert!(
        ipmi.error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains(&hostname)),
        "{ipmi:#?}"
    );
    assert_others_ok(&report, &["ipmi_accounts"]);
}

/// The cluster takes the CPU model but does not keep it: the read-back
/// catches it, the step warns naming the model, the stage goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_cpu_model_that_does_not_stick_is_a_warning() {
    let mut harness =
        Harness::fixture(WorkbookSpec::example(2), vec![Fault::CpuModelNotKept]).await;
    let report = harness.run().await;
    let cpu = &steps(&report, "cpu_compatibility")[0];
    assert_eq!(cpu.status, StepStatus::Warning, "{cpu:#?}");
    let error = cpu
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        error.contains("set EPYC but the cluster reports"),
        "{error}"
    );
    assert_eq!(
        calls_exact(
            &harness.state(),
            "GET",
            "/api/v2/elf/cluster_cpu_compatibility"
        ),
        1,
        "read back once"
    );
    assert_others_ok(&report, &["cpu_compatibility"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_vds_job_skips_the_networks() {
    let faults = vec![Fault::JobFails {
        description: "NETWORK_CREATE_VDS".to_string(),
        times: 1,
    }];
    let mut harness = Harness::fixture(WorkbookSpec::example(2), faults).await;
    let report = harness.run().await;
    assert_eq!(status(&report, "business_vds"), StepStatus::Warning);
    assert!(steps(&report, "vlan ").is_empty(), "no VLAN attempted");
    assert!(steps(&report, "verify_vlans").is_empty());
    // The planned networks not created is itself a warning, not silence.
    let vlans = steps(&report, "vlans");
    assert_eq!(vlans.len(), 1, "{report:#?}");
    assert_eq!(vlans[0].status, StepStatus::Warning);
    assert!(
        vlans[0]
            .error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains("3 business network(s) not created")),
        "{vlans:#?}"
    );
    assert_others_ok(&report, &["business_vds", "vlans"]);
    assert_eq!(report.status, StepStatus::Warning);
}

#[tokio::test(flavor = "multi_thread")]
async fn vds_create_may_answer_a_uuid() {
    let mut harness =
        Harness::fixture(WorkbookSpec::example(2), vec![Fault::VdsCreateReturnsUuid]).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert_eq!(steps(&report, "vlan ").len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_tokens_log_in_again() {
    let mut harness = Harness::fixture(
        WorkbookSpec::example(2),
        vec![Fault::TokenExpiresAfter { calls: 4 }],
    )
    .await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Ok, "{report:#?}");
    assert!(calls_exact(&harness.state(), "POST", "/api/v3/sessions") >= 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn not_deployed_stops_before_config_cluster() {
    let mut harness = Harness::fixture(WorkbookSpec::example(1), vec![Fault::NotDeployed]).await;
    let report = harness.run().await;
    assert_eq!(report.status, StepStatus::Failed);
    assert_eq!(status(&report, "deploy_verify"), StepStatus::Failed);
    assert_eq!(report.stages.len(), 1, "config_cluster did not start");
    assert_eq!(
        calls_exact(&harness.state(), "POST", "/api/v3/users:setupRoot"),
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn serial_cell_with_other_content_is_a_warning_and_the_serial_is_kept() {
    let mut spec = WorkbookSpec::example(1);
    spec.serial = "see the hand-over sheet".to_string();
    let mut harness = Harness::fixture(spec, vec![]).await;
    let report = harness.run().await;
    let serial = &steps(&report, "serial")[0];
    assert_eq!(serial.status, StepStatus::Warning, "{serial:#?}");
    // The hint names flags of `run`, not those of `plan set-serial`, and
    // blames no office lock file (there is none).
    let hint = serial
        .hint
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        hint.contains("--serial-cell") && hint.contains("--force-serial"),
        "{serial:#?}"
    );
    let said = format!("{serial:?}");
    assert!(
        !said.contains("--force ") && !said.contains("--cell") && !said.contains("Excel"),
        "{said}"
    );
    let expected = harness.state()["cluster"]["serial"]
        .as_str()
        .expect("serial")
        .to_string();
    assert_eq!(report.serial.as_deref(), Some(expected.as_str()));
    let context: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(report.run_dir.join("context.json")).expect("context"),
    )
    .expect("json");
    assert_eq!(
        context["extra"]["config_cluster"]["serial"],
        expected.as_str()
    );
    assert_eq!(
        crate::support::parse(&harness.workbook)
            .cluster
            .serial
            .as_deref(),
        Some("see the hand-over sheet"),
        "the cell was not overwritten"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_host_refusing_ssh_fails_only_that_host() {
    let spec = WorkbookSpec::example(3);
    let refused = spec.hosts[1].hostname.clone();
    let mut harness = Harness::fixture(spec, vec![Fault::SshLoginRefused { node: 1 }]).await;
    let report = harness.run().await;
    let per_host = steps(&report, "host_password ");
    assert_eq!(per_host.len(), 3);
    for step in per_host {
        let expected = if step.step.to_string().contains(&refused) {
            StepStatus::Failed
        } else {
            StepStatus::Ok
        };
        assert_eq!(step.status, expected, "{step:#?}");
    }
    assert_eq!(status(&report, "host_passwords"), StepStatus::Failed);
    assert!(
        steps(&report, "host_passwords")[0]
            .error
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|e| e.contains(&refused))
    );
    // The remaining steps still ran.
    assert_eq!(status(&report, "serial"), StepStatus::Ok);
    assert_eq!(report.status, StepStatus::Failed);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_different_serial_in_the_cell_is_kept_unless_forced() {
    // A serial left by a rehearsal (or another cluster) is in the cell.
    let earlier = "11111111-2222-4333-8444-555555555555";
    let mut spec = WorkbookSpec::example(1);
    spec.serial = earlier.to_string();
    let mut harness = Harness::fixture(spec, vec![]).await;
    let report = harness.run().await;
    let cluster_serial = harness.state()["cluster"]["serial"]
        .as_str()
        .expect("serial")
        .to_string();
    assert_ne!(cluster_serial, earlier);
    let serial = &steps(&report, "serial")[0];
    assert_eq!(serial.status, StepStatus::Warning, "{serial:#?}");
    let error = serial
        .error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        error.contains(earlier) && error.contains(&cluster_serial),
        "names both serials: {serial:#?}"
    );
    assert!(
        serial
            .hint
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|h| h.contains("--force-serial")),
        "{serial:#?}"
    );
    assert_eq!(
        crate::support::parse(&harness.workbook)
            .cluster
            .serial
            .as_deref(),
        Some(earlier),
        "kept"
    );
    assert_eq!(report.serial.as_deref(), Some(cluster_serial.as_str()));

    // --force-serial replaces it.
    let mut settings = harness.settings();
    settings.force_serial = true;
    let forced = harness.run_with(settings).await;
    assert_eq!(status(&forced, "serial"), StepStatus::Ok, "{forced:#?}");
    assert_eq!(
        crate::support::parse(&harness.workbook)
            .cluster
            .serial
            .as_deref(),
        Some(cluster_serial.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn host_passwords_turned_off_is_a_warning() {
    // The workbook plans the passwords; not setting them is work left undone.
    let mut harness = Harness::fixture(WorkbookSpec::example(2), vec![]).await;
    let mut settings = harness.settings();
    settings.rotate_host_passwords = false;
    let report = harness.run_with(settings).await;
    let step = &steps(&report, "host_passwords")[0];
    assert_eq!(step.status, StepStatus::Warning, "{step:#?}");
    assert!(
        step.hint
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            .is_some_and(|h| h.contains("--no-host-passwords")),
        "{step:#?}"
    );
    assert_others_ok(&report, &["host_passwords"]);
    assert_eq!(report.status, StepStatus::Warning);
    assert_eq!(report.counts().warning, 1);
}

/// Issue 10: the login hint names the admin password cell of the plan's
/// cluster row, not a row the code assumes (the template's 19).
#[tokio::test(flavor = "multi_thread")]
async fn the_login_hint_names_the_cell_the_plan_read() {
    use smtx_engine::{
        CancellationToken, Lang, Localize, ProgressSink, RunRequest, Stage, Workbook,
    };
    let faults = vec![Fault::AlreadyInitialized {
        password: Some("someone-else's".to_string()),
    }];
    let mut harness = Harness::fixture(WorkbookSpec::example(2), faults).await;
    let mut plan = harness.plan();
    // As if two host rows had been inserted above the cluster row.
    plan.cluster.row = 21;
    let settings = harness.settings();
    let report = smtx_engine::run(RunRequest {
        settings,
        workbook: Workbook {
            path: harness.workbook.clone(),
            plan,
        },
        stages: Stage::ALL.to_vec(),
        from: None,
        progress: ProgressSink::none(),
        cancel: CancellationToken::new(),
    })
    .await
    .expect("run completes");
    let login = steps(&report, "login");
    let hint = login
        .first()
        .and_then(|step| step.hint.as_ref())
        .expect("a failed login has a hint");
    for lang in [Lang::En, Lang::ZhCn] {
        let text = hint.localize(lang);
        assert!(text.contains("主机规划!M21"), "{text}");
        assert!(!text.contains("M19"), "{text}");
    }
}
