//! Step 7 of `config_cluster`: every host's `smartx` and `root` passwords
//! set to the workbook's over SSH (as `smartx`, `sudo -n chpasswd`, the
//! passwords on stdin), hosts in parallel, one result per host. Host keys
//! are pinned in a known_hosts file that outlives the run directory.

use smtx_api::ssh::{RotationOutcome, SshError, SshOptions, SshTarget, rotate_all};

use super::StageRun;
use crate::messages::HostPasswordMsg;
use crate::{HostRef, Step, StepResult};

pub async fn run(run: &mut StageRun<'_>) {
    let started = run.step_started(Step::HostPasswords);
    if !run.settings.rotate_host_passwords {
        // The workbook plans these passwords: not setting them is work left
        // undone, which the summary must show.
        run.record(
            StepResult::warning(Step::HostPasswords, HostPasswordMsg::TurnedOff).with_hint(
                HostPasswordMsg::TurnedOffHint {
                    cells: run.plan().password_cells(),
                },
            ),
            started,
        );
        return;
    }
    let plan = run.plan().clone();
    if plan.hosts.is_empty() {
        run.record(
            StepResult::skipped(Step::HostPasswords, HostPasswordMsg::NoHosts),
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
            // The workbook's address, as the engineer knows the host: an
            // address override (a rehearsal's loopback port) is transport.
            run.record(
                StepResult::ok(
                    Step::HostPassword(host.clone()),
                    HostPasswordMsg::WouldRotate {
                        user: target.login_user.clone(),
                        address: format!("{}:22", target.known_hosts_key),
                    },
                ),
                started,
            );
        }
        // The step that was started ends too, as a live run's does: no
        // front end is left showing it under way.
        run.record(
            StepResult::ok(
                Step::HostPasswords,
                HostPasswordMsg::WouldRotateAll {
                    count: plan.hosts.len(),
                },
            ),
            started,
        );
        return;
    }
    let (known_hosts, known_hosts_replace) = run.settings.known_hosts_file();
    let options = SshOptions {
        connect_timeout: run.settings.ssh_connect_timeout,
        command_timeout: run.settings.ssh_command_timeout,
        known_hosts,
        known_hosts_replace,
        changed_host_keys: run.settings.changed_host_keys.clone(),
    };
    let outcomes = rotate_all(targets, &options, run.settings.ssh_concurrency.max(1)).await;
    let mut failed = Vec::new();
    // `rotate_all` answers in the targets' order.
    for (named, (host, outcome)) in hosts.iter().zip(outcomes) {
        let action = Step::HostPassword(named.clone());
        let result = match outcome {
            Ok(RotationOutcome::Rotated) => {
                StepResult::ok(action.clone(), HostPasswordMsg::Rotated)
            }
            Ok(RotationOutcome::AlreadyRotated) => {
                StepResult::ok(action.clone(), HostPasswordMsg::AlreadyRotated)
            }
            Err(error) => {
                failed.push(host.clone());
                let hint = match &error {
                    SshError::HostKeyChanged {
                        known_hosts_key,
                        known_hosts,
                        ..
                    } => HostPasswordMsg::HostKeyHint {
                        key: known_hosts_key.clone(),
                        known_hosts: known_hosts.display().to_string(),
                    },
                    _ => HostPasswordMsg::SshHint,
                };
                StepResult::failed(action, &error).with_hint(hint)
            }
        };
        run.record(result, started);
    }
    let summary = if failed.is_empty() {
        StepResult::ok(
            Step::HostPasswords,
            HostPasswordMsg::AllRotated {
                count: plan.hosts.len(),
            },
        )
    } else {
        StepResult::failed(
            Step::HostPasswords,
            HostPasswordMsg::SomeFailed {
                failed,
                total: plan.hosts.len(),
            },
        )
        .with_hint(HostPasswordMsg::SomeFailedHint)
    };
    run.record(summary, started);
}
