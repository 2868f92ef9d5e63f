//! The CLI catalog's tests: every message in both languages.

use super::*;

#[test]
fn override_errors_render_in_both_languages() {
    use smtx_api::AddressOverrideError::*;
    let text = || "10.0.20.11=x".to_string();
    let errors = [
        NoEquals { text: text() },
        BadTarget {
            text: text(),
            target: "x".to_string(),
        },
        EmptyHost { text: text() },
    ];
    for error in &errors {
        match error {
            NoEquals { .. } | BadTarget { .. } | EmptyHost { .. } => {}
        }
        assert_eq!(override_error(Lang::En, error), error.to_string());
        let zh = override_error(Lang::ZhCn, error);
        assert!(smtx_i18n::untranslated_words(&zh).is_empty(), "{zh}");
    }
}

#[test]
fn summaries_count_every_status() {
    let counts = StepCounts {
        ok: 14,
        warning: 2,
        skipped: 1,
        failed: 0,
        aborted: 0,
    };
    assert_eq!(
        summary_line(Lang::En, counts),
        "done: 14 ok, 2 warnings, 1 skipped"
    );
    assert_eq!(
        summary_line(Lang::ZhCn, counts),
        "完成：成功 14 项，警告 2 项，跳过 1 项"
    );
    let failed = StepCounts {
        ok: 3,
        warning: 1,
        skipped: 0,
        failed: 1,
        aborted: 0,
    };
    assert_eq!(
        summary_line(Lang::En, failed),
        "failed: 3 ok, 1 warning, 1 failed"
    );
    let aborted = StepCounts {
        ok: 5,
        aborted: 1,
        ..StepCounts::default()
    };
    assert_eq!(summary_line(Lang::En, aborted), "aborted: 5 ok, 1 aborted");
    assert_eq!(
        summary_line(Lang::ZhCn, aborted),
        "已中止：成功 5 项，中止 1 项"
    );
    assert_eq!(
        summary_line(Lang::ZhCn, failed),
        "失败：成功 3 项，警告 1 项，失败 1 项"
    );
}

fn s(text: &str) -> String {
    text.to_string()
}

fn assert_whole<M: Localize>(
    variants: &[&str],
    samples: &[M],
    variant_of: impl Fn(&M) -> &'static str,
) {
    let problems = smtx_i18n::catalog_problems(variants, samples, variant_of);
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Every message of the CLI's catalogs, in both languages.
#[test]
fn every_cli_message_renders_in_both_languages() {
    let error = Text {
        en: s("API client: no API base"),
        zh_cn: s("API 客户端：没有 API 地址"),
    };
    let path = || s("/srv/site/runs/a");
    let mut samples = vec![
        CliMsg::CannotReadWorkbook {
            file: s("w.xlsx"),
            reason: Text::of(&smtx_plan::WorkbookFileError::Read {
                cause: s("No such file or directory (os error 2)"),
            }),
        },
        CliMsg::CannotReadWorkbook {
            file: s("w.xlsx"),
            reason: Text::of(&smtx_plan::WorkbookFileError::Directory),
        },
        CliMsg::CaUnreadable {
            path: s("ca.pem"),
            cause: s("No such file or directory (os error 2)"),
        },
        CliMsg::RehearsalCopy {
            copy: path(),
            original: s("w.xlsx"),
        },
        CliMsg::SeeLog { log: path() },
        CliMsg::FromUnreadable {
            error: error.clone(),
        },
        CliMsg::MissingIso {
            iso: s("x.iso"),
            reason: smtx_engine::preflight::IsoProblem::NotAFile,
        },
        CliMsg::RunFailed {
            error: error.clone(),
        },
        CliMsg::CannotPrintReport,
        CliMsg::PathError {
            path: path(),
            reason: Text::io(&std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
        },
        CliMsg::PathError {
            path: path(),
            reason: Text::io(&std::io::Error::other("Input/output error")),
        },
        CliMsg::PlansWildcardInDir {
            pattern: s("sites/*/x.xlsx"),
        },
        CliMsg::PlansNotFound { pattern: path() },
        CliMsg::PlansNoWorkbook { pattern: path() },
        CliMsg::PlansSameName {
            first: s("a/w.xlsx"),
            second: s("b/w.xlsx"),
            stem: s("w"),
        },
        CliMsg::TooManyRunDirs { name: path() },
        CliMsg::SimNode {
            name: s("node-01"),
            ip: s("10.0.20.11"),
            url: s("https://127.0.0.1:4443"),
            ssh: Some(s("127.0.0.1:2222")),
        },
        CliMsg::CannotCreate { path: path() },
        CliMsg::CannotWrite { path: path() },
        CliMsg::CannotStartSim,
        CliMsg::ExampleInvalid,
        CliMsg::NoRuntime {
            reason: s("too many open files"),
        },
        CliMsg::Stopping,
        CliMsg::QuitNow,
        CliMsg::Aborted,
        CliMsg::AbortedStartAgain,
        CliMsg::ConsoleToken {
            token: s("0123456789abcdef0123456789abcdef"),
        },
        CliMsg::ConsoleStopping,
        CliMsg::ConsoleFailed {
            error: error.clone(),
        },
        CliMsg::NoLaunchRecord { dir: path() },
        CliMsg::ResumeOfDemo { dir: path() },
        CliMsg::ResumeOfConsoleRun { dir: path() },
        CliMsg::NoDeliveryRecord {
            dir: path(),
            error: error.clone(),
        },
        CliMsg::ConsoleDataDirUnusable {
            error: error.clone(),
        },
        CliMsg::PlanOrFrom,
        CliMsg::ResumeConflict {
            dir: path(),
            given: s("--vmtools-iso /site/b.iso"),
            recorded: s("--vmtools-iso /site/a.iso"),
        },
        CliMsg::Upload {
            file: s("SMTX_VMTOOLS-3.2.0.iso"),
            bytes_done: 1 << 20,
            total: 2 << 20,
            bytes_per_sec: 1 << 20,
            eta_secs: Some(1),
        },
    ];
    for why in [
        FromMismatch::OtherCluster {
            recorded: s("CN-BJ-01"),
            planned: s("CN-SH-02"),
        },
        FromMismatch::OtherHosts {
            recorded: s("10.0.20.11"),
            planned: s("10.0.30.11"),
        },
        FromMismatch::RehearsalInLiveRun,
        FromMismatch::LiveInRehearsal,
    ] {
        samples.push(CliMsg::FromMismatch { dir: path(), why });
    }
    assert_whole(CliMsg::VARIANTS, &samples, CliMsg::variant);

    let plan = [
        PlanMsg::WorkbookHeader { file: s("w.xlsx") },
        PlanMsg::RenderingJson,
        PlanMsg::SerialWritten {
            file: s("w.xlsx"),
            serial: s("e47a1fc9"),
            cell: s("主机规划!E19"),
            previous: Some(s("0000")),
        },
        PlanMsg::SerialWritten {
            file: s("w.xlsx"),
            serial: s("e47a1fc9"),
            cell: s("主机规划!E19"),
            previous: None,
        },
        PlanMsg::SerialAlreadyThere {
            file: s("w.xlsx"),
            cell: s("主机规划!E19"),
            serial: s("e47a1fc9"),
        },
        PlanMsg::SetSerialOpenHint,
        PlanMsg::SetSerialInUseHint,
        PlanMsg::SetSerialOccupiedHint,
        PlanMsg::SetSerialReadOnlyHint,
    ];
    assert_whole(PlanMsg::VARIANTS, &plan, PlanMsg::variant);

    let sim = [
        SimMsg::SimWorkbookErrors {
            file: s("w.xlsx"),
            count: 2,
        },
        SimMsg::SimCheckHint { file: s("w.xlsx") },
        SimMsg::ChunkSizeZero,
        SimMsg::CannotReadScenario {
            path: s("s.toml"),
            reason: s("No such file"),
        },
        SimMsg::BadScenario {
            path: s("s.toml"),
            reason: s("unknown fault kind"),
        },
        SimMsg::EmptyControlToken,
        SimMsg::StartingSim,
        SimMsg::SimVip {
            ip: s("10.0.20.10"),
            url: s("https://127.0.0.1:4444"),
            ssh: None,
        },
        SimMsg::SimControl {
            url: s("https://127.0.0.1:4443"),
            token: true,
        },
        SimMsg::SimSettingsFile {
            path: s("sim.toml"),
        },
        SimMsg::SimRunHint {
            config: s("sim.toml"),
            workbook: s("w.xlsx"),
        },
        SimMsg::SimCurlHint {
            command: s("curl --insecure https://10.0.20.11/_sim/state"),
        },
        SimMsg::Simulating,
        SimMsg::StoppingSim,
        SimMsg::WaitingForCtrlC,
        SimMsg::Resolving {
            path: s("sim.toml"),
        },
        SimMsg::Creating {
            path: s("/srv/site"),
        },
        SimMsg::Writing {
            path: s("sim.toml"),
        },
        SimMsg::FleetUnreadable {
            file: s("a.xlsx"),
            reason: Text::of(&smtx_plan::WorkbookFileError::Directory),
        },
        SimMsg::FleetWorkbookErrors {
            file: s("a.xlsx"),
            count: 3,
        },
        SimMsg::FleetSameName {
            file: s("b/a.xlsx"),
            stem: s("a"),
        },
        SimMsg::FleetSharedAddress {
            first: s("a"),
            second: s("b"),
            address: s("10.0.20.11"),
        },
        SimMsg::FleetNeedsWriteConfigs,
        SimMsg::FleetNothingToSimulate,
        SimMsg::StartingFleet,
        SimMsg::FleetMember {
            stem: s("a"),
            cluster: s("CN-BJ-01"),
            hosts: 4,
            control: s("https://127.0.0.1:4443"),
            settings: s("configs/a.toml"),
        },
        SimMsg::FleetRunHint {
            plans: s("plans"),
            configs: s("configs"),
        },
        SimMsg::FleetSimulating { count: 2 },
        SimMsg::FleetStopping,
    ];
    assert_whole(SimMsg::VARIANTS, &sim, SimMsg::variant);

    let serve = [
        ServeMsg::PlainHttpOffLoopback {
            addr: s("0.0.0.0:8080"),
        },
        ServeMsg::PlainHttpWarning {
            addr: s("0.0.0.0:8080"),
        },
        ServeMsg::TokenAndTokenFile,
        ServeMsg::NamedTokens {
            names: vec![s("alice"), s("bob")],
        },
    ];
    assert_whole(ServeMsg::VARIANTS, &serve, ServeMsg::variant);
}

/// What the console says of its token file and its certificate, as
/// `serve` prints it: Chinese with no English left.
#[test]
fn token_file_and_tls_errors_render_in_chinese() {
    use smtx_console::TokenFileError;
    use smtx_console::tls::{TlsError, TlsFileProblem};
    use smtx_console::tokens::LineProblem;
    fn both(error: &impl Localize) -> (String, String) {
        (error.localize(Lang::En), error.localize(Lang::ZhCn))
    }
    let path = || std::path::PathBuf::from("/srv/site/tokens");
    let mut errors = vec![
        both(&TokenFileError::Shared { path: path() }),
        both(&TokenFileError::Unreadable {
            path: path(),
            reason: s("Permission denied (os error 13)"),
        }),
        both(&TokenFileError::TooLarge {
            path: path(),
            limit: 1024,
        }),
        both(&TokenFileError::Empty { path: path() }),
        both(&TlsError::Mismatch {
            cert: path(),
            key: path(),
        }),
        both(&TlsError::SelfSigned {
            path: path(),
            reason: s("No space left on device"),
        }),
    ];
    for problem in [
        LineProblem::NoToken,
        LineProblem::ExtraField,
        LineProblem::BadName,
        LineProblem::DuplicateName { first: 2 },
        LineProblem::DuplicateToken { first: 2 },
    ] {
        errors.push(both(&TokenFileError::Line {
            path: path(),
            line: 3,
            problem,
        }));
    }
    for problem in [
        TlsFileProblem::Unreadable(s("No such file or directory (os error 2)")),
        TlsFileProblem::NotPem(s("illegal section start")),
        TlsFileProblem::NoCertificate,
        TlsFileProblem::NoKey,
        TlsFileProblem::Invalid(s("bad encoding")),
    ] {
        errors.push(both(&TlsError::Cert {
            path: path(),
            problem: problem.clone(),
        }));
        errors.push(both(&TlsError::Key {
            path: path(),
            problem,
        }));
    }
    for (en, zh) in &errors {
        assert!(smtx_i18n::has_cjk(zh), "{zh}");
        let english = smtx_i18n::untranslated_words(zh);
        assert!(english.is_empty(), "{english:?} in {zh}");
        assert_ne!(zh, en);
    }
}

/// The fixed words and lines: Chinese, with no English left, in the
/// glossary's words (each paired with its English).
#[test]
fn fixed_words_and_lines_render_in_chinese() {
    use Msg::*;
    let render = |lang: Lang| -> Vec<String> {
        let mut lines: Vec<String> = [
            Stage,
            Step,
            Status,
            Time,
            Summary,
            RunDir,
            Workbook,
            Serial,
            DryRunCalls,
            WorkbookHasErrors,
            HintWarnings,
            HintFailed,
            DemoStarting,
            DemoSimulator,
        ]
        .into_iter()
        .map(|msg| text(lang, msg).to_string())
        .collect();
        for status in [
            StepStatus::Ok,
            StepStatus::Skipped,
            StepStatus::Warning,
            StepStatus::Failed,
            StepStatus::Aborted,
        ] {
            lines.push(status_word(lang, status).to_string());
        }
        let counts = StepCounts {
            ok: 3,
            warning: 1,
            skipped: 1,
            failed: 1,
            aborted: 1,
        };
        lines.push(summary_line(lang, counts));
        lines.push(dry_run_summary(lang, 12, counts));
        for kind in [TargetKind::Rehearsal, TargetKind::Live, TargetKind::DryRun] {
            lines.push(target_line(
                lang,
                "https://10.0.20.11",
                Some("127.0.0.1:4443"),
                kind,
            ));
        }
        lines.push(error_line(lang, "无法读取"));
        lines
    };
    for (en, line) in render(Lang::En).iter().zip(render(Lang::ZhCn)) {
        assert!(smtx_i18n::has_cjk(&line), "{line}");
        let english = smtx_i18n::untranslated_words(&line);
        assert!(english.is_empty(), "{english:?} in {line}");
        let drift = smtx_i18n::glossary::problems(Some(en), &line);
        assert!(drift.is_empty(), "{drift:?} in {line}");
    }
}

#[test]
fn an_error_chain_reads_in_chinese_with_the_system_s_words_translated_or_quoted() {
    use std::io::{Error, ErrorKind};
    let chain = |kind: ErrorKind, text: &str| {
        anyhow::Error::from(Error::new(kind, text.to_string())).context("无法创建 runs/x")
    };
    let missing = chain(ErrorKind::NotFound, "No such file or directory");
    assert_eq!(
        error_chain(Lang::ZhCn, &missing),
        "无法创建 runs/x：文件或目录不存在"
    );
    let odd = chain(ErrorKind::Other, "Input/output error");
    assert_eq!(
        error_chain(Lang::ZhCn, &odd),
        "无法创建 runs/x：系统错误：「Input/output error」"
    );
    assert!(smtx_i18n::untranslated_words(&error_chain(Lang::ZhCn, &odd)).is_empty());
    let english = anyhow::Error::from(Error::new(ErrorKind::NotFound, "No such file"))
        .context("cannot create runs/x");
    assert_eq!(
        error_chain(Lang::En, &english),
        "cannot create runs/x: No such file"
    );
}
