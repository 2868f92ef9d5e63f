//! Issue 19, "the upload and the SSH rotation run beside the API steps":
//! runs `prepare` and `config_cluster` for a copy of the real template
//! against the in-process simulator (jobs of 500 ms, SSH on, a 256 MiB
//! VMTools ISO), once with lanes and once one step at a time, each on a
//! fresh simulator, and prints the stage's wall time for both beside each
//! lane's own length. The target: wall with lanes ≤ the longest lane +
//! 0.3 s.
//!
//! `cargo bench -p smtx-engine --bench lanes` (`-- --runs N`, best of N,
//! default 3; `--job-ms MS`; `--iso-mib MIB`). The ISO, the simulator's
//! volume and the run directories go to /dev/shm when it exists, so the
//! disk is not what is measured. Without `--bench` on the command line (as
//! under `cargo test --benches`) it only says so and exits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use smtx_api::AddressOverride;
use smtx_engine::{
    CancellationToken, ProgressSink, RunReport, RunRequest, Settings, Stage, StageReport,
    StepStatus, Workbook,
};
use smtx_sim::{ClusterSpec, RunningSim, SimOptions};

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    runs: u32,
    job_ms: u64,
    iso_mib: u64,
    bench: bool,
}

fn parse_args() -> BenchResult<Args> {
    let mut args = Args {
        runs: 3,
        job_ms: 500,
        iso_mib: 256,
        bench: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> BenchResult<u64> {
            let value = it.next().ok_or(format!("{name} needs a value"))?;
            value
                .parse::<u64>()
                .map_err(|_| format!("{name} {value:?}: not a number").into())
        };
        match arg.as_str() {
            "--runs" => args.runs = u32::try_from(number("--runs")?.max(1))?,
            "--job-ms" => args.job_ms = number("--job-ms")?,
            "--iso-mib" => args.iso_mib = number("--iso-mib")?,
            "--bench" => args.bench = true,
            _ => {}
        }
    }
    Ok(args)
}

fn template() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/reference/workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx")
}

fn parse(path: &Path) -> BenchResult<smtx_plan::Plan> {
    let bytes = std::fs::read(path)?;
    let parsed = smtx_plan::parse_workbook(&bytes, &path.display().to_string())?;
    if parsed.has_errors() {
        return Err(format!("{}: {:?}", path.display(), parsed.diagnostics).into());
    }
    Ok(parsed.plan)
}

/// A scratch directory in memory when the machine has one.
fn scratch() -> BenchResult<tempfile::TempDir> {
    let shm = Path::new("/dev/shm");
    Ok(if shm.is_dir() {
        tempfile::tempdir_in(shm)?
    } else {
        tempfile::tempdir()?
    })
}

/// Settings that reach `sim`, as `sim --write-config` would write them.
fn settings_for(sim: &RunningSim, dir: &Path, run: &str) -> Settings {
    let mut settings = Settings::new(dir.join(run), dir.to_path_buf());
    settings.scheme = sim.scheme().to_owned();
    for node in sim.nodes() {
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
    if let Some(vip) = sim.vip() {
        settings.http_overrides.push(AddressOverride {
            host: vip.workbook_ip.to_string(),
            target: vip.http,
        });
        if let Some(ssh) = vip.ssh {
            settings.ssh_overrides.push(AddressOverride {
                host: vip.workbook_ip.to_string(),
                target: ssh,
            });
        }
    }
    if let Some(pem) = sim.ca_cert_pem() {
        settings.ca_cert = Some((dir.join("sim-ca.pem"), pem.as_bytes().to_vec()));
    }
    settings.known_hosts = Some(dir.join(format!("{run}.known_hosts")));
    settings
}

/// One stage's figures: its wall time and each lane's own length (the sum
/// of its steps' times).
#[derive(Debug, Clone, Copy)]
struct Figures {
    wall: Duration,
    api: Duration,
    ssh: Duration,
    upload: Duration,
}

impl Figures {
    fn longest_lane(&self) -> Duration {
        self.api.max(self.ssh).max(self.upload)
    }
}

fn figures(stage: &StageReport) -> Figures {
    let ms = |names: &[&str]| {
        Duration::from_millis(
            stage
                .steps
                .iter()
                .filter(|step| names.contains(&step.step.name()))
                .map(|step| step.elapsed_ms)
                .sum(),
        )
    };
    Figures {
        wall: Duration::from_millis(stage.elapsed_ms),
        api: ms(&[
            "set_vip",
            "set_dns",
            "set_ntp",
            "ipmi_accounts",
            "business_vds",
            "vlans",
            "vlan",
            "verify_vlans",
            "cpu_compatibility",
        ]),
        // The summary's time covers every host's rotation.
        ssh: ms(&["host_passwords"]),
        upload: ms(&["vmtools_upload"]),
    }
}

/// One run on a fresh simulator.
async fn one_run(args: &Args, dir: &Path, lanes: bool) -> BenchResult<Figures> {
    let run = if lanes { "lanes" } else { "sequential" };
    let workbook = dir.join(format!("{run}.xlsx"));
    std::fs::copy(template(), &workbook)?;
    // The reference copy is read-only, and the serial is written into it.
    smtx_platform::files::make_owner_writable(&workbook)?;
    let plan = parse(&workbook)?;
    let options = SimOptions {
        job_polls_to_finish: 0,
        job_duration: Duration::from_millis(args.job_ms),
        upload_dir: Some(dir.join(format!("{run}-volumes"))),
        ..SimOptions::default()
    };
    let sim = smtx_sim::start(ClusterSpec::from_plan(&plan, 7), options).await?;
    let mut settings = settings_for(&sim, dir, run);
    settings.lanes = lanes;
    let report: RunReport = smtx_engine::run(RunRequest {
        settings,
        workbook: Workbook {
            path: workbook,
            plan,
        },
        stages: Stage::ALL.to_vec(),
        from: None,
        progress: ProgressSink::none(),
        cancel: CancellationToken::new(),
    })
    .await?;
    sim.shutdown().await;
    if report.status == StepStatus::Failed {
        return Err(format!(
            "the {run} run ended {:?}: {:#?}",
            report.status, report.stages
        )
        .into());
    }
    let stage = report
        .stages
        .iter()
        .find(|stage| stage.stage == Stage::ConfigCluster)
        .ok_or("no config_cluster stage in the report")?;
    // Each lane did its work, or its length means nothing.
    for lane in ["host_passwords", "vmtools_upload", "verify_vlans"] {
        let done = stage
            .steps
            .iter()
            .any(|step| step.step.name() == lane && step.status == StepStatus::Ok);
        if !done {
            return Err(format!("the {run} run: {lane} did not end ok: {:#?}", stage.steps).into());
        }
    }
    Ok(figures(stage))
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

fn main() -> BenchResult<()> {
    let args = parse_args()?;
    if !args.bench {
        println!("lanes: a benchmark; run it with `cargo bench -p smtx-engine --bench lanes`");
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let mut best: Option<(Figures, Figures)> = None;
    for run in 1..=args.runs {
        let dir = scratch()?;
        let iso = dir.path().join("SMTX_VMTOOLS-3.2.0-2501210639.iso");
        let block: Vec<u8> = (0..1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
        {
            use std::io::Write;
            let mut file = std::io::BufWriter::new(std::fs::File::create(&iso)?);
            for _ in 0..args.iso_mib {
                file.write_all(&block)?;
            }
            file.flush()?;
        }
        let lanes = runtime.block_on(one_run(&args, dir.path(), true))?;
        let sequential = runtime.block_on(one_run(&args, dir.path(), false))?;
        println!(
            "run {run}: lanes {:.2} s (API {:.2} s, SSH {:.2} s, upload {:.2} s); sequential {:.2} s",
            secs(lanes.wall),
            secs(lanes.api),
            secs(lanes.ssh),
            secs(lanes.upload),
            secs(sequential.wall),
        );
        if best.is_none_or(|(best_lanes, _)| lanes.wall < best_lanes.wall) {
            best = Some((lanes, sequential));
        }
    }
    let Some((lanes, sequential)) = best else {
        return Ok(());
    };
    let target = lanes.longest_lane() + Duration::from_millis(300);
    println!(
        "config_cluster, real template, jobs of {} ms, {} MiB ISO, SSH on: best with lanes {:.2} s \
         (longest lane {:.2} s; target ≤ {:.2} s: {}); one step at a time {:.2} s",
        args.job_ms,
        args.iso_mib,
        secs(lanes.wall),
        secs(lanes.longest_lane()),
        secs(target),
        if lanes.wall <= target {
            "met"
        } else {
            "MISSED"
        },
        secs(sequential.wall),
    );
    Ok(())
}
