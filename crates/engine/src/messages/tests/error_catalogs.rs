//! The error catalogs: what the API client, SSH and the engine itself say
//! went wrong, each variant in both languages, the English kept as files
//! and logs have always had it.

use super::*;

/// Rendered errors carry no variant name: for them, an exhaustive `match`
/// over the samples' sources checks that every variant has one.
fn unnamed(_: &Text) -> &'static str {
    ""
}

const ISO: &str = "/srv/SMTX_VMTOOLS-3.2.0.iso";

/// Every reason a file is refused, with the English it always had.
fn file_errors() -> Vec<(ApiError, &'static str)> {
    let reasons = [
        (
            FileReason::Io {
                cause: s("Permission denied (os error 13)"),
            },
            "Permission denied (os error 13)",
        ),
        (FileReason::NotRegular, "not a regular file"),
        (FileReason::Empty, "the file is empty: nothing to upload"),
        (FileReason::NoFileName, "no file name to upload it under"),
        (
            FileReason::ChangedDuringUpload,
            "the file changed while it was uploaded (image deleted); upload it again",
        ),
        (
            FileReason::HashRead {
                cause: s("Input/output error (os error 5)"),
            },
            "reading for the SHA-256: Input/output error (os error 5)",
        ),
        (
            FileReason::HashStopped,
            "reading for the SHA-256: the upload ended before the hash",
        ),
        (
            FileReason::ChangedWhileHashed,
            "the file changed while it was read for the SHA-256",
        ),
    ];
    reasons
        .into_iter()
        .map(|(reason, english)| {
            // Every reason once: this match stops compiling when one is added.
            match &reason {
                FileReason::Io { .. }
                | FileReason::NotRegular
                | FileReason::Empty
                | FileReason::NoFileName
                | FileReason::ChangedDuringUpload
                | FileReason::HashRead { .. }
                | FileReason::HashStopped
                | FileReason::ChangedWhileHashed => {}
            }
            let error = ApiError::File {
                path: s(ISO),
                reason,
            };
            (error, english)
        })
        .collect()
}

/// Every cause an upload gives up for, with each aftermath, and the
/// English it always had.
fn upload_errors() -> Vec<(ApiError, String)> {
    let call = || ApiError::Api {
        action: s("POST /api/v2/svt_image/upload_template"),
        status: 500,
        ec: Some(s("CHUNK_UPLOAD_FAILED")),
        msg: Some(s("chunk 1 failed")),
    };
    let chunk_failed =
        "POST /api/v2/svt_image/upload_template: HTTP 500, CHUNK_UPLOAD_FAILED: chunk 1 failed";
    let chunkings = [
        (
            ChunkingReason::ChunkSizeOutOfBounds { chunk_size: 1024 },
            "create_volume asks for chunks of 1024 bytes; a usable chunk size is 4 KiB to 1 GiB",
        ),
        (
            ChunkingReason::TooManyChunks {
                size: 8_589_934_592,
                chunk_size: 4096,
                chunks: 2_097_152,
            },
            "8589934592 bytes in chunks of 4096 bytes is 2097152 chunks, more than 1048576",
        ),
        (
            ChunkingReason::ChunkTableTooLarge {
                chunks: u64::MAX,
                chunk_size: 4096,
            },
            "18446744073709551615 chunks of 4096 bytes is too many",
        ),
        (
            ChunkingReason::ChunkOutOfRange {
                index: 7,
                chunks: 3,
                chunk_size: 65536,
            },
            "create_volume asks for chunk 7, but the file has 3 chunks of 65536 bytes",
        ),
        (
            ChunkingReason::ChunkTwice {
                index: 1,
                chunks: 3,
            },
            "create_volume lists chunk 1 twice: its record does not match a file of 3 chunks",
        ),
    ];
    let mut causes: Vec<(UploadCause, String)> = chunkings
        .into_iter()
        .map(|(reason, english)| {
            // Every reason once: this match stops compiling when one is added.
            match &reason {
                ChunkingReason::ChunkSizeOutOfBounds { .. }
                | ChunkingReason::TooManyChunks { .. }
                | ChunkingReason::ChunkTableTooLarge { .. }
                | ChunkingReason::ChunkOutOfRange { .. }
                | ChunkingReason::ChunkTwice { .. } => {}
            }
            (UploadCause::Chunking(reason), s(english))
        })
        .collect();
    causes.extend([
        (
            UploadCause::Call(Box::new(ApiError::Transport {
                action: s("POST /api/v2/svt_image/create_volume"),
                url: CallUrl {
                    url: s("https://10.0.20.11/api/v2/svt_image/create_volume"),
                    sent_to: None,
                },
                reason: TransportReason::from_cause("Connection refused (os error 111)"),
            })),
            s("POST /api/v2/svt_image/create_volume: cannot reach https://10.0.20.11/api/v2/svt_image/create_volume: Connection refused (os error 111)"),
        ),
        (
            UploadCause::ChunkFailed {
                tries: 3,
                error: Box::new(call()),
            },
            format!("failed 3 time(s): {chunk_failed}"),
        ),
        (
            UploadCause::StillMissing {
                count: 2,
                first: vec![4, 9],
            },
            s("after the last chunk the server still misses 2 chunk(s): [4, 9]"),
        ),
        (
            UploadCause::StillMissing {
                count: 12,
                first: (0..10).collect(),
            },
            s("after the last chunk the server still misses 12 chunk(s): [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, ...]"),
        ),
    ]);
    let mut errors = Vec::new();
    for (cause, english) in causes {
        // Every cause once: this match stops compiling when one is added.
        match &cause {
            UploadCause::Call(_)
            | UploadCause::Chunking(_)
            | UploadCause::ChunkFailed { .. }
            | UploadCause::StillMissing { .. } => {}
        }
        for (image_deleted, on_recreated_volume, suffix) in [
            (false, false, ""),
            (true, false, " (image deleted)"),
            (true, true, " (on the recreated volume too; image deleted)"),
            (false, true, " (on the recreated volume too)"),
        ] {
            let cause = match &cause {
                UploadCause::Call(error) => UploadCause::Call(Box::new(same_api_error(error))),
                UploadCause::Chunking(reason) => UploadCause::Chunking(reason.clone()),
                UploadCause::ChunkFailed { tries, error } => UploadCause::ChunkFailed {
                    tries: *tries,
                    error: Box::new(same_api_error(error)),
                },
                UploadCause::StillMissing { count, first } => UploadCause::StillMissing {
                    count: *count,
                    first: first.clone(),
                },
            };
            let error = ApiError::Upload {
                file: s(ISO),
                chunk: Some(1),
                reason: UploadReason {
                    cause,
                    image_deleted,
                    on_recreated_volume,
                },
            };
            errors.push((
                error,
                format!("upload of {ISO} failed at chunk 1: {english}{suffix}"),
            ));
        }
    }
    errors
}

/// The two inner errors the upload samples use, again (`ApiError` is not
/// `Clone`).
fn same_api_error(error: &ApiError) -> ApiError {
    match error {
        ApiError::Transport {
            action,
            url,
            reason,
        } => ApiError::Transport {
            action: action.clone(),
            url: url.clone(),
            reason: reason.clone(),
        },
        ApiError::Api {
            action,
            status,
            ec,
            msg,
        } => ApiError::Api {
            action: action.clone(),
            status: *status,
            ec: ec.clone(),
            msg: msg.clone(),
        },
        other => ApiError::Cancelled {
            action: other.to_string(),
        },
    }
}

#[test]
fn upload_and_file_errors_keep_their_english_and_say_ours_in_chinese() {
    let mut cases: Vec<(ApiError, String)> = file_errors()
        .into_iter()
        .map(|(error, english)| (error, format!("{ISO}: {english}")))
        .collect();
    cases.extend(upload_errors());
    for (error, english) in &cases {
        let text = errors::api_error(error);
        assert_eq!(&text.en, english);
        assert!(smtx_i18n::has_cjk(&text.zh_cn), "{}", text.zh_cn);
        let words = smtx_i18n::untranslated_words(&text.zh_cn);
        assert!(words.is_empty(), "{words:?} in {}", text.zh_cn);
        let drift = smtx_i18n::glossary::problems(Some(&text.en), &text.zh_cn);
        assert!(drift.is_empty(), "{drift:?} in {}", text.zh_cn);
        // Only the operating system's words are quoted; the inner call's
        // error is said in Chinese, the server's message quoted within it.
        let ours = match error {
            ApiError::File {
                reason: FileReason::Io { .. } | FileReason::HashRead { .. },
                ..
            } => false,
            ApiError::Upload { reason, .. } => {
                !matches!(reason.cause, UploadCause::ChunkFailed { .. })
            }
            _ => true,
        };
        if ours {
            assert!(!text.zh_cn.contains('「'), "{}", text.zh_cn);
        }
    }
}

#[test]
fn api_errors() {
    let action = || s("PUT /api/v2/settings/vip");
    let url = || CallUrl {
        url: s("https://10.0.20.11/api/v2/settings/vip"),
        sent_to: Some(s("127.0.0.1:4443")),
    };
    let mut errors = vec![
        ApiError::Timeout {
            action: action(),
            url: url(),
            seconds: 30.0,
        },
        ApiError::Api {
            action: action(),
            status: 409,
            ec: Some(s("EVIP_IN_USE")),
            msg: Some(s("the address is in use")),
        },
        ApiError::Unauthorized {
            action: action(),
            status: 401,
        },
        ApiError::JobFailed {
            job_id: s("c0b774db"),
            description: s("set vip"),
            state: s("failed"),
            reason: Some(s("vip unreachable")),
        },
        ApiError::JobTimeout {
            job_id: s("c0b774db"),
            state: s("running"),
            seconds: 300.0,
        },
        ApiError::Cancelled { action: action() },
    ];
    errors.extend(file_errors().into_iter().map(|(error, _)| error));
    errors.extend(upload_errors().into_iter().map(|(error, _)| error));
    // Every kind of reason the client recognises, from the words it reads
    // them in, and one it does not.
    for (cause, kind) in [
        ("Connection refused (os error 111)", TransportKind::Refused),
        (
            "Connection reset by peer (os error 104)",
            TransportKind::Reset,
        ),
        (
            "No route to host (os error 113)",
            TransportKind::Unreachable,
        ),
        (
            "dns error: failed to lookup address",
            TransportKind::NameNotResolved,
        ),
        (
            "connection closed before message completed",
            TransportKind::Closed,
        ),
        ("Broken pipe (os error 32)", TransportKind::Other),
    ] {
        let reason = TransportReason::from_cause(cause);
        assert_eq!(reason.kind, kind, "{cause}");
        errors.push(ApiError::Transport {
            action: action(),
            url: url(),
            reason,
        });
    }
    for (cause, kind) in [
        (
            "invalid peer certificate: UnknownIssuer",
            TlsKind::UnknownIssuer,
        ),
        (
            "invalid peer certificate: NotValidForName",
            TlsKind::NotValidForName,
        ),
        ("invalid peer certificate: Expired", TlsKind::Expired),
        (
            "invalid peer certificate: BadSignature",
            TlsKind::BadSignature,
        ),
        ("received fatal alert: HandshakeFailure", TlsKind::Other),
    ] {
        let reason = TlsReason::from_cause(cause);
        assert_eq!(reason.kind, kind, "{cause}");
        errors.push(ApiError::Tls {
            action: action(),
            url: url(),
            reason,
        });
    }
    let cause = || s("relative URL without a base");
    for reason in [
        ConfigReason::BuildClient { cause: cause() },
        ConfigReason::BadPath {
            path: s("/api/v2/x"),
            cause: cause(),
        },
        ConfigReason::CannotOverride {
            host: s("10.0.20.11"),
        },
        ConfigReason::CannotOverridePort {
            host: s("10.0.20.11"),
        },
        ConfigReason::BadBaseUrl {
            url: s("10.0.20.11"),
            cause: Some(cause()),
        },
        ConfigReason::BadBaseUrl {
            url: s("ftp://10.0.20.11"),
            cause: None,
        },
        ConfigReason::InsecureWithCa,
        ConfigReason::TlsSettings { cause: cause() },
        ConfigReason::TlsVersions { cause: cause() },
        ConfigReason::CaNotPem { cause: cause() },
        ConfigReason::CaRefused { cause: cause() },
        ConfigReason::CaEmpty,
        ConfigReason::NotAServerName {
            host: s("node_01"),
            cause: cause(),
        },
        ConfigReason::NoBytes { action: action() },
        ConfigReason::ContentType {
            action: action(),
            cause: cause(),
        },
    ] {
        // Every reason once: this match stops compiling when one is added.
        match &reason {
            ConfigReason::BuildClient { .. }
            | ConfigReason::BadPath { .. }
            | ConfigReason::CannotOverride { .. }
            | ConfigReason::CannotOverridePort { .. }
            | ConfigReason::BadBaseUrl { .. }
            | ConfigReason::InsecureWithCa
            | ConfigReason::TlsSettings { .. }
            | ConfigReason::TlsVersions { .. }
            | ConfigReason::CaNotPem { .. }
            | ConfigReason::CaRefused { .. }
            | ConfigReason::CaEmpty
            | ConfigReason::NotAServerName { .. }
            | ConfigReason::NoBytes { .. }
            | ConfigReason::ContentType { .. } => {}
        }
        errors.push(ApiError::Config(reason));
    }
    for reason in [
        DecodeReason::TooLarge { mib: 16 },
        DecodeReason::NotJson { status: 200 },
        DecodeReason::MissingData { key: s("serial") },
        DecodeReason::NoToken,
        DecodeReason::NoHostUuid,
        DecodeReason::NoUuidOrJob,
        DecodeReason::NoJobState,
        DecodeReason::BadChunkSize,
        DecodeReason::BadChunkList,
        DecodeReason::Shape {
            cause: s("missing field `data`"),
        },
    ] {
        // Every reason once: this match stops compiling when one is added.
        match &reason {
            DecodeReason::TooLarge { .. }
            | DecodeReason::NotJson { .. }
            | DecodeReason::MissingData { .. }
            | DecodeReason::NoToken
            | DecodeReason::NoHostUuid
            | DecodeReason::NoUuidOrJob
            | DecodeReason::NoJobState
            | DecodeReason::BadChunkSize
            | DecodeReason::BadChunkList
            | DecodeReason::Shape { .. } => {}
        }
        errors.push(ApiError::Decode {
            action: action(),
            reason,
        });
    }
    for error in &errors {
        // Every variant once: this match stops compiling when one is added.
        match error {
            ApiError::Transport { .. }
            | ApiError::Tls { .. }
            | ApiError::Timeout { .. }
            | ApiError::Api { .. }
            | ApiError::Decode { .. }
            | ApiError::Unauthorized { .. }
            | ApiError::JobFailed { .. }
            | ApiError::JobTimeout { .. }
            | ApiError::Config(_)
            | ApiError::Upload { .. }
            | ApiError::File { .. }
            | ApiError::Cancelled { .. } => {}
        }
    }
    let samples: Vec<Text> = errors.iter().map(errors::api_error).collect();
    // As steps carry them: each front end's wording.
    let carried: Vec<Message> = errors.iter().map(Message::from).collect();
    assert_whole(&[], &carried, |_| "");
    for (error, text) in errors.iter().zip(&samples) {
        assert_eq!(text.en, error.to_string(), "English is the error's own");
        // What the client recognised is said in Chinese, not quoted; the
        // override's target reads as Chinese too.
        let recognised = match error {
            ApiError::Transport { reason, .. } => reason.kind != TransportKind::Other,
            ApiError::Tls { reason, .. } => reason.kind != TlsKind::Other,
            ApiError::Decode { reason, .. } => !matches!(reason, DecodeReason::Shape { .. }),
            _ => false,
        };
        if recognised {
            assert!(!text.zh_cn.contains('「'), "{}", text.zh_cn);
        }
        if matches!(error, ApiError::Timeout { .. } | ApiError::Transport { .. }) {
            assert!(
                text.zh_cn.contains("（经 127.0.0.1:4443）"),
                "{}",
                text.zh_cn
            );
        }
    }
}

#[test]
fn ssh_errors() {
    let host = || s("node-01 (10.0.20.11)");
    let io = || std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    let errors = [
        SshError::UnsupportedPassword {
            host: host(),
            user: s("root"),
            reason: PasswordProblem::LineBreak,
        },
        SshError::InvalidTarget {
            host: host(),
            reason: TargetProblem::NoNewPasswords,
        },
        SshError::Connect {
            host: host(),
            addr: "127.0.0.1:22".parse().expect("address"),
            source: io(),
        },
        SshError::Timeout {
            host: host(),
            phase: SshPhase::Command,
            after: Duration::from_secs(30),
        },
        SshError::AuthRefused {
            host: host(),
            user: s("smartx"),
            tried_target: true,
        },
        SshError::HostKeyChanged {
            host: host(),
            known_hosts_key: s("10.0.20.11"),
            fingerprint: s("SHA256:abc"),
            known_hosts: PathBuf::from("runs/known_hosts"),
        },
        SshError::KnownHosts {
            host: host(),
            path: PathBuf::from("runs/known_hosts"),
            source: io(),
        },
        SshError::KnownHosts {
            host: host(),
            path: PathBuf::from("runs/known_hosts"),
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                smtx_api::ForeignFile {
                    path: PathBuf::from("runs/known_hosts"),
                    why: smtx_api::ForeignWhy::Symlink,
                },
            ),
        },
        SshError::Protocol {
            host: host(),
            phase: SshPhase::Auth,
            source: russh::Error::Kex,
        },
        SshError::ExecRefused { host: host() },
        SshError::ChpasswdFailed {
            host: host(),
            status: 1,
            stderr: s("chpasswd: line 1: user not found"),
        },
        SshError::NoExitStatus {
            host: host(),
            stderr: String::new(),
        },
    ];
    for error in &errors {
        match error {
            SshError::UnsupportedPassword { .. }
            | SshError::InvalidTarget { .. }
            | SshError::Connect { .. }
            | SshError::Timeout { .. }
            | SshError::AuthRefused { .. }
            | SshError::HostKeyChanged { .. }
            | SshError::KnownHosts { .. }
            | SshError::Protocol { .. }
            | SshError::ExecRefused { .. }
            | SshError::ChpasswdFailed { .. }
            | SshError::NoExitStatus { .. } => {}
        }
    }
    let samples: Vec<Text> = errors.iter().map(errors::ssh_error).collect();
    assert_whole(&[], &samples, unnamed);
}

#[test]
fn ssh_target_and_password_problems_keep_their_english() {
    let host = || s("node-01 (10.0.20.11)");
    let mut cases: Vec<(SshError, &str)> = [
        (PasswordProblem::Empty, "it is empty"),
        (
            PasswordProblem::Colon,
            "it contains ':' (chpasswd's field separator)",
        ),
        (
            PasswordProblem::LineBreak,
            "it contains a line break (chpasswd reads one user per line)",
        ),
        (PasswordProblem::Nul, "it contains a NUL character"),
    ]
    .into_iter()
    .map(|(reason, english)| {
        // Every problem once: this match stops compiling when one is added.
        match reason {
            PasswordProblem::Empty
            | PasswordProblem::Colon
            | PasswordProblem::LineBreak
            | PasswordProblem::Nul => {}
        }
        let error = SshError::UnsupportedPassword {
            host: host(),
            user: s("root"),
            reason,
        };
        (error, english)
    })
    .collect();
    for (reason, english) in [
        (TargetProblem::NoNewPasswords, "no new passwords to set"),
        (
            TargetProblem::BadUser {
                user: s("bad user"),
            },
            "user name \"bad user\" cannot be given to chpasswd",
        ),
        (
            TargetProblem::BadKnownHostsKey {
                key: s("#node one"),
            },
            "\"#node one\" cannot be used as a known_hosts host name",
        ),
    ] {
        match &reason {
            TargetProblem::NoNewPasswords
            | TargetProblem::BadUser { .. }
            | TargetProblem::BadKnownHostsKey { .. } => {}
        }
        cases.push((
            SshError::InvalidTarget {
                host: host(),
                reason,
            },
            english,
        ));
    }
    let samples: Vec<Text> = cases
        .iter()
        .map(|(error, _)| errors::ssh_error(error))
        .collect();
    assert_whole(&[], &samples, unnamed);
    for ((error, english), text) in cases.iter().zip(&samples) {
        let expected = match error {
            SshError::UnsupportedPassword { .. } => format!(
                "node-01 (10.0.20.11): the new password of root cannot be set with chpasswd: {english}"
            ),
            _ => format!("node-01 (10.0.20.11): {english}"),
        };
        assert_eq!(text.en, expected);
        assert!(
            !text.zh_cn.contains('「'),
            "ours, not quoted: {}",
            text.zh_cn
        );
    }
}

#[test]
fn engine_errors() {
    let errors = [
        EngineError::Io {
            path: PathBuf::from("runs/a"),
            reason: s("Permission denied"),
        },
        EngineError::NotAContext {
            path: PathBuf::from("runs/a/context.json"),
            reason: s("expected value at line 1"),
        },
        EngineError::NotADeliveryRecord {
            path: PathBuf::from("runs/a/delivery.json"),
            reason: s("expected value at line 1"),
        },
        EngineError::NotALaunchRecord {
            path: PathBuf::from("runs/a/launch.json"),
            reason: s("expected value at line 1"),
        },
        EngineError::CopyWorkbook {
            path: PathBuf::from("runs/a/w.xlsx"),
            from: PathBuf::from("w.xlsx"),
            reason: s("No space left on device"),
        },
        EngineError::Client(ApiError::Config(ConfigReason::CaEmpty)),
        EngineError::NoApiBase,
        EngineError::UnknownStage(s("deploy")),
        EngineError::RunDirBusy {
            run_dir: PathBuf::from("runs/a"),
            holder: Some(4242),
        },
    ];
    for error in &errors {
        match error {
            EngineError::Io { .. }
            | EngineError::NotAContext { .. }
            | EngineError::NotALaunchRecord { .. }
            | EngineError::NotADeliveryRecord { .. }
            | EngineError::CopyWorkbook { .. }
            | EngineError::Client(_)
            | EngineError::NoApiBase
            | EngineError::UnknownStage(_)
            | EngineError::RunDirBusy { .. } => {}
        }
        assert_eq!(error.localize(Lang::En), error.to_string());
    }
    assert_whole(&[], &errors, |_| "");
}

#[test]
fn launch_refusals() {
    use crate::launch::LaunchRefusal;
    use crate::preflight::{FromMismatch, IsoProblem, PreflightError};
    let refusals = [
        LaunchRefusal::Preflight(PreflightError::MissingIso {
            iso: s(ISO),
            reason: IsoProblem::Io(s("No such file or directory (os error 2)")),
        }),
        LaunchRefusal::Preflight(PreflightError::BadCa {
            path: s("/srv/ca.pem"),
            reason: ConfigReason::CaEmpty,
        }),
        LaunchRefusal::Preflight(PreflightError::FromMismatch {
            why: FromMismatch::LiveInRehearsal,
        }),
        LaunchRefusal::Preflight(PreflightError::BadSerialCell {
            cell: s("E19"),
            example: s("Cluster!E19"),
        }),
        LaunchRefusal::FromUnreadable {
            dir: PathBuf::from("runs/a"),
            error: Box::new(EngineError::Io {
                path: PathBuf::from("runs/a/context.json"),
                reason: s("No such file or directory (os error 2)"),
            }),
        },
        LaunchRefusal::RunDirBusy {
            run_dir: PathBuf::from("runs/a"),
            holder: Some(4242),
        },
        LaunchRefusal::RunDirUnusable {
            path: PathBuf::from("runs/a"),
            reason: s("Permission denied (os error 13)"),
        },
    ];
    for refusal in &refusals {
        match refusal {
            LaunchRefusal::Preflight(_)
            | LaunchRefusal::FromUnreadable { .. }
            | LaunchRefusal::RunDirBusy { .. }
            | LaunchRefusal::RunDirUnusable { .. } => {}
        }
        assert_eq!(refusal.localize(Lang::En), refusal.to_string());
    }
    let samples: Vec<Text> = refusals.iter().map(Text::of).collect();
    assert_whole(&[], &samples, unnamed);
}
