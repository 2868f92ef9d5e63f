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
use crate::i18n::{Lang, Localize, SimMsg};

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

fn load_scenario(path: Option<&Path>, lang: Lang) -> anyhow::Result<Scenario> {
    let Some(path) = path else {
        return Ok(Scenario::default());
    };
    let text = std::fs::read_to_string(path).map_err(|error| {
        BadInput(
            SimMsg::CannotReadScenario {
                path: path.display().to_string(),
                reason: error.to_string(),
            }
            .localize(lang),
        )
    })?;
    Ok(Scenario::from_toml(&text).map_err(|error| {
        BadInput(
            SimMsg::BadScenario {
                path: path.display().to_string(),
                reason: error.to_string(),
            }
            .localize(lang),
        )
    })?)
}

/// Workbook stem and the cluster it describes.
fn specs(
    workbooks: &[PathBuf],
    seed: u64,
    lang: Lang,
) -> anyhow::Result<Vec<(String, ClusterSpec)>> {
    let mut specs: Vec<(String, ClusterSpec)> = Vec::new();
    for workbook in workbooks {
        let file = workbook.display().to_string();
        let stem = workbook
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        if specs.iter().any(|(known, _)| *known == stem) {
            return Err(BadInput(SimMsg::FleetSameName { file, stem }.localize(lang)).into());
        }
        let parsed = smtx_plan::read_workbook_file(workbook, &smtx_plan::WorkbookLimits::DEFAULT)
            .map_err(|error| smtx_i18n::Text::of(&error))
            .and_then(|bytes| {
                parse_workbook(&bytes, &file).map_err(|error| smtx_i18n::Text::of(&error))
            });
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                errln!(
                    "{}",
                    SimMsg::FleetUnreadable {
                        file,
                        reason: error
                    }
                    .localize(lang)
                );
                continue;
            }
        };
        if parsed.has_errors() {
            let count = parsed
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            errln!(
                "{}",
                SimMsg::FleetWorkbookErrors { file, count }.localize(lang)
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
fn warn_on_shared_addresses(specs: &[(String, ClusterSpec)], lang: Lang) {
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
                    "{}",
                    SimMsg::FleetSharedAddress {
                        first: other.to_string(),
                        second: stem.clone(),
                        address: address.to_string(),
                    }
                    .localize(lang)
                );
            }
        }
    }
}

pub async fn run(args: SimFleetArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let say = |message: &SimMsg| message.localize(lang);
    // Before anything is printed: see `sim::run`.
    let stop = crate::signals::Stop::listen();
    let Some(config_dir) = args.write_configs.clone() else {
        return Err(BadInput(say(&SimMsg::FleetNeedsWriteConfigs)).into());
    };
    if args.chunk_size == 0 {
        return Err(BadInput(say(&SimMsg::ChunkSizeZero)).into());
    }
    let scenario = load_scenario(args.scenario.as_deref(), lang)?;
    let workbooks = super::fleet::expand(&args.plans, lang)?;
    let specs = specs(&workbooks, args.seed, lang)?;
    if specs.is_empty() {
        errln!("{}", say(&SimMsg::FleetNothingToSimulate));
        return Ok(Outcome::BadInput);
    }
    warn_on_shared_addresses(&specs, lang);
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
        .with_context(|| say(&SimMsg::StartingFleet))?;

    let config_dir = std::path::absolute(&config_dir).with_context(|| {
        say(&SimMsg::Resolving {
            path: config_dir.display().to_string(),
        })
    })?;
    std::fs::create_dir_all(&config_dir).with_context(|| {
        say(&SimMsg::Creating {
            path: config_dir.display().to_string(),
        })
    })?;
    for (member, (stem, cluster, hosts)) in fleet.members().iter().zip(&names) {
        let ca_path = match member.sim.ca_cert_pem() {
            Some(pem) => {
                let path = config_dir.join(format!("{stem}-ca.pem"));
                std::fs::write(&path, pem).with_context(|| {
                    say(&SimMsg::Writing {
                        path: path.display().to_string(),
                    })
                })?;
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
        .with_context(|| {
            say(&SimMsg::Writing {
                path: settings.display().to_string(),
            })
        })?;
        outln!(
            "{}",
            say(&SimMsg::FleetMember {
                stem: stem.clone(),
                cluster: cluster.clone(),
                hosts: *hosts,
                control: member.sim.control_url(),
                settings: settings.display().to_string(),
            })
        );
    }
    errln!(
        "{}",
        say(&SimMsg::FleetRunHint {
            plans: args.plans.join(" "),
            configs: config_dir.display().to_string(),
        })
    );
    errln!("{}", say(&SimMsg::FleetSimulating { count: fleet.len() }));
    stop.with_context(|| say(&SimMsg::WaitingForCtrlC))?
        .requested()
        .await;
    errln!("{}", say(&SimMsg::FleetStopping));
    fleet.shutdown().await;
    Ok(Outcome::Ok)
}
