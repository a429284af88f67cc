//! Users and groups from `/etc/passwd` and `/etc/group`, read as text (no libc NSS calls, so
//! no `unsafe`). Used for `user=`, `chown=`, `socket_owner=` and `~user` at load time, and by
//! the daemon to drop privileges ([`lookup_user`], [`supplementary_groups`]).

use std::path::Path;

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
    /// Member user names.
    pub members: Vec<String>,
}

/// The passwd and group tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserDb {
    /// Users in file order.
    pub users: Vec<User>,
    /// Groups in file order.
    pub groups: Vec<Group>,
}

impl UserDb {
    /// Reads `/etc/passwd` and `/etc/group`; a missing file reads as empty.
    pub fn system() -> UserDb {
        let read = |p: &str| std::fs::read_to_string(Path::new(p)).unwrap_or_default();
        UserDb::parse(&read("/etc/passwd"), &read("/etc/group"))
    }

    /// Parses passwd and group texts. Malformed lines are skipped.
    pub fn parse(passwd: &str, group: &str) -> UserDb {
        let users = passwd
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                if f.len() < 7 || l.starts_with(['#', '+', '-']) {
                    return None;
                }
                Some(User {
                    name: f[0].to_string(),
                    uid: f[2].parse().ok()?,
                    gid: f[3].parse().ok()?,
                    home: f[5].to_string(),
                })
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                if f.len() < 4 || l.starts_with(['#', '+', '-']) {
                    return None;
                }
                Some(Group {
                    name: f[0].to_string(),
                    gid: f[2].parse().ok()?,
                    members: f[3]
                        .split(',')
                        .filter(|m| !m.is_empty())
                        .map(str::to_string)
                        .collect(),
                })
            })
            .collect();
        UserDb { users, groups }
    }

    /// The user named `name`.
    pub fn by_name(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// The first user with `uid`.
    pub fn by_uid(&self, uid: u32) -> Option<&User> {
        self.users.iter().find(|u| u.uid == uid)
    }

    /// The group named `name`.
    pub fn group_by_name(&self, name: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The first group with `gid`.
    pub fn group_by_gid(&self, gid: u32) -> Option<&Group> {
        self.groups.iter().find(|g| g.gid == gid)
    }

    /// A user given by name or numeric uid (a number is tried as a uid first, like the
    /// reference).
    pub fn lookup(&self, name_or_uid: &str) -> Option<&User> {
        match name_or_uid.trim().parse::<i64>() {
            Ok(n) => u32::try_from(n).ok().and_then(|uid| self.by_uid(uid)),
            Err(_) => self.by_name(name_or_uid),
        }
    }

    /// Every gid of `user`: `gid` first, then each group listing `user` as a member
    /// (what `initgroups(3)` sets).
    pub fn supplementary_groups(&self, user: &str, gid: u32) -> Vec<u32> {
        let mut out = vec![gid];
        for g in &self.groups {
            if g.members.iter().any(|m| m == user) && !out.contains(&g.gid) {
                out.push(g.gid);
            }
        }
        out
    }
}

/// The effective uid of this process: the owner of `/proc/self` (no libc call needed).
pub fn effective_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or(0, |m| m.uid())
}

/// Looks a user up by name or uid in the system tables.
pub fn lookup_user(name_or_uid: &str) -> Option<User> {
    UserDb::system().lookup(name_or_uid).cloned()
}

/// The group list the daemon sets before switching to `user` with primary group `gid`.
pub fn supplementary_groups(user: &str, gid: u32) -> Vec<u32> {
    UserDb::system().supplementary_groups(user, gid)
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
    fn parses_and_looks_up() {
        let db = UserDb::parse(PASSWD, GROUP);
        assert_eq!(db.users.len(), 3);
        assert_eq!(db.lookup("www-data").unwrap().uid, 33);
        assert_eq!(db.lookup("1000").unwrap().name, "app");
        assert_eq!(db.lookup("0").unwrap().home, "/root");
        assert!(db.lookup("4242").is_none());
        assert!(db.lookup("-1").is_none());
        assert!(db.lookup("nobody").is_none());
        assert_eq!(db.group_by_name("staff").unwrap().gid, 50);
        assert_eq!(db.group_by_gid(33).unwrap().members, vec!["app"]);
        assert_eq!(db.supplementary_groups("app", 1000), vec![1000, 33, 50]);
        assert_eq!(db.supplementary_groups("root", 0), vec![0]);
    }

    #[test]
    fn system_has_root() {
        assert_eq!(lookup_user("root").map(|u| u.uid), Some(0));
        assert!(lookup_user(&effective_uid().to_string()).is_some());
        assert_eq!(supplementary_groups("root", 0)[0], 0);
    }
}
