//! Access by identity on a unix control server (`[unix_http_server] readers`/`controllers`):
//! pure policy. A client's [`Role`] is fixed when it connects, from the kernel's record of
//! who connected (`SO_PEERCRED`, `SO_PEERGROUPS`); each request then states what it
//! [`Need`]s, and [`Role::refusal`] says whether it may run, per request, so a reader's
//! connection stays usable after a refused `stop`.
//!
//! Supplementary groups come from `SO_PEERGROUPS` (the groups the client had when it called
//! `connect`), not from `/proc/PID/status` (the pid may be gone or reused by then) nor from
//! the user database (a lookup that can block the loop, and that would grant groups the
//! process dropped). Root and the daemon's own user always control.
//!
//! What is read-only is decided here, in one list per protocol; anything not listed (a
//! command added later, say) needs control.

use crate::config::model::{Principal, ServerAccess};
use crate::protocol::fault::{exit, Fault, Outcome};
use crate::protocol::request::Request;
use crate::protocol::results::ResultLine;
use crate::sys::peer::PeerCred;

/// What a request needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// It only reads state or logs.
    Read,
    /// It changes something.
    Control,
}

/// What a client may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything: no `readers`/`controllers` on its server, or it is a controller, root
    /// or the daemon's user.
    Control,
    /// The read-only requests; the uid it connected as.
    Read(u32),
    /// Nothing; the uid it connected as (`None`: the kernel did not say).
    Stranger(Option<u32>),
}

impl Role {
    /// The role of a client of a server with `access` (`None`: the keys are not set) that
    /// connected as `peer` (`None`: its credentials could not be read), the daemon running
    /// as `own_uid`.
    pub fn of(access: Option<&ServerAccess>, peer: Option<&PeerCred>, own_uid: u32) -> Role {
        let Some(access) = access else {
            return Role::Control;
        };
        let Some(peer) = peer else {
            return Role::Stranger(None);
        };
        if peer.uid == 0 || peer.uid == own_uid || any_matches(&access.controllers, peer) {
            Role::Control
        } else if any_matches(&access.readers, peer) {
            Role::Read(peer.uid)
        } else {
            Role::Stranger(Some(peer.uid))
        }
    }

    /// Why `what` (a command or method name) may not run, or `None` when it may.
    pub fn refusal(self, need: Need, what: &str) -> Option<String> {
        match (self, need) {
            (Role::Control, _) | (Role::Read(_), Need::Read) => None,
            (Role::Read(uid), Need::Control) => Some(format!(
                "permission denied: {what} needs a controller, and uid {uid} is a reader"
            )),
            (Role::Stranger(Some(uid)), _) => Some(format!(
                "permission denied: uid {uid} is neither a reader nor a controller"
            )),
            (Role::Stranger(None), _) => {
                Some("permission denied: the client's identity could not be read".to_string())
            }
        }
    }
}

/// The text protocol's answer to a refused request: `ERROR: WHY` and `.FORBIDDEN 4`
/// (supervisorctl's exit code for insufficient privileges).
pub fn text_refusal(why: &str) -> ResultLine {
    ResultLine {
        text: format!("ERROR: {why}"),
        effect: Some(Outcome::failed(
            Fault::Forbidden,
            exit::INSUFFICIENT_PRIVILEGES,
        )),
    }
}

fn any_matches(list: &[Principal], peer: &PeerCred) -> bool {
    list.iter().any(|p| match p {
        Principal::User { uid, .. } => *uid == peer.uid,
        Principal::Group { gid, .. } => *gid == peer.gid || peer.groups.contains(gid),
    })
}

/// What a text-protocol request needs. `help` and `auth` are answered by the connection and
/// never get here.
pub fn text_need(req: &Request) -> Need {
    match req {
        Request::Status { .. }
        | Request::StatusJson { .. }
        | Request::Tail { .. }
        | Request::MainTail { .. }
        | Request::Pid { .. }
        | Request::Avail
        | Request::AvailJson
        | Request::Version
        | Request::Metrics
        | Request::Events { .. }
        | Request::Help { .. } => Need::Read,
        _ => Need::Control,
    }
}

/// The read-only XML-RPC methods. `system.multicall` is one: each call inside it is
/// checked on its own.
#[cfg(feature = "xmlrpc")]
const RPC_READS: &[&str] = &[
    "supervisor.getAPIVersion",
    "supervisor.getVersion",
    "supervisor.getSupervisorVersion",
    "supervisor.getIdentification",
    "supervisor.getState",
    "supervisor.getPID",
    "supervisor.readLog",
    "supervisor.readMainLog",
    "supervisor.getAllConfigInfo",
    "supervisor.getProcessInfo",
    "supervisor.getAllProcessInfo",
    "supervisor.readProcessLog",
    "supervisor.readProcessStdoutLog",
    "supervisor.readProcessStderrLog",
    "supervisor.tailProcessLog",
    "supervisor.tailProcessStdoutLog",
    "supervisor.tailProcessStderrLog",
    "system.listMethods",
    "system.methodHelp",
    "system.methodSignature",
    "system.multicall",
];

/// What an XML-RPC method needs.
#[cfg(feature = "xmlrpc")]
pub fn rpc_need(method: &str) -> Need {
    if RPC_READS.contains(&method) {
        Need::Read
    } else {
        Need::Control
    }
}

/// What an HTTP request needs, except `POST /RPC2`, whose calls are checked one by one
/// (`None`). `action`: the `action` of the web page's query (`refresh` only reads; `stop`,
/// `clearlog`... need control).
#[cfg(feature = "xmlrpc")]
pub fn http_need(method: &str, path: &str, action: Option<&str>) -> Option<Need> {
    let get = method == "GET" || method == "HEAD";
    if method == "POST" && path.starts_with("/RPC2") {
        return None;
    }
    let page = matches!(path, "/" | "/index.html");
    let reads = matches!(action, None | Some("refresh"));
    Some(match (get, path) {
        _ if page && !reads => Need::Control,
        (_, _) if page => Need::Read,
        (true, "/ok.html" | "/mainlogtail" | "/tail.html" | "/metrics") => Need::Read,
        (true, p) if p.starts_with("/logtail/") => Need::Read,
        _ => Need::Control,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::request::{Stream, TailMode};

    const OWN: u32 = 500;

    fn peer(uid: u32, gid: u32, groups: &[u32]) -> PeerCred {
        PeerCred {
            uid,
            gid,
            pid: 42,
            groups: groups.to_vec(),
        }
    }

    fn access() -> ServerAccess {
        ServerAccess {
            readers: vec![
                Principal::User {
                    name: "alice".into(),
                    uid: 1001,
                },
                Principal::Group {
                    name: "watchers".into(),
                    gid: 3000,
                },
            ],
            controllers: vec![
                Principal::User {
                    name: "bob".into(),
                    uid: 1002,
                },
                Principal::Group {
                    name: "ops".into(),
                    gid: 2000,
                },
            ],
        }
    }

    fn role(p: &PeerCred) -> Role {
        Role::of(Some(&access()), Some(p), OWN)
    }

    #[test]
    fn without_the_keys_everyone_controls() {
        assert_eq!(
            Role::of(None, Some(&peer(1234, 1234, &[])), OWN),
            Role::Control
        );
        assert_eq!(Role::of(None, None, OWN), Role::Control);
    }

    #[test]
    fn roles_come_from_uid_primary_gid_and_supplementary_groups() {
        assert_eq!(role(&peer(1001, 1001, &[])), Role::Read(1001));
        assert_eq!(role(&peer(1002, 1002, &[])), Role::Control);
        assert_eq!(role(&peer(1003, 3000, &[])), Role::Read(1003));
        assert_eq!(role(&peer(1003, 1003, &[7, 3000])), Role::Read(1003));
        assert_eq!(role(&peer(1003, 1003, &[2000])), Role::Control);
        // In both lists: the stronger wins.
        assert_eq!(role(&peer(1001, 1001, &[2000])), Role::Control);
        assert_eq!(role(&peer(1003, 1003, &[1, 2])), Role::Stranger(Some(1003)));
    }

    #[test]
    fn root_and_the_daemons_user_always_control() {
        assert_eq!(role(&peer(0, 0, &[])), Role::Control);
        assert_eq!(role(&peer(OWN, 9, &[])), Role::Control);
        let empty = ServerAccess::default();
        assert_eq!(
            Role::of(Some(&empty), Some(&peer(0, 0, &[])), OWN),
            Role::Control
        );
        assert_eq!(
            Role::of(Some(&empty), Some(&peer(1001, 1001, &[])), OWN),
            Role::Stranger(Some(1001))
        );
    }

    #[test]
    fn unreadable_credentials_refuse_everything() {
        let r = Role::of(Some(&access()), None, OWN);
        assert_eq!(r, Role::Stranger(None));
        assert!(r.refusal(Need::Read, "status").is_some());
    }

    #[test]
    fn refusals_per_request() {
        let reader = Role::Read(1001);
        assert_eq!(reader.refusal(Need::Read, "status"), None);
        assert_eq!(
            reader.refusal(Need::Control, "stop").unwrap(),
            "permission denied: stop needs a controller, and uid 1001 is a reader"
        );
        assert_eq!(Role::Control.refusal(Need::Control, "stop"), None);
        assert_eq!(
            Role::Stranger(Some(7))
                .refusal(Need::Read, "status")
                .unwrap(),
            "permission denied: uid 7 is neither a reader nor a controller"
        );
    }

    #[test]
    fn text_requests_are_read_only_or_control() {
        let n = |v: Vec<String>| v;
        let reads = [
            Request::Status { names: n(vec![]) },
            Request::Pid { names: n(vec![]) },
            Request::Avail,
            Request::AvailJson,
            Request::StatusJson { names: n(vec![]) },
            Request::Metrics,
            Request::Events { types: n(vec![]) },
            Request::Version,
            Request::MainTail {
                mode: TailMode::Follow,
            },
            Request::Tail {
                name: "web".into(),
                channel: Stream::Stderr,
                mode: TailMode::Last(10),
            },
        ];
        for r in &reads {
            assert_eq!(text_need(r), Need::Read, "{r:?}");
        }
        let controls = [
            Request::Start {
                names: n(vec!["web".into()]),
            },
            Request::Stop {
                names: n(vec!["web".into()]),
            },
            Request::Clear {
                names: n(vec!["web".into()]),
            },
            Request::Reread { verbose: false },
            Request::Reload,
            Request::Shutdown,
            Request::SendStdin {
                name: "web".into(),
                text: "x".into(),
            },
            Request::SendRemoteCommEvent {
                kind: "k".into(),
                data: "d".into(),
            },
        ];
        for r in &controls {
            assert_eq!(text_need(r), Need::Control, "{r:?}");
        }
    }

    #[cfg(feature = "xmlrpc")]
    #[test]
    fn rpc_methods_default_to_control() {
        assert_eq!(rpc_need("supervisor.getAllProcessInfo"), Need::Read);
        assert_eq!(rpc_need("supervisor.tailProcessStderrLog"), Need::Read);
        assert_eq!(rpc_need("system.multicall"), Need::Read);
        assert_eq!(rpc_need("supervisor.stopProcess"), Need::Control);
        assert_eq!(rpc_need("supervisor.clearLog"), Need::Control);
        assert_eq!(rpc_need("supervisor.someFutureMethod"), Need::Control);
        // Every listed read is a method the daemon knows.
        for m in RPC_READS {
            assert!(crate::protocol::rpc_methods::find(m).is_some(), "{m}");
        }
    }

    #[cfg(feature = "xmlrpc")]
    #[test]
    fn http_routes() {
        let read = Some(Need::Read);
        let control = Some(Need::Control);
        assert_eq!(http_need("POST", "/RPC2", None), None);
        assert_eq!(http_need("GET", "/", None), read);
        assert_eq!(http_need("GET", "/index.html", Some("refresh")), read);
        assert_eq!(http_need("GET", "/index.html", Some("stop")), control);
        assert_eq!(http_need("GET", "/", Some("clearlog")), control);
        assert_eq!(http_need("POST", "/index.html", Some("stopall")), control);
        assert_eq!(http_need("GET", "/index.html", Some("bogus")), control);
        assert_eq!(http_need("GET", "/tail.html", None), read);
        assert_eq!(http_need("GET", "/logtail/web/stderr", None), read);
        assert_eq!(http_need("HEAD", "/mainlogtail", None), read);
        assert_eq!(http_need("GET", "/ok.html", None), read);
        assert_eq!(http_need("DELETE", "/ok.html", None), control);
        assert_eq!(http_need("GET", "/elsewhere", None), control);
    }
}
