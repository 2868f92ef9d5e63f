//! `smtx-deploy sim --control-token`: the simulator's `/_sim/*` endpoints
//! want the token as `Authorization: Bearer`, the cluster API does not, and
//! the token is never printed.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const TOKEN: &str = "s3cret-control-token";

/// Stops the simulator even when an assertion fails first.
struct Sim(Child);

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The status code of one plain HTTP/1.1 request.
fn status(address: &str, request_head: &str) -> u16 {
    let mut stream = TcpStream::connect(address).expect("connects to the simulator");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .write_all(format!("{request_head}Host: sim\r\nConnection: close\r\n\r\n").as_bytes())
        .expect("request sent");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

#[test]
fn the_control_token_guards_the_control_endpoints_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("workbook.xlsx");
    std::fs::copy(
        smtx_testkit::shared_reference_dir()
            .join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx"),
        &workbook,
    )
    .expect("template copied");
    let settings = dir.path().join("sim.toml");
    let child = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(["sim", "--http", "--plan"])
        .arg(&workbook)
        .arg("--write-config")
        .arg(&settings)
        .args(["--control-token", TOKEN])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sim starts");
    let mut sim = Sim(child);
    let text = smtx_testkit::poll_until_blocking(Duration::from_secs(30), || {
        std::fs::read_to_string(&settings)
            .ok()
            .filter(|text| text.contains("[ssh]"))
    })
    .expect("no settings file");
    let settings: toml::Table = toml::from_str(&text).expect("settings parse");
    // `resolve` maps the first host's workbook address to its listener.
    let first = settings["api"]["resolve"][0]
        .as_str()
        .and_then(|entry| entry.split_once('='))
        .map(|(_, address)| address.to_owned())
        .expect("a resolve entry");

    assert_eq!(status(&first, "GET /_sim/state HTTP/1.1\r\n"), 401);
    let wrong = "GET /_sim/state HTTP/1.1\r\nAuthorization: Bearer nope\r\n";
    assert_eq!(status(&first, wrong), 401);
    let right = format!("GET /_sim/state HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\n");
    assert_eq!(status(&first, &right), 200);
    let api = "GET /api/v2/deployment/deploy_verify HTTP/1.1\r\n\
               x-smartx-token: e79b85fc18b7402fbcc0391fe8d7d24c\r\n";
    assert_eq!(
        status(&first, api),
        200,
        "the cluster API needs no control token"
    );

    let _ = sim.0.kill();
    let _ = sim.0.wait();
    let mut printed = String::new();
    if let Some(mut out) = sim.0.stdout.take() {
        let _ = out.read_to_string(&mut printed);
    }
    if let Some(mut err) = sim.0.stderr.take() {
        let _ = err.read_to_string(&mut printed);
    }
    assert!(
        printed.contains("Authorization: Bearer <control token>"),
        "{printed}"
    );
    assert!(!printed.contains(TOKEN), "{printed}");
    assert!(
        !text.contains(TOKEN),
        "the settings file holds no control token"
    );
}

#[test]
fn an_empty_control_token_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_smtx-deploy"))
        .args(["sim", "--http", "--control-token", "", "--plan"])
        .arg(
            smtx_testkit::shared_reference_dir()
                .join("workbook/SmartX-HCI-planning-template-ELF-v20250820.xlsx"),
        )
        .output()
        .expect("sim runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("--control-token"));
}
