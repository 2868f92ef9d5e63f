//! `prepare`: scan every host (`GET /api/v2/deployment/host` on its own
//! management IP) into `extra.host_scan`, check the deployment
//! (`deploy_verify`) into `extra.deploy_verify`, and check that the NICs the
//! workbook names exist on the hosts.

use futures::future::join_all;
use smtx_api::HostScan;

use super::{StageOutcome, StageRun};
use crate::messages::PrepareMsg;
use crate::{DeployVerifyRecord, HostRef, HostScans, Step, StepResult, WorkbookIdentity};

pub async fn run(run: &mut StageRun<'_>) -> StageOutcome {
    let started = run.step_started(Step::Workbook);
    let plan = run.plan();
    let summary = PrepareMsg::WorkbookSummary {
        cluster: plan.cluster.name.clone(),
        hosts: plan.hosts.len(),
        networks: plan.business_networks.len(),
    };
    // Which cluster this context belongs to, so that `--from` can refuse
    // the run directory of another one.
    let identity = WorkbookIdentity {
        cluster_name: Some(plan.cluster.name.clone()),
        management_ips: Some(
            plan.hosts
                .iter()
                .map(|host| host.management_ip.to_string())
                .collect(),
        ),
        other: Default::default(),
    };
    run.context
        .extra
        .prepare
        .get_or_insert_with(Default::default)
        .workbook = Some(identity);
    run.record(StepResult::ok(Step::Workbook, summary), started);

    let scans = scan_hosts(run).await;
    let mut host_scan = HostScans::default();
    for (ip, scan) in &scans {
        if let Some(scan) = scan {
            host_scan.insert(ip.clone(), scan.clone().into());
        }
    }
    run.context.extra.host_scan = Some(host_scan);

    check_nics(run, &scans);

    let started = run.step_started(Step::DeployVerify);
    match run.client.deploy_verify().await {
        Ok(verify) => {
            run.context.extra.deploy_verify = Some(DeployVerifyRecord {
                data: verify.raw,
                is_deployed: Some(verify.is_deployed),
                other: Default::default(),
            });
            let result = if run.settings.dry_run {
                StepResult::ok(Step::DeployVerify, PrepareMsg::WouldVerify)
            } else if verify.is_deployed {
                StepResult::ok(Step::DeployVerify, PrepareMsg::Deployed)
            } else {
                StepResult::failed(Step::DeployVerify, PrepareMsg::NotDeployed)
                    .with_hint(PrepareMsg::NotDeployedHint)
            };
            run.record(result, started);
        }
        Err(error) => {
            run.record(
                StepResult::failed(Step::DeployVerify, &error).with_hint(PrepareMsg::VerifyHint),
                started,
            );
        }
    }
    StageOutcome::default()
}

/// Scan all hosts at once; one result per host, in workbook order.
async fn scan_hosts(run: &mut StageRun<'_>) -> Vec<(String, Option<HostScan>)> {
    let hosts = run.plan().hosts.clone();
    let started = match hosts.first() {
        Some(host) => run.step_started(Step::HostScan(HostRef {
            hostname: host.hostname.clone(),
            ip: host.management_ip.to_string(),
        })),
        None => std::time::Instant::now(),
    };
    let scans = join_all(hosts.iter().map(|host| {
        let base = run.client.base_for_host(&host.management_ip.to_string());
        let client = run.client.with_base(&base);
        async move {
            match client {
                Ok(client) => client.host_scan().await,
                Err(error) => Err(error),
            }
        }
    }))
    .await;
    let mut out = Vec::new();
    for (host, scan) in hosts.iter().zip(scans) {
        let ip = host.management_ip.to_string();
        let action = Step::HostScan(HostRef {
            hostname: host.hostname.clone(),
            ip: ip.clone(),
        });
        match scan {
            Ok(mut scan) => {
                if run.settings.dry_run {
                    scan.host_uuid = format!("<uuid of {}>", host.hostname);
                    scan.hostname = host.hostname.clone();
                    scan.host_ip = ip.clone();
                }
                let result = if run.settings.dry_run {
                    StepResult::ok(action.clone(), PrepareMsg::WouldScan)
                } else if !scan.hostname.is_empty() && scan.hostname != host.hostname {
                    StepResult::warning(
                        action.clone(),
                        PrepareMsg::HostnameMismatch {
                            reported: scan.hostname.clone(),
                            planned: host.hostname.clone(),
                            cell: host.hostname_cell(),
                        },
                    )
                } else {
                    StepResult::ok(
                        action.clone(),
                        PrepareMsg::ScannedUuid {
                            uuid: scan.host_uuid.clone(),
                        },
                    )
                };
                run.record(result, started);
                out.push((ip, Some(scan)));
            }
            Err(error) => {
                let mut result = StepResult::failed(action.clone(), &error);
                // A TLS error already says what to do about the certificate.
                if !matches!(error, smtx_api::ApiError::Tls { .. }) {
                    result = result.with_hint(PrepareMsg::ScanHint {
                        ip: ip.clone(),
                        cell: host.management_ip_cell(),
                    });
                }
                run.record(result, started);
                out.push((ip, None));
            }
        }
    }
    out
}

/// Every NIC the workbook assigns to the business VDS must exist on every host.
fn check_nics(run: &mut StageRun<'_>, scans: &[(String, Option<HostScan>)]) {
    let Some(vds) = run.plan().business_vds.clone() else {
        return;
    };
    // Nothing to compare against without a single scan (the scans' own
    // failures say why).
    if run.settings.dry_run || vds.nics.is_empty() || scans.iter().all(|(_, s)| s.is_none()) {
        return;
    }
    let started = run.step_started(Step::CheckNics);
    let mut missing = Vec::new();
    for (ip, scan) in scans {
        let Some(scan) = scan else { continue };
        for nic in &vds.nics {
            if !scan.nics.iter().any(|n| n == nic) {
                missing.push((scan.hostname.clone(), ip.clone(), nic.clone()));
            }
        }
    }
    let result = if missing.is_empty() {
        StepResult::ok(
            Step::CheckNics,
            PrepareMsg::NicsPresent {
                nics: vds.nics.clone(),
            },
        )
    } else {
        StepResult::warning(Step::CheckNics, PrepareMsg::NicsMissing { missing }).with_hint(
            PrepareMsg::NicsHint {
                cell: vds.nics_cell(),
            },
        )
    };
    run.record(result, started);
}
