//! The stack the child runs on between clone and execve.
//!
//! The child shares our memory (CLONE_VM), so running off the low end of its stack would
//! silently overwrite whatever of the daemon's lies below. Its call chain is shallow
//! (child_main -> mark_all_cloexec_by_walk with a 2 KiB buffer, a few small frames and
//! libc's syscall wrappers: a few KiB in all) against [`CHILD_STACK`] = 128 KiB, but that is
//! an argument, not a guarantee: a PROT_NONE guard page below the stack turns an overflow
//! into a SIGSEGV that kills only the child (the daemon sees it exit by signal). A frame
//! could jump over one page only if it were larger than a page without stack probes (Rust
//! probes such frames on x86_64 and aarch64); the child's largest frame, the 2 KiB buffer,
//! is smaller than a page anyway.

use std::io;
use std::ptr;

use libc::c_void;

/// Usable size of the child's stack, above the guard page.
pub(super) const CHILD_STACK: usize = 128 * 1024;

/// An anonymous mapping: one PROT_NONE guard page, then [`CHILD_STACK`] read-write bytes.
/// Unmapped on drop; the child must be done with it by then (CLONE_VFORK ensures that).
#[derive(Debug)]
pub(super) struct ChildStack {
    base: *mut c_void,
    len: usize,
}

impl ChildStack {
    /// Maps a fresh guarded stack.
    pub(super) fn new() -> io::Result<ChildStack> {
        let guard = page_size();
        let len = CHILD_STACK
            .checked_add(guard)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        // SAFETY: a new private anonymous mapping at an address of the kernel's choosing;
        // it overlaps nothing of ours.
        let base = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        // Owned from here: dropped (unmapped) on the error path below.
        let stack = ChildStack { base, len };
        // SAFETY: the first page of the mapping just made, which nothing uses yet.
        if unsafe { libc::mprotect(base, guard, libc::PROT_NONE) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stack)
    }

    /// The initial stack pointer: the top of the mapping (stacks grow down), which mmap
    /// returns page-aligned, so 16-byte aligned as every ABI wants.
    pub(super) fn top(&self) -> *mut c_void {
        self.base.wrapping_byte_add(self.len)
    }

    /// The guard page's address and size (for tests).
    #[cfg(test)]
    fn guard(&self) -> (usize, usize) {
        (self.base as usize, page_size())
    }
}

impl Drop for ChildStack {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`, which nothing uses any more.
        unsafe { libc::munmap(self.base, self.len) };
    }
}

fn page_size() -> usize {
    crate::sys::usage::page_size() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The /proc/self/maps mapping holding `addr`: (end, permissions). Neighbouring mappings
    /// with equal flags may have been merged with ours, so only the boundaries we made are
    /// checked exactly.
    fn mapping_holding(addr: usize) -> Option<(usize, String)> {
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        maps.lines().find_map(|line| {
            let (range, rest) = line.split_once(' ')?;
            let (lo, hi) = range.split_once('-')?;
            let lo = usize::from_str_radix(lo, 16).ok()?;
            let hi = usize::from_str_radix(hi, 16).ok()?;
            let perms = rest.get(..4)?;
            (lo <= addr && addr < hi).then(|| (hi, perms.to_string()))
        })
    }

    #[test]
    fn stack_has_a_guard_page_below_it() {
        let stack = ChildStack::new().unwrap();
        let (guard_at, guard_len) = stack.guard();
        assert_eq!(guard_len, page_size());
        let (guard_end, perms) = mapping_holding(guard_at).expect("guard mapping");
        assert_eq!(guard_end, guard_at + guard_len);
        assert_eq!(perms, "---p");
        let (stack_end, perms) = mapping_holding(guard_end).expect("stack mapping");
        assert!(stack_end >= stack.top() as usize);
        assert_eq!(perms, "rw-p");
        assert_eq!(stack.top() as usize - guard_end, CHILD_STACK);
        assert_eq!(stack.top() as usize % 16, 0);
    }
}
