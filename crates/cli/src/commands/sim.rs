//! `smtx-deploy sim`: starts a simulated, deployed SMTX OS cluster from a
//! workbook, prints where each host answers, writes the settings file that
//! `smtx-deploy run --config` reads, and runs until Ctrl-C.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use smtx_plan::{Severity, parse_workbook};
use smtx_sim::{ClusterSpec, Scenario, SimOptions};

use crate::Outcome;
use crate::commands::BadInput;

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// The planning workbook (.xlsx) whose hosts, IPs and VDS names the
    /// simulated cluster takes.
    #[arg(long, value_name = "WORKBOOK", required_unless_present = "plans")]
    plan: Option<PathBuf>,
    /// A fleet: directories of workbooks, workbooks or patterns; one
    /// simulated cluster each, all in this process.
    #[arg(
        long,
        value_name = "DIR|GLOB",
        num_args = 1..,
        conflicts_with_all = ["plan", "write_config"],
        requires = "write_configs"
    )]
    plans: Vec<String>,
    /// With --plans: write each cluster's settings file, `<workbook
    /// stem>.toml`, and its CA, `<workbook stem>-ca.pem`, into this directory.
    #[arg(long, value_name = "DIR")]
    write_configs: Option<PathBuf>,
    /// Delay every HTTP call and SSH exchange by this round trip, in
    /// milliseconds (a WAN link to a branch site).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    latency_ms: u64,
    /// Faults to arm from the start (TOML; see crates/sim/scenarios/example.toml).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Write the settings file for `smtx-deploy run --config` here; the CA
    /// certificate goes next to it as `sim-ca.pem`.
    #[arg(long, value_name = "FILE")]
    write_config: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    http: bool,
    /// Seed of every generated identifier (host UUIDs, serial, ...).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Upload chunk size announced by create_volume, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 8 * 1024 * 1024)]
    chunk_size: u64,
    /// Polls a job answers pending/running before it ends.
    #[arg(long, default_value_t = 2)]
    job_polls: u32,
    /// And no job ends before it is this old, in milliseconds (a slow cluster).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    job_ms: u64,
}

pub async fn run(args: SimArgs) -> anyhow::Result<Outcome> {
    let Some(plan) = args.plan.clone() else {
        return super::sim_fleet::run(super::sim_fleet::SimFleetArgs {
            plans: args.plans,
            write_configs: args.write_configs,
            scenario: args.scenario,
            http: args.http,
            seed: args.seed,
            chunk_size: args.chunk_size,
            job_polls: args.job_polls,
            job_ms: args.job_ms,
            latency_ms: args.latency_ms,
        })
        .await;
    };
    let file = plan.display().to_string();
    let bytes = std::fs::read(&plan)
        .map_err(|error| BadInput(format!("{file}: cannot read the workbook: {error}")))?;
    let parsed = parse_workbook(&bytes, &file).map_err(|error| BadInput(error.to_string()))?;
    for diagnostic in &parsed.diagnostics {
        eprintln!("{diagnostic}");
    }
    if parsed.has_errors() {
        let errors = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        eprintln!("error: {file}: {errors} error(s); fix the workbook before simulating it");
        eprintln!("hint: `smtx-deploy plan check {file}` lists them by cell");
        return Ok(Outcome::BadInput);
    }
    if args.chunk_size == 0 {
        return Err(BadInput("--chunk-size must be > 0".to_owned()).into());
    }
    let scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                BadInput(format!(
                    "{}: cannot read the scenario: {error}",
                    path.display()
                ))
            })?;
            Scenario::from_toml(&text)
                .map_err(|error| BadInput(format!("{}: {error}", path.display())))?
        }
        None => Scenario::default(),
    };
    let spec = ClusterSpec::from_plan(&parsed.plan, args.seed);
    let options = SimOptions {
        tls: !args.http,
        chunk_size: args.chunk_size,
        job_polls_to_finish: args.job_polls,
        job_duration: std::time::Duration::from_millis(args.job_ms),
        latency: std::time::Duration::from_millis(args.latency_ms),
        scenario,
        ..SimOptions::default()
    };
    let sim = smtx_sim::start(spec, options)
        .await
        .context("starting the simulated cluster")?;

    for node in sim.nodes() {
        let ssh = node
            .ssh
            .map(|addr| format!("  ssh {addr}"))
            .unwrap_or_default();
        println!(
            "{}  {} → {}://{}{ssh}",
            node.hostname,
            node.workbook_ip,
            sim.scheme(),
            node.http
        );
    }
    if let Some(vip) = sim.vip() {
        println!(
            "VIP  {} → {}://{}{}  (answers once set via PUT /api/v2/settings/vip)",
            vip.workbook_ip,
            sim.scheme(),
            vip.http,
            vip.ssh
                .map(|ssh| format!("  ssh {ssh}"))
                .unwrap_or_default()
        );
    }
    println!(
        "control  {}/_sim/state  {}/_sim/faults",
        sim.control_url(),
        sim.control_url()
    );

    if let Some(config) = &args.write_config {
        let written = write_config(&sim, config)?;
        println!("settings  {}", written.display());
        eprintln!(
            "hint: smtx-deploy run --config {} --plan {file}",
            written.display()
        );
    }
    eprintln!("Simulating; press Ctrl-C to stop.");
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    eprintln!("Stopping the simulated cluster.");
    sim.shutdown().await;
    Ok(Outcome::Ok)
}

/// Writes the settings file and, for HTTPS, `sim-ca.pem` next to it;
/// returns the settings file's absolute path.
fn write_config(sim: &smtx_sim::RunningSim, config: &Path) -> anyhow::Result<PathBuf> {
    let config =
        std::path::absolute(config).with_context(|| format!("resolving {}", config.display()))?;
    let dir = config.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let ca_path = match sim.ca_cert_pem() {
        Some(pem) => {
            let path = dir.join("sim-ca.pem");
            std::fs::write(&path, pem).with_context(|| format!("writing {}", path.display()))?;
            Some(path)
        }
        None => None,
    };
    std::fs::write(&config, sim.settings_toml(ca_path.as_deref()))
        .with_context(|| format!("writing {}", config.display()))?;
    Ok(config)
}
