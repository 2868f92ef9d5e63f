//! The user's language where no environment variable says it. Unix sets
//! `LANG` and friends (read by `smtx_i18n::Lang::detect`); Windows does not
//! — a Chinese laptop's language is its user locale (`zh-CN`).

/// The system's locale tag (`zh-CN`, `en-US`), where the platform keeps one
/// outside the environment; `None` on Unix.
pub fn system_locale() -> Option<String> {
    imp::system_locale()
}

#[cfg(windows)]
mod imp {
    pub fn system_locale() -> Option<String> {
        sys_locale::get_locale()
    }
}

#[cfg(not(windows))]
mod imp {
    pub fn system_locale() -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::system_locale;

    /// Windows always has a user locale; its tag is what `Lang` reads.
    #[cfg(windows)]
    #[test]
    fn windows_the_system_locale_is_a_language_tag() {
        let tag = system_locale().expect("a user locale");
        assert!(
            tag.len() >= 2 && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{tag:?}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn unix_the_locale_comes_from_the_environment_only() {
        assert_eq!(system_locale(), None);
    }
}
