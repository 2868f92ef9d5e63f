//! `smtx-deploy run` and `demo` as a user runs them: the binary against the
//! simulator on loopback, reached through the settings file the simulator
//! writes. Checks exit codes, TLS behaviour, dry-run, and that no password
//! of the workbook ever reaches an output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{ClusterSpec, RunningSim, SimOptions};

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"));
    command
        .env("NO_COLOR", "1")
        .env_remove("SMTX_LANG")
        .env("LANG", "C");
    command
}

struct Rehearsal {
    dir: tempfile::TempDir,
    workbook: PathBuf,
    config: PathBuf,
    spec: WorkbookSpec,
    sim: RunningSim,
}

/// A fixture workbook, a simulator for it, and the settings file it writes.
async fn rehearsal(hosts: usize) -> Rehearsal {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = WorkbookSpec::example(hosts);
    let workbook = dir.path().join("workbook.xlsx");
    spec.write_to(&workbook).expect("fixture written");
    let bytes = std::fs::read(&workbook).expect("read back");
    let parsed = smtx_plan::parse_workbook(&bytes, "workbook.xlsx").expect("parses");
    let sim = smtx_sim::start(
        ClusterSpec::from_plan(&parsed.plan, 11),
        SimOptions::default(),
    )
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

async fn run_cli(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || binary().args(args).output().expect("binary runs"))
        .await
        .expect("join")
}

fn secrets_of(spec: &WorkbookSpec) -> Vec<String> {
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
fn files_under(dir: &Path) -> Vec<(PathBuf, String)> {
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

fn assert_no_secret(secrets: &[String], what: &str, text: &str) {
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
        human.contains("set_dns"),
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
    assert!(String::from_utf8_lossy(&output.stdout).contains("演练模式"));
    r.sim.shutdown().await;
}
