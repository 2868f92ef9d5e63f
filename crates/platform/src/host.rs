//! This machine's own name, as the console's self-signed certificate
//! names it (a browser on the site reaches the console by it). On Linux
//! the kernel's (`/proc/sys/kernel/hostname`, else `/etc/hostname`); on
//! Windows `COMPUTERNAME`. None where it cannot be told: the certificate
//! then names loopback and the listen address only.

/// The host's name, trimmed; None when unknown or empty.
pub fn host_name() -> Option<String> {
    imp::host_name().filter(|name| !name.is_empty())
}

#[cfg(unix)]
mod imp {
    pub fn host_name() -> Option<String> {
        ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok())
            .map(|name| name.trim().to_string())
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn host_name() -> Option<String> {
        std::env::var("COMPUTERNAME")
            .ok()
            .map(|name| name.trim().to_string())
    }
}
