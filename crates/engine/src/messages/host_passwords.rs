//! The messages of the host-password step.

use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize};

use super::{Action, list};

smtx_i18n::catalog! {
    pub enum HostPasswordMsg {
        TurnedOff,
        TurnedOffHint { cells: String },
        NoHosts,
        WouldRotate { user: String, address: String },
        WouldRotateAll { count: usize },
        Rotated,
        AlreadyRotated,
        HostKeyHint { key: String, known_hosts: String },
        SshHint,
        AllRotated { count: usize },
        SomeFailed { failed: Vec<String>, total: usize },
        SomeFailedHint,
    }
}

impl Localize for HostPasswordMsg {
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        if front == FrontEnd::Cli {
            return self.localize(lang);
        }
        let rotate = Action::RotateHostPasswords.words(front, lang);
        match (self, lang) {
            (Self::TurnedOff, En) => format!(
                "not rotated: turned off ({rotate}); the hosts keep their deployment passwords"
            ),
            (Self::TurnedOff, ZhCn) => {
                format!("未修改：已关闭（{rotate}）；主机保留部署时的密码")
            }
            (Self::TurnedOffHint { cells }, En) => format!(
                "turn on {rotate} and start again to set the workbook's passwords ({cells})"
            ),
            (Self::TurnedOffHint { cells }, ZhCn) => {
                format!("打开{rotate}后重新开始，设置规划表中的密码（{cells}）")
            }
            // The pins are the console's own file: the page's way to let
            // a reinstalled host's new key in is the form's checkbox.
            (Self::HostKeyHint { key, .. }, En) => format!(
                "if the host was reinstalled, start again with {}; if not, find out what answers at {key}",
                Action::AcceptChangedHostKey.words(front, lang)
            ),
            (Self::HostKeyHint { key, .. }, ZhCn) => format!(
                "如果主机重装过，{}后重新开始；如果没有，查明是什么设备在 {key} 应答",
                Action::AcceptChangedHostKey.words(front, lang)
            ),
            (Self::SshHint, En) => format!(
                "check SSH to the host and the deployment password ({}); the other hosts are done",
                Action::SetInitialSshPassword.words(front, lang)
            ),
            (Self::SshHint, ZhCn) => format!(
                "检查到该主机的 SSH 连接和部署时的密码（{}）；其他主机已完成",
                Action::SetInitialSshPassword.words(front, lang)
            ),
            _ => self.localize(lang),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::TurnedOff, En) => "not rotated: turned off (--no-host-passwords or ssh.rotate_host_passwords = false); the hosts keep their deployment passwords".into(),
            (Self::TurnedOff, ZhCn) => "未修改：已关闭（--no-host-passwords 或 `ssh.rotate_host_passwords = false`）；主机保留部署时的密码".into(),
            (Self::TurnedOffHint { cells }, En) => format!(
                "run again without --no-host-passwords to set the workbook's passwords ({cells})"
            ),
            (Self::TurnedOffHint { cells }, ZhCn) => {
                format!("去掉 --no-host-passwords 重新运行，设置规划表中的密码（{cells}）")
            }
            (Self::NoHosts, En) => "no hosts".into(),
            (Self::NoHosts, ZhCn) => "没有主机".into(),
            (Self::WouldRotate { user, address }, En) => format!(
                "would log in as {user} at {address} and run `sudo -n chpasswd` (passwords on stdin)"
            ),
            (Self::WouldRotate { user, address }, ZhCn) => format!(
                "将以 {user} 登录 {address} 并执行 `sudo -n chpasswd`（密码经标准输入传入）"
            ),
            (Self::WouldRotateAll { count }, En) => {
                format!("would set the passwords of {count} host(s)")
            }
            (Self::WouldRotateAll { count }, ZhCn) => format!("将设置 {count} 台主机的密码"),
            (Self::Rotated, En) => "smartx and root passwords set".into(),
            (Self::Rotated, ZhCn) => "smartx 和 root 的密码已设置".into(),
            (Self::AlreadyRotated, En) => {
                "already rotated: the workbook password logs in (set again to be sure)".into()
            }
            (Self::AlreadyRotated, ZhCn) => {
                "已修改过：规划表中的密码可以登录（为稳妥再设置一次）".into()
            }
            (Self::HostKeyHint { key, known_hosts }, En) => format!(
                "if the host was reinstalled, run again with --accept-changed-host-key {key} (or delete its line from {known_hosts}); if not, find out what answers at {key}"
            ),
            (Self::HostKeyHint { key, known_hosts }, ZhCn) => format!(
                "如果主机重装过，加上 --accept-changed-host-key {key} 重新运行（或从 {known_hosts} 删除它那一行）；如果没有，查明是什么设备在 {key} 应答"
            ),
            (Self::SshHint, En) => "check SSH to the host and the deployment password (ssh.initial_password); the other hosts are done".into(),
            (Self::SshHint, ZhCn) => {
                "检查到该主机的 SSH 连接和部署时的密码（ssh.initial_password）；其他主机已完成".into()
            }
            (Self::AllRotated { count }, En) => format!("{count} host(s) rotated"),
            (Self::AllRotated { count }, ZhCn) => format!("已修改 {count} 台主机的密码"),
            (Self::SomeFailed { failed, total }, En) => format!(
                "{} of {total} host(s) failed: {}",
                failed.len(),
                failed.join(", ")
            ),
            (Self::SomeFailed { failed, total }, ZhCn) => format!(
                "{total} 台主机中有 {} 台失败：{}",
                failed.len(),
                list(lang, failed)
            ),
            (Self::SomeFailedHint, En) => {
                "fix those hosts and run again: rotated hosts are recognised".into()
            }
            (Self::SomeFailedHint, ZhCn) => "修复这些主机后重新运行：已修改的主机会被识别".into(),
        }
    }
}
