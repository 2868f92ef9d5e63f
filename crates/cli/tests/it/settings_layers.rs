//! The layers of settings through the binary, with a real environment: a
//! flag beats its environment variable, which beats the settings file,
//! which beats the default; a `--no-` flag beats a variable that says yes;
//! an empty secret variable leaves the file's secret standing. What a run
//! used is read back from its `context.json` (a dry run: nothing is sent).

use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use smtx_plan::fixture::WorkbookSpec;

/// Every variable this test sets, removed from the inherited environment
/// first so that the engineer's shell cannot decide a case.
const VARIABLES: &[&str] = &[
    "SMTX_CONFIG",
    "SMTX_API_BASE",
    "SMTX_RESOLVE",
    "SMTX_SSH_RESOLVE",
    "SMTX_CA_CERT",
    "SMTX_INSECURE",
    "SMTX_SSH_KNOWN_HOSTS",
    "SMTX_RUN_DIR",
    "SMTX_API_TOKEN",
    "SMTX_SSH_INITIAL_PASSWORD",
];

/// A dry run of `prepare` with `flags` and `env`, into `dir/<name>`;
/// answers the process output and the settings its context recorded.
fn dry_run(dir: &Path, name: &str, flags: &[&str], env: &[(&str, &str)]) -> (Output, Value) {
    let run_dir = dir.join(name);
    let mut command = super::run::binary();
    for variable in VARIABLES {
        command.env_remove(variable);
    }
    let output = command
        .current_dir(dir)
        .args(["run", "--plan", "workbook.xlsx", "--stages", "prepare"])
        .args(["--dry-run", "--run-dir"])
        .arg(&run_dir)
        .args(flags)
        .envs(env.iter().copied())
        .output()
        .expect("binary runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(run_dir.join("context.json")).expect("context written");
    let context: Value = serde_json::from_str(&text).expect("context is JSON");
    (output, context["config"].clone())
}

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    WorkbookSpec::example(1)
        .write_to(&dir.path().join("workbook.xlsx"))
        .expect("workbook written");
    std::fs::write(
        dir.path().join("site.toml"),
        "[api]\nbase_url = \"https://10.0.0.3\"\ninsecure = true\n\
         resolve = [\"10.9.9.9=127.0.0.1:3\"]\ntoken = \"token-from-the-file\"\n\
         [ssh]\nknown_hosts = \"file.known_hosts\"\n",
    )
    .expect("settings written");
    dir
}

/// One run of the ladder: its name, flags, environment, and what it must
/// resolve to.
type Rung<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], Value);

/// Four runs, each with one source fewer: flag + env + file, env + file,
/// file, nothing. Each setting flips at every step, so each step proves
/// one rung of the ladder (for `insecure` too: the variable's `false`
/// beats the file's `true`).
#[test]
fn flag_beats_env_beats_file_beats_default() {
    let dir = setup();
    let root = dir.path().display().to_string();
    let flags = [
        "--api-base",
        "https://10.0.0.1",
        "--ssh-known-hosts",
        "/flag.known_hosts",
        "--resolve",
        "10.9.9.9=127.0.0.1:1",
        "--insecure",
    ];
    let env = [
        ("SMTX_API_BASE", "https://10.0.0.2"),
        ("SMTX_SSH_KNOWN_HOSTS", "/env.known_hosts"),
        ("SMTX_RESOLVE", "10.9.9.9=127.0.0.1:2"),
        ("SMTX_INSECURE", "false"),
    ];
    let file = [("SMTX_CONFIG", "site.toml")];
    let all_env: Vec<(&str, &str)> = env.iter().chain(&file).copied().collect();
    let ladder: [Rung; 4] = [
        (
            "flag",
            &flags,
            &all_env,
            json!([
                "https://10.0.0.1",
                "/flag.known_hosts",
                ["10.9.9.9=127.0.0.1:1"],
                true
            ]),
        ),
        (
            "env",
            &[],
            &all_env,
            json!([
                "https://10.0.0.2",
                "/env.known_hosts",
                ["10.9.9.9=127.0.0.1:2"],
                false
            ]),
        ),
        (
            "file",
            &[],
            &file,
            json!([
                "https://10.0.0.3",
                "file.known_hosts",
                ["10.9.9.9=127.0.0.1:3"],
                true
            ]),
        ),
        (
            "default",
            &[],
            &[],
            json!([null, format!("{root}/known_hosts"), [], false]),
        ),
    ];
    for (name, flags, env, expected) in ladder {
        let (output, config) = dry_run(dir.path(), name, flags, env);
        let got = json!([
            config["api"]["base_url"],
            config["ssh"]["known_hosts"],
            config["api"]["resolve"],
            config["api"]["insecure"],
        ]);
        assert_eq!(got, expected, "{name}");
        let warnings = String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| line.contains("TLS verification is off"))
            .count();
        assert_eq!(warnings, usize::from(expected[3] == true), "{name}");
    }
}

/// `--no-insecure` beats `SMTX_INSECURE=true`; `--insecure` after it on
/// the same line wins again (the last of a pair).
#[test]
fn a_no_flag_beats_a_variable_that_says_yes() {
    let dir = setup();
    let env = [("SMTX_INSECURE", "true")];
    let (output, config) = dry_run(dir.path(), "no", &["--no-insecure"], &env);
    assert_eq!(config["api"]["insecure"], false);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("TLS verification is off"));
    let (_, config) = dry_run(dir.path(), "yes", &["--no-insecure", "--insecure"], &env);
    assert_eq!(config["api"]["insecure"], true);
    let (_, config) = dry_run(dir.path(), "env", &[], &env);
    assert_eq!(config["api"]["insecure"], true);
}

/// An empty `SMTX_API_TOKEN=` says nothing: the file's token stands; a
/// variable with a value replaces it. Neither value is recorded.
#[test]
fn an_empty_secret_variable_leaves_the_file_standing() {
    let dir = setup();
    let file = ("SMTX_CONFIG", "site.toml");
    for (name, env) in [
        ("empty", vec![file, ("SMTX_API_TOKEN", "")]),
        ("set", vec![("SMTX_API_TOKEN", "token-from-the-variable")]),
    ] {
        let (_, config) = dry_run(dir.path(), name, &["--no-insecure"], &env);
        assert_eq!(config["api"]["token"], "***", "{name}");
        let context =
            std::fs::read_to_string(dir.path().join(name).join("context.json")).expect("read");
        assert!(!context.contains("token-from"), "{name}: {context}");
    }
    let (_, config) = dry_run(dir.path(), "none", &[], &[("SMTX_API_TOKEN", "")]);
    assert_eq!(config["api"]["token"], Value::Null);
}
