//! Settings resolved in one place, in this order of precedence: command-line
//! flags, then environment variables (clap reads both: a flag wins over its
//! variable), then the settings file (`--config`, [`file`]), then defaults
//! (`smtx_engine::SettingsLayer::resolve`, the only place they live).
//!
//! Each source becomes one `SettingsLayer`; `flags.combine(file)` keeps a
//! flag's value wherever one was given. Every boolean setting has a flag
//! pair, `--x` / `--no-x`, the last one given winning, so a file's `true`
//! can be turned off for one run.

pub(crate) mod file;

use std::net::Ipv4Addr;
use std::path::PathBuf;

use anyhow::Context;
use smtx_api::{AddressOverride, AddressOverrideError};
use smtx_engine::{Combine, Settings, SettingsLayer};
use smtx_secret::Secret;

use crate::bad_input::BadInput;
use crate::i18n::{CliMsg, Lang, Localize, Text};

/// Flags shared by the commands that talk to a cluster. Serialized into a
/// run's launch record (`commands::resume`): the secrets never.
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
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
    /// Do not verify the cluster's TLS certificate (or SMTX_INSECURE=true).
    #[arg(long, overrides_with = "no_insecure")]
    pub insecure: bool,
    /// Verify the cluster's TLS certificate (the default; overrides
    /// SMTX_INSECURE and api.insecure).
    #[arg(long, overrides_with = "insecure")]
    pub no_insecure: bool,
    /// SMTX_INSECURE, in an argument of its own: clap holds a pair's flag
    /// and a variable filling its other half to be in conflict
    /// (`SMTX_INSECURE=true … --no-insecure` would be refused), so the
    /// variable stays out of the pair and loses to either flag.
    #[arg(
        long = "insecure-from-env",
        value_name = "SMTX_INSECURE",
        hide = true,
        env = "SMTX_INSECURE",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub insecure_env: Option<bool>,
    /// Pin SSH host keys in this file (default: known_hosts beside the run
    /// directories; a settings file written by `sim` names its own).
    #[arg(long, value_name = "FILE", env = "SMTX_SSH_KNOWN_HOSTS")]
    pub ssh_known_hosts: Option<PathBuf>,
    /// Token to use when login gives no session (prefer the environment
    /// variable: a flag shows in `ps`).
    #[arg(
        long,
        value_name = "TOKEN",
        env = "SMTX_API_TOKEN",
        hide_env_values = true,
        value_parser = secret
    )]
    #[serde(skip)]
    pub api_token: Option<Secret>,
    /// The `smartx` password the cluster was deployed with (prefer the
    /// environment variable: a flag shows in `ps`).
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "SMTX_SSH_INITIAL_PASSWORD",
        hide_env_values = true,
        value_parser = secret
    )]
    #[serde(skip)]
    pub ssh_initial_password: Option<Secret>,
}

/// The flags of `run` that are settings of the run (the workbook, the
/// stages and the output format are not).
#[derive(Debug, Clone, Default, clap::Args, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunSettingsArgs {
    /// Where to write context.json, report.json and logs/ (default: runs/<cluster>-<time>).
    #[arg(long, env = "SMTX_RUN_DIR")]
    #[serde(skip)]
    pub run_dir: Option<PathBuf>,
    /// Show every call that would be made, with redacted payloads; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// VMTools ISO to upload (default: newest SMTX_VMTOOLS-*.iso in the current directory).
    #[arg(long)]
    pub vmtools_iso: Option<PathBuf>,
    /// Upload the ISO even if an earlier run uploaded the same file.
    #[arg(long, overrides_with = "no_force_upload")]
    pub force_upload: bool,
    /// Skip an upload an earlier run made (the default; overrides vmtools.force_upload).
    #[arg(long, overrides_with = "force_upload")]
    pub no_force_upload: bool,
    /// Set the CPU compatibility model (the default).
    #[arg(long, overrides_with = "no_cpu_compatibility")]
    pub cpu_compatibility: bool,
    /// Leave CPU compatibility alone.
    #[arg(long, overrides_with = "cpu_compatibility")]
    pub no_cpu_compatibility: bool,
    /// Set the hosts' passwords over SSH (the default).
    #[arg(long, overrides_with = "no_host_passwords")]
    pub host_passwords: bool,
    /// Leave the hosts' passwords alone.
    #[arg(long, overrides_with = "host_passwords")]
    pub no_host_passwords: bool,
    /// Accept every host whose SSH key changed since the last run (the cluster was reinstalled).
    #[arg(long, overrides_with = "no_accept_changed_host_keys")]
    pub accept_changed_host_keys: bool,
    /// Refuse every changed SSH key not accepted host by host (the default;
    /// overrides ssh.accept_changed_host_keys).
    #[arg(long, overrides_with = "accept_changed_host_keys")]
    pub no_accept_changed_host_keys: bool,
    /// Accept a changed SSH key of this host only (its management IP; it was reinstalled). Repeatable.
    #[arg(long, value_name = "IP")]
    pub accept_changed_host_key: Vec<Ipv4Addr>,
    /// Set the management VIP even when something already answers on it.
    #[arg(long, overrides_with = "no_allow_active_vip")]
    pub allow_active_vip: bool,
    /// Leave the VIP unset when something already answers on it (the default).
    #[arg(long, overrides_with = "allow_active_vip")]
    pub no_allow_active_vip: bool,
    /// Cell for the serial (default 主机规划!E19).
    #[arg(long, value_name = "SHEET!CELL")]
    pub serial_cell: Option<String>,
    /// Overwrite other content in the serial cell.
    #[arg(long, overrides_with = "no_force_serial")]
    pub force_serial: bool,
    /// Keep other content in the serial cell (the default; overrides serial.force).
    #[arg(long, overrides_with = "force_serial")]
    pub no_force_serial: bool,
    /// A rehearsal against the simulator: the serial goes into a copy of the workbook.
    #[arg(long, overrides_with = "no_rehearsal")]
    pub rehearsal: bool,
    /// A live run even with a settings file that says rehearsal: the serial
    /// goes into the workbook itself.
    #[arg(long, overrides_with = "rehearsal")]
    pub no_rehearsal: bool,
    /// config_cluster one step at a time: the upload and the SSH rotation
    /// wait for the API steps (for a cluster that misbehaves under
    /// concurrent calls; overrides stage.lanes).
    #[arg(long)]
    pub sequential: bool,
}

/// A secret from the command line or the environment goes straight into
/// `Secret` (an empty one is dropped by [`non_empty`]).
fn secret(value: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(value))
}

/// An empty variable (`SMTX_API_TOKEN=`) says nothing: the file's value,
/// or the default, stands.
fn non_empty(secret: &Option<Secret>) -> Option<Secret> {
    secret.clone().filter(|secret| !secret.is_empty())
}

/// `--x` / `--no-x` as one setting: `None` when neither was given.
/// `overrides_with` leaves at most one of them set, the last given.
fn flag_pair(yes: bool, no: bool) -> Option<bool> {
    match (yes, no) {
        (true, _) => Some(true),
        (false, true) => Some(false),
        (false, false) => None,
    }
}

pub(crate) fn parse_overrides(
    list: &[String],
) -> Result<Vec<AddressOverride>, AddressOverrideError> {
    list.iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.parse::<AddressOverride>())
        .collect()
}

/// The layer of flags and environment variables (clap has merged those
/// two, a flag winning over its variable).
fn flag_layer(
    connection: &ConnectionArgs,
    run: &RunSettingsArgs,
) -> Result<SettingsLayer, AddressOverrideError> {
    Ok(SettingsLayer {
        api_base: connection.api_base.clone(),
        http_overrides: parse_overrides(&connection.resolve)?,
        ssh_overrides: parse_overrides(&connection.ssh_resolve)?,
        ca_cert: connection.ca_cert.clone(),
        insecure: flag_pair(connection.insecure, connection.no_insecure)
            .or(connection.insecure_env),
        api_token: non_empty(&connection.api_token),
        // Request deadlines are tuned in the settings file only.
        job_deadline: None,
        request_timeout: None,
        dry_run: run.dry_run.then_some(true),
        run_dir: run.run_dir.clone(),
        vmtools_iso: run.vmtools_iso.clone(),
        force_upload: flag_pair(run.force_upload, run.no_force_upload),
        cpu_compatibility: flag_pair(run.cpu_compatibility, run.no_cpu_compatibility),
        rotate_host_passwords: flag_pair(run.host_passwords, run.no_host_passwords),
        ssh_concurrency: None,
        ssh_connect_timeout: None,
        ssh_command_timeout: None,
        ssh_port: None,
        ssh_initial_password: non_empty(&connection.ssh_initial_password),
        accept_changed_host_keys: flag_pair(
            run.accept_changed_host_keys,
            run.no_accept_changed_host_keys,
        ),
        accept_changed_host_key: (!run.accept_changed_host_key.is_empty()).then(|| {
            run.accept_changed_host_key
                .iter()
                .map(ToString::to_string)
                .collect()
        }),
        known_hosts: connection.ssh_known_hosts.clone(),
        allow_active_vip: flag_pair(run.allow_active_vip, run.no_allow_active_vip),
        lanes: run.sequential.then_some(false),
        serial_cell: run.serial_cell.clone(),
        force_serial: flag_pair(run.force_serial, run.no_force_serial),
        rehearsal: flag_pair(run.rehearsal, run.no_rehearsal),
    })
}

/// The settings of one run: flags and environment over the settings file
/// over defaults. `lang` is the language of the warning printed here.
pub fn resolve(
    connection: &ConnectionArgs,
    run: &RunSettingsArgs,
    lang: Lang,
    default_run_dir: PathBuf,
) -> anyhow::Result<Settings> {
    let bad_override =
        |error: AddressOverrideError| BadInput(crate::i18n::override_error(lang, &error));
    let flags = flag_layer(connection, run).map_err(bad_override)?;
    let file = match &connection.config {
        Some(path) => file::load(path)
            .map_err(|error| BadInput(error.localize(lang)))?
            .into_layer()
            .map_err(|bad| {
                // Named as the file spells it: the key, then the file.
                let entry = smtx_engine::messages::errors::override_entry_error(lang, &bad.error);
                BadInput(match lang {
                    Lang::En => format!("{} in {}: {entry}", bad.list.key(), path.display()),
                    Lang::ZhCn => {
                        format!("{} 中的 {}：{entry}", path.display(), bad.list.key())
                    }
                })
            })?,
        None => SettingsLayer::default(),
    };
    let config_name = connection
        .config
        .as_deref()
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    // Said by whichever layer decides, and named as that layer spells it.
    // A flag reads the same in either language.
    let same = |text: String| Text::same(text);
    let in_file = |key: String| Text {
        zh_cn: format!("{config_name} 中的 {key}"),
        en: format!("{key} in {config_name}"),
    };
    let insecure_source = match (flags.insecure, file.insecure) {
        (Some(true), _) => Some(same("--insecure / SMTX_INSECURE".to_string())),
        (None, Some(true)) => Some(in_file("api.insecure".to_string())),
        _ => None,
    };
    let ca_source = match (&flags.ca_cert, &file.ca_cert) {
        (Some(path), _) => Some(same(format!("--ca-cert / SMTX_CA_CERT {}", path.display()))),
        (None, Some(path)) => Some(in_file(format!("api.ca_cert {}", path.display()))),
        (None, None) => None,
    };
    smtx_engine::preflight::tls_choice(insecure_source.as_ref(), ca_source.as_ref())
        .map_err(|refusal| BadInput(refusal.localize(lang)))?;
    if let Some(source) = &insecure_source {
        errln!("{}", insecure_warning(lang, &source.localize(lang)));
    }
    let work_dir = std::env::current_dir().context("cannot read the current directory")?;
    flags
        .combine(file)
        .resolve(default_run_dir, work_dir, |path| {
            std::fs::read(path).map_err(|e| {
                let message = CliMsg::CaUnreadable {
                    path: path.display().to_string(),
                    cause: e.to_string(),
                };
                anyhow::Error::from(BadInput(message.localize(lang)))
            })
        })
        .map(|mut settings| {
            settings.report_lang = lang;
            settings
        })
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

// Precedence of the layers (flag > file > default; the environment sits
// between flag and file and is checked through the binary in
// `tests/it/settings_layers.rs`, since clap reads the real process
// environment), the `--no-` pairs, and the one default per setting.
#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::Duration;

    use clap::Parser;
    use smtx_api::ssh::ChangedHostKeys;
    use smtx_engine::Settings;

    use super::*;

    /// The settings flags of `run`, parsed by clap as `run` parses them.
    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        connection: ConnectionArgs,
        #[command(flatten)]
        run: RunSettingsArgs,
    }

    fn parse(args: &[&str]) -> Flags {
        let mut argv = vec!["smtx-deploy"];
        argv.extend_from_slice(args);
        match Flags::try_parse_from(argv) {
            Ok(flags) => flags,
            Err(error) => panic!("{args:?}: {error}"),
        }
    }

    /// Resolves `flags` over a settings file holding `file` (none when
    /// `None`), from `dir`.
    fn settings_of(dir: &Path, flags: &[&str], file: Option<&str>) -> Settings {
        let mut parsed = parse(flags);
        if let Some(text) = file {
            let path = dir.join("settings.toml");
            std::fs::write(&path, text).expect("settings file written");
            parsed.connection.config = Some(path);
        }
        match resolve(
            &parsed.connection,
            &parsed.run,
            Lang::En,
            dir.join("runs/default"),
        ) {
            Ok(settings) => settings,
            Err(error) => panic!("{flags:?} {file:?}: {error:#}"),
        }
    }

    /// One setting: a flag that sets it, a file that sets it otherwise, and
    /// how to read it back from the resolved settings.
    struct Case {
        name: &'static str,
        flags: &'static [&'static str],
        file: &'static str,
        read: fn(&Settings) -> String,
        from_flag: &'static str,
        from_file: &'static str,
        default: &'static str,
    }

    fn cases() -> Vec<Case> {
        vec![
            Case {
                name: "api base",
                flags: &["--api-base", "https://10.0.0.9"],
                file: "[api]\nbase_url = \"https://10.0.0.1\"\n",
                read: |s| format!("{:?}", s.api_base),
                from_flag: "Some(\"https://10.0.0.9\")",
                from_file: "Some(\"https://10.0.0.1\")",
                default: "None",
            },
            Case {
                name: "insecure",
                flags: &["--no-insecure"],
                file: "[api]\ninsecure = true\n",
                read: |s| s.insecure.to_string(),
                from_flag: "false",
                from_file: "true",
                default: "false",
            },
            Case {
                name: "run directory",
                flags: &["--run-dir", "/flag/run"],
                file: "run_dir = \"/file/run\"\n",
                read: |s| s.run_dir.display().to_string(),
                from_flag: "/flag/run",
                from_file: "/file/run",
                default: "<dir>/runs/default",
            },
            Case {
                name: "known hosts",
                flags: &["--ssh-known-hosts", "/flag/pins"],
                file: "[ssh]\nknown_hosts = \"/file/pins\"\n",
                read: |s| s.known_hosts_path().display().to_string(),
                from_flag: "/flag/pins",
                from_file: "/file/pins",
                default: "<dir>/runs/known_hosts",
            },
            Case {
                name: "vmtools iso",
                flags: &["--vmtools-iso", "/flag/a.iso"],
                file: "[vmtools]\niso = \"/file/b.iso\"\n",
                read: |s| format!("{:?}", s.vmtools_iso),
                from_flag: "Some(\"/flag/a.iso\")",
                from_file: "Some(\"/file/b.iso\")",
                default: "None",
            },
            Case {
                name: "force upload",
                flags: &["--no-force-upload"],
                file: "[vmtools]\nforce_upload = true\n",
                read: |s| s.force_upload.to_string(),
                from_flag: "false",
                from_file: "true",
                default: "false",
            },
            Case {
                name: "cpu compatibility",
                flags: &["--cpu-compatibility"],
                file: "cpu_compatibility = false\n",
                read: |s| s.cpu_compatibility.to_string(),
                from_flag: "true",
                from_file: "false",
                default: "true",
            },
            Case {
                name: "host passwords",
                flags: &["--host-passwords"],
                file: "[ssh]\nrotate_host_passwords = false\n",
                read: |s| s.rotate_host_passwords.to_string(),
                from_flag: "true",
                from_file: "false",
                default: "true",
            },
            Case {
                name: "changed host keys",
                flags: &["--no-accept-changed-host-keys"],
                file: "[ssh]\naccept_changed_host_keys = true\n",
                read: |s| format!("{:?}", s.changed_host_keys),
                from_flag: "Refuse",
                from_file: "AcceptAll",
                default: "Refuse",
            },
            Case {
                name: "active vip",
                flags: &["--no-allow-active-vip"],
                file: "allow_active_vip = true\n",
                read: |s| s.allow_active_vip.to_string(),
                from_flag: "false",
                from_file: "true",
                default: "false",
            },
            Case {
                name: "serial cell",
                flags: &["--serial-cell", "主机规划!F19"],
                file: "[serial]\ncell = \"主机规划!G19\"\n",
                read: |s| s.serial_cell.clone().unwrap_or_default(),
                from_flag: "主机规划!F19",
                from_file: "主机规划!G19",
                // The workbook's Cluster SN cell, found when it is read.
                default: "",
            },
            Case {
                name: "force serial",
                flags: &["--no-force-serial"],
                file: "[serial]\nforce = true\n",
                read: |s| s.force_serial.to_string(),
                from_flag: "false",
                from_file: "true",
                default: "false",
            },
            Case {
                name: "rehearsal",
                flags: &["--no-rehearsal"],
                file: "rehearsal = true\n",
                read: |s| s.rehearsal.to_string(),
                from_flag: "false",
                from_file: "true",
                default: "false",
            },
            Case {
                name: "ssh initial password",
                flags: &["--ssh-initial-password", "from-the-flag"],
                file: "[ssh]\ninitial_password = \"from-the-file\"\n",
                read: |s| s.ssh_initial_password.expose().to_string(),
                from_flag: "from-the-flag",
                from_file: "from-the-file",
                default: "P@ssw0rd!123",
            },
            Case {
                name: "api token",
                flags: &["--api-token", "token-of-the-flag"],
                file: "[api]\ntoken = \"token-of-the-file\"\n",
                read: |s| {
                    s.fallback_token
                        .as_ref()
                        .map_or("none", |token| token.expose())
                        .to_string()
                },
                from_flag: "token-of-the-flag",
                from_file: "token-of-the-file",
                default: "none",
            },
            Case {
                name: "address overrides merge per address",
                flags: &["--resolve", "10.0.0.1=127.0.0.1:7"],
                file: "[api]\nresolve = [\"10.0.0.1=127.0.0.1:1\", \"10.0.0.2=127.0.0.1:2\"]\n",
                read: |s| {
                    s.http_overrides
                        .iter()
                        .map(|o| format!("{}={}", o.host, o.target))
                        .collect::<Vec<_>>()
                        .join(" ")
                },
                from_flag: "10.0.0.1=127.0.0.1:7 10.0.0.2=127.0.0.1:2",
                from_file: "10.0.0.1=127.0.0.1:1 10.0.0.2=127.0.0.1:2",
                default: "",
            },
            // Settings only a file sets: the file over the one default.
            Case {
                name: "ssh command timeout",
                flags: &[],
                file: "[ssh]\ncommand_timeout_secs = 5\n",
                read: |s| s.ssh_command_timeout.as_secs().to_string(),
                from_flag: "5",
                from_file: "5",
                default: "60",
            },
            Case {
                name: "ssh port",
                flags: &[],
                file: "[ssh]\nport = 2222\n",
                read: |s| s.ssh_port.to_string(),
                from_flag: "2222",
                from_file: "2222",
                default: "22",
            },
        ]
    }

    /// Flag beats file beats default, for every setting in the table: the
    /// flag with the file, the file alone, neither.
    #[test]
    fn flag_beats_file_beats_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shown = |value: &str| value.replace("<dir>", &dir.path().display().to_string());
        for case in cases() {
            let read = case.read;
            let both = settings_of(dir.path(), case.flags, Some(case.file));
            assert_eq!(read(&both), shown(case.from_flag), "{}: flag", case.name);
            let file = settings_of(dir.path(), &[], Some(case.file));
            assert_eq!(read(&file), shown(case.from_file), "{}: file", case.name);
            let neither = settings_of(dir.path(), &[], None);
            assert_eq!(
                read(&neither),
                shown(case.default),
                "{}: default",
                case.name
            );
        }
    }

    /// Every boolean setting a file can turn on, one file turning them all on,
    /// and every `--no-` flag turning its one off.
    #[test]
    fn each_no_flag_turns_off_a_files_true() {
        let dir = tempfile::tempdir().expect("tempdir");
        let all_true = "cpu_compatibility = true\nallow_active_vip = true\nrehearsal = true\n\
            [api]\ninsecure = true\n\
            [ssh]\nrotate_host_passwords = true\naccept_changed_host_keys = true\n\
            [vmtools]\nforce_upload = true\n\
            [serial]\nforce = true\n";
        let on = settings_of(dir.path(), &[], Some(all_true));
        let off_flags = [
            "--no-insecure",
            "--no-force-upload",
            "--no-cpu-compatibility",
            "--no-host-passwords",
            "--no-accept-changed-host-keys",
            "--no-allow-active-vip",
            "--no-force-serial",
            "--no-rehearsal",
        ];
        let bools = |s: &Settings| {
            [
                s.insecure,
                s.force_upload,
                s.cpu_compatibility,
                s.rotate_host_passwords,
                s.changed_host_keys == ChangedHostKeys::AcceptAll,
                s.allow_active_vip,
                s.force_serial,
                s.rehearsal,
            ]
        };
        assert_eq!(bools(&on), [true; 8], "the file turns every one on");
        for (index, flag) in off_flags.iter().enumerate() {
            let off = settings_of(dir.path(), &[flag], Some(all_true));
            let mut expected = [true; 8];
            expected[index] = false;
            assert_eq!(
                bools(&off),
                expected,
                "{flag} turns off its own setting only"
            );
        }
    }

    /// Reads one pair's setting from parsed flags.
    type ReadPair = fn(&Flags) -> Option<bool>;

    /// `--x --no-x` is off and `--no-x --x` on: the last one given wins,
    /// as `overrides_with` promises, for every pair.
    #[test]
    fn the_last_of_a_pair_wins() {
        let pairs: [(&str, &str, ReadPair); 8] = [
            ("--insecure", "--no-insecure", |f| {
                flag_pair(f.connection.insecure, f.connection.no_insecure)
            }),
            ("--force-upload", "--no-force-upload", |f| {
                flag_pair(f.run.force_upload, f.run.no_force_upload)
            }),
            ("--cpu-compatibility", "--no-cpu-compatibility", |f| {
                flag_pair(f.run.cpu_compatibility, f.run.no_cpu_compatibility)
            }),
            ("--host-passwords", "--no-host-passwords", |f| {
                flag_pair(f.run.host_passwords, f.run.no_host_passwords)
            }),
            (
                "--accept-changed-host-keys",
                "--no-accept-changed-host-keys",
                |f| {
                    flag_pair(
                        f.run.accept_changed_host_keys,
                        f.run.no_accept_changed_host_keys,
                    )
                },
            ),
            ("--allow-active-vip", "--no-allow-active-vip", |f| {
                flag_pair(f.run.allow_active_vip, f.run.no_allow_active_vip)
            }),
            ("--force-serial", "--no-force-serial", |f| {
                flag_pair(f.run.force_serial, f.run.no_force_serial)
            }),
            ("--rehearsal", "--no-rehearsal", |f| {
                flag_pair(f.run.rehearsal, f.run.no_rehearsal)
            }),
        ];
        for (yes, no, read) in pairs {
            assert_eq!(read(&parse(&[yes])), Some(true), "{yes}");
            assert_eq!(read(&parse(&[no])), Some(false), "{no}");
            assert_eq!(read(&parse(&[yes, no])), Some(false), "{yes} {no}");
            assert_eq!(read(&parse(&[no, yes])), Some(true), "{no} {yes}");
            assert_eq!(read(&parse(&[])), None, "neither");
        }
    }

    /// The defaults live in one place: the engine's `Settings::new`, what the
    /// CLI resolves with nothing set and what an empty settings file gives are
    /// the same settings (the SSH command timeout once had two defaults, 30 s
    /// here and 60 s in the SSH client).
    #[test]
    fn one_default_per_setting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let run_dir = dir.path().join("runs/default");
        let work_dir = std::env::current_dir().expect("current directory");
        let engine = Settings::new(run_dir, work_dir).redacted();
        let nothing = settings_of(dir.path(), &[], None);
        let empty_file = settings_of(dir.path(), &[], Some(""));
        assert_eq!(nothing.redacted(), engine);
        assert_eq!(empty_file.redacted(), engine);
        assert_eq!(nothing.ssh_command_timeout, Duration::from_secs(60));
        assert_eq!(engine["ssh"]["command_timeout_secs"], 60);
    }

    #[test]
    fn paths_in_the_file_are_relative_to_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = settings_of(
            dir.path(),
            &["--accept-changed-host-key", "10.0.20.12"],
            Some("[ssh]\nknown_hosts = \"rehearsal.known_hosts\"\n"),
        );
        // Relative to the settings file, not to where the run starts.
        assert_eq!(
            settings.known_hosts_path(),
            dir.path().join("rehearsal.known_hosts")
        );
        assert_eq!(
            settings.changed_host_keys,
            ChangedHostKeys::Accept(vec!["10.0.20.12".to_string()])
        );
        // Accepting all wins over a list of hosts.
        let settings = settings_of(
            dir.path(),
            &[
                "--accept-changed-host-key",
                "10.0.20.12",
                "--accept-changed-host-keys",
            ],
            None,
        );
        assert_eq!(settings.changed_host_keys, ChangedHostKeys::AcceptAll);
    }

    #[test]
    fn insecure_and_a_ca_from_any_layer_are_bad_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, "PEM").expect("written");
        let ca = ca.display().to_string();
        let file = dir.path().join("settings.toml");
        for (flags, text) in [
            (vec!["--insecure", "--ca-cert", ca.as_str()], ""),
            (vec!["--insecure"], "[api]\nca_cert = \"ca.pem\"\n"),
            (vec!["--ca-cert", ca.as_str()], "[api]\ninsecure = true\n"),
        ] {
            std::fs::write(&file, text).expect("written");
            let mut parsed = parse(&flags);
            parsed.connection.config = Some(file.clone());
            let error = resolve(
                &parsed.connection,
                &parsed.run,
                Lang::En,
                PathBuf::from("runs/x"),
            )
            .expect_err("refused");
            assert!(error.downcast_ref::<BadInput>().is_some(), "{error:#}");
            assert!(error.to_string().contains("CA certificate"), "{error:#}");
        }
        // `--no-insecure` over a file's `insecure = true`: the CA alone, read.
        std::fs::write(&file, "[api]\ninsecure = true\n").expect("written");
        let mut parsed = parse(&["--no-insecure", "--ca-cert", ca.as_str()]);
        parsed.connection.config = Some(file);
        let settings = resolve(
            &parsed.connection,
            &parsed.run,
            Lang::En,
            PathBuf::from("runs/x"),
        )
        .expect("resolves");
        assert!(!settings.insecure);
        assert_eq!(settings.ca_cert.map(|(_, pem)| pem), Some(b"PEM".to_vec()));
    }
}
