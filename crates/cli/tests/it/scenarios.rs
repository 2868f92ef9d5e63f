//! Each scenario shipped in `crates/sim/scenarios` demonstrates the story
//! its comment tells, in a rehearsal with the real binary: the failure,
//! warning or recovery it lists is what the run shows.

use std::path::PathBuf;

use serde_json::Value;
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{Scenario, SimOptions};

use crate::run::{Rehearsal, rehearsal_with};

fn scenario(name: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sim/scenarios")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("scenario file");
    Scenario::from_toml(&text).expect("scenario parses")
}

async fn rehearse(name: &str, options: SimOptions) -> Rehearsal {
    let options = SimOptions {
        scenario: scenario(name),
        ..options
    };
    rehearsal_with(WorkbookSpec::example(3), options).await
}

/// The `--json` report of a run.
fn report(stdout: &str) -> Value {
    serde_json::from_str(stdout).expect("a JSON report")
}

fn step<'a>(report: &'a Value, action: &str) -> &'a Value {
    report["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|stage| stage["steps"].as_array().into_iter().flatten())
        .find(|s| s["action"] == action)
        .unwrap_or_else(|| panic!("no step {action} in {report:#}"))
}

fn calls(state: &Value, method: &str, path: &str) -> usize {
    state["calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .filter(|c| c["method"] == method && c["path"] == path)
                .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_deployment_stops_at_prepare() {
    let r = rehearse("failing-deployment.toml", SimOptions::default()).await;
    let (code, stdout, stderr) = r.run("story", &["--json"]).await;
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let report = report(&stdout);
    assert_eq!(step(&report, "deploy_verify")["status"], "failed");
    assert_eq!(
        report["stages"].as_array().map(Vec::len),
        Some(1),
        "{report:#}"
    );
    assert_eq!(
        r.sim.state()["cluster"]["initialized"],
        false,
        "nothing changed"
    );
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn flaky_network_recovers_from_every_fault() {
    let options = SimOptions {
        chunk_size: 1024 * 1024,
        ..SimOptions::default()
    };
    let r = rehearse("flaky-network.toml", options).await;
    // More than two chunks, so chunks 1 and 2 are sent.
    let iso = r.dir.path().join("SMTX_VMTOOLS-3.2.0-flaky.iso");
    std::fs::write(&iso, vec![5u8; 3 * 1024 * 1024 + 7]).expect("iso written");
    let (code, stdout, stderr) = r.run("story", &["--json"]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report = report(&stdout);
    assert_eq!(report["status"], "ok", "every fault recovered: {report:#}");
    let state = r.sim.state();
    assert!(
        calls(&state, "PUT", "/api/v2/settings/dns") >= 3,
        "DNS retried"
    );
    assert!(
        calls(&state, "POST", "/api/v3/sessions") >= 2,
        "logged in again"
    );
    assert_eq!(step(&report, "vmtools_upload")["status"], "ok");
    let upload_calls = state["calls"]
        .as_array()
        .map(|calls| {
            calls
                .iter()
                .filter(|c| {
                    c["path"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("/api/v2/svt_image/upload_template"))
                })
                .count()
        })
        .unwrap_or(0);
    assert!(upload_calls > 4, "chunks resent: {upload_calls}");
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bmc_down_is_a_warning_naming_the_host() {
    let r = rehearse("bmc-down.toml", SimOptions::default()).await;
    let (code, stdout, stderr) = r.run("story", &["--json"]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report = report(&stdout);
    let ipmi = step(&report, "ipmi_accounts");
    assert_eq!(ipmi["status"], "warning", "{ipmi:#}");
    assert!(
        ipmi["error"]
            .as_str()
            .is_some_and(|e| e.contains("node-01") && e.contains("10.0.19.11")),
        "{ipmi:#}"
    );
    assert_eq!(report["status"], "warning");
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_by_hand_goes_on_with_warnings() {
    let r = rehearse("configured-by-hand.toml", SimOptions::default()).await;
    let (code, stdout, stderr) = r.run("story", &["--json"]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let report = report(&stdout);
    assert_eq!(step(&report, "setup_root")["status"], "warning");
    assert_eq!(step(&report, "login")["status"], "ok");
    assert_eq!(step(&report, "set_ntp")["status"], "warning");
    assert_eq!(step(&report, "business_vds")["status"], "ok");
    assert_eq!(step(&report, "verify_vlans")["status"], "ok");
    assert_eq!(step(&report, "cpu_compatibility")["status"], "warning");
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_trouble_fails_two_hosts_and_rotates_the_rest() {
    let r = rehearse("ssh-trouble.toml", SimOptions::default()).await;
    // Short SSH timeouts, so the host that never answers is given up on soon.
    let text = std::fs::read_to_string(&r.config).expect("config");
    let config = r.dir.path().join("short-ssh.toml");
    std::fs::write(
        &config,
        text.replacen(
            "[ssh]\n",
            "[ssh]\nconnect_timeout_secs = 2\ncommand_timeout_secs = 2\n",
            1,
        ),
    )
    .expect("written");
    let (code, stdout, stderr) = r.run_with_config(&config, "story", &["--json"]).await;
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let report = report(&stdout);
    for (host, status) in [
        ("node-01 (10.0.20.11)", "ok"),
        ("node-02 (10.0.20.12)", "failed"),
        ("node-03 (10.0.20.13)", "failed"),
    ] {
        assert_eq!(
            step(&report, &format!("host_password {host}"))["status"],
            status,
            "{host}: {report:#}"
        );
    }
    // The rest of the stage still ran.
    assert_eq!(step(&report, "serial")["status"], "ok");
    r.sim.shutdown().await;
}

/// Every line of a run's terminal output that a Chinese reader would have
/// to read in English: ASCII words that are not identifiers, addresses,
/// paths, flags, units or text quoted from elsewhere (「…」, `…`).
fn english_lines(output: &str) -> Vec<(String, Vec<String>)> {
    output
        .lines()
        .map(|line| (line.to_string(), smtx_i18n::untranslated_words(line)))
        .filter(|(_, words)| !words.is_empty())
        .collect()
}

/// A story's rehearsal run with `--lang zh-CN`: every step line, detail,
/// warning, error and hint, the table and the summary in Chinese. The same
/// run in English is caught by the same check, so the check is not empty.
async fn story_reads_in_chinese(name: &str, options: SimOptions, extra: &[&str]) {
    let r = rehearse(name, options).await;
    // Something to upload (picked up from the run's directory): more than
    // two chunks of the flaky story's 1 MiB.
    let iso = r.dir.path().join("SMTX_VMTOOLS-3.2.0-zh.iso");
    std::fs::write(&iso, vec![5u8; 3 * 1024 * 1024 + 7]).expect("iso written");
    // Short SSH timeouts, so a host that never answers is given up on soon.
    let text = std::fs::read_to_string(&r.config).expect("config");
    let config = r.dir.path().join("short-ssh.toml");
    std::fs::write(
        &config,
        text.replacen(
            "[ssh]\n",
            "[ssh]\nconnect_timeout_secs = 2\ncommand_timeout_secs = 2\n",
            1,
        ),
    )
    .expect("written");
    let mut args = vec!["--lang", "zh-CN"];
    args.extend(extra);
    let (code, stdout, stderr) = r.run_with_config(&config, "zh", &args).await;
    let output = format!("{stdout}\n{stderr}");
    assert!(code.is_some(), "{output}");
    let english = english_lines(&output);
    assert!(english.is_empty(), "{english:#?}\n{output}");
    // Each step line says what happened, in Chinese.
    let steps: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("  ["))
        .collect();
    assert!(steps.len() > 3, "{stderr}");
    for line in &steps {
        assert!(smtx_i18n::has_cjk(line), "{line}");
    }
    let (_, stdout, stderr) = r.run_with_config(&config, "en", extra).await;
    assert!(
        !english_lines(&format!("{stdout}\n{stderr}")).is_empty(),
        "the check finds English in an English run"
    );
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_unavailable_sends_the_settings_and_says_so() {
    let r = rehearse("reads-unavailable.toml", SimOptions::default()).await;
    for (round, name) in ["story", "again"].into_iter().enumerate() {
        let (code, stdout, stderr) = r.run(name, &["--json"]).await;
        assert_eq!(code, Some(0), "{stdout}\n{stderr}");
        let report = report(&stdout);
        for action in ["set_vip", "set_dns", "set_ntp", "ipmi_accounts"] {
            let step = step(&report, action);
            assert_eq!(step["status"], "ok", "{step:#}");
            assert!(
                step["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("sent without comparing") && d.contains("(404)")),
                "{step:#}"
            );
        }
        // Nothing to compare with: the second run sends them again.
        let state = r.sim.state();
        for path in [
            "/api/v2/settings/vip",
            "/api/v2/settings/dns",
            "/api/v2/settings/ntp",
        ] {
            assert_eq!(calls(&state, "PUT", path), round + 1, "{path}");
        }
        assert_eq!(
            calls(&state, "POST", "/api/v2/ipmi/upsert_accounts"),
            round + 1
        );
    }
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_unavailable_reads_in_chinese() {
    story_reads_in_chinese("reads-unavailable.toml", SimOptions::default(), &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn bmc_down_reads_in_chinese() {
    story_reads_in_chinese("bmc-down.toml", SimOptions::default(), &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_by_hand_reads_in_chinese() {
    story_reads_in_chinese("configured-by-hand.toml", SimOptions::default(), &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_trouble_reads_in_chinese() {
    story_reads_in_chinese("ssh-trouble.toml", SimOptions::default(), &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_deployment_reads_in_chinese() {
    story_reads_in_chinese("failing-deployment.toml", SimOptions::default(), &[]).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn vip_in_use_reads_in_chinese() {
    story_reads_in_chinese("vip-in-use.toml", SimOptions::default(), &[]).await;
}

/// The flaky network, with the host passwords turned off (a warning with a
/// hint).
#[tokio::test(flavor = "multi_thread")]
async fn flaky_network_reads_in_chinese() {
    let options = SimOptions {
        chunk_size: 1024 * 1024,
        ..SimOptions::default()
    };
    story_reads_in_chinese("flaky-network.toml", options, &["--no-host-passwords"]).await;
}

/// A refused run (an ISO that is not there) says why in Chinese too.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_run_reads_in_chinese() {
    let r = rehearse("bmc-down.toml", SimOptions::default()).await;
    let args = ["--lang", "zh-CN", "--vmtools-iso", "missing.iso"];
    let (code, stdout, stderr) = r.run("zh-refused", &args).await;
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("错误：--vmtools-iso missing.iso："),
        "{stderr}"
    );
    let english = english_lines(&format!("{stdout}\n{stderr}"));
    assert!(english.is_empty(), "{english:#?}\n{stderr}");
    r.sim.shutdown().await;
}

/// Starts, then ends, of the calls in the simulator's log from the first
/// login on, sorted by start: how many pairs overlap.
fn overlapping_calls(state: &Value) -> usize {
    let mut spans: Vec<(u64, u64)> = state["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .skip_while(|call| call["path"] != "/api/v3/sessions")
        .filter_map(|call| Some((call["started_us"].as_u64()?, call["ended_us"].as_u64()?)))
        .collect();
    spans.sort_unstable();
    spans
        .iter()
        .enumerate()
        .map(|(index, (_, end))| {
            spans[index + 1..]
                .iter()
                .take_while(|(start, _)| start < end)
                .count()
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn upload_failing_mid_vlans_fails_the_stage_after_the_vlan_under_way() {
    let options = SimOptions {
        chunk_size: 64 * 1024,
        ..SimOptions::default()
    };
    let r = rehearse("upload-fails-mid-vlans.toml", options).await;
    // More than 30 chunks, so chunk 30 is sent.
    let iso = r.dir.path().join("SMTX_VMTOOLS-3.2.0-lanes.iso");
    std::fs::write(&iso, vec![5u8; 40 * 64 * 1024 + 7]).expect("iso written");
    let (code, stdout, stderr) = r.run("story", &["--json"]).await;
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let report = report(&stdout);
    assert_eq!(report["status"], "failed", "{report:#}");
    assert_eq!(step(&report, "vmtools_upload")["status"], "failed");
    assert_eq!(step(&report, "host_passwords")["status"], "ok");
    assert_eq!(step(&report, "business_vds")["status"], "ok");
    let actions: Vec<&str> = report["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|stage| stage["steps"].as_array().into_iter().flatten())
        .filter_map(|step| step["action"].as_str())
        .collect();
    assert!(!actions.contains(&"serial"), "{actions:?}");
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sequential_runs_one_call_at_a_time() {
    let options = SimOptions {
        chunk_size: 1024 * 1024,
        ..SimOptions::default()
    };
    let r = rehearse("bmc-down.toml", options).await;
    let iso = r.dir.path().join("SMTX_VMTOOLS-3.2.0-seq.iso");
    std::fs::write(&iso, vec![5u8; 3 * 1024 * 1024 + 7]).expect("iso written");
    let (code, stdout, stderr) = r.run("story", &["--json", "--sequential"]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert_eq!(report(&stdout)["status"], "warning", "{stdout}");
    assert_eq!(overlapping_calls(&r.sim.state()), 0);
    r.sim.shutdown().await;
}
