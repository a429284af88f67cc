//! The terminal: echo for supervisorctl's password prompt, and for the shell's line editor
//! raw mode (restored on drop, on SIGTERM/SIGHUP and from a panic hook), the window width,
//! waiting for input and reading it unbuffered.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Once, OnceLock};
use std::time::Duration;

/// Turns echo of typed characters on or off for the terminal on `fd`; returns whether echo
/// was on before. Fails (ENOTTY) when `fd` is not a terminal.
pub fn set_echo(fd: RawFd, on: bool) -> io::Result<bool> {
    let mut t = get_attr(fd)?;
    let was_on = t.c_lflag & libc::ECHO != 0;
    if on {
        t.c_lflag |= libc::ECHO;
    } else {
        t.c_lflag &= !libc::ECHO;
    }
    set_attr(fd, &t, libc::TCSANOW)?;
    Ok(was_on)
}

fn get_attr(fd: RawFd) -> io::Result<libc::termios> {
    // SAFETY: termios is plain data; all-zero is a valid value that tcgetattr overwrites.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a live, writable termios; tcgetattr only writes into it.
    if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(t)
}

fn set_attr(fd: RawFd, t: &libc::termios, when: libc::c_int) -> io::Result<()> {
    // SAFETY: `t` points to a valid termios (obtained from tcgetattr, maybe modified); the
    // call only reads it.
    if unsafe { libc::tcsetattr(fd, when, t) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The settings the terminal had before the first raw mode: what every restore puts back.
/// Set once, read from signal handlers (a `OnceLock` read is a plain atomic load).
static COOKED: OnceLock<libc::termios> = OnceLock::new();
/// The descriptor that is in raw mode now, or -1.
static RAW_FD: AtomicI32 = AtomicI32::new(-1);

/// Raw mode on a terminal for as long as this lives: no echo, no line buffering, no signals
/// from keys (Ctrl-C, Ctrl-Z and Ctrl-\ arrive as bytes), no CR→NL or flow control. Output
/// processing stays on. Dropping it restores the settings from before.
#[derive(Debug)]
pub struct RawMode {
    fd: RawFd,
}

impl RawMode {
    /// Puts the terminal on `fd` in raw mode. Typed-ahead input is kept. The first call
    /// also installs the handlers that restore the terminal when SIGTERM or SIGHUP ends the
    /// process, or a panic does.
    pub fn enter(fd: RawFd) -> io::Result<RawMode> {
        let now = get_attr(fd)?;
        let cooked = *COOKED.get_or_init(|| now);
        install_restorers();
        let mut raw = cooked;
        raw.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
        raw.c_lflag &= !(libc::ECHO | libc::ICANON | libc::IEXTEN | libc::ISIG);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        RAW_FD.store(fd, Ordering::SeqCst);
        if let Err(e) = set_attr(fd, &raw, libc::TCSADRAIN) {
            RAW_FD.store(-1, Ordering::SeqCst);
            return Err(e);
        }
        Ok(RawMode { fd })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(cooked) = COOKED.get() {
            let _ = set_attr(self.fd, cooked, libc::TCSADRAIN);
        }
        RAW_FD.store(-1, Ordering::SeqCst);
    }
}

/// Puts back the cooked settings if a terminal is in raw mode. Async-signal-safe: atomics
/// and tcsetattr only.
fn restore_now() {
    let fd = RAW_FD.swap(-1, Ordering::SeqCst);
    if fd >= 0 {
        if let Some(cooked) = COOKED.get() {
            let _ = set_attr(fd, cooked, libc::TCSANOW);
        }
    }
}

fn install_restorers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for sig in [libc::SIGTERM, libc::SIGHUP] {
            let action = move || {
                restore_now();
                let _ = signal_hook::low_level::emulate_default_handler(sig);
            };
            // SAFETY: the action only touches atomics, calls tcsetattr (async-signal-safe)
            // and signal-hook's emulate_default_handler (sigaction, sigprocmask, raise: all
            // async-signal-safe); it allocates nothing and takes no lock. It ends the process
            // as the default disposition would, so installing it changes nothing else.
            let _ = unsafe { signal_hook::low_level::register(sig, action) };
        }
        // Under panic=immediate-abort (packaging/build-static.sh) no hook ever runs, and
        // taking the default hook would link std's backtrace printer (150 KB).
        #[cfg(not(panic = "immediate-abort"))]
        {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore_now();
                previous(info);
            }));
        }
    });
}

/// Stops the process as Ctrl-Z does in a shell (SIGTSTP to itself); returns once it is
/// continued. The caller leaves raw mode first.
pub fn suspend() {
    let _ = signal_hook::low_level::raise(libc::SIGTSTP);
}

/// The width of the terminal on `fd` in columns (`None` when it is not a terminal or says 0).
pub fn columns(fd: RawFd) -> Option<usize> {
    // SAFETY: winsize is plain data; all-zero is a valid value that the ioctl overwrites.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize into the live, writable `ws` and nothing else.
    if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } != 0 || ws.ws_col == 0 {
        return None;
    }
    Some(usize::from(ws.ws_col))
}

/// Waits up to `limit` for `fd` to be readable (or at end of file, or in error). EINTR
/// counts as "not yet".
pub fn wait_readable(fd: RawFd, limit: Duration) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(limit.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: `p` is one valid, writable pollfd and the count passed is 1.
    let r = unsafe { libc::poll(&mut p, 1, ms) };
    if r < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(r > 0)
}

/// One `read(2)` from `fd` into `buf`, unbuffered (so nothing typed waits in a userspace
/// buffer that `poll` cannot see). 0 means end of file.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a live, writable slice of exactly the length passed.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsRawFd;

    #[test]
    fn not_a_terminal_is_an_error() {
        let (r, _w) = crate::sys::pipe().unwrap();
        assert!(set_echo(r.as_raw_fd(), false).is_err());
        assert!(RawMode::enter(r.as_raw_fd()).is_err());
        assert_eq!(columns(r.as_raw_fd()), None);
    }

    #[test]
    fn waits_and_reads_a_pipe() {
        let (r, w) = crate::sys::pipe().unwrap();
        let fd = r.as_raw_fd();
        assert!(!wait_readable(fd, Duration::from_millis(1)).unwrap());
        let mut f = std::fs::File::from(w);
        std::io::Write::write_all(&mut f, b"ab").unwrap();
        assert!(wait_readable(fd, Duration::from_millis(1000)).unwrap());
        let mut buf = [0u8; 8];
        assert_eq!(read(fd, &mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"ab");
        drop(f);
        assert!(wait_readable(fd, Duration::from_millis(1000)).unwrap());
        assert_eq!(read(fd, &mut buf).unwrap(), 0);
    }
}
