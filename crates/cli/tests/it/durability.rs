//! A run stopped from outside (issue 9), as a user stops it: Ctrl-C
//! (SIGINT) in the middle of the ISO upload aborts within a second, exits
//! 130, records the step as aborted and prints a resume command that works,
//! and a second Ctrl-C quits at once;
//! SIGKILL in the middle of the upload leaves a whole context from which
//! `--from` resumes the upload without creating anything twice; a second
//! run on a directory in use is refused; runs started together get
//! directories of their own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{ClusterSpec, Fault, RunningSim, Scenario, SimOptions};
use smtx_testkit::poll_until;

use crate::run::{assert_no_secret, binary, files_under, run_cli, secrets_of};

const CHUNK: u64 = 64 * 1024;
const CHUNKS: u64 = 40;
const UPLOAD_PATH: &str = "/api/v2/svt_image/upload_template";

/// A workbook, a simulator whose uploads take 50 ms a chunk (and `extra`
/// faults), its settings file, and an ISO of `CHUNKS` chunks.
struct Site {
    dir: tempfile::TempDir,
    spec: WorkbookSpec,
    workbook: PathBuf,
    config: PathBuf,
    iso: PathBuf,
    sim: RunningSim,
}

async fn site(extra: Vec<Fault>) -> Site {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = WorkbookSpec::example(2);
    let workbook = dir.path().join("workbook.xlsx");
    spec.write_to(&workbook).expect("fixture written");
    let plan = smtx_plan::parse_workbook(&std::fs::read(&workbook).expect("read"), "w.xlsx")
        .expect("parses")
        .plan;
    let sim = smtx_sim::start(
        ClusterSpec::from_plan(&plan, 5),
        SimOptions {
            chunk_size: CHUNK,
            scenario: Scenario {
                faults: [Fault::Latency {
                    ms: 50,
                    method: Some("POST".into()),
                    path: Some(UPLOAD_PATH.into()),
                }]
                .into_iter()
                .chain(extra)
                .collect(),
            },
            ..SimOptions::default()
        },
    )
    .await
    .expect("simulator starts");
    let ca = dir.path().join("sim-ca.pem");
    std::fs::write(&ca, sim.ca_cert_pem().expect("https")).expect("ca written");
    let config = dir.path().join("sim.toml");
    std::fs::write(
        &config,
        sim.settings_toml(Some(&ca), Some(&dir.path().join("sim.known_hosts"))),
    )
    .expect("config written");
    let iso = dir.path().join("SMTX_VMTOOLS-3.2.0-2501210639.iso");
    let bytes: Vec<u8> = (0..CHUNKS * CHUNK + 5)
        .map(|i| (i * 7 % 253) as u8)
        .collect();
    std::fs::write(&iso, bytes).expect("iso written");
    Site {
        dir,
        spec,
        workbook,
        config,
        iso,
        sim,
    }
}

impl Site {
    fn run_args(&self, run_dir: &Path) -> Vec<String> {
        vec![
            "run".into(),
            "--plan".into(),
            self.workbook.display().to_string(),
            "--config".into(),
            self.config.display().to_string(),
            "--vmtools-iso".into(),
            self.iso.display().to_string(),
            "--run-dir".into(),
            run_dir.display().to_string(),
        ]
    }

    /// Starts the CLI with stdout and stderr going to files (a pipe nobody
    /// reads could block it).
    fn spawn(&self, args: &[String], name: &str) -> Running {
        let stdout = self.dir.path().join(format!("{name}.stdout"));
        let stderr = self.dir.path().join(format!("{name}.stderr"));
        let child = binary()
            .args(args)
            .stdout(Stdio::from(
                std::fs::File::create(&stdout).expect("stdout file"),
            ))
            .stderr(Stdio::from(
                std::fs::File::create(&stderr).expect("stderr file"),
            ))
            .spawn()
            .expect("the binary starts");
        Running {
            child,
            stdout,
            stderr,
        }
    }

    fn state(&self) -> Value {
        self.sim.state()
    }

    /// Waits until the simulator holds at least `chunks` chunks of the ISO.
    async fn until_chunks(&self, chunks: u64, running: &mut Running) {
        let reached = poll_until(Duration::from_secs(90), || {
            let state = self.state();
            let exited = running.child.try_wait().ok().flatten();
            async move {
                if let Some(status) = exited {
                    return Some(Err(status));
                }
                let received = state["images"].as_array()?.first()?["received_chunks"].as_u64()?;
                (received >= chunks).then_some(Ok(()))
            }
        })
        .await;
        match reached {
            Some(Ok(())) => {}
            Some(Err(status)) => panic!(
                "the run ended ({status}) before the upload got going: {}",
                running.stderr_text()
            ),
            None => panic!("no upload within 90 s: {}", running.stderr_text()),
        }
    }
}

struct Running {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Running {
    /// Waits for the process to end, at most `deadline`.
    async fn wait(&mut self, deadline: Duration) -> ExitStatus {
        let child = &mut self.child;
        match poll_until(deadline, || {
            let status = child.try_wait().ok().flatten();
            async move { status }
        })
        .await
        {
            Some(status) => status,
            None => {
                let _ = self.child.kill();
                panic!(
                    "the run did not end within {deadline:?}: {}",
                    self.stderr_text()
                );
            }
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name}");
    }

    fn stdout_text(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

fn json_file(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is torn: {e}", path.display()))
}

fn step<'a>(report: &'a Value, action: &str) -> &'a Value {
    report["stages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|stage| stage["steps"].as_array().into_iter().flatten())
        .find(|step| step["action"] == action)
        .unwrap_or_else(|| panic!("no step {action} in {report:#}"))
}

fn count_calls(state: &Value, method: &str, path: impl Fn(&str) -> bool, status: u64) -> usize {
    state["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|call| {
            call["method"] == method
                && call["path"].as_str().is_some_and(&path)
                && call["status"] == status
        })
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_mid_upload_aborts_records_it_and_prints_a_resume_command_that_works() {
    let site = site(vec![]).await;
    let run_dir = site.dir.path().join("runs/interrupted");
    let mut running = site.spawn(&site.run_args(&run_dir), "first");
    site.until_chunks(3, &mut running).await;

    let started = Instant::now();
    running.signal("INT");
    let status = running.wait(Duration::from_secs(10)).await;
    let took = started.elapsed();
    let stderr = running.stderr_text();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        took < Duration::from_secs(1),
        "Ctrl-C took {took:?} to stop the run"
    );

    // report.json, the context and the stage log all say aborted.
    let report = json_file(&run_dir.join("report.json"));
    assert_eq!(report["status"], "aborted", "{report:#}");
    assert_eq!(step(&report, "vmtools_upload")["status"], "aborted");
    let context = json_file(&run_dir.join("context.json"));
    assert_eq!(context["extra"]["config_cluster"]["status"], "aborted");
    let log =
        std::fs::read_to_string(run_dir.join("logs/stage_config_cluster.log")).expect("stage log");
    assert!(
        log.lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .any(|line| line["action"] == "vmtools_upload" && line["status"] == "aborted"),
        "{log}"
    );
    // The terminal says so, and how to go on.
    let stdout = running.stdout_text();
    assert!(stdout.contains("ABORTED"), "{stdout}");
    let resume = stderr
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("smtx-deploy run "))
        .unwrap_or_else(|| panic!("no resume command: {stderr}"))
        .to_string();
    assert!(
        resume.ends_with(&format!("--from {}", run_dir.display())),
        "{resume}"
    );
    assert!(
        !resume.contains("--run-dir"),
        "a resumed run gets its own directory: {resume}"
    );
    let secrets = secrets_of(&site.spec);
    assert_no_secret(&secrets, "stderr of the aborted run", &stderr);
    assert_no_secret(&secrets, "stdout of the aborted run", &stdout);

    // The printed command, run as printed (from the same directory), resumes.
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .parent()
        .expect("the binary's directory")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let work = site.dir.path().to_path_buf();
    let output = tokio::task::spawn_blocking(move || {
        binary_via_shell(&resume, &path, &work)
            .output()
            .expect("sh runs")
    })
    .await
    .expect("join");
    let resumed_out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{resumed_out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let state = site.state();
    let images = state["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "the volume was resumed, not recreated");
    assert_eq!(images[0]["complete"], true);
    assert_eq!(
        count_calls(&state, "POST", |p| p == UPLOAD_PATH, 200) as u64,
        CHUNKS + 1,
        "every chunk accepted exactly once"
    );
    for (path, text) in files_under(&site.dir.path().join("runs")) {
        assert_no_secret(&secrets, &path.display().to_string(), &text);
    }
    site.sim.shutdown().await;
}

/// Problem 1 of issue 17: `--lang` before the command (or after it), a
/// rehearsal's settings file, Ctrl-C. The printed line, pasted in another
/// directory, continues the same rehearsal in the same language: it is
/// built from the run's launch record, not from the command line. A flag
/// that says otherwise than the record is refused, naming what it was.
#[tokio::test(flavor = "multi_thread")]
async fn the_resume_line_continues_the_same_rehearsal_wherever_lang_stands() {
    for lang_first in [true, false] {
        let site = site(vec![]).await;
        let run_dir = site.dir.path().join("runs/interrupted");
        let mut args = site.run_args(&run_dir);
        if lang_first {
            args.splice(0..0, ["--lang".to_string(), "zh-CN".to_string()]);
        } else {
            args.extend(["--lang".to_string(), "zh-CN".to_string()]);
        }
        let mut running = site.spawn(&args, "first");
        site.until_chunks(3, &mut running).await;
        running.signal("INT");
        let status = running.wait(Duration::from_secs(10)).await;
        let stderr = running.stderr_text();
        assert_eq!(status.code(), Some(130), "{stderr}");
        assert!(stderr.contains("继续执行请运行"), "{stderr}");
        let resume = stderr
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("smtx-deploy "))
            .unwrap_or_else(|| panic!("no resume command: {stderr}"))
            .to_string();
        assert_eq!(
            resume,
            format!("smtx-deploy run --from {}", run_dir.display()),
            "the record holds the rest"
        );

        // A flag that contradicts the record: refused, naming both, nothing sent.
        let calls = site.state()["calls"].as_array().map_or(0, Vec::len);
        let other_iso = site.dir.path().join("other.iso");
        let refused = run_cli(vec![
            "run".into(),
            "--from".into(),
            run_dir.display().to_string(),
            "--vmtools-iso".into(),
            other_iso.display().to_string(),
            "--lang".into(),
            "en".into(),
        ])
        .await;
        let refused_err = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(refused.status.code(), Some(2), "{refused_err}");
        assert!(
            refused_err.contains(&format!("--vmtools-iso {}", other_iso.display()))
                && refused_err.contains(&format!("--vmtools-iso {}", site.iso.display())),
            "{refused_err}"
        );
        assert_eq!(
            site.state()["calls"].as_array().map_or(0, Vec::len),
            calls,
            "nothing sent for a refused resume"
        );

        // Pasted as printed, from another directory: the same rehearsal
        // goes on (the upload resumes), in Chinese.
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let resume_line = resume.replace(
            &run_dir.display().to_string(),
            &format!("'{}'", run_dir.display()),
        );
        let path = format!(
            "{}:{}",
            Path::new(env!("CARGO_BIN_EXE_smtx-deploy"))
                .parent()
                .expect("the binary's directory")
                .display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let work = elsewhere.path().to_path_buf();
        let output = tokio::task::spawn_blocking(move || {
            binary_via_shell(&resume_line, &path, &work)
                .output()
                .expect("sh runs")
        })
        .await
        .expect("join");
        let out = String::from_utf8_lossy(&output.stdout).into_owned();
        let err = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(0), "{out}\n{err}");
        assert!(
            err.contains("演练") || err.contains("预演"),
            "a rehearsal again: {err}"
        );
        assert!(!out.contains("ABORTED") && out.contains("成功"), "{out}");
        let state = site.state();
        let images = state["images"].as_array().expect("images");
        assert_eq!(images.len(), 1, "the volume was resumed, not recreated");
        assert_eq!(images[0]["complete"], true);
        site.sim.shutdown().await;
    }
}

/// `sh -c COMMAND` with `PATH` leading to the binary under test, in `dir`.
fn binary_via_shell(command: &str, path: &str, dir: &Path) -> Command {
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env("LANG", "C")
        .env_remove("SMTX_LANG");
    shell
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_mid_upload_then_from_resumes_and_creates_nothing_twice() {
    let site = site(vec![]).await;
    let killed_dir = site.dir.path().join("runs/killed");
    let mut running = site.spawn(&site.run_args(&killed_dir), "killed");
    site.until_chunks(3, &mut running).await;
    running.child.kill().expect("SIGKILL");
    let status = running.wait(Duration::from_secs(10)).await;
    assert_eq!(status.code(), None, "killed by a signal");

    // What a kill leaves: a whole context (never a torn file), no report.
    let context = json_file(&killed_dir.join("context.json"));
    assert!(context["extra"]["host_scan"].is_object(), "{context:#}");
    assert!(!killed_dir.join("report.json").exists());
    let state = site.state();
    let received = state["images"][0]["received_chunks"]
        .as_u64()
        .expect("chunks");
    assert!((3..=CHUNKS).contains(&received), "{received}");

    let resumed_dir = site.dir.path().join("runs/resumed");
    let mut args = site.run_args(&resumed_dir);
    args.extend(["--from".to_string(), killed_dir.display().to_string()]);
    let output = run_cli(args).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report = json_file(&resumed_dir.join("report.json"));
    assert_eq!(report["status"], "ok", "{report:#}");
    let upload = step(&report, "vmtools_upload");
    assert_eq!(upload["status"], "ok", "{upload:#}");

    let state = site.state();
    let images = state["images"].as_array().expect("images");
    assert_eq!(images.len(), 1, "one image: resumed, not recreated");
    assert_eq!(images[0]["complete"], true);
    assert_eq!(images[0]["deleted"], false);
    assert_eq!(
        count_calls(&state, "POST", |p| p == UPLOAD_PATH, 200) as u64,
        CHUNKS + 1,
        "the chunks the server had were not sent again"
    );
    assert_eq!(
        count_calls(&state, "POST", |p| p == "/api/v2/network/vds", 200),
        1,
        "one VDS"
    );
    let vlans: usize = state["vdses"]
        .as_array()
        .expect("vdses")
        .iter()
        .map(|vds| vds["vlans"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(vlans > 0);
    assert_eq!(
        count_calls(
            &state,
            "POST",
            |p| p.starts_with("/api/v2/network/vds/") && p.ends_with("/vlans"),
            200
        ),
        vlans,
        "every VLAN created once"
    );
    site.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_run_on_a_directory_in_use_is_refused() {
    let site = site(vec![]).await;
    let run_dir = site.dir.path().join("runs/shared");
    let mut first = site.spawn(&site.run_args(&run_dir), "holder");
    site.until_chunks(1, &mut first).await;

    let second = run_cli(site.run_args(&run_dir)).await;
    let stderr = String::from_utf8_lossy(&second.stderr).into_owned();
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another run"), "{stderr}");
    assert!(
        stderr.contains(&format!("pid {}", first.child.id())),
        "names the holder: {stderr}"
    );
    // Before the refusal only the target (and the rehearsal's note) are said.
    let said: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.starts_with("target:") && !line.starts_with("rehearsal:"))
        .collect();
    assert_eq!(said.len(), 1, "one line: {stderr}");
    // The first run was not disturbed: it goes on to the end.
    let status = first.wait(Duration::from_secs(120)).await;
    assert_eq!(status.code(), Some(0), "{}", first.stderr_text());
    assert_eq!(json_file(&run_dir.join("report.json"))["status"], "ok");
    site.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn runs_started_together_get_directories_of_their_own() {
    let site = site(vec![]).await;
    let args = |_: usize| {
        vec![
            "run".to_string(),
            "--plan".into(),
            site.workbook.display().to_string(),
            "--config".into(),
            site.config.display().to_string(),
            "--stages".into(),
            "prepare".into(),
            "--dry-run".into(),
        ]
    };
    // Four at once, from one directory: most start in the same second.
    let children: Vec<Child> = (0..4)
        .map(|i| {
            binary()
                .args(args(i))
                .current_dir(site.dir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("starts")
        })
        .collect();
    for mut child in children {
        let status = tokio::task::spawn_blocking(move || child.wait())
            .await
            .expect("join")
            .expect("waits");
        assert_eq!(status.code(), Some(0));
    }
    let dirs: Vec<PathBuf> = std::fs::read_dir(site.dir.path().join("runs"))
        .expect("runs/")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .collect();
    assert_eq!(dirs.len(), 4, "{dirs:?}");
    for dir in &dirs {
        let report = json_file(&dir.join("report.json"));
        assert_eq!(
            report["run_dir"].as_str().map(PathBuf::from).as_deref(),
            dir.strip_prefix(site.dir.path()).ok(),
            "each report names its own directory"
        );
    }
    site.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_aborts_too_and_a_second_ctrl_c_quits_at_once() {
    // A host that never answers the SSH password request: the run sits in
    // a call that does not stop by itself.
    let site = site(vec![Fault::SshHang { node: 0 }]).await;
    let run_dir = site.dir.path().join("runs/stuck");
    let mut running = site.spawn(&site.run_args(&run_dir), "stuck");
    let hung = site.sim.nodes()[0].workbook_ip.to_string();
    let known_hosts = site.dir.path().join("sim.known_hosts");
    poll_until(Duration::from_secs(60), || {
        let pinned = std::fs::read_to_string(&known_hosts).unwrap_or_default();
        let hung = hung.clone();
        async move {
            pinned
                .lines()
                .any(|line| line.starts_with(&format!("{hung} ")))
                .then_some(())
        }
    })
    .await
    .unwrap_or_else(|| panic!("no SSH to {hung}: {}", running.stderr_text()));

    // The first one as a service manager sends it, the second from the keyboard.
    running.signal("TERM");
    poll_until(Duration::from_secs(5), || {
        let stderr = running.stderr_text();
        async move { stderr.contains("press Ctrl-C again").then_some(()) }
    })
    .await
    .expect("the first Ctrl-C is acknowledged");
    running.signal("INT");
    let status = running.wait(Duration::from_secs(5)).await;
    let stderr = running.stderr_text();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("quitting at once"), "{stderr}");
    site.sim.shutdown().await;
}
