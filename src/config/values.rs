//! Value types of `supervisord.conf` (reference section 1.4): each parser takes the expanded
//! text and returns the typed value or the reference's error text. Pure, except the two
//! directory checks, which look at the filesystem through [`PathCtx`].

use std::path::{Path, PathBuf};

use super::ini::py_strip;
use super::model::{AutoRestart, LogLevel};
use super::users::UserDb;
use crate::pyrepr::str_repr;

/// Python `int(s)` (base 10): surrounding whitespace, a sign and `_` between digits are
/// allowed. Values beyond 64 bits are refused (Python would take them).
/// A count of at least 1 that fits 32 bits (`max_clients`).
pub fn positive_count(s: &str) -> Result<i64, String> {
    match integer(s) {
        Ok(n) if (1..=i64::from(u32::MAX)).contains(&n) => Ok(n),
        _ => Err(format!("{s} is not a positive count")),
    }
}

pub fn integer(s: &str) -> Result<i64, String> {
    parse_int(s, 10)
        .ok_or_else(|| format!("invalid literal for int() with base 10: {}", str_repr(s)))
}

/// Python `int(s, base)` for base 8 or 10 (base 8 also takes a `0o` prefix).
fn parse_int(s: &str, base: u32) -> Option<i64> {
    let t = py_strip(s);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut t = t;
    let mut after_prefix = false;
    if base == 8 && (t.starts_with("0o") || t.starts_with("0O")) {
        t = &t[2..];
        after_prefix = true;
    }
    let mut value: i64 = 0;
    let mut digits = 0;
    let mut last_underscore = false;
    for (i, c) in t.chars().enumerate() {
        if c == '_' {
            // One underscore between digits (or right after a base prefix).
            if last_underscore || (i == 0 && !after_prefix) {
                return None;
            }
            last_underscore = true;
            continue;
        }
        let d = c.to_digit(base)?;
        value = value.checked_mul(base as i64)?.checked_add(d as i64)?;
        digits += 1;
        last_underscore = false;
    }
    if digits == 0 || last_underscore {
        return None;
    }
    Some(if neg { -value } else { value })
}

const TRUTHY: [&str; 4] = ["yes", "true", "on", "1"];
const FALSY: [&str; 4] = ["no", "false", "off", "0"];

/// `true/yes/on/1` or `false/no/off/0`, any case.
pub fn boolean(s: &str) -> Result<bool, String> {
    let l = s.to_lowercase();
    if TRUTHY.contains(&l.as_str()) {
        Ok(true)
    } else if FALSY.contains(&l.as_str()) {
        Ok(false)
    } else {
        Err(format!("not a valid boolean value: {}", str_repr(s)))
    }
}

/// Bytes, with an optional `KB`/`MB`/`GB` suffix (any case, powers of 1024).
pub fn byte_size(s: &str) -> Result<i64, String> {
    let l = s.to_lowercase();
    for (suffix, mult) in [("kb", 1i64 << 10), ("mb", 1 << 20), ("gb", 1 << 30)] {
        if let Some(num) = l.strip_suffix(suffix) {
            let n = integer(num)?;
            return n.checked_mul(mult).ok_or_else(|| {
                format!("invalid literal for int() with base 10: {}", str_repr(num))
            });
        }
    }
    integer(&l)
}

/// Python `int(s, 8)` (`022`, `0o22`). Negative or oversized masks are refused with the same
/// message.
pub fn octal(s: &str) -> Result<u32, String> {
    parse_int(s, 8)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{s} can not be converted to an octal type"))
}

/// A signal name (`TERM`, `sigterm`) or number (any Python `int()` spelling, `1_0` too).
pub fn signal(s: &str) -> Result<i32, String> {
    match parse_int(s, 10) {
        Some(n) => crate::signames::parse(&n.to_string())
            .map_err(|_| format!("value {} is not a valid signal number", str_repr(s))),
        None => crate::signames::parse(s),
    }
}

/// A comma list of exit codes in 0..=255; empty gives an empty list.
pub fn exitcodes(s: &str) -> Result<Vec<i32>, String> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|p| match parse_int(p, 10) {
            Some(n @ 0..=255) => Ok(n as i32),
            _ => Err(()),
        })
        .collect::<Result<Vec<i32>, ()>>()
        .map_err(|_| format!("not a valid list of exit codes: {}", str_repr(s)))
}

/// `true`/`false` spellings or `unexpected`.
pub fn autorestart(s: &str) -> Result<AutoRestart, String> {
    let l = s.to_lowercase();
    if TRUTHY.contains(&l.as_str()) {
        Ok(AutoRestart::Always)
    } else if FALSY.contains(&l.as_str()) {
        Ok(AutoRestart::Never)
    } else if l == "unexpected" {
        Ok(AutoRestart::Unexpected)
    } else {
        Err(format!("invalid 'autorestart' value {}", str_repr(&l)))
    }
}

/// `critical error warn info debug trace blather`, any case (`warning` is not one).
pub fn log_level(s: &str) -> Result<LogLevel, String> {
    let level = match s.to_lowercase().as_str() {
        "critical" => LogLevel::Critical,
        "error" => LogLevel::Error,
        "warn" => LogLevel::Warn,
        "info" => LogLevel::Info,
        "debug" => LogLevel::Debug,
        "trace" => LogLevel::Trace,
        "blather" => LogLevel::Blather,
        _ => return Err(format!("bad logging level name {}", str_repr(s))),
    };
    Ok(level)
}

/// A comma list, each item stripped; empty gives an empty list.
pub fn list_of_strings(s: &str) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    s.split(',').map(|x| py_strip(x).to_string()).collect()
}

/// A program, group or fcgi-program name: stripped, without space, `:` or `/`.
pub fn process_or_group_name(s: &str) -> Result<String, String> {
    let t = py_strip(s);
    for c in [' ', ':', '/'] {
        if t.contains(c) {
            return Err(format!(
                "Invalid name: {} because of character: {}",
                str_repr(s),
                str_repr(&c.to_string())
            ));
        }
    }
    Ok(t.to_string())
}

/// A port in 1..=65535.
fn port_number(s: &str) -> Result<u16, String> {
    let n = integer(s)?;
    if n < 1 {
        return Err(format!("{n} is below lower bound (1)"));
    }
    if n > 0xffff {
        return Err(format!("{n} is above upper bound (65535)"));
    }
    Ok(n as u16)
}

/// `host:port`, `:port`, `*:port` or a bare port; the host is lower-cased, `*` means all (`""`).
pub fn inet_address(s: &str) -> Result<(String, u16), String> {
    let (host, port) = match s.rsplit_once(':') {
        Some((host, port)) => {
            if port.is_empty() {
                return Err(format!("no port number specified in {}", str_repr(port)));
            }
            (host.to_lowercase(), port_number(port)?)
        }
        None => {
            let port =
                port_number(s).map_err(|_| format!("not a valid port number: {} ", str_repr(s)))?;
            (String::new(), port)
        }
    };
    let host = if host == "*" { String::new() } else { host };
    Ok((host, port))
}

/// Where relative paths and `~` resolve: the environment's `HOME`, the working directory and
/// the user tables.
#[derive(Debug, Clone, Copy)]
pub struct PathCtx<'a> {
    /// `$HOME`, if set.
    pub home: Option<&'a str>,
    /// Directory that relative paths are relative to.
    pub cwd: &'a Path,
    /// Users, for `~name`.
    pub users: &'a dyn UserDb,
    /// Our effective uid, whose home `~` is when `HOME` is unset.
    pub euid: u32,
}

impl PathCtx<'_> {
    /// Python's `os.path.expanduser`.
    pub fn expanduser(&self, path: &str) -> String {
        let Some(rest) = path.strip_prefix('~') else {
            return path.to_string();
        };
        let split = rest.find('/').unwrap_or(rest.len());
        let (name, tail) = rest.split_at(split);
        let home = if name.is_empty() {
            match self.home {
                Some(h) => h.to_string(),
                // Like Python, a failed lookup leaves the path as it is.
                None => match self.users.user_by_uid(self.euid) {
                    Ok(Some(u)) => u.home,
                    _ => return path.to_string(),
                },
            }
        } else {
            match self.users.user_by_name(name) {
                Ok(Some(u)) => u.home,
                _ => return path.to_string(),
            }
        };
        let joined = format!("{}{tail}", home.trim_end_matches('/'));
        if joined.is_empty() {
            "/".into()
        } else {
            joined
        }
    }

    /// Whether `path` (relative to the working directory) is a directory.
    pub fn is_dir(&self, path: &str) -> bool {
        self.cwd.join(path).is_dir()
    }

    /// Python's `normpath(abspath(expanduser(p)))`.
    pub fn normalize(&self, path: &str) -> PathBuf {
        let p = self.expanduser(path);
        PathBuf::from(normpath(&self.cwd.join(p).to_string_lossy()))
    }
}

/// Python's `os.path.normpath` for absolute POSIX paths (and relative ones, leaving leading
/// `..`).
pub fn normpath(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    // POSIX keeps exactly two leading slashes, collapses three or more to one.
    let lead = if p.starts_with("//") && !p.starts_with("///") {
        "//"
    } else if p.starts_with('/') {
        "/"
    } else {
        ""
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in p.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if lead.is_empty() {
                    parts.push("..");
                }
            }
            c => parts.push(c),
        }
    }
    let s = format!("{lead}{}", parts.join("/"));
    if s.is_empty() {
        ".".into()
    } else {
        s
    }
}

/// A path whose directory must exist (`~` expanded); returned expanded, not normalised.
pub fn existing_dirpath(v: &str, ctx: &PathCtx) -> Result<String, String> {
    let nv = ctx.expanduser(v);
    let dir = match nv.rfind('/') {
        Some(i) => {
            let d = &nv[..=i];
            // Python's dirname strips trailing slashes unless the head is all slashes.
            if d.chars().all(|c| c == '/') {
                d
            } else {
                d.trim_end_matches('/')
            }
        }
        None => "",
    };
    if dir.is_empty() || ctx.is_dir(dir) {
        Ok(nv)
    } else {
        Err(format!(
            "The directory named as part of the path {v} does not exist"
        ))
    }
}

/// An existing directory (`~` expanded); returned expanded, not normalised.
pub fn existing_directory(v: &str, ctx: &PathCtx) -> Result<String, String> {
    let nv = ctx.expanduser(v);
    if ctx.is_dir(&nv) {
        Ok(nv)
    } else {
        Err(format!("{v} is not an existing directory"))
    }
}

/// A child log file setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogName {
    /// `NONE`/`OFF`.
    None,
    /// `AUTO`.
    Auto,
    /// `syslog` (deprecated; turned into `*_syslog=true`).
    Syslog,
    /// A path whose directory exists.
    Path(String),
}

/// `NONE`, `OFF`, `AUTO`, `syslog` (any case) or a path whose directory exists.
pub fn logfile_name(v: &str, ctx: &PathCtx) -> Result<LogName, String> {
    Ok(match v.to_lowercase().as_str() {
        "none" | "off" => LogName::None,
        "auto" => LogName::Auto,
        "syslog" => LogName::Syslog,
        _ => LogName::Path(existing_dirpath(v, ctx)?),
    })
}

/// `msg`, plus why the lookup failed when it did not just find nothing (the reference says
/// only `msg` either way).
fn lookup_failed<T>(r: std::io::Result<Option<T>>, msg: String) -> Result<T, String> {
    match r {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(msg),
        Err(e) => Err(format!("{msg} (lookup failed: {e})")),
    }
}

/// A user name or uid that exists.
pub fn name_to_uid(name: &str, db: &dyn UserDb) -> Result<u32, String> {
    match parse_int(name, 10) {
        Some(n) => {
            let msg = || format!("Invalid user id {name}");
            let uid = u32::try_from(n).map_err(|_| msg())?;
            lookup_failed(db.user_by_uid(uid), msg()).map(|_| uid)
        }
        None => {
            lookup_failed(db.user_by_name(name), format!("Invalid user name {name}")).map(|u| u.uid)
        }
    }
}

/// A group name or gid that exists.
pub fn name_to_gid(name: &str, db: &dyn UserDb) -> Result<u32, String> {
    match parse_int(name, 10) {
        Some(n) => {
            let msg = || format!("Invalid group id {name}");
            let gid = u32::try_from(n).map_err(|_| msg())?;
            lookup_failed(db.group_by_gid(gid), msg()).map(|_| gid)
        }
        None => lookup_failed(db.group_by_name(name), format!("Invalid group name {name}"))
            .map(|g| g.gid),
    }
}

/// The primary gid of `uid`.
pub fn gid_for_uid(uid: u32, db: &dyn UserDb) -> Option<u32> {
    db.user_by_uid(uid).ok().flatten().map(|u| u.gid)
}

/// `user` or `user:group` as (uid, gid); a missing group is `u32::MAX`, which `chown(2)`
/// reads as "leave unchanged" (the reference's -1).
pub fn user_group(s: &str, db: &dyn UserDb) -> Result<(u32, u32), String> {
    let bad = || format!("Invalid user:group definition {s}");
    match s.split_once(':') {
        None => Ok((name_to_uid(s, db).map_err(|_| bad())?, u32::MAX)),
        Some((u, g)) => Ok((
            name_to_uid(u, db).map_err(|_| bad())?,
            name_to_gid(g, db).map_err(|_| bad())?,
        )),
    }
}

/// `--profile_options`: sort keys (lower-cased) and whether `callers` was given.
pub fn profile_options(s: &str) -> (Vec<String>, bool) {
    let mut keys = Vec::new();
    let mut callers = false;
    for item in list_of_strings(s) {
        let item = item.to_lowercase();
        if item == "callers" {
            callers = true;
        } else {
            keys.push(item);
        }
    }
    (keys, callers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::users::FakeUserDb;

    #[test]
    fn integers_like_python_int() {
        let ok: &[(&str, i64)] = &[
            ("10", 10),
            (" 10 ", 10),
            ("+5", 5),
            ("-3", -3),
            ("1_000", 1000),
            ("007", 7),
            ("\t42\n", 42),
        ];
        for (s, n) in ok {
            assert_eq!(integer(s), Ok(*n), "{s:?}");
        }
        for s in [
            "10s", "1.5", "", " ", "_1", "1_", "1__0", "0x10", "${X}", "- 1",
        ] {
            assert_eq!(
                integer(s).unwrap_err(),
                format!("invalid literal for int() with base 10: {}", str_repr(s))
            );
        }
    }

    #[test]
    fn booleans() {
        for s in ["true", "YES", "On", "1"] {
            assert_eq!(boolean(s), Ok(true));
        }
        for s in ["false", "No", "OFF", "0"] {
            assert_eq!(boolean(s), Ok(false));
        }
        assert_eq!(
            boolean("maybe").unwrap_err(),
            "not a valid boolean value: 'maybe'"
        );
        assert!(boolean(" true").is_err());
    }

    #[test]
    fn byte_sizes() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("1024", 1024),
            ("1KB", 1024),
            ("500kb", 512_000),
            ("10 MB", 10 << 20),
            ("50MB", 50 << 20),
            ("1GB", 1 << 30),
        ];
        for (s, n) in ok {
            assert_eq!(byte_size(s), Ok(*n), "{s:?}");
        }
        assert_eq!(
            byte_size("1.5MB").unwrap_err(),
            "invalid literal for int() with base 10: '1.5'"
        );
        assert_eq!(
            byte_size("10K").unwrap_err(),
            "invalid literal for int() with base 10: '10k'"
        );
    }

    #[test]
    fn octals() {
        assert_eq!(octal("022"), Ok(0o22));
        assert_eq!(octal("0o027"), Ok(0o27));
        assert_eq!(octal("002"), Ok(2));
        assert_eq!(octal(" 777 "), Ok(0o777));
        assert_eq!(
            octal("089").unwrap_err(),
            "089 can not be converted to an octal type"
        );
        assert!(octal("").is_err());
        assert!(octal("-1").is_err());
    }

    #[test]
    fn exit_codes_and_autorestart_and_levels() {
        assert_eq!(exitcodes("0"), Ok(vec![0]));
        assert_eq!(exitcodes("0,2, 255"), Ok(vec![0, 2, 255]));
        assert_eq!(exitcodes(""), Ok(vec![]));
        assert_eq!(
            exitcodes("0,256").unwrap_err(),
            "not a valid list of exit codes: '0,256'"
        );
        assert!(exitcodes("0,").is_err());
        assert_eq!(autorestart("TRUE"), Ok(AutoRestart::Always));
        assert_eq!(autorestart("off"), Ok(AutoRestart::Never));
        assert_eq!(autorestart("Unexpected"), Ok(AutoRestart::Unexpected));
        assert_eq!(
            autorestart("Always").unwrap_err(),
            "invalid 'autorestart' value 'always'"
        );
        assert_eq!(log_level("BLATHER"), Ok(LogLevel::Blather));
        assert_eq!(log_level("warn"), Ok(LogLevel::Warn));
        assert_eq!(
            log_level("warning").unwrap_err(),
            "bad logging level name 'warning'"
        );
        assert_eq!(signal("sigusr1"), Ok(10));
        assert_eq!(signal(" 1_0 "), Ok(10));
        assert_eq!(signal("+9"), Ok(9));
        assert_eq!(
            signal("1_00").unwrap_err(),
            "value '1_00' is not a valid signal number"
        );
        assert_eq!(
            signal("SIGFOO").unwrap_err(),
            "value 'SIGFOO' is not a valid signal name"
        );
    }

    #[test]
    fn names_lists_and_addresses() {
        assert_eq!(process_or_group_name(" web "), Ok("web".to_string()));
        assert_eq!(
            process_or_group_name("two words").unwrap_err(),
            "Invalid name: 'two words' because of character: ' '"
        );
        assert_eq!(
            process_or_group_name("a:b/c").unwrap_err(),
            "Invalid name: 'a:b/c' because of character: ':'"
        );
        assert_eq!(list_of_strings("a, b ,c"), vec!["a", "b", "c"]);
        assert_eq!(list_of_strings(""), Vec::<String>::new());
        assert_eq!(list_of_strings("a,"), vec!["a", ""]);
        assert_eq!(
            inet_address("127.0.0.1:9001"),
            Ok(("127.0.0.1".into(), 9001))
        );
        assert_eq!(inet_address("*:9001"), Ok(("".into(), 9001)));
        assert_eq!(inet_address(":9001"), Ok(("".into(), 9001)));
        assert_eq!(inet_address("9001"), Ok(("".into(), 9001)));
        assert_eq!(inet_address("LocalHost:1"), Ok(("localhost".into(), 1)));
        assert_eq!(
            inet_address("70000").unwrap_err(),
            "not a valid port number: '70000' "
        );
        assert_eq!(
            inet_address("h:70000").unwrap_err(),
            "70000 is above upper bound (65535)"
        );
        assert_eq!(
            inet_address("h:0").unwrap_err(),
            "0 is below lower bound (1)"
        );
        assert_eq!(
            inet_address("h:").unwrap_err(),
            "no port number specified in ''"
        );
        assert_eq!(
            inet_address("h:abc").unwrap_err(),
            "invalid literal for int() with base 10: 'abc'"
        );
        assert_eq!(
            profile_options("Cumulative,callers"),
            (vec!["cumulative".to_string()], true)
        );
    }

    fn db() -> FakeUserDb {
        FakeUserDb::parse(
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n",
            "root:x:0:\nnogroup:x:65534:\n",
        )
    }

    #[test]
    fn users_and_groups() {
        let db = db();
        assert_eq!(name_to_uid("root", &db), Ok(0));
        assert_eq!(name_to_uid("65534", &db), Ok(65534));
        assert_eq!(
            name_to_uid("ghost", &db).unwrap_err(),
            "Invalid user name ghost"
        );
        assert_eq!(
            name_to_uid("4242", &db).unwrap_err(),
            "Invalid user id 4242"
        );
        assert_eq!(user_group("nobody:nogroup", &db), Ok((65534, 65534)));
        assert_eq!(user_group("root", &db), Ok((0, u32::MAX)));
        assert_eq!(
            user_group("root:ghost", &db).unwrap_err(),
            "Invalid user:group definition root:ghost"
        );
        assert_eq!(gid_for_uid(65534, &db), Some(65534));
    }

    #[test]
    fn paths() {
        let db = db();
        let tmp = std::env::temp_dir();
        let ctx = PathCtx {
            home: Some("/home/me/"),
            cwd: &tmp,
            users: &db,
            euid: 0,
        };
        assert_eq!(ctx.expanduser("~/x"), "/home/me/x");
        assert_eq!(ctx.expanduser("~"), "/home/me");
        assert_eq!(ctx.expanduser("~root/x"), "/root/x");
        assert_eq!(ctx.expanduser("~ghost/x"), "~ghost/x");
        assert_eq!(ctx.expanduser("a/~"), "a/~");
        assert_eq!(normpath("/a/./b/../c//d/"), "/a/c/d");
        assert_eq!(normpath("/../x"), "/x");
        assert_eq!(normpath("//x"), "//x");
        assert_eq!(ctx.normalize("/"), PathBuf::from("/"));
        assert_eq!(existing_dirpath("/x.log", &ctx), Ok("/x.log".into()));
        assert_eq!(existing_dirpath("rel.log", &ctx), Ok("rel.log".into()));
        assert_eq!(
            existing_dirpath("/nonexistent-x/y.log", &ctx).unwrap_err(),
            "The directory named as part of the path /nonexistent-x/y.log does not exist"
        );
        assert_eq!(existing_directory("/", &ctx), Ok("/".into()));
        assert_eq!(
            existing_directory("/nonexistent-x", &ctx).unwrap_err(),
            "/nonexistent-x is not an existing directory"
        );
        assert_eq!(logfile_name("AUTO", &ctx), Ok(LogName::Auto));
        assert_eq!(logfile_name("None", &ctx), Ok(LogName::None));
        assert_eq!(logfile_name("off", &ctx), Ok(LogName::None));
        assert_eq!(logfile_name("SysLog", &ctx), Ok(LogName::Syslog));
        assert_eq!(
            logfile_name("/dev/stdout", &ctx),
            Ok(LogName::Path("/dev/stdout".into()))
        );
    }
}
