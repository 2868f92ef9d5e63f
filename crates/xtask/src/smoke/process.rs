//! A program left running while a check talks to it (a `sim`, a `serve`, a
//! slow `run`): its output gathered as it comes so a check can wait for a
//! line, a stop request sent to it, its end awaited with a deadline, and
//! killed when dropped so no check leaves one behind.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::{Ran, tail};

/// How often a wait looks again: std has no wait-with-timeout on a child
/// or a condition on its output, and the deadline bounds the whole wait.
const POLL: Duration = Duration::from_millis(50);

pub struct Background {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
    exited: Option<Option<i32>>,
}

impl Background {
    /// Starts `command`; `name` is what failures call it.
    pub fn spawn(name: &str, command: &mut Command) -> anyhow::Result<Self> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {name} ({:?})", command.get_program()))?;
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let mut readers = Vec::new();
        if let Some(pipe) = child.stdout.take() {
            readers.push(gather(pipe, Arc::clone(&stdout)));
        }
        if let Some(pipe) = child.stderr.take() {
            readers.push(gather(pipe, Arc::clone(&stderr)));
        }
        Ok(Self {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            stdout,
            stderr,
            readers,
            exited: None,
        })
    }

    pub fn stdout(&self) -> String {
        text(&self.stdout)
    }

    pub fn stderr(&self) -> String {
        text(&self.stderr)
    }

    /// Waits until `ready(stdout, stderr)` holds; fails if the program ends
    /// first or `within` passes.
    pub fn wait_for(
        &mut self,
        what: &str,
        within: Duration,
        ready: impl Fn(&str, &str) -> bool,
    ) -> anyhow::Result<()> {
        let started = Instant::now();
        loop {
            if ready(&self.stdout(), &self.stderr()) {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                // What it printed last may have come after the look above.
                self.join_readers();
                if ready(&self.stdout(), &self.stderr()) {
                    self.exited = Some(status.code());
                    return Ok(());
                }
                bail!(
                    "{} ended ({status}) before {what}; stdout ends: {}; stderr ends: {}",
                    self.name,
                    tail(&self.stdout(), 6),
                    tail(&self.stderr(), 6)
                );
            }
            if started.elapsed() > within {
                bail!(
                    "{}: no {what} within {} s; stdout ends: {}; stderr ends: {}",
                    self.name,
                    within.as_secs(),
                    tail(&self.stdout(), 6),
                    tail(&self.stderr(), 6)
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGINT, what Ctrl-C sends on Unix; wine hands it to a Windows
    /// console program as `CTRL_C_EVENT`.
    pub fn interrupt(&self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .context("cannot run kill")?;
        if !status.success() {
            bail!(
                "kill -INT {} ({}) failed: {status}",
                self.child.id(),
                self.name
            );
        }
        Ok(())
    }

    /// Writes `line` to the program's standard input.
    pub fn say(&mut self, line: &str) -> anyhow::Result<()> {
        let stdin = self.stdin.as_mut().context("stdin already closed")?;
        stdin.write_all(line.as_bytes())?;
        stdin.flush()?;
        Ok(())
    }

    /// Waits for the program's end, killed past `within`.
    pub fn finish(mut self, within: Duration) -> anyhow::Result<Ran> {
        let started = Instant::now();
        let code = loop {
            if let Some(code) = self.exited {
                break code;
            }
            if let Some(status) = self.child.try_wait()? {
                break status.code();
            }
            if started.elapsed() > within {
                bail!(
                    "{} did not end within {} s; stderr ends: {}",
                    self.name,
                    within.as_secs(),
                    tail(&self.stderr(), 6)
                );
            }
            std::thread::sleep(POLL);
        };
        self.exited = Some(code);
        self.join_readers();
        Ok(Ran {
            code,
            stdout: self.stdout(),
            stderr: self.stderr(),
        })
    }

    fn join_readers(&mut self) {
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stdin.take();
        if self.exited.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn gather(mut pipe: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        while let Ok(read) = pipe.read(&mut buffer) {
            if read == 0 {
                break;
            }
            if let Ok(mut bytes) = into.lock() {
                bytes.extend_from_slice(&buffer[..read]);
            }
        }
    })
}

fn text(bytes: &Mutex<Vec<u8>>) -> String {
    bytes
        .lock()
        .map(|bytes| String::from_utf8_lossy(&bytes).replace("\r\n", "\n"))
        .unwrap_or_default()
}
