//! The upload's progress log line reaches the log of the task that runs the
//! upload, as the engine's stage log is set up: one dispatcher, attached to
//! the upload's future on a multi-threaded runtime, none anywhere else. The
//! chunk bodies stream on the HTTP client's own tasks, where that dispatcher
//! is not current; tracing decides once per call site whether anyone
//! listens, from the dispatcher current where the site is first reached, so
//! a line first written there would be lost for good. Alone in its process
//! for the same reason (see `ssh_logs.rs`).

#[path = "it/upload_support.rs"]
mod upload_support;

use tracing::instrument::WithSubscriber;
use upload_support::*;

/// Collects every formatted log line.
#[derive(Clone, Default)]
struct LogSink(Arc<Mutex<Vec<u8>>>);

impl Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut out) = self.0.lock() {
            out.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_logged_where_the_upload_runs() -> TestResult {
    let sink = LogSink::default();
    let writer = sink.clone();
    let stage_log = tracing::Dispatch::new(
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish(),
    );
    let sim = sim(false).await?;
    let dir = tempfile::tempdir()?;
    let (path, _) = write_iso(dir.path(), "progress.iso", 5 * CHUNK)?;
    let upload = async {
        let client = logged_in(&sim).await?;
        client
            .upload_svt_image(&SvtUpload::new(&path), &UploadOptions::default())
            .await?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
    };
    upload.with_subscriber(stage_log).await?;
    let logs = String::from_utf8(sink.0.lock().map_err(|_| "poisoned")?.clone())?;
    assert!(
        logs.lines()
            .any(|line| line.contains("status=\"progress\"") && line.contains("percent=100.0")),
        "the last progress line is in the log: {logs}"
    );
    sim.shutdown().await;
    Ok(())
}
