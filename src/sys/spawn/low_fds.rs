//! Four descriptor numbers the daemon keeps low in its table, so a child can start on a
//! private table holding only those (see [`LowFds`]).

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use crate::sys::{cvt, last_errno};

/// Four descriptor numbers kept low in the daemon's table, holding /dev/null between spawns.
///
/// A child started with a copy of the daemon's table inherits every log file and pipe of
/// every other program, and execve then closes them one by one: the cost of a spawn grew
/// with the number of programs (starting 500 on tmpfs took 492 ms before, ~310 ms after).
/// With these descriptors the child's four ends are first placed at low numbers, the child
/// is started *sharing* our table (no copy), and its first step is `close_range(limit, ~0,
/// CLOSE_RANGE_UNSHARE)`, which gives it a private table holding only the descriptors below
/// `limit`. Taken by `&mut`, so no two spawns use them at once.
#[derive(Debug)]
pub struct LowFds {
    null: OwnedFd,
    fds: [OwnedFd; 4],
    limit: libc::c_uint,
    /// Cleared when clone refused CLONE_FILES with vfork (EINVAL: seen in emulators such as
    /// qemu-user, which turn vfork into fork); spawns then copy the table as before.
    pub(super) usable: bool,
}

impl LowFds {
    /// Reserves the descriptors: the lowest free numbers from 3 up, so call it before the
    /// daemon opens its sockets and logs.
    pub fn reserve() -> std::io::Result<LowFds> {
        let null: OwnedFd = File::options()
            .read(true)
            .write(true)
            .open("/dev/null")?
            .into();
        let fds = [
            dup_low(&null)?,
            dup_low(&null)?,
            dup_low(&null)?,
            dup_low(&null)?,
        ];
        let top = fds.iter().map(|f| f.as_raw_fd()).max().unwrap_or(3);
        Ok(LowFds {
            null,
            fds,
            limit: libc::c_uint::try_from(top).map_or(u32::MAX, |t| t.saturating_add(1)),
            usable: true,
        })
    }

    /// The numbers below which the child's private table is copied.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// The descriptor numbers (not necessarily contiguous: whatever was lowest).
    pub fn numbers(&self) -> [RawFd; 4] {
        let [a, b, c, d] = &self.fds;
        [a, b, c, d].map(|f| f.as_raw_fd())
    }

    /// Puts `ends` (close-on-exec) into the descriptors, or /dev/null back when `None`.
    pub(super) fn fill(&self, ends: Option<[RawFd; 4]>) -> Result<(), i32> {
        let sources = ends.unwrap_or([self.null.as_raw_fd(); 4]);
        for (src, fd) in sources.into_iter().zip(&self.fds) {
            // SAFETY: dup3 between open descriptors; the target is one we own, so replacing
            // what it holds affects nothing else.
            if unsafe { libc::dup3(src, fd.as_raw_fd(), libc::O_CLOEXEC) } < 0 {
                return Err(last_errno());
            }
        }
        Ok(())
    }
}

/// A close-on-exec duplicate of `fd` at the lowest free number from 3 up.
fn dup_low(fd: &OwnedFd) -> std::io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on an open descriptor returns a new one we own.
    let n = cvt(unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 3) })?;
    // SAFETY: `n` was just returned by fcntl and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(n) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserve_takes_low_numbers_and_fill_restores_null() {
        let low = LowFds::reserve().unwrap();
        let numbers = low.numbers();
        assert!(numbers.iter().all(|&n| n >= 3));
        assert!(numbers.iter().all(|&n| (n as u32) < low.limit()));
        let (r, w) = crate::sys::pipe().unwrap();
        let ends = [r.as_raw_fd(), w.as_raw_fd(), w.as_raw_fd(), r.as_raw_fd()];
        low.fill(Some(ends)).unwrap();
        low.fill(None).unwrap();
        let null = std::fs::metadata("/dev/null").unwrap();
        for n in numbers {
            let target = std::fs::metadata(format!("/proc/self/fd/{n}")).unwrap();
            use std::os::unix::fs::MetadataExt;
            assert_eq!(target.rdev(), null.rdev(), "fd {n} holds /dev/null again");
        }
    }
}
