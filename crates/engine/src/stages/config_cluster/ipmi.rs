//! Step 4 of `config_cluster`: one upsert of every host's BMC account,
//! from the host scan (uuid, hostname) and the workbook's BMC columns.

use smtx_api::IpmiAccount;

use super::{StageRun, scanned_host, scanned_hosts};
use crate::{Step, StepResult};

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
                "no BMC addresses in the workbook (主机规划!E)",
            )
        } else {
            StepResult::warning(
                Step::IpmiAccounts,
                format!(
                    "BMC accounts not stored: no host scan for {}",
                    unscanned.join(", ")
                ),
            )
            .with_hint("run the prepare stage again (it scans the hosts), then this one")
        };
        run.record(result, started);
        return;
    }
    let result = match run.client.upsert_ipmi_accounts(&accounts).await {
        Ok(_) if run.settings.dry_run => StepResult::ok(
            Step::IpmiAccounts,
            format!("would store {} BMC account(s)", accounts.len()),
        ),
        Ok(answer) if answer.failure.is_empty() && unscanned.is_empty() => StepResult::ok(
            Step::IpmiAccounts,
            format!("{} BMC account(s) stored", accounts.len()),
        ),
        Ok(answer) => {
            let mut problems: Vec<String> = answer
                .failure
                .iter()
                .map(|f| format!("{} (BMC {}) rejected", f.node_name, f.host))
                .collect();
            problems.extend(unscanned.iter().map(|h| format!("{h}: no host scan")));
            StepResult::warning(Step::IpmiAccounts, problems.join("; "))
                .with_detail(format!(
                    "{} stored, {} failed",
                    answer.success.len(),
                    answer.failure.len()
                ))
                .with_hint("check each BMC address, user and password (主机规划!E:G) and that the BMC answers on port 623")
        }
        Err(error) => StepResult::warning(Step::IpmiAccounts, error.to_string())
            .with_hint("enter the BMC accounts in Fisheye, or fix the cause and run again"),
    };
    run.record(result, started);
}
