//! `smtx-deploy sim --plans DIR --write-configs DIR`: one process simulates
//! every cluster of a fleet — each with its own listeners, CA, SSH host keys
//! (seed + its index) and state — and writes `<workbook stem>.toml` (with
//! `<workbook stem>-ca.pem`) per workbook for `run --plans … --configs DIR`
//! and `check --plans … --configs DIR`. A workbook with errors is skipped
//! with a line saying so; the rest are simulated. Runs until Ctrl-C.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use smtx_plan::{Severity, parse_workbook};
use smtx_sim::{ClusterSpec, Scenario, SimOptions};

use super::BadInput;
use crate::Outcome;

/// The `sim` flags a fleet uses.
#[derive(Debug)]
pub struct SimFleetArgs {
    pub plans: Vec<String>,
    pub write_configs: Option<PathBuf>,
    pub scenario: Option<PathBuf>,
    pub http: bool,
    pub seed: u64,
    pub chunk_size: u64,
    pub job_polls: u32,
    pub job_ms: u64,
    pub latency_ms: u64,
}

fn load_scenario(path: Option<&Path>) -> anyhow::Result<Scenario> {
    let Some(path) = path else {
        return Ok(Scenario::default());
    };
    let text = std::fs::read_to_string(path).map_err(|error| {
        BadInput(format!(
            "{}: cannot read the scenario: {error}",
            path.display()
        ))
    })?;
    Ok(Scenario::from_toml(&text)
        .map_err(|error| BadInput(format!("{}: {error}", path.display())))?)
}

/// Workbook stem and the cluster it describes.
fn specs(workbooks: &[PathBuf], seed: u64) -> anyhow::Result<Vec<(String, ClusterSpec)>> {
    let mut specs: Vec<(String, ClusterSpec)> = Vec::new();
    for workbook in workbooks {
        let file = workbook.display().to_string();
        let stem = workbook
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        if specs.iter().any(|(known, _)| *known == stem) {
            return Err(BadInput(format!(
                "{file}: another workbook is also called {stem:?}; each needs its own settings file name"
            ))
            .into());
        }
        let parsed = smtx_plan::read_workbook_file(workbook, &smtx_plan::WorkbookLimits::DEFAULT)
            .map_err(|error| error.to_string())
            .and_then(|bytes| parse_workbook(&bytes, &file).map_err(|error| error.to_string()));
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                errln!("skipped {file}: {error}");
                continue;
            }
        };
        if parsed.has_errors() {
            let errors = parsed
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            errln!(
                "skipped {file}: {errors} error(s); `smtx-deploy plan check {file}` lists them by cell"
            );
            continue;
        }
        let index = u64::try_from(specs.len()).unwrap_or(u64::MAX);
        specs.push((
            stem,
            ClusterSpec::from_plan(&parsed.plan, seed.wrapping_add(index)),
        ));
    }
    Ok(specs)
}

/// Two clusters at one address would share pinned SSH keys on the client.
fn warn_on_shared_addresses(specs: &[(String, ClusterSpec)]) {
    let mut owners: HashMap<std::net::Ipv4Addr, &str> = HashMap::new();
    for (stem, spec) in specs {
        let addresses = spec
            .hosts
            .iter()
            .map(|host| host.management_ip)
            .chain(spec.vip);
        for address in addresses {
            if let Some(other) = owners.insert(address, stem)
                && other != stem
            {
                errln!(
                    "warning: {other} and {stem} both use {address}; a fleet run pins one SSH key per address"
                );
            }
        }
    }
}

pub async fn run(args: SimFleetArgs) -> anyhow::Result<Outcome> {
    // Before anything is printed: see `sim::run`.
    let stop = crate::signals::Stop::listen();
    let Some(config_dir) = args.write_configs.clone() else {
        return Err(BadInput("--plans needs --write-configs DIR".to_owned()).into());
    };
    if args.chunk_size == 0 {
        return Err(BadInput("--chunk-size must be > 0".to_owned()).into());
    }
    let scenario = load_scenario(args.scenario.as_deref())?;
    let workbooks = super::fleet::expand(&args.plans)?;
    let specs = specs(&workbooks, args.seed)?;
    if specs.is_empty() {
        errln!("error: no workbook without errors to simulate");
        return Ok(Outcome::BadInput);
    }
    warn_on_shared_addresses(&specs);
    let options = SimOptions {
        tls: !args.http,
        chunk_size: args.chunk_size,
        job_polls_to_finish: args.job_polls,
        job_duration: Duration::from_millis(args.job_ms),
        latency: Duration::from_millis(args.latency_ms),
        scenario,
        ..SimOptions::default()
    };
    let names: Vec<(String, String, usize)> = specs
        .iter()
        .map(|(stem, spec)| (stem.clone(), spec.cluster_name.clone(), spec.hosts.len()))
        .collect();
    let fleet = smtx_sim::fleet::start_fleet(specs, options)
        .await
        .context("starting the simulated clusters")?;

    let config_dir = std::path::absolute(&config_dir)
        .with_context(|| format!("resolving {}", config_dir.display()))?;
    std::fs::create_dir_all(&config_dir)
        .with_context(|| format!("creating {}", config_dir.display()))?;
    for (member, (stem, cluster, hosts)) in fleet.members().iter().zip(&names) {
        let ca_path = match member.sim.ca_cert_pem() {
            Some(pem) => {
                let path = config_dir.join(format!("{stem}-ca.pem"));
                std::fs::write(&path, pem)
                    .with_context(|| format!("writing {}", path.display()))?;
                Some(path)
            }
            None => None,
        };
        let settings = config_dir.join(format!("{stem}.toml"));
        // Each rehearsal pins its cluster's keys apart from any site's.
        let known_hosts = config_dir.join(format!("{stem}.known_hosts"));
        std::fs::write(
            &settings,
            member
                .sim
                .settings_toml(ca_path.as_deref(), Some(&known_hosts)),
        )
        .with_context(|| format!("writing {}", settings.display()))?;
        outln!(
            "{stem}  {cluster}  {hosts} host(s)  control {}/_sim/state  settings {}",
            member.sim.control_url(),
            settings.display()
        );
    }
    errln!(
        "hint: smtx-deploy run --plans {} --configs {}",
        args.plans.join(" "),
        config_dir.display()
    );
    errln!(
        "Simulating {} cluster(s); press Ctrl-C to stop.",
        fleet.len()
    );
    stop.context("waiting for Ctrl-C")?.requested().await;
    errln!("Stopping the simulated clusters.");
    fleet.shutdown().await;
    Ok(Outcome::Ok)
}
