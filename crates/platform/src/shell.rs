//! A command line the user can paste back into the shell they have: a
//! POSIX shell on Unix, PowerShell on Windows (the default terminal of
//! Windows 10/11).

/// The shells a printed command is quoted for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shell {
    Posix,
    PowerShell,
}

impl Shell {
    /// The shell of the platform the tool runs on.
    pub fn current() -> Self {
        if cfg!(windows) {
            Self::PowerShell
        } else {
            Self::Posix
        }
    }

    /// `word` as this shell reads it back: bare when plainly safe, else
    /// single-quoted (POSIX: `'` as `'\''`; PowerShell: `'` doubled).
    pub fn quote(self, word: &str) -> String {
        let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c);
        let plain = !word.is_empty() && word.chars().all(safe);
        match self {
            Self::Posix if plain => word.to_string(),
            Self::Posix => format!("'{}'", word.replace('\'', "'\\''")),
            // A Windows path's backslashes are plain in PowerShell.
            Self::PowerShell
                if plain || (!word.is_empty() && word.chars().all(|c| safe(c) || c == '\\')) =>
            {
                word.to_string()
            }
            // PowerShell also closes a single-quoted string at the
            // typographic quotes ‘ ’ ‚ ‛: doubled like `'`.
            Self::PowerShell => {
                let mut quoted = String::from("'");
                for c in word.chars() {
                    if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
                        quoted.push(c);
                    }
                    quoted.push(c);
                }
                quoted.push('\'');
                quoted
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows prints for PowerShell, Unix for a POSIX shell.
    #[test]
    fn the_current_shell_is_the_platforms() {
        let expected = if cfg!(windows) {
            Shell::PowerShell
        } else {
            Shell::Posix
        };
        assert_eq!(Shell::current(), expected);
    }

    #[test]
    fn posix_quoting() {
        assert_eq!(Shell::Posix.quote("runs/a-1"), "runs/a-1");
        assert_eq!(Shell::Posix.quote("规划 设计表.xlsx"), "'规划 设计表.xlsx'");
        assert_eq!(Shell::Posix.quote("it's"), "'it'\\''s'");
        assert_eq!(Shell::Posix.quote(""), "''");
    }

    #[test]
    fn powershell_quoting() {
        assert_eq!(
            Shell::PowerShell.quote(r"C:\sites\a.xlsx"),
            r"C:\sites\a.xlsx"
        );
        assert_eq!(
            Shell::PowerShell.quote(r"C:\Users\工程师\规划 设计表.xlsx"),
            r"'C:\Users\工程师\规划 设计表.xlsx'"
        );
        assert_eq!(Shell::PowerShell.quote("it's"), "'it''s'");
        assert_eq!(
            Shell::PowerShell.quote("a\u{2019}b"),
            "'a\u{2019}\u{2019}b'"
        );
        // `$`, backtick and `;` are literal inside single quotes.
        assert_eq!(Shell::PowerShell.quote("$env:x`;y"), "'$env:x`;y'");
        assert_eq!(Shell::PowerShell.quote(""), "''");
    }
}
