//! A resume, from the CLI's side: what `run` records in a run directory of
//! its settings sources (the engine's `launch.json`, [`LaunchedBy::Cli`]),
//! `run --from DIR` alone taking the workbook, the stages, the settings and
//! the language from that record, and the line printed after an abort.
//!
//! The record holds the flags and variables given (paths made absolute, so
//! a resume may start from another directory), never a secret and never
//! `--run-dir` (a resume gets a directory of its own). A flag given again
//! with the value it had, or one the first run did not give, is taken; one
//! that contradicts the record is refused, naming what was recorded, since
//! a resume of something else is not a resume.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use smtx_engine::{LaunchRecord, LaunchedBy};
use smtx_platform::shell::Shell;

use super::BadInput;
use crate::i18n::{CliMsg, Lang, Localize, Text};
use crate::settings::{ConnectionArgs, RunSettingsArgs};

/// The CLI's part of `launch.json`: its settings flags and variables.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecordedSettings {
    #[serde(default)]
    pub connection: ConnectionArgs,
    #[serde(default)]
    pub settings: RunSettingsArgs,
}

impl RecordedSettings {
    /// What goes into the record: `connection` and `settings` with their
    /// paths absolute, the VMTools ISO the run resolved (a default one is
    /// looked for in the directory the run started in), and no run
    /// directory.
    pub fn of(
        connection: &ConnectionArgs,
        settings: &RunSettingsArgs,
        resolved_iso: Option<&Path>,
    ) -> Self {
        let mut recorded = Self {
            connection: connection.clone(),
            settings: settings.clone(),
        };
        recorded.absolutize();
        recorded.settings.run_dir = None;
        if recorded.settings.vmtools_iso.is_none() {
            recorded.settings.vmtools_iso = resolved_iso.map(absolute);
        }
        recorded
    }

    pub fn front_end(&self, lang: Option<Lang>) -> LaunchedBy {
        LaunchedBy::Cli {
            lang: lang.map(|lang| lang.tag().to_string()),
            // Secrets are `serde(skip)`: never in the record.
            settings: serde_json::to_value(self).unwrap_or(Value::Null),
        }
    }

    fn absolutize(&mut self) {
        let connection = &mut self.connection;
        for path in [
            &mut connection.config,
            &mut connection.ca_cert,
            &mut connection.ssh_known_hosts,
        ] {
            *path = path.as_deref().map(absolute);
        }
        self.settings.vmtools_iso = self.settings.vmtools_iso.as_deref().map(absolute);
    }
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// What `run --from DIR` without `--plan` continues: the recorded run, with
/// the flags given now laid over it.
#[derive(Debug)]
pub struct Recorded {
    pub workbook: PathBuf,
    pub stages: Vec<String>,
    pub lang: Option<Lang>,
    pub connection: ConnectionArgs,
    pub settings: RunSettingsArgs,
}

/// Reads `dir`'s record and lays `connection` and `settings` (this command
/// line's) over it; bad input when there is none to continue from, or a
/// flag contradicts it.
pub fn recorded(
    dir: &Path,
    connection: &ConnectionArgs,
    settings: &RunSettingsArgs,
    lang: Lang,
) -> Result<Recorded, BadInput> {
    let say = |message: CliMsg| BadInput(message.localize(lang));
    let dir_text = dir.display().to_string();
    let record = match LaunchRecord::load(dir) {
        Ok(Some(record)) => record,
        Ok(None) => return Err(say(CliMsg::NoLaunchRecord { dir: dir_text })),
        Err(error) => {
            return Err(say(CliMsg::FromUnreadable {
                error: Text::of(&error),
            }));
        }
    };
    let (recorded_lang, recorded) = match record.front_end {
        LaunchedBy::Cli { lang, settings } => (
            lang.and_then(|tag| crate::i18n::parse_lang(&tag).ok()),
            serde_json::from_value::<RecordedSettings>(settings).map_err(|error| {
                say(CliMsg::FromUnreadable {
                    error: Text::same(error.to_string()),
                })
            })?,
        ),
        LaunchedBy::Demo => return Err(say(CliMsg::ResumeOfDemo { dir: dir_text })),
        LaunchedBy::Console => return Err(say(CliMsg::ResumeOfConsoleRun { dir: dir_text })),
    };
    let mut given = RecordedSettings {
        connection: connection.clone(),
        settings: settings.clone(),
    };
    given.absolutize();
    let conflict = |conflict: Conflict| {
        say(CliMsg::ResumeConflict {
            dir: dir_text.clone(),
            given: conflict.given,
            recorded: conflict.recorded,
        })
    };
    let mut merged_connection: ConnectionArgs =
        lay_over(&recorded.connection, &given.connection).map_err(conflict)?;
    let mut merged_settings: RunSettingsArgs =
        lay_over(&recorded.settings, &given.settings).map_err(conflict)?;
    // Never recorded: the secrets come from this command line or its
    // variables, and the run directory is the resume's own.
    merged_connection.api_token = connection.api_token.clone();
    merged_connection.ssh_initial_password = connection.ssh_initial_password.clone();
    merged_settings.run_dir = settings.run_dir.clone();
    Ok(Recorded {
        workbook: record.workbook,
        stages: record.stages,
        lang: recorded_lang,
        connection: merged_connection,
        settings: merged_settings,
    })
}

/// A flag given now that says otherwise than the record: both as flags.
#[derive(Debug, PartialEq)]
struct Conflict {
    given: String,
    recorded: String,
}

/// `recorded` with every field `given` sets laid over it; a field set in
/// both to different values, or set now where the record set its
/// opposite (`--no-x` over `--x`), is a conflict.
fn lay_over<T: Serialize + serde::de::DeserializeOwned>(
    recorded: &T,
    given: &T,
) -> Result<T, Conflict> {
    let (Ok(Value::Object(recorded)), Ok(Value::Object(given))) =
        (serde_json::to_value(recorded), serde_json::to_value(given))
    else {
        // Both are structs of plain fields: always objects.
        return Err(Conflict {
            given: String::new(),
            recorded: String::new(),
        });
    };
    let mut merged = recorded.clone();
    for (key, value) in given {
        if unset(&value) {
            continue;
        }
        let opposite = key
            .strip_prefix("no_")
            .map_or_else(|| format!("no_{key}"), str::to_string);
        let clash = match recorded.get(&key).filter(|r| !unset(r)) {
            Some(earlier) if *earlier != value => Some((key.as_str(), earlier)),
            _ => recorded
                .get(&opposite)
                .filter(|r| !unset(r))
                .map(|earlier| (opposite.as_str(), earlier)),
        };
        if let Some((earlier_key, earlier)) = clash {
            return Err(Conflict {
                given: as_flag(&key, &value),
                recorded: as_flag(earlier_key, earlier),
            });
        }
        merged.insert(key, value);
    }
    serde_json::from_value(Value::Object(merged)).map_err(|error| Conflict {
        given: error.to_string(),
        recorded: String::new(),
    })
}

/// Not given: a flag absent, off, or an empty list.
fn unset(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(false) => true,
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// `--vmtools-iso /site/a.iso`, `--insecure`, `--resolve a,b`; the one
/// variable without a flag of its own by its name.
fn as_flag(key: &str, value: &Value) -> String {
    let name = if key == "insecure_env" {
        "SMTX_INSECURE".to_string()
    } else {
        format!("--{}", key.replace('_', "-"))
    };
    match value {
        Value::Bool(true) => name,
        Value::String(text) => format!("{name} {text}"),
        Value::Array(items) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!("{name} {}", items.join(","))
        }
        other => format!("{name} {other}"),
    }
}

/// The line that continues an aborted run: `smtx-deploy run --from DIR`
/// (the record holds the rest), quoted for `shell`; `None` for a run that
/// cannot be continued (a demo's: its simulator ended with it).
pub fn resume_line(run_dir: &Path, front_end: &LaunchedBy, shell: Shell) -> Option<String> {
    match front_end {
        LaunchedBy::Cli { .. } => Some(format!(
            "smtx-deploy run --from {}",
            shell.quote(&run_dir.display().to_string())
        )),
        LaunchedBy::Demo | LaunchedBy::Console => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(edit: impl FnOnce(&mut RunSettingsArgs)) -> RunSettingsArgs {
        let mut settings = RunSettingsArgs::default();
        edit(&mut settings);
        settings
    }

    #[test]
    fn a_flag_given_again_or_new_is_taken() {
        let recorded = settings(|s| {
            s.vmtools_iso = Some("/site/a.iso".into());
            s.rehearsal = true;
        });
        let given = settings(|s| {
            s.vmtools_iso = Some("/site/a.iso".into());
            s.accept_changed_host_keys = true;
        });
        let merged = lay_over(&recorded, &given).expect("no conflict");
        assert_eq!(merged.vmtools_iso, Some(PathBuf::from("/site/a.iso")));
        assert!(merged.rehearsal, "kept from the record");
        assert!(merged.accept_changed_host_keys, "added now");
    }

    #[test]
    fn a_contradicting_flag_names_the_recorded_value() {
        let recorded = settings(|s| s.vmtools_iso = Some("/site/a.iso".into()));
        let given = settings(|s| s.vmtools_iso = Some("/site/b.iso".into()));
        assert_eq!(
            lay_over(&recorded, &given).expect_err("conflict"),
            Conflict {
                given: "--vmtools-iso /site/b.iso".into(),
                recorded: "--vmtools-iso /site/a.iso".into(),
            }
        );
        let recorded = settings(|s| s.rehearsal = true);
        let given = settings(|s| s.no_rehearsal = true);
        assert_eq!(
            lay_over(&recorded, &given).expect_err("conflict"),
            Conflict {
                given: "--no-rehearsal".into(),
                recorded: "--rehearsal".into(),
            }
        );
    }

    #[test]
    fn the_record_holds_no_secret_and_no_run_directory() {
        let connection = ConnectionArgs {
            api_token: Some(smtx_secret::Secret::new("tok-3141592653")),
            ssh_initial_password: Some(smtx_secret::Secret::new("pw-2718281828")),
            config: Some("sim.toml".into()),
            ..ConnectionArgs::default()
        };
        let run = settings(|s| s.run_dir = Some("runs/x".into()));
        let recorded = RecordedSettings::of(&connection, &run, Some(Path::new("v.iso")));
        let text = serde_json::to_string(&recorded.front_end(Some(Lang::ZhCn))).expect("json");
        for secret in ["tok-3141592653", "pw-2718281828", "runs/x"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(recorded.connection.config.expect("config").is_absolute());
        assert!(recorded.settings.vmtools_iso.expect("iso").is_absolute());
        assert!(text.contains("zh-CN"), "{text}");
    }

    #[test]
    fn the_resume_line_names_only_the_run_directory() {
        let front_end = RecordedSettings::default().front_end(None);
        let dir = Path::new("runs/规划 1");
        assert_eq!(
            resume_line(dir, &front_end, Shell::Posix).expect("continues"),
            "smtx-deploy run --from 'runs/规划 1'"
        );
        assert_eq!(
            resume_line(dir, &front_end, Shell::PowerShell).expect("continues"),
            "smtx-deploy run --from 'runs/规划 1'"
        );
        assert_eq!(
            resume_line(Path::new("runs/it's"), &front_end, Shell::PowerShell).expect("continues"),
            "smtx-deploy run --from 'runs/it''s'"
        );
        assert_eq!(resume_line(dir, &LaunchedBy::Demo, Shell::Posix), None);
    }
}
