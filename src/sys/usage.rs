//! What the daemon uses of the system, for `metrics`: its resident memory and its open
//! descriptors, read from `/proc/self` (Linux). `None` when `/proc` is not mounted.

/// Resident set size in bytes: the second field of `/proc/self/statm` (pages) times the
/// page size.
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages.saturating_mul(page_size()))
}

/// Descriptors open in this process: the entries of `/proc/self/fd`, less the one the
/// listing itself holds.
pub fn open_fds() -> Option<u64> {
    let n = std::fs::read_dir("/proc/self/fd").ok()?.count() as u64;
    Some(n.saturating_sub(1))
}

/// The page size (4096 when the system will not say).
pub fn page_size() -> u64 {
    // SAFETY: sysconf reads a constant of the system; no memory involved.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    u64::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_our_own_usage() {
        assert!(super::resident_bytes().is_some_and(|b| b > 0));
        let before = super::open_fds().unwrap();
        let f = std::fs::File::open("/proc/self/statm").unwrap();
        assert!(super::open_fds().unwrap() > before);
        drop(f);
    }
}
