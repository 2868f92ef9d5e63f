//! What an engineer meets on site, through the binary: TLS through
//! `--resolve` checks the workbook address; `--insecure` and a CA do not
//! mix; a rehearsal's SSH pins never meet the site's; a VIP another device
//! answers on is left alone unless `--allow-active-vip`.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{ClusterSpec, Fault, RunningSim, Scenario, SimOptions};

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"));
    command
        .env("NO_COLOR", "1")
        .env_remove("SMTX_LANG")
        .env_remove("SMTX_INSECURE")
        .env_remove("SMTX_CA_CERT")
        .env("LANG", "C");
    command
}

/// Environment variables for one run.
type Env = Vec<(&'static str, String)>;

/// Runs the binary in `dir` (the engineer's working directory).
async fn run_in(dir: &Path, args: Vec<String>, env: Env) -> Output {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        binary()
            .current_dir(dir)
            .envs(env)
            .args(args)
            .output()
            .expect("binary runs")
    })
    .await
    .expect("join")
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn workbook(dir: &Path, hosts: usize) -> (PathBuf, smtx_plan::Plan) {
    let path = dir.join("workbook.xlsx");
    WorkbookSpec::example(hosts)
        .write_to(&path)
        .expect("fixture written");
    let bytes = std::fs::read(&path).expect("read back");
    let plan = smtx_plan::parse_workbook(&bytes, "workbook.xlsx")
        .expect("parses")
        .plan;
    (path, plan)
}

async fn start(spec: ClusterSpec, faults: Vec<Fault>) -> RunningSim {
    smtx_sim::start(
        spec,
        SimOptions {
            scenario: Scenario { faults },
            ..SimOptions::default()
        },
    )
    .await
    .expect("simulator starts")
}

/// The flags a site run would give to reach `sim` (no settings file): every
/// workbook address mapped, the cluster's CA in `ca`.
fn site_flags(sim: &RunningSim, ca: &Path) -> Vec<String> {
    std::fs::write(ca, sim.ca_cert_pem().expect("https")).expect("CA written");
    let mut flags = vec!["--ca-cert".to_string(), ca.display().to_string()];
    let vip = sim
        .vip()
        .into_iter()
        .map(|v| (v.workbook_ip, v.http, v.ssh));
    let nodes = sim.nodes().iter().map(|n| (n.workbook_ip, n.http, n.ssh));
    for (ip, http, ssh) in nodes.chain(vip) {
        flags.extend(["--resolve".to_string(), format!("{ip}={http}")]);
        if let Some(ssh) = ssh {
            flags.extend(["--ssh-resolve".to_string(), format!("{ip}={ssh}")]);
        }
    }
    flags
}

fn run_args(extra: &[String]) -> Vec<String> {
    let mut args = vec![
        "run".to_string(),
        "--plan".to_string(),
        "workbook.xlsx".to_string(),
    ];
    args.extend(extra.iter().cloned());
    args
}

#[tokio::test(flavor = "multi_thread")]
async fn resolve_checks_the_certificate_for_the_workbook_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, plan) = workbook(dir.path(), 1);
    // The certificate names 10.0.20.11 (and the VIP) only: through
    // --resolve to 127.0.0.1 it is accepted with its CA, refused without.
    let sim = start(ClusterSpec::from_plan(&plan, 3), vec![]).await;
    let flags = site_flags(&sim, &dir.path().join("ca.pem"));
    let prepare = ["--stages".to_string(), "prepare".to_string()];
    let with_ca = run_in(
        dir.path(),
        run_args(&[&prepare[..], &flags].concat()),
        vec![],
    )
    .await;
    assert_eq!(with_ca.status.code(), Some(0), "{}", text(&with_ca));
    let without: Vec<String> = flags
        .iter()
        .filter(|f| !f.ends_with("ca.pem") && *f != "--ca-cert")
        .cloned()
        .collect();
    let no_ca = run_in(
        dir.path(),
        run_args(&[&prepare[..], &without].concat()),
        vec![],
    )
    .await;
    assert_eq!(no_ca.status.code(), Some(1), "{}", text(&no_ca));
    assert!(text(&no_ca).contains("--ca-cert"), "{}", text(&no_ca));
    sim.shutdown().await;

    // A certificate for the override's address alone (127.0.0.1) does not
    // name the workbook's: refused, even with its CA.
    let mut spec = ClusterSpec::from_plan(&plan, 3);
    spec.hosts[0].management_ip = Ipv4Addr::LOCALHOST;
    spec.vip = None;
    let loopback = start(spec, vec![]).await;
    let ca = dir.path().join("loopback-ca.pem");
    std::fs::write(&ca, loopback.ca_cert_pem().expect("https")).expect("CA written");
    let args = [
        &prepare[..],
        &[
            "--ca-cert".to_string(),
            ca.display().to_string(),
            "--resolve".to_string(),
            format!(
                "{}={}",
                plan.hosts[0].management_ip,
                loopback.nodes()[0].http
            ),
        ],
    ]
    .concat();
    let refused = run_in(dir.path(), run_args(&args), vec![]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("not valid for name \"10.0.20.11\""),
        "{}",
        text(&refused)
    );
    loopback.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn insecure_with_a_ca_from_any_source_is_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    workbook(dir.path(), 1);
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not read before the check").expect("written");
    let file = |body: &str| {
        let path = dir.path().join(format!("s{}.toml", body.len()));
        std::fs::write(&path, format!("[api]\n{body}\n")).expect("written");
        vec!["--config".to_string(), path.display().to_string()]
    };
    let ca_flag = vec!["--ca-cert".to_string(), ca.display().to_string()];
    let insecure_flag = vec!["--insecure".to_string()];
    let ca_env = ("SMTX_CA_CERT", ca.display().to_string());
    let insecure_env = ("SMTX_INSECURE", "true".to_string());
    let cases: Vec<(Vec<String>, Env)> = vec![
        ([&insecure_flag[..], &ca_flag].concat(), vec![]),
        (insecure_flag.clone(), vec![ca_env.clone()]),
        (ca_flag.clone(), vec![insecure_env.clone()]),
        (vec![], vec![insecure_env.clone(), ca_env.clone()]),
        (
            [&insecure_flag[..], &file("ca_cert = \"ca.pem\"")].concat(),
            vec![],
        ),
        ([&ca_flag[..], &file("insecure = true")].concat(), vec![]),
        (file("insecure = true\nca_cert = \"ca.pem\""), vec![]),
        (file("insecure = true"), vec![ca_env.clone()]),
    ];
    for (flags, env) in cases {
        let mut args = flags.clone();
        args.push("--dry-run".to_string());
        let output = run_in(dir.path(), run_args(&args), env.clone()).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{flags:?} {env:?}: {}",
            text(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("insecure") && stderr.contains("CA certificate"),
            "{flags:?} {env:?}: {stderr}"
        );
    }

    // insecure alone: one warning line saying what is no longer checked.
    for (flags, env) in [
        (insecure_flag.clone(), vec![]),
        (vec![], vec![insecure_env.clone()]),
        (file("insecure = true"), vec![]),
    ] {
        let mut args = flags.clone();
        args.push("--dry-run".to_string());
        let output = run_in(dir.path(), run_args(&args), env).await;
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        let warnings: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("TLS verification is off"))
            .collect();
        assert_eq!(warnings.len(), 1, "{flags:?}: {stderr}");
        assert!(
            warnings[0].starts_with("warning: ") && warnings[0].contains("certificate"),
            "{}",
            warnings[0]
        );
    }
}

/// Stops a `smtx-deploy sim` child even when an assertion fails first.
struct SimProcess(Child);

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every `--accept-changed-host-key IP` the output hints at.
fn hinted_acceptances(output: &str) -> Vec<String> {
    let mut flags = Vec::new();
    // Other hints (a serial kept in the workbook, say) may name other flags.
    for line in output
        .lines()
        .filter(|line| line.contains("hint:") && line.contains("--accept-changed-host-key"))
    {
        let mut words = line.split_whitespace();
        while let Some(word) = words.next() {
            if word.starts_with("--") {
                let flag = word.trim_end_matches([',', ';', ')']).to_string();
                assert_eq!(
                    flag, "--accept-changed-host-key",
                    "the only flag a host-key hint names: {line}"
                );
                let value = words.next().unwrap_or_default();
                flags.push(flag);
                flags.push(value.trim_end_matches([',', ';', ')']).to_string());
            }
        }
    }
    flags
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rehearsal_then_the_site_from_the_same_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, plan) = workbook(dir.path(), 2);

    // The rehearsal: `sim --write-config`, then `run --config`, default run
    // directories (runs/...), from this directory.
    let child = binary()
        .current_dir(dir.path())
        .args([
            "sim",
            "--plan",
            "workbook.xlsx",
            "--write-config",
            "sim.toml",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sim starts");
    let sim = SimProcess(child);
    let settings = dir.path().join("sim.toml");
    smtx_testkit::poll_until_blocking(Duration::from_secs(30), || {
        std::fs::read_to_string(&settings)
            .is_ok_and(|t| t.contains("[ssh]"))
            .then_some(())
    })
    .expect("no settings file");
    let written = std::fs::read_to_string(&settings).expect("settings");
    assert!(written.contains("known_hosts"), "{written}");
    let rehearsal = run_in(
        dir.path(),
        run_args(&["--config".to_string(), "sim.toml".to_string()]),
        vec![],
    )
    .await;
    assert_eq!(rehearsal.status.code(), Some(0), "{}", text(&rehearsal));
    drop(sim);
    let rehearsal_pins = dir.path().join("sim.known_hosts");
    let pinned = std::fs::read_to_string(&rehearsal_pins).expect("the rehearsal pinned its keys");
    assert_eq!(pinned.lines().count(), 2, "{pinned}");
    assert!(!dir.path().join("runs/known_hosts").exists());

    // The site: the same workbook addresses, other host keys, no settings file.
    let site = start(ClusterSpec::from_plan(&plan, 2), vec![]).await;
    let flags = site_flags(&site, &dir.path().join("site-ca.pem"));
    let first = run_in(dir.path(), run_args(&flags), vec![]).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let site_pins = std::fs::read_to_string(dir.path().join("runs/known_hosts"))
        .expect("the site's pins beside its run directories");
    assert_eq!(site_pins.lines().count(), 2, "{site_pins}");
    assert_ne!(site_pins, pinned);
    site.shutdown().await;

    // The same site answering with other keys (reinstalled, or not the
    // same machines): still refused.
    let reinstalled = start(ClusterSpec::from_plan(&plan, 5), vec![]).await;
    let flags = site_flags(&reinstalled, &dir.path().join("site-ca.pem"));
    let refused = run_in(dir.path(), run_args(&flags), vec![]).await;
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let output = text(&refused);
    assert!(output.contains("host key changed"), "{output}");
    assert_eq!(
        reinstalled.state()["hosts"][0]["passwords_rotated"]["smartx"],
        false,
        "no password sent to a host whose key changed"
    );
    // Each hint names a flag `run` takes: run again with exactly those.
    let accept = hinted_acceptances(&output);
    assert_eq!(
        accept,
        [
            "--accept-changed-host-key",
            "10.0.20.11",
            "--accept-changed-host-key",
            "10.0.20.12"
        ],
        "{output}"
    );
    let accepted = run_in(
        dir.path(),
        run_args(&[&flags[..], &accept].concat()),
        vec![],
    )
    .await;
    assert_eq!(accepted.status.code(), Some(0), "{}", text(&accepted));
    assert_eq!(
        std::fs::read_to_string(&rehearsal_pins).expect("still there"),
        pinned,
        "site runs leave the rehearsal's pins alone"
    );
    reinstalled.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_changed_host_key_can_be_accepted_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, plan) = workbook(dir.path(), 2);
    let first = start(ClusterSpec::from_plan(&plan, 2), vec![]).await;
    let flags = site_flags(&first, &dir.path().join("ca.pem"));
    let pins = ["--ssh-known-hosts".to_string(), "pins".to_string()];
    let output = run_in(dir.path(), run_args(&[&flags[..], &pins].concat()), vec![]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        dir.path().join("pins").is_file(),
        "--ssh-known-hosts is used"
    );
    first.shutdown().await;

    let other = start(ClusterSpec::from_plan(&plan, 9), vec![]).await;
    let flags = site_flags(&other, &dir.path().join("ca.pem"));
    let one = [
        "--accept-changed-host-key".to_string(),
        plan.hosts[0].management_ip.to_string(),
    ];
    let output = run_in(
        dir.path(),
        run_args(&[&flags[..], &pins, &one].concat()),
        vec![],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let state = other.state();
    assert_eq!(state["hosts"][0]["passwords_rotated"]["smartx"], true);
    assert_eq!(
        state["hosts"][1]["passwords_rotated"]["smartx"], false,
        "the other host's changed key is still refused"
    );
    let bad = run_in(
        dir.path(),
        run_args(&[
            "--accept-changed-host-key".to_string(),
            "node-01".to_string(),
        ]),
        vec![],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2), "an IP is expected");
    other.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_vip_in_use_is_a_warning_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, plan) = workbook(dir.path(), 1);
    let vip = plan.cluster.vip.expect("the fixture has a VIP").to_string();
    let sim = start(ClusterSpec::from_plan(&plan, 4), vec![Fault::VipInUse]).await;
    let ca = dir.path().join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_cert_pem().expect("https")).expect("CA written");
    std::fs::write(
        dir.path().join("sim.toml"),
        sim.settings_toml(Some(&ca), Some(&dir.path().join("sim.known_hosts"))),
    )
    .expect("settings written");
    let config = ["--config".to_string(), "sim.toml".to_string()];
    let json = ["--json".to_string()];
    let puts = |sim: &RunningSim| {
        sim.state()["calls"]
            .as_array()
            .map(|calls| {
                calls
                    .iter()
                    .filter(|c| c["method"] == "PUT" && c["path"] == "/api/v2/settings/vip")
                    .count()
            })
            .unwrap_or(0)
    };

    let output = run_in(dir.path(), run_args(&[&config[..], &json].concat()), vec![]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let set_vip = report["stages"][1]["steps"]
        .as_array()
        .and_then(|steps| steps.iter().find(|s| s["action"] == "set_vip"))
        .cloned()
        .expect("a set_vip step");
    assert_eq!(set_vip["status"], "warning", "{set_vip:#}");
    assert!(
        set_vip["error"].as_str().is_some_and(|e| e.contains(&vip)),
        "{set_vip:#}"
    );
    assert_eq!(puts(&sim), 0, "nothing sent");

    let allow = ["--allow-active-vip".to_string()];
    let output = run_in(
        dir.path(),
        run_args(&[&config[..], &allow].concat()),
        vec![],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert_eq!(puts(&sim), 1, "--allow-active-vip sends it");
    assert_eq!(sim.state()["cluster"]["vip"], vip.as_str());
    sim.shutdown().await;
}

/// A CA file that holds no certificate (a key, an empty file, the wrong
/// download) is bad input before any call, in both languages; nothing is
/// sent (the override points at a port nobody listens on, so a call would
/// be a run failure, exit 1, instead).
#[tokio::test(flavor = "multi_thread")]
async fn a_ca_file_without_a_certificate_is_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    workbook(dir.path(), 1);
    let ca = dir.path().join("ca.pem");
    for body in [
        "",
        "not a certificate",
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    ] {
        std::fs::write(&ca, body).expect("written");
        for lang in ["en", "zh-CN"] {
            let mut args = vec!["--lang".to_string(), lang.to_string()];
            args.extend(run_args(&[
                "--ca-cert".to_string(),
                ca.display().to_string(),
                "--resolve".to_string(),
                "10.0.20.11=127.0.0.1:9".to_string(),
            ]));
            let output = run_in(dir.path(), args, vec![]).await;
            assert_eq!(
                output.status.code(),
                Some(2),
                "{body:?} {lang}: {}",
                text(&output)
            );
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains("ca.pem"), "{stderr}");
            let last = stderr.lines().last().unwrap_or_default();
            if lang == "en" {
                assert!(last.contains("CA certificate"), "{stderr}");
            } else {
                let left = smtx_i18n::untranslated_words(last);
                assert!(left.is_empty(), "{last}: {left:?}");
            }
        }
    }
}
