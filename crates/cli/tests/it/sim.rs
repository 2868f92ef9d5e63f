//! A rehearsal as an engineer does it, with two processes: `smtx-deploy sim`
//! on the real template writes its settings file, `smtx-deploy run --config`
//! configures it end to end without touching the customer's workbook, and
//! Ctrl-C stops the simulator cleanly.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn template() -> std::path::PathBuf {
    smtx_testkit::shared_reference_dir()
        .join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

/// Stops the simulator even when an assertion fails first.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for<T>(what: &str, deadline: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(start.elapsed() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn rehearsal_against_smtx_deploy_sim_on_the_real_template() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("workbook.xlsx");
    std::fs::copy(template(), &workbook).expect("template copied");
    // The reference copy is read-only, and a read-only workbook is not written.
    std::fs::set_permissions(
        &workbook,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .expect("workbook made writable");
    let original = std::fs::read(&workbook).expect("workbook");
    let settings = dir.path().join("sim.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(["sim", "--plan"])
        .arg(&workbook)
        .arg("--write-config")
        .arg(&settings)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sim starts");
    let mut sim = Sim(child);
    wait_for("the settings file", Duration::from_secs(30), || {
        std::fs::read_to_string(&settings)
            .ok()
            .filter(|text| text.contains("[ssh]"))
    });

    let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(["run", "--json", "--plan"])
        .arg(&workbook)
        .arg("--config")
        .arg(&settings)
        .arg("--run-dir")
        .arg(dir.path().join("runs/one"))
        .output()
        .expect("run runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    // It says where it is going before anything else.
    let first = stderr
        .lines()
        .find(|l| l.starts_with("target: "))
        .unwrap_or_default();
    assert!(
        first.starts_with("target: https://10.0.20.11 (via 127.0.0.1:")
            && first.ends_with("rehearsal against the simulator"),
        "{stderr}"
    );
    assert!(
        stderr.find("target: ") < stderr.find("== stage prepare"),
        "the target comes before the first step: {stderr}"
    );
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    // Every step ok but the upload: no VMTools ISO was given (a warning).
    assert_eq!(report["status"], "warning", "{report:#}");
    let steps = report["stages"][1]["steps"]
        .as_array()
        .expect("config_cluster steps");
    let warned: Vec<_> = steps
        .iter()
        .filter(|s| s["status"] != "ok" && s["status"] != "skipped")
        .map(|s| s["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(warned, ["vmtools_upload"], "{report:#}");
    let vlans = steps
        .iter()
        .filter(|s| s["action"].as_str().is_some_and(|a| a.starts_with("vlan ")))
        .count();
    assert_eq!(vlans, 11, "the template's 11 business networks");
    // The simulator's serial goes into a copy in the run directory; the
    // customer's workbook is left byte for byte as it was.
    let serial = report["serial"].as_str().expect("serial").to_string();
    assert_eq!(
        std::fs::read(&workbook).expect("workbook"),
        original,
        "the workbook is untouched"
    );
    let copy = dir.path().join("runs/one/workbook.xlsx");
    assert_eq!(report["workbook"], copy.display().to_string());
    let bytes = std::fs::read(&copy).expect("the rehearsal's copy");
    let plan = smtx_plan::parse_workbook(&bytes, "workbook.xlsx").expect("parses");
    assert_eq!(plan.plan.cluster.serial.as_deref(), Some(serial.as_str()));

    // Ctrl-C: a clean stop, exit status 0.
    let pid = sim.0.id().to_string();
    let status = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = wait_for("the simulator to stop", Duration::from_secs(30), || {
        sim.0.try_wait().ok().flatten()
    });
    assert!(exit.success(), "simulator exit status {exit:?}");
    let mut printed = String::new();
    if let Some(mut out) = sim.0.stdout.take() {
        let _ = out.read_to_string(&mut printed);
    }
    assert!(
        printed.contains("BJ-SMTX-Prod-Node-01  10.0.20.11 → https://127.0.0.1:"),
        "{printed}"
    );
}
