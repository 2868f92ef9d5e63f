//! A run's target: a rehearsal (an in-process simulator of the plan, with
//! an optional fault scenario) or a real cluster described by the settings
//! file's keys. Settings are read into the engine's `SettingsLayer` with
//! their secrets straight into `Secret`, and refused where the CLI refuses
//! them (the engine's preflight). Errors never quote a value: the one in
//! error may be a password.
//!
//! A target names no file of the console's machine: the CA comes as PEM
//! text, host keys are pinned in the console's own data directory (one file
//! per cluster), the VMTools ISO is one the console offers (`crate::isos`).
//! A path-valued key of the settings file is refused before anything is
//! read or written, so a console user cannot make the server send, read or
//! overwrite its files.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smtx_engine::SettingsLayer;
use smtx_engine::messages::errors::override_entry_error;
use smtx_engine::settings_doc::OverrideList;
use smtx_i18n::{Lang, Text};

use axum::http::StatusCode;

use crate::error::ApiError;
use crate::isos::IsoShelf;
use crate::messages::{ConsoleMsg, RehearsalOption, ServerPathKey};

/// What a rehearsal's simulator does.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RehearsalOptions {
    /// A shipped scenario's name.
    #[serde(default)]
    pub scenario: Option<String>,
    /// One network round trip added to every call and SSH exchange.
    #[serde(default)]
    pub latency_ms: u64,
    /// No job of the simulator ends before it is this old.
    #[serde(default)]
    pub job_ms: u64,
    /// Size of the generated VMTools ISO (0: none; default 64).
    #[serde(default = "default_iso_mib")]
    pub iso_mib: u64,
    /// An ISO the console offers (`GET /api/isos`), uploaded instead of the
    /// generated one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iso_id: Option<String>,
}

fn default_iso_mib() -> u64 {
    64
}

/// The largest rehearsal ISO: it is written to the run directory, so an
/// unbounded size is a request that fills the disk.
pub const MAX_ISO_MIB: u64 = 2048;
/// The longest added round trip: past it a rehearsal only looks stuck.
pub const MAX_LATENCY_MS: u64 = 10_000;
/// The longest simulated job.
pub const MAX_JOB_MS: u64 = 600_000;

impl RehearsalOptions {
    /// The options within the bounds above, or the one that is over.
    fn bounded(self) -> Result<Self, TargetError> {
        for (option, value, max) in [
            (RehearsalOption::IsoMib, self.iso_mib, MAX_ISO_MIB),
            (RehearsalOption::LatencyMs, self.latency_ms, MAX_LATENCY_MS),
            (RehearsalOption::JobMs, self.job_ms, MAX_JOB_MS),
        ] {
            if value > max {
                return Err(TargetError::TooLarge { option, max });
            }
        }
        Ok(self)
    }

    pub fn new() -> Self {
        Self {
            iso_mib: default_iso_mib(),
            ..Self::default()
        }
    }
}

/// `settings`: the engine's settings document, the settings file's keys
/// as JSON, with the console's own (`api.ca_cert_pem`, `vmtools.iso_id`)
/// in place of the path-valued ones, which it refuses.
pub use smtx_engine::SettingsDoc;

/// Why a request's target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// Not the JSON a target is (the reason names keys, never a value).
    Bad(String),
    /// A rehearsal option past its bound: a field of the form, named by
    /// its label in the answer's message and by its key in `error.field`.
    TooLarge { option: RehearsalOption, max: u64 },
}

impl From<String> for TargetError {
    fn from(reason: String) -> Self {
        Self::Bad(reason)
    }
}

impl From<TargetError> for ApiError {
    fn from(error: TargetError) -> Self {
        match error {
            TargetError::Bad(reason) => ApiError::bad_request(reason),
            TargetError::TooLarge { option, max } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &ConsoleMsg::RehearsalOptionTooLarge { option, max },
            )
            .with_field(option.key()),
        }
    }
}

/// A run's target, as requested.
#[derive(Debug)]
pub enum Target {
    Rehearsal(RehearsalOptions),
    Settings(Box<SettingsDoc>),
}

/// A serde error without the value it was about: `invalid type: string
/// "hunter2", expected a boolean` becomes `wrong type, expected a boolean`.
pub fn safe_json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let position = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(&position).unwrap_or(&text);
    let expected = |rest: &str| {
        rest.rsplit_once(", expected ")
            .map(|(_, expected)| expected.to_string())
            .unwrap_or_else(|| "another kind of value".to_string())
    };
    let safe = if let Some(rest) = message.strip_prefix("invalid type: ") {
        format!("wrong type, expected {}", expected(rest))
    } else if let Some(rest) = message.strip_prefix("invalid value: ") {
        format!("value not allowed here, expected {}", expected(rest))
    } else if let Some(rest) = message.strip_prefix("invalid length ") {
        format!("wrong number of items, expected {}", expected(rest))
    } else if message.starts_with("unknown field")
        || message.starts_with("missing field")
        || message.starts_with("duplicate field")
        || message.starts_with("unknown variant")
    {
        // These name a key (or a variant), never a value of the body.
        message.to_string()
    } else {
        // Syntax errors name what was expected, not what was found.
        message
            .split(['"', '`'])
            .next()
            .unwrap_or("not JSON")
            .trim()
            .to_string()
    };
    format!("{safe}{position}")
}

/// Any JSON of a body, safely.
pub fn parse_json<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| safe_json_error(&e))
}

impl Target {
    /// `"rehearsal"`, `{"rehearsal": {…}}` or `{"settings": {…}}`; absent:
    /// a rehearsal.
    pub fn from_json(value: Option<Value>) -> Result<Self, TargetError> {
        match value {
            None | Some(Value::Null) => Ok(Self::Rehearsal(RehearsalOptions::new())),
            Some(Value::String(kind)) if kind == "rehearsal" => {
                Ok(Self::Rehearsal(RehearsalOptions::new()))
            }
            Some(Value::Object(mut map)) if map.len() == 1 => {
                if let Some(options) = map.remove("rehearsal") {
                    let options = if options.is_null() {
                        RehearsalOptions::new()
                    } else {
                        parse_json(options).map_err(|e| format!("target.rehearsal: {e}"))?
                    };
                    Ok(Self::Rehearsal(options.bounded()?))
                } else if let Some(settings) = map.remove("settings") {
                    let settings =
                        parse_json(settings).map_err(|e| format!("target.settings: {e}"))?;
                    Ok(Self::Settings(Box::new(settings)))
                } else {
                    Err(TargetError::Bad("target: expected \"rehearsal\", {\"rehearsal\": {…}} or {\"settings\": {…}}".into()))
                }
            }
            Some(_) => Err(TargetError::Bad(
                "target: expected \"rehearsal\", {\"rehearsal\": {…}} or {\"settings\": {…}}"
                    .into(),
            )),
        }
    }

    /// `rehearsal` or `cluster`, as run lists show it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Rehearsal(_) => "rehearsal",
            Self::Settings(settings) if settings.rehearsal == Some(true) => "rehearsal",
            Self::Settings(_) => "cluster",
        }
    }

    /// The target as stored for resume: no secret; and whether it had one.
    pub fn stored(&self) -> (Value, bool) {
        match self {
            Self::Rehearsal(options) => (serde_json::json!({ "rehearsal": options }), false),
            Self::Settings(settings) => {
                let had = settings.has_secret();
                let value = serde_json::to_value(settings.as_ref()).unwrap_or(Value::Null);
                (serde_json::json!({ "settings": value }), had)
            }
        }
    }
}

/// The layer of a `settings` target and the refusals the CLI makes: TLS
/// off with a CA, an unreadable CA, an override that does not parse; and
/// the console's own: a path of the server, an ISO it does not offer.
/// `run_dir` is where a given PEM is written.
pub fn settings_layer(
    mut settings: SettingsDoc,
    run_dir: &Path,
    isos: &IsoShelf,
) -> Result<SettingsLayer, SettingsRefusal> {
    if let Some(key) = settings.file_key() {
        return Err(SettingsRefusal::ServerPath(key));
    }
    if let Some(id) = settings.vmtools.iso_id.take() {
        let offered = isos.find(&id).ok_or(SettingsRefusal::UnknownIso(id))?;
        settings.vmtools.iso = Some(offered.path);
    }
    // Each source by its label on the form: the refusal is read there.
    let insecure_source = (settings.api.insecure == Some(true)).then(|| Text {
        en: "Do not verify the certificate (insecure)".into(),
        zh_cn: "不校验证书（不安全）".into(),
    });
    let ca_source = settings.api.ca_cert_pem.as_ref().map(|_| Text {
        en: "CA certificate (PEM)".into(),
        zh_cn: "CA 证书（PEM）".into(),
    });
    smtx_engine::preflight::tls_choice(insecure_source.as_ref(), ca_source.as_ref())
        .map_err(|refusal| SettingsRefusal::Refused(crate::messages::both(&refusal)))?;
    if let Some(pem) = settings.api.ca_cert_pem.take() {
        let path = run_dir.join("ca.pem");
        std::fs::write(&path, pem).map_err(|e| {
            SettingsRefusal::Bad(Text {
                en: format!("{}: {e}", path.display()),
                zh_cn: format!(
                    "{}：{}",
                    path.display(),
                    smtx_i18n::quoted(smtx_i18n::Lang::ZhCn, &e.to_string())
                ),
            })
        })?;
        settings.api.ca_cert = Some(path);
    }
    settings.into_layer().map_err(|bad| {
        // An entry named by the field's label on the form, not its key.
        let (en, zh) = match bad.list {
            OverrideList::Api => ("HTTPS address overrides", "HTTPS 地址映射"),
            OverrideList::Ssh => ("SSH address overrides", "SSH 地址映射"),
        };
        SettingsRefusal::Bad(Text {
            en: format!("{en}: {}", override_entry_error(Lang::En, &bad.error)),
            zh_cn: format!("{zh}：{}", override_entry_error(Lang::ZhCn, &bad.error)),
        })
    })
    // The console's own file per cluster (`own_known_hosts`) is set by
    // the caller once the plan is known; `ssh.known_hosts` was refused.
}

/// Why a `settings` target was refused.
#[derive(Debug)]
pub enum SettingsRefusal {
    /// Settings that do not make settings (a bad override, an unreadable CA).
    Bad(Text),
    /// A refusal of the engine's preflight.
    Refused(Text),
    /// A path of the console's machine.
    ServerPath(ServerPathKey),
    /// A VMTools ISO id the console does not offer.
    UnknownIso(String),
}

/// Reads the CA file a layer names, for `SettingsLayer::resolve`.
pub fn read_ca(path: &Path) -> Result<Vec<u8>, SettingsRefusal> {
    std::fs::read(path).map_err(|e| {
        SettingsRefusal::Bad(Text {
            en: format!("CA certificate {}: {e}", path.display()),
            zh_cn: format!(
                "CA 证书 {}：{}",
                path.display(),
                smtx_i18n::quoted(smtx_i18n::Lang::ZhCn, &e.to_string())
            ),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A wrong type in the settings never echoes the value (it may be a
    /// password).
    #[test]
    fn errors_do_not_quote_values() {
        let body = serde_json::json!({"ssh": {"initial_password": 424242, "port": "hunter2"}});
        let error = parse_json::<SettingsDoc>(body).expect_err("refused");
        assert!(
            !error.contains("424242") && !error.contains("hunter2"),
            "{error}"
        );
        let body = serde_json::json!({"ssh": {"port": "hunter2"}});
        let error = parse_json::<SettingsDoc>(body).expect_err("refused");
        assert!(!error.contains("hunter2"), "{error}");
        assert!(error.contains("expected"), "{error}");
        let body = serde_json::json!({"run_dirr": "/tmp/x"});
        let error = parse_json::<SettingsDoc>(body).expect_err("refused");
        assert!(error.contains("unknown field"), "{error}");
    }

    /// The settings document's keys that name a file of this machine are
    /// the CLI's: a console target carrying one is refused by it, before
    /// anything is read or written.
    #[test]
    fn path_keys_of_the_server_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shelf = IsoShelf::new(dir.path(), None).expect("shelf");
        for (body, key) in [
            (
                serde_json::json!({"run_dir": "/tmp/x"}),
                ServerPathKey::RunDir,
            ),
            (
                serde_json::json!({"api": {"ca_cert": "/etc/ssl/x.pem"}}),
                ServerPathKey::CaCert,
            ),
            (
                serde_json::json!({"ssh": {"known_hosts": "/root/.ssh/known_hosts"}}),
                ServerPathKey::KnownHosts,
            ),
            (
                serde_json::json!({"vmtools": {"iso": "/srv/x.iso"}}),
                ServerPathKey::VmtoolsIso,
            ),
        ] {
            let doc = parse_json::<SettingsDoc>(body).expect("the document's keys");
            match settings_layer(doc, dir.path(), &shelf) {
                Err(SettingsRefusal::ServerPath(found)) => assert_eq!(found, key),
                other => panic!("{key:?}: {other:?}"),
            }
        }
        assert!(!dir.path().join("ca.pem").exists());
    }

    #[test]
    fn stored_targets_hold_no_secret() {
        let body = serde_json::json!({"settings": {"api": {"token": "tok-en-1234"}, "ssh": {"initial_password": "pw-5678"}}});
        let target = Target::from_json(Some(body)).expect("target");
        let (stored, had) = target.stored();
        let text = stored.to_string();
        assert!(had);
        assert!(
            !text.contains("tok-en-1234") && !text.contains("pw-5678"),
            "{text}"
        );
    }
}
