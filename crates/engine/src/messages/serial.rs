//! The messages of the serial step (read it, write it into the workbook).

use smtx_i18n::{FrontEnd, Lang, Lang::En, Lang::ZhCn, Localize, Text, quoted};

use super::Action;

smtx_i18n::catalog! {
    pub enum SerialMsg {
        WouldWrite { cell: String, path: String },
        KeptInContext { serial: String },
        CellHoldsSerial { cell: String, held: String, serial: String },
        ForceSerialHint,
        CellHoldsOther { cell: String, chars: usize },
        OtherCellHint,
        AlreadyIn { serial: String, cell: String },
        Written { serial: String, cell: String },
        WorkbookOpen { lock: String },
        /// Another program holds the workbook (Windows: open in Excel).
        WorkbookInUse,
        WorkbookOpenHint { command: String },
        /// The cell holds something else; `what` is the write-back's own
        /// English description of it.
        Occupied { cell: String, what: String },
        /// Writing failed (another catalog's error).
        WriteFailed { error: Text },
        FixCauseHint { command: String },
        TaskFailed { reason: String },
        ThenHint { command: String },
    }
}

impl Localize for SerialMsg {
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        if front == FrontEnd::Cli {
            return self.localize(lang);
        }
        let force = Action::ForceSerial.words(front, lang);
        match (self, lang) {
            // The console keeps the workbook under a name of its own: the
            // path means nothing to its user; the download is what counts.
            (Self::WouldWrite { cell, .. }, En) => format!(
                "would write the serial into {cell} of the workbook; a run that is not a dry run offers that workbook for download"
            ),
            (Self::WouldWrite { cell, .. }, ZhCn) => {
                format!("将把序列号写入规划表的 {cell}；非试运行的运行结束后可下载该规划表")
            }
            (Self::ForceSerialHint, En) => format!(
                "if the workbook's serial is wrong (a rehearsal's, another cluster's), start again with {force}"
            ),
            (Self::ForceSerialHint, ZhCn) => {
                format!("如果规划表中的序列号有误（来自演练或其他集群），{force}后重新开始")
            }
            (Self::OtherCellHint, En) => format!(
                "start again with {}, or with {force}",
                Action::SerialCell.words(front, lang)
            ),
            (Self::OtherCellHint, ZhCn) => format!(
                "{}后重新开始，或{force}",
                Action::SerialCell.words(front, lang)
            ),
            (Self::WorkbookOpenHint { command }, En) => format!(
                "close it, then: {command} (or start again with {force} if no program has it open)"
            ),
            (Self::WorkbookOpenHint { command }, ZhCn) => {
                format!("关闭它，然后运行 `{command}`（如果并没有程序打开它，可{force}后重新开始）")
            }
            _ => self.localize(lang),
        }
    }

    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::WouldWrite { cell, path }, En) => {
                format!("would write the serial into {cell} of {path}")
            }
            (Self::WouldWrite { cell, path }, ZhCn) => {
                format!("将把序列号写入 {path} 的 {cell}")
            }
            (Self::KeptInContext { serial }, En) => format!("serial {serial} kept in context.json"),
            (Self::KeptInContext { serial }, ZhCn) => {
                format!("序列号 {serial} 已保存在 context.json 中")
            }
            (Self::CellHoldsSerial { cell, held, serial }, En) => format!(
                "{cell} already holds serial {held}, the cluster reports {serial}: kept {held}"
            ),
            (Self::CellHoldsSerial { cell, held, serial }, ZhCn) => format!(
                "{cell} 中已有序列号 {held}，集群报告的是 {serial}：保留 {held}"
            ),
            (Self::ForceSerialHint, En) => "if the workbook's serial is wrong (a rehearsal's, another cluster's), run again with --force-serial".into(),
            (Self::ForceSerialHint, ZhCn) => {
                "如果规划表中的序列号有误（来自演练或其他集群），加上 --force-serial 重新运行".into()
            }
            (Self::CellHoldsOther { cell, chars }, En) => {
                format!("{cell} holds other content ({chars} characters): not overwritten")
            }
            (Self::CellHoldsOther { cell, chars }, ZhCn) => {
                format!("{cell} 中已有其他内容（{chars} 个字符）：未覆盖")
            }
            (Self::OtherCellHint, En) => "run again with --serial-cell SHEET!CELL naming an empty cell, or with --force-serial to overwrite it".into(),
            (Self::OtherCellHint, ZhCn) => {
                "加上 --serial-cell SHEET!CELL 指定一个空单元格重新运行，或加上 --force-serial 覆盖它".into()
            }
            (Self::AlreadyIn { serial, cell }, En) => format!("{serial} already in {cell}"),
            (Self::AlreadyIn { serial, cell }, ZhCn) => format!("{serial} 已在 {cell} 中"),
            (Self::Written { serial, cell }, En) => format!("{serial} written to {cell}"),
            (Self::Written { serial, cell }, ZhCn) => format!("{serial} 已写入 {cell}"),
            (Self::WorkbookInUse, En) => {
                "the workbook is in use by another program (open in Excel?)".into()
            }
            (Self::WorkbookInUse, ZhCn) => "规划表正被其他程序占用（是否在 Excel 中打开？）".into(),
            (Self::WorkbookOpen { lock }, En) => {
                format!("the workbook is open in an office program (lock file {lock})")
            }
            (Self::WorkbookOpen { lock }, ZhCn) => {
                format!("规划表正被办公软件打开（锁文件 {lock}）")
            }
            (Self::WorkbookOpenHint { command }, En) => format!(
                "close it, then: {command} (or run again with --force-serial if no program has it open)"
            ),
            (Self::WorkbookOpenHint { command }, ZhCn) => format!(
                "关闭它，然后运行 `{command}`（如果并没有程序打开它，可加上 --force-serial 重新运行）"
            ),
            (Self::Occupied { cell, what }, En) => format!("{cell} {what}: not overwritten"),
            (Self::Occupied { cell, .. }, ZhCn) => format!("{cell} 中已有内容：未覆盖"),
            (Self::WriteFailed { error }, _) => error.localize(lang),
            (Self::FixCauseHint { command }, En) => format!("fix the cause, then: {command}"),
            (Self::FixCauseHint { command }, ZhCn) => format!("排除原因后运行 `{command}`"),
            (Self::TaskFailed { reason }, En) => format!("the write-back task failed: {reason}"),
            (Self::TaskFailed { reason }, ZhCn) => {
                format!("回填任务失败：{}", quoted(lang, reason))
            }
            (Self::ThenHint { command }, En) => format!("then: {command}"),
            (Self::ThenHint { command }, ZhCn) => format!("然后运行 `{command}`"),
        }
    }
}
