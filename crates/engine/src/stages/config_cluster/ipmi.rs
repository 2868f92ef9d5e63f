//! Step 4 of `config_cluster`: one upsert of the hosts' BMC accounts,
//! from the host scan (uuid, hostname) and the workbook's BMC columns.
//!
//! Look before you set, on every run, as for the cluster settings: the
//! stored accounts are read first (`GET /api/v2/ipmi/accounts`,
//! \[ASSUMED\], the read `check` uses) and only the accounts that differ
//! are sent. An account counts as set when the read shows it for the node
//! with the workbook's user and BMC address and does not mark it
//! unreachable (`is_valid: false`, which a wrong password also gives). A
//! password is never read back, so never compared: the detail says so. A
//! read that fails (404: the endpoint is assumed) sends every account and
//! says why.

use smtx_api::{IpmiAccount, IpmiAccountEntry};

use super::{StageRun, scanned_host, scanned_hosts};
use crate::messages::IpmiMsg;
use crate::messages::settings::Unread;
use crate::{Step, StepResult};

const ACCOUNTS_READ: &str = "GET /api/v2/ipmi/accounts";

/// Whether the cluster stores `account` as it would be sent: the same node
/// (by uuid, else by name), user and BMC address, not marked unreachable.
fn stored(account: &IpmiAccount, entries: &[IpmiAccountEntry]) -> bool {
    entries.iter().any(|entry| {
        (entry.node_uuid == account.node_uuid
            || (entry.node_uuid.is_empty() && entry.node_name == account.node_name))
            && entry.host == account.host
            && entry.user == account.user
            && entry.is_valid != Some(false)
    })
}

/// Step 4: one upsert for every host with a BMC address.
pub(super) async fn ipmi_step(run: &mut StageRun<'_>) {
    let plan = run.plan().clone();
    let scanned = scanned_hosts(run);
    let started = run.step_started(Step::IpmiAccounts);
    let mut accounts = Vec::new();
    let mut unscanned = Vec::new();
    for host in &plan.hosts {
        let Some(bmc_ip) = host.bmc.ip else { continue };
        let Some(scan) = scanned_host(&scanned, &host.management_ip.to_string()) else {
            unscanned.push(host.hostname.clone());
            continue;
        };
        accounts.push(IpmiAccount {
            node_uuid: scan.host_uuid.clone(),
            node_name: if scan.hostname.is_empty() {
                host.hostname.clone()
            } else {
                scan.hostname.clone()
            },
            host: bmc_ip.to_string(),
            user: host.bmc.user.clone(),
            password: host.bmc.password.clone(),
        });
    }
    if accounts.is_empty() {
        // BMC accounts planned but none can be sent: that is work not done.
        let result = if unscanned.is_empty() {
            StepResult::skipped(
                Step::IpmiAccounts,
                IpmiMsg::NoBmc {
                    cells: plan.bmc_cells(),
                },
            )
        } else {
            StepResult::warning(Step::IpmiAccounts, IpmiMsg::NotScanned { hosts: unscanned })
                .with_hint(IpmiMsg::RescanHint)
        };
        run.record(result, started);
        return;
    }
    // A dry run's read answers "nothing stored": it always would store.
    let (accounts, already, unread) = match run.client.ipmi_accounts().await {
        Ok(entries) if !run.settings.dry_run => {
            let planned = accounts.len();
            let differ: Vec<IpmiAccount> = accounts
                .into_iter()
                .filter(|account| !stored(account, &entries))
                .collect();
            let already = planned - differ.len();
            (differ, already, None)
        }
        Ok(_) => (accounts, 0, None),
        Err(error) => (accounts, 0, Some(Unread::of(ACCOUNTS_READ, &error))),
    };
    if accounts.is_empty() {
        let result = if unscanned.is_empty() {
            StepResult::ok(Step::IpmiAccounts, IpmiMsg::AlreadySet { count: already })
        } else {
            StepResult::warning(Step::IpmiAccounts, IpmiMsg::NotScanned { hosts: unscanned })
                .with_hint(IpmiMsg::RescanHint)
        };
        run.record(result, started);
        return;
    }
    let result = match run.client.upsert_ipmi_accounts(&accounts).await {
        Ok(_) if run.settings.dry_run => StepResult::ok(
            Step::IpmiAccounts,
            IpmiMsg::WouldStore {
                count: accounts.len(),
            },
        ),
        Ok(answer) if answer.failure.is_empty() && unscanned.is_empty() => StepResult::ok(
            Step::IpmiAccounts,
            IpmiMsg::Stored {
                count: accounts.len(),
                already,
                unread,
            },
        ),
        Ok(answer) => {
            let rejected: Vec<(String, String)> = answer
                .failure
                .iter()
                .map(|f| (f.node_name.clone(), f.host.clone()))
                .collect();
            // The rows of the hosts whose accounts were refused, where the
            // user fixes them.
            let rejected_cells: Vec<String> = plan
                .hosts
                .iter()
                .filter(|host| {
                    rejected.iter().any(|(name, bmc)| {
                        host.bmc.ip.is_some_and(|ip| ip.to_string() == *bmc)
                            || host.hostname == *name
                    })
                })
                .map(|host| host.bmc_cells())
                .collect();
            let cells = if rejected_cells.is_empty() {
                plan.bmc_cells()
            } else {
                rejected_cells.join(", ")
            };
            StepResult::warning(
                Step::IpmiAccounts,
                IpmiMsg::Problems {
                    rejected,
                    unscanned,
                },
            )
            .with_detail(IpmiMsg::Tally {
                stored: answer.success.len(),
                failed: answer.failure.len(),
            })
            .with_hint(IpmiMsg::BmcHint { cells })
        }
        Err(error) => {
            StepResult::warning(Step::IpmiAccounts, &error).with_hint(IpmiMsg::FailedHint)
        }
    };
    run.record(result, started);
}
