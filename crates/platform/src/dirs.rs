//! Where per-user state lives by default. On Unix the tool keeps its state
//! where it is run (a delivery's folder: `./smtx-console`), as it always
//! has. On Windows a program started from Explorer or a shortcut runs in
//! whatever folder it was unpacked to, often shared or read-only: the
//! console's data goes under the user's local application data
//! (`%LOCALAPPDATA%\smtx-deploy\console`), private to that user.

use std::path::PathBuf;

/// The console's data directory when `serve --data-dir` is not given.
pub fn console_data_dir() -> PathBuf {
    imp::console_data_dir()
}

#[cfg(windows)]
mod imp {
    use std::path::PathBuf;

    pub fn console_data_dir() -> PathBuf {
        match std::env::var_os("LOCALAPPDATA") {
            Some(base) if !base.is_empty() => {
                PathBuf::from(base).join("smtx-deploy").join("console")
            }
            _ => PathBuf::from("smtx-console"),
        }
    }
}

#[cfg(not(windows))]
mod imp {
    use std::path::PathBuf;

    pub fn console_data_dir() -> PathBuf {
        PathBuf::from("smtx-console")
    }
}

#[cfg(test)]
mod tests {
    use super::console_data_dir;

    #[cfg(windows)]
    #[test]
    fn windows_the_console_data_is_under_local_app_data() {
        let base = std::env::var_os("LOCALAPPDATA").expect("LOCALAPPDATA is set on Windows");
        let dir = console_data_dir();
        assert!(dir.starts_with(&base), "{}", dir.display());
        assert!(dir.ends_with(r"smtx-deploy\console"), "{}", dir.display());
    }

    #[cfg(unix)]
    #[test]
    fn unix_the_console_data_is_where_the_tool_runs() {
        assert_eq!(console_data_dir(), std::path::Path::new("smtx-console"));
    }
}
