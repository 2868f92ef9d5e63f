//! Uploads 1 GiB (or `SIZE_MIB` MiB) of generated 8 MiB chunks through the
//! simulator on loopback and prints how much the process's resident memory
//! grew: `cargo run --release -p smtx-sim --example upload_memory`.

#[path = "support/upload.rs"]
mod upload;

#[tokio::main]
async fn main() -> Result<(), upload::AnyError> {
    let mib: u64 = std::env::var("SIZE_MIB")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1024);
    let (start_rss, _) = upload::rss_kib();
    let report = upload::upload_generated(mib * 1024 * 1024, 8 * 1024 * 1024).await?;
    println!(
        "uploaded {} MiB in {} chunks in {:.1?} ({:.0} MiB/s)",
        report.bytes >> 20,
        report.chunks,
        report.elapsed,
        (report.bytes >> 20) as f64 / report.elapsed.as_secs_f64()
    );
    println!(
        "RSS: process start {} KiB, after chunk 0 {} KiB, peak during upload {} KiB (growth {} KiB), VmHWM {} KiB",
        start_rss,
        report.baseline_rss_kib,
        report.peak_rss_kib,
        report.growth_kib(),
        report.hwm_kib
    );
    println!(
        "SHA-256 of the assembled image matches: {}",
        report.sha256_matches
    );
    if !report.sha256_matches {
        return Err("the simulator's SHA-256 does not match the generated data".into());
    }
    Ok(())
}
