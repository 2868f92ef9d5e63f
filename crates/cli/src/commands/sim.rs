//! `smtx-deploy sim`: starts a simulated, deployed SMTX OS cluster from a
//! workbook, prints where each host answers, writes the settings file that
//! `smtx-deploy run --config` reads, and runs until Ctrl-C.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use smtx_plan::{Severity, parse_workbook};
use smtx_secret::Secret;
use smtx_sim::{ClusterSpec, Scenario, SimOptions};

use crate::Outcome;
use crate::commands::BadInput;
use crate::i18n::{CliMsg, Lang, Localize, SimMsg};

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
    /// Faults to arm from the start (TOML; see crates/sim/scenarios/, one file per story).
    #[arg(long, value_name = "FILE")]
    scenario: Option<PathBuf>,
    /// Write the settings file for `smtx-deploy run --config` here; the CA
    /// certificate goes next to it as `<stem>-ca.pem`, and the rehearsal's SSH
    /// host keys are pinned next to it (`<name>.known_hosts`), apart from
    /// the site's.
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
    /// Require `Authorization: Bearer TOKEN` on /_sim/state and /_sim/faults
    /// (prefer the environment variable: a flag shows in `ps`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SMTX_SIM_CONTROL_TOKEN",
        hide_env_values = true
    )]
    control_token: Option<String>,
}

pub async fn run(args: SimArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let say = |message: &dyn Localize| message.localize(lang);
    let Some(plan) = args.plan.clone() else {
        return super::sim_fleet::run(
            super::sim_fleet::SimFleetArgs {
                plans: args.plans,
                write_configs: args.write_configs,
                scenario: args.scenario,
                http: args.http,
                seed: args.seed,
                chunk_size: args.chunk_size,
                job_polls: args.job_polls,
                job_ms: args.job_ms,
                latency_ms: args.latency_ms,
            },
            lang,
        )
        .await;
    };
    // Listening starts before the addresses are printed: a script that
    // reads them may stop the simulator at once (`crate::signals`).
    let stop = crate::signals::Stop::listen();
    let file = plan.display().to_string();
    let bytes = smtx_plan::read_workbook_file(&plan, &smtx_plan::WorkbookLimits::DEFAULT).map_err(
        |reason| {
            BadInput(say(&CliMsg::CannotReadWorkbook {
                file: file.clone(),
                reason: crate::i18n::Text::of(&reason),
            }))
        },
    )?;
    let parsed = parse_workbook(&bytes, &file).map_err(|error| BadInput(error.localize(lang)))?;
    for diagnostic in &parsed.diagnostics {
        errln!("{}", diagnostic.localize(lang));
    }
    if parsed.has_errors() {
        let errors = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        errln!(
            "{}",
            say(&SimMsg::SimWorkbookErrors {
                file: file.clone(),
                count: errors,
            })
        );
        errln!("{}", say(&SimMsg::SimCheckHint { file }));
        return Ok(Outcome::BadInput);
    }
    if args.chunk_size == 0 {
        return Err(BadInput(say(&SimMsg::ChunkSizeZero)).into());
    }
    let scenario = match &args.scenario {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                BadInput(say(&SimMsg::CannotReadScenario {
                    path: path.display().to_string(),
                    reason: error.to_string(),
                }))
            })?;
            Scenario::from_toml(&text).map_err(|error| {
                BadInput(say(&SimMsg::BadScenario {
                    path: path.display().to_string(),
                    reason: error.to_string(),
                }))
            })?
        }
        None => Scenario::default(),
    };
    if args.control_token.as_deref() == Some("") {
        return Err(BadInput(say(&SimMsg::EmptyControlToken)).into());
    }
    let spec = ClusterSpec::from_plan(&parsed.plan, args.seed);
    let options = SimOptions {
        tls: !args.http,
        chunk_size: args.chunk_size,
        job_polls_to_finish: args.job_polls,
        job_duration: std::time::Duration::from_millis(args.job_ms),
        latency: std::time::Duration::from_millis(args.latency_ms),
        scenario,
        control_token: args.control_token.map(Secret::new),
        ..SimOptions::default()
    };
    let sim = smtx_sim::start(spec, options)
        .await
        .with_context(|| say(&SimMsg::StartingSim))?;

    for node in sim.nodes() {
        let line = CliMsg::SimNode {
            name: node.hostname.clone(),
            ip: node.workbook_ip.to_string(),
            url: format!("{}://{}", sim.scheme(), node.http),
            ssh: node.ssh.map(|ssh| ssh.to_string()),
        };
        outln!("{}", say(&line));
    }
    if let Some(vip) = sim.vip() {
        let line = SimMsg::SimVip {
            ip: vip.workbook_ip.to_string(),
            url: format!("{}://{}", sim.scheme(), vip.http),
            ssh: vip.ssh.map(|ssh| ssh.to_string()),
        };
        outln!("{}", say(&line));
    }
    let control = SimMsg::SimControl {
        url: sim.control_url().to_string(),
        token: sim.control_token().is_some(),
    };
    outln!("{}", say(&control));

    let mut ca_path = None;
    if let Some(config) = &args.write_config {
        let written = write_config(&sim, config, lang)?;
        let path = written.display().to_string();
        outln!("{}", say(&SimMsg::SimSettingsFile { path: path.clone() }));
        let hint = SimMsg::SimRunHint {
            config: path,
            workbook: plan.display().to_string(),
        };
        errln!("{}", say(&hint));
        ca_path = Some(ca_path_for(&written));
    }
    if let (Some(node), Some(_)) = (sim.nodes().first(), sim.ca_cert_pem()) {
        // The certificate names the workbook addresses only, as a cluster's
        // does: reach the control endpoint by its workbook address.
        let auth = if sim.control_token().is_some() {
            " -H 'Authorization: Bearer <control token>'"
        } else {
            ""
        };
        let (ip, http) = (node.workbook_ip, node.http);
        let command = match &ca_path {
            Some(path) => format!(
                "curl --cacert {}{auth} --connect-to {ip}:443:{http} https://{ip}/_sim/state",
                path.display()
            ),
            None => format!(
                "curl --insecure{auth} --connect-to {ip}:443:{http} https://{ip}/_sim/state"
            ),
        };
        errln!("{}", say(&SimMsg::SimCurlHint { command }));
    }
    errln!("{}", say(&SimMsg::Simulating));
    stop.with_context(|| say(&SimMsg::WaitingForCtrlC))?
        .requested()
        .await;
    errln!("{}", say(&SimMsg::StoppingSim));
    sim.shutdown().await;
    Ok(Outcome::Ok)
}

/// Writes the settings file and, for HTTPS, its CA certificate next to it
/// as `<stem>-ca.pem` (`sim.toml` → `sim-ca.pem`: one per settings file, so
/// a second simulator written into the same folder leaves the first one's
/// certificate alone);
/// the file pins SSH host keys in `<name>.known_hosts` next to it, so a
/// rehearsal's pins (the simulator's keys under the workbook addresses)
/// never meet a site run's `runs/known_hosts`. Returns the settings file's
/// absolute path.
fn write_config(sim: &smtx_sim::RunningSim, config: &Path, lang: Lang) -> anyhow::Result<PathBuf> {
    let say = |message: &dyn Localize| message.localize(lang);
    let config = std::path::absolute(config).with_context(|| {
        say(&SimMsg::Resolving {
            path: config.display().to_string(),
        })
    })?;
    let dir = config.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir).with_context(|| {
        say(&SimMsg::Creating {
            path: dir.display().to_string(),
        })
    })?;
    let ca_path = match sim.ca_cert_pem() {
        Some(pem) => {
            let path = ca_path_for(&config);
            std::fs::write(&path, pem).with_context(|| {
                say(&SimMsg::Writing {
                    path: path.display().to_string(),
                })
            })?;
            Some(path)
        }
        None => None,
    };
    let mut known_hosts = config.with_extension("known_hosts");
    if known_hosts == config {
        // A settings file named `*.known_hosts`: keep the two apart.
        known_hosts.set_extension("known_hosts.pins");
    }
    std::fs::write(
        &config,
        sim.settings_toml(ca_path.as_deref(), Some(&known_hosts)),
    )
    .with_context(|| {
        say(&SimMsg::Writing {
            path: config.display().to_string(),
        })
    })?;
    Ok(config)
}

/// `DIR/<stem>-ca.pem` for the settings file `DIR/<stem>.toml`.
fn ca_path_for(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sim".to_string());
    config.with_file_name(format!("{stem}-ca.pem"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_settings_file_gets_a_certificate_of_its_own() {
        assert_eq!(
            ca_path_for(Path::new("/site/sim.toml")),
            Path::new("/site/sim-ca.pem")
        );
        assert_eq!(
            ca_path_for(Path::new("/site/bj-01.toml")),
            Path::new("/site/bj-01-ca.pem")
        );
    }
}
