//! The child side's pure helpers, and the kernel's acceptance of the arguments
//! reset_signals passes (queried on our own process, changing nothing).
#![allow(
    clippy::panic,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::arithmetic_side_effects
)]

use super::*;

#[test]
fn int_formatting() {
    let mut b = [0u8; 12];
    for (n, s) in [
        (0, "0"),
        (41, "41"),
        (-7, "-7"),
        (i32::MAX, "2147483647"),
        (i32::MIN, "-2147483648"),
    ] {
        assert_eq!(fmt_int(n, &mut b), s.as_bytes());
    }
}

#[test]
fn fd_names() {
    assert_eq!(parse_fd(b"17\0"), Some(17));
    assert_eq!(parse_fd(b"0"), Some(0));
    assert_eq!(parse_fd(b".\0"), None);
    assert_eq!(parse_fd(b"..\0"), None);
    assert_eq!(parse_fd(b"\0"), None);
    assert_eq!(parse_fd(b"99999999999\0"), None, "overflow is no fd");
}

/// One linux_dirent64 record for `name`, padded to 8 bytes like the kernel's.
fn dirent(name: &[u8]) -> Vec<u8> {
    let reclen = (19 + name.len() + 1).next_multiple_of(8);
    let mut rec = vec![0u8; reclen];
    rec[16..18].copy_from_slice(&(reclen as u16).to_ne_bytes());
    rec[19..19 + name.len()].copy_from_slice(name);
    rec
}

#[test]
fn dirent_walk_yields_numbers_and_stops_on_bad_records() {
    let mut buf = [dirent(b"."), dirent(b".."), dirent(b"3"), dirent(b"120")].concat();
    let mut seen = Vec::new();
    for_each_dirent_fd(&buf, |fd| seen.push(fd));
    assert_eq!(seen, [3, 120]);
    // A record claiming more bytes than the buffer holds ends the walk there.
    buf.extend_from_slice(&dirent(b"7")[..18]);
    seen.clear();
    for_each_dirent_fd(&buf, |fd| seen.push(fd));
    assert_eq!(seen, [3, 120]);
    // A zero length cannot loop forever.
    let mut zero = dirent(b"5");
    zero[16..18].copy_from_slice(&0u16.to_ne_bytes());
    for_each_dirent_fd(&zero, |_| panic!("no record"));
}

#[test]
fn proc_walk_marks_descriptors_cloexec() {
    use std::os::fd::AsRawFd;
    let (r, w) = crate::sys::pipe().unwrap();
    crate::sys::set_cloexec(&r, false).unwrap();
    crate::sys::set_cloexec(&w, false).unwrap();
    // Harmless for the test process: std creates every fd close-on-exec anyway.
    mark_all_cloexec_by_walk();
    for fd in [&r, &w] {
        // SAFETY: test-only flag query on descriptors owned by this test.
        let fl = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
        assert_ne!(fl & libc::FD_CLOEXEC, 0);
    }
}

#[test]
fn status_word_decodes() {
    for stage in Stage::ALL {
        let word = status_word(stage, libc::ENOENT);
        assert_eq!(
            super::super::decode_status(&word),
            Some((stage, libc::ENOENT))
        );
    }
}

#[test]
fn only_einval_from_sigaction_is_tolerated() {
    assert!(sigaction_error_is_harmless(libc::EINVAL));
    for errno in [libc::EFAULT, libc::EPERM, libc::ENOSYS, 0] {
        assert!(!sigaction_error_is_harmless(errno), "errno {errno}");
    }
}

/// rt_sigprocmask on our own mask, query only (null new set): the kernel checks the size.
fn query_mask(size: usize) -> Result<(), i32> {
    let mut old = [0u64; 16];
    // SAFETY: query only (null new set, so the mask is unchanged); `old` is 128 writable
    // bytes, at least `size` for both sizes tried.
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            ptr::null::<u8>(),
            old.as_mut_ptr(),
            size,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(last_errno())
    }
}

#[test]
fn kernel_sigset_size_is_what_the_kernel_accepts() {
    assert_eq!(query_mask(KERNEL_SIGSET_BYTES), Ok(()));
    let libc_size = std::mem::size_of::<libc::sigset_t>();
    assert_ne!(libc_size, KERNEL_SIGSET_BYTES);
    assert_eq!(query_mask(libc_size), Err(libc::EINVAL));
    // Every signal the C library knows fits in the kernel's set.
    assert!(libc::SIGRTMAX() <= KERNEL_NSIG);
}

#[test]
fn reset_sigaction_arguments_are_accepted() {
    // What reset_signals passes, but only querying (null new action) SIGUSR1 and a
    // real-time signal: the kernel validates the signal number and the size.
    for sig in [libc::SIGUSR1, libc::SIGRTMIN(), KERNEL_NSIG] {
        let mut old = [0u64; 4];
        // SAFETY: query only; `old` is 32 writable bytes, the kernel writes at most its
        // struct sigaction.
        let r = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                ptr::null::<u64>(),
                old.as_mut_ptr(),
                KERNEL_SIGSET_BYTES,
            )
        };
        assert_eq!(r, 0, "signal {sig}");
    }
    // SAFETY: as above; the signal number is out of range, so nothing is written.
    let r = unsafe {
        libc::syscall(
            libc::SYS_rt_sigaction,
            KERNEL_NSIG + 1,
            ptr::null::<u64>(),
            ptr::null_mut::<u64>(),
            KERNEL_SIGSET_BYTES,
        )
    };
    assert_eq!((r, last_errno()), (-1, libc::EINVAL));
}
