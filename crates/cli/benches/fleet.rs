//! Issue 12's fleet benchmark, with the real binary in two processes as a
//! delivery team would run it: `smtx-deploy sim --plans DIR --write-configs
//! DIR --latency-ms 20` simulates N generated clusters (4 hosts, 11
//! business networks each), and `smtx-deploy run --plans DIR --configs DIR
//! --vmtools-iso <64 MiB ISO> --parallel P` configures them all. Prints the
//! wall time of one cluster alone (same latency, its own simulator) and of
//! the fleet at each `--parallel`, their ratio (the target is ≤ 3), and the
//! peak RSS (VmHWM, read from /proc while the process runs) of the client
//! (target < 512 MiB) and of the simulator.
//!
//! `cargo bench -p smtx-cli --bench fleet -- [--clusters 100] [--hosts 4]
//! [--networks 11] [--iso-mib 64] [--latency-ms 20] [--parallel 100,8]
//! [--upload-dir /dev/shm] [--work-dir DIR] [--http] [--binary PATH]` (`--upload-dir`:
//! where the simulator writes the uploaded images — N × the ISO size; a
//! tmpfs spares the disk; `--work-dir`: where the workbooks, settings
//! files, ISO and run directories go, the system's temporary directory
//! unless given — each cluster's run saves `context.json` atomically after
//! every step, so a tmpfs here shows what the disk's metadata work costs;
//! `--iso-mib 0`: no upload; `--http`: plain HTTP, to see what TLS costs;
//! `--binary PATH`: another build of `smtx-deploy`, to compare two builds
//! under the same load).
//! Without
//! `--bench` on the command line (as under `cargo test --benches`) it only
//! says so and exits.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    clusters: usize,
    hosts: usize,
    networks: usize,
    iso_mib: u64,
    latency_ms: u64,
    parallel: Vec<usize>,
    upload_dir: Option<PathBuf>,
    work_dir: Option<PathBuf>,
    binary: Option<PathBuf>,
    http: bool,
    bench: bool,
}

fn parse_args() -> BenchResult<Args> {
    let mut args = Args {
        clusters: 100,
        hosts: 4,
        networks: 11,
        iso_mib: 64,
        latency_ms: 20,
        parallel: vec![100, 8],
        upload_dir: None,
        work_dir: None,
        binary: None,
        http: false,
        bench: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> BenchResult<String> {
            it.next()
                .ok_or_else(|| format!("{name} needs a value").into())
        };
        match arg.as_str() {
            "--clusters" => args.clusters = value("--clusters")?.parse()?,
            "--hosts" => args.hosts = value("--hosts")?.parse()?,
            "--networks" => args.networks = value("--networks")?.parse()?,
            "--iso-mib" => args.iso_mib = value("--iso-mib")?.parse()?,
            "--latency-ms" => args.latency_ms = value("--latency-ms")?.parse()?,
            "--parallel" => {
                args.parallel = value("--parallel")?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--upload-dir" => args.upload_dir = Some(PathBuf::from(value("--upload-dir")?)),
            "--work-dir" => args.work_dir = Some(PathBuf::from(value("--work-dir")?)),
            "--binary" => args.binary = Some(PathBuf::from(value("--binary")?)),
            "--http" => args.http = true,
            "--bench" => args.bench = true,
            _ => {}
        }
    }
    Ok(args)
}

/// Peak resident set of a live process, in KiB (`VmHWM`).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// CPU time a live process has used so far (user + system), in clock ticks.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses: state is the
    // 3rd field of the line, utime the 14th, stime the 15th.
    let (_, rest) = stat.rsplit_once(')')?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8_lossy(&out.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// A child process whose peak RSS and CPU time are sampled every 10 ms
/// until it ends.
struct Watched {
    child: Child,
    peak_kib: Arc<AtomicU64>,
    cpu_ticks: Arc<AtomicU64>,
}

impl Watched {
    fn spawn(command: &mut Command) -> BenchResult<Self> {
        let child = command.spawn()?;
        let pid = child.id();
        let peak_kib = Arc::new(AtomicU64::new(0));
        let cpu_ticks = Arc::new(AtomicU64::new(0));
        let (peak, cpu) = (Arc::clone(&peak_kib), Arc::clone(&cpu_ticks));
        std::thread::spawn(move || {
            while let Some(kib) = peak_rss_kib(pid) {
                peak.fetch_max(kib, Ordering::Relaxed);
                if let Some(ticks) = self::cpu_ticks(pid) {
                    cpu.fetch_max(ticks, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        Ok(Self {
            child,
            peak_kib,
            cpu_ticks,
        })
    }

    fn peak_mib(&self) -> f64 {
        self.peak_kib.load(Ordering::Relaxed) as f64 / 1024.0
    }

    fn cpu_seconds(&self) -> f64 {
        self.cpu_ticks.load(Ordering::Relaxed) as f64 / ticks_per_second()
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary(args: &Args) -> Command {
    let path = args
        .binary
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_smtx-deploy")));
    let mut command = Command::new(path);
    command.env("NO_COLOR", "1").env("LANG", "C");
    command
}

/// `sim --plans plans --write-configs configs`, once every settings file is
/// written.
fn start_sim(dir: &Path, plans: &str, expected: usize, args: &Args) -> BenchResult<Watched> {
    let configs = dir.join("configs");
    let _ = std::fs::remove_dir_all(&configs);
    let mut command = binary(args);
    command
        .current_dir(dir)
        .args(["sim", "--plans", plans, "--write-configs", "configs"])
        .args(["--latency-ms", &args.latency_ms.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(uploads) = &args.upload_dir {
        command.env("TMPDIR", uploads);
    }
    if args.http {
        command.arg("--http");
    }
    let sim = Watched::spawn(&mut command)?;
    let started = Instant::now();
    loop {
        let written = std::fs::read_dir(&configs)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "toml"))
                    .count()
            })
            .unwrap_or(0);
        if written >= expected {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err("the simulator did not write its settings files".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // The files are written one after the other: give the last one its end.
    std::thread::sleep(Duration::from_millis(200));
    Ok(sim)
}

/// Stops the simulator; its peak RSS (MiB) and CPU time (s) until then.
fn stop(mut sim: Watched) -> BenchResult<(f64, f64)> {
    let pid = sim.child.id();
    sim.peak_kib
        .fetch_max(peak_rss_kib(pid).unwrap_or(0), Ordering::Relaxed);
    sim.cpu_ticks
        .fetch_max(cpu_ticks(pid).unwrap_or(0), Ordering::Relaxed);
    let measured = (sim.peak_mib(), sim.cpu_seconds());
    Command::new("kill")
        .args(["-INT", &sim.child.id().to_string()])
        .status()?;
    let started = Instant::now();
    while sim.child.try_wait()?.is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the simulator did not stop".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(measured)
}

struct Measured {
    wall: Duration,
    /// The 1-minute load average as the run ended: other work on the
    /// machine (this one is shared) shows here.
    load: String,
    client_mib: f64,
    sim_mib: f64,
    client_cpu: f64,
    sim_cpu: f64,
    ok: usize,
    total: usize,
}

/// One fleet run against a fresh simulator of `plans`.
fn measure(
    dir: &Path,
    plans: &str,
    count: usize,
    parallel: usize,
    args: &Args,
) -> BenchResult<Measured> {
    let sim = start_sim(dir, plans, count, args)?;
    let run_dir = dir.join(format!("runs/fleet-{count}-p{parallel}"));
    let _ = std::fs::remove_dir_all(&run_dir);
    let mut command = binary(args);
    command
        .current_dir(dir)
        .args(["run", "--plans", plans, "--configs", "configs", "--json"])
        .args(["--parallel", &parallel.to_string()])
        .arg("--run-dir")
        .arg(&run_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if args.iso_mib > 0 {
        command
            .arg("--vmtools-iso")
            .arg(dir.join("SMTX_VMTOOLS-3.2.0-bench.iso"));
    }
    let started = Instant::now();
    let mut client = Watched::spawn(&mut command)?;
    let mut stdout = String::new();
    if let Some(mut out) = client.child.stdout.take() {
        std::io::Read::read_to_string(&mut out, &mut stdout)?;
    }
    client.child.wait()?;
    let wall = started.elapsed();
    let summary: serde_json::Value = serde_json::from_str(&stdout)?;
    let clusters = summary["clusters"].as_array().cloned().unwrap_or_default();
    let ok = clusters
        .iter()
        .filter(|c| matches!(c["status"].as_str(), Some("ok" | "warning")))
        .count();
    let (client_mib, client_cpu) = (client.peak_mib(), client.cpu_seconds());
    let load = load_average();
    let (sim_mib, sim_cpu) = stop(sim)?;
    Ok(Measured {
        wall,
        load,
        client_mib,
        sim_mib,
        client_cpu,
        sim_cpu,
        ok,
        total: clusters.len(),
    })
}

/// `/proc/loadavg`'s three averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> BenchResult<()> {
    let args = parse_args()?;
    if !args.bench {
        println!("fleet: a benchmark; run it with `cargo bench -p smtx-cli --bench fleet`");
        return Ok(());
    }
    let dir = match &args.work_dir {
        Some(parent) => tempfile::tempdir_in(parent)?,
        None => tempfile::tempdir()?,
    };
    smtx_testkit::write_fleet_workbooks(
        &dir.path().join("plans"),
        args.clusters,
        args.hosts,
        args.networks,
    );
    let iso = dir.path().join("SMTX_VMTOOLS-3.2.0-bench.iso");
    let piece: Vec<u8> = (0..1024 * 1024).map(|i| (i % 251) as u8).collect();
    let mut file = std::fs::File::create(&iso)?;
    for _ in 0..args.iso_mib {
        std::io::Write::write_all(&mut file, &piece)?;
    }
    drop(file);
    println!(
        "{} clusters × {} hosts × {} networks, {} MiB ISO, latency {} ms, {}, load average {}",
        args.clusters,
        args.hosts,
        args.networks,
        args.iso_mib,
        args.latency_ms,
        if args.http { "HTTP" } else { "HTTPS" },
        load_average()
    );
    let one = measure(dir.path(), "plans/site-000.xlsx", 1, 1, &args)?;
    println!(
        "one cluster:      {:>6.2} s  ok {}/{}  client peak RSS {:>6.1} MiB, CPU {:.1} s  simulator {:>6.1} MiB, CPU {:.1} s  load {}",
        one.wall.as_secs_f64(),
        one.ok,
        one.total,
        one.client_mib,
        one.client_cpu,
        one.sim_mib,
        one.sim_cpu,
        one.load
    );
    for parallel in &args.parallel {
        let fleet = measure(dir.path(), "plans", args.clusters, *parallel, &args)?;
        let ratio = fleet.wall.as_secs_f64() / one.wall.as_secs_f64().max(f64::EPSILON);
        println!(
            "--parallel {parallel:<4}  {:>6.2} s  ok {}/{}  client peak RSS {:>6.1} MiB, CPU {:.1} s  simulator {:>6.1} MiB, CPU {:.1} s  {ratio:.1}× one cluster (target ≤ 3×: {}; client < 512 MiB: {})  load {}",
            fleet.wall.as_secs_f64(),
            fleet.ok,
            fleet.total,
            fleet.client_mib,
            fleet.client_cpu,
            fleet.sim_mib,
            fleet.sim_cpu,
            if ratio <= 3.0 { "met" } else { "MISSED" },
            if fleet.client_mib < 512.0 {
                "met"
            } else {
                "MISSED"
            },
            fleet.load,
        );
    }
    Ok(())
}
