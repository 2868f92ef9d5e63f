//! The settings document: the keys a run's settings are written in, one
//! serde type for every place they come from — the settings file
//! (`--config`, TOML), the console's settings target (JSON), and the
//! rehearsal settings a running simulator writes (`smtx-deploy sim
//! --write-config`, a console rehearsal: both read the simulator's TOML
//! through [`SettingsDoc::from_toml`]). Same key names, same sections, one
//! conversion into the engine's [`SettingsLayer`].
//!
//! A few keys belong to one front end. A path names a file of the machine
//! the tool runs on ([`FileKey`]): the CLI's user owns that machine, a
//! console user does not, so the console refuses them. The console's own
//! keys ([`ConsoleKey`]) carry what a browser has instead — the CA as PEM
//! text, an ISO the console offers — and the CLI refuses those, naming the
//! key it takes instead.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use smtx_api::{AddressOverride, AddressOverrideError};
use smtx_secret::Secret;

use crate::SettingsLayer;

/// Every key of the settings; `None` (or an empty list) where the source
/// says nothing. Secrets are read straight into `Secret` and never
/// serialized: a stored document (the console keeps one per run, for
/// resume) holds none.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsDoc {
    #[serde(default)]
    pub api: ApiKeys,
    #[serde(default)]
    pub ssh: SshKeys,
    #[serde(default)]
    pub vmtools: VmtoolsKeys,
    #[serde(default)]
    pub serial: SerialKeys,
    #[serde(default)]
    pub stage: StageKeys,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_compatibility: Option<bool>,
    /// Set the VIP even when something already answers on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_active_vip: Option<bool>,
    /// Where the run writes (a file of this machine: CLI only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_dir: Option<PathBuf>,
    /// Written by the simulator's settings: runs with them are rehearsals
    /// (the serial goes into a copy of the workbook).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<bool>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeys {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// A CA certificate file to trust alone (CLI only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert: Option<PathBuf>,
    /// The CA certificate itself, PEM text (console only: a browser has
    /// the certificate, not a path on the console's server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert_pem: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
    /// `IP=HOST:PORT` entries: where to send HTTPS for a workbook address.
    #[serde(default)]
    pub resolve: Vec<String>,
    #[serde(default, deserialize_with = "secret", skip_serializing)]
    pub token: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_deadline_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SshKeys {
    /// `IP=HOST:PORT` entries: where to send SSH for a workbook address.
    #[serde(default)]
    pub resolve: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_host_passwords: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<usize>,
    #[serde(default, deserialize_with = "secret", skip_serializing)]
    pub initial_password: Option<Secret>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command_timeout_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept_changed_host_keys: Option<bool>,
    /// Where SSH host keys are pinned (CLI only: the console keeps its
    /// pins itself, one file per cluster).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub known_hosts: Option<PathBuf>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmtoolsKeys {
    /// The ISO file to upload (CLI only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso: Option<PathBuf>,
    /// An ISO the console offers, by its id (console only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force_upload: Option<bool>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SerialKeys {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

/// `stage.lanes = false`: `config_cluster` one step at a time (the CLI's
/// `--sequential`).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageKeys {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lanes: Option<bool>,
}

/// Secrets go straight into `Secret`, so that not even a debug print of
/// the parsed document shows them; an empty one is none.
fn secret<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?
        .filter(|value| !value.is_empty())
        .map(Secret::new))
}

/// A key that names a file of the machine the tool runs on: the CLI's,
/// refused by the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKey {
    CaCert,
    KnownHosts,
    VmtoolsIso,
    RunDir,
}

impl FileKey {
    pub fn key(self) -> &'static str {
        match self {
            Self::CaCert => "api.ca_cert",
            Self::KnownHosts => "ssh.known_hosts",
            Self::VmtoolsIso => "vmtools.iso",
            Self::RunDir => "run_dir",
        }
    }
}

/// A key only the console takes, with the CLI's key for the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleKey {
    CaCertPem,
    IsoId,
}

impl ConsoleKey {
    pub fn key(self) -> &'static str {
        match self {
            Self::CaCertPem => "api.ca_cert_pem",
            Self::IsoId => "vmtools.iso_id",
        }
    }

    /// The key a settings file says the same thing with.
    pub fn file_key(self) -> FileKey {
        match self {
            Self::CaCertPem => FileKey::CaCert,
            Self::IsoId => FileKey::VmtoolsIso,
        }
    }
}

/// The two lists of address overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideList {
    /// `api.resolve`: HTTPS.
    Api,
    /// `ssh.resolve`.
    Ssh,
}

impl OverrideList {
    pub fn key(self) -> &'static str {
        match self {
            Self::Api => "api.resolve",
            Self::Ssh => "ssh.resolve",
        }
    }
}

/// An entry of an override list that does not parse, and which list: each
/// front end names the list its own way (a key path, a field's label).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {error}", list.key())]
pub struct BadOverride {
    pub list: OverrideList,
    pub error: AddressOverrideError,
}

impl SettingsDoc {
    /// The document in TOML (a settings file's text, the simulator's
    /// settings). The error is the parser's: the CLI turns it into line,
    /// column and key, never a value.
    pub fn from_toml(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// The first key that names a file of this machine.
    pub fn file_key(&self) -> Option<FileKey> {
        [
            (self.api.ca_cert.is_some(), FileKey::CaCert),
            (self.ssh.known_hosts.is_some(), FileKey::KnownHosts),
            (self.vmtools.iso.is_some(), FileKey::VmtoolsIso),
            (self.run_dir.is_some(), FileKey::RunDir),
        ]
        .into_iter()
        .find_map(|(set, key)| set.then_some(key))
    }

    /// The first key only the console takes.
    pub fn console_key(&self) -> Option<ConsoleKey> {
        [
            (self.api.ca_cert_pem.is_some(), ConsoleKey::CaCertPem),
            (self.vmtools.iso_id.is_some(), ConsoleKey::IsoId),
        ]
        .into_iter()
        .find_map(|(set, key)| set.then_some(key))
    }

    /// Whether a secret was given (a stored document has none).
    pub fn has_secret(&self) -> bool {
        self.api.token.is_some() || self.ssh.initial_password.is_some()
    }

    /// The document's layer: what it sets, nothing for what it leaves
    /// out. The console's own keys are the console's to turn into files
    /// first (`api.ca_cert_pem` → `api.ca_cert`, `vmtools.iso_id` →
    /// `vmtools.iso`); here they carry nothing. Every key is named, so a
    /// new one is a compile error until it reaches the layer or says why
    /// it does not.
    pub fn into_layer(self) -> Result<SettingsLayer, BadOverride> {
        let Self {
            api,
            ssh,
            vmtools,
            serial,
            stage,
            cpu_compatibility,
            allow_active_vip,
            run_dir,
            rehearsal,
        } = self;
        let ApiKeys {
            base_url,
            ca_cert,
            ca_cert_pem: _,
            insecure,
            resolve: http_resolve,
            token,
            job_deadline_secs,
            request_timeout_secs,
        } = api;
        let SshKeys {
            resolve: ssh_resolve,
            rotate_host_passwords,
            concurrency,
            initial_password,
            connect_timeout_secs,
            command_timeout_secs,
            port,
            accept_changed_host_keys,
            known_hosts,
        } = ssh;
        let VmtoolsKeys {
            iso,
            iso_id: _,
            force_upload,
        } = vmtools;
        let secs = |secs: Option<u64>| secs.map(Duration::from_secs);
        Ok(SettingsLayer {
            api_base: base_url,
            http_overrides: parse_overrides(OverrideList::Api, &http_resolve)?,
            ssh_overrides: parse_overrides(OverrideList::Ssh, &ssh_resolve)?,
            ca_cert,
            insecure,
            api_token: token,
            job_deadline: secs(job_deadline_secs),
            request_timeout: secs(request_timeout_secs),
            // Per run: a flag or the console's checkbox, never a key.
            dry_run: None,
            run_dir,
            vmtools_iso: iso,
            force_upload,
            cpu_compatibility,
            rotate_host_passwords,
            ssh_concurrency: concurrency,
            ssh_connect_timeout: secs(connect_timeout_secs),
            ssh_command_timeout: secs(command_timeout_secs),
            ssh_port: port,
            ssh_initial_password: initial_password,
            accept_changed_host_keys,
            // Hosts to accept are named per run, on the command line.
            accept_changed_host_key: None,
            known_hosts,
            allow_active_vip,
            serial_cell: serial.cell,
            force_serial: serial.force,
            rehearsal,
            lanes: stage.lanes,
        })
    }
}

/// `IP=HOST:PORT` entries; blank ones are skipped (an empty form field).
pub fn parse_overrides(
    list: OverrideList,
    entries: &[String],
) -> Result<Vec<AddressOverride>, BadOverride> {
    entries
        .iter()
        .filter(|entry| !entry.trim().is_empty())
        .map(|entry| {
            entry
                .parse::<AddressOverride>()
                .map_err(|error| BadOverride { list, error })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TOML and JSON are one schema: the same keys give the same layer.
    #[test]
    fn toml_and_json_read_the_same_keys() {
        let toml_text = r#"
rehearsal = true
[api]
base_url = "https://10.0.20.11"
resolve = ["10.0.20.11=127.0.0.1:8443"]
job_deadline_secs = 30
[ssh]
resolve = ["10.0.20.11=127.0.0.1:2222"]
port = 22
[stage]
lanes = false
"#;
        let json = serde_json::json!({
            "rehearsal": true,
            "api": {"base_url": "https://10.0.20.11", "resolve": ["10.0.20.11=127.0.0.1:8443"], "job_deadline_secs": 30},
            "ssh": {"resolve": ["10.0.20.11=127.0.0.1:2222"], "port": 22},
            "stage": {"lanes": false},
        });
        let from_toml = SettingsDoc::from_toml(toml_text)
            .expect("toml")
            .into_layer()
            .expect("layer");
        let from_json = serde_json::from_value::<SettingsDoc>(json)
            .expect("json")
            .into_layer()
            .expect("layer");
        assert_eq!(format!("{from_toml:?}"), format!("{from_json:?}"));
        assert_eq!(from_toml.job_deadline, Some(Duration::from_secs(30)));
        assert_eq!(from_toml.http_overrides.len(), 1);
        assert_eq!(from_toml.lanes, Some(false));
    }

    #[test]
    fn a_bad_override_names_its_list() {
        let doc = SettingsDoc {
            ssh: SshKeys {
                resolve: vec!["10.0.20.11".into()],
                ..SshKeys::default()
            },
            ..SettingsDoc::default()
        };
        let error = doc.into_layer().expect_err("no '='");
        assert_eq!(error.list, OverrideList::Ssh);
        assert!(error.to_string().starts_with("ssh.resolve: "), "{error}");
    }

    #[test]
    fn each_front_ends_keys_are_found() {
        let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
            "vmtools": {"iso_id": "abc"}, "ssh": {"known_hosts": "/etc/x"}
        }))
        .expect("json");
        assert_eq!(doc.file_key(), Some(FileKey::KnownHosts));
        assert_eq!(doc.console_key(), Some(ConsoleKey::IsoId));
        assert_eq!(ConsoleKey::IsoId.file_key().key(), "vmtools.iso");
        assert_eq!(SettingsDoc::default().file_key(), None);
    }

    /// A stored document holds no secret.
    #[test]
    fn secrets_are_not_serialized() {
        let doc: SettingsDoc = serde_json::from_value(serde_json::json!({
            "api": {"token": "tok-en-1234"}, "ssh": {"initial_password": "pw-5678"}
        }))
        .expect("json");
        assert!(doc.has_secret());
        let text = serde_json::to_string(&doc).expect("json");
        assert!(
            !text.contains("tok-en") && !text.contains("pw-5678"),
            "{text}"
        );
        assert!(!format!("{doc:?}").contains("pw-5678"));
    }
}
