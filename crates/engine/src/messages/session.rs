//! The messages of `config_cluster`'s start: the preconditions, the Fisheye
//! admin (`setupRoot`) and the login.

use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize, Text};

smtx_i18n::catalog! {
    pub enum SessionMsg {
        WouldStart,
        DeploymentVerified,
        NotDeployed,
        NotDeployedHint,
        NoDeployVerify,
        NoDeployVerifyHint,
        AlreadyInitialized,
        WouldInitialize { user: String },
        Initialized { user: String },
        SetupRootHint,
        WouldLogIn { user: String },
        LoggedIn { user: String },
        /// The login failed; the configured token is used instead.
        UsingToken { error: Text },
        LoginHint { cell: String },
    }
}

impl Localize for SessionMsg {
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        if front == FrontEnd::Cli {
            return self.localize(lang);
        }
        match (self, lang) {
            (Self::NoDeployVerifyHint, En) => {
                "run the prepare stage first, or resume its run (Resume on its page)".into()
            }
            (Self::NoDeployVerifyHint, ZhCn) => {
                "先运行准备阶段，或在准备阶段那次运行的页面上点击「继续执行」".into()
            }
            // The console's target has no token field: the admin
            // password is the fix there.
            (Self::LoginHint { cell }, En) => {
                format!("check the Fisheye admin password ({cell})")
            }
            (Self::LoginHint { cell }, ZhCn) => {
                format!("检查 Fisheye 管理员密码（{cell}）")
            }
            _ => self.localize(lang),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WouldStart, En) => "would start once prepare has verified the deployment".into(),
            (Self::WouldStart, ZhCn) => "准备阶段校验部署之后将开始".into(),
            (Self::DeploymentVerified, En) => "deployment verified by prepare".into(),
            (Self::DeploymentVerified, ZhCn) => "准备阶段已校验部署".into(),
            (Self::NotDeployed, En) => "deploy_verify says the cluster is not deployed".into(),
            (Self::NotDeployed, ZhCn) => "deploy_verify 表明集群尚未部署".into(),
            (Self::NotDeployedHint, En) => "finish the deployment, then run prepare again".into(),
            (Self::NotDeployedHint, ZhCn) => "完成部署后重新运行准备阶段".into(),
            (Self::NoDeployVerify, En) => "no deploy_verify in the run context".into(),
            (Self::NoDeployVerify, ZhCn) => "运行上下文中没有 deploy_verify".into(),
            (Self::NoDeployVerifyHint, En) => {
                "run the prepare stage first, or start from its run with --from RUN_DIR".into()
            }
            (Self::NoDeployVerifyHint, ZhCn) => {
                "先运行准备阶段，或用 --from RUN_DIR 从它的运行目录继续".into()
            }
            (Self::AlreadyInitialized, En) => {
                "already initialized: the workbook's admin password logs in".into()
            }
            (Self::AlreadyInitialized, ZhCn) => "已初始化：规划表中的管理员密码可以登录".into(),
            (Self::WouldInitialize { user }, En) => format!(
                "would initialize admin {user} (a cluster initialized before keeps its admin)"
            ),
            (Self::WouldInitialize { user }, ZhCn) => {
                format!("将初始化管理员 {user}（已初始化过的集群保留原管理员）")
            }
            (Self::Initialized { user }, En) => format!("admin {user} initialized"),
            (Self::Initialized { user }, ZhCn) => format!("管理员 {user} 已初始化"),
            (Self::SetupRootHint, En) => {
                "the cluster may already be initialized with another password; login decides".into()
            }
            (Self::SetupRootHint, ZhCn) => {
                "集群可能已用其他密码初始化；以登录步骤的结果为准".into()
            }
            (Self::WouldLogIn { user }, En) => format!("would log in as {user}"),
            (Self::WouldLogIn { user }, ZhCn) => format!("将以 {user} 登录"),
            (Self::LoggedIn { user }, En) => {
                format!("logged in as {user}")
            }
            (Self::LoggedIn { user }, ZhCn) => {
                format!("已以 {user} 登录")
            }
            (Self::UsingToken { error }, En) => {
                format!("{}; using the configured token", error.en)
            }
            (Self::UsingToken { error }, ZhCn) => {
                format!("{}；改用配置的令牌", error.zh_cn)
            }
            (Self::LoginHint { cell }, En) => {
                format!("check the Fisheye admin password ({cell}) or configure api.token")
            }
            (Self::LoginHint { cell }, ZhCn) => {
                format!("检查 Fisheye 管理员密码（{cell}），或配置 api.token")
            }
        }
    }
}
