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
    /// Every action, for the tests that hold each front end's words to
    /// its page or its flags.
    pub const ALL: [Action; 14] = [
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

            (Console, En, ResumeFromRun) => "“Resume” on this run's page",
            (Console, ZhCn, ResumeFromRun) => "本运行页面上的「继续执行」",
            (Console, En, MapAddress) => "the target's “HTTPS address overrides”",
            (Console, ZhCn, MapAddress) => "目标的「HTTPS 地址映射」",
            (Console, En, SetApiBase) => "the target's “API base URL”",
            (Console, ZhCn, SetApiBase) => "目标的「API 地址」",
            (Console, En, TrustCa) => "the target's “CA certificate (PEM)”",
            (Console, ZhCn, TrustCa) => "目标的「CA 证书（PEM）」",
            (Console, En, SkipTlsCheck) => "“Do not verify the certificate (insecure)”",
            (Console, ZhCn, SkipTlsCheck) => "「不校验证书（不安全）」",
            (Console, En, SetInitialSshPassword) => "the target's “SSH initial password”",
            (Console, ZhCn, SetInitialSshPassword) => "目标的「SSH 初始密码」",
            (Console, En, RotateHostPasswords) => {
                "“Rotate the hosts' SSH passwords” under More settings"
            }
            (Console, ZhCn, RotateHostPasswords) => "「更多设置」中的「修改主机 SSH 密码」",
            (Console, En, AcceptChangedHostKey) => {
                "“Accept changed SSH host keys” ticked under More settings"
            }
            (Console, ZhCn, AcceptChangedHostKey) => {
                "勾选「更多设置」中的「接受已变更的 SSH 主机密钥」"
            }
            (Console, En, AllowActiveVip) => {
                "“Set the VIP even if something already answers on it” ticked under More settings"
            }
            (Console, ZhCn, AllowActiveVip) => "勾选「更多设置」中的「VIP 已有应答时仍然设置」",
            (Console, En, ForceSerial) => {
                "“Overwrite a serial already in the workbook” ticked under More settings"
            }
            (Console, ZhCn, ForceSerial) => "勾选「更多设置」中的「覆盖规划表中已有的序列号」",
            (Console, En, SerialCell) => "an empty cell named in “Serial cell” under More settings",
            (Console, ZhCn, SerialCell) => "在「更多设置」的「序列号单元格」中填写一个空单元格",
            (Console, En, ChooseIso) => "the “VMTools ISO” chosen on the form",
            (Console, ZhCn, ChooseIso) => "表单中选择的「VMTools ISO」",
            (Console, En, ForceUpload) => {
                "“Upload the VMTools ISO even if the cluster has it” ticked under More settings"
            }
            (Console, ZhCn, ForceUpload) => {
                "勾选「更多设置」中的「即使集群已有 VMTools ISO 也重新上传」"
            }
            (Console, En, Stop) => "“Abort”, or the console stopping",
            (Console, ZhCn, Stop) => "「中止」或控制台停止",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Action; 14] = Action::ALL;

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
