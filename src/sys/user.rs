//! Users and groups through the C library (so NSS sources such as LDAP work, as with
//! Python's `pwd`/`grp`): `user=` resolution and the supplementary group list.

use std::ffi::{c_char, CStr, CString};
use std::io;

/// One passwd entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passwd {
    /// Login name.
    pub name: String,
    /// uid
    pub uid: u32,
    /// Primary gid.
    pub gid: u32,
    /// Home directory.
    pub dir: String,
    /// Login shell.
    pub shell: String,
}

fn cstr_to_string(p: *const c_char) -> String {
    if p.is_null() {
        return String::new();
    }
    // SAFETY: non-null pointers in a filled passwd/group point to NUL-terminated strings
    // inside the buffer we passed, which is alive while this runs.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Calls a `get*_r` function with a growing buffer until it no longer says ERANGE.
/// `call(buf)` returns the function's error number and the entry, if one was found.
fn with_buffer<T>(
    mut call: impl FnMut(&mut [c_char]) -> (i32, Option<T>),
) -> io::Result<Option<T>> {
    let mut size = 1024usize;
    loop {
        let mut buf: Vec<c_char> = vec![0; size];
        let (err, value) = call(&mut buf);
        match err {
            0 => return Ok(value),
            libc::ERANGE if size < (1 << 20) => size *= 4,
            // "not found" is reported as one of these by some NSS modules.
            libc::ENOENT | libc::ESRCH | libc::EBADF | libc::EPERM => return Ok(None),
            e => return Err(io::Error::from_raw_os_error(e)),
        }
    }
}

fn passwd_lookup(by: Result<&CStr, u32>) -> io::Result<Option<Passwd>> {
    with_buffer(|buf| {
        // SAFETY: passwd is plain data; all-zero is valid and the call fills it.
        let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let err = match by {
            // SAFETY: name is NUL-terminated; pw, buf (with its length) and result are
            // live and writable for the duration of the call.
            Ok(name) => unsafe {
                libc::getpwnam_r(
                    name.as_ptr(),
                    &mut pw,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut result,
                )
            },
            // SAFETY: as above.
            Err(uid) => unsafe {
                libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut result)
            },
        };
        if err != 0 || result.is_null() {
            return (err, None);
        }
        let entry = Passwd {
            name: cstr_to_string(pw.pw_name),
            uid: pw.pw_uid,
            gid: pw.pw_gid,
            dir: cstr_to_string(pw.pw_dir),
            shell: cstr_to_string(pw.pw_shell),
        };
        (0, Some(entry))
    })
}

/// `getpwnam(name)`; `Ok(None)` when there is no such user.
pub fn user_by_name(name: &str) -> io::Result<Option<Passwd>> {
    let Ok(c) = CString::new(name) else {
        return Ok(None);
    };
    passwd_lookup(Ok(&c))
}

/// `getpwuid(uid)`; `Ok(None)` when there is no such uid.
pub fn user_by_uid(uid: u32) -> io::Result<Option<Passwd>> {
    passwd_lookup(Err(uid))
}

/// One group entry (members are not needed: [`group_list`] asks the C library).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    /// Group name.
    pub name: String,
    /// gid
    pub gid: u32,
}

fn group_lookup(by: Result<&CStr, u32>) -> io::Result<Option<GroupEntry>> {
    with_buffer(|buf| {
        // SAFETY: group is plain data; all-zero is valid and the call fills it.
        let mut gr: libc::group = unsafe { std::mem::zeroed() };
        let mut result: *mut libc::group = std::ptr::null_mut();
        let err = match by {
            // SAFETY: name is NUL-terminated; gr, buf (with its length) and result are
            // live and writable for the duration of the call.
            Ok(name) => unsafe {
                libc::getgrnam_r(
                    name.as_ptr(),
                    &mut gr,
                    buf.as_mut_ptr(),
                    buf.len(),
                    &mut result,
                )
            },
            // SAFETY: as above.
            Err(gid) => unsafe {
                libc::getgrgid_r(gid, &mut gr, buf.as_mut_ptr(), buf.len(), &mut result)
            },
        };
        if err != 0 || result.is_null() {
            return (err, None);
        }
        let entry = GroupEntry {
            name: cstr_to_string(gr.gr_name),
            gid: gr.gr_gid,
        };
        (0, Some(entry))
    })
}

/// `getgrnam(name)`; `Ok(None)` when there is no such group.
pub fn group_by_name(name: &str) -> io::Result<Option<GroupEntry>> {
    let Ok(c) = CString::new(name) else {
        return Ok(None);
    };
    group_lookup(Ok(&c))
}

/// `getgrgid(gid)`; `Ok(None)` when there is no such gid.
pub fn group_by_gid(gid: u32) -> io::Result<Option<GroupEntry>> {
    group_lookup(Err(gid))
}

/// The groups for `setgroups` when becoming `user`: `gid` first, then every group that
/// lists `user` as a member (what the reference computes from `grp.getgrall()`).
pub fn group_list(user: &str, gid: u32) -> io::Result<Vec<u32>> {
    let c = CString::new(user).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
    let mut n: libc::c_int = 32;
    loop {
        let mut groups: Vec<libc::gid_t> = vec![0; n as usize];
        let mut count = n;
        // SAFETY: c is NUL-terminated; `groups` has room for `count` entries, and the
        // call writes at most that many, updating `count`.
        let r = unsafe { libc::getgrouplist(c.as_ptr(), gid, groups.as_mut_ptr(), &mut count) };
        if r >= 0 {
            groups.truncate(count.max(0) as usize);
            let mut out = vec![gid];
            out.extend(groups.into_iter().filter(|&g| g != gid));
            return Ok(out);
        }
        if count <= n || n > 65536 {
            return Err(io::Error::other("getgrouplist failed"));
        }
        n = count;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists() {
        let by_name = user_by_name("root").unwrap().unwrap();
        assert_eq!(by_name.uid, 0);
        assert_eq!(user_by_uid(0).unwrap().unwrap().name, "root");
        assert_eq!(group_by_name("root").unwrap().map(|g| g.gid), Some(0));
        assert_eq!(group_by_gid(0).unwrap().unwrap().name, "root");
        assert_eq!(group_list("root", 0).unwrap().first(), Some(&0));
    }

    #[test]
    fn missing_entries() {
        assert_eq!(user_by_name("no-such-user-h3x").unwrap(), None);
        assert_eq!(user_by_name("nul\0inside").unwrap(), None);
        assert_eq!(group_by_name("no-such-group-h3x").unwrap(), None);
        assert_eq!(user_by_uid(4_000_000_123).unwrap(), None);
        assert_eq!(group_by_gid(4_000_000_123).unwrap(), None);
    }
}
