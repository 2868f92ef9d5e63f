//! The stage log: `logs/stage_<name>.log`, JSON lines, one per API call and
//! step, each with `action`, `status` and `error`. Built as a tracing
//! dispatcher scoped to one stage's future, so several runs in one process
//! (many clusters, parallel tests) never mix their logs.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tracing::Dispatch;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;

use crate::EngineError;

#[derive(Clone)]
struct SharedFile(Arc<Mutex<File>>);

struct Guard<'a>(std::sync::MutexGuard<'a, File>);

impl Write for Guard<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Writes nowhere if the lock is poisoned rather than panicking in a log call.
enum Sink<'a> {
    File(Guard<'a>),
    Nowhere,
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Self::File(guard) => guard.write(buf),
            Self::Nowhere => Ok(buf.len()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Self::File(guard) => guard.flush(),
            Self::Nowhere => Ok(()),
        }
    }
}

impl<'a> MakeWriter<'a> for SharedFile {
    type Writer = Sink<'a>;
    fn make_writer(&'a self) -> Self::Writer {
        match self.0.lock() {
            Ok(guard) => Sink::File(Guard(guard)),
            Err(_) => Sink::Nowhere,
        }
    }
}

/// Open (append) the stage's log file and build the dispatcher for it.
pub fn stage_dispatch(run_dir: &Path, stage: &str) -> Result<(Dispatch, PathBuf), EngineError> {
    let dir = run_dir.join("logs");
    std::fs::create_dir_all(&dir).map_err(|e| EngineError::Io {
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    let path = dir.join(format!("stage_{stage}.log"));
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| EngineError::Io {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_ansi(false)
        .with_writer(SharedFile(Arc::new(Mutex::new(file))));
    let subscriber = tracing_subscriber::registry()
        .with(layer)
        .with(tracing_subscriber::filter::LevelFilter::INFO);
    Ok((Dispatch::new(subscriber), path))
}
