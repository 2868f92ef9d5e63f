//! The console's history in SQLite (`DATA_DIR/console.db`): plans, runs,
//! their steps and every event a run's stream carried (steps, throttled
//! transfers, stage-log lines, status changes), numbered per run so a
//! stream can be replayed and continued without a gap or a repeat.
//!
//! One connection behind a mutex, used from blocking threads only
//! ([`Store::call`]): the async tasks that serve requests and watch runs
//! never wait on the disk themselves. Nothing secret is written here: plan
//! summaries hold no passwords, targets are stored without their secrets.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::event_views::{self, Ended, StatusChanged};

/// Where a run is: stored in `runs.status` and shown by the API as these
/// lowercase words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Accepted, waiting for its fleet's place.
    Queued,
    Running,
    Ok,
    Warning,
    Failed,
    Aborted,
    /// The console stopped (or died) while the run was queued or running.
    Interrupted,
}

impl RunStatus {
    const ALL: [Self; 7] = [
        Self::Queued,
        Self::Running,
        Self::Ok,
        Self::Warning,
        Self::Failed,
        Self::Aborted,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
            Self::Interrupted => "interrupted",
        }
    }

    /// A run that ended short of its end, which Resume may continue.
    pub fn resumable(self) -> bool {
        matches!(self, Self::Interrupted | Self::Failed | Self::Aborted)
    }
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ToSql for RunStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for RunStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| FromSqlError::Other(format!("unknown run status {text:?}").into()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("database: a stored document does not parse: {0}")]
    Json(#[from] serde_json::Error),
    #[error("database: the worker thread stopped: {0}")]
    Join(String),
    #[error("database: the lock is poisoned")]
    Poisoned,
}

#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

/// One run's row.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: String,
    pub plan_id: String,
    pub cluster: String,
    pub status: RunStatus,
    /// `rehearsal` or `cluster`.
    pub target: String,
    /// The target as requested, without secrets (for resume).
    pub target_spec: Value,
    /// Whether the requested target held secrets (resume then needs it again).
    pub target_had_secrets: bool,
    pub dry_run: bool,
    pub stages: Vec<String>,
    pub from_run: Option<String>,
    pub fleet_id: Option<String>,
    pub started_at: String,
    pub started_ms: i64,
    pub duration_ms: Option<i64>,
    pub summary: Option<Value>,
    pub transfer: Option<Value>,
    pub error: Option<Value>,
    /// The workbook the run wrote its serial into, relative to the run dir.
    pub workbook_file: Option<String>,
    /// The name of the token that started it (`--token-file`); None on a
    /// console without named tokens.
    pub run_by: Option<String>,
    /// The name of the token that aborted it, when one did.
    pub aborted_by: Option<String>,
}

/// One event of a run's stream, numbered from 1.
#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub kind: String,
    pub data: Value,
}

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS plans (
    id TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    cluster TEXT NOT NULL,
    status TEXT NOT NULL,
    target TEXT NOT NULL,
    target_spec TEXT NOT NULL,
    target_had_secrets INTEGER NOT NULL,
    dry_run INTEGER NOT NULL,
    stages TEXT NOT NULL,
    from_run TEXT,
    fleet_id TEXT,
    started_at TEXT NOT NULL,
    started_ms INTEGER NOT NULL,
    duration_ms INTEGER,
    summary TEXT,
    transfer TEXT,
    error TEXT,
    workbook_file TEXT,
    run_by TEXT,
    aborted_by TEXT
);
-- The list reads the newest runs; a run's page looks for its resume.
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started_ms);
CREATE INDEX IF NOT EXISTS runs_by_origin ON runs (from_run);
CREATE TABLE IF NOT EXISTS steps (
    run_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (run_id, idx)
);
CREATE TABLE IF NOT EXISTS events (
    run_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
";

const RUN_COLUMNS: &str = "id, plan_id, cluster, status, target, target_spec, target_had_secrets, \
    dry_run, stages, from_run, fleet_id, started_at, started_ms, duration_ms, summary, transfer, \
    error, workbook_file, run_by, aborted_by";

/// Columns added to `runs` since its first version: a database an earlier
/// console made gets them on open (empty for its runs).
const ADDED_RUN_COLUMNS: [&str; 2] = ["run_by", "aborted_by"];

fn opt_json(text: Option<String>) -> Result<Option<Value>, StoreError> {
    Ok(match text {
        Some(text) => Some(serde_json::from_str(&text)?),
        None => None,
    })
}

fn run_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    let parse = |index: usize, text: String| {
        serde_json::from_str::<Value>(&text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
        })
    };
    let opt = |index: usize, text: Option<String>| match text {
        Some(text) => parse(index, text).map(Some),
        None => Ok(None),
    };
    let stages: Value = parse(8, row.get(8)?)?;
    Ok(RunRow {
        id: row.get(0)?,
        plan_id: row.get(1)?,
        cluster: row.get(2)?,
        status: row.get(3)?,
        target: row.get(4)?,
        target_spec: parse(5, row.get(5)?)?,
        target_had_secrets: row.get(6)?,
        dry_run: row.get(7)?,
        stages: stages
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        from_run: row.get(9)?,
        fleet_id: row.get(10)?,
        started_at: row.get(11)?,
        started_ms: row.get(12)?,
        duration_ms: row.get(13)?,
        summary: opt(14, row.get(14)?)?,
        transfer: opt(15, row.get(15)?)?,
        error: opt(16, row.get(16)?)?,
        workbook_file: row.get(17)?,
        run_by: row.get(18)?,
        aborted_by: row.get(19)?,
    })
}

impl Store {
    /// Opens (creating) the database, and marks the runs a dead process
    /// left `queued` or `running` as `interrupted`, closing their streams.
    pub fn open(path: &Path) -> Result<(Self, Vec<String>), StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(SCHEMA)?;
        let present = {
            let mut statement = conn.prepare("SELECT name FROM pragma_table_info('runs')")?;
            statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        for column in ADDED_RUN_COLUMNS {
            if !present.iter().any(|name| name == column) {
                conn.execute_batch(&format!("ALTER TABLE runs ADD COLUMN {column} TEXT"))?;
            }
        }
        let interrupted = {
            let mut statement = conn.prepare("SELECT id FROM runs WHERE status IN (?1, ?2)")?;
            statement
                .query_map(params![RunStatus::Queued, RunStatus::Running], |row| {
                    row.get::<_, String>(0)
                })?
                .collect::<Result<Vec<_>, _>>()?
        };
        for id in &interrupted {
            let interrupted = RunStatus::Interrupted;
            let status = event_views::value(&StatusChanged {
                status: interrupted,
            });
            let end = event_views::value(&Ended {
                status: interrupted,
                summary: &Value::Null,
                error: None,
            });
            let tx = conn.unchecked_transaction()?;
            tx.execute(
                "UPDATE runs SET status = ?2 WHERE id = ?1",
                params![id, interrupted],
            )?;
            for (kind, data) in [("status", status), ("end", end)] {
                tx.execute(
                    "INSERT INTO events (run_id, seq, kind, data) VALUES (?1, \
                     (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE run_id = ?1), ?2, ?3)",
                    params![id, kind, data.to_string()],
                )?;
            }
            tx.commit()?;
        }
        Ok((
            Self {
                conn: Arc::new(Mutex::new(conn)),
            },
            interrupted,
        ))
    }

    /// Runs `f` with the connection on a blocking thread.
    pub async fn call<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().map_err(|_| StoreError::Poisoned)?;
            f(&guard)
        })
        .await
        .map_err(|e| StoreError::Join(e.to_string()))?
    }

    pub async fn insert_plan(&self, id: String, body: Value) -> Result<(), StoreError> {
        let now = now_ms();
        self.call(move |conn| {
            conn.execute(
                // An id is its content's: the same plan again replaces
                // its row (a row lost while its file stayed).
                "INSERT OR REPLACE INTO plans (id, created_ms, body) VALUES (?1, ?2, ?3)",
                params![id, now, body.to_string()],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn plan(&self, id: String) -> Result<Option<Value>, StoreError> {
        self.call(move |conn| {
            let text: Option<String> = conn
                .query_row("SELECT body FROM plans WHERE id = ?1", params![id], |row| {
                    row.get(0)
                })
                .optional()?;
            opt_json(text)
        })
        .await
    }

    pub async fn plans(&self) -> Result<Vec<Value>, StoreError> {
        self.call(|conn| {
            let mut statement =
                conn.prepare("SELECT body FROM plans ORDER BY created_ms DESC, rowid DESC")?;
            let rows = statement
                .query_map([], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|text| Ok(serde_json::from_str(&text)?))
                .collect()
        })
        .await
    }

    /// Every plan's id and when it was uploaded (ms since the epoch).
    pub async fn plan_ages(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.call(|conn| {
            let mut statement = conn.prepare("SELECT id, created_ms FROM plans")?;
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    pub async fn delete_plan(&self, id: String) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute("DELETE FROM plans WHERE id = ?1", params![id])?;
            Ok(())
        })
        .await
    }

    /// A run's row, steps and events, in one transaction.
    pub async fn delete_run(&self, id: String) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute_batch("BEGIN")?;
            let deleted = (|| {
                conn.execute("DELETE FROM events WHERE run_id = ?1", params![id])?;
                conn.execute("DELETE FROM steps WHERE run_id = ?1", params![id])?;
                conn.execute("DELETE FROM runs WHERE id = ?1", params![id])?;
                Ok::<(), rusqlite::Error>(())
            })();
            match deleted {
                Ok(()) => conn.execute_batch("COMMIT")?,
                Err(error) => {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(error.into());
                }
            }
            Ok(())
        })
        .await
    }

    pub async fn insert_run(&self, run: RunRow) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute(
                &format!(
                    "INSERT INTO runs ({RUN_COLUMNS}) VALUES \
                     (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, \
                     ?19, ?20)"
                ),
                params![
                    run.id,
                    run.plan_id,
                    run.cluster,
                    run.status,
                    run.target,
                    run.target_spec.to_string(),
                    run.target_had_secrets,
                    run.dry_run,
                    Value::from(run.stages.clone()).to_string(),
                    run.from_run,
                    run.fleet_id,
                    run.started_at,
                    run.started_ms,
                    run.duration_ms,
                    run.summary.map(|v| v.to_string()),
                    run.transfer.map(|v| v.to_string()),
                    run.error.map(|v| v.to_string()),
                    run.workbook_file,
                    run.run_by,
                    run.aborted_by,
                ],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn run(&self, id: String) -> Result<Option<RunRow>, StoreError> {
        self.call(move |conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"),
                    params![id],
                    run_of,
                )
                .optional()?)
        })
        .await
    }

    /// The newest `limit` runs, newest first.
    pub async fn newest_runs(&self, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.call(move |conn| {
            let mut statement = conn.prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY started_ms DESC, rowid DESC LIMIT ?1"
            ))?;
            let rows = statement
                .query_map(params![limit], run_of)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    /// The newest run started from run `id` (its resume), if any.
    pub async fn resumed_by(&self, id: String) -> Result<Option<String>, StoreError> {
        self.call(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id FROM runs WHERE from_run = ?1 \
                     ORDER BY started_ms DESC, rowid DESC LIMIT 1",
                    params![id],
                    |row| row.get(0),
                )
                .optional()?)
        })
        .await
    }

    pub async fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        self.call(|conn| {
            let mut statement = conn.prepare(&format!(
                "SELECT {RUN_COLUMNS} FROM runs ORDER BY started_ms DESC, rowid DESC"
            ))?;
            let rows = statement
                .query_map([], run_of)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    pub async fn steps(&self, id: String) -> Result<Vec<Value>, StoreError> {
        self.call(move |conn| {
            let mut statement =
                conn.prepare("SELECT body FROM steps WHERE run_id = ?1 ORDER BY idx")?;
            let rows = statement
                .query_map(params![id], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|text| Ok(serde_json::from_str(&text)?))
                .collect()
        })
        .await
    }

    /// Every event of `id` after `after`, in order.
    pub async fn events_after(
        &self,
        id: String,
        after: i64,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        self.call(move |conn| {
            let mut statement = conn.prepare(
                "SELECT seq, kind, data FROM events WHERE run_id = ?1 AND seq > ?2 ORDER BY seq",
            )?;
            let rows = statement
                .query_map(params![id, after], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            rows.into_iter()
                .map(|(seq, kind, data)| {
                    Ok(StoredEvent {
                        seq,
                        kind,
                        data: serde_json::from_str(&data)?,
                    })
                })
                .collect()
        })
        .await
    }

    /// Records who aborted run `id` (the name of their token).
    pub async fn set_aborted_by(&self, id: String, name: String) -> Result<(), StoreError> {
        self.call(move |conn| {
            conn.execute(
                "UPDATE runs SET aborted_by = ?2 WHERE id = ?1",
                params![id, name],
            )?;
            Ok(())
        })
        .await
    }

    /// Records one event, and what it changes in the run's row, in one
    /// transaction.
    pub async fn record(
        &self,
        id: String,
        event: StoredEvent,
        change: RowChange,
    ) -> Result<(), StoreError> {
        self.call(move |conn| {
            let tx = conn.unchecked_transaction()?;
            tx.execute(
                "INSERT INTO events (run_id, seq, kind, data) VALUES (?1, ?2, ?3, ?4)",
                params![id, event.seq, event.kind, event.data.to_string()],
            )?;
            match change {
                RowChange::None => {}
                RowChange::Step => {
                    tx.execute(
                        "INSERT INTO steps (run_id, idx, body) VALUES (?1, \
                         (SELECT COALESCE(MAX(idx), 0) + 1 FROM steps WHERE run_id = ?1), ?2)",
                        params![id, event.data.to_string()],
                    )?;
                }
                RowChange::Transfer => {
                    tx.execute(
                        "UPDATE runs SET transfer = ?2 WHERE id = ?1",
                        params![id, event.data.to_string()],
                    )?;
                }
                RowChange::Status(status) => {
                    tx.execute(
                        "UPDATE runs SET status = ?2 WHERE id = ?1",
                        params![id, status],
                    )?;
                }
                RowChange::End {
                    status,
                    duration_ms,
                    error,
                    workbook_file,
                } => {
                    tx.execute(
                        "UPDATE runs SET status = ?2, summary = ?3, duration_ms = ?4, error = ?5, \
                         workbook_file = COALESCE(?6, workbook_file) WHERE id = ?1",
                        params![
                            id,
                            status,
                            (!event.data["summary"].is_null())
                                .then(|| event.data["summary"].to_string()),
                            duration_ms,
                            error.map(|e| e.to_string()),
                            workbook_file,
                        ],
                    )?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

/// What an event changes in the run's own row besides the event log.
#[derive(Debug, Clone)]
pub enum RowChange {
    None,
    Step,
    Transfer,
    Status(RunStatus),
    End {
        status: RunStatus,
        duration_ms: i64,
        error: Option<Value>,
        workbook_file: Option<String>,
    },
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub fn rfc3339_now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}
