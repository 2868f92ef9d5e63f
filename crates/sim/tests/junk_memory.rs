//! Ten thousand junk requests do not grow the simulator: unknown paths, bad
//! JSON, bad tokens, unguarded control calls, logins that open sessions,
//! jobs and images, all over loopback. Resident memory stays within 20 MiB
//! of where it started, and what the bounds keep (call log, sessions, jobs,
//! images) stays at its limit. Its own test binary so that no other test
//! shares the process and its memory.

use reqwest::Method;
use serde_json::{Value, json};
use smtx_secret::Secret;
use smtx_sim::{ClusterSpec, SimOptions};

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const REQUESTS: usize = 10_000;

/// `VmRSS` and `VmHWM` of this process, in KiB.
fn rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn send(
    http: &reqwest::Client,
    method: Method,
    url: String,
    token: Option<&str>,
    body: Option<String>,
) -> Result<(u16, Value), reqwest::Error> {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.header("x-smartx-token", token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    Ok((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_junk_requests_keep_memory_and_state_bounded() -> TestResult {
    let uploads = tempfile::tempdir()?;
    let sim = smtx_sim::start(
        ClusterSpec::example(3),
        SimOptions {
            tls: false,
            upload_dir: Some(uploads.path().to_path_buf()),
            chunk_size: 1 << 20,
            control_token: Some(Secret::new("control")),
            ..SimOptions::default()
        },
    )
    .await?;
    let http = reqwest::Client::new();
    let base = sim.node_url(0).ok_or("no node 0")?;
    let login = json!({"username": "root", "password": "HC!r0cks"}).to_string();
    let setup = json!({"password": "HC!r0cks", "repeat": "HC!r0cks"}).to_string();
    let (status, _) = send(
        &http,
        Method::POST,
        format!("{base}/api/v3/users:setupRoot"),
        None,
        Some(setup),
    )
    .await?;
    assert_eq!(status, 200);
    let (_, answer) = send(
        &http,
        Method::POST,
        format!("{base}/api/v3/sessions"),
        None,
        Some(login.clone()),
    )
    .await?;
    let mut token = answer["token"].as_str().ok_or("no token")?.to_owned();
    let (baseline, _) = rss_kib();

    let long_segment = "x".repeat(2000);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for index in 0..REQUESTS {
        let (status, answer) = match index % 8 {
            0 => {
                let url = format!("{base}/junk/{index}/{long_segment}?q={long_segment}");
                send(&http, Method::GET, url, None, None).await?
            }
            1 => {
                let body = format!("{{\"dns_servers\": [\"{index}\"");
                send(
                    &http,
                    Method::PUT,
                    format!("{base}/api/v2/settings/dns"),
                    Some(&token),
                    Some(body),
                )
                .await?
            }
            2 => {
                let bad = format!("{index:032x}");
                send(
                    &http,
                    Method::GET,
                    format!("{base}/api/v2/network/vds"),
                    Some(&bad),
                    None,
                )
                .await?
            }
            3 => {
                send(
                    &http,
                    Method::POST,
                    format!("{base}/api/v3/sessions"),
                    None,
                    Some(login.clone()),
                )
                .await?
            }
            4 => {
                let body =
                    json!({"dns_servers": [format!("10.0.{}.{}", index % 250, index % 199 + 1)]});
                send(
                    &http,
                    Method::PUT,
                    format!("{base}/api/v2/settings/dns"),
                    Some(&token),
                    Some(body.to_string()),
                )
                .await?
            }
            5 => {
                let size = (index as u64 % 64 + 1) << 20;
                let url = format!(
                    "{base}/api/v2/svt_image/create_volume?name=junk-{index}.iso&size={size}"
                );
                send(&http, Method::POST, url, Some(&token), None).await?
            }
            6 => {
                let body = format!("{{\"kind\": \"junk-{index}\"}}");
                send(
                    &http,
                    Method::POST,
                    format!("{base}/_sim/faults"),
                    None,
                    Some(body),
                )
                .await?
            }
            _ => {
                let url = format!("{base}/api/v2/jobs/{index:08x}-0000-4000-8000-000000000000");
                send(&http, Method::GET, url, Some(&token), None).await?
            }
        };
        if let Some(fresh) = answer["token"].as_str() {
            token = fresh.to_owned();
        }
        *statuses.entry(status).or_default() += 1;
    }
    let (after, hwm) = rss_kib();
    eprintln!(
        "{REQUESTS} junk requests: RSS {baseline} KiB -> {after} KiB (VmHWM {hwm} KiB); statuses {statuses:?}"
    );
    // Every kind of junk was refused or served as intended.
    for status in [200, 400, 401, 404] {
        assert!(
            statuses.get(&status).is_some_and(|n| *n >= REQUESTS / 8),
            "{statuses:?}"
        );
    }
    assert!(
        after.saturating_sub(baseline) < 20 * 1024,
        "RSS grew by {} KiB over {REQUESTS} junk requests",
        after.saturating_sub(baseline)
    );

    let state = sim.state();
    let count = |key: &str| state[key].as_array().map_or(0, Vec::len);
    assert_eq!(count("calls"), 4096);
    assert_eq!(count("jobs"), 1024);
    assert_eq!(count("images"), 32);
    assert_eq!(state["cluster"]["sessions"], 1024);
    // Evicted images took their files with them.
    assert_eq!(std::fs::read_dir(uploads.path())?.count(), 32);
    for key in ["calls", "jobs", "images", "sessions"] {
        assert!(
            state["evicted"][key].as_u64().is_some_and(|n| n > 0),
            "{key}: {}",
            state["evicted"]
        );
    }
    let longest = state["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|call| call["path"].as_str())
        .map(str::len)
        .max();
    assert!(longest.is_some_and(|len| len < 600), "{longest:?}");
    // Still a working cluster for a client that behaves.
    let (status, _) = send(
        &http,
        Method::GET,
        format!("{base}/api/v2/tools/license"),
        Some(&token),
        None,
    )
    .await?;
    assert_eq!(status, 200);
    sim.shutdown().await;
    Ok(())
}
