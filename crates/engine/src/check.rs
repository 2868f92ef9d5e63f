//! The live drift check (`smtx-deploy check`): reads the cluster and says
//! where it differs from its workbook, item by item, like `terraform plan`
//! — VIP, DNS, NTP, each host's BMC account, the business switch (bond
//! mode, NICs), the business networks (missing, extra, VLAN id), each
//! host's SSH key and password, the CPU model, the serial, the VMTools
//! image. Read-only: GETs, one login for a session, and SSH logins that run
//! nothing; nothing is written on the cluster or locally (not even a new
//! SSH host key). A dry run lists the calls a run would make; a check reads
//! what is there. Some reads are \[ASSUMED\] (see `smtx_api`'s read-backs):
//! where the cluster answers 404 to one, that item is "cannot verify" and
//! the rest is still checked.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde::Serialize;
use smtx_api::ssh_probe::{HostKeyVerdict, SshProbe, SshProbeTarget, probe_all};
use smtx_api::{ApiClient, ApiError, VdsDetail};
use smtx_plan::{NetworkArchitecture, Plan};

use crate::{EngineError, Settings, Workbook};

/// What to check.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    pub settings: Settings,
    pub workbook: Workbook,
}

/// How one item compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Drift {
    /// As the workbook says.
    InSync,
    /// The workbook has it, the cluster does not (a run would add it).
    Missing,
    /// Both have it, with other values.
    Different,
    /// The cluster has it, the workbook does not.
    Extra,
    /// The cluster did not say (a read answered 404 or failed).
    CannotVerify,
    /// Nothing to compare (the workbook or the settings leave it out).
    NotChecked,
}

impl Drift {
    /// Whether this item counts as drift.
    pub fn is_drift(self) -> bool {
        matches!(self, Self::Missing | Self::Different | Self::Extra)
    }
}

/// Why an item is as it is, when the values alone do not say. A code
/// (the front end words it in the user's language) or the error text of a
/// failed read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", content = "text", rename_all = "snake_case")]
pub enum Note {
    /// The workbook's admin password does not log in.
    AdminPasswordRefused,
    /// No session, so nothing behind one could be read.
    NoSession,
    /// The workbook leaves this out.
    NotInWorkbook,
    /// Turned off in the settings.
    TurnedOff,
    /// The same servers, in another order.
    OrderDiffers,
    /// NTP is not in `external` mode.
    NtpModeDiffers,
    /// The BMC account is stored but the cluster cannot reach the BMC.
    BmcUnreachable,
    /// The cluster lists no hosts for the switch, so its NICs cannot be read.
    NoHostsListed,
    /// The host is not on the switch.
    HostNotOnSwitch,
    /// The cluster recommends no CPU model.
    NoCpuRecommendation,
    /// The serial is read only from the template's own cell.
    OtherSerialCell,
    /// A rehearsal writes the serial into its run directory's copy of the
    /// workbook, never into the workbook itself.
    RehearsalSerial,
    /// No ISO configured and none in the working directory.
    NoIso,
    /// The image is there but not every chunk arrived.
    UploadIncomplete,
    /// The image has another size than the ISO.
    SizeDiffers,
    /// The host still takes the deployment password.
    NotRotated,
    /// Neither the workbook's nor the deployment password logs in.
    NoPasswordAccepted,
    /// The host's key changed, so no password was sent.
    HostKeyChanged,
    /// No key is pinned for the host yet; a run pins it.
    NotPinned,
    /// A read failed: the call and what it answered.
    Error(String),
}

/// One line of the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckItem {
    /// `vip`, `dns`, `ntp`, `admin_login`, `bmc`, `business_vds`,
    /// `vds_bond_mode`, `vds_nics`, `vlan`, `host_key`, `host_password`,
    /// `cpu_compatibility`, `serial`, `vmtools`.
    pub item: &'static str,
    /// The host, network or switch the item is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub drift: Drift,
    /// What the workbook (or the settings) say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// What the cluster has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<Note>,
}

impl CheckItem {
    fn new(item: &'static str, drift: Drift) -> Self {
        Self {
            item,
            subject: None,
            drift,
            expected: None,
            actual: None,
            note: None,
        }
    }
    fn about(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
    fn expected(mut self, value: impl Into<String>) -> Self {
        self.expected = Some(value.into());
        self
    }
    fn actual(mut self, value: impl Into<String>) -> Self {
        self.actual = Some(value.into());
        self
    }
    fn note(mut self, note: Note) -> Self {
        self.note = Some(note);
        self
    }
    fn with_drift(mut self, drift: Drift) -> Self {
        self.drift = drift;
        self
    }
    /// `item` cannot be verified because `error`.
    fn unverified(item: &'static str, error: &ApiError) -> Self {
        Self::new(item, Drift::CannotVerify).note(Note::Error(error.to_string()))
    }
}

/// The check's verdict, which is also its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    InSync,
    Drift,
    CouldNotCheck,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub cluster: String,
    pub workbook: PathBuf,
    pub status: CheckStatus,
    pub items: Vec<CheckItem>,
    /// Why the cluster could not be checked at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

impl CheckReport {
    /// How many items have each drift.
    pub fn count(&self, drift: Drift) -> usize {
        self.items.iter().filter(|item| item.drift == drift).count()
    }
}

/// A failure that means the cluster itself was not reached.
fn unreachable(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Transport { .. } | ApiError::Tls { .. } | ApiError::Timeout { .. }
    )
}

/// Compares the live cluster with the workbook. `Err` only for settings
/// that cannot make a client; a cluster that cannot be reached is a report
/// with [`CheckStatus::CouldNotCheck`].
pub async fn check(request: CheckRequest) -> Result<CheckReport, EngineError> {
    let started = Instant::now();
    let CheckRequest {
        mut settings,
        workbook,
    } = request;
    // Whatever the settings say, a check never plans: it reads.
    settings.dry_run = false;
    let client = crate::stages::build_client(&settings, &workbook.plan)?;
    let plan = &workbook.plan;
    let mut report = CheckReport {
        cluster: plan.cluster.name.clone(),
        workbook: workbook.path.clone(),
        status: CheckStatus::InSync,
        items: Vec::new(),
        error: None,
        elapsed_ms: 0,
    };

    let (uuids, (login, probes)) = futures::join!(
        host_uuids(&client, plan),
        futures::future::join(
            client.login(&plan.fisheye.user, &plan.fisheye.password),
            ssh_items(&settings, plan),
        )
    );
    let session = match login {
        Ok(()) => true,
        Err(error) if unreachable(&error) => {
            report.status = CheckStatus::CouldNotCheck;
            report.error = Some(error.to_string());
            report.elapsed_ms = started.elapsed().as_millis() as u64;
            return Ok(report);
        }
        Err(error) => {
            let refused = matches!(error, ApiError::Unauthorized { .. })
                || error.status().is_some_and(|status| status < 500);
            let mut item = CheckItem::new(
                "admin_login",
                if refused {
                    Drift::Different
                } else {
                    Drift::CannotVerify
                },
            )
            .expected(plan.fisheye.user.clone());
            item = item.note(if refused {
                Note::AdminPasswordRefused
            } else {
                Note::Error(error.to_string())
            });
            report.items.push(item);
            match settings.fallback_token.clone() {
                Some(token) => {
                    client.set_session_token(token);
                    true
                }
                None => false,
            }
        }
    };
    if session {
        report
            .items
            .extend(session_items(&client, &settings, plan, &uuids).await);
    } else {
        report.items.extend(
            [
                "vip",
                "dns",
                "ntp",
                "bmc",
                "business_vds",
                "vlan",
                "cpu_compatibility",
                "serial",
                "vmtools",
            ]
            .into_iter()
            .map(|item| CheckItem::new(item, Drift::CannotVerify).note(Note::NoSession)),
        );
    }
    report.items.extend(probes);
    report.status = if report.items.iter().any(|item| item.drift.is_drift()) {
        CheckStatus::Drift
    } else {
        CheckStatus::InSync
    };
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    Ok(report)
}

/// Each host's uuid from its own scan (deployment token, read-only), by
/// management IP; hosts that do not answer are left out (their BMC account
/// is then matched by name).
async fn host_uuids(client: &ApiClient, plan: &Plan) -> HashMap<String, String> {
    let scans = join_all(plan.hosts.iter().map(|host| {
        let ip = host.management_ip.to_string();
        let scoped = client.with_base(&client.base_for_host(&ip));
        async move {
            let scan = match scoped {
                Ok(client) => client.host_scan().await.ok(),
                Err(_) => None,
            };
            scan.map(|scan| (ip, scan.host_uuid))
        }
    }))
    .await;
    scans.into_iter().flatten().collect()
}

/// Everything read behind the session, in report order.
async fn session_items(
    client: &ApiClient,
    settings: &Settings,
    plan: &Plan,
    uuids: &HashMap<String, String>,
) -> Vec<CheckItem> {
    let (vip, dns, ntp, ipmi, vdses, cpu, license, images) = futures::join!(
        client.vip_setting(),
        client.dns_setting(),
        client.ntp_setting(),
        client.ipmi_accounts(),
        client.list_vds_detail(),
        cpu_models(client, settings),
        client.license(),
        vmtools_images(client, settings),
    );
    let mut items = vec![
        vip_item(plan, vip),
        dns_item(plan, dns),
        ntp_item(plan, ntp),
    ];
    items.extend(bmc_items(plan, uuids, ipmi));
    items.extend(network_items(client, plan, uuids, vdses).await);
    items.push(cpu);
    items.push(serial_item(settings, plan, license));
    items.push(images);
    items
}

fn vip_item(plan: &Plan, vip: Result<Option<String>, ApiError>) -> CheckItem {
    let Some(expected) = plan.cluster.vip.map(|vip| vip.to_string()) else {
        return CheckItem::new("vip", Drift::NotChecked).note(Note::NotInWorkbook);
    };
    match vip {
        Ok(Some(actual)) if actual == expected => {
            CheckItem::new("vip", Drift::InSync).expected(expected)
        }
        Ok(Some(actual)) => CheckItem::new("vip", Drift::Different)
            .expected(expected)
            .actual(actual),
        Ok(None) => CheckItem::new("vip", Drift::Missing).expected(expected),
        Err(error) => CheckItem::unverified("vip", &error).expected(expected),
    }
}

/// Two server lists: in sync, or different (maybe only in order).
fn compare_lists(item: &'static str, expected: &[String], actual: &[String]) -> CheckItem {
    let shown = |list: &[String]| list.join(", ");
    if actual.is_empty() {
        return CheckItem::new(item, Drift::Missing).expected(shown(expected));
    }
    if expected == actual {
        return CheckItem::new(item, Drift::InSync).expected(shown(expected));
    }
    let same_set = expected.iter().collect::<BTreeSet<_>>() == actual.iter().collect();
    let mut result = CheckItem::new(item, Drift::Different)
        .expected(shown(expected))
        .actual(shown(actual));
    if same_set {
        result = result.note(Note::OrderDiffers);
    }
    result
}

fn dns_item(plan: &Plan, dns: Result<Vec<String>, ApiError>) -> CheckItem {
    let expected: Vec<String> = plan.dns_servers.iter().map(ToString::to_string).collect();
    if expected.is_empty() {
        return CheckItem::new("dns", Drift::NotChecked).note(Note::NotInWorkbook);
    }
    match dns {
        Ok(actual) => compare_lists("dns", &expected, &actual),
        Err(error) => CheckItem::unverified("dns", &error).expected(expected.join(", ")),
    }
}

fn ntp_item(plan: &Plan, ntp: Result<smtx_api::NtpSetting, ApiError>) -> CheckItem {
    let expected = &plan.ntp_servers;
    if expected.is_empty() {
        return CheckItem::new("ntp", Drift::NotChecked).note(Note::NotInWorkbook);
    }
    match ntp {
        Ok(actual) => {
            let item = compare_lists("ntp", expected, &actual.servers);
            match actual.mode.as_deref() {
                Some(mode) if mode != "external" && item.drift == Drift::InSync => item
                    .actual(format!("{mode}: {}", actual.servers.join(", ")))
                    .note(Note::NtpModeDiffers)
                    .with_drift(Drift::Different),
                _ => item,
            }
        }
        Err(error) => CheckItem::unverified("ntp", &error).expected(expected.join(", ")),
    }
}

/// One item per host with a BMC address in the workbook.
fn bmc_items(
    plan: &Plan,
    uuids: &HashMap<String, String>,
    accounts: Result<Vec<smtx_api::IpmiAccountEntry>, ApiError>,
) -> Vec<CheckItem> {
    let mut items = Vec::new();
    for host in &plan.hosts {
        let Some(bmc_ip) = host.bmc.ip else { continue };
        let expected = format!("{} @ {bmc_ip}", host.bmc.user);
        let base = |drift| {
            CheckItem::new("bmc", drift)
                .about(host.hostname.clone())
                .expected(expected.clone())
        };
        let accounts = match &accounts {
            Ok(accounts) => accounts,
            Err(error) => {
                items.push(base(Drift::CannotVerify).note(Note::Error(error.to_string())));
                continue;
            }
        };
        let uuid = uuids.get(&host.management_ip.to_string());
        let found = accounts.iter().find(|account| {
            uuid.is_some_and(|uuid| *uuid == account.node_uuid)
                || account.node_name == host.hostname
        });
        let item = match found {
            None => base(Drift::Missing),
            Some(account)
                if account.host == bmc_ip.to_string() && account.user == host.bmc.user =>
            {
                let item = base(Drift::InSync);
                if account.is_valid == Some(false) {
                    item.note(Note::BmcUnreachable)
                } else {
                    item
                }
            }
            Some(account) => {
                base(Drift::Different).actual(format!("{} @ {}", account.user, account.host))
            }
        };
        items.push(item);
    }
    items
}

/// The switch the business networks belong on: the business VDS, or under
/// 存储独立 the management VDS. `None` when the workbook has neither.
fn target_switch(plan: &Plan) -> Option<(String, bool)> {
    if plan.cluster.network_architecture == NetworkArchitecture::StorageSeparate {
        return Some((plan.management_vds.name.clone(), false));
    }
    plan.business_vds
        .as_ref()
        .map(|vds| (vds.name.clone(), true))
}

async fn network_items(
    client: &ApiClient,
    plan: &Plan,
    uuids: &HashMap<String, String>,
    vdses: Result<Vec<VdsDetail>, ApiError>,
) -> Vec<CheckItem> {
    let mut items = Vec::new();
    let Some((name, dedicated)) = target_switch(plan) else {
        items.push(CheckItem::new("business_vds", Drift::NotChecked).note(Note::NotInWorkbook));
        return items;
    };
    let vlan = |network: &smtx_plan::NetworkPlan, drift| {
        CheckItem::new("vlan", drift)
            .about(network.name.clone())
            .expected(network.vlan_id.to_string())
    };
    let vdses = match vdses {
        Ok(vdses) => vdses,
        Err(error) => {
            items.push(CheckItem::unverified("business_vds", &error).about(name));
            items.extend(plan.business_networks.iter().map(|network| {
                vlan(network, Drift::CannotVerify).note(Note::Error(error.to_string()))
            }));
            return items;
        }
    };
    let Some(switch) = vdses
        .iter()
        .find(|vds| vds.name.eq_ignore_ascii_case(&name))
    else {
        let mut missing = CheckItem::new("business_vds", Drift::Missing).about(name.clone());
        if let Some(vds) = plan.business_vds.as_ref().filter(|_| dedicated) {
            missing = missing.expected(format!("{}, {}", vds.bond_mode, vds.nics.join(",")));
        }
        items.push(missing);
        items.extend(
            plan.business_networks
                .iter()
                .map(|network| vlan(network, Drift::Missing)),
        );
        return items;
    };
    items.push(CheckItem::new("business_vds", Drift::InSync).about(switch.name.clone()));
    if dedicated && let Some(vds) = &plan.business_vds {
        let expected = vds.bond_mode.as_api_str();
        let bond = CheckItem::new("vds_bond_mode", Drift::InSync)
            .about(switch.name.clone())
            .expected(expected);
        items.push(match switch.bond_mode.as_deref() {
            Some(actual) if actual == expected => bond,
            Some(actual) => bond.actual(actual).with_drift(Drift::Different),
            None => bond.with_drift(Drift::CannotVerify),
        });
        items.extend(nic_items(plan, uuids, switch, &vds.nics));
    }

    let networks = match client.list_vlans(&switch.uuid).await {
        Ok(networks) => networks,
        Err(error) => {
            items.extend(plan.business_networks.iter().map(|network| {
                vlan(network, Drift::CannotVerify).note(Note::Error(error.to_string()))
            }));
            return items;
        }
    };
    for network in &plan.business_networks {
        let item = match networks.iter().find(|found| found.name == network.name) {
            None => vlan(network, Drift::Missing),
            Some(found) if found.vlan_id == network.vlan_id => vlan(network, Drift::InSync),
            Some(found) => vlan(network, Drift::Different).actual(found.vlan_id.to_string()),
        };
        items.push(item);
    }
    // The management switch carries networks of its own: only a dedicated
    // business switch is expected to hold nothing but the workbook's.
    if dedicated {
        for found in &networks {
            if !plan
                .business_networks
                .iter()
                .any(|network| network.name == found.name)
            {
                items.push(
                    CheckItem::new("vlan", Drift::Extra)
                        .about(found.name.clone())
                        .actual(found.vlan_id.to_string()),
                );
            }
        }
    }
    items
}

/// Each scanned host's NICs on the business switch.
fn nic_items(
    plan: &Plan,
    uuids: &HashMap<String, String>,
    switch: &VdsDetail,
    nics: &[String],
) -> Vec<CheckItem> {
    let expected: BTreeSet<&String> = nics.iter().collect();
    let shown = |set: &BTreeSet<&String>| {
        set.iter()
            .map(|nic| nic.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut items = Vec::new();
    for host in &plan.hosts {
        let base = |drift| {
            CheckItem::new("vds_nics", drift)
                .about(host.hostname.clone())
                .expected(shown(&expected))
        };
        if switch.hosts_associated.is_empty() {
            items.push(base(Drift::CannotVerify).note(Note::NoHostsListed));
            continue;
        }
        let Some(uuid) = uuids.get(&host.management_ip.to_string()) else {
            items.push(base(Drift::CannotVerify));
            continue;
        };
        let item = match switch
            .hosts_associated
            .iter()
            .find(|member| member.host_uuid == *uuid)
        {
            None => base(Drift::Missing).note(Note::HostNotOnSwitch),
            Some(member) => {
                let actual: BTreeSet<&String> = member.nics_associated.iter().collect();
                if actual == expected {
                    base(Drift::InSync)
                } else {
                    base(Drift::Different).actual(shown(&actual))
                }
            }
        };
        items.push(item);
    }
    items
}

async fn cpu_models(client: &ApiClient, settings: &Settings) -> CheckItem {
    const ITEM: &str = "cpu_compatibility";
    if !settings.cpu_compatibility {
        return CheckItem::new(ITEM, Drift::NotChecked).note(Note::TurnedOff);
    }
    let recommended = match client.recommended_cpu_models().await {
        Ok(models) => models,
        Err(error) => return CheckItem::unverified(ITEM, &error),
    };
    let Some(expected) = recommended.first().cloned() else {
        return CheckItem::new(ITEM, Drift::NotChecked).note(Note::NoCpuRecommendation);
    };
    match client.cpu_compatibility().await {
        Ok(Some(actual)) if actual == expected => {
            CheckItem::new(ITEM, Drift::InSync).expected(expected)
        }
        Ok(Some(actual)) => CheckItem::new(ITEM, Drift::Different)
            .expected(expected)
            .actual(actual),
        Ok(None) => CheckItem::new(ITEM, Drift::Missing).expected(expected),
        Err(error) => CheckItem::unverified(ITEM, &error).expected(expected),
    }
}

/// The serial goes the other way: the cluster's belongs in the workbook.
fn serial_item(
    settings: &Settings,
    plan: &Plan,
    license: Result<smtx_api::License, ApiError>,
) -> CheckItem {
    const ITEM: &str = "serial";
    if settings.serial_cell_in(plan) != plan.cluster.serial_cell() {
        return CheckItem::new(ITEM, Drift::NotChecked).note(Note::OtherSerialCell);
    }
    if settings.rehearsal {
        return CheckItem::new(ITEM, Drift::NotChecked).note(Note::RehearsalSerial);
    }
    let workbook = plan
        .cluster
        .serial
        .clone()
        .filter(|serial| !serial.is_empty());
    let license = match license {
        Ok(license) => license,
        Err(error) => return CheckItem::unverified(ITEM, &error),
    };
    let item = CheckItem::new(ITEM, Drift::InSync).actual(license.serial.clone());
    match workbook {
        Some(serial) if serial == license.serial => item.expected(serial),
        Some(serial) => item.expected(serial).with_drift(Drift::Different),
        None => item.with_drift(Drift::Different).note(Note::NotInWorkbook),
    }
}

/// The ISO a run would upload, looked for among the cluster's images.
async fn vmtools_images(client: &ApiClient, settings: &Settings) -> CheckItem {
    const ITEM: &str = "vmtools";
    let iso = settings
        .vmtools_iso
        .clone()
        .or_else(|| smtx_api::find_vmtools_iso(&settings.work_dir));
    let Some(path) = iso else {
        return CheckItem::new(ITEM, Drift::NotChecked).note(Note::NoIso);
    };
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let size = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(error) => {
            return CheckItem::new(ITEM, Drift::CannotVerify)
                .expected(name)
                .note(Note::Error(format!("{}: {error}", path.display())));
        }
    };
    let images = match client.list_images().await {
        Ok(images) => images,
        Err(error) => return CheckItem::unverified(ITEM, &error).expected(name),
    };
    let item = CheckItem::new(ITEM, Drift::InSync).expected(name.clone());
    let Some(image) = images.iter().find(|image| image.name == name) else {
        return item.with_drift(Drift::Missing);
    };
    if image.size.is_some_and(|found| found != size) {
        return item
            .with_drift(Drift::Different)
            .actual(format!("{} bytes", image.size.unwrap_or_default()))
            .note(Note::SizeDiffers);
    }
    if image
        .resource_state
        .as_deref()
        .is_some_and(|state| state != "CREATED")
    {
        return item
            .with_drift(Drift::Different)
            .note(Note::UploadIncomplete);
    }
    item
}

/// Per host: its SSH key against the pinned one, and which password its
/// login user takes (the workbook's, or still the deployment's).
async fn ssh_items(settings: &Settings, plan: &Plan) -> Vec<CheckItem> {
    if !settings.rotate_host_passwords {
        return vec![CheckItem::new("host_password", Drift::NotChecked).note(Note::TurnedOff)];
    }
    let targets: Vec<SshProbeTarget> = plan
        .hosts
        .iter()
        .map(|host| SshProbeTarget {
            host: format!("{} ({})", host.hostname, host.management_ip),
            known_hosts_key: host.management_ip.to_string(),
            connect_addr: settings.ssh_address(host.management_ip),
            login_user: host.ssh_user.clone(),
            passwords: vec![
                host.ssh_password.clone(),
                settings.ssh_initial_password.clone(),
            ],
        })
        .collect();
    let known_hosts = settings.known_hosts_path();
    let timeout = settings.ssh_connect_timeout.max(Duration::from_secs(1));
    let probes = probe_all(
        targets,
        &known_hosts,
        timeout,
        settings.ssh_concurrency.max(1),
    )
    .await;
    let mut items = Vec::new();
    for (host, probe) in plan.hosts.iter().zip(probes) {
        let key = CheckItem::new("host_key", Drift::InSync).about(host.hostname.clone());
        let password = CheckItem::new("host_password", Drift::InSync).about(host.hostname.clone());
        match probe {
            Err(error) => {
                items.push(
                    password
                        .with_drift(Drift::CannotVerify)
                        .note(Note::Error(error.to_string())),
                );
            }
            Ok(SshProbe { host_key, accepted }) => {
                match host_key {
                    HostKeyVerdict::Pinned => items.push(key),
                    HostKeyVerdict::NotPinned => items.push(
                        key.with_drift(Drift::NotChecked)
                            .note(Note::NotPinned)
                            .expected(known_hosts.display().to_string()),
                    ),
                    HostKeyVerdict::Changed { fingerprint } => {
                        items.push(key.with_drift(Drift::Different).actual(fingerprint));
                        items.push(
                            password
                                .with_drift(Drift::NotChecked)
                                .note(Note::HostKeyChanged),
                        );
                        continue;
                    }
                }
                items.push(match accepted {
                    Some(0) => password,
                    Some(_) => password.with_drift(Drift::Missing).note(Note::NotRotated),
                    None => password
                        .with_drift(Drift::Different)
                        .note(Note::NoPasswordAccepted),
                });
            }
        }
    }
    items
}
