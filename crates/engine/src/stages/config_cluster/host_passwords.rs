//! Step 7 of `config_cluster`: every host's `smartx` and `root` passwords
//! set to the workbook's over SSH (as `smartx`, `sudo -n chpasswd`, the
//! passwords on stdin), hosts in parallel, one result per host. Host keys
//! are pinned in a known_hosts file that outlives the run directory.

use smtx_api::ssh::{RotationOutcome, SshError, SshOptions, SshTarget, rotate_all};

use super::StageRun;
use crate::{HostRef, Step, StepResult};

pub async fn run(run: &mut StageRun<'_>) {
    let started = run.step_started(Step::HostPasswords);
    if !run.settings.rotate_host_passwords {
        // The workbook plans these passwords: not setting them is work left
        // undone, which the summary must show.
        run.record(
            StepResult::warning(
                Step::HostPasswords,
                "not rotated: turned off (--no-host-passwords or ssh.rotate_host_passwords = false); \
                 the hosts keep their deployment passwords",
            )
            .with_hint("run again without --no-host-passwords to set the workbook's passwords (主机规划!K, M)"),
            started,
        );
        return;
    }
    let plan = run.plan().clone();
    if plan.hosts.is_empty() {
        run.record(
            StepResult::skipped(Step::HostPasswords, "no hosts"),
            started,
        );
        return;
    }
    let hosts: Vec<HostRef> = plan
        .hosts
        .iter()
        .map(|host| HostRef {
            hostname: host.hostname.clone(),
            ip: host.management_ip.to_string(),
        })
        .collect();
    let targets: Vec<SshTarget> = plan
        .hosts
        .iter()
        .zip(&hosts)
        .map(|(host, named)| SshTarget {
            host: named.to_string(),
            known_hosts_key: host.management_ip.to_string(),
            connect_addr: run.settings.ssh_address(host.management_ip),
            login_user: host.ssh_user.clone(),
            current_password: run.settings.ssh_initial_password.clone(),
            new_passwords: vec![
                (host.ssh_user.clone(), host.ssh_password.clone()),
                ("root".to_string(), host.root_password.clone()),
            ],
        })
        .collect();
    if run.settings.dry_run {
        for (target, host) in targets.iter().zip(&hosts) {
            run.record(
                StepResult::ok(
                    Step::HostPassword(host.clone()),
                    format!(
                        "would log in as {} at {} and run `sudo -n chpasswd` (passwords on stdin)",
                        target.login_user, target.connect_addr
                    ),
                ),
                started,
            );
        }
        return;
    }
    let options = SshOptions {
        connect_timeout: run.settings.ssh_connect_timeout,
        command_timeout: run.settings.ssh_command_timeout,
        known_hosts: run.settings.known_hosts_path(),
        changed_host_keys: run.settings.changed_host_keys.clone(),
    };
    let outcomes = rotate_all(targets, &options, run.settings.ssh_concurrency.max(1)).await;
    let mut failed = Vec::new();
    // `rotate_all` answers in the targets' order.
    for (named, (host, outcome)) in hosts.iter().zip(outcomes) {
        let action = Step::HostPassword(named.clone());
        let result = match outcome {
            Ok(RotationOutcome::Rotated) => {
                StepResult::ok(action.clone(), "smartx and root passwords set")
            }
            Ok(RotationOutcome::AlreadyRotated) => StepResult::ok(
                action.clone(),
                "already rotated: the workbook password logs in (set again to be sure)",
            ),
            Err(error) => {
                failed.push(host.clone());
                let hint = match &error {
                    SshError::HostKeyChanged {
                        known_hosts_key,
                        known_hosts,
                        ..
                    } => format!(
                        "if the host was reinstalled, run again with --accept-changed-host-key {known_hosts_key} (or delete its line from {}); if not, find out what answers at {known_hosts_key}",
                        known_hosts.display()
                    ),
                    _ => "check SSH to the host and the deployment password (ssh.initial_password); the other hosts are done".to_string(),
                };
                StepResult::failed(action, error.to_string()).with_hint(hint)
            }
        };
        run.record(result, started);
    }
    let summary = if failed.is_empty() {
        StepResult::ok(
            Step::HostPasswords,
            format!("{} host(s) rotated", plan.hosts.len()),
        )
    } else {
        StepResult::failed(
            Step::HostPasswords,
            format!(
                "{} of {} host(s) failed: {}",
                failed.len(),
                plan.hosts.len(),
                failed.join(", ")
            ),
        )
        .with_hint("fix those hosts and run again: rotated hosts are recognised")
    };
    run.record(summary, started);
}
