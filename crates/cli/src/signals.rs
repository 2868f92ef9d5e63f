//! What asks the tool to stop, per platform: on Unix SIGINT (Ctrl-C),
//! SIGTERM and SIGHUP (the terminal closed); on Windows Ctrl-C, Ctrl-Break
//! and closing the console window. Each is the same request: a run records
//! the step under way as aborted and exits 130. Windows ends a process
//! whose window was closed a few seconds after telling it; a run stops
//! well within that.

/// The stop requests of this process, listened for from [`Stop::listen`] on
/// (a request before it would end the process the platform's way).
#[derive(Debug)]
pub struct Stop(imp::Listeners);

impl Stop {
    pub fn listen() -> std::io::Result<Self> {
        imp::Listeners::new().map(Self)
    }

    /// The next request (each one once).
    pub async fn requested(&mut self) {
        self.0.next().await;
    }
}

/// The next request of `stop`; never, without one.
pub async fn requested(stop: &mut Option<Stop>) {
    match stop {
        Some(stop) => stop.requested().await,
        None => std::future::pending().await,
    }
}

#[cfg(unix)]
mod imp {
    use tokio::signal::unix::{Signal, SignalKind, signal};

    #[derive(Debug)]
    pub struct Listeners {
        interrupt: Signal,
        terminate: Signal,
        hangup: Signal,
    }

    impl Listeners {
        pub fn new() -> std::io::Result<Self> {
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
                hangup: signal(SignalKind::hangup())?,
            })
        }

        pub async fn next(&mut self) {
            tokio::select! {
                _ = self.interrupt.recv() => {}
                _ = self.terminate.recv() => {}
                _ = self.hangup.recv() => {}
            }
        }
    }
}

#[cfg(windows)]
mod imp {
    use tokio::signal::windows::{CtrlBreak, CtrlC, CtrlClose, ctrl_break, ctrl_c, ctrl_close};

    #[derive(Debug)]
    pub struct Listeners {
        ctrl_c: CtrlC,
        ctrl_break: CtrlBreak,
        close: CtrlClose,
    }

    impl Listeners {
        pub fn new() -> std::io::Result<Self> {
            Ok(Self {
                ctrl_c: ctrl_c()?,
                ctrl_break: ctrl_break()?,
                close: ctrl_close()?,
            })
        }

        pub async fn next(&mut self) {
            tokio::select! {
                _ = self.ctrl_c.recv() => {}
                _ = self.ctrl_break.recv() => {}
                _ = self.close.recv() => {}
            }
        }
    }
}
