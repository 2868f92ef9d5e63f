//! Writing to stdout and stderr without panicking. `println!` panics when
//! the reader has gone (`smtx-deploy plan check --json | head -1`: EPIPE),
//! so every line the CLI prints goes through [`outln!`] / [`errln!`]
//! instead.
//!
//! stdout carries the data: once nobody reads it there is nothing left to
//! do, so the process ends at once, quietly, with the status a shell shows
//! for a program stopped by SIGPIPE (141) — by then a run has written its
//! report. stderr carries progress and messages: losing it (`2>&1 | head`)
//! must not stop a run half-way, so write errors there are ignored.

use std::io::Write;

/// 128 + SIGPIPE, what `yes | head -1` leaves in `PIPESTATUS`.
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// Writes to stdout and flushes (so a gone reader is noticed here, not in
/// a destructor); a broken pipe ends the process quietly.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.flush());
    match written {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            std::process::exit(BROKEN_PIPE_EXIT)
        }
        Err(error) => {
            write_stderr(format_args!("error: cannot write to stdout: {error}\n"));
            std::process::exit(1)
        }
    }
}

/// Writes to stderr; if that fails there is nobody left to tell.
pub fn write_stderr(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.flush());
}

/// `println!` that ends the process quietly when stdout's reader is gone.
macro_rules! outln {
    () => {
        $crate::stdio::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdio::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that ends the process quietly when stdout's reader is gone.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::stdio::write_stdout(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    () => {
        $crate::stdio::write_stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdio::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics.
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::stdio::write_stderr(format_args!($($arg)*))
    };
}
