//! Speed and memory of the SVT upload (issue 5): uploads a generated ISO to
//! the in-process simulator on loopback with `ApiClient::upload_svt_image`,
//! prints throughput and the process's peak RSS (VmHWM), then sends the same
//! bytes with a plain reqwest loop (each chunk read into memory and posted as
//! multipart, no hashing) and prints its throughput and the ratio. The
//! baseline runs after our measurement so its buffers do not count in our
//! peak RSS.
//!
//! `cargo bench -p smtx-api --bench upload -- --size-mib 1024 --chunk-mib 8`
//! (also `--runs N`, best of N each, default 3; `--tls` for HTTPS). Without
//! `--bench` on the command line (as under `cargo test --benches`) it only
//! says so and exits.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;
use smtx_api::{ApiClient, ClientConfig, SvtUpload, UploadOptions};
use smtx_secret::Secret;
use smtx_sim::{ClusterSpec, RunningSim, SimOptions};

#[path = "../tests/it/raw_upload.rs"]
mod raw_upload;
use raw_upload::RawVolume;

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const MIB: u64 = 1024 * 1024;
const ROOT_PASSWORD: &str = "Bench-upl0ad!";

struct Args {
    size_mib: u64,
    chunk_mib: u64,
    runs: u32,
    tls: bool,
    bench: bool,
}

fn parse_args() -> BenchResult<Args> {
    let mut args = Args {
        size_mib: 1024,
        chunk_mib: 8,
        runs: 3,
        tls: false,
        bench: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |name: &str| -> BenchResult<u64> {
            let value = it.next().ok_or(format!("{name} needs a value"))?;
            value
                .parse::<u64>()
                .map_err(|_| format!("{name} {value:?}: not a number").into())
        };
        match arg.as_str() {
            "--size-mib" => args.size_mib = number("--size-mib")?.max(1),
            "--chunk-mib" => args.chunk_mib = number("--chunk-mib")?.max(1),
            "--runs" => args.runs = u32::try_from(number("--runs")?.max(1))?,
            "--tls" => args.tls = true,
            "--bench" => args.bench = true,
            // cargo may pass libtest filters and flags: not ours.
            _ => {}
        }
    }
    Ok(args)
}

fn main() -> BenchResult<()> {
    let args = parse_args()?;
    if !args.bench {
        println!(
            "upload bench: not run without --bench (use `cargo bench -p smtx-api --bench upload`)"
        );
        return Ok(());
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

/// VmHWM (peak resident set) and VmRSS of this process, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn mib_per_s(bytes: u64, elapsed: Duration) -> f64 {
    bytes as f64 / MIB as f64 / elapsed.as_secs_f64().max(1e-9)
}

async fn run(args: Args) -> BenchResult<()> {
    let dir = tempfile::tempdir()?;
    let size = args.size_mib * MIB;
    let chunk = args.chunk_mib * MIB;
    let name = "SMTX_VMTOOLS-9.9.9-bench.iso";
    let iso = dir.path().join(name);
    // 1 MiB at a time: no big buffer to inflate the RSS before the measurement.
    smtx_sim::write_stand_in_iso(&iso, size)?;
    let upload_dir = dir.path().join("sim-images");
    std::fs::create_dir(&upload_dir)?;
    let sim = smtx_sim::start(
        ClusterSpec::example(1),
        SimOptions {
            tls: args.tls,
            chunk_size: chunk,
            job_polls_to_finish: 0,
            ssh: false,
            upload_dir: Some(upload_dir),
            ..SimOptions::default()
        },
    )
    .await?;
    let base = sim.node_url(0).ok_or("the simulator has no node")?;
    let node = sim.nodes().first().ok_or("the simulator has no node")?;
    let mut config = ClientConfig::new(format!("{}://{}", sim.scheme(), node.workbook_ip));
    config.overrides = vec![smtx_api::AddressOverride {
        host: node.workbook_ip.to_string(),
        target: node.http,
    }];
    config.tls.ca_cert_pem = sim.ca_cert_pem().map(|pem| pem.as_bytes().to_vec());
    let client = ApiClient::new(config)?;
    let password = Secret::new(ROOT_PASSWORD);
    client.setup_root("root", &password).await?;
    client.login("root", &password).await?;

    println!(
        "upload bench: {} MiB ISO, {} MiB chunks, {} on loopback, best of {} run(s) each",
        args.size_mib,
        args.chunk_mib,
        sim.scheme(),
        args.runs
    );
    let (hwm_before, _) = memory_kib();
    println!(
        "process peak RSS before uploading (simulator started, ISO generated): {:.1} MiB",
        hwm_before as f64 / 1024.0
    );

    let upload = SvtUpload::new(&iso);
    let mut ours = Duration::MAX;
    for run in 1..=args.runs {
        let started = Instant::now();
        let report = client
            .upload_svt_image(&upload, &UploadOptions::default())
            .await?;
        let elapsed = started.elapsed();
        let state = sim.state();
        let seen = state["images"]
            .as_array()
            .and_then(|images| images.iter().find(|i| i["uuid"] == report.image_uuid))
            .and_then(|image| image["sha256"].as_str())
            .unwrap_or_default()
            .to_string();
        if seen != report.sha256 {
            return Err(
                format!("SHA-256 mismatch: ours {}, simulator {seen}", report.sha256).into(),
            );
        }
        println!(
            "  smtx-api run {run}: {:.2} s, {:.1} MiB/s, {} chunks, sha256 {} (simulator agrees)",
            elapsed.as_secs_f64(),
            mib_per_s(size, elapsed),
            report.chunks_sent,
            report.sha256
        );
        ours = ours.min(elapsed);
        client.delete_image(&report.image_uuid).await?;
    }
    let (hwm, rss) = memory_kib();

    let mut baseline = Duration::MAX;
    for run in 1..=args.runs {
        let elapsed = plain_upload(&sim, &base, &iso, size, chunk, run).await?;
        println!(
            "  baseline run {run}: {:.2} s, {:.1} MiB/s",
            elapsed.as_secs_f64(),
            mib_per_s(size, elapsed)
        );
        baseline = baseline.min(elapsed);
    }
    let (hwm_after_baseline, _) = memory_kib();

    let ours_rate = mib_per_s(size, ours);
    let base_rate = mib_per_s(size, baseline);
    let ratio = ours_rate / base_rate * 100.0;
    let peak_mib = hwm as f64 / 1024.0;
    println!(
        "RESULT size={} MiB chunk={} MiB",
        args.size_mib, args.chunk_mib
    );
    println!(
        "  smtx-api upload_svt_image: {ours_rate:.1} MiB/s (best {:.2} s), peak RSS (VmHWM) {peak_mib:.1} MiB, RSS now {:.1} MiB",
        ours.as_secs_f64(),
        rss as f64 / 1024.0
    );
    println!(
        "  plain reqwest loop:        {base_rate:.1} MiB/s (best {:.2} s), peak RSS after it {:.1} MiB",
        baseline.as_secs_f64(),
        hwm_after_baseline as f64 / 1024.0
    );
    println!(
        "  ratio {ratio:.1} % of baseline (target >= 80 %: {}); peak RSS < 64 MiB: {}",
        if ratio >= 80.0 { "met" } else { "NOT met" },
        if peak_mib < 64.0 { "met" } else { "NOT met" }
    );
    sim.shutdown().await;
    Ok(())
}

/// The baseline: log in, create a volume, and post each chunk read whole
/// into memory, as a minimal client would. No retries, no hashing.
async fn plain_upload(
    sim: &RunningSim,
    base: &str,
    iso: &Path,
    size: u64,
    chunk: u64,
    run: u32,
) -> BenchResult<Duration> {
    let mut builder = reqwest::Client::builder().use_rustls_tls();
    if let Some(pem) = sim.ca_cert_pem() {
        // The simulator's CA alone; the name is not checked because the
        // baseline goes straight to 127.0.0.1, which the certificate does
        // not name (only the workbook addresses).
        builder = builder
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes())?)
            .danger_accept_invalid_hostnames(true);
    }
    let started = Instant::now();
    let name = format!("baseline-{run}.iso");
    let volume = RawVolume::create(builder.build()?, base, ROOT_PASSWORD, &name, size).await?;
    let mut file = tokio::fs::File::open(iso).await?;
    let chunks = size.div_ceil(chunk);
    let mut last = Value::Null;
    for index in 0..chunks {
        use tokio::io::AsyncReadExt;
        let len = chunk.min(size - index * chunk);
        let mut bytes = vec![0u8; usize::try_from(len)?];
        file.read_exact(&mut bytes).await?;
        let answer = volume.send_chunk(index, bytes).await?;
        if !answer.status().is_success() {
            return Err(format!("baseline chunk {index}: HTTP {}", answer.status()).into());
        }
        last = answer.json().await?;
    }
    let elapsed = started.elapsed();
    let missing = last["data"]["to_upload"].as_array().map_or(0, Vec::len);
    if missing != 0 {
        return Err(format!("baseline: {missing} chunk(s) still missing").into());
    }
    volume
        .http
        .delete(format!("{base}/api/v2/images/{}", volume.image_uuid))
        .header("x-smartx-token", &volume.token)
        .send()
        .await?;
    Ok(elapsed)
}
