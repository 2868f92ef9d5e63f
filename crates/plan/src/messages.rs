//! The plan crate's message catalog: workbook diagnostics ([`Problem`]) and
//! the errors of reading a workbook ([`PlanError`]) and writing the serial
//! back ([`SerialWriteError`]), in English and Chinese. The English of an
//! error is its `Display`; text quoted from elsewhere (an operating-system
//! error, the xlsx library's reason) stays as it came, marked as quoted.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize, quoted};

use crate::{PlanError, SerialWriteError};

impl Localize for PlanError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Unreadable { file, reason }, ZhCn) => {
                format!("{file}：无法读取：{}", quoted(lang, reason))
            }
            (
                Self::MissingSheet {
                    file,
                    sheet,
                    present,
                },
                ZhCn,
            ) => format!(
                "{file}：缺少工作表 {sheet:?}（现有工作表：{present}）；这是 SmartX 规划设计表的副本吗？"
            ),
        }
    }
}

impl Localize for SerialWriteError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Failed { path, reason }, ZhCn) => format!(
                "{}：{}；规划表未被修改",
                path.display(),
                quoted(lang, reason)
            ),
            (Self::InvalidSerial { serial, reason }, ZhCn) => {
                format!("序列号 {serial:?} 无法写入：{}", quoted(lang, reason))
            }
            (Self::BadCell { cell }, ZhCn) => {
                format!("{cell:?} 不是 工作表!单元格 形式的位置（例如 主机规划!E19）")
            }
            (Self::Unreadable { path, reason }, ZhCn) => {
                format!("{}：{}", path.display(), quoted(lang, reason))
            }
            (
                Self::SheetNotFound {
                    path,
                    sheet,
                    present,
                },
                ZhCn,
            ) => format!(
                "{}：没有工作表 {sheet:?}（现有工作表：{present}）",
                path.display()
            ),
            (Self::Occupied { path, cell, .. }, ZhCn) => {
                format!("{}：{cell} 中已有其他内容；拒绝覆盖", path.display())
            }
            (Self::FileOpen { path, lock }, ZhCn) => format!(
                "{}：规划表似乎正被办公软件打开（锁文件 {}）；请先关闭它",
                path.display(),
                lock.display()
            ),
        }
    }
}
