//! `smtx-deploy serve` as a user starts it: one stdout line with the real
//! address, an API that answers there, a generated token off loopback
//! (printed once, on stderr), and Ctrl-C that aborts the run under way and
//! lets it record `aborted` before the process exits. For a team: HTTPS
//! with a self-signed certificate pinned by its printed fingerprint, plain
//! HTTP off loopback refused unless asked for, and named tokens whose
//! names — never the tokens — are recorded with what each did.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const DEADLINE: Duration = Duration::from_secs(60);

/// Stops the console even when an assertion fails first.
struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` with `args`; the process and its one stdout line.
async fn start_serve(args: &[&str]) -> (Serve, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let serve = Serve(child);
    let line = tokio::time::timeout(
        DEADLINE,
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }),
    )
    .await
    .expect("a line in time")
    .expect("joins")
    .expect("stdout reads");
    (serve, line)
}

fn url_of(line: &str) -> String {
    let url = line
        .strip_prefix("console: ")
        .and_then(|rest| rest.strip_suffix("/\n"))
        .unwrap_or_else(|| panic!("not `console: http://ADDR/`: {line:?}"));
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port");
    assert_ne!(port, 0, "the real port");
    url.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_prints_its_address_and_answers_there() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (_serve, line) = start_serve(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--keep-days",
        "30",
        "--keep-runs",
        "200",
    ])
    .await;
    let url = url_of(&line);
    // The history's bounds as given (issue 20).
    let storage: Value = reqwest::get(format!("{url}/api/storage"))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(storage["keep_days"], 30, "{storage}");
    assert_eq!(storage["keep_runs"], 200, "{storage}");
    let session: Value = reqwest::get(format!("{url}/api/session"))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(session, json!({ "auth_required": false, "ok": true }));
    let page = reqwest::get(format!("{url}/")).await.expect("answers");
    assert_eq!(page.status(), 200);
    assert!(data.join("console.db").is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn off_loopback_a_token_is_generated_and_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let (mut serve, line) = start_serve(&[
        "--listen",
        "0.0.0.0:0",
        "--allow-http",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--lang",
        "en",
    ])
    .await;
    let port = line
        .trim_end()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .expect("a port");
    assert!(line.starts_with("console: http://0.0.0.0:"), "{line}");
    let url = format!("http://127.0.0.1:{port}");
    let answer = reqwest::get(format!("{url}/api/runs"))
        .await
        .expect("answers");
    assert_eq!(answer.status(), 401);
    // The token is on stderr, once; read it after the process ends.
    let _ = Command::new("kill")
        .args(["-INT", &serve.0.id().to_string()])
        .status();
    let exit = tokio::task::spawn_blocking(move || {
        let status = serve.0.wait();
        let mut stderr = String::new();
        if let Some(mut err) = serve.0.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        (status, stderr)
    });
    let (status, stderr) = tokio::time::timeout(DEADLINE, exit)
        .await
        .expect("exits in time")
        .expect("joins");
    assert!(status.expect("waits").success());
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("token")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    // Plain HTTP off loopback was asked for, and said to be.
    assert!(
        stderr.contains("warning: serving plain HTTP on 0.0.0.0:0 (--allow-http)"),
        "{stderr}"
    );
    let token = lines[0].rsplit(' ').next().expect("the token");
    assert_eq!(token.len(), 32, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_aborts_the_run_under_way_and_it_is_recorded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8").to_string();
    let (mut serve, line) =
        start_serve(&["--listen", "127.0.0.1:0", "--data-dir", &data_arg]).await;
    let url = url_of(&line);
    let client = reqwest::Client::new();
    let template = std::fs::read(
        smtx_testkit::shared_reference_dir()
            .join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx"),
    )
    .expect("template");
    let form = reqwest::multipart::Form::new().part(
        "workbook",
        reqwest::multipart::Part::bytes(template).file_name("template.xlsx"),
    );
    let plan: Value = client
        .post(format!("{url}/api/plans"))
        .multipart(form)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let run: Value = client
        .post(format!("{url}/api/runs"))
        .json(&json!({ "plan_id": plan["id"], "target": { "rehearsal": { "job_ms": 60000, "iso_mib": 0 } } }))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let id = run["id"].as_str().expect("a run id").to_string();
    smtx_testkit::poll_until(DEADLINE, || {
        let client = &client;
        let url = &url;
        let id = &id;
        async move {
            let run: Value = client
                .get(format!("{url}/api/runs/{id}"))
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            run["steps"]
                .as_array()
                .is_some_and(|steps| steps.iter().any(|s| s["step"] == "login"))
                .then_some(())
        }
    })
    .await
    .expect("the run reaches a job wait");

    let _ = Command::new("kill")
        .args(["-INT", &serve.0.id().to_string()])
        .status();
    let exit = tokio::task::spawn_blocking(move || serve.0.wait());
    let status = tokio::time::timeout(DEADLINE, exit)
        .await
        .expect("exits in time")
        .expect("joins")
        .expect("waits");
    assert!(status.success(), "{status:?}");

    // A new console on the same data: the run was recorded aborted, not
    // left to be found interrupted.
    let (_again, line) = start_serve(&["--listen", "127.0.0.1:0", "--data-dir", &data_arg]).await;
    let url = url_of(&line);
    let run: Value = reqwest::get(format!("{url}/api/runs/{id}"))
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(run["status"], "aborted", "{run:#}");
    assert_eq!(run["summary"]["aborted"], 1);
}

/// The same data directory twice (a second terminal, a forgotten console):
/// the second is refused before it touches the database, so it cannot mark
/// the first one's runs interrupted; the first keeps serving.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_console_on_the_same_data_directory_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8");
    let (_first, line) = start_serve(&["--listen", "127.0.0.1:0", "--data-dir", data_arg]).await;
    let url = url_of(&line);
    for (lang, expected) in [
        ("en", "in use by another console"),
        ("zh-CN", "正被另一个控制台使用"),
    ] {
        let second = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
            .args([
                "--lang",
                lang,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
                data_arg,
            ])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert_eq!(second.status.code(), Some(2), "{stderr}");
        assert!(
            second.stdout.is_empty(),
            "no console line: {:?}",
            second.stdout
        );
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let session = reqwest::get(format!("{url}/api/session"))
        .await
        .expect("answers");
    assert!(
        session.status().is_success(),
        "the first console still serves"
    );
}

/// Start-up words: a port another program holds, and a data directory the
/// user cannot write, are the user's to change: exit 2, saying what to do,
/// in both languages.
#[tokio::test(flavor = "multi_thread")]
async fn a_port_in_use_and_an_unusable_data_directory_say_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let addr = taken.local_addr().expect("addr").to_string();
    // A file where the data directory should be: it cannot be made.
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"x").expect("written");
    for (lang, in_use, unusable) in [
        (
            "en",
            "another program already listens there",
            "choose another with `smtx-deploy serve --data-dir DIR`",
        ),
        (
            "zh-CN",
            "该地址已被其他程序占用",
            "可用 `smtx-deploy serve --data-dir DIR` 另选",
        ),
    ] {
        let data = dir.path().join(format!("data-{lang}"));
        let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
            .args(["--lang", lang, "serve", "--listen", &addr, "--data-dir"])
            .arg(&data)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(in_use) && stderr.contains(&addr),
            "{stderr}"
        );

        let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
            .args([
                "--lang",
                lang,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(not_a_dir.join("sub"))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(unusable), "{stderr}");
    }
    drop(taken);
}

/// `console: https://ADDR/  SHA-256 FP`: the URL and the fingerprint.
fn https_line(line: &str) -> (String, String) {
    let (url, fingerprint) = line
        .trim_end()
        .strip_prefix("console: ")
        .and_then(|rest| rest.split_once("/  SHA-256 "))
        .unwrap_or_else(|| panic!("not `console: https://ADDR/  SHA-256 FP`: {line:?}"));
    assert!(url.starts_with("https://127.0.0.1:"), "{line}");
    (url.to_string(), fingerprint.to_string())
}

/// The SHA-256 of the first certificate of a PEM file, as browsers show it.
fn pem_fingerprint(pem: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let body: String = pem
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64");
    sha2::Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A client that trusts the certificate `pem` and nothing else.
fn pinned_client(pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(pem.as_bytes()).expect("a certificate"),
        )
        .build()
        .expect("a client")
}

/// Issue 20: `--tls-self-signed` serves HTTPS with a certificate made once
/// in the data directory (its key private), whose printed fingerprint is
/// the file's, which a client that trusts only it reaches, and which a
/// second start on the same data directory serves again.
#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_certificate_is_printed_pinned_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let data_arg = data.to_str().expect("utf-8").to_string();
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        &data_arg,
        "--tls-self-signed",
    ];
    let (first, line) = start_serve(&args).await;
    let (url, fingerprint) = https_line(&line);
    let cert_file = data.join("tls").join("self-signed.pem");
    let pem = std::fs::read_to_string(&cert_file).expect("the certificate is kept");
    assert_eq!(
        fingerprint,
        pem_fingerprint(&pem),
        "the printed fingerprint is the file's"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let key = std::fs::metadata(data.join("tls").join("self-signed.key")).expect("the key");
        assert_eq!(key.permissions().mode() & 0o077, 0, "the key is private");
    }
    let session: Value = pinned_client(&pem)
        .get(format!("{url}/api/session"))
        .send()
        .await
        .expect("answers over HTTPS to a client that trusts only this certificate")
        .json()
        .await
        .expect("JSON");
    assert_eq!(session["ok"], true);
    // A page of the console's own https origin may change things; one of
    // the http origin on the same host and port is another site.
    let host = url.trim_start_matches("https://");
    for (origin, allowed) in [
        (format!("https://{host}"), true),
        (format!("http://{host}"), false),
    ] {
        let answer = pinned_client(&pem)
            .post(format!("{url}/api/runs"))
            .header("Origin", &origin)
            .json(&json!({ "plan_id": "none" }))
            .send()
            .await
            .expect("answers");
        assert_eq!(
            answer.status() != 403,
            allowed,
            "{origin}: {}",
            answer.status()
        );
    }
    // Not plain HTTP, and not trusted by the usual roots.
    let plain = url.replacen("https://", "http://", 1);
    assert!(reqwest::get(format!("{plain}/api/session")).await.is_err());
    assert!(reqwest::get(format!("{url}/api/session")).await.is_err());
    drop(first);

    let (_again, line) = start_serve(&args).await;
    let (url, again) = https_line(&line);
    assert_eq!(again, fingerprint, "the same certificate on a later start");
    let answer = pinned_client(&pem)
        .get(format!("{url}/api/session"))
        .send()
        .await
        .expect("the kept certificate is served");
    assert!(answer.status().is_success());
}

/// Issue 20: `--tls-cert`/`--tls-key` files that are not a certificate
/// and its key: exit 2 naming the file and what is wrong.
#[test]
fn unusable_certificate_files_are_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_pem = dir.path().join("cert.pem");
    std::fs::write(&not_pem, "not a certificate\n").expect("written");
    for (lang, expected) in [
        ("en", "no CERTIFICATE block in it"),
        ("zh-CN", "其中没有 CERTIFICATE 块"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
            .args([
                "--lang",
                lang,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir.path().join("data"))
            .arg("--tls-cert")
            .arg(&not_pem)
            .arg("--tls-key")
            .arg(&not_pem)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(output.stdout.is_empty());
        assert!(
            stderr.contains(expected) && stderr.contains(not_pem.to_str().expect("utf-8")),
            "{stderr}"
        );
    }
}

/// Issue 20: listening off loopback over plain HTTP would carry the token
/// in clear: refused, in both languages, saying which flags serve HTTPS
/// and which says plain HTTP is meant.
#[test]
fn a_history_kept_zero_days_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(["serve", "--keep-days", "0"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--keep-days"));
}

#[test]
fn plain_http_off_loopback_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (lang, expected) in [("en", "plain HTTP"), ("zh-CN", "明文 HTTP")] {
        let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
            .args([
                "--lang",
                lang,
                "serve",
                "--listen",
                "0.0.0.0:0",
                "--data-dir",
            ])
            .arg(dir.path().join("data"))
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(output.stdout.is_empty(), "no console line");
        for said in [expected, "--tls-self-signed", "--tls-cert", "--allow-http"] {
            assert!(stderr.contains(said), "{said} in {stderr}");
        }
    }
    assert!(
        !dir.path().join("data").exists(),
        "refused before anything is made"
    );
}

fn token_file(dir: &std::path::Path, text: &str, mode: u32) -> std::path::PathBuf {
    let path = dir.join("tokens");
    std::fs::write(&path, text).expect("written");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    #[cfg(not(unix))]
    let _ = mode;
    path
}

/// Issue 20: a token file other users can read is refused (saying
/// `chmod 600`), and a malformed line is named by its number without
/// its text, in both languages.
#[cfg(unix)]
#[test]
fn a_shared_or_malformed_token_file_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shared = token_file(dir.path(), "alice s3cret-alice-0644\n", 0o644);
    for (lang, expected) in [
        ("en", "other users can read it"),
        ("zh-CN", "其他用户可以读取"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
            .args([
                "--lang",
                lang,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir.path().join("data"))
            .arg("--token-file")
            .arg(&shared)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(
            stderr.contains(&format!("chmod 600 {}", shared.display())),
            "{stderr}"
        );
        assert!(!stderr.contains("s3cret"), "{stderr}");
    }
    let malformed = token_file(
        dir.path(),
        "# team\nalice s3cret-alice-1\ns3cret-lonely-token\n",
        0o600,
    );
    for (lang, expected) in [("en", "line 3"), ("zh-CN", "第 3 行")] {
        let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
            .args([
                "--lang",
                lang,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(dir.path().join("data"))
            .arg("--token-file")
            .arg(&malformed)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("s3cret"), "never a token: {stderr}");
    }
    // Both token flags: which one counts would be a guess.
    let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(["--lang", "en", "serve", "--token", "x", "--token-file"])
        .arg(&malformed)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--token-file together"), "{stderr}");
}

/// Every file under `dir`, read whole.
fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                found.push((path, bytes));
            }
        }
    }
    found
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Issue 20: a team's named tokens. Each is accepted; a run started with
/// alice's token lists `run_by: alice`, its abort with bob's records
/// `aborted_by: bob`, the log names them, and no token appears in any
/// output, log or file of the data directory.
#[tokio::test(flavor = "multi_thread")]
async fn named_tokens_record_who_did_what_and_never_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let alice = "alice-token-5f1e0c2d9b";
    let bob = "bob-token-7a3c44e810";
    let tokens = token_file(
        dir.path(),
        &format!("# the site team\n\nalice {alice}\nbob\t{bob}\n"),
        0o600,
    );
    let (mut serve, line) = start_serve(&[
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--token-file",
        tokens.to_str().expect("utf-8"),
    ])
    .await;
    let url = url_of(&line);
    let client = reqwest::Client::new();
    let unauthorized = client
        .get(format!("{url}/api/runs"))
        .send()
        .await
        .expect("answers");
    assert_eq!(unauthorized.status(), 401);
    let form = reqwest::multipart::Form::new().part(
        "workbook",
        reqwest::multipart::Part::bytes(
            std::fs::read(
                smtx_testkit::shared_reference_dir()
                    .join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx"),
            )
            .expect("template"),
        )
        .file_name("template.xlsx"),
    );
    let plan: Value = client
        .post(format!("{url}/api/plans"))
        .bearer_auth(alice)
        .multipart(form)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(plan["uploaded_by"], "alice", "{plan:#}");
    let run: Value = client
        .post(format!("{url}/api/runs"))
        .bearer_auth(alice)
        .json(&json!({ "plan_id": plan["id"], "target": { "rehearsal": { "job_ms": 60000, "iso_mib": 0 } } }))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    let id = run["id"].as_str().expect("a run id").to_string();
    let runs: Value = client
        .get(format!("{url}/api/runs"))
        .bearer_auth(bob)
        .send()
        .await
        .expect("bob's token is accepted too")
        .json()
        .await
        .expect("JSON");
    assert_eq!(runs[0]["id"], id.as_str());
    assert_eq!(runs[0]["run_by"], "alice", "{runs:#}");

    let abort = client
        .post(format!("{url}/api/runs/{id}/abort"))
        .bearer_auth(bob)
        .send()
        .await
        .expect("answers");
    assert_eq!(abort.status(), 202);
    let ended = smtx_testkit::poll_until(DEADLINE, || {
        let client = &client;
        let url = &url;
        let id = &id;
        async move {
            let run: Value = client
                .get(format!("{url}/api/runs/{id}"))
                .bearer_auth(bob)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (run["status"] == "aborted").then_some(run)
        }
    })
    .await
    .expect("the run ends aborted");
    assert_eq!(ended["run_by"], "alice", "{ended:#}");
    assert_eq!(ended["aborted_by"], "bob", "{ended:#}");
    // The delivery record says who ran it, in its words (Chinese first).
    let delivery = data.join("runs").join(&id).join("delivery.json");
    let record: Value =
        serde_json::from_slice(&std::fs::read(&delivery).expect("delivery.json")).expect("JSON");
    assert_eq!(record["run_by"], "alice", "{record:#}");
    let page = client
        .get(format!("{url}/api/runs/{id}/report.html?lang=zh-CN"))
        .bearer_auth(bob)
        .send()
        .await
        .expect("answers")
        .text()
        .await
        .expect("text");
    assert!(page.contains("发起人") && page.contains("alice"), "{page}");

    let _ = Command::new("kill")
        .args(["-INT", &serve.0.id().to_string()])
        .status();
    let exit = tokio::task::spawn_blocking(move || {
        let status = serve.0.wait();
        let mut stderr = String::new();
        if let Some(mut err) = serve.0.stderr.take() {
            let _ = err.read_to_string(&mut stderr);
        }
        (status, stderr)
    });
    let (status, stderr) = tokio::time::timeout(DEADLINE, exit)
        .await
        .expect("exits in time")
        .expect("joins");
    assert!(status.expect("waits").success(), "{stderr}");
    assert!(
        stderr.contains("alice, bob"),
        "the names are shown: {stderr}"
    );
    let log = std::fs::read_to_string(data.join("console.log")).expect("console.log");
    assert!(
        log.lines()
            .any(|l| l.contains("console_run_start") && l.contains(r#""by":"alice""#)),
        "the run's start names alice: {log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("console_abort") && l.contains(r#""by":"bob""#)),
        "the abort names bob: {log}"
    );
    for token in [alice, bob] {
        assert!(
            !line.contains(token) && !stderr.contains(token),
            "{token} printed"
        );
        for (path, bytes) in files_under(&data) {
            assert!(!contains(&bytes, token), "{token} in {}", path.display());
        }
    }
}
