//! `readers` and `controllers` of `[unix_http_server]`: comma-separated users (`alice`,
//! `1001`) and groups (`@ops`, `@1002`), resolved once, at load, through the injected user
//! database, so the daemon compares numbers only. An unknown name is an error at its line.

use super::error::ConfigError;
use super::expand::Names;
use super::ini::Section;
use super::loader::Loader;
use super::model::{Principal, ServerAccess};
use super::users::UserDb;
use super::values::{name_to_gid, name_to_uid};

/// The two keys.
pub(crate) const KEYS: [&str; 2] = ["readers", "controllers"];

/// The section's `readers`/`controllers`; `None` when it sets neither.
pub(crate) fn access(l: &Loader, s: &Section) -> Result<Option<ServerAccess>, ConfigError> {
    let none = Names::new();
    let mut out = ServerAccess::default();
    let mut set = false;
    for key in KEYS {
        let Some(g) = l.get(s, key, &none)? else {
            continue;
        };
        set = true;
        // The error names the key and its place (`Invalid user name x (readers at f:3)`).
        let list = g.parse(|v| principals(v, l.users))?;
        match key {
            "readers" => out.readers = list,
            _ => out.controllers = list,
        }
    }
    Ok(set.then_some(out))
}

/// An error when a TCP server section sets either key: a TCP peer has no identity to check,
/// and ignoring the keys would leave the server open to whoever thought them in force.
pub(crate) fn refuse_on_inet(s: &Section) -> Result<(), ConfigError> {
    match KEYS.iter().find_map(|k| s.get(k)) {
        Some(e) => Err(e.error(format!(
            "{} applies to [unix_http_server] only: a TCP client has no identity to check",
            e.key
        ))),
        None => Ok(()),
    }
}

/// A comma-separated list of users and `@groups`.
pub fn principals(value: &str, db: &dyn UserDb) -> Result<Vec<Principal>, String> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let p = match item.strip_prefix('@') {
            Some(group) => Principal::Group {
                name: group.to_string(),
                gid: name_to_gid(group, db)?,
            },
            None => Principal::User {
                name: item.to_string(),
                uid: name_to_uid(item, db)?,
            },
        };
        out.push(p);
    }
    Ok(out)
}

/// A principal as written in the config (`alice`, `@ops`).
pub fn written(p: &Principal) -> String {
    match p {
        Principal::User { name, .. } => name.clone(),
        Principal::Group { name, .. } => format!("@{name}"),
    }
}

/// For `--check-config`: `, readers: alice @ops, controllers: none (and root and ...)`.
pub fn describe(a: &ServerAccess) -> String {
    let list = |v: &[Principal]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.iter().map(written).collect::<Vec<_>>().join(" ")
        }
    };
    format!(
        ", readers: {}, controllers: {} (and root and the daemon's user)",
        list(&a.readers),
        list(&a.controllers)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::users::FakeUserDb;

    fn db() -> FakeUserDb {
        FakeUserDb::parse(
            "root:x:0:0::/root:/bin/sh\nalice:x:1001:1001::/home/alice:/bin/sh\n",
            "root:x:0:\nalice:x:1001:\nops:x:2000:alice\n",
        )
    }

    #[test]
    fn users_and_groups_resolve_by_name_or_number() {
        let got = principals(" alice, @ops ,1001,@0,, ", &db()).unwrap();
        assert_eq!(
            got,
            vec![
                Principal::User {
                    name: "alice".into(),
                    uid: 1001
                },
                Principal::Group {
                    name: "ops".into(),
                    gid: 2000
                },
                Principal::User {
                    name: "1001".into(),
                    uid: 1001
                },
                Principal::Group {
                    name: "0".into(),
                    gid: 0
                },
            ]
        );
        assert_eq!(written(&got[1]), "@ops");
        assert!(principals("", &db()).unwrap().is_empty());
    }

    #[test]
    fn unknown_names_are_errors() {
        let e = principals("alice, bob", &db()).unwrap_err();
        assert_eq!(e, "Invalid user name bob");
        let e = principals("@nogroup", &db()).unwrap_err();
        assert_eq!(e, "Invalid group name nogroup");
        let e = principals("4242", &db()).unwrap_err();
        assert_eq!(e, "Invalid user id 4242");
    }
}
