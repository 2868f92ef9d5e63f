//! The target's `serve` on a loopback port of its choosing: the page, a
//! plan upload (`POST /api/plans`, multipart field `workbook`), and SIGINT
//! ending it cleanly.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};

use super::process::Background;
use super::rehearsal::reference_workbook;
use super::{Runner, Smoke, tail};

pub fn check_serve(runner: &Runner<'_>, work: &Path, smoke: &Smoke) -> anyhow::Result<()> {
    let args = [
        "--lang",
        "en",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        "console data",
    ];
    let mut serve = Background::spawn("serve", &mut runner.command(work, &args)?)?;
    serve.wait_for("its console: line", runner.deadline, |stdout, _| {
        stdout
            .lines()
            .any(|line| line.starts_with("console: http://"))
    })?;
    let stdout = serve.stdout();
    let url = stdout
        .lines()
        .find_map(|line| line.strip_prefix("console: "))
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .context("no console: line")?;
    let client = reqwest::blocking::Client::builder()
        .timeout(runner.deadline.min(Duration::from_secs(120)))
        .no_proxy()
        .build()?;

    let page = client.get(format!("{url}/")).send()?;
    let status = page.status();
    let body = page.text()?;
    if status != reqwest::StatusCode::OK || !body.to_ascii_lowercase().contains("<html") {
        bail!("GET / answered {status}, {} bytes", body.len());
    }

    let workbook = reference_workbook(smoke)?;
    let bytes = std::fs::read(&workbook)?;
    let part = reqwest::blocking::multipart::Part::bytes(bytes).file_name("规划设计表.xlsx");
    let form = reqwest::blocking::multipart::Form::new().part("workbook", part);
    let upload = client
        .post(format!("{url}/api/plans"))
        .multipart(form)
        .send()?;
    let status = upload.status();
    let answer = upload.text()?;
    if !status.is_success() {
        bail!("POST /api/plans answered {status}: {answer}");
    }
    let plan: serde_json::Value =
        serde_json::from_str(&answer).context("POST /api/plans answered no JSON")?;
    let hosts = plan.pointer("/summary/hosts").or_else(|| plan.get("hosts"));
    println!(
        "       GET / {} bytes; POST /api/plans {status}, plan {}",
        body.len(),
        plan.get("id").map(ToString::to_string).unwrap_or_default()
    );
    if plan.get("id").is_none() && hosts.is_none() {
        bail!("POST /api/plans answered no plan: {answer}");
    }

    serve.interrupt()?;
    let ran = serve.finish(runner.deadline)?;
    if ran.code != Some(0) {
        bail!(
            "serve after SIGINT: exit {:?}; stderr ends: {}",
            ran.code,
            tail(&ran.stderr, 6)
        );
    }
    Ok(())
}
