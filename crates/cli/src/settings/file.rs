//! The settings file (`--config`, TOML, the format `smtx-deploy sim
//! --write-config` writes): reading it into the engine's settings document
//! (`smtx_engine::SettingsDoc`, whose keys the console's settings target
//! shares) without ever quoting a value in an error (the line may hold a
//! password).

use std::path::{Path, PathBuf};

use smtx_engine::SettingsDoc;
use smtx_engine::settings_doc::ConsoleKey;

/// A settings file is a page of TOML (the README's example is 1 KB); a file
/// bigger than this is not one, and is not read into memory to find out.
const MAX_SETTINGS_BYTES: u64 = 1024 * 1024;

/// Reads and checks the file: the engine's settings document, in TOML. A
/// mistake in it is reported as file, line, column, key path and what is
/// wrong — never the value, which may be the password or token the line
/// holds. A key only the console takes is refused, naming the file's key
/// for the same thing.
pub fn load(path: &Path) -> Result<SettingsDoc, SettingsFileError> {
    let text = read_settings_text(path)?;
    let mut settings =
        SettingsDoc::from_toml(&text).map_err(|error| describe_toml_error(path, &text, &error))?;
    if let Some(key) = settings.console_key() {
        return Err(SettingsFileError::ConsoleKey {
            path: path.to_path_buf(),
            key,
        });
    }
    // Paths in the file are relative to the file, not to where we run.
    let base = path.parent().unwrap_or(Path::new("."));
    let rebase = |p: &mut Option<PathBuf>| {
        if let Some(inner) = p
            && inner.is_relative()
        {
            *inner = base.join(&*inner);
        }
    };
    rebase(&mut settings.api.ca_cert);
    rebase(&mut settings.ssh.known_hosts);
    rebase(&mut settings.vmtools.iso);
    Ok(settings)
}

fn read_settings_text(path: &Path) -> Result<String, SettingsFileError> {
    use std::io::Read;
    let read_error = |e: std::io::Error| SettingsFileError::Read {
        path: path.to_path_buf(),
        cause: smtx_i18n::Text::io(&e),
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(MAX_SETTINGS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(SettingsFileError::TooLarge {
            path: path.to_path_buf(),
            kib: MAX_SETTINGS_BYTES / 1024,
        });
    }
    String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let before = String::from_utf8_lossy(&error.as_bytes()[..valid]);
        let (line, column) = line_and_column(&before, before.len());
        SettingsFileError::NotUtf8 {
            path: path.to_path_buf(),
            line,
            column,
        }
    })
}

/// What is wrong with a settings file, typed so that the front end says it
/// in its reader's language (`Localize`, in `crate::i18n`); `Display` is
/// the English. No variant holds a value of the file: the line in error
/// may hold the password or token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsFileError {
    /// The file could not be opened or read (the system's words).
    Read {
        path: PathBuf,
        cause: smtx_i18n::Text,
    },
    TooLarge {
        path: PathBuf,
        kib: u64,
    },
    NotUtf8 {
        path: PathBuf,
        line: usize,
        column: usize,
    },
    /// The TOML does not parse, or does not fit the settings.
    Toml {
        path: PathBuf,
        /// Line and column, when the parser says where.
        at: Option<(usize, usize)>,
        /// `api.token`: the key path of the line in error.
        key: Option<String>,
        what: TomlProblem,
    },
    /// A key of the console's settings target, which names something a
    /// browser has (a PEM text, an ISO the console offers) instead of a
    /// file of this machine.
    ConsoleKey {
        path: PathBuf,
        key: ConsoleKey,
    },
}

impl std::fmt::Display for SettingsFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Read { path, cause } => write!(f, "{}: {}", path.display(), cause.en),
            Self::TooLarge { path, kib } => write!(
                f,
                "settings file {}: larger than {kib} KiB; not a settings file",
                path.display()
            ),
            Self::NotUtf8 { path, line, column } => write!(
                f,
                "settings file {}: line {line}, column {column}: not UTF-8 text",
                path.display()
            ),
            Self::Toml {
                path,
                at,
                key,
                what,
            } => {
                write!(f, "settings file {}", path.display())?;
                if let Some((line, column)) = at {
                    write!(f, ": line {line}, column {column}")?;
                    if let Some(key) = key {
                        write!(f, ", key {key}")?;
                    }
                }
                write!(f, ": {what}")
            }
            Self::ConsoleKey { path, key } => write!(
                f,
                "settings file {}: {} is the web console's key; a settings file names the file with {}",
                path.display(),
                key.key(),
                key.file_key().key()
            ),
        }
    }
}

impl std::error::Error for SettingsFileError {}

/// What the TOML parser or the settings' shape objected to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TomlProblem {
    WrongType {
        found: ValueKind,
        expected: ValueKind,
    },
    NotAllowed {
        expected: ValueKind,
    },
    WrongLength {
        expected: ValueKind,
    },
    /// `expected`: the allowed values as the parser lists them.
    UnknownValue {
        expected: Option<String>,
    },
    /// A key the settings do not have; `expected`: the ones they do.
    UnknownKey {
        key: String,
        expected: Option<String>,
    },
    DuplicateKey {
        key: Option<String>,
    },
    /// The parser's own words (a syntax error), values taken out.
    Syntax(String),
}

impl std::fmt::Display for TomlProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WrongType { found, expected } => {
                write!(f, "wrong type: found {found}, expected {expected}")
            }
            Self::NotAllowed { expected } => {
                write!(f, "value not allowed here: expected {expected}")
            }
            Self::WrongLength { expected } => {
                write!(f, "wrong number of items: expected {expected}")
            }
            Self::UnknownValue {
                expected: Some(expected),
            } => write!(f, "unknown value: expected {expected}"),
            Self::UnknownValue { expected: None } => f.write_str("unknown value"),
            Self::UnknownKey {
                key,
                expected: Some(expected),
            } => write!(f, "unknown field `{key}`, expected {expected}"),
            Self::UnknownKey {
                key,
                expected: None,
            } => write!(f, "unknown field `{key}`, there are no fields"),
            Self::DuplicateKey { key: Some(key) } => write!(f, "duplicate key: `{key}`"),
            Self::DuplicateKey { key: None } => f.write_str("duplicate key"),
            Self::Syntax(message) => f.write_str(message),
        }
    }
}

/// serde's and toml's type words as a settings file's reader knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    WholeNumber,
    WholeNumberInRange,
    Fraction,
    QuotedString,
    Boolean,
    List,
    Table,
    Other,
}

impl std::fmt::Display for ValueKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::WholeNumber => "a whole number",
            Self::WholeNumberInRange => "a whole number in range",
            Self::Fraction => "a number with a fraction",
            Self::QuotedString => "a quoted string",
            Self::Boolean => "true or false",
            Self::List => "a list",
            Self::Table => "a table",
            Self::Other => "another kind of value",
        })
    }
}

/// Where and what: built from the parser's position and a rewritten
/// message; the source line that toml's own rendering quotes is never used.
fn describe_toml_error(path: &Path, text: &str, error: &toml::de::Error) -> SettingsFileError {
    let at = error.span().map(|span| line_and_column(text, span.start));
    let key = error.span().and_then(|span| key_path_at(text, span.start));
    let mut what = safe_message(error.message());
    // Belt and braces: whatever the parser's words say, the value of the
    // line in error never appears in them.
    if let (TomlProblem::Syntax(message), Some(span)) = (&mut what, error.span()) {
        for value in values_near(text, span) {
            *message = message.replace(&value, "…");
        }
    }
    SettingsFileError::Toml {
        path: path.to_path_buf(),
        at,
        key,
        what,
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// The parser's message, typed, with every value taken out. serde quotes
/// the value it could not use (``invalid type: integer `123`, expected a
/// string``, `invalid type: string "…", expected a boolean`): those are
/// rebuilt from their safe parts. Syntax messages name only what was
/// expected (``expected `"`, `'` ``), and unknown or duplicate keys name
/// the key: those are kept.
fn safe_message(message: &str) -> TomlProblem {
    let message = message
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let expected = |rest: &str| {
        rest.rsplit_once(", expected ")
            .map_or(ValueKind::Other, |(_, expected)| plain_type(expected))
    };
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let found = rest.split([' ', '`', '"', ',']).next().unwrap_or("value");
        return TomlProblem::WrongType {
            found: plain_type(found),
            expected: expected(rest),
        };
    }
    if let Some(rest) = message.strip_prefix("invalid value: ") {
        return TomlProblem::NotAllowed {
            expected: expected(rest),
        };
    }
    if let Some(rest) = message.strip_prefix("invalid length ") {
        return TomlProblem::WrongLength {
            expected: expected(rest),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        return TomlProblem::UnknownValue {
            expected: rest
                .split_once(", expected ")
                .map(|(_, expected)| expected.to_string()),
        };
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, rest)) = rest.split_once('`')
        && is_plain_key(key)
    {
        return TomlProblem::UnknownKey {
            key: key.to_string(),
            expected: rest.strip_prefix(", expected ").map(str::to_string),
        };
    }
    if let Some(rest) = message.strip_prefix("duplicate key") {
        let key = rest
            .trim_start_matches(':')
            .trim()
            .trim_matches('`')
            .to_string();
        return TomlProblem::DuplicateKey {
            key: is_plain_key(&key).then_some(key),
        };
    }
    TomlProblem::Syntax(message)
}

/// serde's and toml's type words as a settings file's reader knows them.
fn plain_type(name: &str) -> ValueKind {
    match name.trim() {
        "integer" | "i64" | "u64" | "usize" | "u32" => ValueKind::WholeNumber,
        "u8" | "u16" => ValueKind::WholeNumberInRange,
        "floating" | "f64" => ValueKind::Fraction,
        "string" | "a string" | "str" => ValueKind::QuotedString,
        "boolean" | "a boolean" | "bool" => ValueKind::Boolean,
        "sequence" | "a sequence" => ValueKind::List,
        "map" | "a map" => ValueKind::Table,
        other if other.starts_with("struct ") => ValueKind::Table,
        _ => ValueKind::Other,
    }
}

/// The texts around `span` that could be a secret: what it covers when
/// that is right of the `=` (left of it is the key, which the message may
/// name), and the value side of its line (raw and unquoted). Pieces shorter
/// than three characters are left alone so as not to eat ordinary words of
/// the message.
fn values_near(text: &str, span: std::ops::Range<usize>) -> Vec<String> {
    let start = floor_boundary(text, span.start);
    let end = floor_boundary(text, span.end.max(start));
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let mut values = Vec::new();
    match line.find('=') {
        Some(equals) if start < line_start + equals => {}
        _ => values.push(text[start..end].trim().to_string()),
    }
    if let Some((_, value)) = line.split_once('=') {
        let value = value.trim();
        values.push(value.to_string());
        values.push(value.trim_matches(['"', '\'']).to_string());
    }
    values.retain(|value| value.chars().count() >= 3);
    // Longest first, so that a value is replaced before a part of it.
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    values
}

fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// `table.key` of the line holding byte `offset`, read from the text itself
/// (the parser does not say): the last `[table]` header above it and the
/// bare key before `=` on the line that opened the value (a multi-line
/// string or array keeps the key of its first line). Only plain TOML names
/// read outside values are returned, so no part of a value can pass for a
/// key.
fn key_path_at(text: &str, offset: usize) -> Option<String> {
    const MULTI_LINE_QUOTES: [&str; 2] = ["\"\"\"", "'''"];
    let mut table: Option<String> = None;
    let mut key: Option<String> = None;
    let mut open_string: Option<&str> = None;
    let mut depth = 0i32;
    let mut line_end = 0usize;
    for line in text.split_inclusive('\n') {
        let line_start = line_end;
        line_end += line.len();
        if let Some(quote) = open_string {
            if line.matches(quote).count() % 2 == 1 {
                open_string = None;
            }
        } else {
            let trimmed = line.trim();
            if depth == 0 && trimmed.starts_with('[') {
                let header = trimmed
                    .trim_start_matches('[')
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim();
                table = is_plain_key(header).then(|| header.to_string());
                key = None;
            } else if depth == 0 {
                key = trimmed
                    .split_once('=')
                    .map(|(name, _)| name.trim())
                    .filter(|name| is_plain_key(name))
                    .map(str::to_string);
            }
            let value = line.split_once('=').map_or(line, |(_, value)| value);
            for quote in MULTI_LINE_QUOTES {
                if value.matches(quote).count() % 2 == 1 {
                    open_string = Some(quote);
                }
            }
            if open_string.is_none() {
                depth = (depth + bracket_balance(value)).max(0);
            }
        }
        let on_this_line = offset >= line_start && offset < line_end;
        if on_this_line || line_end >= text.len() {
            return match (table, key) {
                (Some(table), Some(key)) => Some(format!("{table}.{key}")),
                (None, Some(key)) => Some(key),
                (Some(table), None) => Some(table),
                (None, None) => None,
            };
        }
    }
    table
}

/// `[`/`{` minus `]`/`}` outside quoted strings and comments on one line.
fn bracket_balance(value: &str) -> i32 {
    let mut balance = 0;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in value.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' && q == '"' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '#' => break,
                '[' | '{' => balance += 1,
                ']' | '}' => balance -= 1,
                _ => {}
            },
        }
    }
    balance
}

/// A bare TOML key or dotted key: letters, digits, `_` and `-`.
fn is_plain_key(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            let part = part.trim();
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use smtx_engine::SettingsLayer;

    use super::*;

    /// The settings example in the README is a file this binary accepts.
    #[test]
    fn readme_settings_example_parses() {
        let readme = include_str!("../../../../README.md");
        let start = readme
            .find("```toml\n")
            .expect("a toml block in the README")
            + 8;
        let end = start + readme[start..].find("```").expect("closed block");
        let settings = SettingsDoc::from_toml(&readme[start..end]).expect("parses");
        assert_eq!(settings.api.base_url.as_deref(), Some("https://10.0.20.11"));
        assert_eq!(settings.cpu_compatibility, Some(true));
        assert_eq!(settings.serial.cell.as_deref(), Some("主机规划!E19"));
        assert_eq!(settings.ssh.port, Some(22));
        // Secrets from the file print as *** even in a debug dump.
        let dump = format!("{settings:?}");
        assert!(settings.ssh.initial_password.is_some());
        assert!(!dump.contains("P@ssw0rd!123"), "{dump}");
        // The example shows every key the file has: each one reaches the
        // layer. Taken apart whole, so a new setting fails here until the
        // example shows it (or this says why it has no key).
        let SettingsLayer {
            api_base,
            http_overrides,
            ssh_overrides,
            ca_cert,
            insecure,
            api_token,
            job_deadline,
            request_timeout,
            dry_run,
            run_dir,
            vmtools_iso,
            force_upload,
            cpu_compatibility,
            rotate_host_passwords,
            ssh_concurrency,
            ssh_connect_timeout,
            ssh_command_timeout,
            ssh_port,
            ssh_initial_password,
            accept_changed_host_keys,
            accept_changed_host_key,
            known_hosts,
            allow_active_vip,
            serial_cell,
            force_serial,
            rehearsal,
            lanes,
        } = settings.into_layer().expect("a layer");
        // Per run, on the command line only.
        assert_eq!((dry_run, accept_changed_host_key), (None, None));
        // A fixed run directory in an example would be copied into every
        // site's file, and every run would reuse one directory.
        assert_eq!(run_dir, None);
        let shown = [
            ("api.base_url", api_base.is_some()),
            ("api.resolve", !http_overrides.is_empty()),
            ("api.ca_cert", ca_cert.is_some()),
            ("api.insecure", insecure.is_some()),
            ("api.token", api_token.is_some()),
            ("api.job_deadline_secs", job_deadline.is_some()),
            ("api.request_timeout_secs", request_timeout.is_some()),
            ("ssh.resolve", !ssh_overrides.is_empty()),
            ("ssh.rotate_host_passwords", rotate_host_passwords.is_some()),
            ("ssh.concurrency", ssh_concurrency.is_some()),
            ("ssh.connect_timeout_secs", ssh_connect_timeout.is_some()),
            ("ssh.command_timeout_secs", ssh_command_timeout.is_some()),
            ("ssh.port", ssh_port.is_some()),
            ("ssh.initial_password", ssh_initial_password.is_some()),
            (
                "ssh.accept_changed_host_keys",
                accept_changed_host_keys.is_some(),
            ),
            ("ssh.known_hosts", known_hosts.is_some()),
            ("vmtools.iso", vmtools_iso.is_some()),
            ("vmtools.force_upload", force_upload.is_some()),
            ("cpu_compatibility", cpu_compatibility.is_some()),
            ("allow_active_vip", allow_active_vip.is_some()),
            ("serial.cell", serial_cell.is_some()),
            ("serial.force", force_serial.is_some()),
            ("rehearsal", rehearsal.is_some()),
            ("stage.lanes", lanes.is_some()),
        ];
        let missing: Vec<&str> = shown
            .iter()
            .filter(|(_, set)| !set)
            .map(|(key, _)| *key)
            .collect();
        assert!(missing.is_empty(), "the README's example lacks {missing:?}");
        // The example shows the defaults, so it shows the one SSH
        // command timeout.
        assert_eq!(ssh_command_timeout, Some(Duration::from_secs(60)));
    }

    #[test]
    fn a_bad_file_is_bad_input() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("s.toml");
        std::fs::write(&path, "[api]\nbase_urll = 1\n").expect("write");
        let error = load(&path).expect_err("unknown key");
        assert!(matches!(
            &error,
            SettingsFileError::Toml {
                what: TomlProblem::UnknownKey { key, .. },
                ..
            } if key == "base_urll"
        ));
        assert!(error.to_string().contains("s.toml"));
    }
}
