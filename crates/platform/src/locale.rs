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
