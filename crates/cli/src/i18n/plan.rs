//! The messages of `smtx-deploy plan`, in English and Chinese. Kept apart
//! from the shared ones so that every flag a message names is one of this
//! command's (`cli/tests/it/hints.rs` checks each file against its command).

use smtx_i18n::{Lang, Localize, quoted};

smtx_i18n::catalog! {
    /// What `plan check` and `plan set-serial` say.
    pub enum PlanMsg {
        WorkbookHeader { file: String },
        RenderingJson,
        SerialWritten { file: String, serial: String, cell: String, previous: Option<String> },
        SerialAlreadyThere { file: String, cell: String, serial: String },
        SetSerialOpenHint,
        SetSerialInUseHint,
        SetSerialOccupiedHint,
        SetSerialReadOnlyHint,
    }
}

impl Localize for PlanMsg {
    fn localize(&self, lang: Lang) -> String {
        use Lang::{En, ZhCn};
        match (self, lang) {
            (Self::WorkbookHeader { file }, En) => format!("Workbook: {file}"),
            (Self::WorkbookHeader { file }, ZhCn) => format!("规划表：{file}"),
            (Self::RenderingJson, En) => "rendering the plan as JSON".into(),
            (Self::RenderingJson, ZhCn) => "把规划输出为 JSON".into(),
            (Self::SerialWritten { file, serial, cell, previous: Some(previous) }, En) => {
                format!("{file}: wrote serial {serial} to {cell} (replacing {previous:?})")
            }
            (Self::SerialWritten { file, serial, cell, previous: None }, En) => {
                format!("{file}: wrote serial {serial} to {cell}")
            }
            (Self::SerialWritten { file, serial, cell, previous: Some(previous) }, ZhCn) => {
                format!(
                    "{file}：已把序列号 {serial} 写入 {cell}（替换了 {}）",
                    quoted(lang, previous)
                )
            }
            (Self::SerialWritten { file, serial, cell, previous: None }, ZhCn) => {
                format!("{file}：已把序列号 {serial} 写入 {cell}")
            }
            (Self::SerialAlreadyThere { file, cell, serial }, En) => {
                format!("{file}: {cell} already holds serial {serial}; nothing to do")
            }
            (Self::SerialAlreadyThere { file, cell, serial }, ZhCn) => {
                format!("{file}：{cell} 中已是序列号 {serial}；无需操作")
            }
            (Self::SetSerialOpenHint, En) => "hint: close it and run again, or pass --force if no program has it open (a stale lock file)".into(),
            (Self::SetSerialOpenHint, ZhCn) => {
                "提示：关闭它后重新运行；如果并没有程序打开它（残留的锁文件），可加上 --force".into()
            }
            (Self::SetSerialInUseHint, En) => {
                "hint: close it in the program that has it open (Excel, WPS), then run again".into()
            }
            (Self::SetSerialInUseHint, ZhCn) => {
                "提示：在打开它的程序（Excel、WPS）中关闭它，然后重新运行".into()
            }
            (Self::SetSerialOccupiedHint, En) => {
                "hint: pass --force to overwrite it, or --cell SHEET!CELL to pick another cell".into()
            }
            (Self::SetSerialOccupiedHint, ZhCn) => {
                "提示：加上 --force 覆盖它，或用 --cell SHEET!CELL 另选一个单元格".into()
            }
            (Self::SetSerialReadOnlyHint, En) => {
                "hint: or pass --force to write it anyway; it stays read-only".into()
            }
            (Self::SetSerialReadOnlyHint, ZhCn) => {
                "提示：或加上 --force 仍然写入；文件保持只读".into()
            }
        }
    }
}
