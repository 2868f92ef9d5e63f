//! `config_cluster`: the stage of the design, step by step (PRODUCT.md):
//! admin init, login, VIP/DNS/NTP, IPMI accounts, business VDS and VLANs,
//! host passwords, VMTools upload, CPU compatibility, serial. Each step
//! appends one or more results; only a missing session or an unverified
//! deployment stop the stage early. Every create looks first, and every
//! setting is read before it is sent, so a second run creates nothing,
//! sends no setting the cluster already has, and a run after a failure
//! finishes the job.

mod cluster_settings;
mod cpu_compatibility;
mod host_passwords;
mod ipmi;
mod network;
mod serial;
mod session;
mod vmtools;

use smtx_api::JobWait;

use super::{StageOutcome, StageRun};
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
    let vip_ok = cluster_settings::settings_step(run).await;
    ipmi::ipmi_step(run).await;
    match network::vds_step(run).await {
        Some(vds_uuid) => network::vlan_step(run, &vds_uuid).await,
        None => network::networks_not_created(run),
    }
    host_passwords::run(run).await;
    vmtools::run(run, vip_ok).await;
    // A failed host or upload still leaves the rest worth doing: the CPU
    // model and the serial do not depend on them.
    cpu_compatibility::run(run).await;
    outcome.serial = serial::serial_step(run).await;
    outcome
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
