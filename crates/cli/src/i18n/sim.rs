//! The messages of `smtx-deploy sim`, in English and Chinese. Kept apart
//! from the shared ones so that every flag a message names is one of this
//! command's (`cli/tests/it/hints.rs` checks each file against its command).

use smtx_i18n::{Lang, Localize, quoted};

smtx_i18n::catalog! {
    /// What `sim` says.
    pub enum SimMsg {
        SimWorkbookErrors { file: String, count: usize },
        SimCheckHint { file: String },
        ChunkSizeZero,
        CannotReadScenario { path: String, reason: String },
        BadScenario { path: String, reason: String },
        EmptyControlToken,
        StartingSim,
        SimVip { ip: String, url: String, ssh: Option<String> },
        SimControl { url: String, token: bool },
        SimSettingsFile { path: String },
        SimRunHint { config: String, workbook: String },
        SimCurlHint { command: String },
        Simulating,
        StoppingSim,
        WaitingForCtrlC,
        Resolving { path: String },
        Creating { path: String },
        Writing { path: String },
        FleetUnreadable { file: String, reason: smtx_i18n::Text },
        FleetWorkbookErrors { file: String, count: usize },
        FleetSameName { file: String, stem: String },
        FleetSharedAddress { first: String, second: String, address: String },
        FleetNeedsWriteConfigs,
        FleetNothingToSimulate,
        StartingFleet,
        FleetMember { stem: String, cluster: String, hosts: usize, control: String, settings: String },
        FleetRunHint { plans: String, configs: String },
        FleetSimulating { count: usize },
        FleetStopping,
    }
}

impl Localize for SimMsg {
    fn localize(&self, lang: Lang) -> String {
        use Lang::{En, ZhCn};
        match (self, lang) {
            (Self::SimWorkbookErrors { file, count }, En) => {
                format!("error: {file}: {count} error(s); fix the workbook before simulating it")
            }
            (Self::SimWorkbookErrors { file, count }, ZhCn) => {
                format!("错误：{file}：有 {count} 个错误；请先修正规划表再模拟")
            }
            (Self::SimCheckHint { file }, En) => {
                format!("hint: `smtx-deploy plan check {file}` lists them by cell")
            }
            (Self::SimCheckHint { file }, ZhCn) => {
                format!("提示：`smtx-deploy plan check {file}` 会按单元格列出它们")
            }
            (Self::ChunkSizeZero, En) => "--chunk-size must be > 0".into(),
            (Self::ChunkSizeZero, ZhCn) => "--chunk-size 必须大于 0".into(),
            (Self::CannotReadScenario { path, reason }, En) => {
                format!("{path}: cannot read the scenario: {reason}")
            }
            (Self::CannotReadScenario { path, reason }, ZhCn) => {
                format!("{path}：无法读取故障场景：{}", quoted(lang, reason))
            }
            (Self::BadScenario { path, reason }, En) => format!("{path}: {reason}"),
            (Self::BadScenario { path, reason }, ZhCn) => {
                format!("{path}：故障场景有误：{}", quoted(lang, reason))
            }
            (Self::EmptyControlToken, En) => "--control-token must not be empty".into(),
            (Self::EmptyControlToken, ZhCn) => "--control-token 不能为空".into(),
            (Self::StartingSim, En) => "starting the simulated cluster".into(),
            (Self::StartingSim, ZhCn) => "启动模拟集群".into(),
            (Self::SimVip { ip, url, ssh }, _) => {
                let ssh = ssh
                    .as_ref()
                    .map(|ssh| match lang {
                        En => format!("  ssh {ssh}"),
                        ZhCn => format!("，SSH 在 {ssh}"),
                    })
                    .unwrap_or_default();
                match lang {
                    En => format!(
                        "VIP  {ip} → {url}{ssh}  (answers once set via PUT /api/v2/settings/vip)"
                    ),
                    ZhCn => format!(
                        "VIP  {ip} → {url}{ssh}  （通过 PUT /api/v2/settings/vip 设置后才应答）"
                    ),
                }
            }
            (Self::SimControl { url, token }, En) => format!(
                "control  {url}/_sim/state  {url}/_sim/faults{}",
                if *token {
                    "  (Authorization: Bearer <control token>)"
                } else {
                    ""
                }
            ),
            (Self::SimControl { url, token }, ZhCn) => format!(
                "控制端点  {url}/_sim/state  {url}/_sim/faults{}",
                if *token {
                    "  （请求头 `Authorization: Bearer <控制令牌>`）"
                } else {
                    ""
                }
            ),
            (Self::SimSettingsFile { path }, En) => format!("settings  {path}"),
            (Self::SimSettingsFile { path }, ZhCn) => format!("设置文件  {path}"),
            (Self::SimRunHint { config, workbook }, En) => {
                format!("hint: smtx-deploy run --config {config} --plan {workbook}")
            }
            (Self::SimRunHint { config, workbook }, ZhCn) => {
                format!("提示：运行 `smtx-deploy run --config {config} --plan {workbook}`")
            }
            (Self::SimCurlHint { command }, En) => format!("hint: {command}"),
            (Self::SimCurlHint { command }, ZhCn) => format!("提示：查看模拟集群状态：`{command}`"),
            (Self::Simulating, En) => "Simulating; press Ctrl-C to stop.".into(),
            (Self::Simulating, ZhCn) => "模拟中；按 Ctrl-C 停止。".into(),
            (Self::StoppingSim, En) => "Stopping the simulated cluster.".into(),
            (Self::StoppingSim, ZhCn) => "正在停止模拟集群。".into(),
            (Self::WaitingForCtrlC, En) => "waiting for Ctrl-C".into(),
            (Self::WaitingForCtrlC, ZhCn) => "等待 Ctrl-C".into(),
            (Self::Resolving { path }, En) => format!("resolving {path}"),
            (Self::Resolving { path }, ZhCn) => format!("解析路径 {path}"),
            (Self::Creating { path }, En) => format!("creating {path}"),
            (Self::Creating { path }, ZhCn) => format!("创建 {path}"),
            (Self::Writing { path }, En) => format!("writing {path}"),
            (Self::Writing { path }, ZhCn) => format!("写入 {path}"),
            (Self::FleetUnreadable { file, reason }, En) => {
                format!("skipped {file}: {}", reason.en)
            }
            (Self::FleetUnreadable { file, reason }, ZhCn) => {
                format!("跳过 {file}：{}", reason.zh_cn)
            }
            (Self::FleetWorkbookErrors { file, count }, En) => format!(
                "skipped {file}: {count} error(s); `smtx-deploy plan check {file}` lists them by cell"
            ),
            (Self::FleetWorkbookErrors { file, count }, ZhCn) => format!(
                "跳过 {file}：有 {count} 个错误；`smtx-deploy plan check {file}` 会按单元格列出它们"
            ),
            (Self::FleetSameName { file, stem }, En) => format!(
                "{file}: another workbook is also called {stem:?}; each needs its own settings file name"
            ),
            (Self::FleetSameName { file, stem }, ZhCn) => {
                format!("{file}：另一个规划表也叫 {stem:?}；每个规划表需要各自的设置文件名")
            }
            (
                Self::FleetSharedAddress {
                    first,
                    second,
                    address,
                },
                En,
            ) => format!(
                "warning: {first} and {second} both use {address}; a fleet run pins one SSH key per address"
            ),
            (
                Self::FleetSharedAddress {
                    first,
                    second,
                    address,
                },
                ZhCn,
            ) => format!(
                "警告：{first} 和 {second} 都使用 {address}；批量运行时每个地址只记录一个 SSH 主机密钥"
            ),
            (Self::FleetNeedsWriteConfigs, En) => "--plans needs --write-configs DIR".into(),
            (Self::FleetNeedsWriteConfigs, ZhCn) => {
                "--plans 需要同时给出 --write-configs DIR".into()
            }
            (Self::FleetNothingToSimulate, En) => {
                "error: no workbook without errors to simulate".into()
            }
            (Self::FleetNothingToSimulate, ZhCn) => "错误：没有可模拟的无错误规划表".into(),
            (Self::StartingFleet, En) => "starting the simulated clusters".into(),
            (Self::StartingFleet, ZhCn) => "启动模拟集群".into(),
            (
                Self::FleetMember {
                    stem,
                    cluster,
                    hosts,
                    control,
                    settings,
                },
                En,
            ) => format!(
                "{stem}  {cluster}  {hosts} host(s)  control {control}/_sim/state  settings {settings}"
            ),
            (
                Self::FleetMember {
                    stem,
                    cluster,
                    hosts,
                    control,
                    settings,
                },
                ZhCn,
            ) => format!(
                "{stem}  {cluster}  {hosts} 台主机  控制端点 {control}/_sim/state  设置文件 {settings}"
            ),
            (Self::FleetRunHint { plans, configs }, En) => {
                format!("hint: smtx-deploy run --plans {plans} --configs {configs}")
            }
            (Self::FleetRunHint { plans, configs }, ZhCn) => {
                format!("提示：运行 `smtx-deploy run --plans {plans} --configs {configs}`")
            }
            (Self::FleetSimulating { count }, En) => {
                format!("Simulating {count} cluster(s); press Ctrl-C to stop.")
            }
            (Self::FleetSimulating { count }, ZhCn) => {
                format!("正在模拟 {count} 个集群；按 Ctrl-C 停止。")
            }
            (Self::FleetStopping, En) => "Stopping the simulated clusters.".into(),
            (Self::FleetStopping, ZhCn) => "正在停止模拟集群。".into(),
        }
    }
}
