//! The Chinese of a run refused before its first call
//! ([`crate::launch::LaunchRefusal`]). Kept out of `errors`: `preflight`
//! uses `errors`' wording of the libraries below and `launch` uses
//! `preflight`, so `errors` naming the launch would close a circle.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize, quoted};

/// A run refused before its first call ([`crate::launch::prepare`]).
impl Localize for crate::launch::LaunchRefusal {
    fn localize(&self, lang: Lang) -> String {
        use crate::launch::LaunchRefusal::*;
        match (self, lang) {
            (Preflight(refusal), _) => refusal.localize(lang),
            (_, En) => self.to_string(),
            (FromUnreadable { dir, error }, ZhCn) => format!(
                "{}：无法从这次运行继续：{}",
                dir.display(),
                error.localize(ZhCn)
            ),
            (RunDirBusy { run_dir, holder }, ZhCn) => format!(
                "{}：另一个运行正在使用此运行目录{}；请等它结束，或换一个运行目录",
                run_dir.display(),
                holder
                    .map(|pid| format!("（进程 {pid}）"))
                    .unwrap_or_default()
            ),
            (RunDirUnusable { path, reason }, ZhCn) => format!(
                "{}：无法用作运行目录：{}",
                path.display(),
                quoted(ZhCn, reason)
            ),
        }
    }
}
