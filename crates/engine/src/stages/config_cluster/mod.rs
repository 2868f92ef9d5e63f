//! `config_cluster`: the stage of the design, step by step (PRODUCT.md):
//! admin init, login, VIP/DNS/NTP, IPMI accounts, business VDS and VLANs,
//! host passwords, VMTools upload, CPU compatibility, serial. Each step
//! appends one or more results; only a missing session or an unverified
//! deployment stop the stage early. Every create looks first, and every
//! setting is read before it is sent, so a second run creates nothing,
//! sends no setting the cluster already has, and a run after a failure
//! finishes the job.
//!
//! Once the session is up the stage runs in three lanes at once (unless
//! `Settings::lanes` is off, or in a dry run, whose calls are listed in the
//! design's order): the API steps in the design's order, the SSH password
//! rotation, and the VMTools upload; the serial follows when all three have
//! ended. The report keeps the design's order ([`design_rank`]).

mod cluster_settings;
mod cpu_compatibility;
mod host_passwords;
mod ipmi;
mod network;
mod serial;
mod session;
mod vmtools;

use smtx_api::JobWait;

use super::{Lane, StageOutcome, StageRun};
use crate::messages::SessionMsg;
use crate::{ScannedHost, Step, StepResult, StepStatus};

pub async fn run(run: &mut StageRun<'_>) -> StageOutcome {
    let mut outcome = StageOutcome::default();
    if !preconditions(run) {
        return outcome;
    }
    if !session::admin_and_login(run).await {
        return outcome;
    }
    let halted = if run.settings.lanes && !run.settings.dry_run {
        lanes(run).await
    } else {
        let vip_ok = api_steps(run).await;
        host_passwords::run(run).await;
        vmtools::run(run, Some(vip_ok)).await;
        // A failed host or upload still leaves the rest worth doing: the CPU
        // model and the serial do not depend on them.
        cpu_compatibility::run(run).await;
        false
    };
    if !halted {
        outcome.serial = serial::serial_step(run).await;
    }
    outcome
}

/// The API lane up to the CPU model: VIP, DNS, NTP, BMC accounts, business
/// switch and VLANs. Whether the VIP is in place.
async fn api_steps(run: &mut StageRun<'_>) -> bool {
    let vip_ok = cluster_settings::settings_step(run).await;
    if run.halted() {
        return vip_ok;
    }
    ipmi::ipmi_step(run).await;
    if run.halted() {
        return vip_ok;
    }
    match network::vds_step(run).await {
        Some(vds_uuid) => network::vlan_step(run, &vds_uuid).await,
        None => network::networks_not_created(run),
    }
    vip_ok
}

/// The three lanes at once; true when one of them failed the stage.
async fn lanes(run: &mut StageRun<'_>) -> bool {
    let board = run.fork();
    let mut api_context = run.context.clone();
    let mut ssh_context = run.context.clone();
    let mut upload_context = run.context.clone();
    {
        let mut api = run.lane(Lane::Api, &board, &mut api_context);
        let mut ssh = run.lane(Lane::Ssh, &board, &mut ssh_context);
        let mut upload = run.lane(Lane::Upload, &board, &mut upload_context);
        tokio::join!(
            async {
                api_steps(&mut api).await;
                if !api.halted() {
                    cpu_compatibility::run(&mut api).await;
                }
            },
            host_passwords::run(&mut ssh),
            // To the VIP once the API lane has it in place (its first
            // step), as one step at a time.
            vmtools::run(&mut upload, None),
        );
    }
    run.join_lanes()
}

/// Where a step of this stage stands in the design's order, among the
/// steps the lanes run side by side: the API steps (and the session before
/// them), the host passwords, the upload, the CPU model, the serial.
pub(crate) fn design_rank(step: &Step) -> u8 {
    match step {
        Step::HostPassword(_) | Step::HostPasswords => 1,
        Step::VmtoolsUpload => 2,
        Step::CpuCompatibility => 3,
        Step::Serial => 4,
        _ => 0,
    }
}

fn preconditions(run: &mut StageRun<'_>) -> bool {
    let started = run.step_started(Step::Preconditions);
    let deployed = run
        .context
        .extra
        .deploy_verify
        .as_ref()
        .and_then(|verify| verify.is_deployed);
    let result = match deployed {
        Some(true) if run.settings.dry_run => {
            StepResult::ok(Step::Preconditions, SessionMsg::WouldStart)
        }
        Some(true) => StepResult::ok(Step::Preconditions, SessionMsg::DeploymentVerified),
        Some(false) => StepResult::failed(Step::Preconditions, SessionMsg::NotDeployed)
            .with_hint(SessionMsg::NotDeployedHint),
        None => StepResult::failed(Step::Preconditions, SessionMsg::NoDeployVerify)
            .with_hint(SessionMsg::NoDeployVerifyHint),
    };
    let ok = result.status == StepStatus::Ok;
    run.record(result, started);
    ok
}

/// What the host scan of `prepare` found, by management IP.
fn scanned_hosts(run: &StageRun<'_>) -> Vec<(String, ScannedHost)> {
    run.context
        .extra
        .host_scan
        .iter()
        .flat_map(|scans| scans.iter())
        .map(|(ip, scan)| (ip.to_string(), scan.clone()))
        .collect()
}

/// The scan of the host at `ip`, if `prepare` made one.
fn scanned_host<'a>(scans: &'a [(String, ScannedHost)], ip: &str) -> Option<&'a ScannedHost> {
    scans
        .iter()
        .find(|(known, _)| known == ip)
        .map(|(_, scan)| scan)
}

fn job_wait(run: &StageRun<'_>) -> JobWait {
    JobWait {
        deadline: run.settings.job_deadline,
        ..JobWait::default()
    }
}
