//! `smtx-deploy serve` as a user starts it: one stdout line with the real
//! address, an API that answers there, a generated token off loopback
//! (printed once, on stderr), and Ctrl-C that aborts the run under way and
//! lets it record `aborted` before the process exits.

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
    ])
    .await;
    let url = url_of(&line);
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
