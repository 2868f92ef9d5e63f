//! The process's global allocator, the one place it differs by platform.
//!
//! The static Linux builds (`*-linux-musl`) use mimalloc. musl's malloc
//! serves every block above its mmap threshold (about 128 KiB) with a fresh
//! `mmap` and gives it back with `munmap` on `free`, so each of the
//! upload's 256 KiB file reads and the HTTP layers' body buffers cost a
//! system call pair and a page fault per 4 KiB: a `demo` with a 256 MiB ISO
//! took 56 000 page faults and 7 % more CPU than the glibc build (5 900
//! faults); with mimalloc, 400 faults and the glibc build's CPU time. The
//! upload's wall-clock speed did not change with it (`cargo xtask
//! bench-upload`): the musl build's remaining gap has another cause.
//! glibc's malloc raises its threshold and keeps such blocks, as Windows'
//! heap does: those builds keep the system allocator.

#[cfg(target_env = "musl")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
