//! Who may call the console: no token (loopback, the default), one
//! unnamed token (`serve --token`), or a team's named tokens
//! (`serve --token-file`, `name token` lines). A token's name is what the
//! console records — who started, aborted or uploaded what — and logs; the
//! token itself is only ever compared, never shown: errors about the file
//! name its path and a line number, not a field of the line (a field may
//! be a token written where a name belongs).

use std::path::{Path, PathBuf};

use smtx_i18n::{Lang, Localize};
use smtx_secret::Secret;

/// The largest token file read: a team's list is a few lines.
const MAX_TOKEN_FILE_BYTES: u64 = 1024 * 1024;

/// One token the console accepts, and the name it is recorded under.
#[derive(Debug, Clone)]
pub struct NamedToken {
    /// None for `--token`'s single token.
    pub name: Option<String>,
    pub token: Secret,
}

/// The tokens the console accepts: none means no token is asked.
#[derive(Debug, Clone, Default)]
pub struct Tokens(Vec<NamedToken>);

/// Who made a request that passed the token check: its token's name (None
/// on a console without names). Handlers record it; it is never the token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caller {
    pub name: Option<String>,
}

/// Equal without telling how much of it was.
fn same(given: &[u8], expected: &[u8]) -> bool {
    let mut differ = given.len() ^ expected.len();
    for (index, byte) in expected.iter().enumerate() {
        differ |= usize::from(byte ^ given.get(index).copied().unwrap_or(!byte));
    }
    differ == 0
}

/// A name as the runs list and the log show it: no spaces, no characters
/// a terminal or a page would hide or reorder.
fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

impl Tokens {
    /// One unnamed token (`--token`); an empty one asks for none.
    pub fn single(token: Secret) -> Self {
        if token.is_empty() {
            return Self::default();
        }
        Self(vec![NamedToken { name: None, token }])
    }

    /// These tokens and `other`'s.
    pub fn and(mut self, other: Tokens) -> Self {
        self.0.extend(other.0);
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The tokens' names, in the file's order.
    pub fn names(&self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|token| token.name.clone())
            .collect()
    }

    /// Whether the tokens have names (`--token-file`).
    pub fn named(&self) -> bool {
        self.0.iter().any(|token| token.name.is_some())
    }

    /// The token `given` is, compared against every token in constant time
    /// each, so the answer's timing tells neither which nor how close.
    pub(crate) fn find(&self, given: &[u8]) -> Option<Caller> {
        let mut found = None;
        for token in &self.0 {
            if same(given, token.token.expose().as_bytes()) && found.is_none() {
                found = Some(Caller {
                    name: token.name.clone(),
                });
            }
        }
        found
    }

    /// Reads `path`: refused when other users may read it (Unix), when it
    /// cannot be read, when a line is not `name token`, or when it holds
    /// no token at all.
    pub fn from_file(path: &Path) -> Result<Self, TokenFileError> {
        let unreadable = |error: std::io::Error| TokenFileError::Unreadable {
            path: path.to_path_buf(),
            reason: error.to_string(),
        };
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        if smtx_platform::files::readable_by_others(&metadata) {
            return Err(TokenFileError::Shared {
                path: path.to_path_buf(),
            });
        }
        if metadata.len() > MAX_TOKEN_FILE_BYTES {
            return Err(TokenFileError::TooLarge {
                path: path.to_path_buf(),
                limit: MAX_TOKEN_FILE_BYTES,
            });
        }
        let text = std::fs::read_to_string(path).map_err(unreadable)?;
        Self::parse(&text).map_err(|problem| match problem {
            Parsed::Line { line, problem } => TokenFileError::Line {
                path: path.to_path_buf(),
                line,
                problem,
            },
            Parsed::Empty => TokenFileError::Empty {
                path: path.to_path_buf(),
            },
        })
    }

    /// `name token` lines; blank lines and `#` comments are skipped.
    fn parse(text: &str) -> Result<Self, Parsed> {
        let mut tokens: Vec<(usize, NamedToken)> = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line_number = index + 1;
            let fail = |problem| Parsed::Line {
                line: line_number,
                problem,
            };
            let content = line.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let mut fields = content.split_whitespace();
            let (Some(name), Some(token)) = (fields.next(), fields.next()) else {
                return Err(fail(LineProblem::NoToken));
            };
            if fields.next().is_some() {
                return Err(fail(LineProblem::ExtraField));
            }
            if !valid_name(name) {
                return Err(fail(LineProblem::BadName));
            }
            for (earlier, known) in &tokens {
                if known.name.as_deref() == Some(name) {
                    return Err(fail(LineProblem::DuplicateName { first: *earlier }));
                }
                if known.token.expose() == token {
                    return Err(fail(LineProblem::DuplicateToken { first: *earlier }));
                }
            }
            tokens.push((
                line_number,
                NamedToken {
                    name: Some(name.to_string()),
                    token: Secret::new(token),
                },
            ));
        }
        if tokens.is_empty() {
            return Err(Parsed::Empty);
        }
        Ok(Self(tokens.into_iter().map(|(_, token)| token).collect()))
    }
}

/// What parsing found wrong, before the path is known.
#[derive(Debug)]
enum Parsed {
    Line { line: usize, problem: LineProblem },
    Empty,
}

/// What is wrong with one line of a token file (never quoting it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineProblem {
    #[error("one word where `NAME TOKEN` belongs")]
    NoToken,
    #[error("more than `NAME TOKEN` (a token has no spaces)")]
    ExtraField,
    #[error("a name is up to 64 letters, digits, `.`, `_`, `-` or `@`")]
    BadName,
    #[error("the same name as line {first}")]
    DuplicateName { first: usize },
    #[error("the same token as line {first}")]
    DuplicateToken { first: usize },
}

impl Localize for LineProblem {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::NoToken, Lang::ZhCn) => "只有一个字段，应为 `NAME TOKEN`".into(),
            (Self::ExtraField, Lang::ZhCn) => "字段多于 `NAME TOKEN`（令牌中不能有空格）".into(),
            (Self::BadName, Lang::ZhCn) => {
                "名称只能由最多 64 个字母、数字、`.`、`_`、`-` 或 `@` 组成".into()
            }
            (Self::DuplicateName { first }, Lang::ZhCn) => format!("名称与第 {first} 行相同"),
            (Self::DuplicateToken { first }, Lang::ZhCn) => format!("令牌与第 {first} 行相同"),
        }
    }
}

/// Why a token file cannot be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenFileError {
    #[error("token file {}: cannot read it: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error(
        "token file {}: other users can read it; make it private with `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    Shared { path: PathBuf },
    #[error("token file {}: larger than {limit} bytes", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("token file {}, line {line}: {problem}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        problem: LineProblem,
    },
    #[error("token file {}: no `NAME TOKEN` line", path.display())]
    Empty { path: PathBuf },
}

impl Localize for TokenFileError {
    fn localize(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (Self::Unreadable { path, reason }, Lang::ZhCn) => format!(
                "令牌文件 {}：无法读取：{}",
                path.display(),
                smtx_i18n::quoted(lang, reason)
            ),
            (Self::Shared { path }, Lang::ZhCn) => format!(
                "令牌文件 {}：其他用户可以读取；请用 `chmod 600 {}` 设为仅本人可读",
                path.display(),
                path.display()
            ),
            (Self::TooLarge { path, limit }, Lang::ZhCn) => {
                format!("令牌文件 {}：超过 {limit} 字节", path.display())
            }
            (
                Self::Line {
                    path,
                    line,
                    problem,
                },
                Lang::ZhCn,
            ) => format!(
                "令牌文件 {} 第 {line} 行：{}",
                path.display(),
                problem.localize(lang)
            ),
            (Self::Empty { path }, Lang::ZhCn) => {
                format!("令牌文件 {}：没有 `NAME TOKEN` 行", path.display())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abd", b"abc"));
        assert!(!same(b"ab", b"abc"));
        assert!(!same(b"abcd", b"abc"));
        assert!(!same(b"", b"abc"));
    }

    #[test]
    fn a_token_file_names_its_tokens() {
        let tokens = Tokens::parse("# the team\n\nalice  s3cret-a\n\tbob s3cret-b # no\n")
            .map(|_| ())
            .err();
        // A trailing comment is a third field: refused, by line number.
        assert!(matches!(
            tokens,
            Some(Parsed::Line {
                line: 4,
                problem: LineProblem::ExtraField
            })
        ));
        let tokens = Tokens::parse("# the team\n\nalice  s3cret-a\n\tbob s3cret-b\n")
            .unwrap_or_else(|_| panic!("parses"));
        assert_eq!(
            tokens.find(b"s3cret-b"),
            Some(Caller {
                name: Some("bob".into())
            })
        );
        assert_eq!(tokens.find(b"s3cret"), None);
        assert!(tokens.named());
    }

    #[test]
    fn malformed_lines_are_refused_by_number_without_their_text() {
        for (text, line, problem) in [
            ("alice\n", 1, LineProblem::NoToken),
            ("# x\nal ice x\n", 2, LineProblem::ExtraField),
            ("al/ice x\n", 1, LineProblem::BadName),
            ("a x\na y\n", 2, LineProblem::DuplicateName { first: 1 }),
            ("a x\nb x\n", 2, LineProblem::DuplicateToken { first: 1 }),
        ] {
            match Tokens::parse(text) {
                Err(Parsed::Line {
                    line: found,
                    problem: found_problem,
                }) => {
                    assert_eq!((found, &found_problem), (line, &problem), "{text:?}");
                    for lang in [Lang::En, Lang::ZhCn] {
                        let said = TokenFileError::Line {
                            path: PathBuf::from("t"),
                            line,
                            problem: found_problem.clone(),
                        }
                        .localize(lang);
                        assert!(!said.contains(" x"), "{said}");
                    }
                }
                _ => panic!("{text:?} is refused"),
            }
        }
        assert!(matches!(Tokens::parse("# none\n\n"), Err(Parsed::Empty)));
    }
}
