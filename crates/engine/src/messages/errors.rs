//! Errors in both languages: the run's own (an abort), and the Chinese of
//! the errors of the libraries below — `ApiError`, `SshError`,
//! `EngineError` — whose English is their `Display`. Text they quote from
//! elsewhere (a server's message, an operating-system error) stays as it
//! came, marked as quoted; an error inside another (the call that failed
//! an upload) is rendered in the same language, not quoted.

use smtx_api::ssh::{CHPASSWD_COMMAND, PasswordProblem, SshError, SshPhase, TargetProblem};
use smtx_api::{
    ApiError, CallUrl, ChunkingReason, ConfigReason, DecodeReason, FileReason, MAX_CHUNK_SIZE,
    MAX_CHUNKS, MIN_CHUNK_SIZE, TlsKind, TlsReason, TransportKind, TransportReason, UploadCause,
    UploadReason,
};
use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize, Text, quoted};

use super::Action;

use crate::EngineError;

smtx_i18n::catalog! {
    /// What the run itself says about a step.
    pub enum RunMsg {
        /// The step under way when the run was stopped.
        Aborted,
        AbortedHint,
    }
}

impl Localize for RunMsg {
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        let stop = Action::Stop.words(front, lang);
        let resume = Action::ResumeFromRun.words(front, lang);
        match (front, self, lang) {
            (FrontEnd::Cli, ..) => self.localize(lang),
            (FrontEnd::Console, Self::Aborted, En) => {
                format!("aborted: the run was stopped ({stop}) before this step finished")
            }
            (FrontEnd::Console, Self::Aborted, ZhCn) => {
                format!("已中止：本步骤完成前运行被停止（{stop}）")
            }
            (FrontEnd::Console, Self::AbortedHint, En) => format!(
                "press {resume} to continue: the VIP, DNS, NTP, BMC accounts, switches, networks and host passwords the cluster shows it already has are not sent again, and the upload resumes from the chunks the cluster holds"
            ),
            (FrontEnd::Console, Self::AbortedHint, ZhCn) => format!(
                "点击{resume}即可继续：集群上已有的 VIP、DNS、NTP、BMC 账号、交换机、网络和主机密码不会再次发送，上传从集群已有的分片继续"
            ),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Aborted, En) => "aborted: the run was stopped (Ctrl-C, SIGTERM or a stop request) before this step finished".into(),
            (Self::Aborted, ZhCn) => "已中止：本步骤完成前运行被停止（Ctrl-C、SIGTERM 或停止请求）".into(),
            (Self::AbortedHint, En) => "run again with --from RUN_DIR to continue: the VIP, DNS, NTP, BMC accounts, switches, networks and host passwords the cluster shows it already has are not sent again, and the upload resumes from the chunks the cluster holds".into(),
            (Self::AbortedHint, ZhCn) => "加上 --from RUN_DIR 重新运行即可继续：集群上已有的 VIP、DNS、NTP、BMC 账号、交换机、网络和主机密码不会再次发送，上传从集群已有的分片继续".into(),
        }
    }
}

/// A job's state as the cluster names it, in Chinese where it is one we
/// know.
fn job_state(state: &str) -> String {
    match state.to_ascii_lowercase().as_str() {
        "pending" => "等待中".into(),
        "running" | "processing" => "运行中".into(),
        "done" | "success" | "successed" | "succeeded" => "已完成".into(),
        "failed" | "failure" | "error" => "失败".into(),
        "cancelled" | "canceled" => "已取消".into(),
        "not yet answered" => "尚未应答".into(),
        _ => quoted(ZhCn, state),
    }
}

/// An API error in both languages.
pub fn api_error(error: &ApiError) -> Text {
    Text {
        en: error.to_string(),
        zh_cn: api_error_zh(error),
    }
}

/// An API error as `front` words it: the TLS error's advice names the
/// console's CA field and its "do not verify" box, not the CLI's flags.
pub fn api_error_for(front: FrontEnd, error: &ApiError) -> Text {
    match (front, error) {
        (
            FrontEnd::Console,
            ApiError::Tls {
                action,
                url,
                reason,
            },
        ) => {
            let trust = |lang| Action::TrustCa.words(front, lang);
            let skip = |lang| Action::SkipTlsCheck.words(front, lang);
            Text {
                en: format!(
                    "{action}: TLS certificate of {url} is not trusted ({reason}); paste the cluster's CA in {}, or tick {}",
                    trust(En),
                    skip(En)
                ),
                zh_cn: format!(
                    "{action}：不信任 {} 的 TLS 证书（{}）；在{}中粘贴集群的 CA，或勾选{}",
                    call_url_zh(url),
                    tls_reason_zh(reason),
                    trust(ZhCn),
                    skip(ZhCn)
                ),
            }
        }
        _ => api_error(error),
    }
}

/// `https://10.0.20.11/…（经 127.0.0.1:4443）`.
fn call_url_zh(url: &CallUrl) -> String {
    match &url.sent_to {
        Some(real) => format!("{}（经 {real}）", url.url),
        None => url.url.clone(),
    }
}

/// Why a connection failed, in Chinese; only a cause the client did not
/// recognise stays in its own words.
fn transport_reason_zh(reason: &TransportReason) -> String {
    match reason.kind {
        TransportKind::Refused => "连接被拒绝（该地址上没有服务在监听）".into(),
        TransportKind::Reset => "连接被对方重置".into(),
        TransportKind::Unreachable => "网络不可达".into(),
        TransportKind::NameNotResolved => "无法解析该名称".into(),
        TransportKind::Closed => "应答完成前连接已关闭".into(),
        TransportKind::Other => quoted(ZhCn, &reason.cause),
    }
}

fn tls_reason_zh(reason: &TlsReason) -> String {
    match reason.kind {
        TlsKind::UnknownIssuer => "证书的签发者不受信任".into(),
        TlsKind::NotValidForName => "证书不包含该地址".into(),
        TlsKind::Expired => "证书已过期或尚未生效".into(),
        TlsKind::BadSignature => "证书的签名无法用所信任的 CA 验证".into(),
        TlsKind::Other => quoted(ZhCn, &reason.cause),
    }
}

fn decode_reason_zh(reason: &DecodeReason) -> String {
    match reason {
        DecodeReason::TooLarge { mib } => format!("应答超过 {mib} MiB"),
        DecodeReason::NotJson { status } => format!("HTTP {status} 的应答正文不是 JSON"),
        DecodeReason::MissingData { key } => format!("应答中没有 data.{key}"),
        DecodeReason::NoToken => "会话应答中没有令牌".into(),
        DecodeReason::NoHostUuid => "扫描结果中没有 host_uuid".into(),
        DecodeReason::NoUuidOrJob => "应答中既没有 `uuid` 也没有 `job_id`".into(),
        DecodeReason::NoJobState => "应答中没有任务状态".into(),
        DecodeReason::BadChunkSize => "data.chunk_size 不是整数字节数".into(),
        DecodeReason::BadChunkList => "data.to_upload 不是分块编号列表".into(),
        DecodeReason::Shape { cause } => format!("结构不符：{}", quoted(ZhCn, cause)),
    }
}

pub(crate) fn config_reason_zh(reason: &ConfigReason) -> String {
    let q = |text: &str| quoted(ZhCn, text);
    match reason {
        ConfigReason::BuildClient { cause } => format!("无法创建 HTTP 客户端：{}", q(cause)),
        ConfigReason::BadPath { path, cause } => format!("路径 {path} 有误：{}", q(cause)),
        ConfigReason::CannotOverride { host } => format!("无法映射 {host}"),
        ConfigReason::CannotOverridePort { host } => format!("无法映射 {host} 的端口"),
        ConfigReason::BadBaseUrl {
            url,
            cause: Some(cause),
        } => format!("API 地址 {url:?} 有误：{}", q(cause)),
        ConfigReason::BadBaseUrl { url, cause: None } => {
            format!("API 地址 {url:?} 有误：应为 http(s)://HOST[:PORT]")
        }
        ConfigReason::InsecureWithCa => {
            "同时给出了 CA 证书和跳过校验（`insecure`）：要么用该 CA 校验，要么不校验".into()
        }
        ConfigReason::TlsSettings { cause } => format!("TLS 校验设置有误：{}", q(cause)),
        ConfigReason::TlsVersions { cause } => format!("TLS 版本设置有误：{}", q(cause)),
        ConfigReason::CaNotPem { cause } => format!("CA 证书不是 PEM 格式：{}", q(cause)),
        ConfigReason::CaRefused { cause } => format!("CA 证书无法使用：{}", q(cause)),
        ConfigReason::CaEmpty => "CA 证书文件中没有证书（应为 PEM 格式）".into(),
        ConfigReason::NotAServerName { host, cause } => {
            format!("{host:?} 无法作为证书中的名称校验：{}", q(cause))
        }
        ConfigReason::NoBytes { action } => format!("{action}：计划上传的文件块没有内容"),
        ConfigReason::ContentType { action, cause } => {
            format!("{action}：内容类型有误：{}", q(cause))
        }
    }
}

fn file_reason_zh(reason: &FileReason) -> String {
    match reason {
        FileReason::Io { cause } => format!("无法读取：{}", quoted(ZhCn, cause)),
        FileReason::NotRegular => "不是普通文件（是目录或设备）".into(),
        FileReason::Empty => "文件为空，没有可上传的内容".into(),
        FileReason::NoFileName => "没有可用作上传名称的文件名".into(),
        FileReason::ChangedDuringUpload => {
            "上传期间文件发生了变化（镜像已删除）；请重新上传".into()
        }
        FileReason::HashRead { cause } => {
            format!("读取文件计算 SHA-256 时出错：{}", quoted(ZhCn, cause))
        }
        FileReason::HashStopped => "上传先于 SHA-256 计算结束，计算已停止".into(),
        FileReason::ChangedWhileHashed => "计算 SHA-256 期间文件发生了变化".into(),
    }
}

fn chunking_reason_zh(reason: &ChunkingReason) -> String {
    match reason {
        ChunkingReason::ChunkSizeOutOfBounds { chunk_size } => format!(
            "`create_volume` 要求的分块大小为 {chunk_size} 字节；可用的分块大小为 {} KiB 至 {} GiB",
            MIN_CHUNK_SIZE / 1024,
            MAX_CHUNK_SIZE / (1024 * 1024 * 1024)
        ),
        ChunkingReason::TooManyChunks {
            size,
            chunk_size,
            chunks,
        } => {
            format!("{size} 字节按每块 {chunk_size} 字节分为 {chunks} 块，超过上限 {MAX_CHUNKS} 块")
        }
        ChunkingReason::ChunkTableTooLarge { chunks, chunk_size } => {
            format!("每块 {chunk_size} 字节共 {chunks} 块，块数过多")
        }
        ChunkingReason::ChunkOutOfRange {
            index,
            chunks,
            chunk_size,
        } => format!(
            "`create_volume` 要求第 {index} 块，但文件按每块 {chunk_size} 字节只有 {chunks} 块"
        ),
        ChunkingReason::ChunkTwice { index, chunks } => {
            format!("`create_volume` 两次列出第 {index} 块：其记录与 {chunks} 块的文件不符")
        }
    }
}

fn upload_reason_zh(reason: &UploadReason) -> String {
    let cause = match &reason.cause {
        UploadCause::Call(error) => api_error_zh(error),
        UploadCause::Chunking(reason) => chunking_reason_zh(reason),
        UploadCause::ChunkFailed { tries, error } => {
            format!("尝试 {tries} 次均失败：{}", api_error_zh(error))
        }
        UploadCause::StillMissing { count, first } => {
            let shown: Vec<String> = first.iter().map(u64::to_string).collect();
            let more = if *count > first.len() {
                "、……"
            } else {
                ""
            };
            format!(
                "最后一块发送后服务器仍缺少 {count} 块：[{}{more}]",
                shown.join("、")
            )
        }
    };
    let aftermath = match (reason.on_recreated_volume, reason.image_deleted) {
        (true, true) => "（重新创建的卷上同样失败；镜像已删除）",
        (true, false) => "（重新创建的卷上同样失败）",
        (false, true) => "（镜像已删除）",
        (false, false) => "",
    };
    format!("{cause}{aftermath}")
}

fn api_error_zh(error: &ApiError) -> String {
    let q = |text: &str| quoted(ZhCn, text);
    match error {
        ApiError::Transport {
            action,
            url,
            reason,
        } => format!(
            "{action}：无法连接 {}：{}",
            call_url_zh(url),
            transport_reason_zh(reason)
        ),
        ApiError::Tls {
            action,
            url,
            reason,
        } => format!(
            "{action}：不信任 {} 的 TLS 证书（{}）；用 --ca-cert FILE 信任集群的 CA，或用 --insecure 跳过校验",
            call_url_zh(url),
            tls_reason_zh(reason)
        ),
        ApiError::Timeout {
            action,
            url,
            seconds,
        } => format!("{action}：{} 在 {seconds:.1}s 内没有应答", call_url_zh(url)),
        ApiError::Api {
            action,
            status,
            ec,
            msg,
        } => {
            let ec = ec
                .as_deref()
                .map(|ec| format!("，错误码 {}", q(ec)))
                .unwrap_or_default();
            let msg = msg
                .as_deref()
                .map(|msg| format!("：{}", q(msg)))
                .unwrap_or_default();
            format!("{action}：HTTP {status}{ec}{msg}")
        }
        ApiError::Decode { action, reason } => {
            format!("{action}：应答不符合接口文档：{}", decode_reason_zh(reason))
        }
        ApiError::Unauthorized { action, status } => {
            format!("{action}：未获授权（HTTP {status}）；请检查 Fisheye 管理员密码或配置的令牌")
        }
        ApiError::JobFailed {
            job_id,
            description,
            state,
            reason,
        } => {
            let reason = reason
                .as_deref()
                .map(|reason| format!("：{}", q(reason)))
                .unwrap_or_default();
            format!(
                "任务 {job_id}（{}）结束，状态为{}{reason}",
                q(description),
                job_state(state)
            )
        }
        ApiError::JobTimeout {
            job_id,
            state,
            seconds,
        } => format!("任务 {job_id} 在 {seconds:.0}s 后仍为{}", job_state(state)),
        ApiError::Config(reason) => format!("客户端配置有误：{}", config_reason_zh(reason)),
        ApiError::Upload {
            file,
            chunk,
            reason,
        } => {
            let chunk = chunk
                .map(|chunk| format!("（第 {chunk} 块）"))
                .unwrap_or_default();
            format!("上传 {file} 失败{chunk}：{}", upload_reason_zh(reason))
        }
        ApiError::File { path, reason } => format!("{path}：{}", file_reason_zh(reason)),
        ApiError::Cancelled { action } => format!("{action}：已中止"),
    }
}

fn phase_zh(phase: &SshPhase) -> &'static str {
    match phase {
        SshPhase::Connect => "连接",
        SshPhase::Auth => "登录",
        SshPhase::Command => "执行 chpasswd",
    }
}

/// An SSH error in both languages.
pub fn ssh_error(error: &SshError) -> Text {
    Text {
        en: error.to_string(),
        zh_cn: ssh_error_zh(error),
    }
}

fn password_problem_zh(problem: PasswordProblem) -> &'static str {
    match problem {
        PasswordProblem::Empty => "密码为空",
        PasswordProblem::Colon => "密码含有 ':'（chpasswd 的字段分隔符）",
        PasswordProblem::LineBreak => "密码含有换行符（chpasswd 每行读取一个用户）",
        PasswordProblem::Nul => "密码含有 NUL 字符",
    }
}

fn target_problem_zh(problem: &TargetProblem) -> String {
    match problem {
        TargetProblem::NoNewPasswords => "没有要设置的新密码".into(),
        TargetProblem::BadUser { user } => format!("用户名 `{user:?}` 无法交给 chpasswd"),
        TargetProblem::BadKnownHostsKey { key } => {
            format!("`{key:?}` 无法用作 known_hosts 中的主机名")
        }
    }
}

/// A file the tool chose that it found it had not made
/// ([`smtx_api::write_atomic`]).
pub fn foreign_file_zh(foreign: &smtx_api::ForeignFile) -> String {
    let why = match foreign.why {
        smtx_api::ForeignWhy::Symlink => "是符号链接",
        smtx_api::ForeignWhy::NotAFile => "不是普通文件",
        smtx_api::ForeignWhy::OtherOwner => "属于其他用户",
        smtx_api::ForeignWhy::SharedMode => "其他用户可以读写",
    };
    format!(
        "{}：{why}，未替换（只写本工具创建的文件，或设置中指定的文件）",
        foreign.path.display()
    )
}

fn ssh_error_zh(error: &SshError) -> String {
    let q = |text: &str| quoted(ZhCn, text);
    let stderr_of = |stderr: &str| {
        if stderr.is_empty() {
            String::new()
        } else {
            format!("：{}", q(stderr))
        }
    };
    match error {
        SshError::UnsupportedPassword { host, user, reason } => format!(
            "{host}：{user} 的新密码无法用 chpasswd 设置：{}",
            password_problem_zh(*reason)
        ),
        SshError::InvalidTarget { host, reason } => {
            format!("{host}：无法作为登录目标：{}", target_problem_zh(reason))
        }
        SshError::Connect { host, addr, source } => {
            format!("{host}：无法连接 {addr}：{}", q(&source.to_string()))
        }
        SshError::Timeout { host, phase, after } => format!(
            "{host}：{}阶段在 {:.1}s 内没有应答",
            phase_zh(phase),
            after.as_secs_f64()
        ),
        SshError::AuthRefused {
            host,
            user,
            tried_target,
        } => format!(
            "{host}：以 {user} 登录被拒绝（已尝试当前密码{}）；请检查配置的主机密码",
            if *tried_target { "和目标密码" } else { "" }
        ),
        SshError::HostKeyChanged {
            host,
            known_hosts_key,
            fingerprint,
            known_hosts,
        } => format!(
            "{host}：主机密钥已变化（现为 {fingerprint}），拒绝发送密码；{known_hosts_key} 原来的密钥记录在 {}",
            known_hosts.display()
        ),
        SshError::KnownHosts { host, path, source } => match smtx_api::foreign_file(source) {
            Some(foreign) => format!("{host}：known_hosts 文件 {}", foreign_file_zh(foreign)),
            None => format!(
                "{host}：known_hosts 文件 {}：{}",
                path.display(),
                q(&source.to_string())
            ),
        },
        SshError::Protocol {
            host,
            phase,
            source,
        } => format!(
            "{host}：{}阶段 SSH 出错：{}",
            phase_zh(phase),
            q(&source.to_string())
        ),
        SshError::ExecRefused { host } => {
            format!("{host}：主机拒绝执行 `{CHPASSWD_COMMAND}`")
        }
        SshError::ChpasswdFailed {
            host,
            status,
            stderr,
        } => format!(
            "{host}：`{CHPASSWD_COMMAND}` 退出状态为 {status}{}",
            stderr_of(stderr)
        ),
        SshError::NoExitStatus { host, stderr } => format!(
            "{host}：`{CHPASSWD_COMMAND}` 结束时没有退出状态{}",
            stderr_of(stderr)
        ),
    }
}

/// A run that could not start or finish, as a front end prints it.
impl Localize for EngineError {
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        match (front, self, lang) {
            (FrontEnd::Console, Self::NoApiBase, En) => format!(
                "API client: no API base: the workbook has no host and {} is empty",
                Action::SetApiBase.words(front, lang)
            ),
            (FrontEnd::Console, Self::NoApiBase, ZhCn) => format!(
                "没有 API 地址：规划表中没有主机，{}也为空",
                Action::SetApiBase.words(front, lang)
            ),
            (FrontEnd::Console, Self::Client(error), En) => {
                format!("API client: {}", api_error_for(front, error).en)
            }
            (FrontEnd::Console, Self::Client(error), ZhCn) => {
                format!("API 客户端：{}", api_error_for(front, error).zh_cn)
            }
            _ => self.localize(lang),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Io { path, reason }, ZhCn) => {
                format!("{}：读写失败：{}", path.display(), quoted(ZhCn, reason))
            }
            (Self::NotAContext { path, reason }, ZhCn) => format!(
                "{}：不是运行上下文文件（context.json）：{}",
                path.display(),
                quoted(ZhCn, reason)
            ),
            (Self::NotADeliveryRecord { path, reason }, ZhCn) => format!(
                "{}：不是交付记录（delivery.json）：{}",
                path.display(),
                quoted(ZhCn, reason)
            ),
            (Self::NotALaunchRecord { path, reason }, ZhCn) => format!(
                "{}：不是运行的启动记录（launch.json）：{}",
                path.display(),
                quoted(ZhCn, reason)
            ),
            (Self::CopyWorkbook { path, from, reason }, ZhCn) => format!(
                "{}：无法复制规划表 {}：{}",
                path.display(),
                from.display(),
                quoted(ZhCn, reason)
            ),
            (Self::Client(error), ZhCn) => format!("API 客户端：{}", api_error_zh(error)),
            (Self::NoApiBase, ZhCn) => {
                "没有 API 地址：规划表中没有主机，也没有指定 --api-base".into()
            }
            (Self::UnknownStage(stage), ZhCn) => {
                format!("未知阶段 `{stage}`（可选：`prepare`、`config_cluster`）")
            }
            (Self::RunDirBusy { run_dir, holder }, ZhCn) => format!(
                "{}：另一个运行正在使用此运行目录{}；请等它结束，或换一个运行目录",
                run_dir.display(),
                holder
                    .map(|pid| format!("（进程 {pid}）"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// An override as the console words it: an entry of the form's address
/// overrides, which the caller names by its label, not `--resolve`.
pub fn override_error_for(
    front: FrontEnd,
    lang: Lang,
    error: &smtx_api::AddressOverrideError,
) -> String {
    match front {
        FrontEnd::Console => override_entry_error(lang, error),
        FrontEnd::Cli => override_error(lang, error),
    }
}

/// An entry of a list of overrides (a settings document's `api.resolve`
/// or `ssh.resolve`, the console form's field), which the caller names —
/// by its key in a file, by its label on the form.
pub fn override_entry_error(lang: Lang, error: &smtx_api::AddressOverrideError) -> String {
    use smtx_api::AddressOverrideError::*;
    match (error, lang) {
        (NoEquals { text }, En) => format!("entry {text:?}: expected IP=HOST:PORT"),
        (BadTarget { text, target }, En) => {
            format!("entry {text:?}: {target:?} is not an address with a port (127.0.0.1:8443)")
        }
        (EmptyHost { text }, En) => format!("entry {text:?}: empty address before '='"),
        (_, ZhCn) => override_error(lang, error),
    }
}

/// An address override that does not parse (`--resolve`, `--ssh-resolve`
/// or a `resolve` list of the settings file).
pub fn override_error(lang: smtx_i18n::Lang, error: &smtx_api::AddressOverrideError) -> String {
    use smtx_api::AddressOverrideError::*;
    match (error, lang) {
        (_, smtx_i18n::Lang::En) => error.to_string(),
        (NoEquals { text }, smtx_i18n::Lang::ZhCn) => {
            format!("地址映射 {text:?} 有误：应为 IP=HOST:PORT")
        }
        (BadTarget { text, target }, smtx_i18n::Lang::ZhCn) => {
            format!("地址映射 {text:?} 有误：{target:?} 不是带端口的地址（如 127.0.0.1:8443）")
        }
        (EmptyHost { text }, smtx_i18n::Lang::ZhCn) => {
            format!("地址映射 {text:?} 有误：'=' 前面没有地址")
        }
    }
}
