//! Steps 5 and 6 of `config_cluster`: where the business networks go (the
//! business VDS, created unless it exists; under 存储独立 the management
//! VDS, found by name), one VLAN per business network, and the count check.

use std::time::Instant;

use smtx_api::{ApiClient, CreateVds, CreateVdsAnswer, VdsHostAssociation};
use smtx_plan::{BusinessNetworkHome, Plan, VdsPlan};

use super::{StageRun, job_wait, scanned_host, scanned_hosts};
use crate::messages::{Message, NetworkMsg};
use crate::{NetworkRef, Step, StepResult};

/// Step 5: where the business networks go — under 存储独立 the management
/// VDS, found by name on the cluster (whatever the business-VDS row holds);
/// under 三网独立 the business VDS, created unless it exists. Returns the
/// uuid the VLANs go on.
pub(super) async fn vds_step(run: &mut StageRun<'_>) -> Option<String> {
    let plan = run.plan().clone();
    let started = run.step_started(Step::BusinessVds);
    match plan.business_network_home() {
        BusinessNetworkHome::ManagementVds(name) => {
            if plan.business_networks.is_empty() {
                run.record(
                    StepResult::skipped(
                        Step::BusinessVds,
                        NetworkMsg::SharedNoNetworks {
                            cells: plan.business_network_cells(),
                        },
                    ),
                    started,
                );
                return None;
            }
            management_vds(run, name, started).await
        }
        BusinessNetworkHome::BusinessVds(vds) => business_vds(run, &plan, vds, started).await,
        BusinessNetworkHome::Nowhere => {
            // `plan check` refuses business networks with nowhere to go, so
            // only a workbook without any reaches this.
            run.record(
                StepResult::skipped(
                    Step::BusinessVds,
                    NetworkMsg::NoBusinessVds {
                        cell: plan.business_vds_cell(),
                    },
                ),
                started,
            );
            None
        }
    }
}

/// 存储独立: the management VDS exists since deployment; look it up by name.
async fn management_vds(run: &mut StageRun<'_>, name: &str, started: Instant) -> Option<String> {
    let found = run
        .client
        .find_vds(name)
        .await
        .map(|found| found.map(|v| v.uuid));
    let (result, uuid) = match found {
        Ok(_) if run.settings.dry_run => (
            StepResult::ok(
                Step::BusinessVds,
                NetworkMsg::WouldLookUpManagement {
                    name: name.to_string(),
                },
            ),
            Some(format!("<uuid of {name}>")),
        ),
        Ok(Some(uuid)) => (
            StepResult::ok(
                Step::BusinessVds,
                NetworkMsg::OnManagement {
                    name: name.to_string(),
                    uuid: uuid.clone(),
                },
            ),
            Some(uuid),
        ),
        Ok(None) => (
            StepResult::warning(
                Step::BusinessVds,
                NetworkMsg::ManagementMissing {
                    name: name.to_string(),
                },
            )
            .with_hint(NetworkMsg::ManagementHint {
                cell: run.plan().management_vds.name_cell(),
            }),
            None,
        ),
        Err(error) => (StepResult::warning(Step::BusinessVds, &error), None),
    };
    if let Some(uuid) = uuid.as_ref().filter(|_| !run.settings.dry_run) {
        run.context.extra.config_cluster_mut().vds_uuid = Some(uuid.clone());
    }
    run.record(result, started);
    uuid
}

/// 三网独立: the business VDS, created unless a switch of that name exists.
async fn business_vds(
    run: &mut StageRun<'_>,
    plan: &Plan,
    vds: &VdsPlan,
    started: Instant,
) -> Option<String> {
    // Look before you create: a re-run finds the switch made last time.
    match run.client.find_vds(&vds.name).await {
        Ok(Some(existing)) if !run.settings.dry_run => {
            run.record(
                StepResult::ok(
                    Step::BusinessVds,
                    NetworkMsg::VdsExists {
                        name: vds.name.clone(),
                        uuid: existing.uuid.clone(),
                    },
                ),
                started,
            );
            run.context.extra.config_cluster_mut().vds_uuid = Some(existing.uuid.clone());
            return Some(existing.uuid);
        }
        Ok(_) => {}
        Err(error) => {
            run.record(
                StepResult::warning(Step::BusinessVds, &error).with_hint(NetworkMsg::LookFirstHint),
                started,
            );
            return None;
        }
    }
    let scanned = scanned_hosts(run);
    let mut hosts_associated = Vec::new();
    for host in &plan.hosts {
        let Some(scan) = scanned_host(&scanned, &host.management_ip.to_string()) else {
            continue;
        };
        hosts_associated.push(VdsHostAssociation {
            host_uuid: scan.host_uuid.clone(),
            nics_associated: vds.nics.clone(),
            data_ip: host.storage_ip.map(|ip| ip.to_string()),
        });
    }
    let request = CreateVds {
        name: vds.name.clone(),
        bond_mode: vds.bond_mode.as_api_str().to_string(),
        hosts_associated,
    };
    // The uuid, and the job that created the switch if one did.
    let created: Result<(String, Option<String>), Message> =
        match create_vds_once_more(&run.client, &request).await {
            Ok(CreateVdsAnswer::Uuid(uuid)) => Ok((uuid, None)),
            Ok(CreateVdsAnswer::Job(job_id)) => {
                match run.client.wait_job(&job_id, job_wait(run)).await {
                    Ok(job) => match job.resource_uuid("NETWORK_VDS") {
                        Some(uuid) => Ok((uuid, Some(job_id))),
                        None => find_after_job(&run.client, &vds.name, &job_id).await,
                    },
                    Err(error) => Err((&error).into()),
                }
            }
            Err(error) => Err((&error).into()),
        };
    let bond = vds.bond_mode.to_string();
    match created {
        Ok((uuid, _)) if run.settings.dry_run => {
            run.record(
                StepResult::ok(
                    Step::BusinessVds,
                    NetworkMsg::WouldCreateVds {
                        name: vds.name.clone(),
                        bond,
                        nics: vds.nics.clone(),
                    },
                ),
                started,
            );
            Some(uuid)
        }
        Ok((uuid, job)) => {
            run.record(
                StepResult::ok(
                    Step::BusinessVds,
                    NetworkMsg::VdsCreated {
                        name: vds.name.clone(),
                        uuid: uuid.clone(),
                        job,
                        bond,
                        nics: vds.nics.clone(),
                    },
                ),
                started,
            );
            run.context.extra.config_cluster_mut().vds_uuid = Some(uuid.clone());
            Some(uuid)
        }
        Err(error) => {
            run.record(
                StepResult::warning(Step::BusinessVds, error).with_hint(NetworkMsg::LookFirstHint),
                started,
            );
            None
        }
    }
}

/// The VDS step found nowhere for the business networks: if the workbook
/// plans any, they were not created, and the summary must say so.
pub(super) fn networks_not_created(run: &mut StageRun<'_>) {
    let planned = run.plan().business_networks.len();
    if planned == 0 {
        return;
    }
    let started = run.step_started(Step::Vlans);
    run.record(
        StepResult::warning(
            Step::Vlans,
            NetworkMsg::NetworksNotCreated { count: planned },
        )
        .with_hint(NetworkMsg::NetworksNotCreatedHint),
        started,
    );
}

/// A POST is not repeated blindly: after a transient failure (timeout, 5xx,
/// broken connection) the switch may exist anyway, so look for it first and
/// send the create again, once, only if it is not there.
async fn create_vds_once_more(
    client: &ApiClient,
    request: &CreateVds,
) -> Result<CreateVdsAnswer, smtx_api::ApiError> {
    match client.create_vds(request).await {
        Err(error) if error.is_transient() => {
            tracing::warn!(action = "business_vds", status = "retry", error = %error, "looking before creating again");
            match client.find_vds(&request.name).await? {
                Some(existing) => Ok(CreateVdsAnswer::Uuid(existing.uuid)),
                None => client.create_vds(request).await,
            }
        }
        other => other,
    }
}

/// The same rule for a VLAN: after a transient failure, look, then create once more.
async fn create_vlan_once_more(
    client: &ApiClient,
    vds_uuid: &str,
    name: &str,
    vlan_id: u16,
) -> Result<smtx_api::Vlan, smtx_api::ApiError> {
    match client.create_vlan(vds_uuid, name, vlan_id).await {
        Err(error) if error.is_transient() => {
            tracing::warn!(action = "vlan", status = "retry", error = %error, name, "looking before creating again");
            let existing = client.list_vlans(vds_uuid).await?;
            match existing
                .into_iter()
                .find(|v| v.name == name && v.vlan_id == vlan_id)
            {
                Some(vlan) => Ok(vlan),
                None => client.create_vlan(vds_uuid, name, vlan_id).await,
            }
        }
        other => other,
    }
}

/// A finished job without the resource map: find the switch by name.
async fn find_after_job(
    client: &ApiClient,
    name: &str,
    job_id: &str,
) -> Result<(String, Option<String>), Message> {
    match client.find_vds(name).await {
        Ok(Some(vds)) => Ok((vds.uuid, Some(job_id.to_string()))),
        Ok(None) => Err(NetworkMsg::JobWithoutVds {
            job: job_id.to_string(),
            name: name.to_string(),
        }
        .into()),
        Err(error) => Err((&error).into()),
    }
}

/// Step 6: one VLAN per business network row, then the count check.
pub(super) async fn vlan_step(run: &mut StageRun<'_>, vds_uuid: &str) {
    let plan = run.plan().clone();
    let vds_name = match plan.business_network_home() {
        BusinessNetworkHome::ManagementVds(name) => name.to_string(),
        BusinessNetworkHome::BusinessVds(vds) => vds.name.clone(),
        BusinessNetworkHome::Nowhere => vds_uuid.to_string(),
    };
    if plan.business_networks.is_empty() {
        let started = run.step_started(Step::Vlans);
        run.record(
            StepResult::skipped(
                Step::Vlans,
                NetworkMsg::NoNetworks {
                    cells: plan.business_network_cells(),
                },
            ),
            started,
        );
        return;
    }
    let existing = match run.client.list_vlans(vds_uuid).await {
        Ok(list) => list,
        Err(error) => {
            let started = run.step_started(Step::Vlans);
            run.record(
                StepResult::warning(
                    Step::Vlans,
                    NetworkMsg::CannotListVlans {
                        error: crate::messages::errors::api_error(&error),
                    },
                ),
                started,
            );
            return;
        }
    };
    for network in &plan.business_networks {
        // Another lane failed the stage: the VLAN under way was the last.
        if run.halted() {
            return;
        }
        let action = Step::Vlan(NetworkRef {
            name: network.name.clone(),
            vlan_id: network.vlan_id,
        });
        let started = run.step_started(action.clone());
        let same_name = existing.iter().find(|v| v.name == network.name);
        let same_id = existing.iter().find(|v| v.vlan_id == network.vlan_id);
        let result = match (same_name, same_id) {
            (Some(found), _) if found.vlan_id == network.vlan_id => StepResult::ok(
                action.clone(),
                NetworkMsg::VlanExists {
                    uuid: found.uuid.clone(),
                },
            ),
            (Some(found), _) => StepResult::warning(
                action.clone(),
                NetworkMsg::VlanNameTaken {
                    name: found.name.clone(),
                    vlan_id: found.vlan_id,
                },
            )
            .with_hint(NetworkMsg::FixVlanIdHint {
                cell: network.vlan_cell(),
            }),
            (None, Some(found)) => StepResult::warning(
                action.clone(),
                NetworkMsg::VlanIdTaken {
                    vlan_id: found.vlan_id,
                    name: found.name.clone(),
                },
            )
            .with_hint(NetworkMsg::FixVlanNameHint {
                cell: network.name_cell(),
            }),
            (None, None) => {
                match create_vlan_once_more(&run.client, vds_uuid, &network.name, network.vlan_id)
                    .await
                {
                    Ok(_) if run.settings.dry_run => StepResult::ok(
                        action.clone(),
                        NetworkMsg::WouldCreateVlan {
                            vds: vds_name.clone(),
                        },
                    ),
                    Ok(vlan) => {
                        StepResult::ok(action.clone(), NetworkMsg::VlanCreated { uuid: vlan.uuid })
                    }
                    Err(error) => StepResult::warning(action.clone(), &error),
                }
            }
        };
        run.record(result, started);
    }

    if run.halted() {
        return;
    }
    let started = run.step_started(Step::VerifyVlans);
    let expected = plan.business_networks.len();
    let result = if run.settings.dry_run {
        StepResult::ok(
            Step::VerifyVlans,
            NetworkMsg::WouldVerify { count: expected },
        )
    } else {
        match (
            run.client.get_vds(vds_uuid).await,
            run.client.list_vlans(vds_uuid).await,
        ) {
            (Ok(vds), Ok(vlans)) => {
                let missing: Vec<String> = plan
                    .business_networks
                    .iter()
                    .filter(|n| {
                        !vlans
                            .iter()
                            .any(|v| v.name == n.name && v.vlan_id == n.vlan_id)
                    })
                    .map(|n| n.name.clone())
                    .collect();
                let count = vds.vlans_count.unwrap_or(vlans.len() as u64);
                if !missing.is_empty() {
                    StepResult::warning(
                        Step::VerifyVlans,
                        NetworkMsg::VlansMissing {
                            vds: vds.name.clone(),
                            names: missing,
                        },
                    )
                } else if count < expected as u64 {
                    StepResult::warning(
                        Step::VerifyVlans,
                        NetworkMsg::VlansCountLow { count, expected },
                    )
                } else {
                    StepResult::ok(
                        Step::VerifyVlans,
                        NetworkMsg::VlansVerified {
                            vds: vds.name.clone(),
                            count,
                            expected,
                        },
                    )
                }
            }
            (Err(error), _) | (_, Err(error)) => StepResult::warning(Step::VerifyVlans, &error),
        }
    };
    run.record(result, started);
}
