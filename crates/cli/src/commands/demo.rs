//! `smtx-deploy demo`: the whole job on one machine with nothing but Rust —
//! writes an example workbook with the fixture builder, starts the simulator
//! in-process on loopback, runs `prepare` and `config_cluster` against it
//! through the address override and the simulator's CA, and shows where the
//! run directory and the updated workbook are.

use std::path::PathBuf;

use anyhow::Context;
use smtx_engine::Stage;
use smtx_engine::launch::LaunchRequest;
use smtx_plan::fixture::WorkbookSpec;
use smtx_sim::{ClusterSpec, SimOptions};

use super::run::{execute, load_workbook, utc_stamp};
use crate::Outcome;
use crate::i18n::{CliMsg, Lang, Localize, Msg, text};
use crate::settings::{self, ConnectionArgs, RunSettingsArgs};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Number of hosts in the example cluster (1..=16).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=16))]
    pub hosts: u8,
    /// Directory for the workbook and the run (default: smtx-demo/<time>).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Size of the generated VMTools ISO to upload, in MiB (0: no upload).
    #[arg(long, default_value_t = 64)]
    pub iso_mib: u64,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(args: DemoArgs, lang: Lang) -> anyhow::Result<Outcome> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("smtx-demo").join(utc_stamp()));
    let cannot_create = |path: &std::path::Path| CliMsg::cannot_create(path, lang);
    let cannot_write = |path: &std::path::Path| CliMsg::cannot_write(path, lang);
    std::fs::create_dir_all(&dir).with_context(|| cannot_create(&dir))?;
    let dir = smtx_platform::paths::canonicalize(&dir).unwrap_or(dir);
    errln!("{} ({})", text(lang, Msg::DemoStarting), dir.display());

    let workbook_path = dir.join("workbook.xlsx");
    WorkbookSpec::example(usize::from(args.hosts))
        .write_to(&workbook_path)
        .with_context(|| cannot_write(&workbook_path))?;
    let Some(workbook) = load_workbook(&workbook_path, lang)? else {
        anyhow::bail!(CliMsg::ExampleInvalid.localize(lang));
    };

    let iso = if args.iso_mib > 0 {
        let path = dir.join("SMTX_VMTOOLS-3.2.0-demo.iso");
        smtx_sim::write_stand_in_iso(&path, args.iso_mib * 1024 * 1024)
            .with_context(|| cannot_write(&path))?;
        Some(path)
    } else {
        None
    };

    let sim = smtx_sim::start(
        ClusterSpec::from_plan(&workbook.plan, 42),
        SimOptions::default(),
    )
    .await
    .with_context(|| CliMsg::CannotStartSim.localize(lang))?;
    errln!("{}", crate::output::heading(lang, Msg::DemoSimulator));
    let node_line =
        |name: &str, ip: std::net::Ipv4Addr, http, ssh: Option<std::net::SocketAddr>| {
            CliMsg::SimNode {
                name: format!("{name:<11}"),
                ip: ip.to_string(),
                url: format!("{}://{http}", sim.scheme()),
                ssh: ssh.map(|ssh| ssh.to_string()),
            }
            .localize(lang)
        };
    for node in sim.nodes() {
        let line = node_line(&node.hostname, node.workbook_ip, node.http, node.ssh);
        errln!("  {line}");
    }
    if let Some(vip) = sim.vip() {
        errln!("  {}", node_line("VIP", vip.workbook_ip, vip.http, vip.ssh));
    }

    // Reach the simulator exactly as a rehearsal does: through the settings
    // file `smtx-deploy sim --write-config` writes and `run --config` reads.
    let ca_path = dir.join("sim-ca.pem");
    if let Some(pem) = sim.ca_cert_pem() {
        std::fs::write(&ca_path, pem).with_context(|| cannot_write(&ca_path))?;
    }
    let config = dir.join("sim.toml");
    let known_hosts = dir.join("sim.known_hosts");
    std::fs::write(
        &config,
        sim.settings_toml(Some(&ca_path), Some(&known_hosts)),
    )
    .with_context(|| cannot_write(&config))?;
    let connection = ConnectionArgs {
        config: Some(config),
        ..ConnectionArgs::default()
    };
    let run_settings = RunSettingsArgs {
        run_dir: Some(dir.join("run")),
        vmtools_iso: iso,
        ..RunSettingsArgs::default()
    };
    let mut settings = settings::resolve(&connection, &run_settings, lang, dir.join("run"))?;
    // Look for ISOs in the demo's directory, not wherever the demo was started.
    settings.work_dir = dir.clone();
    let outcome = execute(
        LaunchRequest {
            settings,
            workbook,
            stages: Stage::ALL.to_vec(),
            from_dir: None,
            front_end: smtx_engine::LaunchedBy::Demo,
        },
        lang,
        args.json,
    )
    .await;
    if !args.json {
        let state = sim.state();
        outln!();
        outln!("{}", crate::output::heading(lang, Msg::DemoSimulator));
        outln!(
            "{}",
            serde_json::to_string_pretty(&demo_summary(&state)).unwrap_or_default()
        );
    }
    sim.shutdown().await;
    outcome
}

/// The parts of the simulator's state a person wants to see after the demo.
fn demo_summary(state: &serde_json::Value) -> serde_json::Value {
    let cluster = &state["cluster"];
    let vdses: Vec<serde_json::Value> = state["vdses"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|vds| {
                    serde_json::json!({
                        "name": vds["name"],
                        "bond_mode": vds["bond_mode"],
                        "vlans": vds["vlans"].as_array().map(|vlans| vlans
                            .iter()
                            .map(|v| format!("{} ({})", v["name"].as_str().unwrap_or(""), v["vlan_id"]))
                            .collect::<Vec<_>>()),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let rotated = state["hosts"]
        .as_array()
        .map(|hosts| {
            hosts
                .iter()
                .filter(|h| {
                    h["passwords_rotated"]["smartx"] == true
                        && h["passwords_rotated"]["root"] == true
                })
                .count()
        })
        .unwrap_or(0);
    serde_json::json!({
        "vip": cluster["vip"],
        "dns": cluster["dns"],
        "ntp": cluster["ntp"]["servers"],
        "cpu_model": cluster["cpu_model"],
        "serial": cluster["serial"],
        "ipmi_accounts": state["ipmi_accounts"].as_array().map(Vec::len),
        "vdses": vdses,
        "hosts_with_rotated_passwords": rotated,
        "images": state["images"].as_array().map(|images| images
            .iter()
            .map(|i| serde_json::json!({"name": i["name"], "size": i["size"], "complete": i["complete"], "sha256": i["sha256"]}))
            .collect::<Vec<_>>()),
        "api_calls": state["calls"].as_array().map(Vec::len),
    })
}
