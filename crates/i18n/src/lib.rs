//! `smtx-i18n`: the languages every message exists in, the [`Localize`]
//! trait each message catalog implements (workbook diagnostics in
//! `smtx-plan`, step messages and errors in `smtx-engine`, the CLI's own
//! lines in `smtx-cli`), the few writing rules they share (how a list is
//! joined, how text quoted from elsewhere is marked, how wide a text is in
//! a terminal), and [`untranslated_words`], the check their tests run on
//! Chinese text, and the [`glossary`]: the one word each concept has in each language.
//!
//! A catalog is an enum per topic with a `match` per language: a message
//! without its Chinese (or English) text does not compile.

use std::fmt;

pub mod front_end;
pub mod glossary;

pub use front_end::FrontEnd;

/// A language messages are rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The tag `--lang` takes: `en`, `zh-CN`.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhCn => "zh-CN",
        }
    }

    /// What a front end shows: the flag if given, else `SMTX_LANG`, else
    /// the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), else the system's
    /// (Windows: the user's display locale, as no variable says it), else
    /// English.
    pub fn detect(flag: Option<Lang>) -> Lang {
        if let Some(lang) = flag {
            return lang;
        }
        for var in ["SMTX_LANG", "LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Ok(value) = std::env::var(var)
                && !value.is_empty()
            {
                return Lang::from_locale(&value);
            }
        }
        smtx_platform::locale::system_locale()
            .map(|locale| Lang::from_locale(&locale))
            .unwrap_or(Lang::En)
    }

    /// A locale or language tag (`zh_CN.UTF-8`, `zh-CN`, `en_US`): Chinese
    /// for anything starting with `zh`, else English.
    pub fn from_locale(value: &str) -> Lang {
        if value.to_ascii_lowercase().starts_with("zh") {
            Lang::ZhCn
        } else {
            Lang::En
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// An unknown `--lang` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownLang(pub String);

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown language {:?} (known: en, zh-CN) / 未知语言 {:?}（可选：en、zh-CN）",
            self.0, self.0
        )
    }
}

impl std::error::Error for UnknownLang {}

impl std::str::FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "en" | "en-US" | "en_US" | "en-GB" => Ok(Lang::En),
            "zh-CN" | "zh" | "zh_CN" | "zh-Hans" | "zh-cn" => Ok(Lang::ZhCn),
            other => Err(UnknownLang(other.to_string())),
        }
    }
}

/// A message that can be rendered in every [`Lang`].
pub trait Localize {
    fn localize(&self, lang: Lang) -> String;

    /// The text as `front` words it: where a message names an action (a
    /// flag, a settings key, a signal on the CLI), the console's wording
    /// names its page's button or field instead. [`Localize::localize`] is
    /// the CLI's wording, which files keep.
    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        let _ = front;
        self.localize(lang)
    }

    /// The English text: what files (context.json, report.json, logs) keep.
    fn en(&self) -> String {
        self.localize(Lang::En)
    }
}

impl<T: Localize + ?Sized> Localize for &T {
    fn localize(&self, lang: Lang) -> String {
        (**self).localize(lang)
    }

    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        (**self).localize_for(front, lang)
    }
}

impl<T: Localize + ?Sized> Localize for Box<T> {
    fn localize(&self, lang: Lang) -> String {
        (**self).localize(lang)
    }

    fn localize_for(&self, front: FrontEnd, lang: Lang) -> String {
        (**self).localize_for(front, lang)
    }
}

/// A message already rendered in every language: how a catalog carries a
/// message of another catalog (an API error, a workbook-write error) without
/// knowing its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    pub zh_cn: String,
}

impl Text {
    /// Text that reads the same in both languages: a flag, a key, a path.
    pub fn same(text: impl Into<String>) -> Text {
        let text = text.into();
        Text {
            en: text.clone(),
            zh_cn: text,
        }
    }

    /// What the operating system said, in both languages ([`io_error`]).
    pub fn io(error: &std::io::Error) -> Text {
        Text {
            en: io_error(Lang::En, error),
            zh_cn: io_error(Lang::ZhCn, error),
        }
    }

    pub fn of(message: &impl Localize) -> Text {
        Text {
            en: message.localize(Lang::En),
            zh_cn: message.localize(Lang::ZhCn),
        }
    }
}

impl Localize for Text {
    fn localize(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.en.clone(),
            Lang::ZhCn => self.zh_cn.clone(),
        }
    }
}

/// Declares a catalog enum (the variants, their parameters) and lists its
/// variants' names in `VARIANTS`, so a test can check that it renders a
/// sample of every one. The texts are in the enum's `Localize` impl, a
/// `match` with an arm per variant and language.
#[macro_export]
macro_rules! catalog {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident $({ $($field:ident : $ty:ty),* $(,)? })?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        $vis enum $name {
            $(
                $(#[$variant_meta])*
                $variant $({ $($field : $ty),* })?
            ),*
        }

        impl $name {
            /// Every variant's name.
            pub const VARIANTS: &'static [&'static str] = &[$(stringify!($variant)),*];

            /// This message's variant name.
            pub fn variant(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => stringify!($variant)),*
                }
            }
        }
    };
}

/// Items joined as each language writes a list: `a, b, c` / `a、b、c`.
pub fn list<T: fmt::Display>(lang: Lang, items: &[T]) -> String {
    let separator = match lang {
        Lang::En => ", ",
        Lang::ZhCn => "、",
    };
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// Clauses joined: `a; b` / `a；b`.
pub fn clauses(lang: Lang, items: &[String]) -> String {
    items.join(match lang {
        Lang::En => "; ",
        Lang::ZhCn => "；",
    })
}

/// Text this program did not write (a server's message, an operating-system
/// error, a library's reason): as it is in English, in 「」 in Chinese so a
/// reader (and [`untranslated_words`]) can tell it is quoted, not ours.
pub fn quoted(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_string(),
        Lang::ZhCn => format!("「{text}」"),
    }
}

/// What the operating system said, for a reader of `lang`: the commonest
/// kinds in Chinese words, the rest quoted as the system put it after
/// words that say whose they are.
pub fn io_error(lang: Lang, error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    let words = match (lang, error.kind()) {
        (Lang::En, _) => return error.to_string(),
        (Lang::ZhCn, ErrorKind::NotFound) => "文件或目录不存在",
        (Lang::ZhCn, ErrorKind::PermissionDenied) => "没有权限",
        (Lang::ZhCn, ErrorKind::AlreadyExists) => "已存在",
        (Lang::ZhCn, ErrorKind::NotADirectory) => "路径中有一段不是目录",
        (Lang::ZhCn, ErrorKind::StorageFull) => "磁盘空间不足",
        (Lang::ZhCn, ErrorKind::ReadOnlyFilesystem) => "文件系统只读",
        (Lang::ZhCn, _) => return format!("系统错误：{}", quoted(lang, &error.to_string())),
    };
    words.to_string()
}

/// ASCII words in a Chinese text that look like untranslated English.
///
/// Not counted: text quoted from elsewhere (`「…」`) or code (`` `…` ``);
/// tokens with a digit or one of `_ / . = @ : ! - * % + # ~ \ |` (addresses,
/// paths, cells, flags, identifiers, versions, host names); acronyms in
/// capitals (`DNS`, `VIP`); and the few names and units in [`ALLOWED`].
/// What is left — a lowercase or capitalized word such as `failed` or
/// `Cluster` — is English a Chinese reader should not have to read.
pub fn untranslated_words(text: &str) -> Vec<String> {
    let mut visible = String::new();
    let mut quoted_depth = 0usize;
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '「' => quoted_depth += 1,
            '」' => quoted_depth = quoted_depth.saturating_sub(1),
            '`' => in_code = !in_code,
            _ if quoted_depth == 0 && !in_code => visible.push(c),
            _ => {}
        }
    }
    visible
        .split(|c: char| c.is_whitespace() || !c.is_ascii())
        .map(|token| {
            token
                .trim_matches(|c: char| "()[]{},;\"'?<>".contains(c))
                .trim_end_matches(['.', ':', '!'])
        })
        .filter(|token| looks_english(token))
        .map(str::to_string)
        .collect()
}

/// Names and units that read the same in a Chinese text: products, the
/// hosts' account names, and units. (Not `hint`: a Chinese line's marker
/// is 提示：, as its errors' is 错误：.)
pub const ALLOWED: &[&str] = &[
    "SmartX",
    "Fisheye",
    "VMTools",
    "CloudTower",
    "Excel",
    "Ctrl",
    "root",
    "smartx",
    "sudo",
    "chpasswd",
    "s",
    "ms",
    "KiB",
    "MiB",
    "GiB",
    "vDS",
    "xlsx",
];

fn looks_english(token: &str) -> bool {
    // A single letter is a column (`主机规划!K、M`), not a word.
    if token.len() < 2 {
        return false;
    }
    if !token.chars().any(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    if token
        .chars()
        .any(|c| c.is_ascii_digit() || "_/.=@:!-*%+#~\\|&$".contains(c))
    {
        return false;
    }
    if token.len() >= 2 && token.chars().all(|c| c.is_ascii_uppercase()) {
        return false;
    }
    !ALLOWED.contains(&token)
}

/// What is wrong with a catalog's samples: a variant without a sample, an
/// empty English text, a Chinese text without Chinese (where the English
/// has words) or with English words in it, a word outside the
/// [`glossary`]. Empty when the catalog is whole. Each catalog's test calls
/// this with one sample of every variant.
pub fn catalog_problems<M: Localize>(
    variants: &[&str],
    samples: &[M],
    variant_of: impl Fn(&M) -> &'static str,
) -> Vec<String> {
    let mut problems = Vec::new();
    for variant in variants {
        if !samples.iter().any(|sample| variant_of(sample) == *variant) {
            problems.push(format!("{variant}: no sample"));
        }
    }
    for sample in samples {
        let variant = variant_of(sample);
        let en = sample.localize(Lang::En);
        let zh = sample.localize(Lang::ZhCn);
        if en.trim().is_empty() {
            problems.push(format!("{variant}: empty English text"));
        }
        // A line of data alone (a host and its addresses) has no words to
        // translate; anything with English words needs its Chinese.
        if !untranslated_words(&en).is_empty() && !has_cjk(&zh) {
            problems.push(format!("{variant}: no Chinese in {zh:?}"));
        }
        let english = untranslated_words(&zh);
        if !english.is_empty() {
            problems.push(format!("{variant}: English words {english:?} in {zh:?}"));
        }
        for problem in glossary::problems(Some(&en), &zh) {
            problems.push(format!("{variant}: {problem} in {zh:?}"));
        }
    }
    problems
}

/// Whether `text` has a CJK ideograph: a Chinese message that has none was
/// not translated.
pub fn has_cjk(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(u32::from(c), 0x4E00..=0x9FFF | 0x3400..=0x4DBF))
}

/// Columns `text` takes in a terminal (Unicode's East Asian width: a
/// Chinese character two, a combining mark none), for the tables both
/// languages print.
pub fn display_width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(text)
}

/// `text` padded with spaces to `width` terminal columns.
pub fn pad(text: &str, width: usize) -> String {
    let fill = width.saturating_sub(display_width(text));
    format!("{text}{}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns_and_padding_counts_them() {
        assert_eq!(display_width("BJ-01"), 5);
        assert_eq!(display_width("成功 35 项"), 10);
        assert_eq!(display_width("ｗ"), 2);
        assert_eq!(pad("集群", 6), "集群  ");
        assert_eq!(pad("too long", 3), "too long");
    }

    #[test]
    fn english_words_are_found_and_identifiers_are_not() {
        assert_eq!(
            untranslated_words(
                "主机 node-01 (10.0.20.11) 的 SSH 登录被拒绝：「connection refused」"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            untranslated_words(
                "重新运行并加上 --force-serial，或 `smtx-deploy plan set-serial W S`"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            untranslated_words("设置 DNS failed: job abc"),
            vec!["failed", "job", "abc"]
        );
        assert_eq!(untranslated_words("hint: 查看 主机规划!M19"), vec!["hint"]);
        assert_eq!(
            untranslated_words("提示：查看 主机规划!M19"),
            Vec::<String>::new()
        );
        assert_eq!(untranslated_words("Cluster 名称"), vec!["Cluster"]);
    }

    #[test]
    fn languages_parse_from_tags_and_locales() {
        assert_eq!("zh-CN".parse(), Ok(Lang::ZhCn));
        assert_eq!("zh".parse(), Ok(Lang::ZhCn));
        assert_eq!("en".parse(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
        assert_eq!(Lang::from_locale("zh_CN.UTF-8"), Lang::ZhCn);
        assert_eq!(Lang::from_locale("C.UTF-8"), Lang::En);
        assert_eq!(list(Lang::ZhCn, &["a", "b"]), "a、b");
        assert!(has_cjk("主机") && !has_cjk("host"));
    }
}
