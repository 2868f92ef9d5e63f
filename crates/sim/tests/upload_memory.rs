//! Uploading through the simulator keeps memory flat: 64 MiB in 8 MiB
//! chunks, streamed on both sides, must not grow the process's resident
//! memory by more than a fraction of the size. (`cargo run --release -p
//! smtx-sim --example upload_memory` does the 1 GiB run.) It is its own
//! test binary so that no other test shares the process and its memory.

#[path = "../examples/support/upload.rs"]
mod upload;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_mib_upload_keeps_memory_flat() -> TestResult {
    let size = 64 * 1024 * 1024;
    let report = upload::upload_generated(size, 8 * 1024 * 1024)
        .await
        .map_err(|error| error.to_string())?;
    eprintln!(
        "uploaded {} MiB in {:?}; RSS after chunk 0 {} KiB, peak {} KiB, VmHWM {} KiB",
        report.bytes >> 20,
        report.elapsed,
        report.baseline_rss_kib,
        report.peak_rss_kib,
        report.hwm_kib
    );
    assert!(report.sha256_matches, "{report:?}");
    assert_eq!(report.chunks, 8);
    // Holding a chunk or the image would add 8..64 MiB; allow some noise.
    assert!(
        report.growth_kib() < 16 * 1024,
        "RSS grew by {} KiB while uploading 64 MiB: {report:?}",
        report.growth_kib()
    );
    Ok(())
}
