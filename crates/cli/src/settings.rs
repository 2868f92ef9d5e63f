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
    /// Written by `smtx-deploy sim --write-config`: runs with this file are
    /// rehearsals (the serial goes into a copy of the workbook).
    pub rehearsal: Option<bool>,
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

/// A settings file is a page of TOML (the README's example is 1 KB); a file
/// bigger than this is not one, and is not read into memory to find out.
const MAX_SETTINGS_BYTES: u64 = 1024 * 1024;

impl FileSettings {
    /// Reads and checks the file. A mistake in it is reported as file,
    /// line, column, key path and what is wrong — never the value, which
    /// may be the password or token the line holds.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = read_settings_text(path)?;
        let mut settings: FileSettings = toml::from_str(&text)
            .map_err(|error| BadInput(describe_toml_error(path, &text, &error)))?;
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

fn read_settings_text(path: &Path) -> anyhow::Result<String> {
    use std::io::Read;
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| BadInput(format!("{shown}: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_SETTINGS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| BadInput(format!("{shown}: {e}")))?;
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(BadInput(format!(
            "settings file {shown}: larger than {} KiB; not a settings file",
            MAX_SETTINGS_BYTES / 1024
        ))
        .into());
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let before = String::from_utf8_lossy(&error.as_bytes()[..valid]);
        let (line, column) = line_and_column(&before, before.len());
        BadInput(format!(
            "settings file {shown}: line {line}, column {column}: not UTF-8 text"
        ))
        .into()
    })
}

/// One line: `settings file F: line L, column C, key api.token: what`.
/// Built from the parser's position and a rewritten message; the source
/// line that toml's own rendering quotes is never used.
fn describe_toml_error(path: &Path, text: &str, error: &toml::de::Error) -> String {
    let mut out = format!("settings file {}", path.display());
    if let Some(span) = error.span() {
        let (line, column) = line_and_column(text, span.start);
        out.push_str(&format!(": line {line}, column {column}"));
        if let Some(key) = key_path_at(text, span.start) {
            out.push_str(&format!(", key {key}"));
        }
    }
    let mut message = safe_message(error.message());
    // Belt and braces: whatever the message says, the value of the line in
    // error never appears in it.
    if let Some(span) = error.span() {
        for value in values_near(text, span) {
            message = message.replace(&value, "…");
        }
    }
    out.push_str(": ");
    out.push_str(&message);
    out
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The parser's message with every value taken out. serde quotes the value
/// it could not use (``invalid type: integer `123`, expected a string``,
/// `invalid type: string "…", expected a boolean`): those messages are
/// rebuilt from their safe parts. Syntax messages name only what was
/// expected (``expected `"`, `'` ``), and unknown or duplicate keys name the
/// key: those are kept.
fn safe_message(message: &str) -> String {
    let message = message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let expected = |rest: &str| {
        rest.rsplit_once(", expected ")
            .map(|(_, expected)| plain_type(expected))
            .unwrap_or("another kind of value")
    };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let found = rest.split([' ', '`', '"', ',']).next().unwrap_or("value");
        return format!(
            "wrong type: found {}, expected {}",
            plain_type(found),
            expected(rest)
        );
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        return format!("value not allowed here: expected {}", expected(rest));
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        return format!("wrong number of items: expected {}", expected(rest));
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return match rest.split_once(", expected ") {
            Some((_, expected)) => format!("unknown value: expected {expected}"),
            None => "unknown value".to_string(),
        };
    }
    message
}

/// serde's and toml's type words as a settings file's reader knows them.
fn plain_type(name: &str) -> &'static str {
    match name.trim() {
        "integer" | "i64" | "u64" | "usize" | "u32" => "a whole number",
        "u8" | "u16" => "a whole number in range",
        "floating" | "f64" => "a number with a fraction",
        "string" | "a string" | "str" => "a quoted string",
        "boolean" | "a boolean" | "bool" => "true or false",
        "sequence" | "a sequence" => "a list",
        "map" | "a map" => "a table",
        other if other.starts_with("struct ") => "a table",
        _ => "another kind of value",
    }
}

/// The texts around `span` that could be a secret: what it covers when
/// that is right of the `=` (left of it is the key, which the message may
/// name), and the value side of its line (raw and unquoted). Pieces shorter
/// than three characters are left alone so as not to eat ordinary words of
/// the message.
fn values_near(text: &str, span: std::ops::Range<usize>) -> Vec<String> {
    let start = floor_boundary(text, span.start);
    let end = floor_boundary(text, span.end.max(start));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let mut values = Vec::new();
    match line.find('=') {
        Some(equals) if start < line_start + equals => {}
        _ => values.push(text[start..end].trim().to_string()),
    }
    if let Some((_, value)) = line.split_once('=') {
        let value = value.trim();
        values.push(value.to_string());
        values.push(value.trim_matches(['"', '\'']).to_string());
    }
    values.retain(|value| value.chars().count() >= 3);
    // Longest first, so that a value is replaced before a part of it.
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    values
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// `table.key` of the line holding byte `offset`, read from the text itself
/// (the parser does not say): the last `[table]` header above it and the
/// bare key before `=` on the line that opened the value (a multi-line
/// string or array keeps the key of its first line). Only plain TOML names
/// read outside values are returned, so no part of a value can pass for a
/// key.
fn key_path_at(text: &str, offset: usize) -> Option<String> {
    const MULTI_LINE_QUOTES: [&str; 2] = ["\"\"\"", "'''"];
    let mut table: Option<String> = None;
    let mut key: Option<String> = None;
    let mut open_string: Option<&str> = None;
    let mut depth = 0i32;
    let mut line_end = 0usize;
    for line in text.split_inclusive('\n') {
        let line_start = line_end;
        line_end += line.len();
        if let Some(quote) = open_string {
            if line.matches(quote).count() % 2 == 1 {
                open_string = None;
            }
        } else {
            let trimmed = line.trim();
            if depth == 0 && trimmed.starts_with('[') {
                let header = trimmed
                    .trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim();
                table = is_plain_key(header).then(|| header.to_string());
                key = None;
            } else if depth == 0 {
                key = trimmed
                    .split_once('=')
                    .map(|(name, _)| name.trim())
                    .filter(|name| is_plain_key(name))
                    .map(str::to_string);
            }
            let value = line.split_once('=').map_or(line, |(_, value)| value);
            for quote in MULTI_LINE_QUOTES {
                if value.matches(quote).count() % 2 == 1 {
                    open_string = Some(quote);
                }
            }
            if open_string.is_none() {
                depth = (depth + bracket_balance(value)).max(0);
            }
        }
        let on_this_line = offset >= line_start && offset < line_end;
        if on_this_line || line_end >= text.len() {
            return match (table, key) {
                (Some(table), Some(key)) => Some(format!("{table}.{key}")),
                (None, Some(key)) => Some(key),
                (Some(table), None) => Some(table),
                (None, None) => None,
            };
        }
    }
    table
}

/// `[`/`{` minus `]`/`}` outside quoted strings and comments on one line.
fn bracket_balance(value: &str) -> i32 {
    let mut balance = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in value.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => break,
                '[' | '{' => balance += 1,
                ']' | '}' => balance -= 1,
                _ => {}
            },
        }
    }
    balance
}

/// A bare TOML key or dotted key: letters, digits, `_` and `-`.
fn is_plain_key(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            let part = part.trim();
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
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
        errln!("{}", insecure_warning(Lang::detect(options.lang), source));
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
    settings.rehearsal = file.rehearsal.unwrap_or(false);
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
