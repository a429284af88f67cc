//! Users and groups, for `user=`, `chown=`, `socket_owner=`, `sockchown` and `~user`.
//!
//! The loader asks a [`UserDb`] that its caller injects through
//! [`LoadContext`](super::LoadContext): the binaries pass [`NssUserDb`] (the C library, so
//! users from LDAP or any other NSS source resolve, as with Python's `pwd`/`grp`), tests pass
//! an in-memory table. Everything is resolved once, at load, and carried in the config
//! (uid, gid and the supplementary groups of `user=`), so the daemon never looks a user up
//! while its loop runs.

use std::fmt;
use std::io;
use std::sync::Arc;

/// One passwd entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Login name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Home directory.
    pub home: String,
}

/// One group entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Group name.
    pub name: String,
    /// Group id.
    pub gid: u32,
}

/// A user and group database. `Ok(None)` means "no such entry"; `Err` is a failed lookup
/// (an unreachable directory server, say), which callers report with the name they asked.
pub trait UserDb: fmt::Debug + Send + Sync {
    /// `getpwnam`.
    fn user_by_name(&self, name: &str) -> io::Result<Option<User>>;
    /// `getpwuid`.
    fn user_by_uid(&self, uid: u32) -> io::Result<Option<User>>;
    /// `getgrnam`.
    fn group_by_name(&self, name: &str) -> io::Result<Option<Group>>;
    /// `getgrgid`.
    fn group_by_gid(&self, gid: u32) -> io::Result<Option<Group>>;
    /// The `setgroups` list for becoming `user` with primary group `gid`: `gid` first, then
    /// every other group listing `user` as a member.
    fn group_list(&self, user: &str, gid: u32) -> io::Result<Vec<u32>>;

    /// A user given by name or numeric uid (a number is a uid, like the reference).
    fn lookup_user(&self, name_or_uid: &str) -> io::Result<Option<User>> {
        match name_or_uid.trim().parse::<i64>() {
            Ok(n) => match u32::try_from(n) {
                Ok(uid) => self.user_by_uid(uid),
                Err(_) => Ok(None),
            },
            Err(_) => self.user_by_name(name_or_uid),
        }
    }

    /// A group given by name or numeric gid.
    fn lookup_group(&self, name_or_gid: &str) -> io::Result<Option<Group>> {
        match name_or_gid.trim().parse::<i64>() {
            Ok(n) => match u32::try_from(n) {
                Ok(gid) => self.group_by_gid(gid),
                Err(_) => Ok(None),
            },
            Err(_) => self.group_by_name(name_or_gid),
        }
    }
}

/// The system's database, through the C library's NSS functions.
#[derive(Debug, Clone, Copy, Default)]
pub struct NssUserDb;

/// The system's database, shared, ready for a [`LoadContext`](super::LoadContext).
pub fn nss() -> Arc<dyn UserDb> {
    Arc::new(NssUserDb)
}

fn user_from(pw: crate::sys::user::Passwd) -> User {
    User {
        name: pw.name,
        uid: pw.uid,
        gid: pw.gid,
        home: pw.dir,
    }
}

fn group_from(gr: crate::sys::user::GroupEntry) -> Group {
    Group {
        name: gr.name,
        gid: gr.gid,
    }
}

impl UserDb for NssUserDb {
    fn user_by_name(&self, name: &str) -> io::Result<Option<User>> {
        Ok(crate::sys::user::user_by_name(name)?.map(user_from))
    }

    fn user_by_uid(&self, uid: u32) -> io::Result<Option<User>> {
        Ok(crate::sys::user::user_by_uid(uid)?.map(user_from))
    }

    fn group_by_name(&self, name: &str) -> io::Result<Option<Group>> {
        Ok(crate::sys::user::group_by_name(name)?.map(group_from))
    }

    fn group_by_gid(&self, gid: u32) -> io::Result<Option<Group>> {
        Ok(crate::sys::user::group_by_gid(gid)?.map(group_from))
    }

    fn group_list(&self, user: &str, gid: u32) -> io::Result<Vec<u32>> {
        crate::sys::user::group_list(user, gid)
    }
}

/// An in-memory database for tests, filled from passwd and group texts.
#[cfg(test)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeUserDb {
    /// Users in file order.
    pub users: Vec<User>,
    /// Groups in file order, with their member names.
    pub groups: Vec<(Group, Vec<String>)>,
}

#[cfg(test)]
impl FakeUserDb {
    /// Parses passwd and group texts. Malformed lines are skipped.
    pub fn parse(passwd: &str, group: &str) -> FakeUserDb {
        let fields = |l: &str, n: usize| {
            let f: Vec<String> = l.split(':').map(str::to_string).collect();
            (f.len() >= n && !l.starts_with(['#', '+', '-'])).then_some(f)
        };
        let users = passwd
            .lines()
            .filter_map(|l| {
                let f = fields(l, 7)?;
                Some(User {
                    name: f[0].clone(),
                    uid: f[2].parse().ok()?,
                    gid: f[3].parse().ok()?,
                    home: f[5].clone(),
                })
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|l| {
                let f = fields(l, 4)?;
                let group = Group {
                    name: f[0].clone(),
                    gid: f[2].parse().ok()?,
                };
                let members = f[3]
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect();
                Some((group, members))
            })
            .collect();
        FakeUserDb { users, groups }
    }

    /// Shared, ready for a [`LoadContext`](super::LoadContext).
    pub fn shared(self) -> Arc<dyn UserDb> {
        Arc::new(self)
    }
}

#[cfg(test)]
impl UserDb for FakeUserDb {
    fn user_by_name(&self, name: &str) -> io::Result<Option<User>> {
        Ok(self.users.iter().find(|u| u.name == name).cloned())
    }

    fn user_by_uid(&self, uid: u32) -> io::Result<Option<User>> {
        Ok(self.users.iter().find(|u| u.uid == uid).cloned())
    }

    fn group_by_name(&self, name: &str) -> io::Result<Option<Group>> {
        Ok(self
            .groups
            .iter()
            .find(|g| g.0.name == name)
            .map(|g| g.0.clone()))
    }

    fn group_by_gid(&self, gid: u32) -> io::Result<Option<Group>> {
        Ok(self
            .groups
            .iter()
            .find(|g| g.0.gid == gid)
            .map(|g| g.0.clone()))
    }

    fn group_list(&self, user: &str, gid: u32) -> io::Result<Vec<u32>> {
        let mut out = vec![gid];
        for (g, members) in &self.groups {
            if members.iter().any(|m| m == user) && !out.contains(&g.gid) {
                out.push(g.gid);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
        # comment\n\
        www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n\
        broken line\n\
        app:x:1000:1000::/home/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nwww-data:x:33:app\nstaff:x:50:app,other\napp:x:1000:\n";

    #[test]
    fn fake_parses_and_looks_up() {
        let db = FakeUserDb::parse(PASSWD, GROUP);
        assert_eq!(db.users.len(), 3);
        let user = |s: &str| db.lookup_user(s).unwrap();
        assert_eq!(user("www-data").unwrap().uid, 33);
        assert_eq!(user("1000").unwrap().name, "app");
        assert_eq!(user("0").unwrap().home, "/root");
        assert!(user("4242").is_none());
        assert!(user("-1").is_none());
        assert!(user("nobody").is_none());
        assert_eq!(db.lookup_group("staff").unwrap().unwrap().gid, 50);
        assert_eq!(db.lookup_group("33").unwrap().unwrap().name, "www-data");
        assert_eq!(db.group_list("app", 1000).unwrap(), vec![1000, 33, 50]);
        assert_eq!(db.group_list("root", 0).unwrap(), vec![0]);
    }

    #[test]
    fn nss_has_root() {
        let db = NssUserDb;
        assert_eq!(db.lookup_user("root").unwrap().map(|u| u.uid), Some(0));
        assert_eq!(
            db.lookup_user("0").unwrap().map(|u| u.name).unwrap(),
            "root"
        );
        assert_eq!(
            db.lookup_group("0").unwrap().map(|g| g.name).unwrap(),
            "root"
        );
        assert_eq!(db.lookup_group("root").unwrap().map(|g| g.gid), Some(0));
        assert_eq!(db.group_list("root", 0).unwrap()[0], 0);
        assert!(db.lookup_user("no-such-user-h3x").unwrap().is_none());
    }
}
