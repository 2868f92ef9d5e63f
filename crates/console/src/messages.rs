//! What the console's API says besides the engine's own messages: every
//! error an answer can carry, in English and Chinese (an answer holds both;
//! the page picks). One enum, a `match` arm per variant and language, so a
//! message without its Chinese does not compile.

use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize, Text, quoted};

smtx_i18n::catalog! {
    /// The console's own messages.
    pub enum ConsoleMsg {
        Unauthorized,
        PlanNotFound { id: String },
        RunNotFound { id: String },
        FileNotFound { name: String },
        UploadTooLarge { limit_mib: u64 },
        /// The upload is not a workbook, or breaks one of its limits.
        UnreadableWorkbook { reason: Text },
        /// A multipart upload without the `workbook` field.
        NoWorkbookField,
        BadUpload { reason: String },
        /// A request body that is not the JSON the route takes.
        BadRequest { reason: String },
        PlanHasErrors { errors: usize },
        /// Another run is active against one of this plan's addresses.
        ClusterBusy { run: String, address: String },
        UnknownScenario { name: String, known: String },
        UnknownStage { name: String },
        NoStages,
        /// The settings of a `settings` target do not make settings.
        BadSettings { reason: Text },
        /// A refusal the CLI makes too (the engine's preflight).
        Refused { reason: Text },
        NotResumable { status: String },
        /// The run was resumed already: its resume is the one to resume.
        AlreadyResumed { resume: String },
        /// Abort of a run that is not active.
        NotRunning { status: String },
        /// The old run's target held secrets the console does not keep.
        TargetRequired,
        FromRunUnusable { run: String, reason: Text },
        RunFailedToStart { reason: Text },
        ShuttingDown,
        /// As many uploads are being read as the console takes at once.
        TooManyUploads { limit: usize },
        /// A path under `/api` that is no route.
        NoSuchRoute,
        /// A request body past the route's limit.
        BodyTooLarge,
        /// A method the route does not take.
        MethodNotAllowed,
        /// An upload slower than `bytes_per_sec` over a whole window.
        UploadTooSlow { bytes_per_sec: u64, window_ms: u64 },
        /// A JSON body that did not arrive whole this long after its
        /// headers.
        BodyTooSlow { deadline_ms: u64 },
        /// A multipart upload with more than one `workbook` field.
        SeveralWorkbooks,
        /// As many runs are active as the console takes.
        TooManyRuns { limit: usize },
        /// A fleet of more plans than the console runs at once.
        TooManyPlans { limit: usize },
        /// A browser request from a page that is not the console's own
        /// (another origin, or a DNS name rebound to loopback).
        ForeignOrigin,
        /// A `settings` target names a file of the console's machine.
        ServerPath { key: ServerPathKey },
        /// A rehearsal option past its bound, named by its label on the
        /// form (the answer's `error.field` carries the key).
        RehearsalOptionTooLarge { option: RehearsalOption, max: u64 },
        /// A VMTools ISO id that is none of those the console offers.
        UnknownIso { id: String },
        /// An ISO upload whose file name does not end in `.iso`.
        NotAnIsoName,
        /// An ISO upload without the `iso` field.
        NoIsoField,
        EmptyIso,
        Internal { reason: String },
    }
}

/// The path-valued keys of the settings document, which a console target
/// may not carry (the engine's `FileKey`): each worded by the label a user
/// knows it under.
pub use smtx_engine::settings_doc::FileKey as ServerPathKey;

/// A rehearsal's bounded options, each by the label a user knows it under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RehearsalOption {
    IsoMib,
    LatencyMs,
    JobMs,
}

impl RehearsalOption {
    /// The request's key, for `error.field`.
    pub fn key(self) -> &'static str {
        match self {
            Self::IsoMib => "target.rehearsal.iso_mib",
            Self::LatencyMs => "target.rehearsal.latency_ms",
            Self::JobMs => "target.rehearsal.job_ms",
        }
    }

    /// Its label on the form (`target.latency` of the page's strings), or
    /// what the option is where the form has no field for it.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::IsoMib, En) => "Size of the generated VMTools ISO (MiB)",
            (Self::IsoMib, ZhCn) => "生成的 VMTools ISO 大小（MiB）",
            (Self::LatencyMs, En) => "Latency per call (ms)",
            (Self::LatencyMs, ZhCn) => "每次调用延迟（毫秒）",
            (Self::JobMs, En) => "Duration of a simulated job (ms)",
            (Self::JobMs, ZhCn) => "模拟任务耗时（毫秒）",
        }
    }
}

impl Localize for ConsoleMsg {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::RehearsalOptionTooLarge { option, max }, En) => {
                format!("{}: at most {max}", option.label(lang))
            }
            (Self::RehearsalOptionTooLarge { option, max }, ZhCn) => {
                format!("{}：最多 {max}", option.label(lang))
            }
            (Self::Unauthorized, En) => {
                "a token is required: send Authorization: Bearer TOKEN (the token serve printed)".into()
            }
            (Self::Unauthorized, ZhCn) => {
                "需要令牌：请发送 `Authorization: Bearer TOKEN`（`serve` 启动时打印的令牌）".into()
            }
            (Self::PlanNotFound { id }, En) => format!("no plan {id}"),
            (Self::PlanNotFound { id }, ZhCn) => format!("没有规划表 {id}"),
            (Self::RunNotFound { id }, En) => format!("no run {id}"),
            (Self::RunNotFound { id }, ZhCn) => format!("没有运行 {id}"),
            (Self::FileNotFound { name }, En) => format!("the run has no file {name}"),
            (Self::FileNotFound { name }, ZhCn) => format!("该运行没有文件 {name}"),
            (Self::UploadTooLarge { limit_mib }, En) => {
                format!("the upload is larger than {limit_mib} MiB")
            }
            (Self::UploadTooLarge { limit_mib }, ZhCn) => {
                format!("上传的文件超过 {limit_mib} MiB")
            }
            (Self::UnreadableWorkbook { reason }, En) => {
                format!("not a readable planning workbook: {}", reason.en)
            }
            (Self::UnreadableWorkbook { reason }, ZhCn) => {
                format!("不是可读取的规划表：{}", reason.zh_cn)
            }
            (Self::NoWorkbookField, En) => {
                "the upload has no field named workbook (multipart/form-data)".into()
            }
            (Self::NoWorkbookField, ZhCn) => {
                "上传内容中没有名为 `workbook` 的字段（`multipart/form-data`）".into()
            }
            (Self::BadUpload { reason }, En) => format!("the upload could not be read: {reason}"),
            (Self::BadUpload { reason }, ZhCn) => {
                format!("无法读取上传内容：{}", quoted(lang, reason))
            }
            (Self::BadRequest { reason }, En) => format!("the request is not valid: {reason}"),
            (Self::BadRequest { reason }, ZhCn) => {
                format!("请求无效：{}", quoted(lang, reason))
            }
            (Self::PlanHasErrors { errors }, En) => format!(
                "the workbook has {errors} error(s); fix them, upload it again and start the run from the new plan"
            ),
            (Self::PlanHasErrors { errors }, ZhCn) => {
                format!("规划表有 {errors} 个错误；请修正后重新上传，再用新的规划表开始运行")
            }
            (Self::ClusterBusy { run, address }, En) => format!(
                "run {run} is still active against {address}; wait for it to end or abort it"
            ),
            (Self::ClusterBusy { run, address }, ZhCn) => {
                format!("运行 {run} 仍在操作 {address}；请等待其结束或中止它")
            }
            (Self::UnknownScenario { name, known }, En) => {
                format!("no scenario {name:?} (known: {known})")
            }
            (Self::UnknownScenario { name, known }, ZhCn) => {
                format!("没有场景 {}（可选：{known}）", quoted(lang, name))
            }
            (Self::UnknownStage { name }, En) => {
                format!("unknown stage {name:?} (known: prepare, config_cluster)")
            }
            (Self::UnknownStage { name }, ZhCn) => {
                format!("未知阶段 {}（可选：`prepare`、`config_cluster`）", quoted(lang, name))
            }
            (Self::NoStages, En) => "no stage to run: stages is empty".into(),
            (Self::NoStages, ZhCn) => "没有要运行的阶段：`stages` 为空".into(),
            (Self::BadSettings { reason }, En) => format!("settings: {}", reason.en),
            (Self::BadSettings { reason }, ZhCn) => format!("设置有误：{}", reason.zh_cn),
            (Self::Refused { reason }, En) => format!("refused: {}", reason.en),
            (Self::Refused { reason }, ZhCn) => format!("已拒绝：{}", reason.zh_cn),
            (Self::NotResumable { status }, En) => format!(
                "a {status} run is not resumed; only interrupted, failed and aborted runs are"
            ),
            (Self::NotResumable { status }, ZhCn) => format!(
                "状态为 `{status}` 的运行不能继续；只有 `interrupted`、`failed`、`aborted` 的运行可以继续"
            ),
            (Self::AlreadyResumed { resume }, En) => format!(
                "this run was resumed already, as run {resume}; resume that run instead"
            ),
            (Self::AlreadyResumed { resume }, ZhCn) => {
                format!("该运行已经继续过（运行 {resume}）；请继续那一次运行")
            }
            (Self::NotRunning { status }, En) => {
                format!("the run is not running (it is {status}); nothing to abort")
            }
            (Self::NotRunning { status }, ZhCn) => {
                format!("该运行未在进行中（状态：`{status}`），无需中止")
            }
            (Self::TargetRequired, En) => "the run's settings held passwords or tokens, which the console does not keep; send the target again in the body".into(),
            (Self::TargetRequired, ZhCn) => "该运行的设置中含有密码或令牌，控制台不保存它们；请在请求体中再次提供 `target`".into(),
            (Self::FromRunUnusable { run, reason }, En) => {
                format!("the run to resume, {run}: {}", reason.en)
            }
            (Self::FromRunUnusable { run, reason }, ZhCn) => {
                format!("要继续的运行 {run}：{}", reason.zh_cn)
            }
            (Self::RunFailedToStart { reason }, En) => format!("the run did not start: {}", reason.en),
            (Self::RunFailedToStart { reason }, ZhCn) => format!("运行未能开始：{}", reason.zh_cn),
            (Self::ShuttingDown, En) => "the console is shutting down; no new run starts".into(),
            (Self::ShuttingDown, ZhCn) => "控制台正在关闭，不再开始新的运行".into(),
            (Self::TooManyUploads { limit }, En) => {
                format!("{limit} uploads are under way, as many as the console reads at once: try again shortly")
            }
            (Self::TooManyUploads { limit }, ZhCn) => {
                format!("已有 {limit} 个上传在进行，达到控制台同时读取的上限：请稍后重试")
            }
            (Self::NoSuchRoute, En) => "no such API route".into(),
            (Self::NoSuchRoute, ZhCn) => "没有这个接口路径".into(),
            (Self::BodyTooLarge, En) => "the request body is too large".into(),
            (Self::BodyTooLarge, ZhCn) => "请求体过大".into(),
            (Self::MethodNotAllowed, En) => "this route does not take that method".into(),
            (Self::MethodNotAllowed, ZhCn) => "该路径不接受此请求方法".into(),
            (Self::UploadTooSlow { bytes_per_sec, window_ms }, En) => format!(
                "the upload was slower than {} for {} and was dropped",
                rate(*bytes_per_sec),
                duration(*window_ms)
            ),
            (Self::UploadTooSlow { bytes_per_sec, window_ms }, ZhCn) => format!(
                "上传速度在 {} 内低于 {}，上传已中止",
                duration(*window_ms),
                rate(*bytes_per_sec)
            ),
            (Self::BodyTooSlow { deadline_ms }, En) => format!(
                "the request body did not arrive whole within {} of its headers; the connection is closed",
                duration(*deadline_ms)
            ),
            (Self::BodyTooSlow { deadline_ms }, ZhCn) => format!(
                "请求头到达后 {} 内未收到完整的请求体，连接已关闭",
                duration(*deadline_ms)
            ),
            (Self::SeveralWorkbooks, En) => {
                "the upload has more than one workbook field: send one workbook per upload".into()
            }
            (Self::SeveralWorkbooks, ZhCn) => {
                "上传内容中有多个 `workbook` 字段：每次只上传一个规划表".into()
            }
            (Self::TooManyRuns { limit }, En) => {
                format!("{limit} runs are under way, as many as the console takes: wait for one to end")
            }
            (Self::TooManyRuns { limit }, ZhCn) => {
                format!("已有 {limit} 个运行在进行，达到控制台上限：请等待其中一个结束")
            }
            (Self::TooManyPlans { limit }, En) => {
                format!("a fleet takes at most {limit} plans")
            }
            (Self::TooManyPlans { limit }, ZhCn) => format!("一个批量运行最多包含 {limit} 个规划表"),
            (Self::ForeignOrigin, En) => {
                "refused: the request comes from a page that is not this console's (another origin, or a name that is not loopback without a token)".into()
            }
            (Self::ForeignOrigin, ZhCn) => {
                "已拒绝：请求来自非本控制台的页面（其他来源，或未设令牌时使用了非回环地址的域名）".into()
            }
            (Self::ServerPath { key }, En) => {
                let (label, instead) = match key {
                    ServerPathKey::CaCert => (
                        "CA certificate file",
                        "paste the certificate itself (PEM) or choose the file in the form",
                    ),
                    ServerPathKey::KnownHosts => (
                        "SSH known_hosts file",
                        "the console pins host keys itself, one file per cluster in its data directory",
                    ),
                    ServerPathKey::VmtoolsIso => (
                        "VMTools ISO path",
                        "upload the ISO to the console or pick one it lists",
                    ),
                    ServerPathKey::RunDir => (
                        "Run directory",
                        "the console gives each run its own directory in its data directory",
                    ),
                };
                format!("{label}: the console does not take a path of a file on its server; {instead}")
            }
            (Self::ServerPath { key }, ZhCn) => {
                let (label, instead) = match key {
                    ServerPathKey::CaCert => ("CA 证书文件", "请粘贴证书内容（PEM），或在表单中选择文件"),
                    ServerPathKey::KnownHosts => (
                        "SSH known_hosts 文件",
                        "控制台自行记录主机密钥，每个集群一个文件，存放在其数据目录中",
                    ),
                    ServerPathKey::VmtoolsIso => {
                        ("VMTools ISO 路径", "请把 ISO 上传到控制台，或从控制台列出的 ISO 中选择")
                    }
                    ServerPathKey::RunDir => {
                        ("运行目录", "控制台在其数据目录中为每个运行分配单独的目录")
                    }
                };
                format!("{label}：控制台不接受其服务器上的文件路径；{instead}")
            }
            (Self::UnknownIso { id }, En) => format!(
                "VMTools ISO {id:?} is not one the console offers: upload it or pick one from the list"
            ),
            (Self::UnknownIso { id }, ZhCn) => format!(
                "VMTools ISO {} 不在控制台提供的列表中：请上传它，或从列表中选择",
                quoted(lang, id)
            ),
            (Self::NotAnIsoName, En) => {
                "the uploaded file's name does not end in .iso; choose the VMTools ISO".into()
            }
            (Self::NotAnIsoName, ZhCn) => {
                "上传的文件名不以 `.iso` 结尾；请选择 VMTools ISO 文件".into()
            }
            (Self::NoIsoField, En) => {
                "the upload has no field named iso (multipart/form-data)".into()
            }
            (Self::NoIsoField, ZhCn) => {
                "上传内容中没有名为 `iso` 的字段（`multipart/form-data`）".into()
            }
            (Self::EmptyIso, En) => "the uploaded ISO is empty".into(),
            (Self::EmptyIso, ZhCn) => "上传的 ISO 文件为空".into(),
            (Self::Internal { reason }, En) => format!("internal error: {reason}"),
            (Self::Internal { reason }, ZhCn) => format!("内部错误：{}", quoted(lang, reason)),
        }
    }
}

/// A rate as the messages write it: `16 KiB/s`, or `500 B/s` when it is
/// not a whole number of KiB.
fn rate(bytes_per_sec: u64) -> String {
    if bytes_per_sec >= 1024 && bytes_per_sec.is_multiple_of(1024) {
        format!("{} KiB/s", bytes_per_sec / 1024)
    } else {
        format!("{bytes_per_sec} B/s")
    }
}

/// A duration as the messages write it: `10 s`, or `1500 ms` when it is
/// not a whole number of seconds.
fn duration(ms: u64) -> String {
    if ms >= 1000 && ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{ms} ms")
    }
}

/// Both languages of a message, as answers carry them: worded for the
/// console (its buttons and fields, never the CLI's flags, keys or
/// signals).
pub fn both(message: &impl Localize) -> Text {
    Text {
        en: message.localize_for(FrontEnd::Console, En),
        zh_cn: message.localize_for(FrontEnd::Console, ZhCn),
    }
}

/// `{"en": …, "zh-CN": …}`: how every message appears in JSON.
pub fn json(text: &Text) -> serde_json::Value {
    serde_json::json!({ "en": text.en, "zh-CN": text.zh_cn })
}

/// `json` of a message rendered in both languages.
pub fn json_of(message: &impl Localize) -> serde_json::Value {
    json(&both(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_durations_read_in_their_units() {
        assert_eq!(rate(16 * 1024), "16 KiB/s");
        assert_eq!(rate(1000), "1000 B/s");
        assert_eq!(rate(0), "0 B/s");
        assert_eq!(duration(10_000), "10 s");
        assert_eq!(duration(1500), "1500 ms");
        assert_eq!(
            ConsoleMsg::UploadTooSlow {
                bytes_per_sec: 16 * 1024,
                window_ms: 10_000
            }
            .localize(Lang::En),
            "the upload was slower than 16 KiB/s for 10 s and was dropped"
        );
    }

    /// One sample of every variant renders in both languages, the Chinese
    /// with no English word left (identifiers, statuses and quoted text aside).
    #[test]
    fn every_message_renders_in_both_languages() {
        let s = |text: &str| text.to_string();
        let reason = Text {
            en: s("Permission denied"),
            zh_cn: s("权限不足"),
        };
        let samples = vec![
            ConsoleMsg::Unauthorized,
            ConsoleMsg::PlanNotFound { id: s("p-1") },
            ConsoleMsg::RunNotFound { id: s("r-1") },
            ConsoleMsg::FileNotFound { name: s("x.json") },
            ConsoleMsg::UploadTooLarge { limit_mib: 20 },
            ConsoleMsg::UnreadableWorkbook {
                reason: reason.clone(),
            },
            ConsoleMsg::NoWorkbookField,
            ConsoleMsg::BadUpload {
                reason: s("stream ended early"),
            },
            ConsoleMsg::BadRequest {
                reason: s("missing field plan_id"),
            },
            ConsoleMsg::PlanHasErrors { errors: 3 },
            ConsoleMsg::ClusterBusy {
                run: s("r-1"),
                address: s("10.0.20.11"),
            },
            ConsoleMsg::UnknownScenario {
                name: s("x"),
                known: s("bmc-down, vip-in-use"),
            },
            ConsoleMsg::UnknownStage { name: s("deploy") },
            ConsoleMsg::NoStages,
            ConsoleMsg::BadSettings {
                reason: reason.clone(),
            },
            ConsoleMsg::Refused {
                reason: reason.clone(),
            },
            ConsoleMsg::NotResumable { status: s("ok") },
            ConsoleMsg::AlreadyResumed { resume: s("r-2") },
            ConsoleMsg::TargetRequired,
            ConsoleMsg::NotRunning { status: s("ok") },
            ConsoleMsg::FromRunUnusable {
                run: s("r-1"),
                reason: reason.clone(),
            },
            ConsoleMsg::RunFailedToStart { reason },
            ConsoleMsg::ShuttingDown,
            ConsoleMsg::ForeignOrigin,
            ConsoleMsg::SeveralWorkbooks,
            ConsoleMsg::UploadTooSlow {
                bytes_per_sec: 16 * 1024,
                window_ms: 10_000,
            },
            ConsoleMsg::BodyTooSlow { deadline_ms: 5000 },
            ConsoleMsg::BodyTooLarge,
            ConsoleMsg::NoSuchRoute,
            ConsoleMsg::TooManyUploads { limit: 8 },
            ConsoleMsg::MethodNotAllowed,
            ConsoleMsg::TooManyRuns { limit: 32 },
            ConsoleMsg::TooManyPlans { limit: 32 },
            ConsoleMsg::ServerPath {
                key: ServerPathKey::CaCert,
            },
            ConsoleMsg::ServerPath {
                key: ServerPathKey::KnownHosts,
            },
            ConsoleMsg::ServerPath {
                key: ServerPathKey::VmtoolsIso,
            },
            ConsoleMsg::ServerPath {
                key: ServerPathKey::RunDir,
            },
            ConsoleMsg::UnknownIso {
                id: s("dir/../../etc/shadow"),
            },
            ConsoleMsg::RehearsalOptionTooLarge {
                option: RehearsalOption::LatencyMs,
                max: 10_000,
            },
            ConsoleMsg::RehearsalOptionTooLarge {
                option: RehearsalOption::IsoMib,
                max: 2048,
            },
            ConsoleMsg::RehearsalOptionTooLarge {
                option: RehearsalOption::JobMs,
                max: 600_000,
            },
            ConsoleMsg::NotAnIsoName,
            ConsoleMsg::NoIsoField,
            ConsoleMsg::EmptyIso,
            ConsoleMsg::Internal {
                reason: s("database is locked"),
            },
        ];
        let seen: Vec<&str> = samples.iter().map(ConsoleMsg::variant).collect();
        for variant in ConsoleMsg::VARIANTS {
            assert!(seen.contains(variant), "no sample of {variant}");
        }
        for sample in &samples {
            let en = sample.localize(Lang::En);
            let zh = sample.localize(Lang::ZhCn);
            assert!(!en.is_empty() && en != zh, "{sample:?}");
            let left = smtx_i18n::untranslated_words(&zh);
            assert!(left.is_empty(), "{zh}: {left:?}");
            let drift = smtx_i18n::glossary::problems(Some(&en), &zh);
            assert!(drift.is_empty(), "{zh}: {drift:?}");
        }
        // Every one of them is shown on the page: no flag, settings key
        // path or signal, in either language.
        let mut shown = Vec::new();
        for sample in &samples {
            let text = both(sample);
            for text in [text.en, text.zh_cn] {
                for problem in smtx_i18n::front_end::console_problems(&text) {
                    shown.push(format!("{problem} in {text:?}"));
                }
            }
        }
        assert!(shown.is_empty(), "{shown:#?}");
    }

    /// A hint's action names what the page shows: every label it quotes
    /// (“…” in English, 「…」 in Chinese) is a label of the page's string
    /// table in that language, so "tick … under More settings" is a
    /// setting the form has.
    #[test]
    fn every_action_the_console_names_is_on_the_page() {
        use smtx_engine::messages::action::Action;
        let (en, zh) = page_strings(include_str!("../assets/js/strings.js"));
        let mut problems = Vec::new();
        let mut quoted_labels = 0;
        for action in Action::ALL {
            for (lang, labels, open, close) in
                [(Lang::En, &en, '“', '”'), (Lang::ZhCn, &zh, '「', '」')]
            {
                let words = action.words(smtx_i18n::FrontEnd::Console, lang);
                let mut rest = words;
                while let Some(start) = rest.find(open) {
                    let after = &rest[start + open.len_utf8()..];
                    let Some(end) = after.find(close) else {
                        problems.push(format!("{action:?}: unclosed quote in {words:?}"));
                        break;
                    };
                    let label = &after[..end];
                    quoted_labels += 1;
                    if !labels.values().any(|text| text == label) {
                        problems.push(format!(
                            "{action:?} ({lang:?}): {label:?} is no label of the page"
                        ));
                    }
                    rest = &after[end..];
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
        // The form's settings the hints name: at least one label each.
        assert!(quoted_labels >= 2 * Action::ALL.len(), "{quoted_labels}");
    }

    /// The page's string table (js/strings.js, read as text): each key in
    /// both languages, in the glossary's words, and nothing a browser user
    /// could not act on (a flag, a settings key path, a signal).
    #[test]
    fn the_page_strings_keep_the_glossary_and_name_no_flag() {
        let table = include_str!("../assets/js/strings.js");
        let (en, zh) = page_strings(table);
        assert!(
            en.len() > 100 && en.len() == zh.len(),
            "{} {}",
            en.len(),
            zh.len()
        );
        let mut problems = Vec::new();
        for (key, english) in &en {
            let Some(chinese) = zh.get(key) else {
                problems.push(format!("{key}: no Chinese"));
                continue;
            };
            for problem in smtx_i18n::glossary::problems(Some(english), chinese) {
                problems.push(format!("{key}: {problem} in {chinese:?}"));
            }
            for text in [english, chinese] {
                for problem in smtx_i18n::front_end::console_problems(text) {
                    problems.push(format!("{key}: {problem} in {text:?}"));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    /// `"key": "text",` lines of the `en` and `"zh-CN"` tables.
    fn page_strings(
        table: &str,
    ) -> (
        std::collections::BTreeMap<String, String>,
        std::collections::BTreeMap<String, String>,
    ) {
        let mut en = std::collections::BTreeMap::new();
        let mut zh = std::collections::BTreeMap::new();
        let mut current = None;
        for line in table.lines() {
            match line.trim() {
                "en: {" => current = Some(&mut en),
                "\"zh-CN\": {" => current = Some(&mut zh),
                entry => {
                    let parsed: Option<(String, String)> = entry
                        .strip_suffix(',')
                        .and_then(|entry| serde_json::from_str(&format!("{{{entry}}}")).ok())
                        .and_then(|map: serde_json::Map<String, serde_json::Value>| {
                            let (key, value) = map.into_iter().next()?;
                            Some((key, value.as_str()?.to_string()))
                        });
                    if let (Some(table), Some((key, text))) = (current.as_mut(), parsed) {
                        table.insert(key, text);
                    }
                }
            }
        }
        (en, zh)
    }
}
