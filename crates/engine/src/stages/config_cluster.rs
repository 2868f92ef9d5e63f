//! `config_cluster`: the stage of the design, step by step (PRODUCT.md):
//! admin init, login, VIP/DNS/NTP, IPMI accounts, business VDS and VLANs,
//! host passwords, VMTools upload, CPU compatibility, serial. Each step
//! appends one or more results; only a missing session or an unverified
//! deployment stop the stage early. Every create looks first, so
//! a second run creates nothing and a run after a failure finishes the job.

use std::collections::HashMap;

use serde_json::{Value, json};
use smtx_api::{ApiClient, CreateVds, CreateVdsAnswer, IpmiAccount, JobWait, VdsHostAssociation};
use smtx_plan::{SerialWriteOptions, SerialWriteOutcome};

use super::{StageOutcome, StageRun};
use crate::StepResult;

const STAGE: &str = "config_cluster";

/// What the host scan of `prepare` tells about one host.
#[derive(Debug, Clone)]
struct ScannedHost {
    uuid: String,
    hostname: String,
}

pub async fn run(run: &mut StageRun<'_>) -> StageOutcome {
    let mut outcome = StageOutcome::default();
    if !preconditions(run) {
        return outcome;
    }
    if !admin_and_login(run).await {
        return outcome;
    }
    let vip_ok = settings_step(run).await;
    ipmi_step(run).await;
    if let Some(vds_uuid) = vds_step(run).await {
        vlan_step(run, &vds_uuid).await;
    }
    super::host_passwords::run(run).await;
    super::vmtools::run(run, vip_ok).await;
    // A failed host or upload still leaves the rest worth doing: the CPU
    // model and the serial do not depend on them.
    cpu_step(run).await;
    outcome.serial = serial_step(run).await;
    outcome
}

fn preconditions(run: &mut StageRun<'_>) -> bool {
    let started = run.step_started("preconditions");
    let deployed = run
        .context
        .extra
        .get("deploy_verify")
        .and_then(|v| v.get("is_deployed"))
        .and_then(Value::as_bool);
    let result = match deployed {
        Some(true) => StepResult::ok("preconditions", "deployment verified by prepare"),
        Some(false) => StepResult::failed(
            "preconditions",
            "deploy_verify says the cluster is not deployed",
        )
        .with_hint("finish the deployment, then run prepare again"),
        None => StepResult::failed("preconditions", "no deploy_verify in the run context")
            .with_hint("run the prepare stage first, or start from its run with --from RUN_DIR"),
    };
    let ok = result.status == crate::StepStatus::Ok;
    run.record(result, started);
    ok
}

fn scanned_hosts(run: &StageRun<'_>) -> HashMap<String, ScannedHost> {
    let mut hosts = HashMap::new();
    if let Some(Value::Object(scans)) = run.context.extra.get("host_scan") {
        for (ip, scan) in scans {
            let text = |key: &str| {
                scan.get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            hosts.insert(
                ip.clone(),
                ScannedHost {
                    uuid: text("host_uuid"),
                    hostname: text("hostname"),
                },
            );
        }
    }
    hosts
}

/// Steps 1 and 2. Log in first: if the workbook's password already works the
/// cluster is initialized and setupRoot is not needed.
async fn admin_and_login(run: &mut StageRun<'_>) -> bool {
    let admin = run.plan().fisheye.clone();
    let started = run.step_started("setup_root");
    let early_login =
        !run.settings.dry_run && run.client.login(&admin.user, &admin.password).await.is_ok();
    let setup = if early_login {
        StepResult::skipped(
            "setup_root",
            "already initialized: the workbook's admin password logs in",
        )
    } else {
        match run.client.setup_root(&admin.user, &admin.password).await {
            Ok(()) => StepResult::ok("setup_root", format!("admin {} initialized", admin.user)),
            Err(error) => StepResult::warning("setup_root", error.to_string()).with_hint(
                "the cluster may already be initialized with another password; login decides",
            ),
        }
    };
    run.record(setup, started);

    let started = run.step_started("login");
    let login = if early_login {
        Ok(())
    } else {
        run.client.login(&admin.user, &admin.password).await
    };
    let (result, logged_in) = match login {
        Ok(()) => (
            StepResult::ok(
                "login",
                format!(
                    "logged in as {} (password of {} characters)",
                    admin.user,
                    admin.password.char_len()
                ),
            ),
            true,
        ),
        Err(error) => match run.settings.fallback_token.clone() {
            Some(token) => {
                run.client.set_session_token(token);
                (
                    StepResult::warning("login", format!("{error}; using the configured token")),
                    true,
                )
            }
            None => (
                StepResult::failed("login", error.to_string()).with_hint(
                    "check the Fisheye admin password (主机规划!M19) or configure api.token",
                ),
                false,
            ),
        },
    };
    run.record(result, started);
    logged_in
}

/// Wait for a settings job when the answer carried one.
async fn wait_optional_job(
    client: &ApiClient,
    job_id: Option<String>,
    wait: JobWait,
) -> Result<String, smtx_api::ApiError> {
    match job_id {
        Some(job_id) => {
            client.wait_job(&job_id, wait).await?;
            Ok(format!("job {job_id} done"))
        }
        None => Ok("applied".to_string()),
    }
}

fn job_wait(run: &StageRun<'_>) -> JobWait {
    JobWait {
        deadline: run.settings.job_deadline,
        ..JobWait::default()
    }
}

/// One cluster setting (VIP, DNS, NTP): skipped when the workbook has no
/// value, a warning when the call or its job fails. Returns whether it is in
/// place.
async fn apply_setting<F>(
    run: &mut StageRun<'_>,
    action: &str,
    value: Option<String>,
    missing: &str,
    call: F,
) -> bool
where
    F: std::future::Future<Output = Result<Option<String>, smtx_api::ApiError>>,
{
    let started = run.step_started(action);
    let Some(value) = value else {
        run.record(StepResult::skipped(action, missing), started);
        return false;
    };
    let outcome = match call.await {
        Ok(job) => wait_optional_job(&run.client, job, job_wait(run)).await,
        Err(error) => Err(error),
    };
    let (result, applied) = match outcome {
        Ok(detail) => (StepResult::ok(action, format!("{value}: {detail}")), true),
        Err(error) => (
            StepResult::warning(action, error.to_string())
                .with_hint("set it in Fisheye, or fix the cause and run again"),
            false,
        ),
    };
    run.record(result, started);
    applied
}

/// Step 3. Returns whether the VIP is in place (uploads then go there).
async fn settings_step(run: &mut StageRun<'_>) -> bool {
    let plan = run.plan().clone();
    let client = run.client.clone();
    let vip_taken = match plan.cluster.vip {
        Some(vip) => vip_held_elsewhere(run, vip).await,
        None => None,
    };
    let vip_ok = if let Some(reason) = vip_taken {
        let started = run.step_started("set_vip");
        run.record(
            StepResult::warning("set_vip", reason).with_hint(
                "find out what holds that address and free it, or change the VIP (主机规划!I19); if it is this cluster's, run again with --allow-active-vip",
            ),
            started,
        );
        false
    } else {
        apply_setting(
            run,
            "set_vip",
            plan.cluster.vip.map(|vip| vip.to_string()),
            "no management VIP in the workbook (主机规划!I19)",
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
    apply_setting(
        run,
        "set_dns",
        (!dns.is_empty()).then(|| dns.join(", ")),
        "no DNS servers in the workbook (集群管理信息!E25:E26)",
        client.set_dns(&plan.dns_servers),
    )
    .await;
    apply_setting(
        run,
        "set_ntp",
        (!plan.ntp_servers.is_empty()).then(|| plan.ntp_servers.join(", ")),
        "no NTP servers in the workbook (集群管理信息!E22:E24)",
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
async fn vip_held_elsewhere(run: &StageRun<'_>, vip: std::net::Ipv4Addr) -> Option<String> {
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
        .into_values()
        .map(|host| host.uuid)
        .filter(|uuid| !uuid.is_empty())
        .collect();
    let at_vip = run.client.with_base(&run.client.base_for_host(&vip_text));
    if let Ok(client) = at_vip
        && let Ok(scan) = client.host_scan().await
        && ours.contains(&scan.host_uuid)
    {
        return None;
    }
    let ports: Vec<String> = answering
        .iter()
        .map(|address| {
            let port = if *address == api {
                api_port
            } else {
                run.settings.ssh_port
            };
            match address.ip().to_string() == vip_text {
                true => format!("TCP {port}"),
                false => format!("TCP {port} via {address}"),
            }
        })
        .collect();
    Some(format!(
        "{vip} already answers ({}) and is not this cluster: VIP not set",
        ports.join(", ")
    ))
}

/// Step 4: one upsert for every host with a BMC address.
async fn ipmi_step(run: &mut StageRun<'_>) {
    let plan = run.plan().clone();
    let scanned = scanned_hosts(run);
    let started = run.step_started("ipmi_accounts");
    let mut accounts = Vec::new();
    let mut unscanned = Vec::new();
    for host in &plan.hosts {
        let Some(bmc_ip) = host.bmc.ip else { continue };
        let Some(scan) = scanned.get(&host.management_ip.to_string()) else {
            unscanned.push(host.hostname.clone());
            continue;
        };
        accounts.push(IpmiAccount {
            node_uuid: scan.uuid.clone(),
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
        let reason = if unscanned.is_empty() {
            "no BMC addresses in the workbook (主机规划!E)".to_string()
        } else {
            format!("no host scan for {}", unscanned.join(", "))
        };
        run.record(StepResult::skipped("ipmi_accounts", reason), started);
        return;
    }
    let result = match run.client.upsert_ipmi_accounts(&accounts).await {
        Ok(answer) if answer.failure.is_empty() && unscanned.is_empty() => StepResult::ok(
            "ipmi_accounts",
            format!("{} BMC account(s) stored", accounts.len()),
        ),
        Ok(answer) => {
            let mut problems: Vec<String> = answer
                .failure
                .iter()
                .map(|f| format!("{} (BMC {}) rejected", f.node_name, f.host))
                .collect();
            problems.extend(unscanned.iter().map(|h| format!("{h}: no host scan")));
            StepResult::warning("ipmi_accounts", problems.join("; "))
                .with_detail(format!(
                    "{} stored, {} failed",
                    answer.success.len(),
                    answer.failure.len()
                ))
                .with_hint("check each BMC address, user and password (主机规划!E:G) and that the BMC answers on port 623")
        }
        Err(error) => StepResult::warning("ipmi_accounts", error.to_string())
            .with_hint("enter the BMC accounts in Fisheye, or fix the cause and run again"),
    };
    run.record(result, started);
}

/// Step 5: the business VDS (or the management VDS under 存储独立). Returns
/// the uuid the VLANs go on.
async fn vds_step(run: &mut StageRun<'_>) -> Option<String> {
    let plan = run.plan().clone();
    let started = run.step_started("business_vds");
    let Some(vds) = plan.business_vds.clone() else {
        run.record(
            StepResult::skipped(
                "business_vds",
                "no business VDS in the workbook (虚拟网络!C8)",
            ),
            started,
        );
        return None;
    };
    if plan
        .cluster
        .network_architecture
        .business_on_management_vds()
    {
        let name = plan.management_vds.name.clone();
        let found = if run.settings.dry_run {
            Ok(Some(format!("<uuid of {name}>")))
        } else {
            run.client
                .find_vds(&name)
                .await
                .map(|found| found.map(|v| v.uuid))
        };
        let (result, uuid) = match found {
            Ok(Some(uuid)) => (
                StepResult::ok(
                    "business_vds",
                    format!("存储独立: business networks go on the management VDS {name} ({uuid})"),
                ),
                Some(uuid),
            ),
            Ok(None) => (
                StepResult::warning(
                    "business_vds",
                    format!("存储独立: management VDS {name:?} not found on the cluster"),
                )
                .with_hint("check 虚拟网络!C4 against the VDS names in Fisheye"),
                None,
            ),
            Err(error) => (StepResult::warning("business_vds", error.to_string()), None),
        };
        run.record(result, started);
        return uuid;
    }

    // Look before you create: a re-run finds the switch made last time.
    match run.client.find_vds(&vds.name).await {
        Ok(Some(existing)) if !run.settings.dry_run => {
            run.record(
                StepResult::ok(
                    "business_vds",
                    format!("{} already exists ({})", vds.name, existing.uuid),
                ),
                started,
            );
            run.context
                .stage_mut(STAGE)
                .insert("vds_uuid".into(), json!(existing.uuid));
            return Some(existing.uuid);
        }
        Ok(_) => {}
        Err(error) => {
            run.record(
                StepResult::warning("business_vds", error.to_string())
                    .with_hint("VLANs skipped; fix the cause and run again"),
                started,
            );
            return None;
        }
    }
    let scanned = scanned_hosts(run);
    let mut hosts_associated = Vec::new();
    for host in &plan.hosts {
        let Some(scan) = scanned.get(&host.management_ip.to_string()) else {
            continue;
        };
        hosts_associated.push(VdsHostAssociation {
            host_uuid: scan.uuid.clone(),
            nics_associated: vds.nics.clone(),
            data_ip: host.storage_ip.map(|ip| ip.to_string()),
        });
    }
    let request = CreateVds {
        name: vds.name.clone(),
        bond_mode: vds.bond_mode.as_api_str().to_string(),
        hosts_associated,
    };
    let created = match create_vds_once_more(&run.client, &request).await {
        Ok(CreateVdsAnswer::Uuid(uuid)) => Ok((uuid, "created".to_string())),
        Ok(CreateVdsAnswer::Job(job_id)) => {
            match run.client.wait_job(&job_id, job_wait(run)).await {
                Ok(job) => match job.resource_uuid("NETWORK_VDS") {
                    Some(uuid) => Ok((uuid, format!("created by job {job_id}"))),
                    None => find_after_job(&run.client, &vds.name, &job_id).await,
                },
                Err(error) => Err(error.to_string()),
            }
        }
        Err(error) => Err(error.to_string()),
    };
    match created {
        Ok((uuid, how)) => {
            run.record(
                StepResult::ok(
                    "business_vds",
                    format!(
                        "{} {how} ({uuid}), bond {}, NICs {}",
                        vds.name,
                        vds.bond_mode,
                        vds.nics.join(",")
                    ),
                ),
                started,
            );
            run.context
                .stage_mut(STAGE)
                .insert("vds_uuid".into(), json!(uuid));
            Some(uuid)
        }
        Err(error) => {
            run.record(
                StepResult::warning("business_vds", error)
                    .with_hint("business networks skipped; fix the cause and run again (the switch is looked up before it is created)"),
                started,
            );
            None
        }
    }
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
) -> Result<(String, String), String> {
    match client.find_vds(name).await {
        Ok(Some(vds)) => Ok((vds.uuid, format!("created by job {job_id}"))),
        Ok(None) => Err(format!(
            "job {job_id} finished but no VDS named {name} exists"
        )),
        Err(error) => Err(error.to_string()),
    }
}

/// Step 6: one VLAN per business network row, then the count check.
async fn vlan_step(run: &mut StageRun<'_>, vds_uuid: &str) {
    let plan = run.plan().clone();
    if plan.business_networks.is_empty() {
        let started = run.step_started("vlans");
        run.record(
            StepResult::skipped(
                "vlans",
                "no business networks in the workbook (虚拟网络!D8:D18)",
            ),
            started,
        );
        return;
    }
    let existing = match run.client.list_vlans(vds_uuid).await {
        Ok(list) => list,
        Err(error) => {
            let started = run.step_started("vlans");
            run.record(
                StepResult::warning("vlans", format!("cannot list the VLANs: {error}")),
                started,
            );
            return;
        }
    };
    for network in &plan.business_networks {
        let action = format!("vlan {} ({})", network.name, network.vlan_id);
        let started = run.step_started(&action);
        let same_name = existing.iter().find(|v| v.name == network.name);
        let same_id = existing.iter().find(|v| v.vlan_id == network.vlan_id);
        let result = match (same_name, same_id) {
            (Some(found), _) if found.vlan_id == network.vlan_id => {
                StepResult::ok(&action, format!("already exists ({})", found.uuid))
            }
            (Some(found), _) => StepResult::warning(
                &action,
                format!(
                    "a network named {} exists with VLAN {} instead",
                    found.name, found.vlan_id
                ),
            )
            .with_hint(format!(
                "fix 虚拟网络!F{} or the network in Fisheye",
                network.row
            )),
            (None, Some(found)) => StepResult::warning(
                &action,
                format!(
                    "VLAN {} is already used by network {}",
                    found.vlan_id, found.name
                ),
            )
            .with_hint(format!(
                "fix 虚拟网络!D{} or the network in Fisheye",
                network.row
            )),
            (None, None) => {
                match create_vlan_once_more(&run.client, vds_uuid, &network.name, network.vlan_id)
                    .await
                {
                    Ok(vlan) => StepResult::ok(&action, format!("created ({})", vlan.uuid)),
                    Err(error) => StepResult::warning(&action, error.to_string()),
                }
            }
        };
        run.record(result, started);
    }

    let started = run.step_started("verify_vlans");
    let expected = plan.business_networks.len();
    let result = if run.settings.dry_run {
        StepResult::ok("verify_vlans", format!("would check {expected} VLAN(s)"))
    } else {
        match (
            run.client.get_vds(vds_uuid).await,
            run.client.list_vlans(vds_uuid).await,
        ) {
            (Ok(vds), Ok(vlans)) => {
                let missing: Vec<&str> = plan
                    .business_networks
                    .iter()
                    .filter(|n| {
                        !vlans
                            .iter()
                            .any(|v| v.name == n.name && v.vlan_id == n.vlan_id)
                    })
                    .map(|n| n.name.as_str())
                    .collect();
                let count = vds.vlans_count.unwrap_or(vlans.len() as u64);
                if !missing.is_empty() {
                    StepResult::warning(
                        "verify_vlans",
                        format!("missing on {}: {}", vds.name, missing.join(", ")),
                    )
                } else if count < expected as u64 {
                    StepResult::warning(
                        "verify_vlans",
                        format!("vlans_count is {count}, expected at least {expected}"),
                    )
                } else {
                    StepResult::ok(
                        "verify_vlans",
                        format!(
                            "{} has {count} VLAN(s), all {expected} planned present",
                            vds.name
                        ),
                    )
                }
            }
            (Err(error), _) | (_, Err(error)) => {
                StepResult::warning("verify_vlans", error.to_string())
            }
        }
    };
    run.record(result, started);
}

/// Step 9: CPU compatibility, from the first recommended model.
async fn cpu_step(run: &mut StageRun<'_>) {
    let started = run.step_started("cpu_compatibility");
    if !run.settings.cpu_compatibility {
        run.record(
            StepResult::skipped("cpu_compatibility", "turned off in the settings"),
            started,
        );
        return;
    }
    let models = match run.client.recommended_cpu_models().await {
        Ok(models) => models,
        Err(error) => {
            run.record(
                StepResult::warning("cpu_compatibility", error.to_string()),
                started,
            );
            return;
        }
    };
    let Some(model) = models.first().cloned() else {
        run.record(
            StepResult::skipped("cpu_compatibility", "the cluster recommends no CPU model"),
            started,
        );
        return;
    };
    let result = match run.client.set_cpu_compatibility(&model).await {
        Err(error) => StepResult::warning("cpu_compatibility", error.to_string()),
        Ok(()) if run.settings.dry_run => {
            StepResult::ok("cpu_compatibility", format!("would set {model}"))
        }
        Ok(()) => match run.client.cpu_compatibility().await {
            Ok(Some(current)) if current == model => {
                StepResult::ok("cpu_compatibility", format!("{model} set and confirmed"))
            }
            Ok(current) => StepResult::warning(
                "cpu_compatibility",
                format!("set {model} but the cluster reports {current:?}"),
            ),
            Err(error) => StepResult::warning("cpu_compatibility", error.to_string()),
        },
    };
    run.record(result, started);
}

/// Step 10: read the serial, keep it in the context, write it into the workbook.
async fn serial_step(run: &mut StageRun<'_>) -> Option<String> {
    let started = run.step_started("serial");
    let license = match run.client.license().await {
        Ok(license) => license,
        Err(error) => {
            run.record(StepResult::warning("serial", error.to_string()), started);
            return None;
        }
    };
    if run.settings.dry_run {
        run.record(
            StepResult::ok(
                "serial",
                format!(
                    "would write the serial into {} of {}",
                    run.settings.serial_cell,
                    run.workbook.path.display()
                ),
            ),
            started,
        );
        return None;
    }
    let serial = license.serial.clone();
    run.context
        .stage_mut(STAGE)
        .insert("serial".into(), json!(serial));
    let path = run.workbook.path.clone();
    let options = SerialWriteOptions {
        cell: run.settings.serial_cell.clone(),
        force: run.settings.force_serial,
    };
    let value = serial.clone();
    let written = tokio::task::spawn_blocking(move || {
        smtx_plan::write_serial(&path, &value, &options).map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(format!("the write-back task failed: {e}")));
    let cell = run.settings.serial_cell.clone();
    let result = match written {
        Ok(SerialWriteOutcome::AlreadyPresent) => StepResult::ok(
            "serial",
            format!("{serial} already in {cell}"),
        ),
        Ok(SerialWriteOutcome::Written { .. }) => {
            StepResult::ok("serial", format!("{serial} written to {cell}"))
        }
        Err(error) => StepResult::warning("serial", error)
            .with_detail(format!("serial {serial} kept in context.json"))
            .with_hint("close the workbook in Excel/WPS, then: smtx-deploy plan set-serial WORKBOOK SERIAL"),
    };
    run.record(result, started);
    Some(serial)
}
