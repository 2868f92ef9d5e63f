//! The settings file's errors in Chinese (their English is their
//! `Display`, in `settings/file.rs`). What the parser or the system said in
//! its own words stays quoted; everything we recognised is translated.

use smtx_i18n::{Lang, Lang::En, Lang::ZhCn, Localize, quoted};

use crate::settings::file::{SettingsFileError, TomlProblem, ValueKind};

impl Localize for ValueKind {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::WholeNumber, ZhCn) => "整数".into(),
            (Self::WholeNumberInRange, ZhCn) => "范围内的整数".into(),
            (Self::Fraction, ZhCn) => "带小数的数".into(),
            (Self::QuotedString, ZhCn) => "带引号的字符串".into(),
            (Self::Boolean, ZhCn) => "`true` 或 `false`".into(),
            (Self::List, ZhCn) => "列表".into(),
            (Self::Table, ZhCn) => "表".into(),
            (Self::Other, ZhCn) => "其他类型的值".into(),
        }
    }
}

impl Localize for TomlProblem {
    fn localize(&self, lang: Lang) -> String {
        let kind = |kind: &ValueKind| kind.localize(lang);
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::WrongType { found, expected }, ZhCn) => {
                format!("类型不对：这里是{}，应为{}", kind(found), kind(expected))
            }
            (Self::NotAllowed { expected }, ZhCn) => {
                format!("此处不允许该值：应为{}", kind(expected))
            }
            (Self::WrongLength { expected }, ZhCn) => {
                format!("条目数不对：应为{}", kind(expected))
            }
            (Self::UnknownValue { expected }, ZhCn) => match expected {
                Some(expected) => format!("未知的取值：可选 {}", quoted(lang, expected)),
                None => "未知的取值".into(),
            },
            (Self::UnknownKey { key, expected }, ZhCn) => match expected {
                Some(expected) => {
                    format!("未知的键 `{key}`；可用的键：{}", quoted(lang, expected))
                }
                None => format!("未知的键 `{key}`；这里没有任何键"),
            },
            (Self::DuplicateKey { key }, ZhCn) => match key {
                Some(key) => format!("键 `{key}` 重复"),
                None => "键重复".into(),
            },
            (Self::Syntax(message), ZhCn) => {
                format!("TOML 语法错误：{}", quoted(lang, message))
            }
        }
    }
}

impl Localize for SettingsFileError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, En) => self.to_string(),
            (Self::Read { path, cause }, ZhCn) => {
                format!("{}：无法读取：{}", path.display(), cause.zh_cn)
            }
            (Self::TooLarge { path, kib }, ZhCn) => {
                format!("配置文件 {}：超过 {kib} KiB，不是配置文件", path.display())
            }
            (Self::NotUtf8 { path, line, column }, ZhCn) => format!(
                "配置文件 {}：第 {line} 行第 {column} 列：不是 UTF-8 文本",
                path.display()
            ),
            (
                Self::Toml {
                    path,
                    at,
                    key,
                    what,
                },
                ZhCn,
            ) => {
                let mut out = format!("配置文件 {}", path.display());
                if let Some((line, column)) = at {
                    out.push_str(&format!("：第 {line} 行第 {column} 列"));
                    if let Some(key) = key {
                        out.push_str(&format!("，键 {key}"));
                    }
                }
                format!("{out}：{}", what.localize(lang))
            }
            (Self::ConsoleKey { path, key }, ZhCn) => format!(
                "配置文件 {}：{} 是网页控制台的键；配置文件中请用 {} 指定文件",
                path.display(),
                key.key(),
                key.file_key().key()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use smtx_i18n::{Text, catalog_problems};

    use super::*;

    /// Every error and problem once, in both languages, no English words
    /// left in the Chinese.
    #[test]
    fn settings_file_errors_render_in_both_languages() {
        let path = || PathBuf::from("/srv/site/sim.toml");
        let toml = |what| SettingsFileError::Toml {
            path: path(),
            at: Some((2, 9)),
            key: Some("api.token".to_string()),
            what,
        };
        let kinds = [
            ValueKind::WholeNumber,
            ValueKind::WholeNumberInRange,
            ValueKind::Fraction,
            ValueKind::QuotedString,
            ValueKind::Boolean,
            ValueKind::List,
            ValueKind::Table,
            ValueKind::Other,
        ];
        let mut errors = vec![
            SettingsFileError::Read {
                path: path(),
                cause: smtx_i18n::Text::io(&std::io::Error::from(std::io::ErrorKind::NotFound)),
            },
            SettingsFileError::Read {
                path: path(),
                cause: smtx_i18n::Text::io(&std::io::Error::other("Input/output error")),
            },
            SettingsFileError::TooLarge {
                path: path(),
                kib: 1024,
            },
            SettingsFileError::NotUtf8 {
                path: path(),
                line: 3,
                column: 1,
            },
            SettingsFileError::Toml {
                path: path(),
                at: None,
                key: None,
                what: TomlProblem::Syntax("unexpected eof".to_string()),
            },
            toml(TomlProblem::UnknownValue {
                expected: Some("one of `a`, `b`".to_string()),
            }),
            toml(TomlProblem::UnknownValue { expected: None }),
            toml(TomlProblem::UnknownKey {
                key: "tokne".to_string(),
                expected: Some("one of `base_url`, `token`".to_string()),
            }),
            toml(TomlProblem::UnknownKey {
                key: "x".to_string(),
                expected: None,
            }),
            toml(TomlProblem::DuplicateKey {
                key: Some("token".to_string()),
            }),
            toml(TomlProblem::DuplicateKey { key: None }),
            SettingsFileError::ConsoleKey {
                path: path(),
                key: smtx_engine::settings_doc::ConsoleKey::CaCertPem,
            },
            SettingsFileError::ConsoleKey {
                path: path(),
                key: smtx_engine::settings_doc::ConsoleKey::IsoId,
            },
        ];
        for kind in kinds {
            match kind {
                ValueKind::WholeNumber
                | ValueKind::WholeNumberInRange
                | ValueKind::Fraction
                | ValueKind::QuotedString
                | ValueKind::Boolean
                | ValueKind::List
                | ValueKind::Table
                | ValueKind::Other => {}
            }
            errors.push(toml(TomlProblem::WrongType {
                found: kind,
                expected: ValueKind::QuotedString,
            }));
            errors.push(toml(TomlProblem::NotAllowed { expected: kind }));
            errors.push(toml(TomlProblem::WrongLength { expected: kind }));
        }
        for error in &errors {
            // Every variant once: these stop compiling when one is added.
            match error {
                SettingsFileError::Read { .. }
                | SettingsFileError::TooLarge { .. }
                | SettingsFileError::NotUtf8 { .. }
                | SettingsFileError::Toml { .. }
                | SettingsFileError::ConsoleKey { .. } => {}
            }
            if let SettingsFileError::Toml { what, .. } = error {
                match what {
                    TomlProblem::WrongType { .. }
                    | TomlProblem::NotAllowed { .. }
                    | TomlProblem::WrongLength { .. }
                    | TomlProblem::UnknownValue { .. }
                    | TomlProblem::UnknownKey { .. }
                    | TomlProblem::DuplicateKey { .. }
                    | TomlProblem::Syntax(_) => {}
                }
            }
            assert_eq!(error.en(), error.to_string());
        }
        let samples: Vec<Text> = errors.iter().map(Text::of).collect();
        let problems = catalog_problems(&[], &samples, |_| "");
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
