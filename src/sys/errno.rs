//! errno names and messages as static tables, so that code after `fork` (and the log
//! formatting in the parent) can turn an errno into text without allocating or calling
//! into the C library. The names are exactly those Python's `errno.errorcode` gives on
//! Linux (the reference prints them, e.g. `couldn't chdir to /x: ENOENT`), including the
//! gaps at 41 and 58 where Python has no name and prints the number instead.

/// `errno.errorcode` name of `e` (`ENOENT`, `EACCES`, ...), or `"UNKNOWN"` when Python
/// has no name for it. Use [`errno_code`] for the reference's "name or number" text.
pub fn errno_name(e: i32) -> &'static str {
    match lookup(e) {
        Some((name, _)) if !name.is_empty() => name,
        _ => "UNKNOWN",
    }
}

/// `errno.errorcode.get(e, e)`: the name, or the decimal number when there is none.
pub fn errno_code(e: i32) -> String {
    match lookup(e) {
        Some((name, _)) if !name.is_empty() => name.to_string(),
        _ => e.to_string(),
    }
}

/// The C library's `strerror(e)` text (`No such file or directory`), without the
/// C library; unknown numbers give `Unknown error N` like glibc.
pub fn strerror(e: i32) -> String {
    match lookup(e) {
        Some((_, msg)) => msg.to_string(),
        None => format!("Unknown error {e}"),
    }
}

/// The name for `e` if it has one, usable after fork (no allocation).
pub(crate) fn errno_name_opt(e: i32) -> Option<&'static str> {
    match lookup(e) {
        Some((name, _)) if !name.is_empty() => Some(name),
        _ => None,
    }
}

fn lookup(e: i32) -> Option<(&'static str, &'static str)> {
    usize::try_from(e).ok().and_then(|i| TABLE.get(i)).copied()
}

/// Index = errno; (Python name or "" when it has none, glibc strerror text).
const TABLE: [(&str, &str); 133] = [
    ("", "Success"),
    ("EPERM", "Operation not permitted"),
    ("ENOENT", "No such file or directory"),
    ("ESRCH", "No such process"),
    ("EINTR", "Interrupted system call"),
    ("EIO", "Input/output error"),
    ("ENXIO", "No such device or address"),
    ("E2BIG", "Argument list too long"),
    ("ENOEXEC", "Exec format error"),
    ("EBADF", "Bad file descriptor"),
    ("ECHILD", "No child processes"),
    ("EAGAIN", "Resource temporarily unavailable"),
    ("ENOMEM", "Cannot allocate memory"),
    ("EACCES", "Permission denied"),
    ("EFAULT", "Bad address"),
    ("ENOTBLK", "Block device required"),
    ("EBUSY", "Device or resource busy"),
    ("EEXIST", "File exists"),
    ("EXDEV", "Invalid cross-device link"),
    ("ENODEV", "No such device"),
    ("ENOTDIR", "Not a directory"),
    ("EISDIR", "Is a directory"),
    ("EINVAL", "Invalid argument"),
    ("ENFILE", "Too many open files in system"),
    ("EMFILE", "Too many open files"),
    ("ENOTTY", "Inappropriate ioctl for device"),
    ("ETXTBSY", "Text file busy"),
    ("EFBIG", "File too large"),
    ("ENOSPC", "No space left on device"),
    ("ESPIPE", "Illegal seek"),
    ("EROFS", "Read-only file system"),
    ("EMLINK", "Too many links"),
    ("EPIPE", "Broken pipe"),
    ("EDOM", "Numerical argument out of domain"),
    ("ERANGE", "Numerical result out of range"),
    ("EDEADLOCK", "Resource deadlock avoided"),
    ("ENAMETOOLONG", "File name too long"),
    ("ENOLCK", "No locks available"),
    ("ENOSYS", "Function not implemented"),
    ("ENOTEMPTY", "Directory not empty"),
    ("ELOOP", "Too many levels of symbolic links"),
    ("", "Unknown error 41"),
    ("ENOMSG", "No message of desired type"),
    ("EIDRM", "Identifier removed"),
    ("ECHRNG", "Channel number out of range"),
    ("EL2NSYNC", "Level 2 not synchronized"),
    ("EL3HLT", "Level 3 halted"),
    ("EL3RST", "Level 3 reset"),
    ("ELNRNG", "Link number out of range"),
    ("EUNATCH", "Protocol driver not attached"),
    ("ENOCSI", "No CSI structure available"),
    ("EL2HLT", "Level 2 halted"),
    ("EBADE", "Invalid exchange"),
    ("EBADR", "Invalid request descriptor"),
    ("EXFULL", "Exchange full"),
    ("ENOANO", "No anode"),
    ("EBADRQC", "Invalid request code"),
    ("EBADSLT", "Invalid slot"),
    ("", "Unknown error 58"),
    ("EBFONT", "Bad font file format"),
    ("ENOSTR", "Device not a stream"),
    ("ENODATA", "No data available"),
    ("ETIME", "Timer expired"),
    ("ENOSR", "Out of streams resources"),
    ("ENONET", "Machine is not on the network"),
    ("ENOPKG", "Package not installed"),
    ("EREMOTE", "Object is remote"),
    ("ENOLINK", "Link has been severed"),
    ("EADV", "Advertise error"),
    ("ESRMNT", "Srmount error"),
    ("ECOMM", "Communication error on send"),
    ("EPROTO", "Protocol error"),
    ("EMULTIHOP", "Multihop attempted"),
    ("EDOTDOT", "RFS specific error"),
    ("EBADMSG", "Bad message"),
    ("EOVERFLOW", "Value too large for defined data type"),
    ("ENOTUNIQ", "Name not unique on network"),
    ("EBADFD", "File descriptor in bad state"),
    ("EREMCHG", "Remote address changed"),
    ("ELIBACC", "Can not access a needed shared library"),
    ("ELIBBAD", "Accessing a corrupted shared library"),
    ("ELIBSCN", ".lib section in a.out corrupted"),
    ("ELIBMAX", "Attempting to link in too many shared libraries"),
    ("ELIBEXEC", "Cannot exec a shared library directly"),
    (
        "EILSEQ",
        "Invalid or incomplete multibyte or wide character",
    ),
    ("ERESTART", "Interrupted system call should be restarted"),
    ("ESTRPIPE", "Streams pipe error"),
    ("EUSERS", "Too many users"),
    ("ENOTSOCK", "Socket operation on non-socket"),
    ("EDESTADDRREQ", "Destination address required"),
    ("EMSGSIZE", "Message too long"),
    ("EPROTOTYPE", "Protocol wrong type for socket"),
    ("ENOPROTOOPT", "Protocol not available"),
    ("EPROTONOSUPPORT", "Protocol not supported"),
    ("ESOCKTNOSUPPORT", "Socket type not supported"),
    ("ENOTSUP", "Operation not supported"),
    ("EPFNOSUPPORT", "Protocol family not supported"),
    ("EAFNOSUPPORT", "Address family not supported by protocol"),
    ("EADDRINUSE", "Address already in use"),
    ("EADDRNOTAVAIL", "Cannot assign requested address"),
    ("ENETDOWN", "Network is down"),
    ("ENETUNREACH", "Network is unreachable"),
    ("ENETRESET", "Network dropped connection on reset"),
    ("ECONNABORTED", "Software caused connection abort"),
    ("ECONNRESET", "Connection reset by peer"),
    ("ENOBUFS", "No buffer space available"),
    ("EISCONN", "Transport endpoint is already connected"),
    ("ENOTCONN", "Transport endpoint is not connected"),
    ("ESHUTDOWN", "Cannot send after transport endpoint shutdown"),
    ("ETOOMANYREFS", "Too many references: cannot splice"),
    ("ETIMEDOUT", "Connection timed out"),
    ("ECONNREFUSED", "Connection refused"),
    ("EHOSTDOWN", "Host is down"),
    ("EHOSTUNREACH", "No route to host"),
    ("EALREADY", "Operation already in progress"),
    ("EINPROGRESS", "Operation now in progress"),
    ("ESTALE", "Stale file handle"),
    ("EUCLEAN", "Structure needs cleaning"),
    ("ENOTNAM", "Not a XENIX named type file"),
    ("ENAVAIL", "No XENIX semaphores available"),
    ("EISNAM", "Is a named type file"),
    ("EREMOTEIO", "Remote I/O error"),
    ("EDQUOT", "Disk quota exceeded"),
    ("ENOMEDIUM", "No medium found"),
    ("EMEDIUMTYPE", "Wrong medium type"),
    ("ECANCELED", "Operation canceled"),
    ("ENOKEY", "Required key not available"),
    ("EKEYEXPIRED", "Key has expired"),
    ("EKEYREVOKED", "Key has been revoked"),
    ("EKEYREJECTED", "Key was rejected by service"),
    ("EOWNERDEAD", "Owner died"),
    ("ENOTRECOVERABLE", "State not recoverable"),
    ("ERFKILL", "Operation not possible due to RF-kill"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_codes() {
        let cases = [
            (libc::ENOENT, "ENOENT", "ENOENT"),
            (libc::EACCES, "EACCES", "EACCES"),
            (libc::EAGAIN, "EAGAIN", "EAGAIN"),
            (libc::ENOTSUP, "ENOTSUP", "ENOTSUP"),
            (libc::EDEADLK, "EDEADLOCK", "EDEADLOCK"),
            (41, "UNKNOWN", "41"),
            (999, "UNKNOWN", "999"),
            (-1, "UNKNOWN", "-1"),
        ];
        for (e, name, code) in cases {
            assert_eq!(errno_name(e), name, "{e}");
            assert_eq!(errno_code(e), code, "{e}");
        }
    }

    #[test]
    fn messages() {
        assert_eq!(strerror(libc::ENOENT), "No such file or directory");
        assert_eq!(strerror(libc::ESPIPE), "Illegal seek");
        assert_eq!(strerror(4000), "Unknown error 4000");
    }

    #[test]
    fn table_matches_libc_constants() {
        for (e, name) in [
            (libc::EPERM, "EPERM"),
            (libc::ENOSPC, "ENOSPC"),
            (libc::EROFS, "EROFS"),
            (libc::EDQUOT, "EDQUOT"),
            (libc::EIO, "EIO"),
            (libc::EMFILE, "EMFILE"),
            (libc::ENOEXEC, "ENOEXEC"),
            (libc::ERFKILL, "ERFKILL"),
        ] {
            assert_eq!(errno_name(e), name);
        }
    }
}
