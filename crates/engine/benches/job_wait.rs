//! Issue 12, "a stage bounded by the cluster's own work": runs `prepare` and
//! `config_cluster` for a copy of the real template against the in-process
//! simulator whose jobs take 500 ms each (`sim --job-polls 0 --job-ms 500`)
//! and prints the stage's wall time next to the time its four jobs (VIP,
//! DNS, NTP, business VDS) need by themselves. The target is 2.0 s + 0.5 s.
//!
//! `cargo bench -p smtx-engine --bench job_wait` (`-- --runs N`, best of N,
//! default 3; `--job-ms MS`). Without `--bench` on the command line (as
//! under `cargo test --benches`) it only says so and exits.

use std::path::{Path, PathBuf};
use std::time::Duration;

use smtx_api::AddressOverride;
use smtx_engine::{
    CancellationToken, ProgressSink, RunRequest, Settings, Stage, StepStatus, Workbook,
};
use smtx_sim::{ClusterSpec, RunningSim, SimOptions};

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    runs: u32,
    job_ms: u64,
    bench: bool,
}

fn parse_args() -> BenchResult<Args> {
    let mut args = Args {
        runs: 3,
        job_ms: 500,
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

/// Settings that reach `sim`, as `sim --write-config` would write them.
fn settings_for(sim: &RunningSim, dir: &Path) -> Settings {
    let mut settings = Settings::new(dir.join("run"), dir.to_path_buf());
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
    }
    if let Some(pem) = sim.ca_cert_pem() {
        settings.ca_cert = Some((dir.join("sim-ca.pem"), pem.as_bytes().to_vec()));
    }
    settings
}

/// One run on a fresh simulator; the config_cluster stage's wall time and
/// the number of jobs the simulator ran.
async fn one_run(job_ms: u64) -> BenchResult<(Duration, usize)> {
    let dir = tempfile::tempdir()?;
    let workbook = dir.path().join("template.xlsx");
    std::fs::copy(template(), &workbook)?;
    let plan = parse(&workbook)?;
    let options = SimOptions {
        job_polls_to_finish: 0,
        job_duration: Duration::from_millis(job_ms),
        ..SimOptions::default()
    };
    let sim = smtx_sim::start(ClusterSpec::from_plan(&plan, 7), options).await?;
    let report = smtx_engine::run(RunRequest {
        settings: settings_for(&sim, dir.path()),
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
    let jobs = sim.state()["jobs"].as_array().map_or(0, Vec::len);
    sim.shutdown().await;
    if report.status == StepStatus::Failed {
        return Err(format!("the run failed: {:#?}", report.stages).into());
    }
    let stage = report
        .stages
        .iter()
        .find(|stage| stage.stage == Stage::ConfigCluster)
        .ok_or("no config_cluster stage in the report")?;
    Ok((Duration::from_millis(stage.elapsed_ms), jobs))
}

fn main() -> BenchResult<()> {
    let args = parse_args()?;
    if !args.bench {
        println!(
            "job_wait: a benchmark; run it with `cargo bench -p smtx-engine --bench job_wait`"
        );
        return Ok(());
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let mut best: Option<(Duration, usize)> = None;
    for run in 1..=args.runs {
        let (wall, jobs) = runtime.block_on(one_run(args.job_ms))?;
        println!(
            "run {run}: config_cluster {:.2} s, {jobs} job(s) of {} ms",
            wall.as_secs_f64(),
            args.job_ms
        );
        if best.is_none_or(|(best_wall, _)| wall < best_wall) {
            best = Some((wall, jobs));
        }
    }
    let Some((wall, jobs)) = best else {
        return Ok(());
    };
    let work = Duration::from_millis(args.job_ms) * u32::try_from(jobs)?;
    let target = work + Duration::from_millis(500);
    println!(
        "config_cluster, real template, {jobs} jobs of {} ms: best {:.2} s; the jobs alone {:.2} s; target ≤ {:.2} s: {}",
        args.job_ms,
        wall.as_secs_f64(),
        work.as_secs_f64(),
        target.as_secs_f64(),
        if wall <= target { "met" } else { "MISSED" }
    );
    Ok(())
}
