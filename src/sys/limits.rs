//! Resource limits (`minfds` / `minprocs`): RLIMIT_NOFILE and RLIMIT_NPROC.

use std::io;

use super::cvt;

/// "No limit", as returned by [`get_rlimit`] and accepted by [`set_rlimit`].
pub const RLIM_INFINITY: u64 = libc::RLIM_INFINITY;

/// glibc and musl spell the resource argument's type differently.
#[cfg(target_env = "gnu")]
type RawResource = libc::__rlimit_resource_t;
#[cfg(not(target_env = "gnu"))]
type RawResource = libc::c_int;

/// The limits the daemon adjusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// RLIMIT_NOFILE (`minfds`)
    NoFile,
    /// RLIMIT_NPROC (`minprocs`)
    NProc,
}

impl Resource {
    fn raw(self) -> RawResource {
        match self {
            Resource::NoFile => libc::RLIMIT_NOFILE,
            Resource::NProc => libc::RLIMIT_NPROC,
        }
    }

    /// The name used in log lines (`RLIMIT_NOFILE`).
    pub fn name(self) -> &'static str {
        match self {
            Resource::NoFile => "RLIMIT_NOFILE",
            Resource::NProc => "RLIMIT_NPROC",
        }
    }
}

/// `(soft, hard)`; [`RLIM_INFINITY`] means unlimited.
pub fn get_rlimit(res: Resource) -> io::Result<(u64, u64)> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `rl` is a live, writable rlimit.
    cvt(unsafe { libc::getrlimit(res.raw(), &mut rl) })?;
    Ok((rl.rlim_cur, rl.rlim_max))
}

/// Sets `(soft, hard)`. Raising `hard` needs privileges (EPERM otherwise).
pub fn set_rlimit(res: Resource, soft: u64, hard: u64) -> io::Result<()> {
    let rl = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: `rl` is a live rlimit read by the call.
    cvt(unsafe { libc::setrlimit(res.raw(), &rl) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_and_rewrite_same_limits() {
        for res in [Resource::NoFile, Resource::NProc] {
            let (soft, hard) = get_rlimit(res).unwrap();
            assert!(soft <= hard || hard == RLIM_INFINITY);
            // Setting the current values is always permitted.
            set_rlimit(res, soft, hard).unwrap();
        }
        assert_eq!(Resource::NoFile.name(), "RLIMIT_NOFILE");
    }
}
