//! The harness binary doubles as the children's output producers (`__bytes N`, `__lines R`),
//! so the log rows need no other program and both implementations face the same writer.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// Length of every line `lines` writes, newline included.
pub const LINE_LEN: usize = 80;

/// Our stdout as a plain file: every `write_all` of a small buffer is one write(2), without
/// std's line buffering.
fn raw_stdout() -> io::Result<File> {
    Ok(File::from(io::stdout().as_fd().try_clone_to_owned()?))
}

/// Writes `total` bytes of 64-byte text lines to stdout in 1 MiB writes, then exits.
pub fn bytes(total: u64) -> io::Result<()> {
    let mut out = raw_stdout()?;
    let mut block = Vec::with_capacity(1 << 20);
    while block.len() < 1 << 20 {
        block.extend_from_slice(&[b'x'; 63]);
        block.push(b'\n');
    }
    let mut left = total;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n])?;
        left -= n as u64;
    }
    Ok(())
}

/// Writes `rate` lines per second to stdout forever: every 10 ms a burst of `rate/100`
/// lines, one write(2) per line (as a line-buffered program would).
pub fn lines(rate: u64) -> io::Result<()> {
    let mut out = raw_stdout()?;
    let per_tick = (rate / 100).max(1);
    let tick = Duration::from_millis(10);
    let mut next = Instant::now();
    let mut n: u64 = 0;
    loop {
        for _ in 0..per_tick {
            let mut line = format!("2026-11-23 12:00:00,000 INFO worker: request {n:012} handled");
            while line.len() < LINE_LEN - 1 {
                line.push('.');
            }
            line.push('\n');
            out.write_all(line.as_bytes())?;
            n += 1;
        }
        next += tick;
        let now = Instant::now();
        if next > now {
            sleep(next - now);
        } else {
            next = now;
        }
    }
}
