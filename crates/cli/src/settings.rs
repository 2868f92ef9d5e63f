//! Settings resolved in one place, in this order of precedence: command-line
//! flags, then environment variables (clap reads both), then the config file
//! (`--config`, TOML, the format `smtx-deploy sim --write-config` writes),
//! then defaults.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use smtx_api::AddressOverride;
use smtx_api::ssh::ChangedHostKeys;
use smtx_engine::Settings;
use smtx_secret::Secret;

use crate::commands::BadInput;
use crate::i18n::Lang;

/// Flags shared by the commands that talk to a cluster.
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Settings file (TOML), e.g. the one `smtx-deploy sim --write-config` writes.
    #[arg(long, env = "SMTX_CONFIG")]
    pub config: Option<PathBuf>,
    /// API base URL; default: https:// + the first host's management IP.
    #[arg(long, env = "SMTX_API_BASE")]
    pub api_base: Option<String>,
    /// Send requests for IP to HOST:PORT instead (like curl's --resolve). Repeatable.
    #[arg(
        long = "resolve",
        value_name = "IP=HOST:PORT",
        env = "SMTX_RESOLVE",
        value_delimiter = ','
    )]
    pub resolve: Vec<String>,
    /// Send SSH for IP to HOST:PORT instead. Repeatable.
    #[arg(
        long = "ssh-resolve",
        value_name = "IP=HOST:PORT",
        env = "SMTX_SSH_RESOLVE",
        value_delimiter = ','
    )]
    pub ssh_resolve: Vec<String>,
    /// Trust this CA certificate (PEM) alone for the cluster's HTTPS; the
    /// certificate must name the workbook address, even through --resolve.
    #[arg(long, env = "SMTX_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Do not verify the cluster's TLS certificate.
    #[arg(long, env = "SMTX_INSECURE")]
    pub insecure: bool,
    /// Pin SSH host keys in this file (default: known_hosts beside the run
    /// directories; a settings file written by `sim` names its own).
    #[arg(long, value_name = "FILE", env = "SMTX_SSH_KNOWN_HOSTS")]
    pub ssh_known_hosts: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    #[serde(default)]
    pub api: FileApi,
    #[serde(default)]
    pub ssh: FileSsh,
    #[serde(default)]
    pub vmtools: FileVmtools,
    #[serde(default)]
    pub serial: FileSerial,
    pub cpu_compatibility: Option<bool>,
    /// Set the VIP even when something already answers on it.
    pub allow_active_vip: Option<bool>,
    pub run_dir: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileApi {
    pub base_url: Option<String>,
    pub ca_cert: Option<PathBuf>,
    pub insecure: Option<bool>,
    #[serde(default)]
    pub resolve: Vec<String>,
    #[serde(default, deserialize_with = "secret")]
    pub token: Option<Secret>,
    pub job_deadline_secs: Option<u64>,
    pub request_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSsh {
    #[serde(default)]
    pub resolve: Vec<String>,
    pub rotate_host_passwords: Option<bool>,
    pub concurrency: Option<usize>,
    #[serde(default, deserialize_with = "secret")]
    pub initial_password: Option<Secret>,
    pub connect_timeout_secs: Option<u64>,
    pub command_timeout_secs: Option<u64>,
    pub port: Option<u16>,
    pub accept_changed_host_keys: Option<bool>,
    /// Where SSH host keys are pinned (relative to this file).
    pub known_hosts: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileVmtools {
    pub iso: Option<PathBuf>,
    pub force_upload: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSerial {
    pub cell: Option<String>,
    pub force: Option<bool>,
}

/// Secrets in the file go straight into `Secret`, so that not even a debug
/// print of the parsed file shows them.
fn secret<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?
        .filter(|value| !value.is_empty())
        .map(Secret::new))
}

impl FileSettings {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
        let mut settings: FileSettings =
            toml::from_str(&text).map_err(|e| BadInput(format!("{}: {e}", path.display())))?;
        // Paths in the file are relative to the file, not to where we run.
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut Option<PathBuf>| {
            if let Some(inner) = p
                && inner.is_relative()
            {
                *inner = base.join(&*inner);
            }
        };
        rebase(&mut settings.api.ca_cert);
        rebase(&mut settings.ssh.known_hosts);
        rebase(&mut settings.vmtools.iso);
        Ok(settings)
    }
}

fn parse_overrides(list: &[String]) -> anyhow::Result<Vec<AddressOverride>> {
    list.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<AddressOverride>().map_err(|e| BadInput(e).into()))
        .collect()
}

/// Everything `run` needs beyond the connection flags.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub run_dir: Option<PathBuf>,
    pub dry_run: bool,
    pub vmtools_iso: Option<PathBuf>,
    pub force_upload: bool,
    pub no_cpu_compatibility: bool,
    pub no_host_passwords: bool,
    pub accept_changed_host_keys: bool,
    /// Hosts (management IPs) whose changed SSH key is accepted.
    pub accept_changed_host_key: Vec<Ipv4Addr>,
    pub allow_active_vip: bool,
    pub serial_cell: Option<String>,
    pub force_serial: bool,
    /// Language of the warnings printed while resolving.
    pub lang: Option<Lang>,
}

pub fn resolve(
    connection: &ConnectionArgs,
    options: &RunOptions,
    default_run_dir: PathBuf,
) -> anyhow::Result<Settings> {
    let file = match &connection.config {
        Some(path) => FileSettings::load(path)?,
        None => FileSettings::default(),
    };
    let work_dir = std::env::current_dir().context("cannot read the current directory")?;
    let run_dir = options
        .run_dir
        .clone()
        .or(file.run_dir.clone())
        .unwrap_or(default_run_dir);
    let mut settings = Settings::new(run_dir, work_dir);
    settings.api_base = connection.api_base.clone().or(file.api.base_url.clone());
    let mut http = parse_overrides(&connection.resolve)?;
    for extra in parse_overrides(&file.api.resolve)? {
        // A flag for the same address wins over the file.
        if !http.iter().any(|o| o.host == extra.host) {
            http.push(extra);
        }
    }
    settings.http_overrides = http;
    let mut ssh = parse_overrides(&connection.ssh_resolve)?;
    for extra in parse_overrides(&file.ssh.resolve)? {
        if !ssh.iter().any(|o| o.host == extra.host) {
            ssh.push(extra);
        }
    }
    settings.ssh_overrides = ssh;
    let config_name = || {
        connection
            .config
            .as_deref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    };
    let insecure_source = if connection.insecure {
        Some("--insecure / SMTX_INSECURE".to_string())
    } else if file.api.insecure == Some(true) {
        Some(format!("api.insecure in {}", config_name()))
    } else {
        None
    };
    let ca_source = match (&connection.ca_cert, &file.api.ca_cert) {
        (Some(path), _) => Some(format!("--ca-cert / SMTX_CA_CERT {}", path.display())),
        (None, Some(path)) => Some(format!(
            "api.ca_cert {} in {}",
            path.display(),
            config_name()
        )),
        (None, None) => None,
    };
    if let (Some(insecure), Some(ca)) = (&insecure_source, &ca_source) {
        return Err(BadInput(format!(
            "{insecure} and a CA certificate ({ca}) together: verify against the CA, or verify nothing; drop one of them"
        ))
        .into());
    }
    if let Some(source) = &insecure_source {
        eprintln!("{}", insecure_warning(Lang::detect(options.lang), source));
    }
    settings.insecure = insecure_source.is_some();
    let ca_path = connection.ca_cert.clone().or(file.api.ca_cert.clone());
    if let Some(path) = ca_path {
        let pem = std::fs::read(&path)
            .map_err(|e| BadInput(format!("CA certificate {}: {e}", path.display())))?;
        settings.ca_cert = Some((path, pem));
    }
    if let Some(token) = file.api.token {
        settings.fallback_token = Some(token);
    }
    if let Ok(token) = std::env::var("SMTX_API_TOKEN")
        && !token.is_empty()
    {
        settings.fallback_token = Some(Secret::new(token));
    }
    if let Some(secs) = file.api.job_deadline_secs {
        settings.job_deadline = Duration::from_secs(secs);
    }
    if let Some(secs) = file.api.request_timeout_secs {
        settings.request_timeout = Duration::from_secs(secs);
    }
    settings.dry_run = options.dry_run;
    settings.vmtools_iso = options.vmtools_iso.clone().or(file.vmtools.iso);
    settings.force_upload = options.force_upload || file.vmtools.force_upload.unwrap_or(false);
    settings.cpu_compatibility =
        !options.no_cpu_compatibility && file.cpu_compatibility.unwrap_or(true);
    settings.rotate_host_passwords =
        !options.no_host_passwords && file.ssh.rotate_host_passwords.unwrap_or(true);
    if let Some(n) = file.ssh.concurrency {
        settings.ssh_concurrency = n.max(1);
    }
    if let Some(password) = file.ssh.initial_password {
        settings.ssh_initial_password = password;
    }
    if let Ok(password) = std::env::var("SMTX_SSH_INITIAL_PASSWORD")
        && !password.is_empty()
    {
        settings.ssh_initial_password = Secret::new(password);
    }
    if let Some(secs) = file.ssh.connect_timeout_secs {
        settings.ssh_connect_timeout = Duration::from_secs(secs);
    }
    if let Some(secs) = file.ssh.command_timeout_secs {
        settings.ssh_command_timeout = Duration::from_secs(secs);
    }
    if let Some(port) = file.ssh.port {
        settings.ssh_port = port;
    }
    settings.changed_host_keys =
        if options.accept_changed_host_keys || file.ssh.accept_changed_host_keys.unwrap_or(false) {
            ChangedHostKeys::AcceptAll
        } else if options.accept_changed_host_key.is_empty() {
            ChangedHostKeys::Refuse
        } else {
            ChangedHostKeys::Accept(
                options
                    .accept_changed_host_key
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            )
        };
    settings.known_hosts = connection
        .ssh_known_hosts
        .clone()
        .or(file.ssh.known_hosts.clone());
    settings.allow_active_vip = options.allow_active_vip || file.allow_active_vip.unwrap_or(false);
    if let Some(cell) = options.serial_cell.clone().or(file.serial.cell) {
        settings.serial_cell = cell;
    }
    settings.force_serial = options.force_serial || file.serial.force.unwrap_or(false);
    Ok(settings)
}

/// One line on stderr: what `insecure` no longer checks, and where it was
/// turned on.
fn insecure_warning(lang: Lang, source: &str) -> String {
    match lang {
        Lang::En => format!(
            "warning: TLS verification is off ({source}): the cluster's HTTPS certificate is not checked at any address (hosts, VIP), so passwords go to whoever answers there"
        ),
        Lang::ZhCn => format!(
            "警告：TLS 校验已关闭（{source}）：不再校验集群任何地址（主机、VIP）的 HTTPS 证书，密码会发给在这些地址应答的任何设备"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The settings example in the README is a file this binary accepts.
    #[test]
    fn readme_settings_example_parses() {
        let readme = include_str!("../../../README.md");
        let start = readme
            .find("```toml\n")
            .expect("a toml block in the README")
            + 8;
        let end = start + readme[start..].find("```").expect("closed block");
        let settings: FileSettings = toml::from_str(&readme[start..end]).expect("parses");
        assert_eq!(settings.api.base_url.as_deref(), Some("https://10.0.20.11"));
        assert_eq!(settings.cpu_compatibility, Some(true));
        assert_eq!(settings.serial.cell.as_deref(), Some("主机规划!E19"));
        assert_eq!(settings.ssh.port, Some(22));
        // Secrets from the file print as *** even in a debug dump.
        let dump = format!("{settings:?}");
        assert!(settings.ssh.initial_password.is_some());
        assert!(!dump.contains("P@ssw0rd!123"), "{dump}");
    }

    #[test]
    fn flags_win_over_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            "[api]\nbase_url = \"https://10.0.0.1\"\nresolve = [\"10.0.0.1=127.0.0.1:1\", \"10.0.0.2=127.0.0.1:2\"]\n",
        )
        .expect("write");
        let connection = ConnectionArgs {
            config: Some(path),
            api_base: Some("https://10.0.0.9".to_string()),
            resolve: vec!["10.0.0.1=127.0.0.1:7".to_string()],
            ssh_resolve: vec![],
            ca_cert: None,
            insecure: false,
            ssh_known_hosts: None,
        };
        let settings =
            resolve(&connection, &RunOptions::default(), dir.path().join("run")).expect("resolves");
        assert_eq!(settings.api_base.as_deref(), Some("https://10.0.0.9"));
        let targets: Vec<String> = settings
            .http_overrides
            .iter()
            .map(|o| format!("{}={}", o.host, o.target))
            .collect();
        assert_eq!(targets, ["10.0.0.1=127.0.0.1:7", "10.0.0.2=127.0.0.1:2"]);
    }

    #[test]
    fn pins_and_changed_keys_come_from_the_file_or_the_flags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.toml");
        std::fs::write(
            &path,
            "allow_active_vip = true\n[ssh]\nknown_hosts = \"rehearsal.known_hosts\"\n",
        )
        .expect("write");
        let mut connection = ConnectionArgs {
            config: Some(path),
            api_base: None,
            resolve: vec![],
            ssh_resolve: vec![],
            ca_cert: None,
            insecure: false,
            ssh_known_hosts: None,
        };
        let options = RunOptions {
            accept_changed_host_key: vec!["10.0.20.12".parse().expect("ip")],
            ..RunOptions::default()
        };
        let settings = resolve(&connection, &options, dir.path().join("runs/a")).expect("ok");
        // Relative to the settings file, not to where the run starts.
        assert_eq!(
            settings.known_hosts_path(),
            dir.path().join("rehearsal.known_hosts")
        );
        assert!(settings.allow_active_vip);
        assert_eq!(
            settings.changed_host_keys,
            ChangedHostKeys::Accept(vec!["10.0.20.12".to_string()])
        );
        connection.ssh_known_hosts = Some(PathBuf::from("/site/pins"));
        let options = RunOptions {
            accept_changed_host_keys: true,
            ..options
        };
        let settings = resolve(&connection, &options, dir.path().join("runs/a")).expect("ok");
        assert_eq!(settings.known_hosts_path(), PathBuf::from("/site/pins"));
        assert_eq!(settings.changed_host_keys, ChangedHostKeys::AcceptAll);
        connection.config = None;
        connection.ssh_known_hosts = None;
        let settings = resolve(&connection, &options, dir.path().join("runs/a")).expect("ok");
        assert_eq!(
            settings.known_hosts_path(),
            dir.path().join("runs/known_hosts"),
            "default: beside the run directories"
        );
    }

    #[test]
    fn a_bad_file_is_bad_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "[api]\nbase_urll = 1\n").expect("write");
        let error = FileSettings::load(&path).expect_err("unknown key");
        assert!(error.downcast_ref::<BadInput>().is_some());
        assert!(error.to_string().contains("s.toml"));
    }
}
