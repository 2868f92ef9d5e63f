//! Issue 12 as a delivery team runs it, with two processes: `smtx-deploy sim
//! --plans DIR --write-configs DIR` simulates a directory of generated
//! workbooks (different clusters: names, addresses), then `check --plans`
//! against the fresh clusters finds drift, `run --plans` configures them
//! all, `check --plans` says in sync, a VLAN removed through one cluster's
//! control endpoint is named by `check`, and Ctrl-C stops the simulator.
//! Also: the worst cluster's exit code, and Ctrl-C during a fleet run.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"));
    command
        .env("NO_COLOR", "1")
        .env_remove("SMTX_LANG")
        .env("LANG", "C");
    command
}

/// Stops a child even when an assertion fails first.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    fn interrupt(&mut self) {
        let pid = self.0.id().to_string();
        let status = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    fn wait_exit(&mut self, deadline: Duration) -> std::process::ExitStatus {
        wait_for("the process to end", deadline, || {
            self.0.try_wait().ok().flatten()
        })
    }
}

fn wait_for<T>(what: &str, deadline: Duration, probe: impl FnMut() -> Option<T>) -> T {
    smtx_testkit::poll_until_blocking(deadline, probe)
        .unwrap_or_else(|| panic!("timed out waiting for {what}"))
}

/// `smtx-deploy sim --plans plans --write-configs configs [extra]`, running
/// once every settings file is written.
fn start_fleet_sim(dir: &Path, count: usize, extra: &[&str]) -> Running {
    let child = binary()
        .args(["sim", "--plans"])
        .arg(dir.join("plans"))
        .arg("--write-configs")
        .arg(dir.join("configs"))
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sim starts");
    let sim = Running(child);
    let last = dir.join(format!("configs/site-{:03}.toml", count - 1));
    wait_for("the settings files", Duration::from_secs(60), || {
        std::fs::read_to_string(&last)
            .ok()
            .filter(|text| text.contains("[ssh]"))
    });
    sim
}

fn cli(dir: &Path, args: &[&str]) -> Output {
    binary()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

fn json_of(output: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|error| {
        panic!(
            "not JSON ({error}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `cluster → status` from a fleet summary.
fn statuses(summary: &Value) -> Vec<(String, String)> {
    summary["clusters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|cluster| {
            (
                cluster["stem"].as_str().unwrap_or_default().to_owned(),
                cluster["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `DELETE path` on a cluster's control endpoint, found through its
/// settings file (every host listener serves `/_sim`), trusting its CA.
fn control_delete(configs: &Path, stem: &str, path: &str) -> u16 {
    let text = std::fs::read_to_string(configs.join(format!("{stem}.toml"))).expect("settings");
    let settings: toml::Table = toml::from_str(&text).expect("TOML");
    let first = settings["api"]["resolve"][0]
        .as_str()
        .expect("a resolve entry");
    let (_, target) = first.split_once('=').expect("IP=HOST:PORT");
    let pem = std::fs::read(configs.join(format!("{stem}-ca.pem"))).expect("CA");
    // The certificate names the workbook addresses only; this goes to the
    // override on loopback, so trust the CA without the name.
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("PEM"))
        .danger_accept_invalid_hostnames(true)
        .build()
        .expect("client");
    let url = format!("https://{target}{path}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        client
            .delete(url)
            .send()
            .await
            .expect("control endpoint")
            .status()
            .as_u16()
    })
}

#[test]
fn a_fleet_is_checked_run_checked_again_and_its_drift_named() {
    const COUNT: usize = 3;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    smtx_testkit::write_fleet_workbooks(&root.join("plans"), COUNT, 2, 3);
    let mut sim = start_fleet_sim(root, COUNT, &["--latency-ms", "2"]);

    // Fresh clusters: nothing configured, the admin not even initialized.
    let fresh = cli(
        root,
        &[
            "check",
            "--plans",
            "plans",
            "--configs",
            "configs",
            "--json",
        ],
    );
    assert_eq!(fresh.status.code(), Some(3), "drift found");
    let summary = json_of(&fresh);
    assert!(
        statuses(&summary)
            .iter()
            .all(|(_, status)| status == "drift")
    );
    let items = summary["clusters"][0]["report"]["items"]
        .as_array()
        .expect("items");
    let drifting: Vec<String> = items
        .iter()
        .filter(|item| matches!(item["drift"].as_str(), Some("missing" | "different")))
        .map(|item| format!("{} {}", item["item"], item["subject"]))
        .collect();
    assert!(
        drifting.iter().any(|i| i.starts_with("\"admin_login\"")),
        "{drifting:?}"
    );
    assert_eq!(
        drifting
            .iter()
            .filter(|i| i.starts_with("\"host_password\""))
            .count(),
        2,
        "{drifting:?}"
    );

    // The fleet run: every cluster in its own run directory, one summary.
    let run = cli(
        root,
        &[
            "run",
            "--plans",
            "plans/*.xlsx",
            "--configs",
            "configs",
            "--parallel",
            "2",
            "--run-dir",
            "runs/fleet",
            "--json",
        ],
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let summary = json_of(&run);
    assert_eq!(
        statuses(&summary),
        (0..COUNT)
            // No VMTools ISO was given: each cluster warns of it.
            .map(|i| (format!("site-{i:03}"), "warning".to_owned()))
            .collect::<Vec<_>>()
    );
    // The fleet's delivery record links each cluster's.
    let fleet_page = std::fs::read_to_string(root.join("runs/fleet/report.html"))
        .expect("the fleet's report.html");
    for index in 0..COUNT {
        let run_dir = root.join(format!("runs/fleet/site-{index:03}"));
        assert!(run_dir.join("report.json").is_file(), "{run_dir:?}");
        assert!(run_dir.join("report.html").is_file(), "{run_dir:?}");
        assert!(
            fleet_page.contains(&format!("href=\"./site-{index:03}/report.html\"")),
            "{fleet_page}"
        );
    }
    let written: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("runs/fleet/fleet.json")).expect("fleet.json"),
    )
    .expect("JSON");
    assert_eq!(written["exit_code"], 0);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with('[')).count(),
        COUNT,
        "a line per cluster as it finishes: {stderr}"
    );
    // A rehearsal's settings name their own pins, apart from a site's.
    assert!(
        root.join("configs/site-000.known_hosts").is_file(),
        "keys pinned beside the rehearsal's settings"
    );
    assert!(
        !root.join("runs/known_hosts").exists(),
        "no rehearsal key among the site's pins"
    );

    // Right after the run: in sync.
    let in_sync = cli(root, &["check", "--plans", "plans", "--configs", "configs"]);
    let stdout = String::from_utf8_lossy(&in_sync.stdout);
    assert_eq!(in_sync.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(&format!("{COUNT} in sync")), "{stdout}");

    // A VLAN removed on one cluster behind the tool's back.
    let removed = control_delete(
        &root.join("configs"),
        "site-001",
        "/_sim/vds/vDS-Prod-Network/vlans/VLAN-1121",
    );
    assert_eq!(removed, 200);
    let single = cli(
        root,
        &[
            "check",
            "--plan",
            "plans/site-001.xlsx",
            "--config",
            "configs/site-001.toml",
        ],
    );
    let stdout = String::from_utf8_lossy(&single.stdout);
    assert_eq!(single.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("+ vlan VLAN-1121") && stdout.contains("missing on the cluster: 1121"),
        "{stdout}"
    );
    let fleet = cli(
        root,
        &[
            "check",
            "--plans",
            "plans",
            "--configs",
            "configs",
            "--json",
        ],
    );
    assert_eq!(fleet.status.code(), Some(3));
    let summary = json_of(&fleet);
    assert_eq!(
        statuses(&summary),
        vec![
            ("site-000".to_owned(), "in_sync".to_owned()),
            ("site-001".to_owned(), "drift".to_owned()),
            ("site-002".to_owned(), "in_sync".to_owned()),
        ]
    );
    assert_eq!(summary["clusters"][1]["detail"], "vlan VLAN-1121");

    sim.interrupt();
    let exit = sim.wait_exit(Duration::from_secs(30));
    assert!(exit.success(), "simulator exit status {exit:?}");
    let mut printed = String::new();
    if let Some(mut out) = sim.0.stdout.take() {
        let _ = out.read_to_string(&mut printed);
    }
    assert!(
        printed.contains("site-002  CN-Fleet-002  2 host(s)"),
        "{printed}"
    );
}

#[test]
fn the_worst_cluster_decides_the_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plans = dir.path().join("plans");
    smtx_testkit::write_fleet_workbooks(&plans, 2, 1, 1);
    std::fs::write(plans.join("broken.xlsx"), b"not a workbook").expect("written");
    // A dry run contacts nothing: the valid clusters end with the warning
    // that no VMTools ISO was given, the broken
    // workbook is bad input (2), and 2 is the fleet's exit code.
    let output = cli(
        dir.path(),
        &["run", "--plans", "plans", "--dry-run", "--json"],
    );
    assert_eq!(output.status.code(), Some(2));
    let summary = json_of(&output);
    assert_eq!(
        statuses(&summary),
        vec![
            ("broken".to_owned(), "bad_input".to_owned()),
            ("site-000".to_owned(), "warning".to_owned()),
            ("site-001".to_owned(), "warning".to_owned()),
        ]
    );
    let missing = cli(dir.path(), &["run", "--plans", "nowhere/*.xlsx"]);
    assert_eq!(missing.status.code(), Some(2));
}

#[test]
fn ctrl_c_stops_a_fleet_run_and_says_which_clusters_did_not_finish() {
    const COUNT: usize = 3;
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    smtx_testkit::write_fleet_workbooks(&root.join("plans"), COUNT, 1, 1);
    // Jobs of a minute: the first cluster is still under way at Ctrl-C.
    let _sim = start_fleet_sim(root, COUNT, &["--job-polls", "0", "--job-ms", "60000"]);
    let child = binary()
        .current_dir(root)
        .args([
            "run",
            "--plans",
            "plans",
            "--configs",
            "configs",
            "--parallel",
            "1",
            "--run-dir",
            "runs/fleet",
            "--json",
        ])
        .stdout(Stdio::piped())
        // A file, not a pipe: readable while the run goes on, to say why it
        // did not get under way.
        .stderr(std::fs::File::create(root.join("run.err")).expect("run.err"))
        .spawn()
        .expect("run starts");
    let mut run = Running(child);
    // Under way once the first cluster's context has been saved.
    let member = root.join("runs/fleet/site-000");
    let context = member.join("context.json");
    let began = smtx_testkit::poll_until_blocking(Duration::from_secs(60), || {
        if context.is_file() {
            return Some(Ok(()));
        }
        run.0.try_wait().ok().flatten().map(Err)
    });
    if !matches!(began, Some(Ok(()))) {
        let stderr = std::fs::read_to_string(root.join("run.err")).unwrap_or_default();
        let logs = std::fs::read_dir(member.join("logs"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n");
        panic!(
            "the first cluster did not get under way ({began:?}); stderr:\n{stderr}\nlogs:\n{logs}"
        );
    }
    let interrupted_at = Instant::now();
    run.interrupt();
    let exit = run.wait_exit(Duration::from_secs(30));
    assert!(
        interrupted_at.elapsed() < Duration::from_secs(20),
        "stopped at once, not after the jobs"
    );
    // As a single run's Ctrl-C: 130, each cluster under way recorded as
    // aborted by the engine (its report says where it stopped).
    assert_eq!(exit.code(), Some(130));
    let report = root.join("runs/fleet/site-000/report.json");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("the aborted cluster's report"))
            .expect("report.json parses");
    assert_eq!(report["status"], "aborted");
    let mut stdout = String::new();
    if let Some(mut out) = run.0.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    let summary: Value = serde_json::from_str(&stdout).expect("a summary even when interrupted");
    assert_eq!(summary["interrupted"], true);
    assert_eq!(
        statuses(&summary),
        vec![
            ("site-000".to_owned(), "aborted".to_owned()),
            ("site-001".to_owned(), "not_started".to_owned()),
            ("site-002".to_owned(), "not_started".to_owned()),
        ]
    );
    assert!(root.join("runs/fleet/fleet.json").is_file());
}

/// Issue 17: a fleet refuses what a single run refuses, member by member.
/// `--vmtools-iso` naming nothing makes every cluster bad input (exit 2),
/// each saying why, instead of runs that warn and exit 0; a settings file
/// naming a missing ISO makes its cluster alone bad input while the others
/// run.
#[test]
fn a_fleet_member_with_bad_input_is_refused_as_a_single_run_is() {
    const COUNT: usize = 2;
    let dir = tempfile::tempdir().expect("tempdir");
    smtx_testkit::write_fleet_workbooks(&dir.path().join("plans"), COUNT, 1, 1);
    let _sim = start_fleet_sim(dir.path(), COUNT, &[]);
    let missing = "/nonexistent/x.iso";
    let output = cli(
        dir.path(),
        &[
            "run",
            "--plans",
            "plans",
            "--configs",
            "configs",
            "--vmtools-iso",
            missing,
            "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let summary = json_of(&output);
    assert_eq!(summary["exit_code"], 2);
    assert_eq!(
        statuses(&summary),
        vec![
            ("site-000".to_owned(), "bad_input".to_owned()),
            ("site-001".to_owned(), "bad_input".to_owned()),
        ]
    );
    for cluster in summary["clusters"].as_array().into_iter().flatten() {
        let detail = cluster["detail"].as_str().unwrap_or_default();
        assert!(
            detail.starts_with(&format!("--vmtools-iso {missing}: ")),
            "{cluster}"
        );
        // Refused before the run: nothing was written in its directory.
        let run_dir = cluster["run_dir"].as_str().expect("a run directory");
        assert!(
            !dir.path().join(run_dir).join("report.json").exists(),
            "{run_dir}"
        );
    }
    // Each line on stderr says which cluster and why.
    for stem in ["site-000", "site-001"] {
        assert!(
            stderr.lines().any(|line| line.contains("bad input")
                && line.contains(stem)
                && line.contains(missing)),
            "{stem}: {stderr}"
        );
    }

    // The single run with the same flags says the same words.
    let single = cli(
        dir.path(),
        &[
            "run",
            "--plan",
            "plans/site-000.xlsx",
            "--config",
            "configs/site-000.toml",
            "--vmtools-iso",
            missing,
        ],
    );
    let said = String::from_utf8_lossy(&single.stderr).into_owned();
    assert_eq!(single.status.code(), Some(2), "{said}");
    let detail = summary["clusters"][0]["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(said.contains(detail), "{detail}\n{said}");

    // One cluster's settings file names the missing ISO: it alone is
    // refused, the other runs (a dry run: nothing is sent).
    let config = dir.path().join("configs/site-000.toml");
    let mut text = std::fs::read_to_string(&config).expect("settings");
    text.push_str(&format!("\n[vmtools]\niso = \"{missing}\"\n"));
    std::fs::write(&config, text).expect("written");
    let output = cli(
        dir.path(),
        &[
            "--lang",
            "zh-CN",
            "run",
            "--plans",
            "plans",
            "--configs",
            "configs",
            "--dry-run",
            "--json",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let summary = json_of(&output);
    let statuses = statuses(&summary);
    assert_eq!(
        statuses.first().map(|(_, status)| status.as_str()),
        Some("bad_input")
    );
    assert!(
        matches!(
            statuses.get(1).map(|(_, status)| status.as_str()),
            Some("ok" | "warning")
        ),
        "{statuses:?}"
    );
    let detail = summary["clusters"][0]["detail"]
        .as_str()
        .unwrap_or_default();
    assert!(
        detail.contains(missing) && detail.contains("检查路径"),
        "{detail}"
    );
}

/// `sim --plans` says what it does in the operator's language: each
/// cluster simulated, a workbook with errors skipped, the command to run
/// next, and the stop — in Chinese with `--lang zh-CN` before the command,
/// with no English word left (issue 17: its output was English only).
#[test]
fn a_simulated_fleet_speaks_chinese() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    smtx_testkit::write_fleet_workbooks(&root.join("plans"), 2, 2, 1);
    std::fs::write(root.join("plans/zz-broken.xlsx"), b"not a workbook").expect("broken");
    let err_path = root.join("sim.err");
    let child = binary()
        .args(["--lang", "zh-CN", "sim", "--plans"])
        .arg(root.join("plans"))
        .arg("--write-configs")
        .arg(root.join("configs"))
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("sim starts");
    let mut sim = Running(child);
    wait_for(
        "the simulator to say it runs",
        Duration::from_secs(60),
        || {
            std::fs::read_to_string(&err_path)
                .ok()
                .filter(|text| text.contains("按 Ctrl-C 停止"))
        },
    );
    sim.interrupt();
    let status = sim.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "{status:?}");
    let mut stdout = String::new();
    if let Some(mut out) = sim.0.stdout.take() {
        out.read_to_string(&mut stdout).expect("stdout");
    }
    let stderr = std::fs::read_to_string(&err_path).expect("stderr");
    assert_eq!(stdout.lines().count(), 2, "one line per cluster: {stdout}");
    assert!(
        stdout
            .lines()
            .all(|line| line.contains("台主机  控制端点") && line.contains("设置文件")),
        "{stdout}"
    );
    for expected in [
        "跳过 ",
        "zz-broken.xlsx",
        "提示：运行 `smtx-deploy run --plans",
        "正在模拟 2 个集群；按 Ctrl-C 停止。",
        "正在停止模拟集群。",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in {stderr}");
    }
    for text in [&stdout, &stderr] {
        for line in text.lines() {
            let words = smtx_i18n::untranslated_words(line);
            assert!(words.is_empty(), "{words:?} in {line:?}");
        }
    }
}
