//! Signals reach the loop through a self-pipe: signal-hook's handler writes the signal number
//! to a socket pair whose read end sits in the poll set, so a signal wakes the loop and an
//! idle daemon never needs a periodic wake-up. The read end is drained before acting
//! (signal-hook's documented order), so no signal is lost between drain and action.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;

use signal_hook::iterator::backend::SignalDelivery;
use signal_hook::iterator::exfiltrator::SignalOnly;

/// The signals supervisord acts on (reference section 2.3).
pub const HANDLED: &[i32] = &[
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGHUP,
    libc::SIGUSR2,
    libc::SIGCHLD,
];

/// The self-pipe and the registered handlers.
pub struct SignalPipe {
    delivery: SignalDelivery<UnixStream, SignalOnly>,
}

impl std::fmt::Debug for SignalPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignalPipe")
    }
}

impl SignalPipe {
    /// Installs handlers for [`HANDLED`].
    pub fn install() -> io::Result<SignalPipe> {
        // std creates both ends with SOCK_CLOEXEC, so children never inherit them.
        let (read, write) = UnixStream::pair()?;
        read.set_nonblocking(true)?;
        write.set_nonblocking(true)?;
        let delivery = SignalDelivery::with_pipe(read, write, SignalOnly, HANDLED)?;
        Ok(SignalPipe { delivery })
    }

    /// The descriptor to watch for readability.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.delivery.get_read().as_fd()
    }

    /// Drains the pipe and returns the signals that arrived (each at most once, in no
    /// particular order).
    pub fn pending(&mut self) -> Vec<i32> {
        self.delivery.pending().collect()
    }
}
