//! Step 3 of `config_cluster`: the management VIP (after a probe that it is
//! not another device's), DNS and NTP; each call's job is waited for.
//!
//! Look before you set, on every run (a resumed one or not, as for
//! switches and networks): each setting is read first (`GET
//! /api/v2/settings/{vip,dns,ntp}`, \[ASSUMED\], the reads `check` uses) and
//! one the cluster already has as the workbook says is recorded `ok`,
//! "already set", with nothing sent — a job of a couple of seconds saved,
//! and nothing for the cluster to redo. The read shows everything the PUT
//! sets, so the comparison is complete. A read that fails (404: the cluster
//! lacks the assumed endpoint) leaves nothing to compare: the setting is
//! sent, and its detail says so.

use smtx_api::{ApiClient, ApiError, JobWait};

use super::{StageRun, job_wait, scanned_hosts};
use crate::messages::SettingsMsg;
use crate::messages::settings::{Unread, VipAnswer};
use crate::{Step, StepResult};

/// Wait for a settings job when the answer carried one; answers the job
/// waited for.
async fn wait_optional_job(
    client: &ApiClient,
    job_id: Option<String>,
    wait: JobWait,
) -> Result<Option<String>, ApiError> {
    if let Some(job_id) = &job_id {
        client.wait_job(job_id, wait).await?;
    }
    Ok(job_id)
}

const VIP_READ: &str = "GET /api/v2/settings/vip";
const DNS_READ: &str = "GET /api/v2/settings/dns";
const NTP_READ: &str = "GET /api/v2/settings/ntp";

/// A setting's read before it is sent: its name for the detail (`GET
/// /api/v2/settings/dns`) and whether the cluster already has the
/// workbook's value.
struct Look<L> {
    read: &'static str,
    same: L,
}

/// One cluster setting (VIP, DNS, NTP): skipped when the workbook has no
/// value; read first and left alone when the cluster has it already; a
/// warning naming the value's `cells` when the call or its job fails.
/// Returns whether it is in place.
async fn apply_setting<L, F>(
    run: &mut StageRun<'_>,
    action: Step,
    value: Option<String>,
    (missing, cells): (SettingsMsg, String),
    look: Look<L>,
    call: F,
) -> bool
where
    L: std::future::Future<Output = Result<bool, ApiError>>,
    F: std::future::Future<Output = Result<Option<String>, ApiError>>,
{
    let started = run.step_started(action.clone());
    let Some(value) = value else {
        run.record(StepResult::skipped(action, missing), started);
        return false;
    };
    // A dry run's read answers "nothing set": it always would set.
    let unread = match look.same.await {
        Ok(true) if !run.settings.dry_run => {
            run.record(
                StepResult::ok(action, SettingsMsg::AlreadySet { value }),
                started,
            );
            return true;
        }
        Ok(_) => None,
        Err(error) => Some(Unread::of(look.read, &error)),
    };
    let outcome = match call.await {
        Ok(job) => wait_optional_job(&run.client, job, job_wait(run)).await,
        Err(error) => Err(error),
    };
    let (result, applied) = match outcome {
        Ok(_) if run.settings.dry_run => (
            StepResult::ok(action.clone(), SettingsMsg::WouldSet { value }),
            true,
        ),
        Ok(job) => (
            StepResult::ok(action.clone(), SettingsMsg::Applied { value, job, unread }),
            true,
        ),
        Err(error) => (
            StepResult::warning(action, &error).with_hint(SettingsMsg::SettingHint { cells }),
            false,
        ),
    };
    run.record(result, started);
    applied
}

/// Step 3. Returns whether the VIP is in place (uploads then go there).
///
/// The VIP's probe comes before its read, as before: a VIP another device
/// answers on is a warning whatever the cluster's setting says (the read
/// cannot tell two holders apart), and one that answers as this cluster —
/// set by an earlier run — goes on to the read and is found "already set".
pub(super) async fn settings_step(run: &mut StageRun<'_>) -> bool {
    let plan = run.plan().clone();
    let client = run.client.clone();
    let vip_taken = match plan.cluster.vip {
        Some(vip) => vip_held_elsewhere(run, vip).await,
        None => None,
    };
    let vip_cell = plan.cluster.vip_cell();
    let vip_ok = if let Some(taken) = vip_taken {
        let started = run.step_started(Step::SetVip);
        run.record(
            StepResult::warning(Step::SetVip, taken).with_hint(SettingsMsg::VipTakenHint {
                cell: vip_cell.clone(),
            }),
            started,
        );
        false
    } else {
        apply_setting(
            run,
            Step::SetVip,
            plan.cluster.vip.map(|vip| vip.to_string()),
            (
                SettingsMsg::NoVip {
                    cell: vip_cell.clone(),
                },
                vip_cell,
            ),
            Look {
                read: VIP_READ,
                same: async {
                    let current = client.vip_setting().await?;
                    Ok::<_, ApiError>(
                        current.is_some() && current == plan.cluster.vip.map(|vip| vip.to_string()),
                    )
                },
            },
            async {
                match plan.cluster.vip {
                    Some(vip) => client.set_vip(vip).await,
                    None => Ok(None),
                }
            },
        )
        .await
    };
    let dns: Vec<String> = plan.dns_servers.iter().map(ToString::to_string).collect();
    apply_list_setting(
        run,
        Step::SetDns,
        &dns,
        (
            SettingsMsg::NoDns {
                cells: plan.dns_cells.named(),
            },
            plan.dns_cells.named(),
        ),
        Look {
            read: DNS_READ,
            same: async { Ok::<_, ApiError>(client.dns_setting().await? == dns) },
        },
        client.set_dns(&plan.dns_servers),
    )
    .await;
    apply_list_setting(
        run,
        Step::SetNtp,
        &plan.ntp_servers,
        (
            SettingsMsg::NoNtp {
                cells: plan.ntp_cells.named(),
            },
            plan.ntp_cells.named(),
        ),
        Look {
            read: NTP_READ,
            same: async {
                let current = client.ntp_setting().await?;
                // What the PUT sets: external mode (as `check` reads it, a
                // cluster that does not say its mode is not held against
                // it) and these servers, in this order.
                Ok::<_, ApiError>(
                    current
                        .mode
                        .as_deref()
                        .is_none_or(|mode| mode == "external")
                        && current.servers == plan.ntp_servers,
                )
            },
        },
        client.set_ntp(&plan.ntp_servers),
    )
    .await;
    vip_ok
}

/// How long the VIP probe waits for each port: an address nothing holds
/// stays silent, so this is what a free VIP costs.
const VIP_PROBE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

/// Before setting the VIP: does another device already answer on it (TCP
/// on the API port and on SSH, through the address overrides)? A VIP that
/// answers the host scan as one of this cluster's hosts is this cluster's
/// (set by an earlier run) and is not in the way. Answers why it is taken;
/// `None` to go ahead. Never probes in a dry run or when told not to mind.
async fn vip_held_elsewhere(run: &StageRun<'_>, vip: std::net::Ipv4Addr) -> Option<SettingsMsg> {
    if run.settings.dry_run || run.settings.allow_active_vip {
        return None;
    }
    let vip_text = vip.to_string();
    let api_port = run.client.base_port();
    let api = run.client.connect_address(&vip_text, api_port)?;
    let ssh = run.settings.ssh_address(vip);
    let answering = smtx_api::probe::answering(&[api, ssh], VIP_PROBE_DEADLINE).await;
    if answering.is_empty() {
        return None;
    }
    let ours: Vec<String> = scanned_hosts(run)
        .into_iter()
        .map(|(_, host)| host.host_uuid)
        .filter(|uuid| !uuid.is_empty())
        .collect();
    let at_vip = run.client.with_base(&run.client.base_for_host(&vip_text));
    if let Ok(client) = at_vip
        && let Ok(scan) = client.host_scan().await
        && ours.contains(&scan.host_uuid)
    {
        return None;
    }
    let answering = answering
        .iter()
        .map(|address| VipAnswer {
            port: if *address == api {
                api_port
            } else {
                run.settings.ssh_port
            },
            via: (address.ip().to_string() != vip_text).then(|| address.to_string()),
        })
        .collect();
    Some(SettingsMsg::VipTaken {
        vip: vip_text,
        answering,
    })
}

/// DNS and NTP: per the design, an empty list is a warning (the cluster
/// keeps whatever it has, which is rarely what a site wants), not a skip.
async fn apply_list_setting<L, F>(
    run: &mut StageRun<'_>,
    action: Step,
    list: &[String],
    (empty, cells): (SettingsMsg, String),
    look: Look<L>,
    call: F,
) -> bool
where
    L: std::future::Future<Output = Result<bool, ApiError>>,
    F: std::future::Future<Output = Result<Option<String>, ApiError>>,
{
    if list.is_empty() {
        let started = run.step_started(action.clone());
        run.record(
            StepResult::warning(action, empty).with_hint(SettingsMsg::FillCellsHint),
            started,
        );
        return false;
    }
    apply_setting(
        run,
        action,
        Some(list.join(", ")),
        (empty, cells),
        look,
        call,
    )
    .await
}
