//! `smtx-deploy run` and `demo` as a user runs them: the binary against the
//! simulator on loopback, reached through the settings file the simulator
//! writes. Checks exit codes, TLS behaviour, dry-run, and that no password
//! of the workbook ever reaches an output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{ClusterSpec, RunningSim, SimOptions};

pub(crate) fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"));
    command
        .env("NO_COLOR", "1")
        .env_remove("SMTX_LANG")
        .env("LANG", "C");
    command
}

pub(crate) struct Rehearsal {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) workbook: PathBuf,
    pub(crate) config: PathBuf,
    spec: WorkbookSpec,
    pub(crate) sim: RunningSim,
}

/// A fixture workbook, a simulator for it, and the settings file it writes.
async fn rehearsal(hosts: usize) -> Rehearsal {
    rehearsal_with(WorkbookSpec::example(hosts), SimOptions::default()).await
}

pub(crate) async fn rehearsal_with(spec: WorkbookSpec, options: SimOptions) -> Rehearsal {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("workbook.xlsx");
    spec.write_to(&workbook).expect("fixture written");
    let bytes = std::fs::read(&workbook).expect("read back");
    let parsed = smtx_plan::parse_workbook(&bytes, "workbook.xlsx").expect("parses");
    let sim = smtx_sim::start(ClusterSpec::from_plan(&parsed.plan, 11), options)
        .await
        .expect("simulator starts");
    let ca = dir.path().join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_cert_pem().expect("https by default")).expect("ca written");
    let config = dir.path().join("sim.toml");
    let mut text = sim.settings_toml(Some(&ca), Some(&dir.path().join("sim.known_hosts")));
    // A configured fallback token is a secret too: it must not leak either.
    text = text.replacen(
        "[api]",
        "[api]\ntoken = \"0123456789abcdef-fallback-token\"",
        1,
    );
    std::fs::write(&config, text).expect("config written");
    Rehearsal {
        dir,
        workbook,
        config,
        spec,
        sim,
    }
}

pub(crate) async fn run_cli(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || binary().args(args).output().expect("binary runs"))
        .await
        .expect("join")
}

pub(crate) fn secrets_of(spec: &WorkbookSpec) -> Vec<String> {
    let mut secrets = vec![
        spec.fisheye_password.clone(),
        "0123456789abcdef-fallback-token".to_string(),
    ];
    for host in &spec.hosts {
        secrets.push(host.bmc_password.clone());
        secrets.push(host.ssh_password.clone());
        secrets.push(host.root_password.clone());
    }
    // A leak into JSON would be escaped: look for that form too.
    let escaped: Vec<String> = secrets
        .iter()
        .filter_map(|s| serde_json::to_string(s).ok())
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    secrets.extend(escaped);
    secrets.retain(|s| s.len() >= 4);
    secrets.sort();
    secrets.dedup();
    secrets
}

/// Every file under `dir` (recursively), as text.
pub(crate) fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else if path.extension().is_some_and(|e| e != "xlsx" && e != "iso") {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}

pub(crate) fn assert_no_secret(secrets: &[String], what: &str, text: &str) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "a secret of the workbook leaked into {what}"
        );
    }
    // Session tokens are 32 lower-case hex characters standing alone (UUIDs
    // have dashes, SHA-256 sums are 64 long): none may appear either.
    let bytes = text.as_bytes();
    let is_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    let mut run = 0usize;
    for (i, b) in bytes
        .iter()
        .copied()
        .chain(std::iter::once(b' '))
        .enumerate()
    {
        if is_hex(b) {
            run += 1;
            continue;
        }
        let alone = run == 32
            && (i < 33 || !bytes[i - 33].is_ascii_alphanumeric())
            && !b.is_ascii_alphanumeric();
        assert!(!alone, "a session token leaked into {what}");
        run = 0;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn run_configures_the_simulator_and_leaks_no_secret() {
    let r = rehearsal(3).await;
    let secrets = secrets_of(&r.spec);
    assert!(secrets.len() >= 3, "the fixture has passwords to look for");
    let run_dir = r.dir.path().join("runs/first");
    let iso = r.dir.path().join("SMTX_VMTOOLS-3.2.0-2501210639.iso");
    std::fs::write(&iso, vec![7u8; 3 * 1024 * 1024 + 5]).expect("iso written");
    let mut outputs = Vec::new();

    for extra in [
        vec![],
        vec!["--json".to_string()],
        vec!["--dry-run".to_string()],
    ] {
        let mut args = vec![
            "run".to_string(),
            "--plan".into(),
            r.workbook.display().to_string(),
            "--config".into(),
            r.config.display().to_string(),
            "--run-dir".into(),
            run_dir.display().to_string(),
            "--vmtools-iso".into(),
            iso.display().to_string(),
        ];
        args.extend(extra.clone());
        let output = run_cli(args).await;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(0),
            "run {extra:?} failed:\n{stdout}\n{stderr}"
        );
        outputs.push((format!("stdout of run {extra:?}"), stdout));
        outputs.push((format!("stderr of run {extra:?}"), stderr));
    }
    let (_, human) = &outputs[0];
    assert!(
        human.contains("Set DNS"),
        "the table lists the steps: {human}"
    );
    let (_, json) = &outputs[2];
    let report: serde_json::Value = serde_json::from_str(json).expect("--json prints JSON");
    assert_eq!(report["status"], "ok", "second run ends ok: {report:#}");
    let (_, dry) = &outputs[4];
    assert!(
        dry.contains("PUT https://"),
        "dry run lists the calls: {dry}"
    );
    assert!(
        dry.contains("\"***\""),
        "dry run shows redacted payloads: {dry}"
    );

    // The drift check reads the same passwords (it logs in, tries SSH):
    // neither its table nor its JSON may show one.
    for extra in [vec![], vec!["--json".to_string()]] {
        let mut args = vec![
            "check".to_string(),
            "--plan".into(),
            r.workbook.display().to_string(),
            "--config".into(),
            r.config.display().to_string(),
        ];
        args.extend(extra.clone());
        let output = run_cli(args).await;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(0),
            "check {extra:?} right after the run:\n{stdout}\n{stderr}"
        );
        outputs.push((format!("stdout of check {extra:?}"), stdout));
        outputs.push((format!("stderr of check {extra:?}"), stderr));
    }
    for (what, text) in &outputs {
        assert_no_secret(&secrets, what, text);
    }
    // Everything the runs wrote (the input settings file holds the token on purpose).
    let files = files_under(&r.dir.path().join("runs"));
    assert!(
        files.iter().any(|(p, _)| p.ends_with("context.json")),
        "the run wrote context.json"
    );
    assert!(
        files
            .iter()
            .any(|(p, _)| p.ends_with("logs/stage_config_cluster.log")),
        "the run wrote the stage log"
    );
    for (path, text) in &files {
        assert_no_secret(&secrets, &path.display().to_string(), text);
    }
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn https_is_verified_unless_told_otherwise() {
    let r = rehearsal(1).await;
    let node = &r.sim.nodes()[0];
    let base = |extra: &[&str]| {
        let mut args = vec![
            "run".to_string(),
            "--plan".into(),
            r.workbook.display().to_string(),
            "--stages".into(),
            "prepare".into(),
            "--resolve".into(),
            format!("{}={}", node.workbook_ip, node.http),
            "--run-dir".into(),
            r.dir
                .path()
                .join(format!("run-{}", extra.len()))
                .display()
                .to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    // No CA given: the simulator's self-signed chain is refused, clearly.
    let output = run_cli(base(&[])).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "untrusted TLS fails the run");
    assert!(
        stderr.contains("--ca-cert") && stderr.contains("--insecure"),
        "the message says what to do: {stderr}"
    );
    let ca = r.dir.path().join("sim-ca.pem");
    let ca = ca.display().to_string();
    for extra in [vec!["--ca-cert", ca.as_str()], vec!["--insecure", "--json"]] {
        let output = run_cli(base(&extra)).await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{extra:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn workbook_errors_exit_2_and_name_the_cell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = WorkbookSpec::example(2);
    spec.hosts[0].management_ip = "10.0.20.300".to_string();
    let workbook = dir.path().join("bad.xlsx");
    spec.write_to(&workbook).expect("fixture written");
    let output = run_cli(vec![
        "run".into(),
        "--plan".into(),
        workbook.display().to_string(),
        "--api-base".into(),
        "https://127.0.0.1:9".into(),
    ])
    .await;
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("主机规划!I3"), "names the cell: {stderr}");
    assert!(stderr.contains("10.0.20.300"), "quotes the value: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_runs_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = run_cli(vec![
        "demo".into(),
        "--dir".into(),
        dir.path().display().to_string(),
        "--iso-mib".into(),
        "3".into(),
        "--json".into(),
    ])
    .await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "demo failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    assert_eq!(report["status"], "ok", "{report:#}");
    assert!(report["serial"].as_str().is_some_and(|s| !s.is_empty()));
    assert!(dir.path().join("run/context.json").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_in_chinese() {
    let r = rehearsal(1).await;
    let mut args = vec![
        "run".to_string(),
        "--plan".into(),
        r.workbook.display().to_string(),
        "--config".into(),
        r.config.display().to_string(),
        "--run-dir".into(),
        r.dir.path().join("runs/zh").display().to_string(),
    ];
    args.extend(["--lang".to_string(), "zh-CN".to_string()]);
    let output = run_cli(args).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("阶段") && stdout.contains("成功"),
        "{stdout}"
    );
    assert!(stdout.contains("运行目录"), "{stdout}");
    // The locale picks the language when no flag does.
    let mut command = binary();
    let dry_dir = r.dir.path().join("runs/zh-dry").display().to_string();
    command.env("LANG", "zh_CN.UTF-8").args([
        "run",
        "--plan",
        &r.workbook.display().to_string(),
        "--config",
        &r.config.display().to_string(),
        "--dry-run",
        "--run-dir",
        &dry_dir,
    ]);
    let output = tokio::task::spawn_blocking(move || command.output().expect("runs"))
        .await
        .expect("join");
    assert!(String::from_utf8_lossy(&output.stdout).contains("试运行"));
    r.sim.shutdown().await;
}

impl Rehearsal {
    /// `run --plan W --config C --run-dir runs/NAME` plus `extra`, from the
    /// rehearsal's directory (so no stray ISO is picked up).
    pub(crate) async fn run(&self, name: &str, extra: &[&str]) -> (Option<i32>, String, String) {
        self.run_with_config(&self.config, name, extra).await
    }

    pub(crate) async fn run_with_config(
        &self,
        config: &Path,
        name: &str,
        extra: &[&str],
    ) -> (Option<i32>, String, String) {
        let mut command = binary();
        command.current_dir(self.dir.path()).args([
            "run",
            "--plan",
            &self.workbook.display().to_string(),
            "--config",
            &config.display().to_string(),
            "--run-dir",
            &self.run_dir(name).display().to_string(),
        ]);
        command.args(extra);
        let output = tokio::task::spawn_blocking(move || command.output().expect("runs"))
            .await
            .expect("join");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    pub(crate) fn run_dir(&self, name: &str) -> PathBuf {
        self.dir.path().join("runs").join(name)
    }

    /// The same settings as a site's file would have: not a rehearsal.
    fn live_config(&self) -> PathBuf {
        let text = std::fs::read_to_string(&self.config).expect("config");
        assert!(text.contains("rehearsal = true"), "{text}");
        let live = self.dir.path().join("site.toml");
        std::fs::write(&live, text.replace("rehearsal = true\n", "")).expect("written");
        live
    }

    fn calls(&self) -> usize {
        self.sim.state()["calls"].as_array().map_or(0, Vec::len)
    }
}

/// `done: 14 ok, 2 warnings, 1 skipped`: the number of ok steps varies with
/// the workbook, the rest is exact.
fn summary_with(stdout: &str, rest: &str) -> bool {
    stdout.lines().any(|line| {
        line.strip_prefix("summary: done: ")
            .and_then(|tail| tail.split_once(" ok"))
            .is_some_and(|(ok, tail)| ok.parse::<usize>().is_ok() && tail == rest)
    })
}

/// The step table's rows are as wide as its header (columns padded to the
/// widest label, CJK counting two): "cluster configuration" once stood out.
fn step_table_lines_up(stdout: &str, header: &str) {
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|line| !line.starts_with(header))
        .take_while(|line| !line.trim().is_empty())
        .collect();
    assert!(table.len() > 10, "a step table: {stdout}");
    let widths: Vec<usize> = table
        .iter()
        .map(|line| smtx_i18n::display_width(line))
        .collect();
    assert!(
        widths.iter().all(|width| *width == widths[0]),
        "rows line up with the header: {widths:?}\n{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_summary_counts_warnings_and_skips() {
    let r = rehearsal(2).await;
    // Host passwords planned but turned off: a warning. No ISO: a warning
    // too (issue 18: a site left without VMTools is not "done").
    let (code, stdout, stderr) = r.run("counts", &["--no-host-passwords"]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(summary_with(&stdout, ", 2 warnings"), "{stdout}");
    assert!(!stdout.contains("every step ok"), "{stdout}");
    step_table_lines_up(&stdout, "stage ");
    // Again, in Chinese: setupRoot is now done (a skip too).
    let (code, stdout, _) = r
        .run("counts-zh", &["--no-host-passwords", "--lang", "zh-CN"])
        .await;
    assert_eq!(code, Some(0));
    step_table_lines_up(&stdout, "阶段");
    assert!(
        stdout.lines().any(|l| l.starts_with("汇总：完成：成功 ")
            && l.ends_with(" 项，警告 2 项，跳过 1 项")),
        "{stdout}"
    );
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_says_would_and_changes_nothing() {
    let r = rehearsal(2).await;
    let original = std::fs::read(&r.workbook).expect("workbook");
    let (code, stdout, stderr) = r.run("dry", &["--dry-run"]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("target: https://10.0.20.11 (via 127.0.0.1:")
            && stderr.contains("dry run, nothing is sent"),
        "{stderr}"
    );
    for line in stderr.lines().filter(|l| l.starts_with("  [ok]")) {
        if line.contains(" Workbook ") {
            continue;
        }
        assert!(line.contains("would"), "reads like a real run: {line}");
        assert!(!line.contains("00000000-0000"), "a made-up id: {line}");
    }
    let summary = stdout
        .lines()
        .find(|l| l.starts_with("summary: "))
        .unwrap_or_default();
    assert!(
        summary.starts_with("summary: dry run: nothing was changed; ")
            && summary.contains(" call(s) planned"),
        "{stdout}"
    );
    let planned = stdout
        .lines()
        .skip_while(|l| !l.starts_with("dry run: calls that would be made"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .count();
    assert!(
        summary.contains(&format!("; {planned} call(s) planned")),
        "{planned} calls listed: {stdout}"
    );
    assert!(!stdout.contains("done:"), "{stdout}");
    assert_eq!(r.calls(), 0, "nothing sent");
    assert_eq!(std::fs::read(&r.workbook).expect("workbook"), original);
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn from_another_clusters_run_is_refused() {
    let r = rehearsal(2).await;
    let (code, stdout, stderr) = r.run("prepare", &["--stages", "prepare"]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let earlier = r.run_dir("prepare").display().to_string();
    // Its own earlier run is fine.
    let (code, stdout, stderr) = r
        .run("own", &["--stages", "config_cluster", "--from", &earlier])
        .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let calls = r.calls();

    // Another cluster's workbook (other name; other host addresses).
    let mut renamed = WorkbookSpec::example(2);
    renamed.cluster_name = "CN-SH-SMTX-Edge-07".to_string();
    let mut moved = WorkbookSpec::example(2);
    moved.hosts[1].management_ip = "10.0.20.99".to_string();
    for (spec, says) in [(renamed, "CN-SH-SMTX-Edge-07"), (moved, "10.0.20.99")] {
        let other = r.dir.path().join("other.xlsx");
        spec.write_to(&other).expect("written");
        let output = run_cli(vec![
            "run".into(),
            "--plan".into(),
            other.display().to_string(),
            "--config".into(),
            r.config.display().to_string(),
            "--stages".into(),
            "config_cluster".into(),
            "--from".into(),
            earlier.clone(),
            "--run-dir".into(),
            r.run_dir("other").display().to_string(),
        ])
        .await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("--from") && stderr.contains(says),
            "{stderr}"
        );
    }
    // A rehearsal's run reused for a live run: refused too.
    let live = r.live_config();
    let (code, _, stderr) = r
        .run_with_config(
            &live,
            "live",
            &["--stages", "config_cluster", "--from", &earlier],
        )
        .await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("rehearsal"), "{stderr}");
    assert_eq!(r.calls(), calls, "nothing sent for a refused --from");
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_vmtools_iso_is_bad_input_before_anything_is_sent() {
    let r = rehearsal(1).await;
    let (code, _, stderr) = r.run("iso", &["--vmtools-iso", "nope.iso"]).await;
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("nope.iso"), "{stderr}");
    assert_eq!(r.calls(), 0);
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_run_says_so_and_keeps_another_serial() {
    let earlier = "11111111-2222-4333-8444-555555555555";
    let mut spec = WorkbookSpec::example(1);
    spec.serial = earlier.to_string();
    let r = rehearsal_with(spec, SimOptions::default()).await;
    let original = std::fs::read(&r.workbook).expect("workbook");
    let live = r.live_config();
    let (code, stdout, stderr) = r.run_with_config(&live, "live", &[]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("— live cluster"), "{stderr}");
    // The serial kept and no VMTools ISO.
    assert!(summary_with(&stdout, ", 2 warnings"), "{stdout}");
    assert!(
        stderr.contains(&format!("already holds serial {earlier}"))
            && stderr.contains("--force-serial"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&r.workbook).expect("workbook"), original);

    // --force-serial replaces it, in the workbook itself (a live run).
    let (code, stdout, stderr) = r
        .run_with_config(&live, "forced", &["--force-serial"])
        .await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let bytes = std::fs::read(&r.workbook).expect("workbook");
    let plan = smtx_plan::parse_workbook(&bytes, "workbook.xlsx").expect("parses");
    assert_eq!(
        plan.plan.cluster.serial.as_deref(),
        r.sim.state()["cluster"]["serial"].as_str()
    );
    r.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_prepare_names_the_log_it_wrote() {
    let options = SimOptions {
        scenario: smtx_sim::Scenario {
            faults: vec![smtx_sim::Fault::NotDeployed],
        },
        ..SimOptions::default()
    };
    let r = rehearsal_with(WorkbookSpec::example(1), options).await;
    let (code, stdout, stderr) = r.run("failed", &[]).await;
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    let log = r.run_dir("failed").join("logs/stage_prepare.log");
    assert!(log.is_file());
    assert!(
        stdout.contains(&format!(
            "hint: see the failed step above and {}",
            log.display()
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("stage_config_cluster.log"), "{stdout}");
    assert!(summary_with_failed(&stdout), "{stdout}");
    r.sim.shutdown().await;
}

fn summary_with_failed(stdout: &str) -> bool {
    stdout
        .lines()
        .any(|l| l.starts_with("summary: failed: ") && l.ends_with(", 1 failed"))
}

/// Issue 8, done when: a 存储独立 workbook with no business-VDS row and three
/// business networks, run against the simulator, leaves those three VLANs on
/// the management VDS, no new VDS, exit 0; a re-run creates nothing.
#[tokio::test(flavor = "multi_thread")]
async fn storage_separate_puts_the_networks_on_the_management_vds() {
    let r = rehearsal_with(WorkbookSpec::storage_separate(3), SimOptions::default()).await;
    let (code, stdout, stderr) = r.run("first", &[]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let vlans_on_management = |state: &serde_json::Value| -> Vec<u64> {
        let vdses = state["vdses"].as_array().cloned().unwrap_or_default();
        assert_eq!(vdses.len(), 2, "no new VDS: {vdses:#?}");
        let mut ids: Vec<u64> = vdses
            .iter()
            .find(|v| v["name"] == "vDS-MgMt-Network")
            .and_then(|v| v["vlans"].as_array())
            .map(|vlans| vlans.iter().filter_map(|v| v["vlan_id"].as_u64()).collect())
            .unwrap_or_default();
        ids.sort_unstable();
        ids
    };
    let state = r.sim.state();
    assert_eq!(vlans_on_management(&state), [1120, 1121, 1122]);
    let posts = |state: &serde_json::Value| {
        state["calls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .filter(|c| {
                        c["method"] == "POST"
                            && c["path"]
                                .as_str()
                                .is_some_and(|p| p.starts_with("/api/v2/network/vds"))
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    let before = posts(&state);
    assert_eq!(before, 3, "three VLAN posts, no VDS post");

    let (code, stdout, stderr) = r.run("again", &[]).await;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    let after = r.sim.state();
    assert_eq!(posts(&after), before, "a re-run creates nothing");
    assert_eq!(vlans_on_management(&after), [1120, 1121, 1122]);
    r.sim.shutdown().await;
}
