//! Resolved settings for one run: what the front ends (CLI flags,
//! environment, config file; the web console later) agree on, in one type.
//! `redacted()` is the only form that is ever written out.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use smtx_api::AddressOverride;
use smtx_api::ssh::ChangedHostKeys;
use smtx_secret::Secret;

/// The password SMTX OS leaves on `smartx` after deployment (captured).
pub const DEPLOYMENT_SSH_PASSWORD: &str = "P@ssw0rd!123";

#[derive(Debug, Clone)]
pub struct Settings {
    /// `https://10.0.20.11`; `None` → the first host's management IP.
    pub api_base: Option<String>,
    /// Scheme used when `api_base` is not set.
    pub scheme: String,
    pub http_overrides: Vec<AddressOverride>,
    pub ssh_overrides: Vec<AddressOverride>,
    /// PEM bytes of an extra CA to trust, and where it came from.
    pub ca_cert: Option<(PathBuf, Vec<u8>)>,
    pub insecure: bool,
    /// Token to use when login gives none.
    pub fallback_token: Option<Secret>,
    pub job_deadline: Duration,
    pub request_timeout: Duration,
    pub dry_run: bool,
    /// Directory the run writes into (created).
    pub run_dir: PathBuf,
    /// Where to look for `SMTX_VMTOOLS-*.iso` when no ISO is configured.
    pub work_dir: PathBuf,
    pub vmtools_iso: Option<PathBuf>,
    pub force_upload: bool,
    pub cpu_compatibility: bool,
    pub rotate_host_passwords: bool,
    pub ssh_concurrency: usize,
    pub ssh_connect_timeout: Duration,
    pub ssh_command_timeout: Duration,
    pub ssh_port: u16,
    /// The `smartx` password the cluster was deployed with.
    pub ssh_initial_password: Secret,
    /// Hosts whose SSH key may differ from the pinned one (reinstalled).
    pub changed_host_keys: ChangedHostKeys,
    /// Pinned SSH host keys; default: `known_hosts` beside the run directory,
    /// so that later runs (each with a new run directory) check them. A
    /// rehearsal's settings file names its own, so the simulator's keys
    /// never meet the site's.
    pub known_hosts: Option<PathBuf>,
    /// Set the VIP even when something already answers on it.
    pub allow_active_vip: bool,
    /// `sheet!cell` for the serial.
    pub serial_cell: String,
    pub force_serial: bool,
}

impl Settings {
    pub fn new(run_dir: PathBuf, work_dir: PathBuf) -> Self {
        Self {
            api_base: None,
            scheme: "https".to_string(),
            http_overrides: Vec::new(),
            ssh_overrides: Vec::new(),
            ca_cert: None,
            insecure: false,
            fallback_token: None,
            job_deadline: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            dry_run: false,
            run_dir,
            work_dir,
            vmtools_iso: None,
            force_upload: false,
            cpu_compatibility: true,
            rotate_host_passwords: true,
            ssh_concurrency: 8,
            ssh_connect_timeout: Duration::from_secs(10),
            ssh_command_timeout: Duration::from_secs(30),
            ssh_port: 22,
            ssh_initial_password: Secret::new(DEPLOYMENT_SSH_PASSWORD),
            changed_host_keys: ChangedHostKeys::Refuse,
            known_hosts: None,
            allow_active_vip: false,
            serial_cell: smtx_plan::DEFAULT_SERIAL_CELL.to_string(),
            force_serial: false,
        }
    }

    /// Where SSH for `ip` really goes.
    pub fn ssh_address(&self, ip: std::net::Ipv4Addr) -> SocketAddr {
        let key = ip.to_string();
        self.ssh_overrides
            .iter()
            .find(|o| o.host == key)
            .map(|o| o.target)
            .unwrap_or_else(|| SocketAddr::from((ip, self.ssh_port)))
    }

    pub fn known_hosts_path(&self) -> PathBuf {
        if let Some(path) = &self.known_hosts {
            return path.clone();
        }
        match self.run_dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("known_hosts"),
            _ => self.run_dir.join("known_hosts"),
        }
    }

    /// The settings as `context.json` records them: no secret, only whether
    /// one was set.
    pub fn redacted(&self) -> Value {
        let overrides = |list: &[AddressOverride]| -> Vec<String> {
            list.iter()
                .map(|o| format!("{}={}", o.host, o.target))
                .collect()
        };
        json!({
            "api": {
                "base_url": self.api_base,
                "scheme": self.scheme,
                "resolve": overrides(&self.http_overrides),
                "ca_cert": self.ca_cert.as_ref().map(|(path, _)| path.display().to_string()),
                "insecure": self.insecure,
                "token": self.fallback_token.as_ref().map(|_| "***"),
                "job_deadline_secs": self.job_deadline.as_secs(),
                "request_timeout_secs": self.request_timeout.as_secs(),
            },
            "ssh": {
                "resolve": overrides(&self.ssh_overrides),
                "rotate_host_passwords": self.rotate_host_passwords,
                "concurrency": self.ssh_concurrency,
                "initial_password": "***",
                "accept_changed_host_keys": match &self.changed_host_keys {
                    ChangedHostKeys::Refuse => json!(false),
                    ChangedHostKeys::AcceptAll => json!(true),
                    ChangedHostKeys::Accept(hosts) => json!(hosts),
                },
                "known_hosts": self.known_hosts_path().display().to_string(),
            },
            "vmtools": {
                "iso": self.vmtools_iso.as_ref().map(|p| p.display().to_string()),
                "work_dir": self.work_dir.display().to_string(),
                "force_upload": self.force_upload,
            },
            "allow_active_vip": self.allow_active_vip,
            "cpu_compatibility": self.cpu_compatibility,
            "serial_cell": self.serial_cell,
            "dry_run": self.dry_run,
        })
    }
}
