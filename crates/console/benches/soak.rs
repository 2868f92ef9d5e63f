//! Issue 20's soak: a console left running for a team. 500 rehearsals
//! started through the API, 8 at a time (8 generated clusters, one run
//! each at a time, as the console allows), while 20 clients follow runs
//! over Server-Sent Events and 5 poll the runs list. Every 50 runs it
//! prints the process's RSS and open file descriptors; at the end, once
//! the clients have stopped, the descriptors against their idle count, the
//! RSS after run 500 against after run 50 (within 20 %), the failed runs
//! (none) and the size of console.db.
//!
//! The console runs in this process (`smtx_console::start` on loopback),
//! the clients too: the figures are the process's, clients included (the
//! clients hold no history, so growth is the console's).
//!
//! `cargo bench -p smtx-console --bench soak -- [--runs 500] [--parallel 8]
//! [--followers 20] [--pollers 5]`. Without `--bench` (as under `cargo test
//! --benches`) it only says so and exits. Linux only (it reads /proc).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    runs: usize,
    parallel: usize,
    followers: usize,
    pollers: usize,
    bench: bool,
}

fn parse_args() -> BenchResult<Args> {
    let mut args = Args {
        runs: 500,
        parallel: 8,
        followers: 20,
        pollers: 5,
        bench: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> BenchResult<usize> {
            Ok(it
                .next()
                .ok_or_else(|| format!("{name} needs a value"))?
                .parse()?)
        };
        match arg.as_str() {
            "--runs" => args.runs = value("--runs")?,
            "--parallel" => args.parallel = value("--parallel")?.max(1),
            "--followers" => args.followers = value("--followers")?,
            "--pollers" => args.pollers = value("--pollers")?,
            "--bench" => args.bench = true,
            _ => {}
        }
    }
    Ok(args)
}

/// A field of /proc/self/status, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
                .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// VmRSS of this process, in KiB.
fn rss_kib() -> u64 {
    status_kib("VmRSS")
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, Iterator::count)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

async fn post(http: &reqwest::Client, base: &str, path: &str, body: Value) -> BenchResult<Value> {
    let answer = http
        .post(format!("{base}{path}"))
        .json(&body)
        .send()
        .await?;
    let status = answer.status();
    let body: Value = answer.json().await?;
    if !status.is_success() {
        return Err(format!("POST {path}: {status} {body}").into());
    }
    Ok(body)
}

async fn upload(http: &reqwest::Client, base: &str, path: &Path) -> BenchResult<String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let part = reqwest::multipart::Part::bytes(std::fs::read(path)?).file_name(name);
    let form = reqwest::multipart::Form::new().part("workbook", part);
    let answer: Value = http
        .post(format!("{base}/api/plans"))
        .multipart(form)
        .send()
        .await?
        .json()
        .await?;
    answer["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("upload: {answer}").into())
}

/// A worker: rehearsals of its own plan, one after the other, until
/// `total` have been started by all workers.
async fn worker(
    http: reqwest::Client,
    base: String,
    plan: String,
    started: Arc<AtomicUsize>,
    ended: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
    total: usize,
) -> BenchResult<()> {
    while started.fetch_add(1, Ordering::SeqCst) < total {
        let run = post(
            &http,
            &base,
            "/api/runs",
            json!({ "plan_id": plan, "target": { "rehearsal": { "iso_mib": 1 } } }),
        )
        .await?;
        let id = run["id"].as_str().ok_or("no run id")?.to_string();
        loop {
            let run: Value = http
                .get(format!("{base}/api/runs/{id}"))
                .send()
                .await?
                .json()
                .await?;
            match run["status"].as_str() {
                // Polled as a client would (the page follows events; a
                // script polls): a pace, not a wait for something.
                Some("queued" | "running") => tokio::time::sleep(Duration::from_millis(50)).await,
                Some("ok" | "warning") => break,
                _ => {
                    failed.fetch_add(1, Ordering::SeqCst);
                    eprintln!("run {id} ended {}: {}", run["status"], run["error"]);
                    break;
                }
            }
        }
        ended.fetch_add(1, Ordering::SeqCst);
    }
    Ok(())
}

/// A client following the newest run under way over SSE to its end, again
/// and again, until `done`.
async fn follower(http: reqwest::Client, base: String, done: Arc<AtomicBool>) -> u64 {
    let mut events = 0u64;
    while !done.load(Ordering::SeqCst) {
        // The newest few hold the runs under way (8 at a time).
        let runs: Value = match http.get(format!("{base}/api/runs?limit=20")).send().await {
            Ok(answer) => answer.json().await.unwrap_or(Value::Null),
            Err(_) => Value::Null,
        };
        let running = runs.as_array().and_then(|runs| {
            runs.iter()
                .find(|run| run["status"] == "running")
                .and_then(|run| run["id"].as_str().map(str::to_string))
        });
        let Some(id) = running else {
            // Between two runs: look again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        if let Ok(answer) = http
            .get(format!("{base}/api/runs/{id}/events"))
            .send()
            .await
        {
            let mut body = answer.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                events += chunk.iter().filter(|byte| **byte == b'\n').count() as u64;
            }
        }
    }
    events
}

async fn poller(http: reqwest::Client, base: String, done: Arc<AtomicBool>) -> u64 {
    let mut polls = 0u64;
    while !done.load(Ordering::SeqCst) {
        if let Ok(answer) = http.get(format!("{base}/api/runs")).send().await {
            let _ = answer.bytes().await;
            polls += 1;
        }
        // The load: five clients each listing the runs five times a second.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    polls
}

async fn soak(args: Args) -> BenchResult<bool> {
    let dir = tempfile::tempdir()?;
    let plans = smtx_testkit::write_fleet_workbooks(&dir.path().join("plans"), args.parallel, 1, 1);
    let console = smtx_console::start(smtx_console::ServeOptions {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        data_dir: dir.path().join("data"),
        token: None,
        named_tokens: Default::default(),
        iso_dir: None,
        tls: None,
        keep: Default::default(),
    })
    .await?;
    let base = format!("http://{}", console.addr());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let mut ids = Vec::new();
    for plan in &plans {
        ids.push(upload(&http, &base, plan).await?);
    }
    let idle_fds = open_fds();
    let idle_rss = rss_kib();
    println!(
        "soak: {} rehearsals, {} at a time, {} SSE followers, {} pollers",
        args.runs, args.parallel, args.followers, args.pollers
    );
    println!("idle: RSS {:.1} MiB, {idle_fds} fds", mib(idle_rss));

    let started = Arc::new(AtomicUsize::new(0));
    let ended = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let began = Instant::now();
    let workers: Vec<_> = ids
        .iter()
        .map(|plan| {
            tokio::spawn(worker(
                http.clone(),
                base.clone(),
                plan.clone(),
                started.clone(),
                ended.clone(),
                failed.clone(),
                args.runs,
            ))
        })
        .collect();
    let followers: Vec<_> = (0..args.followers)
        .map(|_| tokio::spawn(follower(http.clone(), base.clone(), done.clone())))
        .collect();
    let pollers: Vec<_> = (0..args.pollers)
        .map(|_| tokio::spawn(poller(http.clone(), base.clone(), done.clone())))
        .collect();

    let mut at_50 = None;
    let mut last = 0usize;
    let mut last_rss = idle_rss;
    loop {
        let now = ended.load(Ordering::SeqCst);
        while last + 50 <= now.min(args.runs) {
            last += 50;
            let rss = rss_kib();
            last_rss = rss;
            if last == 50 {
                at_50 = Some(rss);
            }
            println!(
                "after {last:>4} runs ({:>6.1} s): RSS {:>7.1} MiB (heap {:>6.1}, files {:>5.1}), {:>4} fds",
                began.elapsed().as_secs_f64(),
                mib(rss),
                mib(status_kib("RssAnon")),
                mib(status_kib("RssFile") + status_kib("RssShmem")),
                open_fds()
            );
        }
        if workers.iter().all(tokio::task::JoinHandle::is_finished) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for worker in workers {
        worker.await??;
    }
    done.store(true, Ordering::SeqCst);
    let mut events = 0;
    for follower in followers {
        events += follower.await?;
    }
    let mut polls = 0;
    for poller in pollers {
        polls += poller.await?;
    }
    drop(http);
    // Connections the clients closed are the server's to close too: give
    // it until a deadline to get back to its idle count.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut fds = open_fds();
    while fds > idle_fds && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        fds = open_fds();
    }
    let elapsed = began.elapsed();
    let db = std::fs::metadata(dir.path().join("data/console.db")).map_or(0, |m| m.len());
    let failed = failed.load(Ordering::SeqCst);
    let end_rss = rss_kib();
    println!(
        "{} runs in {:.1} s ({:.2} runs/s); {events} SSE lines followed, {polls} list polls",
        ended.load(Ordering::SeqCst),
        elapsed.as_secs_f64(),
        ended.load(Ordering::SeqCst) as f64 / elapsed.as_secs_f64()
    );
    println!("console.db: {:.1} MiB", db as f64 / (1024.0 * 1024.0));
    let mut ok = true;
    if let Some(at_50) = at_50 {
        let growth = last_rss as f64 / at_50.max(1) as f64 - 1.0;
        let pass = growth <= 0.20;
        ok &= pass;
        println!(
            "RSS after run {last}: {:.1} MiB vs {:.1} MiB after run 50: {:+.1} % (target ≤ +20 %) {}",
            mib(last_rss),
            mib(at_50),
            growth * 100.0,
            if pass { "PASS" } else { "FAIL" }
        );
    }
    let pass = fds <= idle_fds;
    ok &= pass;
    println!(
        "fds after the clients stopped: {fds} (idle {idle_fds}) {}; RSS now {:.1} MiB",
        if pass { "PASS" } else { "FAIL" },
        mib(end_rss)
    );
    let pass = failed == 0;
    ok &= pass;
    println!(
        "failed runs: {failed} {}",
        if pass { "PASS" } else { "FAIL" }
    );
    console.shutdown().await;
    Ok(ok)
}

fn main() -> BenchResult<()> {
    let args = parse_args()?;
    if !args.bench {
        println!("soak: a benchmark; run it with `cargo bench -p smtx-console --bench soak`");
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if runtime.block_on(soak(args))? {
        Ok(())
    } else {
        Err("the soak missed a target".into())
    }
}
