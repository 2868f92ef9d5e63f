//! Which front end a message is worded for. A hint is an action ("resume
//! from this run", "map this address", "set the initial SSH password"): the
//! CLI words it as the flag or settings key to use, the console as the
//! button, field or setting on its page. [`console_problems`] is what a
//! console message is held to: a browser user types no flag, edits no
//! settings file and sends no signal.

/// The front end a message is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrontEnd {
    /// `smtx-deploy` in a terminal, and the files a run writes.
    #[default]
    Cli,
    /// The web console's page.
    Console,
}

/// The settings file's sections: `section.key` in a message is a key path
/// a console user has no file to write it in.
const SECTIONS: [&str; 6] = ["api", "ssh", "vmtools", "serial", "target", "rehearsal"];

/// The settings file's top-level keys, and the request fields of the
/// console's own API: both are names of the wire, not of the page.
const KEYS: [&str; 6] = [
    "cpu_compatibility",
    "allow_active_vip",
    "run_dir",
    "from_run",
    "latency_ms",
    "server_path",
];

/// Signals and the keys that send them.
const SIGNALS: [&str; 7] = [
    "SIGTERM", "SIGINT", "SIGKILL", "SIGHUP", "SIGQUIT", "Ctrl-C", "Ctrl+C",
];

/// What a text the console shows must not hold: a flag (`--from`), a
/// settings key path (`ssh.initial_password`), a signal (`SIGTERM`,
/// `Ctrl-C`). Empty when the text is fit for the page.
pub fn console_problems(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("--") {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + 2);
        if before.is_none_or(|b| !b.is_ascii_alphanumeric() && b != b'-')
            && after.is_some_and(u8::is_ascii_lowercase)
        {
            let flag: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            found.push(format!("a flag, {flag}"));
        }
    }
    for word in words(text) {
        if let Some((section, key)) = word.split_once('.')
            && SECTIONS.contains(&section)
            && !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        {
            found.push(format!("a settings key, {word}"));
        }
        if KEYS.contains(&word) {
            found.push(format!("a settings key or request field, {word}"));
        }
    }
    for signal in SIGNALS {
        if text.contains(signal) {
            found.push(format!("a signal, {signal}"));
        }
    }
    found
}

/// The identifier-like words of a text: runs of ASCII letters, digits,
/// `_` and `.`, trimmed of a sentence's final dot.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .map(|word| word.trim_matches('.'))
        .filter(|word| !word.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_keys_and_signals_are_found() {
        assert_eq!(console_problems("run again with --from RUN_DIR").len(), 1);
        assert_eq!(console_problems("set ssh.initial_password").len(), 1);
        assert_eq!(
            console_problems("「target.rehearsal.latency_ms: at most 10000」").len(),
            1
        );
        assert_eq!(console_problems("(Ctrl-C, SIGTERM)").len(), 2);
        assert!(console_problems("Host scan node-01 (10.0.20.11): ok").is_empty());
        assert!(console_problems("see report.json — and context.json").is_empty());
        assert!(console_problems("a well-known host, 2026-12-07").is_empty());
    }
}
