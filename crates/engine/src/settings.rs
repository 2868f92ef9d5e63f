//! Settings for one run: the layer every front end (CLI flags, environment,
//! settings file; the web console later) fills in, how two layers combine,
//! and the resolved `Settings` a run uses, with every default in one place
//! ([`SettingsLayer::resolve`]). `redacted()` is the only form that is ever
//! written out.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use smtx_api::AddressOverride;
use smtx_api::ssh::ChangedHostKeys;
use smtx_secret::Secret;

/// The password SMTX OS leaves on `smartx` after deployment (captured).
pub const DEPLOYMENT_SSH_PASSWORD: &str = "P@ssw0rd!123";

/// Merging two layers of the same settings (uv's `Combine`): `self` is the
/// higher layer (flags over environment over file), so its value is kept
/// wherever it has one, and `lower` fills the rest.
pub trait Combine {
    #[must_use]
    fn combine(self, lower: Self) -> Self;
}

impl<T> Combine for Option<T> {
    fn combine(self, lower: Self) -> Self {
        self.or(lower)
    }
}

/// Address overrides combine per address: the higher layer's entry for an
/// address wins, the lower layer's entries for other addresses are kept
/// (a flag mapping one host does not drop the file's map of the others).
impl Combine for Vec<AddressOverride> {
    fn combine(mut self, lower: Self) -> Self {
        for extra in lower {
            if !self.iter().any(|o| o.host == extra.host) {
                self.push(extra);
            }
        }
        self
    }
}

/// What one source says about the settings: `None` (or an empty override
/// list) where it says nothing. Every front end builds one layer per source
/// and combines them, highest first; [`SettingsLayer::resolve`] then fills
/// in the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsLayer {
    pub api_base: Option<String>,
    pub http_overrides: Vec<AddressOverride>,
    pub ssh_overrides: Vec<AddressOverride>,
    /// A CA certificate (PEM file) to trust alone.
    pub ca_cert: Option<PathBuf>,
    pub insecure: Option<bool>,
    pub api_token: Option<Secret>,
    pub job_deadline: Option<Duration>,
    pub request_timeout: Option<Duration>,
    pub dry_run: Option<bool>,
    pub run_dir: Option<PathBuf>,
    pub vmtools_iso: Option<PathBuf>,
    pub force_upload: Option<bool>,
    pub cpu_compatibility: Option<bool>,
    pub rotate_host_passwords: Option<bool>,
    pub ssh_concurrency: Option<usize>,
    pub ssh_connect_timeout: Option<Duration>,
    pub ssh_command_timeout: Option<Duration>,
    pub ssh_port: Option<u16>,
    pub ssh_initial_password: Option<Secret>,
    /// Accept every changed SSH host key.
    pub accept_changed_host_keys: Option<bool>,
    /// Accept the changed SSH host key of these hosts (workbook addresses).
    pub accept_changed_host_key: Option<Vec<String>>,
    pub known_hosts: Option<PathBuf>,
    pub allow_active_vip: Option<bool>,
    pub serial_cell: Option<String>,
    pub force_serial: Option<bool>,
    pub rehearsal: Option<bool>,
    /// Run `config_cluster`'s API steps, SSH rotation and upload side by
    /// side (`stage.lanes`; `false`: one step at a time).
    pub lanes: Option<bool>,
}

impl Combine for SettingsLayer {
    fn combine(self, lower: Self) -> Self {
        // Taken apart whole: a field added to the layer and forgotten here
        // does not compile.
        let Self {
            api_base,
            http_overrides,
            ssh_overrides,
            ca_cert,
            insecure,
            api_token,
            job_deadline,
            request_timeout,
            dry_run,
            run_dir,
            vmtools_iso,
            force_upload,
            cpu_compatibility,
            rotate_host_passwords,
            ssh_concurrency,
            ssh_connect_timeout,
            ssh_command_timeout,
            ssh_port,
            ssh_initial_password,
            accept_changed_host_keys,
            accept_changed_host_key,
            known_hosts,
            allow_active_vip,
            serial_cell,
            force_serial,
            rehearsal,
            lanes,
        } = self;
        Self {
            api_base: api_base.combine(lower.api_base),
            http_overrides: http_overrides.combine(lower.http_overrides),
            ssh_overrides: ssh_overrides.combine(lower.ssh_overrides),
            ca_cert: ca_cert.combine(lower.ca_cert),
            insecure: insecure.combine(lower.insecure),
            api_token: api_token.combine(lower.api_token),
            job_deadline: job_deadline.combine(lower.job_deadline),
            request_timeout: request_timeout.combine(lower.request_timeout),
            dry_run: dry_run.combine(lower.dry_run),
            run_dir: run_dir.combine(lower.run_dir),
            vmtools_iso: vmtools_iso.combine(lower.vmtools_iso),
            force_upload: force_upload.combine(lower.force_upload),
            cpu_compatibility: cpu_compatibility.combine(lower.cpu_compatibility),
            rotate_host_passwords: rotate_host_passwords.combine(lower.rotate_host_passwords),
            ssh_concurrency: ssh_concurrency.combine(lower.ssh_concurrency),
            ssh_connect_timeout: ssh_connect_timeout.combine(lower.ssh_connect_timeout),
            ssh_command_timeout: ssh_command_timeout.combine(lower.ssh_command_timeout),
            ssh_port: ssh_port.combine(lower.ssh_port),
            ssh_initial_password: ssh_initial_password.combine(lower.ssh_initial_password),
            accept_changed_host_keys: accept_changed_host_keys
                .combine(lower.accept_changed_host_keys),
            accept_changed_host_key: accept_changed_host_key.combine(lower.accept_changed_host_key),
            known_hosts: known_hosts.combine(lower.known_hosts),
            allow_active_vip: allow_active_vip.combine(lower.allow_active_vip),
            serial_cell: serial_cell.combine(lower.serial_cell),
            force_serial: force_serial.combine(lower.force_serial),
            rehearsal: rehearsal.combine(lower.rehearsal),
            lanes: lanes.combine(lower.lanes),
        }
    }
}

impl SettingsLayer {
    /// The settings of a run: this (combined) layer's values, and the
    /// default of every setting it leaves unset. This is the one place
    /// defaults live. `default_run_dir` and `work_dir` come from the front
    /// end (they depend on the workbook and where it runs); `read_ca` reads
    /// the PEM of the CA certificate the layer names, so that a front end
    /// reports an unreadable file in its own terms.
    ///
    /// Refusing `insecure` together with a CA is the front end's job, before
    /// this: only it knows where each came from.
    pub fn resolve<E>(
        self,
        default_run_dir: PathBuf,
        work_dir: PathBuf,
        read_ca: impl FnOnce(&Path) -> Result<Vec<u8>, E>,
    ) -> Result<Settings, E> {
        let Self {
            api_base,
            http_overrides,
            ssh_overrides,
            ca_cert,
            insecure,
            api_token,
            job_deadline,
            request_timeout,
            dry_run,
            run_dir,
            vmtools_iso,
            force_upload,
            cpu_compatibility,
            rotate_host_passwords,
            ssh_concurrency,
            ssh_connect_timeout,
            ssh_command_timeout,
            ssh_port,
            ssh_initial_password,
            accept_changed_host_keys,
            accept_changed_host_key,
            known_hosts,
            allow_active_vip,
            serial_cell,
            force_serial,
            rehearsal,
            lanes,
        } = self;
        let ca_cert = match ca_cert {
            Some(path) => {
                let pem = read_ca(&path)?;
                Some((path, pem))
            }
            None => None,
        };
        let changed_host_keys = match (accept_changed_host_keys, accept_changed_host_key) {
            (Some(true), _) => ChangedHostKeys::AcceptAll,
            (_, Some(hosts)) if !hosts.is_empty() => ChangedHostKeys::Accept(hosts),
            _ => ChangedHostKeys::Refuse,
        };
        Ok(Settings {
            api_base,
            scheme: "https".to_string(),
            http_overrides,
            ssh_overrides,
            ca_cert,
            insecure: insecure.unwrap_or(false),
            fallback_token: api_token.filter(|token| !token.is_empty()),
            job_deadline: job_deadline.unwrap_or(Duration::from_secs(300)),
            request_timeout: request_timeout.unwrap_or(Duration::from_secs(30)),
            dry_run: dry_run.unwrap_or(false),
            run_dir: run_dir.unwrap_or(default_run_dir),
            work_dir,
            vmtools_iso,
            force_upload: force_upload.unwrap_or(false),
            cpu_compatibility: cpu_compatibility.unwrap_or(true),
            rotate_host_passwords: rotate_host_passwords.unwrap_or(true),
            // Zero hosts at a time would never rotate any.
            ssh_concurrency: ssh_concurrency.unwrap_or(8).max(1),
            ssh_connect_timeout: ssh_connect_timeout.unwrap_or(Duration::from_secs(10)),
            // chpasswd behind sudo on a busy host; a command cut short may
            // leave the host with some of its new passwords, so err long.
            ssh_command_timeout: ssh_command_timeout.unwrap_or(Duration::from_secs(60)),
            ssh_port: ssh_port.unwrap_or(22),
            ssh_initial_password: ssh_initial_password
                .filter(|password| !password.is_empty())
                .unwrap_or_else(|| Secret::new(DEPLOYMENT_SSH_PASSWORD)),
            changed_host_keys,
            known_hosts,
            own_known_hosts: None,
            allow_active_vip: allow_active_vip.unwrap_or(false),
            serial_cell,
            force_serial: force_serial.unwrap_or(false),
            rehearsal: rehearsal.unwrap_or(false),
            report_lang: smtx_i18n::Lang::En,
            lanes: lanes.unwrap_or(true),
            run_by: None,
        })
    }
}

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
    /// Where pins live when no file is named: the front end's own choice
    /// (the console keeps one file per cluster in its data directory);
    /// `None`: `known_hosts` beside the run directory. Unlike a named
    /// file, it is only replaced while it is a file the tool made.
    pub own_known_hosts: Option<PathBuf>,
    /// Set the VIP even when something already answers on it.
    pub allow_active_vip: bool,
    /// `sheet!cell` for the serial; `None`: the workbook's own `Cluster SN`
    /// cell, on whichever row the reader found it ([`Settings::serial_cell_in`]).
    pub serial_cell: Option<String>,
    pub force_serial: bool,
    /// The settings come from `smtx-deploy sim --write-config`: a rehearsal
    /// against the simulator, kept apart from a site's runs.
    pub rehearsal: bool,
    /// The language of what the run writes for people (`report.html`,
    /// the delivery record): the front end's. Files for programs keep
    /// English.
    pub report_lang: smtx_i18n::Lang,
    /// After the session, the API steps, the SSH rotation and the VMTools
    /// upload run at once; `false` runs the design's order one step at a
    /// time, for a cluster that misbehaves under concurrent calls.
    pub lanes: bool,
    /// Who started the run, as the delivery record names them: the console
    /// token's name (`serve --token-file`); None from the CLI.
    pub run_by: Option<String>,
}

impl Settings {
    /// Every setting at its default (see [`SettingsLayer::resolve`]).
    pub fn new(run_dir: PathBuf, work_dir: PathBuf) -> Self {
        let Ok(settings) = SettingsLayer::default().resolve(run_dir, work_dir, |_| {
            Ok::<_, std::convert::Infallible>(Vec::new())
        });
        settings
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

    /// Where the serial goes in this workbook: the configured cell, or the
    /// `Cluster SN` cell of the cluster row the reader found.
    pub fn serial_cell_in(&self, plan: &smtx_plan::Plan) -> String {
        self.serial_cell
            .clone()
            .unwrap_or_else(|| plan.cluster.serial_cell())
    }

    pub fn known_hosts_path(&self) -> PathBuf {
        self.known_hosts_file().0
    }

    /// The pins file and who chose it: a file the user named is written
    /// through a link and whatever made it; the tool's own choice only
    /// while it is a file the tool made ([`smtx_api::Replace`]).
    pub fn known_hosts_file(&self) -> (PathBuf, smtx_api::Replace) {
        if let Some(path) = &self.known_hosts {
            return (path.clone(), smtx_api::Replace::Named);
        }
        if let Some(path) = &self.own_known_hosts {
            return (path.clone(), smtx_api::Replace::Own);
        }
        let path = match self.run_dir.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.join("known_hosts"),
            _ => self.run_dir.join("known_hosts"),
        };
        (path, smtx_api::Replace::Own)
    }

    /// The settings as `context.json` records them: no secret, only whether
    /// one was set.
    pub fn redacted(&self) -> Value {
        // Taken apart whole: a new setting does not compile until it is
        // recorded here (or said not to be).
        let Self {
            api_base,
            scheme,
            http_overrides,
            ssh_overrides,
            ca_cert,
            insecure,
            fallback_token,
            job_deadline,
            request_timeout,
            dry_run,
            // The context lives in it.
            run_dir: _,
            work_dir,
            vmtools_iso,
            force_upload,
            cpu_compatibility,
            rotate_host_passwords,
            ssh_concurrency,
            ssh_connect_timeout,
            ssh_command_timeout,
            ssh_port,
            // A secret: only that there is one.
            ssh_initial_password: _,
            changed_host_keys,
            // Recorded as the file actually used, default included.
            known_hosts: _,
            own_known_hosts: _,
            allow_active_vip,
            serial_cell,
            force_serial,
            rehearsal,
            // How report.html reads, not what the run did.
            report_lang: _,
            lanes,
            // In the delivery record and the console's history.
            run_by: _,
        } = self;
        let overrides = |list: &[AddressOverride]| -> Vec<String> {
            list.iter()
                .map(|o| format!("{}={}", o.host, o.target))
                .collect()
        };
        json!({
            "api": {
                "base_url": api_base,
                "scheme": scheme,
                "resolve": overrides(http_overrides),
                "ca_cert": ca_cert.as_ref().map(|(path, _)| path.display().to_string()),
                "insecure": insecure,
                "token": fallback_token.as_ref().map(|_| "***"),
                "job_deadline_secs": job_deadline.as_secs(),
                "request_timeout_secs": request_timeout.as_secs(),
            },
            "ssh": {
                "resolve": overrides(ssh_overrides),
                "rotate_host_passwords": rotate_host_passwords,
                "concurrency": ssh_concurrency,
                "port": ssh_port,
                "connect_timeout_secs": ssh_connect_timeout.as_secs(),
                "command_timeout_secs": ssh_command_timeout.as_secs(),
                "initial_password": "***",
                "accept_changed_host_keys": match changed_host_keys {
                    ChangedHostKeys::Refuse => json!(false),
                    ChangedHostKeys::AcceptAll => json!(true),
                    ChangedHostKeys::Accept(hosts) => json!(hosts),
                },
                "known_hosts": self.known_hosts_path().display().to_string(),
            },
            "vmtools": {
                "iso": vmtools_iso.as_ref().map(|p| p.display().to_string()),
                "work_dir": work_dir.display().to_string(),
                "force_upload": force_upload,
            },
            "allow_active_vip": allow_active_vip,
            "cpu_compatibility": cpu_compatibility,
            "serial_cell": serial_cell,
            "force_serial": force_serial,
            "dry_run": dry_run,
            "rehearsal": rehearsal,
            "stage": { "lanes": lanes },
        })
    }
}
