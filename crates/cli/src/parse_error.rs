//! Mistakes on the command line (clap's errors) in the reader's language.
//!
//! clap words its errors in English. Under `--lang zh-CN` (or a Chinese
//! locale) the common ones are said in Chinese from [`ParseMsg`]; the rest,
//! and every error in English, are printed by clap as they are (with its
//! usage line and tips). Either way the exit code is clap's: 2.

use std::process::ExitCode;

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::i18n::{Lang, Localize, error_line, hint_label};

smtx_i18n::catalog! {
    /// What a command line the parser refuses is told.
    pub enum ParseMsg {
        UnknownArgument { arg: String, suggested: Option<String> },
        UnknownCommand { command: String, suggested: Option<String> },
        /// A value the flag's parser refused, with its reason (not ours).
        BadValue { arg: String, value: String, reason: String },
        MissingArguments { args: Vec<String> },
        Conflict { arg: String, other: String },
        GivenTwice { arg: String },
        MissingCommand,
        /// The line after every message: where the usage is.
        SeeHelp,
    }
}

impl Localize for ParseMsg {
    fn localize(&self, lang: Lang) -> String {
        use Lang::{En, ZhCn};
        let suggestion = |suggested: &Option<String>| match (suggested, lang) {
            (None, _) => String::new(),
            (Some(s), En) => format!(" (did you mean {s}?)"),
            (Some(s), ZhCn) => format!("（是否想用 `{s}`？）"),
        };
        match (self, lang) {
            (Self::UnknownArgument { arg, suggested }, En) => {
                format!("unexpected argument {arg}{}", suggestion(suggested))
            }
            (Self::UnknownArgument { arg, suggested }, ZhCn) => {
                format!("无法识别的参数 {arg}{}", suggestion(suggested))
            }
            (Self::UnknownCommand { command, suggested }, En) => {
                format!("unrecognized subcommand {command}{}", suggestion(suggested))
            }
            (Self::UnknownCommand { command, suggested }, ZhCn) => {
                format!("没有命令 `{command}`{}", suggestion(suggested))
            }
            (Self::BadValue { arg, value, reason }, En) => {
                format!("invalid value {value:?} for {arg}: {reason}")
            }
            (Self::BadValue { arg, value, reason }, ZhCn) => {
                format!(
                    "{arg} 的值 `{value}` 无效：{}",
                    smtx_i18n::quoted(lang, reason)
                )
            }
            (Self::MissingArguments { args }, En) => {
                format!("required arguments were not provided: {}", args.join(" "))
            }
            (Self::MissingArguments { args }, ZhCn) => {
                format!("缺少必需的参数：{}", args.join(" "))
            }
            (Self::Conflict { arg, other }, En) => {
                format!("{arg} cannot be used with {other}")
            }
            (Self::Conflict { arg, other }, ZhCn) => format!("{arg} 不能与 {other} 同时使用"),
            (Self::GivenTwice { arg }, En) => format!("{arg} cannot be given more than once"),
            (Self::GivenTwice { arg }, ZhCn) => format!("{arg} 只能给一次"),
            (Self::MissingCommand, En) => "a command is required".into(),
            (Self::MissingCommand, ZhCn) => "缺少命令".into(),
            (Self::SeeHelp, En) => format!("{}add --help to see the usage", hint_label(lang)),
            (Self::SeeHelp, ZhCn) => format!("{}加 --help 查看用法", hint_label(lang)),
        }
    }
}

/// Prints `error` for the reader and answers the exit code; help and
/// `--version` go to standard output as clap prints them.
pub fn report(error: clap::Error) -> ExitCode {
    let lang = lang_of(std::env::args_os().skip(1));
    match (lang, message(&error)) {
        (Lang::ZhCn, Some(message)) if error.use_stderr() => {
            errln!("{}", error_line(lang, &message.localize(lang)));
            errln!("{}", ParseMsg::SeeHelp.localize(lang));
            ExitCode::from(2)
        }
        _ => error.exit(),
    }
}

/// The language the command line asks for, although it did not parse:
/// `--lang X` / `--lang=X` wherever it stands, else what the environment
/// says.
fn lang_of(args: impl Iterator<Item = std::ffi::OsString>) -> Lang {
    let args: Vec<String> = args.map(|arg| arg.to_string_lossy().into_owned()).collect();
    let given = args.iter().enumerate().find_map(|(at, arg)| {
        if arg == "--lang" {
            args.get(at + 1).cloned()
        } else {
            arg.strip_prefix("--lang=").map(str::to_string)
        }
    });
    Lang::detect(given.and_then(|tag| tag.parse().ok()))
}

fn one(error: &clap::Error, kind: ContextKind) -> Option<String> {
    match error.get(kind)? {
        ContextValue::String(text) => Some(text.clone()),
        ContextValue::Strings(texts) => texts.first().cloned(),
        ContextValue::StyledStr(text) => Some(text.to_string()),
        _ => None,
    }
}

fn all(error: &clap::Error, kind: ContextKind) -> Vec<String> {
    match error.get(kind) {
        Some(ContextValue::Strings(texts)) => texts.clone(),
        Some(ContextValue::String(text)) => vec![text.clone()],
        Some(ContextValue::StyledStrs(texts)) => texts.iter().map(ToString::to_string).collect(),
        Some(ContextValue::StyledStr(text)) => vec![text.to_string()],
        _ => Vec::new(),
    }
}

/// The catalog's message for a refusal clap describes, when it is one of
/// the common kinds and its context is there.
fn message(error: &clap::Error) -> Option<ParseMsg> {
    let arg = || one(error, ContextKind::InvalidArg);
    Some(match error.kind() {
        ErrorKind::UnknownArgument => ParseMsg::UnknownArgument {
            arg: arg()?,
            suggested: one(error, ContextKind::SuggestedArg),
        },
        ErrorKind::InvalidSubcommand => ParseMsg::UnknownCommand {
            command: one(error, ContextKind::InvalidSubcommand)?,
            suggested: one(error, ContextKind::SuggestedSubcommand),
        },
        // (`InvalidValue`, a value outside a fixed list, needs a flag with
        // one; none has: clap's English words it if one ever does.)
        ErrorKind::ValueValidation => ParseMsg::BadValue {
            arg: arg()?,
            value: one(error, ContextKind::InvalidValue)?,
            reason: std::error::Error::source(error)?.to_string(),
        },
        ErrorKind::MissingRequiredArgument => ParseMsg::MissingArguments {
            args: all(error, ContextKind::InvalidArg),
        },
        // A flag given twice is a conflict with itself, or with no prior
        // argument at all.
        ErrorKind::ArgumentConflict => match (arg()?, one(error, ContextKind::PriorArg)) {
            (arg, Some(other)) if other != arg => ParseMsg::Conflict { arg, other },
            (arg, _) => ParseMsg::GivenTwice { arg },
        },
        ErrorKind::MissingSubcommand => ParseMsg::MissingCommand,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn refusal(args: &[&str]) -> clap::Error {
        match crate::Cli::try_parse_from(std::iter::once("smtx-deploy").chain(args.iter().copied()))
        {
            Ok(_) => panic!("{args:?} parsed"),
            Err(error) => error,
        }
    }

    fn chinese(args: &[&str]) -> String {
        message(&refusal(args))
            .unwrap_or_else(|| panic!("{args:?}: no message in the catalog"))
            .localize(Lang::ZhCn)
    }

    #[test]
    fn common_mistakes_read_in_chinese() {
        let cases: [(&[&str], &str); 8] = [
            (
                &["run", "--plann", "w.xlsx"],
                "无法识别的参数 --plann（是否想用 `--plan`？）",
            ),
            (&["rnu"], "没有命令 `rnu`"),
            (
                &["serve", "--listen", "999.1.1.1:80"],
                "--listen <ADDR> 的值 `999.1.1.1:80` 无效：「invalid socket address syntax」",
            ),
            (
                &["sim", "--plan", "w.xlsx", "--seed", "x"],
                "--seed <SEED> 的值 `x` 无效：「invalid digit found in string」",
            ),
            (
                &["run", "--plan", "a.xlsx", "--plans", "sites"],
                "--plan <WORKBOOK> 不能与 --plans <DIR|GLOB>... 同时使用",
            ),
            (
                &["run", "--plan", "a.xlsx", "--plan", "b.xlsx"],
                "--plan <WORKBOOK> 只能给一次",
            ),
            (
                &["plan", "set-serial", "w.xlsx"],
                "缺少必需的参数：<SERIAL>",
            ),
            (&["--lang", "zh-CN"], "缺少命令"),
        ];
        for (args, expected) in cases {
            let said = chinese(args);
            assert_eq!(said, expected, "{args:?}");
            assert!(smtx_i18n::untranslated_words(&said).is_empty(), "{said}");
        }
    }

    #[test]
    fn the_language_is_found_wherever_lang_stands() {
        let of = |args: &[&str]| lang_of(args.iter().map(std::ffi::OsString::from));
        assert_eq!(of(&["--lang", "zh-CN", "rnu"]), Lang::ZhCn);
        assert_eq!(of(&["run", "--plann", "x", "--lang=zh-CN"]), Lang::ZhCn);
        assert_eq!(of(&["run", "--lang", "en", "--plann", "x"]), Lang::En);
    }

    #[test]
    fn every_parse_message_renders_in_both_languages() {
        let s = |text: &str| text.to_string();
        let samples = vec![
            ParseMsg::UnknownArgument {
                arg: s("--plann"),
                suggested: Some(s("--plan")),
            },
            ParseMsg::UnknownCommand {
                command: s("rnu"),
                suggested: None,
            },
            ParseMsg::BadValue {
                arg: s("--listen <ADDR>"),
                value: s("x"),
                reason: s("invalid socket address syntax"),
            },
            ParseMsg::MissingArguments {
                args: vec![s("<SERIAL>")],
            },
            ParseMsg::Conflict {
                arg: s("--plan <WORKBOOK>"),
                other: s("--plans <DIR|GLOB>..."),
            },
            ParseMsg::GivenTwice {
                arg: s("--plan <WORKBOOK>"),
            },
            ParseMsg::MissingCommand,
            ParseMsg::SeeHelp,
        ];
        let problems = smtx_i18n::catalog_problems(ParseMsg::VARIANTS, &samples, ParseMsg::variant);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}
