//! `QUICKSTART.txt`: the first page a delivery engineer reads after
//! unpacking, in English and Chinese, with the commands spelt for the
//! archive's platform (`.\smtx-deploy.exe` in PowerShell, `./smtx-deploy`
//! in a shell) and Windows line endings in the Windows archive.

use crate::target::Target;

/// The text of `QUICKSTART.txt` for `target`.
pub fn text(target: &Target, version: &str) -> String {
    let exe = if target.is_windows() {
        r".\smtx-deploy.exe"
    } else {
        "./smtx-deploy"
    };
    let text = TEMPLATE
        .replace("{exe}", exe)
        .replace("{version}", version)
        .replace("{target}", &target.triple);
    if target.is_windows() {
        text.replace('\n', "\r\n")
    } else {
        text
    }
}

/// Commands are indented by five spaces: they are typed the same in both
/// languages (the Chinese half's test skips them).
const TEMPLATE: &str = "\
smtx-deploy {version} ({target})

English
-------
smtx-deploy configures a freshly deployed SmartX SMTX OS cluster from its
planning workbook (规划设计表.xlsx). It is this one file: nothing to install.

1. Which build is this (version, commit, target):
     {exe} --version
2. See it work on this machine, no cluster needed (a simulated cluster on
   loopback, configured end to end):
     {exe} demo
3. Check a workbook: every problem, by cell:
     {exe} plan check 规划设计表.xlsx
4. Rehearse against the simulator: the first command in one window until
   Ctrl-C, the second in another. Fault stories are in scenarios/:
     {exe} sim --plan 规划设计表.xlsx --write-config sim.toml
     {exe} run --plan 规划设计表.xlsx --config sim.toml
     {exe} sim --plan 规划设计表.xlsx --write-config sim.toml --scenario scenarios/bmc-down.toml
5. On site, with the cluster's CA certificate:
     {exe} run --plan 规划设计表.xlsx --ca-cert cluster-ca.pem
   or the web console, then open http://127.0.0.1:8080/ in a browser:
     {exe} serve

Messages in Chinese: add --lang zh-CN. Exit codes, settings, the console and
everything else: README.md.

中文
----
smtx-deploy 根据规划设计表（规划设计表.xlsx）配置一套刚部署好的 SmartX SMTX OS
集群。程序就是这一个文件，无需安装。

1. 查看版本（版本号、提交、目标平台）：
     {exe} --version
2. 在本机演示，无需真实集群（在本机回环地址上启动模拟集群，并完整配置一遍）：
     {exe} demo
3. 检查规划表：按单元格列出全部问题：
     {exe} plan check 规划设计表.xlsx
4. 对模拟集群演练：第一条命令在一个窗口中运行（按 Ctrl-C 结束），第二条在另一个
   窗口中运行。故障场景在 scenarios/ 目录：
     {exe} sim --plan 规划设计表.xlsx --write-config sim.toml
     {exe} run --plan 规划设计表.xlsx --config sim.toml
     {exe} sim --plan 规划设计表.xlsx --write-config sim.toml --scenario scenarios/bmc-down.toml
5. 现场实施，使用集群的 CA 证书：
     {exe} run --plan 规划设计表.xlsx --ca-cert cluster-ca.pem
   或者启动网页控制台，再用浏览器打开 http://127.0.0.1:8080/ ：
     {exe} serve

中文提示：加上 --lang zh-CN。退出码、设置、控制台等其余内容见 README.md。
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Recipe;

    fn target(triple: &str, recipe: Recipe) -> Target {
        Target {
            triple: triple.to_owned(),
            recipe,
        }
    }

    #[test]
    fn windows_gets_its_exe_and_line_endings() {
        let text = text(&target("x86_64-pc-windows-gnu", Recipe::Mingw), "0.1.0");
        assert!(text.starts_with("smtx-deploy 0.1.0 (x86_64-pc-windows-gnu)\r\n"));
        assert!(text.contains("     .\\smtx-deploy.exe demo\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'));
        assert!(!text.contains('{'), "every placeholder is filled");
    }

    #[test]
    fn linux_gets_a_shell_command() {
        let text = text(
            &target("aarch64-unknown-linux-musl", Recipe::ZigMusl),
            "0.1.0",
        );
        assert!(text.contains("     ./smtx-deploy demo\n"));
        assert!(!text.contains('\r'));
    }

    #[test]
    fn the_chinese_half_is_chinese_and_says_what_the_english_says() {
        let (english, chinese) = TEMPLATE.split_once("中文\n----\n").unwrap_or_default();
        assert!(!chinese.is_empty());
        let prose: Vec<&str> = chinese
            .lines()
            .filter(|line| !line.starts_with("     "))
            .collect();
        for line in &prose {
            let words = smtx_i18n::untranslated_words(line);
            assert!(words.is_empty(), "{line:?}: {words:?}");
            // No English to pair a line with: the words to avoid only.
            let drift = smtx_i18n::glossary::problems(None, line);
            assert!(drift.is_empty(), "{line:?}: {drift:?}");
        }
        let commands = |half: &str| -> Vec<String> {
            half.lines()
                .filter(|line| line.starts_with("     "))
                .map(str::to_owned)
                .collect()
        };
        assert_eq!(commands(english), commands(chinese));
    }
}
