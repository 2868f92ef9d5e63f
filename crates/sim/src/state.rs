//! The simulated cluster's state machine: nodes, accounts, sessions,
//! settings, VDSes and VLANs, jobs, upload volumes, faults and the call log.
//! No sockets here: the HTTP and SSH layers call into it under one mutex that
//! is never held across an `.await`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use smtx_secret::Secret;

use crate::scenario::{Fault, method_matches, path_matches};
use crate::spec::ClusterSpec;

/// The fixed pre-deployment token every SMTX OS host accepts on
/// `/api/v2/deployment/*`.
pub const PRE_DEPLOYMENT_TOKEN: &str = "e79b85fc18b7402fbcc0391fe8d7d24c";

/// The `smartx`/`root` host password right after deployment.
pub const DEFAULT_HOST_PASSWORD: &str = "P@ssw0rd!123";

/// An API error: HTTP status plus the envelope's `ec` and `error.msg`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub ec: &'static str,
    pub msg: String,
}

impl ApiError {
    pub fn new(status: StatusCode, ec: &'static str, msg: impl Into<String>) -> Self {
        Self {
            status,
            ec,
            msg: msg.into(),
        }
    }

    pub fn bad_request(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ec, msg)
    }

    pub fn not_found(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ec, msg)
    }

    pub fn conflict(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ec, msg)
    }

    pub fn unauthorized(ec: &'static str, msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ec, msg)
    }

    pub fn envelope(&self) -> Value {
        json!({"ec": self.ec, "error": {"msg": self.msg, "detail": ""}, "data": {}})
    }
}

/// Which listener a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Node(usize),
    Vip,
}

pub(crate) struct Node {
    pub hostname: String,
    pub host_uuid: String,
    pub management_ip: Ipv4Addr,
    pub storage_ip: Option<Ipv4Addr>,
    pub bmc_ip: Option<Ipv4Addr>,
    pub nics: Vec<String>,
    pub sn: String,
    pub smartx_password: Secret,
    pub root_password: Secret,
    pub smartx_rotated: bool,
    pub root_rotated: bool,
}

struct RootAccount {
    username: String,
    password: Secret,
}

struct Session {
    uses: u32,
}

pub(crate) struct VdsHost {
    pub host_uuid: String,
    pub nics: Vec<String>,
    pub data_ip: Option<String>,
}

pub(crate) struct Vlan {
    pub uuid: String,
    pub name: String,
    pub vlan_id: u16,
}

pub(crate) struct Vds {
    pub uuid: String,
    pub name: String,
    pub bond_mode: String,
    pub ovsbr_name: String,
    pub hosts: Vec<VdsHost>,
    pub vlans: Vec<Vlan>,
}

struct Job {
    id: String,
    description: String,
    event_name: String,
    message: String,
    polls: u32,
    fails: bool,
    ctime: u64,
    /// For a minimum wall-clock duration (`SimOptions::job_duration`).
    created: std::time::Instant,
    resources: Value,
    event_resources: Value,
    event_data: Value,
}

pub(crate) struct Image {
    pub uuid: String,
    pub zbs_volume_id: String,
    pub name: String,
    pub size: u64,
    pub chunk_size: u64,
    pub received: Vec<bool>,
    pub path: PathBuf,
    pub sha256: Option<String>,
    pub deleted: bool,
}

impl Image {
    pub fn chunk_count(&self) -> u64 {
        self.size.div_ceil(self.chunk_size)
    }

    pub fn expected_len(&self, chunk: u64) -> u64 {
        let start = chunk * self.chunk_size;
        self.chunk_size.min(self.size.saturating_sub(start))
    }

    pub fn missing(&self) -> Vec<u64> {
        self.received
            .iter()
            .enumerate()
            .filter(|(_, got)| !**got)
            .map(|(index, _)| index as u64)
            .collect()
    }

    pub fn complete(&self) -> bool {
        self.received.iter().all(|got| *got)
    }
}

struct IpmiAccount {
    node_uuid: String,
    node_name: String,
    host: String,
    user: String,
    is_valid: bool,
}

struct CallRecord {
    method: String,
    path: String,
    query: Option<String>,
    status: u16,
    target: Target,
}

#[derive(Default)]
struct Faults {
    endpoint_status: Vec<(String, String, u16, u32)>,
    latency: Vec<(u64, Option<String>, Option<String>)>,
    job_fails: Vec<(String, u32)>,
    chunk_fails: HashMap<u64, u32>,
    drop_upload: HashMap<u64, u32>,
    token_ttl: Option<u32>,
    already_initialized: bool,
    vds_returns_uuid: bool,
    not_deployed: bool,
    bmc_unreachable: HashSet<Ipv4Addr>,
    ssh_refused: HashSet<usize>,
    ssh_hang: HashSet<usize>,
    vip_in_use: bool,
}

/// What the SSH server should do with a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshDecision {
    Accept,
    Reject,
    Hang,
}

pub(crate) struct SimState {
    pub spec: ClusterSpec,
    pub chunk_size: u64,
    job_polls_to_finish: u32,
    job_duration: std::time::Duration,
    pub nodes: Vec<Node>,
    pub vdses: Vec<Vds>,
    pub images: Vec<Image>,
    root: Option<RootAccount>,
    sessions: HashMap<String, Session>,
    pub vip: Option<Ipv4Addr>,
    dns: Vec<Ipv4Addr>,
    ntp_mode: Option<String>,
    ntp_servers: Vec<String>,
    cpu_model: Option<String>,
    ipmi: BTreeMap<String, IpmiAccount>,
    jobs: Vec<Job>,
    calls: Vec<CallRecord>,
    faults: Faults,
    rng: StdRng,
    serial: String,
}

fn v1_like_uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_bytes(rng.r#gen())
        .with_version(uuid::Version::Mac)
        .with_variant(uuid::Variant::RFC4122)
        .into_uuid()
        .to_string()
}

fn v4_uuid(rng: &mut StdRng) -> String {
    uuid::Builder::from_random_bytes(rng.r#gen())
        .into_uuid()
        .to_string()
}

fn ovsbr_name(rng: &mut StdRng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let suffix: String = (0..9)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("ovsbr-{suffix}")
}

pub(crate) fn epoch_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs())
        .unwrap_or(0)
}

/// RFC 3339 with nanoseconds, UTC, as `v3/sessions` prints it.
pub(crate) fn rfc3339_nanos(time: SystemTime) -> String {
    humantime::format_rfc3339_nanos(time).to_string()
}

/// Recommended CPU model for a vendor string from the host scan.
fn recommended_cpu_models(vendor: &str) -> Vec<&'static str> {
    match vendor {
        "AuthenticAMD" => vec!["EPYC"],
        "GenuineIntel" => vec!["Skylake-Server"],
        "HygonGenuine" => vec!["Dhyana"],
        _ => vec![],
    }
}

/// 8 TiB in 8 MiB chunks.
const MAX_CHUNKS: usize = 1 << 20;

const CPU_VENDOR: &str = "AuthenticAMD";
const CPU_BRAND: &str = "AMD EPYC 7K62 48-Core Processor";
const LOGICAL_CORES: u64 = 24;

impl SimState {
    pub fn new(spec: ClusterSpec, chunk_size: u64, job_polls_to_finish: u32) -> Self {
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let nodes: Vec<Node> = spec
            .hosts
            .iter()
            .map(|host| Node {
                hostname: host.hostname.clone(),
                host_uuid: v1_like_uuid(&mut rng),
                management_ip: host.management_ip,
                storage_ip: host.storage_ip,
                bmc_ip: host.bmc_ip,
                nics: host.nics.clone(),
                sn: format!("SIM-{:016X}", rng.r#gen::<u64>()),
                smartx_password: Secret::new(DEFAULT_HOST_PASSWORD),
                root_password: Secret::new(DEFAULT_HOST_PASSWORD),
                smartx_rotated: false,
                root_rotated: false,
            })
            .collect();
        let serial = v4_uuid(&mut rng);
        let mut vdses = Vec::new();
        for (vds, storage) in [(&spec.management_vds, false), (&spec.storage_vds, true)] {
            let uuid = v4_uuid(&mut rng);
            let hosts = nodes
                .iter()
                .map(|node| VdsHost {
                    host_uuid: node.host_uuid.clone(),
                    nics: vds
                        .nics
                        .iter()
                        .filter(|nic| node.nics.contains(nic))
                        .cloned()
                        .collect(),
                    data_ip: if storage {
                        node.storage_ip.map(|ip| ip.to_string())
                    } else {
                        Some(node.management_ip.to_string())
                    },
                })
                .collect();
            vdses.push(Vds {
                uuid,
                name: vds.name.clone(),
                bond_mode: "active-backup".to_owned(),
                ovsbr_name: ovsbr_name(&mut rng),
                hosts,
                vlans: Vec::new(),
            });
        }
        Self {
            spec,
            chunk_size,
            job_polls_to_finish,
            job_duration: std::time::Duration::ZERO,
            nodes,
            vdses,
            images: Vec::new(),
            root: None,
            sessions: HashMap::new(),
            vip: None,
            dns: Vec::new(),
            ntp_mode: None,
            ntp_servers: Vec::new(),
            cpu_model: None,
            ipmi: BTreeMap::new(),
            jobs: Vec::new(),
            calls: Vec::new(),
            faults: Faults::default(),
            rng,
            serial,
        }
    }

    pub fn inject(&mut self, fault: Fault) {
        let faults = &mut self.faults;
        match fault {
            Fault::EndpointStatus {
                method,
                path,
                status,
                times,
            } => faults.endpoint_status.push((method, path, status, times)),
            Fault::Latency { ms, method, path } => faults.latency.push((ms, method, path)),
            Fault::JobFails { description, times } => faults.job_fails.push((description, times)),
            Fault::ChunkFails { chunk, times } => {
                *faults.chunk_fails.entry(chunk).or_insert(0) += times;
            }
            Fault::DropUpload { chunk, times } => {
                *faults.drop_upload.entry(chunk).or_insert(0) += times;
            }
            Fault::TokenExpiresAfter { calls } => faults.token_ttl = Some(calls),
            Fault::AlreadyInitialized { password } => {
                faults.already_initialized = true;
                if let Some(password) = password {
                    self.root = Some(RootAccount {
                        username: "root".to_owned(),
                        password: Secret::new(password),
                    });
                }
            }
            Fault::VdsCreateReturnsUuid => faults.vds_returns_uuid = true,
            Fault::NotDeployed => faults.not_deployed = true,
            Fault::BmcUnreachable { ip } => {
                faults.bmc_unreachable.insert(ip);
            }
            Fault::SshLoginRefused { node } => {
                faults.ssh_refused.insert(node);
            }
            Fault::SshHang { node } => {
                faults.ssh_hang.insert(node);
            }
            Fault::VipInUse => faults.vip_in_use = true,
        }
    }

    /// Whether something answers on the VIP: the cluster once it is set, or
    /// another device (the `vip_in_use` fault). The listeners open then.
    pub fn vip_held(&self) -> bool {
        self.vip.is_some() || self.faults.vip_in_use
    }

    // ---- faults applied by the HTTP layer ----

    /// Consumes one armed status fault matching this call, if any.
    pub fn take_endpoint_fault(&mut self, method: &str, path: &str) -> Option<u16> {
        let entry = self
            .faults
            .endpoint_status
            .iter_mut()
            .find(|(m, p, _, left)| {
                *left > 0 && method_matches(m, method) && path_matches(p, path)
            })?;
        entry.3 -= 1;
        Some(entry.2)
    }

    pub fn latency_ms(&self, method: &str, path: &str) -> u64 {
        self.faults
            .latency
            .iter()
            .filter(|(_, m, p)| {
                m.as_deref().is_none_or(|m| method_matches(m, method))
                    && p.as_deref().is_none_or(|p| path_matches(p, path))
            })
            .map(|(ms, _, _)| *ms)
            .sum()
    }

    pub fn take_chunk_fault(&mut self, chunk: u64) -> bool {
        take_count(&mut self.faults.chunk_fails, chunk)
    }

    pub fn take_drop_fault(&mut self, chunk: u64) -> bool {
        take_count(&mut self.faults.drop_upload, chunk)
    }

    pub fn record_call(
        &mut self,
        method: &str,
        path: &str,
        query: Option<&str>,
        status: u16,
        target: Target,
    ) {
        self.calls.push(CallRecord {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.map(str::to_owned),
            status,
            target,
        });
    }

    // ---- authentication ----

    pub fn check_pre_deployment_token(&self, token: Option<&str>) -> Result<(), ApiError> {
        match token {
            Some(PRE_DEPLOYMENT_TOKEN) => Ok(()),
            Some(_) => Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "invalid x-smartx-token for a deployment endpoint",
            )),
            None => Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "missing x-smartx-token",
            )),
        }
    }

    pub fn check_session(&mut self, token: Option<&str>) -> Result<(), ApiError> {
        let Some(token) = token else {
            return Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "missing x-smartx-token",
            ));
        };
        let ttl = self.faults.token_ttl;
        let Some(session) = self.sessions.get_mut(token) else {
            return Err(ApiError::unauthorized(
                "UNAUTHORIZED",
                "invalid or expired session token",
            ));
        };
        if ttl.is_some_and(|ttl| session.uses >= ttl) {
            self.sessions.remove(token);
            return Err(ApiError::unauthorized(
                "TOKEN_EXPIRED",
                "the session token has expired",
            ));
        }
        session.uses += 1;
        Ok(())
    }

    // ---- endpoints ----

    pub fn host_scan(&self, node: usize) -> Value {
        let Some(host) = self.nodes.get(node) else {
            return json!({});
        };
        let node_byte = node as u8;
        let mut ifaces: Vec<Value> = host
            .nics
            .iter()
            .enumerate()
            .map(|(index, name)| {
                json!({
                    "hwaddr": format!("00:50:56:b5:{node_byte:02x}:{:02x}", index as u8),
                    "ibdev": null,
                    "ipv4": null,
                    "ipv6": format!("fe80::250:56ff:feb5:{node_byte:02x}{:02x}", index as u8),
                    "mtu": 1500,
                    "name": name,
                    "pci_slot_name": format!("0000:{:02x}:00", index + 4),
                    "physical_link_up": true,
                    "rdma": false,
                    "running": true,
                    "speed": 10_000_000_000_u64,
                    "up": true
                })
            })
            .collect();
        let virtual_iface = |name: &str, ipv4: Option<String>, index: u8| {
            json!({
                "hwaddr": format!("02:00:00:{node_byte:02x}:00:{index:02x}"),
                "ibdev": null,
                "ipv4": ipv4,
                "ipv6": null,
                "mtu": 1500,
                "name": name,
                "pci_slot_name": null,
                "physical_link_up": true,
                "rdma": false,
                "running": ipv4_running(name),
                "speed": null,
                "up": true
            })
        };
        for (index, vds) in self.vdses.iter().take(2).enumerate() {
            ifaces.push(virtual_iface(&vds.ovsbr_name, None, index as u8));
        }
        ifaces.push(virtual_iface("ovsbr-internal", None, 2));
        ifaces.push(virtual_iface(
            "port-internal",
            Some("169.254.169.254".to_owned()),
            3,
        ));
        ifaces.push(virtual_iface(
            "port-mgt",
            Some(host.management_ip.to_string()),
            4,
        ));
        ifaces.push(virtual_iface(
            "port-storage",
            host.storage_ip.map(|ip| ip.to_string()),
            5,
        ));
        let cpus: Vec<Value> = (0..LOGICAL_CORES).map(|cpu| json!([cpu])).collect();
        let disk = |drive: &str,
                    function: &str,
                    model: &str,
                    serial: String,
                    size: u64,
                    kind: &str| {
            json!({"drive": drive, "function": function, "model": model, "serial": serial, "size": size, "type": kind})
        };
        json!({
            "arch": "x86_64",
            "cgroup_profile_env": {
                "cpu_arch": "x86_64",
                "cpu_vendor": CPU_VENDOR,
                "deployment_env": null,
                "enable_lsm_io_threads_state": null,
                "is_hygon_hct": false,
                "is_metro": false,
                "is_nvme_over_rdma": false,
                "is_nvme_over_tcp": false,
                "is_rdma": false,
                "is_vhost": true,
                "is_vmware_by_dmidecode": false,
                "memory_total": 134_654_275_584_u64,
                "node_role": if node == 0 { "master" } else { "storage" },
                "numa_info": {"numa_nodes": [{"cpus": cpus, "free_mem_mb": 127_369, "id": 0, "mem_size_mb": 128_416}]},
                "partition_total": 0,
                "platform": "kvm",
                "specified_mem_limits": {},
                "vm_min_free_bytes": 46_963_712,
                "zbs_spec": "normal"
            },
            "cpu": {
                "arch": "x86_64",
                "brand": CPU_BRAND,
                "cores_per_socket": LOGICAL_CORES,
                "flags": "fpu, vme, de, pse, tsc, msr, pae, mce, cx8, apic, sse, sse2, ht, lm, avx, avx2, svm, hypervisor",
                "hz_advertised": "2.4790 GHz",
                "hz_advertised_raw": [2_479_000_000_u64, 0],
                "logical_cores": LOGICAL_CORES,
                "num_cores": LOGICAL_CORES,
                "physical_cores": LOGICAL_CORES,
                "sockets": 1,
                "threads_per_core": 1,
                "vendor": CPU_VENDOR
            },
            "disks": [
                disk("sda", "boot", "SIM_Boot_Disk", format!("{}-boot", host.sn), 515_396_075_520, "SSD"),
                disk("nvme0n1", "cache", "SIM NVMe Disk", format!("{}-cache0", host.sn), 1_759_218_604_032, "SSD"),
                disk("sdb", "data", "SIM_Data_Disk", format!("{}-data0", host.sn), 2_199_023_255_552, "HDD"),
                disk("sdc", "data", "SIM_Data_Disk", format!("{}-data1", host.sn), 2_199_023_255_552, "HDD")
            ],
            "distribution": "openeuler",
            "host_ip": host.management_ip.to_string(),
            "host_uuid": host.host_uuid,
            "hostname": host.hostname,
            "ifaces": ifaces,
            "ipmi_ip": host.bmc_ip.map(|ip| ip.to_string()),
            "is_all_flash": false,
            "is_os_in_raid1": false,
            "is_os_in_single_disk": true,
            "patch_version": "P4",
            "product": "SMTXOS",
            "sn": host.sn,
            "status": "disabled",
            "version": "6.2.0",
            "zbs_spec": "normal",
            "zbs_spec_valid": true
        })
    }

    pub fn deploy_verify(&self) -> Value {
        json!({"is_deployed": !self.faults.not_deployed, "platform": "kvm"})
    }

    pub fn setup_root(&mut self, body: &Value) -> Result<Value, ApiError> {
        let password = body
            .get("password")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "password is required"))?;
        if let Some(repeat) = body.get("repeat").and_then(Value::as_str)
            && repeat != password
        {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "password and repeat differ",
            ));
        }
        if password.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "password must not be empty",
            ));
        }
        let username = body
            .get("username")
            .and_then(Value::as_str)
            .unwrap_or("root")
            .to_owned();
        if self.faults.already_initialized && self.root.is_none() {
            // The refused call still tells us which password the operator
            // believes in; adopting it keeps the cluster reachable.
            self.root = Some(RootAccount {
                username: "root".to_owned(),
                password: Secret::new(password),
            });
            return Err(already_initialized());
        }
        if self.root.is_some() {
            return Err(already_initialized());
        }
        self.root = Some(RootAccount {
            username,
            password: Secret::new(password),
        });
        Ok(json!({
            "id": "root",
            "username": "root",
            "password": "",
            "email": "root@test.com",
            "role": "ROOT",
            "annotation": "",
            "auth_provider_id": "local"
        }))
    }

    pub fn login(&mut self, body: &Value) -> Result<Value, ApiError> {
        let username = body.get("username").and_then(Value::as_str).unwrap_or("");
        let password = body.get("password").and_then(Value::as_str).unwrap_or("");
        let accepted = self.root.as_ref().is_some_and(|root| {
            (root.username == username || username == "root") && root.password.expose() == password
        });
        if !accepted {
            return Err(ApiError::unauthorized(
                "INVALID_CREDENTIALS",
                "wrong user name or password",
            ));
        }
        let token = uuid::Uuid::new_v4().simple().to_string();
        self.sessions.insert(token.clone(), Session { uses: 0 });
        let now = SystemTime::now();
        let expire = now + std::time::Duration::from_secs(7 * 86_400);
        Ok(json!({
            "user_id": "root",
            "token": token,
            "create_time": rfc3339_nanos(now),
            "expire_time": rfc3339_nanos(expire),
            "update_time": rfc3339_nanos(now)
        }))
    }

    fn new_job(
        &mut self,
        description: &str,
        event_name: &str,
        message: String,
        resources: Value,
        event_resources: Value,
        event_data: Value,
    ) -> (String, bool) {
        let id = v4_uuid(&mut self.rng);
        let fails = match self
            .faults
            .job_fails
            .iter_mut()
            .find(|(want, left)| *left > 0 && want.eq_ignore_ascii_case(description))
        {
            Some(entry) => {
                entry.1 -= 1;
                true
            }
            None => false,
        };
        self.jobs.push(Job {
            id: id.clone(),
            description: description.to_owned(),
            event_name: event_name.to_owned(),
            message,
            polls: 0,
            fails,
            ctime: epoch_seconds(),
            created: std::time::Instant::now(),
            resources,
            event_resources,
            event_data,
        });
        (id, fails)
    }

    fn settings_job(&mut self, description: &str, message: String) -> (String, bool) {
        self.new_job(
            description,
            description,
            message,
            json!({}),
            json!({}),
            json!({}),
        )
    }

    pub fn set_vip(&mut self, body: &Value) -> Result<Value, ApiError> {
        let vip = body
            .get("management_vip")
            .and_then(Value::as_str)
            .and_then(|text| text.parse::<Ipv4Addr>().ok())
            .ok_or_else(|| {
                ApiError::bad_request("INVALID_ARGUMENT", "management_vip must be an IPv4 address")
            })?;
        if self.nodes.iter().any(|node| node.management_ip == vip) {
            return Err(ApiError::conflict(
                "VIP_CONFLICT",
                format!("{vip} is a host management address"),
            ));
        }
        let (job_id, fails) =
            self.settings_job("UPDATE_VIP", format!("Set management VIP {vip}.\n"));
        if !fails {
            self.vip = Some(vip);
        }
        Ok(json!({ "job_id": job_id }))
    }

    pub fn set_dns(&mut self, body: &Value) -> Result<Value, ApiError> {
        let servers = body
            .get("dns_servers")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "dns_servers is required"))?;
        let mut parsed = Vec::new();
        for server in servers {
            let ip = server
                .as_str()
                .and_then(|text| text.parse::<Ipv4Addr>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "INVALID_ARGUMENT",
                        format!("dns server {server} is not an IPv4 address"),
                    )
                })?;
            parsed.push(ip);
        }
        if parsed.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "dns_servers must not be empty",
            ));
        }
        let (job_id, fails) = self.settings_job("UPDATE_DNS", "Updated DNS servers.\n".to_owned());
        if !fails {
            self.dns = parsed;
        }
        Ok(json!({ "job_id": job_id }))
    }

    pub fn set_ntp(&mut self, body: &Value) -> Result<Value, ApiError> {
        let mode = body
            .get("ntp_mode")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "ntp_mode is required"))?;
        if mode != "external" && mode != "internal" {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                format!("ntp_mode {mode:?} is not external or internal"),
            ));
        }
        let servers: Vec<String> = body
            .get("ntp_servers")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if mode == "external" && servers.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "external ntp_mode needs ntp_servers",
            ));
        }
        let mode = mode.to_owned();
        let (job_id, fails) = self.settings_job("UPDATE_NTP", "Updated NTP servers.\n".to_owned());
        if !fails {
            self.ntp_mode = Some(mode);
            self.ntp_servers = servers;
        }
        Ok(json!({ "job_id": job_id }))
    }

    pub fn upsert_ipmi(&mut self, body: &Value) -> Result<Value, ApiError> {
        let accounts = body
            .get("accounts")
            .and_then(Value::as_array)
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "accounts is required"))?;
        let mut success = Vec::new();
        let mut failure = Vec::new();
        for account in accounts {
            let field = |name: &str| {
                account
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            "INVALID_ARGUMENT",
                            format!("account {name} is required"),
                        )
                    })
            };
            let node_uuid = field("node_uuid")?;
            let node_name = field("node_name")?;
            let host = field("host")?;
            let user = field("user")?;
            field("password")?;
            let reachable = host
                .parse::<Ipv4Addr>()
                .map(|ip| !self.faults.bmc_unreachable.contains(&ip))
                .unwrap_or(false);
            let entry = json!({
                "node_uuid": node_uuid,
                "node_name": node_name,
                "host": host,
                "port": 623,
                "user": user,
                "is_valid": reachable,
                "interface": null
            });
            if reachable {
                success.push(entry);
            } else {
                failure.push(entry);
            }
            self.ipmi.insert(
                node_uuid.clone(),
                IpmiAccount {
                    node_uuid,
                    node_name,
                    host,
                    user,
                    is_valid: reachable,
                },
            );
        }
        Ok(json!({"success": success, "failure": failure}))
    }

    pub fn vds_json(&self, vds: &Vds) -> Value {
        let hosts: Vec<Value> = vds
            .hosts
            .iter()
            .map(|host| {
                json!({"host_uuid": host.host_uuid, "nics_associated": host.nics, "data_ip": host.data_ip})
            })
            .collect();
        json!({
            "uuid": vds.uuid,
            "bond_mode": vds.bond_mode,
            "bond_name": format!("bond-m-{}", &vds.uuid[..8]),
            "bond_type": "ovs_bond",
            "description": "",
            "name": vds.name,
            "ovsbr_name": vds.ovsbr_name,
            "qos_enable": false,
            "rb_interval": "",
            "type": 1,
            "work_mode": "single",
            "hosts_associated": hosts,
            "vlans_count": vds.vlans.len()
        })
    }

    pub fn list_vds(&self) -> Value {
        Value::Array(self.vdses.iter().map(|vds| self.vds_json(vds)).collect())
    }

    pub fn get_vds(&self, uuid: &str) -> Result<Value, ApiError> {
        self.vdses
            .iter()
            .find(|vds| vds.uuid == uuid)
            .map(|vds| self.vds_json(vds))
            .ok_or_else(|| ApiError::not_found("VDS_NOT_FOUND", format!("no VDS {uuid}")))
    }

    pub fn create_vds(&mut self, body: &Value) -> Result<Value, ApiError> {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "name is required"))?
            .to_owned();
        let bond_mode = body
            .get("bond_mode")
            .and_then(Value::as_str)
            .unwrap_or("active-backup")
            .to_owned();
        if !matches!(
            bond_mode.as_str(),
            "active-backup" | "balance-slb" | "balance-tcp" | "lacp"
        ) {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                format!("unknown bond_mode {bond_mode:?}"),
            ));
        }
        if self.vdses.iter().any(|vds| vds.name == name) {
            return Err(ApiError::conflict(
                "VDS_NAME_DUPLICATE",
                format!("a VDS named {name:?} exists already"),
            ));
        }
        let requested = body
            .get("hosts_associated")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ApiError::bad_request("INVALID_ARGUMENT", "hosts_associated is required")
            })?;
        let mut hosts = Vec::new();
        for entry in requested {
            let host_uuid = entry
                .get("host_uuid")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::bad_request("INVALID_ARGUMENT", "host_uuid is required")
                })?;
            let node = self
                .nodes
                .iter()
                .find(|node| node.host_uuid == host_uuid)
                .ok_or_else(|| {
                    ApiError::bad_request("HOST_NOT_FOUND", format!("no host {host_uuid}"))
                })?;
            let nics: Vec<String> = entry
                .get("nics_associated")
                .and_then(Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            if nics.is_empty() {
                return Err(ApiError::bad_request(
                    "INVALID_ARGUMENT",
                    format!("no nics_associated for host {}", node.hostname),
                ));
            }
            for nic in &nics {
                if !node.nics.contains(nic) {
                    return Err(ApiError::bad_request(
                        "NIC_NOT_FOUND",
                        format!("host {} has no NIC {nic}", node.hostname),
                    ));
                }
                if let Some(other) = self.vdses.iter().find(|vds| {
                    vds.hosts
                        .iter()
                        .any(|h| h.host_uuid == host_uuid && h.nics.contains(nic))
                }) {
                    return Err(ApiError::conflict(
                        "NIC_IN_USE",
                        format!(
                            "NIC {nic} of host {} is used by VDS {:?}",
                            node.hostname, other.name
                        ),
                    ));
                }
            }
            hosts.push(VdsHost {
                host_uuid: host_uuid.to_owned(),
                nics,
                data_ip: entry
                    .get("data_ip")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
        let vds = Vds {
            uuid: v4_uuid(&mut self.rng),
            name,
            bond_mode,
            ovsbr_name: ovsbr_name(&mut self.rng),
            hosts,
            vlans: Vec::new(),
        };
        let uuid = vds.uuid.clone();
        if self.faults.vds_returns_uuid {
            self.vdses.push(vds);
            return Ok(json!({ "uuid": uuid }));
        }
        let hosts_map: serde_json::Map<String, Value> = vds
            .hosts
            .iter()
            .map(|host| {
                (
                    host.host_uuid.clone(),
                    json!({"host_uuid": host.host_uuid, "nics_associated": host.nics, "data_ip": host.data_ip}),
                )
            })
            .collect();
        let resource = json!({
            "type": "NETWORK_VDS",
            "uuid": vds.uuid,
            "name": vds.name,
            "ovsbr_name": vds.ovsbr_name,
            "description": "",
            "status": "created",
            "hosts_associated": hosts_map,
            "bond_name": format!("bond-m-{}", &vds.uuid[..8]),
            "bond_type": "ovs_bond",
            "bond_mode": vds.bond_mode,
            "work_mode": "single",
            "qos_enable": false,
            "rb_interval": ""
        });
        let message = format!("Created virtual distributed switch {}.\n", vds.name);
        let event_data = json!({"name": vds.name, "uuid": vds.uuid});
        let (job_id, fails) = self.new_job(
            "NETWORK_CREATE_VDS",
            "CREATE_VDS",
            message,
            json!({ uuid.clone(): resource }),
            json!({ uuid: "NETWORK_VDS" }),
            event_data,
        );
        if !fails {
            self.vdses.push(vds);
        }
        Ok(json!({ "job_id": job_id }))
    }

    pub fn create_vlan(&mut self, vds_uuid: &str, body: &Value) -> Result<Value, ApiError> {
        let name = body
            .get("name")
            .and_then(Value::as_str)
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "name is required"))?
            .to_owned();
        let vlan_id = body
            .get("vlan_id")
            .and_then(Value::as_u64)
            .filter(|id| *id <= 4094)
            .and_then(|id| u16::try_from(id).ok())
            .ok_or_else(|| {
                ApiError::bad_request("INVALID_ARGUMENT", "vlan_id must be an integer 0..=4094")
            })?;
        let uuid = v4_uuid(&mut self.rng);
        let vds = self
            .vdses
            .iter_mut()
            .find(|vds| vds.uuid == vds_uuid)
            .ok_or_else(|| ApiError::not_found("VDS_NOT_FOUND", format!("no VDS {vds_uuid}")))?;
        if vds.vlans.iter().any(|vlan| vlan.name == name) {
            return Err(ApiError::conflict(
                "VLAN_NAME_DUPLICATE",
                format!("VDS {:?} has a network named {name:?}", vds.name),
            ));
        }
        if vds.vlans.iter().any(|vlan| vlan.vlan_id == vlan_id) {
            return Err(ApiError::conflict(
                "VLAN_ID_DUPLICATE",
                format!("VDS {:?} has a network with VLAN {vlan_id}", vds.name),
            ));
        }
        let vlan = Vlan {
            uuid,
            name,
            vlan_id,
        };
        let answer = vlan_json(&vlan, vds_uuid);
        vds.vlans.push(vlan);
        Ok(answer)
    }

    pub fn list_vlans(&self, vds_uuid: &str) -> Result<Value, ApiError> {
        let vds = self
            .vdses
            .iter()
            .find(|vds| vds.uuid == vds_uuid)
            .ok_or_else(|| ApiError::not_found("VDS_NOT_FOUND", format!("no VDS {vds_uuid}")))?;
        Ok(Value::Array(
            vds.vlans
                .iter()
                .map(|vlan| vlan_json(vlan, vds_uuid))
                .collect(),
        ))
    }

    /// Jobs also take at least this long, whatever the polls.
    pub fn set_job_duration(&mut self, duration: std::time::Duration) {
        self.job_duration = duration;
    }

    pub fn poll_job(&mut self, job_id: &str) -> Result<Value, ApiError> {
        let polls_to_finish = self.job_polls_to_finish;
        let duration = self.job_duration;
        let job = self
            .jobs
            .iter_mut()
            .find(|job| job.id == job_id)
            .ok_or_else(|| ApiError::not_found("JOB_NOT_FOUND", format!("no job {job_id}")))?;
        job.polls += 1;
        let state = job_state(job, polls_to_finish, duration);
        Ok(job_json(job, state))
    }

    pub fn license(&self) -> Value {
        json!({
            "serial": self.serial,
            "software_edition": "ENTERPRISE",
            "max_chunk_num": 255,
            "max_physical_data_capacity": 0,
            "max_physical_data_capacity_per_node": 140_737_488_355_328_u64,
            "license_capabilities": {"has_metrox": true, "has_remote_backup": true},
            "license_type": "TRIAL",
            "vendor": "SMTX",
            "maintenance_start_date": 0,
            "maintenance_period": 0,
            "sign_date": 1_759_011_131_u64,
            "platform": 15,
            "mode": "HCI",
            "period": 2_592_000,
            "pricing_type": "PRICING_TYPE_UNKNOWN"
        })
    }

    pub fn serial(&self) -> &str {
        &self.serial
    }

    pub fn recommended_cpu_models(&self) -> Value {
        json!({"cpu_models": recommended_cpu_models(CPU_VENDOR)})
    }

    pub fn set_cpu_model(&mut self, body: &Value) -> Result<Value, ApiError> {
        let model = body
            .get("cpu_model")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::bad_request("INVALID_ARGUMENT", "cpu_model is required"))?;
        if !recommended_cpu_models(CPU_VENDOR).contains(&model) {
            return Err(ApiError::bad_request(
                "CPU_MODEL_NOT_SUPPORTED",
                format!("cpu model {model:?} is not supported by every host"),
            ));
        }
        self.cpu_model = Some(model.to_owned());
        Ok(json!({}))
    }

    pub fn cpu_model(&self) -> Value {
        json!({ "cpu_model": self.cpu_model })
    }

    /// Creates an upload volume, or returns the unfinished one of the same
    /// name and size (resume).
    pub fn create_volume(
        &mut self,
        name: &str,
        size: u64,
        upload_dir: &std::path::Path,
    ) -> Result<(Value, Option<(PathBuf, u64)>), ApiError> {
        if name.is_empty() {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "name is required",
            ));
        }
        if size == 0 {
            return Err(ApiError::bad_request(
                "INVALID_ARGUMENT",
                "size must be > 0",
            ));
        }
        if let Some(image) = self.images.iter().find(|image| {
            !image.deleted && image.name == name && image.size == size && !image.complete()
        }) {
            return Ok((volume_json(image), None));
        }
        let uuid = v4_uuid(&mut self.rng);
        let zbs_volume_id = v4_uuid(&mut self.rng);
        let chunk_size = self.chunk_size;
        // Bounded so a wild `size` cannot make the chunk table huge.
        let chunks = usize::try_from(size.div_ceil(chunk_size))
            .ok()
            .filter(|chunks| *chunks <= MAX_CHUNKS)
            .ok_or_else(|| {
                ApiError::bad_request(
                    "INVALID_ARGUMENT",
                    format!("size {size} needs more than {MAX_CHUNKS} chunks"),
                )
            })?;
        let image = Image {
            path: upload_dir.join(&uuid),
            uuid,
            zbs_volume_id,
            name: name.to_owned(),
            size,
            chunk_size,
            received: vec![false; chunks],
            sha256: None,
            deleted: false,
        };
        let answer = volume_json(&image);
        let file = (image.path.clone(), size);
        self.images.push(image);
        Ok((answer, Some(file)))
    }

    pub fn image_mut(&mut self, uuid: &str) -> Option<&mut Image> {
        self.images
            .iter_mut()
            .find(|image| image.uuid == uuid && !image.deleted)
    }

    pub fn delete_image(&mut self, uuid: &str) -> Result<PathBuf, ApiError> {
        let image = self
            .image_mut(uuid)
            .ok_or_else(|| ApiError::not_found("IMAGE_NOT_FOUND", format!("no image {uuid}")))?;
        image.deleted = true;
        Ok(image.path.clone())
    }

    // ---- SSH backend ----

    pub fn ssh_authenticate(&self, node: usize, user: &str, password: &str) -> SshDecision {
        if self.faults.ssh_hang.contains(&node) {
            return SshDecision::Hang;
        }
        if self.faults.ssh_refused.contains(&node) || user == "root" {
            return SshDecision::Reject;
        }
        match self.nodes.get(node) {
            Some(host) if user == "smartx" && host.smartx_password.expose() == password => {
                SshDecision::Accept
            }
            _ => SshDecision::Reject,
        }
    }

    pub fn ssh_chpasswd(
        &mut self,
        node: usize,
        login_user: &str,
        stdin: &[u8],
    ) -> Result<(), String> {
        let host = self
            .nodes
            .get_mut(node)
            .ok_or_else(|| format!("no node {node}"))?;
        if login_user != "smartx" && login_user != "root" {
            return Err(format!("sudo: {login_user} is not in the sudoers file"));
        }
        let text =
            std::str::from_utf8(stdin).map_err(|_| "chpasswd: input is not UTF-8".to_owned())?;
        let mut changes: Vec<(String, String)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            if line.is_empty() {
                continue;
            }
            let (user, password) = line
                .split_once(':')
                .ok_or_else(|| format!("chpasswd: line {}: missing new password", number + 1))?;
            if user != "smartx" && user != "root" {
                return Err(format!(
                    "chpasswd: line {}: user '{user}' does not exist",
                    number + 1
                ));
            }
            if password.is_empty() {
                return Err(format!("chpasswd: line {}: empty password", number + 1));
            }
            changes.push((user.to_owned(), password.to_owned()));
        }
        if changes.is_empty() {
            return Err("chpasswd: no input".to_owned());
        }
        for (user, password) in changes {
            if user == "smartx" {
                host.smartx_password = Secret::new(password);
                host.smartx_rotated = true;
            } else {
                host.root_password = Secret::new(password);
                host.root_rotated = true;
            }
        }
        Ok(())
    }

    // ---- inspection ----

    pub fn snapshot(&self) -> Value {
        let hostname_of = |uuid: &str| {
            self.nodes
                .iter()
                .find(|node| node.host_uuid == uuid)
                .map(|node| node.hostname.clone())
        };
        let vdses: Vec<Value> = self
            .vdses
            .iter()
            .map(|vds| {
                json!({
                    "uuid": vds.uuid,
                    "name": vds.name,
                    "bond_mode": vds.bond_mode,
                    "ovsbr_name": vds.ovsbr_name,
                    "hosts": vds.hosts.iter().map(|host| json!({
                        "host_uuid": host.host_uuid,
                        "hostname": hostname_of(&host.host_uuid),
                        "nics": host.nics,
                        "data_ip": host.data_ip
                    })).collect::<Vec<_>>(),
                    "vlans": vds.vlans.iter().map(|vlan| json!({
                        "uuid": vlan.uuid, "name": vlan.name, "vlan_id": vlan.vlan_id
                    })).collect::<Vec<_>>()
                })
            })
            .collect();
        let images: Vec<Value> = self
            .images
            .iter()
            .map(|image| {
                json!({
                    "uuid": image.uuid,
                    "zbs_volume_id": image.zbs_volume_id,
                    "name": image.name,
                    "size": image.size,
                    "chunk_size": image.chunk_size,
                    "chunks": image.chunk_count(),
                    "received_chunks": image.received.iter().filter(|got| **got).count(),
                    "complete": image.complete(),
                    "sha256": image.sha256,
                    "deleted": image.deleted
                })
            })
            .collect();
        let hosts: Vec<Value> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                json!({
                    "index": index,
                    "hostname": node.hostname,
                    "host_uuid": node.host_uuid,
                    "management_ip": node.management_ip.to_string(),
                    "storage_ip": node.storage_ip.map(|ip| ip.to_string()),
                    "bmc_ip": node.bmc_ip.map(|ip| ip.to_string()),
                    "passwords_rotated": {"smartx": node.smartx_rotated, "root": node.root_rotated}
                })
            })
            .collect();
        let jobs: Vec<Value> = self
            .jobs
            .iter()
            .map(|job| {
                json!({
                    "job_id": job.id,
                    "description": job.description,
                    "polls": job.polls,
                    "state": job_state(job, self.job_polls_to_finish, self.job_duration),
                    "will_fail": job.fails
                })
            })
            .collect();
        let calls: Vec<Value> = self
            .calls
            .iter()
            .enumerate()
            .map(|(seq, call)| {
                let (target, node) = match call.target {
                    Target::Node(index) => (
                        self.nodes
                            .get(index)
                            .map(|node| node.hostname.clone())
                            .unwrap_or_default(),
                        Some(index),
                    ),
                    Target::Vip => ("vip".to_owned(), None),
                };
                json!({
                    "seq": seq,
                    "method": call.method,
                    "path": call.path,
                    "query": call.query,
                    "status": call.status,
                    "target": target,
                    "node": node
                })
            })
            .collect();
        json!({
            "cluster": {
                "name": self.spec.cluster_name,
                "deployed": !self.faults.not_deployed,
                "initialized": self.root.is_some(),
                "root_user": self.root.as_ref().map(|root| root.username.clone()),
                "sessions": self.sessions.len(),
                "vip": self.vip.map(|ip| ip.to_string()),
                "dns": self.dns.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "ntp": {"mode": self.ntp_mode, "servers": self.ntp_servers},
                "cpu_model": self.cpu_model,
                "serial": self.serial
            },
            "ipmi_accounts": self.ipmi.values().map(|account| json!({
                "node_uuid": account.node_uuid,
                "node_name": account.node_name,
                "host": account.host,
                "user": account.user,
                "is_valid": account.is_valid
            })).collect::<Vec<_>>(),
            "vdses": vdses,
            "jobs": jobs,
            "images": images,
            "hosts": hosts,
            "calls": calls
        })
    }
}

fn ipv4_running(name: &str) -> bool {
    name.starts_with("port-")
}

fn take_count(map: &mut HashMap<u64, u32>, key: u64) -> bool {
    match map.get_mut(&key) {
        Some(left) if *left > 0 => {
            *left -= 1;
            true
        }
        _ => false,
    }
}

fn already_initialized() -> ApiError {
    ApiError::conflict(
        "USER_ALREADY_INITIALIZED",
        "the root user has been set up already",
    )
}

fn vlan_json(vlan: &Vlan, vds_uuid: &str) -> Value {
    json!({
        "uuid": vlan.uuid,
        "name": vlan.name,
        "vds_uuid": vds_uuid,
        "vlan_id": vlan.vlan_id,
        "type": 3,
        "enable_dhcp": false,
        "vms_count": 0,
        "vm_snapshots_count": 0,
        "vm_templates_count": 0,
        "dhcp_config": null
    })
}

fn volume_json(image: &Image) -> Value {
    json!({
        "chunk_size": image.chunk_size,
        "image_path": format!("/usr/share/smartx/images/vmtools/{}", image.uuid),
        "image_uuid": image.uuid,
        "to_upload": image.missing(),
        "zbs_volume_id": image.zbs_volume_id
    })
}

fn job_state(job: &Job, polls_to_finish: u32, duration: std::time::Duration) -> &'static str {
    if job.polls > polls_to_finish && job.created.elapsed() >= duration {
        if job.fails { "failed" } else { "done" }
    } else if job.polls <= 1 {
        "pending"
    } else {
        "running"
    }
}

fn job_json(job: &Job, state: &str) -> Value {
    let message = if state == "failed" {
        format!("{} failed (injected fault).\n", job.description)
    } else {
        job.message.clone()
    };
    let mut body = json!({
        "job_id": job.id,
        "state": state,
        "life_cycle": "run",
        "description": job.description,
        "type": "action",
        "user": "",
        "resources": job.resources,
        "schedule_task": null,
        "one_time_task": null,
        "ctime": job.ctime,
        "task_list": [],
        "queue": null,
        "resource_group": null,
        "event": {
            "event_name": job.event_name,
            "user_name": "root",
            "user_role": "ROOT",
            "resources": job.event_resources,
            "message": {"zh_CN": message, "en_US": message},
            "detail": {"zh_CN": message, "en_US": message},
            "data": job.event_data,
            "user_type": "USER",
            "batch": null
        }
    });
    if state == "failed"
        && let Some(object) = body.as_object_mut()
    {
        object.insert(
            "error".to_owned(),
            Value::String(message.trim_end().to_owned()),
        );
    }
    json!({ "job": body })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> SimState {
        SimState::new(ClusterSpec::example(2), 1024, 2)
    }

    #[test]
    fn chpasswd_takes_everything_after_the_first_colon() {
        let mut state = state();
        let password = r#"a:b'c"d$e`f\g h;i"#;
        let stdin = format!("smartx:{password}\n");
        assert_eq!(state.ssh_chpasswd(0, "smartx", stdin.as_bytes()), Ok(()));
        assert_eq!(
            state.ssh_authenticate(0, "smartx", password),
            SshDecision::Accept
        );
        assert!(state.nodes[0].smartx_rotated && !state.nodes[0].root_rotated);
        // A bad line rejects the whole input: nothing changes.
        let mixed = b"root:new\nnobody:x\n";
        assert!(state.ssh_chpasswd(0, "smartx", mixed).is_err());
        assert!(!state.nodes[0].root_rotated);
        assert!(state.ssh_chpasswd(0, "smartx", b"root:\n").is_err());
        assert!(state.ssh_chpasswd(0, "smartx", b"").is_err());
    }

    #[test]
    fn jobs_go_pending_running_done() -> Result<(), ApiError> {
        let mut state = state();
        let answer = state.set_dns(&json!({"dns_servers": ["10.0.0.1"]}))?;
        let id = answer["job_id"].as_str().unwrap_or_default().to_owned();
        let states: Vec<Value> = (0..4)
            .map(|_| state.poll_job(&id).map(|job| job["job"]["state"].clone()))
            .collect::<Result<_, _>>()?;
        assert_eq!(
            states,
            vec![
                json!("pending"),
                json!("running"),
                json!("done"),
                json!("done")
            ]
        );
        Ok(())
    }

    #[test]
    fn identifiers_are_stable_for_a_seed() {
        let (one, two) = (state(), state());
        assert_eq!(one.serial, two.serial);
        assert_eq!(one.nodes[1].host_uuid, two.nodes[1].host_uuid);
        let other = SimState::new(
            ClusterSpec {
                seed: 2,
                ..ClusterSpec::example(2)
            },
            1024,
            2,
        );
        assert_ne!(one.serial, other.serial);
        assert_eq!(one.nodes[0].host_uuid.len(), 36);
    }

    #[test]
    fn timestamps_are_rfc3339_with_nanoseconds() {
        let time = UNIX_EPOCH + std::time::Duration::new(1_759_012_737, 921_456_349);
        assert_eq!(rfc3339_nanos(time), "2025-09-27T22:38:57.921456349Z");
    }
}
