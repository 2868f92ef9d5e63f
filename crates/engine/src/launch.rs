//! The launch: every refusal a run has before its first call, made once and
//! in one order, for every front end (the CLI's single run and `demo`, each
//! member of a CLI fleet, the web console). A front end builds its
//! [`Settings`] and reads its workbook, then calls [`prepare`]; what comes
//! back is either a [`LaunchRefusal`] (bad input: the front end says why and
//! starts nothing) or a [`PreparedRun`] that holds its run directory and
//! starts with [`PreparedRun::run`].
//!
//! The order: the settings' files (the named VMTools ISO, the CA
//! certificate), the earlier run's context (`from_dir`: readable, of this
//! cluster, of this kind), then the run directory (created, and its
//! `run.lock` taken, so a second run on it is refused here and not halfway).
//! A new refusal goes here, as a variant of [`LaunchRefusal`] (or of
//! [`PreflightError`] when it is a check of the settings alone) with its
//! Chinese in `messages/errors.rs`.

use std::path::{Path, PathBuf};

use smtx_plan::Plan;

use crate::launch_record::{LaunchRecord, LaunchedBy};
use crate::lock::RunLock;
use crate::preflight::{self, PreflightError};
use crate::{
    CancellationToken, EngineError, ProgressSink, RunContext, RunReport, RunRequest, Settings,
    Stage, Workbook,
};

/// What a front end asks to start.
#[derive(Debug, Clone)]
pub struct LaunchRequest {
    pub settings: Settings,
    pub workbook: Workbook,
    pub stages: Vec<Stage>,
    /// An earlier run's directory to start from (`--from`, the console's
    /// resume): its context must be readable and belong to this run.
    pub from_dir: Option<PathBuf>,
    /// Who asks, and what it needs to start this run again: kept in the
    /// run directory (`launch.json`) for a resume.
    pub front_end: LaunchedBy,
}

/// Why a run is refused before its first call: bad input, never a run.
#[derive(Debug, thiserror::Error)]
pub enum LaunchRefusal {
    /// A check of the settings or of the earlier context (a missing ISO, a
    /// CA without a certificate, a context of another cluster or kind).
    #[error(transparent)]
    Preflight(#[from] PreflightError),
    /// The earlier run's context cannot be read (no `context.json`, not one).
    #[error("{}: cannot start from this run: {error}", dir.display())]
    FromUnreadable {
        dir: PathBuf,
        error: Box<EngineError>,
    },
    /// Another run holds the run directory's lock.
    #[error("{}: another run is using this run directory{}; wait for it to end or choose another run directory", run_dir.display(), holder.map(|pid| format!(" (pid {pid})")).unwrap_or_default())]
    RunDirBusy {
        run_dir: PathBuf,
        holder: Option<u32>,
    },
    /// The run directory (or its lock file) cannot be created.
    #[error("{}: cannot use it as the run directory: {reason}", path.display())]
    RunDirUnusable { path: PathBuf, reason: String },
}

/// A run that passed every refusal: its run directory is locked until it
/// ends (or until this is dropped).
#[derive(Debug)]
pub struct PreparedRun {
    settings: Settings,
    workbook: Workbook,
    stages: Vec<Stage>,
    from: Option<RunContext>,
    lock: RunLock,
}

impl PreparedRun {
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn workbook(&self) -> &Workbook {
        &self.workbook
    }

    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// The earlier run's context it starts from, checked.
    pub fn from(&self) -> Option<&RunContext> {
        self.from.as_ref()
    }

    /// Runs it: [`crate::run`] on the directory this holds.
    pub async fn run(
        self,
        progress: ProgressSink,
        cancel: CancellationToken,
    ) -> Result<RunReport, EngineError> {
        let Self {
            settings,
            workbook,
            stages,
            from,
            lock,
        } = self;
        let request = RunRequest {
            settings,
            workbook,
            stages,
            from,
            progress,
            cancel,
        };
        crate::run_locked(request, lock).await
    }
}

/// Every refusal before a run's first call, in one order (see the module):
/// a refused run has touched nothing but, perhaps, created its (empty) run
/// directory.
pub fn prepare(request: LaunchRequest) -> Result<PreparedRun, LaunchRefusal> {
    let LaunchRequest {
        settings,
        workbook,
        stages,
        from_dir,
        front_end,
    } = request;
    preflight::vmtools_iso(&settings)?;
    preflight::ca_cert(&settings)?;
    preflight::serial_cell(&settings, &workbook.plan)?;
    let from = match &from_dir {
        Some(dir) => Some(from_context(dir, &workbook.plan, settings.rehearsal)?),
        None => None,
    };
    let lock = claim_run_dir(&settings.run_dir)?;
    // Written once the directory is ours: a refused run leaves none, and
    // a resume reads what this run was started with, not a command line.
    LaunchRecord::new(
        &workbook.path,
        &stages,
        settings.rehearsal,
        settings.dry_run,
        front_end,
    )
    .save(&settings.run_dir)
    .map_err(|error| LaunchRefusal::RunDirUnusable {
        path: settings.run_dir.join(crate::LAUNCH_FILE),
        reason: error.to_string(),
    })?;
    Ok(PreparedRun {
        settings,
        workbook,
        stages,
        from,
        lock,
    })
}

/// The earlier run's context in `dir`, if it belongs to a run of `plan`
/// of this kind (`rehearsal`). Part of [`prepare`]; public for a front end
/// that knows the kind before its settings (the console's rehearsal, whose
/// settings exist once its simulator runs) and refuses early.
pub fn from_context(dir: &Path, plan: &Plan, rehearsal: bool) -> Result<RunContext, LaunchRefusal> {
    let context = RunContext::load(dir).map_err(|error| LaunchRefusal::FromUnreadable {
        dir: dir.to_path_buf(),
        error: Box::new(error),
    })?;
    match preflight::from_mismatch(&context, plan, rehearsal) {
        Some(why) => Err(PreflightError::FromMismatch { why }.into()),
        None => Ok(context),
    }
}

/// Creates the run directory if needed and takes its `run.lock`.
fn claim_run_dir(run_dir: &Path) -> Result<RunLock, LaunchRefusal> {
    std::fs::create_dir_all(run_dir).map_err(|e| LaunchRefusal::RunDirUnusable {
        path: run_dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    RunLock::acquire(run_dir).map_err(|error| match error {
        EngineError::RunDirBusy { run_dir, holder } => {
            LaunchRefusal::RunDirBusy { run_dir, holder }
        }
        EngineError::Io { path, reason } => LaunchRefusal::RunDirUnusable { path, reason },
        other => LaunchRefusal::RunDirUnusable {
            path: run_dir.to_path_buf(),
            reason: other.to_string(),
        },
    })
}

/// Whether `run_dir` is free: a test's way to see a [`PreparedRun`] holds it.
#[cfg(test)]
fn is_free(run_dir: &Path) -> bool {
    crate::DirLock::acquire(&run_dir.join(crate::LOCK_FILE)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preflight::{FromMismatch, IsoProblem};
    use crate::{Localize, SettingsLayer};
    use smtx_i18n::Lang;

    struct Site {
        dir: tempfile::TempDir,
        workbook: Workbook,
    }

    fn site() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.xlsx");
        smtx_plan::fixture::WorkbookSpec::example(1)
            .write_to(&path)
            .expect("fixture written");
        let bytes = smtx_plan::read_workbook_file(&path, &smtx_plan::WorkbookLimits::DEFAULT)
            .expect("read");
        let parsed = smtx_plan::parse_workbook(&bytes, "w.xlsx").expect("parsed");
        assert!(!parsed.has_errors());
        Site {
            workbook: Workbook {
                path,
                plan: parsed.plan,
            },
            dir,
        }
    }

    impl Site {
        fn request(&self, run: &str, edit: impl FnOnce(&mut Settings)) -> LaunchRequest {
            let run_dir = self.dir.path().join(run);
            let mut settings = SettingsLayer::default()
                .resolve(run_dir, self.dir.path().to_path_buf(), |_| {
                    Ok::<_, std::io::Error>(Vec::new())
                })
                .expect("defaults resolve");
            edit(&mut settings);
            LaunchRequest {
                settings,
                workbook: self.workbook.clone(),
                stages: Stage::ALL.to_vec(),
                from_dir: None,
                front_end: LaunchedBy::Console,
            }
        }

        /// An earlier run's directory holding `context`.
        fn earlier(&self, name: &str, context: serde_json::Value) -> PathBuf {
            let dir = self.dir.path().join(name);
            std::fs::create_dir_all(&dir).expect("dir");
            std::fs::write(dir.join(crate::CONTEXT_FILE), context.to_string()).expect("written");
            dir
        }
    }

    /// Every refusal reads in both languages, the Chinese with nothing
    /// English left.
    fn says_why(refusal: &LaunchRefusal) {
        let zh = refusal.localize(Lang::ZhCn);
        assert_eq!(refusal.localize(Lang::En), refusal.to_string());
        assert!(smtx_i18n::untranslated_words(&zh).is_empty(), "{zh}");
    }

    #[test]
    fn a_clean_request_holds_its_run_directory_until_dropped() {
        let site = site();
        let prepared = prepare(site.request("run-1", |_| {})).expect("prepared");
        let run_dir = prepared.settings().run_dir.clone();
        assert!(run_dir.is_dir());
        assert!(!is_free(&run_dir));
        let record = LaunchRecord::load(&run_dir)
            .expect("reads")
            .expect("the run records how it was started");
        assert_eq!(record.workbook, site.workbook.path);
        assert_eq!(record.stages().expect("stages"), Stage::ALL);
        assert_eq!(record.front_end, LaunchedBy::Console);
        let second = prepare(site.request("run-1", |_| {})).expect_err("busy");
        assert!(
            matches!(&second, LaunchRefusal::RunDirBusy { holder: Some(pid), .. } if *pid == std::process::id()),
            "{second:?}"
        );
        says_why(&second);
        drop(prepared);
        assert!(is_free(&run_dir));
    }

    #[test]
    fn a_missing_iso_is_refused_and_no_run_directory_is_made() {
        let site = site();
        let missing = site.dir.path().join("missing.iso");
        let refusal = prepare(site.request("run-1", |s| s.vmtools_iso = Some(missing.clone())))
            .expect_err("refused");
        assert!(
            matches!(
                &refusal,
                LaunchRefusal::Preflight(PreflightError::MissingIso {
                    reason: IsoProblem::Io(_),
                    ..
                })
            ),
            "{refusal:?}"
        );
        says_why(&refusal);
        assert!(
            !site
                .dir
                .path()
                .join("run-1")
                .join(crate::LAUNCH_FILE)
                .exists()
        );
        assert!(!site.dir.path().join("run-1").exists());
    }

    #[test]
    fn an_iso_that_is_a_directory_is_refused() {
        let site = site();
        let dir = site.dir.path().to_path_buf();
        let refusal =
            prepare(site.request("run-1", |s| s.vmtools_iso = Some(dir))).expect_err("refused");
        assert!(
            matches!(
                &refusal,
                LaunchRefusal::Preflight(PreflightError::MissingIso {
                    reason: IsoProblem::NotAFile,
                    ..
                })
            ),
            "{refusal:?}"
        );
        says_why(&refusal);
    }

    #[test]
    fn a_ca_without_a_certificate_is_refused() {
        let site = site();
        let refusal = prepare(site.request("run-1", |s| {
            s.ca_cert = Some((PathBuf::from("ca.pem"), b"not a certificate".to_vec()));
        }))
        .expect_err("refused");
        assert!(
            matches!(
                &refusal,
                LaunchRefusal::Preflight(PreflightError::BadCa { .. })
            ),
            "{refusal:?}"
        );
        says_why(&refusal);
    }

    #[test]
    fn a_serial_cell_that_is_no_cell_is_refused_before_the_run() {
        for bad in ["E19", "主机规划E19", "主机规划!", "!E19"] {
            let site = site();
            let refusal = prepare(site.request("run-1", |s| s.serial_cell = Some(bad.into())))
                .expect_err("refused");
            assert!(
                matches!(
                    &refusal,
                    LaunchRefusal::Preflight(PreflightError::BadSerialCell { cell, .. }) if cell == bad
                ),
                "{bad}: {refusal:?}"
            );
            says_why(&refusal);
            assert!(!site.dir.path().join("run-1").exists());
        }
        let site = site();
        prepare(site.request("run-1", |s| s.serial_cell = Some("主机规划!F19".into())))
            .expect("a cell of a sheet is taken");
    }

    #[test]
    fn a_from_directory_without_a_context_is_refused() {
        let site = site();
        let mut request = site.request("run-1", |_| {});
        request.from_dir = Some(site.dir.path().join("nowhere"));
        let refusal = prepare(request).expect_err("refused");
        assert!(
            matches!(&refusal, LaunchRefusal::FromUnreadable { .. }),
            "{refusal:?}"
        );
        says_why(&refusal);
        let mut request = site.request("run-2", |_| {});
        request.from_dir = Some(site.earlier("garbled", serde_json::json!([1, 2])));
        let refusal = prepare(request).expect_err("refused");
        assert!(
            matches!(
                &refusal,
                LaunchRefusal::FromUnreadable { error, .. }
                    if matches!(**error, EngineError::NotAContext { .. })
            ),
            "{refusal:?}"
        );
    }

    #[test]
    fn a_from_context_of_another_cluster_is_refused() {
        let site = site();
        let mut request = site.request("run-1", |_| {});
        request.from_dir = Some(site.earlier(
            "other",
            serde_json::json!({ "extra": { "prepare": { "workbook": { "cluster_name": "CN-XX-99" } } } }),
        ));
        let refusal = prepare(request).expect_err("refused");
        assert!(
            matches!(
                &refusal,
                LaunchRefusal::Preflight(PreflightError::FromMismatch {
                    why: FromMismatch::OtherCluster { .. }
                })
            ),
            "{refusal:?}"
        );
        says_why(&refusal);
    }

    #[test]
    fn a_from_context_of_the_other_kind_is_refused_and_of_this_kind_is_kept() {
        let site = site();
        let rehearsal = site.earlier(
            "rehearsal",
            serde_json::json!({ "config": { "rehearsal": true } }),
        );
        let mut request = site.request("run-1", |s| s.rehearsal = false);
        request.from_dir = Some(rehearsal.clone());
        let refusal = prepare(request).expect_err("refused");
        assert!(
            matches!(
                &refusal,
                LaunchRefusal::Preflight(PreflightError::FromMismatch {
                    why: FromMismatch::RehearsalInLiveRun
                })
            ),
            "{refusal:?}"
        );
        says_why(&refusal);
        assert!(!site.dir.path().join("run-1").exists());
        let mut request = site.request("run-2", |s| s.rehearsal = true);
        request.from_dir = Some(rehearsal);
        let prepared = prepare(request).expect("the same kind is taken");
        assert!(prepared.from().is_some());
    }

    #[test]
    fn a_run_directory_that_cannot_be_made_is_refused() {
        let site = site();
        let file = site.dir.path().join("a-file");
        std::fs::write(&file, b"x").expect("written");
        let refusal = prepare(site.request("a-file/run-1", |_| {})).expect_err("refused");
        assert!(
            matches!(&refusal, LaunchRefusal::RunDirUnusable { .. }),
            "{refusal:?}"
        );
        says_why(&refusal);
    }
}
