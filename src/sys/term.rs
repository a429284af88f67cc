//! Terminal echo, for supervisorctl's password prompt.

use std::io;
use std::os::fd::RawFd;

/// Turns echo of typed characters on or off for the terminal on `fd`; returns whether echo
/// was on before. Fails (ENOTTY) when `fd` is not a terminal.
pub fn set_echo(fd: RawFd, on: bool) -> io::Result<bool> {
    // SAFETY: termios is plain data; all-zero is a valid value that tcgetattr overwrites.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: `t` is a live, writable termios; tcgetattr only writes into it.
    if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let was_on = t.c_lflag & libc::ECHO != 0;
    if on {
        t.c_lflag |= libc::ECHO;
    } else {
        t.c_lflag &= !libc::ECHO;
    }
    // SAFETY: `t` is a valid termios obtained from tcgetattr and modified in place.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(was_on)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_terminal_is_an_error() {
        let (r, _w) = crate::sys::pipe().unwrap();
        use std::os::fd::AsRawFd;
        assert!(set_echo(r.as_raw_fd(), false).is_err());
    }
}
