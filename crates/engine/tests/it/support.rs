//! Shared set-up: a workbook on disk, a simulator for it, settings that
//! reach it, and one call that runs the stages.

use std::path::{Path, PathBuf};

use serde_json::Value;
use smtx_api::AddressOverride;
use smtx_engine::{RunReport, RunRequest, Settings, Stage, StepStatus, Workbook};
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{ClusterSpec, Fault, RunningSim, Scenario, SimOptions};

/// The VMTools ISO every harness puts beside its workbook.
pub const STAND_IN_ISO: &str = "SMTX_VMTOOLS-test.iso";

pub struct Harness {
    pub dir: tempfile::TempDir,
    pub workbook: PathBuf,
    pub sim: RunningSim,
    pub runs: usize,
}

pub fn template_path() -> PathBuf {
    smtx_testkit::shared_reference_dir()
        .join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

pub fn parse(path: &Path) -> smtx_plan::Plan {
    let bytes = std::fs::read(path).expect("workbook readable");
    let parsed =
        smtx_plan::parse_workbook(&bytes, &path.display().to_string()).expect("workbook parses");
    assert!(
        !parsed.has_errors(),
        "workbook has errors: {:?}",
        parsed.diagnostics
    );
    parsed.plan
}

impl Harness {
    /// A harness over a fixture workbook.
    pub async fn fixture(spec: WorkbookSpec, faults: Vec<Fault>) -> Self {
        let options = SimOptions {
            scenario: Scenario { faults },
            ..SimOptions::default()
        };
        Self::fixture_with(spec, options).await
    }

    pub async fn fixture_with(spec: WorkbookSpec, options: SimOptions) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let workbook = dir.path().join("workbook.xlsx");
        spec.write_to(&workbook).expect("fixture written");
        Self::start_with(dir, workbook, options).await
    }

    /// A harness over a copy of a workbook file (the serial is written into it).
    pub async fn copy_of(path: &Path, faults: Vec<Fault>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let workbook = dir.path().join("workbook.xlsx");
        std::fs::copy(path, &workbook).expect("workbook copied");
        // The reference copy is read-only, and a read-only workbook is not written.
        std::fs::set_permissions(
            &workbook,
            std::os::unix::fs::PermissionsExt::from_mode(0o644),
        )
        .expect("workbook made writable");
        Self::start(dir, workbook, faults).await
    }

    async fn start(dir: tempfile::TempDir, workbook: PathBuf, faults: Vec<Fault>) -> Self {
        let options = SimOptions {
            scenario: Scenario { faults },
            ..SimOptions::default()
        };
        Self::start_with(dir, workbook, options).await
    }

    async fn start_with(dir: tempfile::TempDir, workbook: PathBuf, options: SimOptions) -> Self {
        let plan = parse(&workbook);
        // A site has its VMTools ISO beside the workbook, where the step
        // finds it; without one the step warns (see vmtools.rs). One chunk.
        smtx_sim::write_stand_in_iso(&dir.path().join(STAND_IN_ISO), 64 * 1024)
            .expect("stand-in ISO written");
        let sim = smtx_sim::start(ClusterSpec::from_plan(&plan, 7), options)
            .await
            .expect("simulator starts");
        Self {
            dir,
            workbook,
            sim,
            runs: 0,
        }
    }

    pub fn plan(&self) -> smtx_plan::Plan {
        parse(&self.workbook)
    }

    /// Settings that reach the simulator: overrides for every host and the
    /// VIP, its CA trusted.
    pub fn settings(&mut self) -> Settings {
        self.runs += 1;
        let run_dir = self.dir.path().join(format!("run{}", self.runs));
        let mut settings = Settings::new(run_dir, self.dir.path().to_path_buf());
        settings.scheme = self.sim.scheme().to_string();
        for node in self.sim.nodes() {
            settings.http_overrides.push(AddressOverride {
                host: node.workbook_ip.to_string(),
                target: node.http,
            });
            if let Some(ssh) = node.ssh {
                settings.ssh_overrides.push(AddressOverride {
                    host: node.workbook_ip.to_string(),
                    target: ssh,
                });
            }
        }
        if let Some(vip) = self.sim.vip() {
            settings.http_overrides.push(AddressOverride {
                host: vip.workbook_ip.to_string(),
                target: vip.http,
            });
            // The VIP is probed on SSH too before it is set.
            if let Some(ssh) = vip.ssh {
                settings.ssh_overrides.push(AddressOverride {
                    host: vip.workbook_ip.to_string(),
                    target: ssh,
                });
            }
        }
        if let Some(pem) = self.sim.ca_cert_pem() {
            settings.ca_cert = Some((PathBuf::from("sim-ca.pem"), pem.as_bytes().to_vec()));
        }
        settings.job_deadline = std::time::Duration::from_secs(20);
        settings
    }

    pub async fn run_with(&mut self, settings: Settings) -> RunReport {
        self.run_from(settings, None).await
    }

    /// Run starting from an earlier run's context.
    pub async fn run_from(
        &mut self,
        settings: Settings,
        from: Option<smtx_engine::RunContext>,
    ) -> RunReport {
        self.run_watched(settings, from, smtx_engine::ProgressSink::none())
            .await
    }

    /// [`Self::run_from`], its progress events told to `progress`.
    pub async fn run_watched(
        &mut self,
        settings: Settings,
        from: Option<smtx_engine::RunContext>,
        progress: smtx_engine::ProgressSink,
    ) -> RunReport {
        let workbook = Workbook {
            path: self.workbook.clone(),
            plan: self.plan(),
        };
        smtx_engine::run(RunRequest {
            settings,
            workbook,
            stages: Stage::ALL.to_vec(),
            from,
            progress,
            cancel: smtx_engine::CancellationToken::new(),
        })
        .await
        .expect("run completes")
    }

    pub async fn run(&mut self) -> RunReport {
        let settings = self.settings();
        self.run_with(settings).await
    }

    /// Replace the simulator by a fresh cluster at the same addresses whose
    /// hosts have other SSH keys (as after a reinstall).
    pub async fn reinstall(&mut self, seed: u64) {
        let plan = self.plan();
        let sim = smtx_sim::start(ClusterSpec::from_plan(&plan, seed), SimOptions::default())
            .await
            .expect("simulator starts");
        let old = std::mem::replace(&mut self.sim, sim);
        old.shutdown().await;
    }

    pub fn state(&self) -> Value {
        self.sim.state()
    }
}

/// The status of the step whose action starts with `action`.
pub fn step<'a>(report: &'a RunReport, action: &str) -> &'a smtx_engine::StepResult {
    report
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .find(|s| {
            let wire = s.step.to_string();
            wire == action || wire.starts_with(&format!("{action} "))
        })
        .unwrap_or_else(|| panic!("no step {action} in {report:#?}"))
}

pub fn status(report: &RunReport, action: &str) -> StepStatus {
    step(report, action).status
}

/// Every step whose action starts with `prefix`.
pub fn steps<'a>(report: &'a RunReport, prefix: &str) -> Vec<&'a smtx_engine::StepResult> {
    report
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .filter(|s| s.step.to_string().starts_with(prefix))
        .collect()
}

/// Calls in the simulator's log matching method and path prefix.
pub fn calls(state: &Value, method: &str, path_prefix: &str) -> usize {
    let log = state
        .get("calls")
        .or_else(|| state.get("call_log"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    log.iter()
        .filter(|c| {
            c.get("method").and_then(Value::as_str) == Some(method)
                && c.get("path")
                    .and_then(Value::as_str)
                    .is_some_and(|p| p.starts_with(path_prefix))
        })
        .count()
}

/// Calls in the simulator's log with exactly this method and path.
pub fn calls_exact(state: &Value, method: &str, path: &str) -> usize {
    state["calls"]
        .as_array()
        .map(|log| {
            log.iter()
                .filter(|c| c["method"] == method && c["path"] == path)
                .count()
        })
        .unwrap_or(0)
}

/// `context.json` of a run directory as JSON: what tests check the keys of.
pub fn context_json(run_dir: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(run_dir.join("context.json")).expect("context.json");
    serde_json::from_str(&text).expect("context.json is JSON")
}
