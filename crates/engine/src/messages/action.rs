//! What a hint asks the user to do, as a typed value: "resume from this
//! run", "map this address", "set the initial SSH password". The CLI words
//! an action as the flag or settings key that does it; the console as the
//! button, field or setting on its page, named as the page labels it (the
//! labels of `crates/console/assets/js/strings.js`), never a flag, a key
//! path or a signal.
//!
//! A catalog's `localize` is the CLI's wording (what files keep);
//! its `localize_for(FrontEnd::Console, …)` words the same hint with
//! [`Action::words`] for the console.

use smtx_i18n::{FrontEnd, Lang};

/// An action a hint asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Continue from this run: what is done is not done again.
    ResumeFromRun,
    /// Map a planned address to where it really answers.
    MapAddress,
    /// Say where the cluster's API answers.
    SetApiBase,
    /// Trust the cluster's CA certificate.
    TrustCa,
    /// Skip the TLS verification.
    SkipTlsCheck,
    /// The SSH password the hosts had when deployed.
    SetInitialSshPassword,
    /// Let host passwords be set (rotation turned back on).
    RotateHostPasswords,
    /// Accept a host's changed SSH key.
    AcceptChangedHostKey,
    /// Go on although the VIP answers already.
    AllowActiveVip,
    /// Overwrite the serial the workbook holds.
    ForceSerial,
    /// Write the serial into another cell.
    SerialCell,
    /// Choose the VMTools ISO.
    ChooseIso,
    /// Upload the ISO although the cluster has it.
    ForceUpload,
    /// Stop a run under way.
    Stop,
}

impl Action {
    /// The action as `front` names it, in `lang`: a noun phrase a hint's
    /// sentence is built around (`--from RUN_DIR`, `Resume on this run's
    /// page`).
    pub fn words(self, front: FrontEnd, lang: Lang) -> &'static str {
        use Action::*;
        use FrontEnd::{Cli, Console};
        use Lang::{En, ZhCn};
        match (front, lang, self) {
            (Cli, _, ResumeFromRun) => "--from RUN_DIR",
            (Cli, _, MapAddress) => "--resolve",
            (Cli, _, SetApiBase) => "--api-base",
            (Cli, _, TrustCa) => "--ca-cert FILE",
            (Cli, _, SkipTlsCheck) => "--insecure",
            (Cli, _, SetInitialSshPassword) => "ssh.initial_password",
            (Cli, _, RotateHostPasswords) => "--no-host-passwords",
            (Cli, _, AcceptChangedHostKey) => "--accept-changed-host-key",
            (Cli, _, AllowActiveVip) => "--allow-active-vip",
            (Cli, _, ForceSerial) => "--force-serial",
            (Cli, _, SerialCell) => "--serial-cell SHEET!CELL",
            (Cli, _, ChooseIso) => "--vmtools-iso / vmtools.iso",
            (Cli, _, ForceUpload) => "--force-upload",
            (Cli, En, Stop) => "Ctrl-C, SIGTERM or a stop request",
            (Cli, ZhCn, Stop) => "Ctrl-C、SIGTERM 或停止请求",

            (Console, En, ResumeFromRun) => "Resume on this run's page",
            (Console, ZhCn, ResumeFromRun) => "本运行页面上的「继续执行」",
            (Console, En, MapAddress) => "the target's HTTPS address overrides",
            (Console, ZhCn, MapAddress) => "目标的「HTTPS 地址映射」",
            (Console, En, SetApiBase) => "the target's API base URL",
            (Console, ZhCn, SetApiBase) => "目标的「API 地址」",
            (Console, En, TrustCa) => "the target's CA certificate (PEM)",
            (Console, ZhCn, TrustCa) => "目标的「CA 证书（PEM）」",
            (Console, En, SkipTlsCheck) => "Do not verify the certificate (insecure)",
            (Console, ZhCn, SkipTlsCheck) => "「不校验证书（不安全）」",
            (Console, En, SetInitialSshPassword) => "the target's SSH initial password",
            (Console, ZhCn, SetInitialSshPassword) => "目标的「SSH 初始密码」",
            (Console, En, RotateHostPasswords) => "host-password rotation in the target's settings",
            (Console, ZhCn, RotateHostPasswords) => "目标设置中的主机密码修改",
            (Console, En, AcceptChangedHostKey) => "the host's pinned key on the console's machine",
            (Console, ZhCn, AcceptChangedHostKey) => "控制台所在机器上记录的该主机密钥",
            (Console, En, AllowActiveVip) => "an active VIP allowed in the target's settings",
            (Console, ZhCn, AllowActiveVip) => "在目标设置中允许 VIP 已在使用",
            (Console, En, ForceSerial) => "the serial overwritten (the target's settings)",
            (Console, ZhCn, ForceSerial) => "在目标设置中允许覆盖序列号",
            (Console, En, SerialCell) => "an empty serial cell named in the target's settings",
            (Console, ZhCn, SerialCell) => "在目标设置中指定一个空的序列号单元格",
            (Console, En, ChooseIso) => "the VMTools ISO chosen on the form",
            (Console, ZhCn, ChooseIso) => "表单中选择的「VMTools ISO」",
            (Console, En, ForceUpload) => "a forced upload in the target's settings",
            (Console, ZhCn, ForceUpload) => "在目标设置中强制重新上传",
            (Console, En, Stop) => "Abort, or the console stopping",
            (Console, ZhCn, Stop) => "「中止」或控制台停止",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Action; 14] = [
        Action::ResumeFromRun,
        Action::MapAddress,
        Action::SetApiBase,
        Action::TrustCa,
        Action::SkipTlsCheck,
        Action::SetInitialSshPassword,
        Action::RotateHostPasswords,
        Action::AcceptChangedHostKey,
        Action::AllowActiveVip,
        Action::ForceSerial,
        Action::SerialCell,
        Action::ChooseIso,
        Action::ForceUpload,
        Action::Stop,
    ];

    #[test]
    fn the_console_names_no_flag_key_or_signal() {
        for action in ALL {
            for lang in Lang::ALL {
                let words = action.words(FrontEnd::Console, lang);
                let problems = smtx_i18n::front_end::console_problems(words);
                assert!(problems.is_empty(), "{action:?}: {problems:?}");
                let cli = action.words(FrontEnd::Cli, lang);
                assert_ne!(words, cli, "{action:?}");
            }
        }
    }
}
