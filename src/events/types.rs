//! Event types (reference §6.1): their names, the hierarchy subscriptions match against, and
//! the payload each one carries. Payloads are rendered when the event happens, as the
//! reference does, so a listener sees the values of that moment.

use crate::process::state::State;
use crate::pyrepr::decode_or_undecodable;
use crate::stream::Stream;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `PROCESS_STATE_<STATE>`: a process entered this state.
    ProcessState(State),
    /// `PROCESS_LOG_STDOUT` / `PROCESS_LOG_STDERR`.
    ProcessLog(Stream),
    /// `PROCESS_COMMUNICATION_STDOUT` / `PROCESS_COMMUNICATION_STDERR`.
    ProcessCommunication(Stream),
    /// `REMOTE_COMMUNICATION`.
    RemoteCommunication,
    /// `SUPERVISOR_STATE_CHANGE_RUNNING`.
    SupervisorRunning,
    /// `SUPERVISOR_STATE_CHANGE_STOPPING`.
    SupervisorStopping,
    /// `TICK_5`, `TICK_60`, `TICK_3600`: the period in seconds (one of [`TICK_PERIODS`]).
    Tick(u64),
    /// `PROCESS_GROUP_ADDED`.
    GroupAdded,
    /// `PROCESS_GROUP_REMOVED`.
    GroupRemoved,
    /// `PROCESS_HEALTH_HEALTHY` (true) / `PROCESS_HEALTH_UNHEALTHY` (false): a health check
    /// changed its verdict (a supervisor-rs event).
    ProcessHealth(bool),
}

/// The tick periods, in seconds, in the order the reference emits them.
pub const TICK_PERIODS: [u64; 3] = [5, 60, 3600];

impl Kind {
    /// The event's name (`eventname:` in the envelope).
    pub fn name(self) -> &'static str {
        match self {
            Kind::ProcessState(s) => match s {
                State::Stopped => "PROCESS_STATE_STOPPED",
                State::Starting => "PROCESS_STATE_STARTING",
                State::Running => "PROCESS_STATE_RUNNING",
                State::Backoff => "PROCESS_STATE_BACKOFF",
                State::Stopping => "PROCESS_STATE_STOPPING",
                State::Exited => "PROCESS_STATE_EXITED",
                State::Fatal => "PROCESS_STATE_FATAL",
                State::Unknown => "PROCESS_STATE_UNKNOWN",
            },
            Kind::ProcessLog(Stream::Stdout) => "PROCESS_LOG_STDOUT",
            Kind::ProcessLog(Stream::Stderr) => "PROCESS_LOG_STDERR",
            Kind::ProcessCommunication(Stream::Stdout) => "PROCESS_COMMUNICATION_STDOUT",
            Kind::ProcessCommunication(Stream::Stderr) => "PROCESS_COMMUNICATION_STDERR",
            Kind::RemoteCommunication => "REMOTE_COMMUNICATION",
            Kind::SupervisorRunning => "SUPERVISOR_STATE_CHANGE_RUNNING",
            Kind::SupervisorStopping => "SUPERVISOR_STATE_CHANGE_STOPPING",
            Kind::Tick(5) => "TICK_5",
            Kind::Tick(60) => "TICK_60",
            Kind::Tick(_) => "TICK_3600",
            Kind::GroupAdded => "PROCESS_GROUP_ADDED",
            Kind::GroupRemoved => "PROCESS_GROUP_REMOVED",
            Kind::ProcessHealth(true) => "PROCESS_HEALTH_HEALTHY",
            Kind::ProcessHealth(false) => "PROCESS_HEALTH_UNHEALTHY",
        }
    }

    /// The abstract types above this one, nearest first, ending with `EVENT`.
    fn parents(self) -> &'static [&'static str] {
        match self {
            Kind::ProcessState(_) => &["PROCESS_STATE", "EVENT"],
            Kind::ProcessLog(_) => &["PROCESS_LOG", "EVENT"],
            Kind::ProcessCommunication(_) => &["PROCESS_COMMUNICATION", "EVENT"],
            Kind::RemoteCommunication => &["EVENT"],
            Kind::SupervisorRunning | Kind::SupervisorStopping => {
                &["SUPERVISOR_STATE_CHANGE", "EVENT"]
            }
            Kind::Tick(_) => &["TICK", "EVENT"],
            Kind::GroupAdded | Kind::GroupRemoved => &["PROCESS_GROUP", "EVENT"],
            Kind::ProcessHealth(_) => &["PROCESS_HEALTH", "EVENT"],
        }
    }

    /// Whether a subscription to `name` (an `events=` entry) receives this event: its own
    /// name or any type above it.
    pub fn matches(self, name: &str) -> bool {
        self.name() == name || self.parents().contains(&name)
    }
}

/// One event: its kind and its payload, rendered when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: Kind,
    /// The body after the envelope's header line. Text: bytes that are not UTF-8 were
    /// rendered as `Undecodable: b'...'`, as the reference does.
    pub payload: String,
}

/// Values of a process state change (the machine's snapshot at the transition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange<'a> {
    /// Process name.
    pub process: &'a str,
    /// Group name.
    pub group: &'a str,
    /// Old state.
    pub from: State,
    /// New state.
    pub to: State,
    /// For EXITED: whether the status was expected.
    pub expected: bool,
    /// The pid at the transition (0 when none).
    pub pid: i32,
    /// The backoff counter.
    pub tries: u32,
}

impl Event {
    /// `PROCESS_STATE_*`: `processname:X groupname:G from_state:S` plus the state's extras,
    /// without a trailing newline.
    pub fn process_state(c: &StateChange<'_>) -> Event {
        let mut s = format!(
            "processname:{} groupname:{} from_state:{}",
            c.process,
            c.group,
            c.from.name()
        );
        match c.to {
            State::Starting | State::Backoff => s.push_str(&format!(" tries:{}", c.tries)),
            State::Running | State::Stopping | State::Stopped => {
                s.push_str(&format!(" pid:{}", c.pid))
            }
            State::Exited => {
                s.push_str(&format!(" expected:{} pid:{}", c.expected as u8, c.pid));
            }
            State::Fatal | State::Unknown => {}
        }
        Event {
            kind: Kind::ProcessState(c.to),
            payload: s,
        }
    }

    /// `PROCESS_LOG_*`: a header line, then the bytes as the child wrote them.
    pub fn process_log(process: &str, group: &str, pid: i32, ch: Stream, data: &[u8]) -> Event {
        let payload = format!(
            "processname:{process} groupname:{group} pid:{pid} channel:{}\n{}",
            ch.name(),
            decode_or_undecodable(data)
        );
        Event {
            kind: Kind::ProcessLog(ch),
            payload,
        }
    }

    /// `PROCESS_COMMUNICATION_*`: a header line, then the captured bytes.
    pub fn process_comm(process: &str, group: &str, pid: i32, ch: Stream, data: &[u8]) -> Event {
        let payload = format!(
            "processname:{process} groupname:{group} pid:{pid}\n{}",
            decode_or_undecodable(data)
        );
        Event {
            kind: Kind::ProcessCommunication(ch),
            payload,
        }
    }

    /// `REMOTE_COMMUNICATION`: `type:T`, a newline, the data.
    pub fn remote(kind: &str, data: &str) -> Event {
        Event {
            kind: Kind::RemoteCommunication,
            payload: format!("type:{kind}\n{data}"),
        }
    }

    /// `SUPERVISOR_STATE_CHANGE_RUNNING` / `_STOPPING`: empty payload.
    pub fn supervisor(running: bool) -> Event {
        Event {
            kind: if running {
                Kind::SupervisorRunning
            } else {
                Kind::SupervisorStopping
            },
            payload: String::new(),
        }
    }

    /// `PROCESS_HEALTH_*`: `processname:X groupname:G pid:N`, a newline, the detail (the last
    /// failure, or the check that passed).
    pub fn health(process: &str, group: &str, pid: i32, healthy: bool, detail: &str) -> Event {
        Event {
            kind: Kind::ProcessHealth(healthy),
            payload: format!("processname:{process} groupname:{group} pid:{pid}\n{detail}"),
        }
    }

    /// `TICK_<period>`: `when:<start of the new period, epoch seconds>`.
    pub fn tick(period: u64, when: u64) -> Event {
        Event {
            kind: Kind::Tick(period),
            payload: format!("when:{when}"),
        }
    }

    /// `PROCESS_GROUP_ADDED` / `_REMOVED`: `groupname:G` and a newline.
    pub fn group(added: bool, group: &str) -> Event {
        Event {
            kind: if added {
                Kind::GroupAdded
            } else {
                Kind::GroupRemoved
            },
            payload: format!("groupname:{group}\n"),
        }
    }
}

/// The start of the `period`-second slice holding `now` (epoch seconds).
pub fn timeslice(period: u64, now: u64) -> u64 {
    now - now % period
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(to: State) -> StateChange<'static> {
        StateChange {
            process: "cat",
            group: "grp",
            from: State::Starting,
            to,
            expected: true,
            pid: 42,
            tries: 3,
        }
    }

    fn text(e: &Event) -> &str {
        &e.payload
    }

    #[test]
    fn process_state_payloads_carry_each_states_extras() {
        let cases = [
            (State::Starting, " tries:3"),
            (State::Backoff, " tries:3"),
            (State::Running, " pid:42"),
            (State::Stopping, " pid:42"),
            (State::Stopped, " pid:42"),
            (State::Exited, " expected:1 pid:42"),
            (State::Fatal, ""),
            (State::Unknown, ""),
        ];
        for (to, extra) in cases {
            let e = Event::process_state(&change(to));
            assert_eq!(
                text(&e),
                format!("processname:cat groupname:grp from_state:STARTING{extra}")
            );
            assert_eq!(e.kind.name(), format!("PROCESS_STATE_{}", to.name()));
            assert!(e.kind.matches(&format!("PROCESS_STATE_{}", to.name())));
        }
        let mut c = change(State::Exited);
        c.expected = false;
        assert!(text(&Event::process_state(&c)).ends_with(" expected:0 pid:42"));
    }

    #[test]
    fn other_payloads() {
        let e = Event::process_log("p", "g", 7, Stream::Stderr, b"a\nb");
        assert_eq!(
            text(&e),
            "processname:p groupname:g pid:7 channel:stderr\na\nb"
        );
        assert_eq!(e.kind.name(), "PROCESS_LOG_STDERR");
        let e = Event::process_comm("p", "g", 7, Stream::Stdout, b"xy");
        assert_eq!(text(&e), "processname:p groupname:g pid:7\nxy");
        assert_eq!(e.kind.name(), "PROCESS_COMMUNICATION_STDOUT");
        let e = Event::process_log("p", "g", 7, Stream::Stdout, b"\xff");
        assert!(text(&e).ends_with("channel:stdout\nUndecodable: b'\\xff'"));
        assert_eq!(text(&Event::remote("t", "d")), "type:t\nd");
        assert_eq!(text(&Event::tick(60, 120)), "when:120");
        assert_eq!(Event::tick(60, 120).kind.name(), "TICK_60");
        assert_eq!(text(&Event::group(true, "g")), "groupname:g\n");
        assert_eq!(
            Event::group(false, "g").kind.name(),
            "PROCESS_GROUP_REMOVED"
        );
        let e = Event::supervisor(false);
        assert!(e.payload.is_empty());
        assert_eq!(e.kind.name(), "SUPERVISOR_STATE_CHANGE_STOPPING");
    }

    #[test]
    fn subscriptions_match_the_type_and_its_parents_only() {
        let k = Kind::ProcessState(State::Fatal);
        for yes in ["PROCESS_STATE_FATAL", "PROCESS_STATE", "EVENT"] {
            assert!(k.matches(yes), "{yes}");
        }
        for no in ["PROCESS_STATE_EXITED", "PROCESS_LOG", "TICK"] {
            assert!(!k.matches(no), "{no}");
        }
        assert!(Kind::Tick(5).matches("TICK"));
        assert!(!Kind::Tick(5).matches("TICK_60"));
        assert!(Kind::ProcessLog(Stream::Stdout).matches("PROCESS_LOG"));
        assert!(!Kind::ProcessLog(Stream::Stdout).matches("PROCESS_LOG_STDERR"));
        assert!(Kind::GroupAdded.matches("PROCESS_GROUP"));
        assert!(Kind::SupervisorRunning.matches("SUPERVISOR_STATE_CHANGE"));
        assert!(Kind::RemoteCommunication.matches("EVENT"));
    }

    #[test]
    fn every_name_a_listener_can_name_is_reachable() {
        // Each config-valid name is matched by at least one kind we can emit.
        let kinds: Vec<Kind> = State::ALL
            .into_iter()
            .map(Kind::ProcessState)
            .chain([
                Kind::ProcessLog(Stream::Stdout),
                Kind::ProcessLog(Stream::Stderr),
                Kind::ProcessCommunication(Stream::Stdout),
                Kind::ProcessCommunication(Stream::Stderr),
                Kind::RemoteCommunication,
                Kind::SupervisorRunning,
                Kind::SupervisorStopping,
                Kind::GroupAdded,
                Kind::GroupRemoved,
                Kind::ProcessHealth(true),
                Kind::ProcessHealth(false),
            ])
            .chain(TICK_PERIODS.map(Kind::Tick))
            .collect();
        for name in crate::config::EVENT_TYPES {
            assert!(kinds.iter().any(|k| k.matches(name)), "{name}");
        }
    }

    #[test]
    fn timeslices() {
        assert_eq!(timeslice(5, 1_000_003), 1_000_000);
        assert_eq!(timeslice(60, 1_000_003), 999_960);
        assert_eq!(timeslice(3600, 3600), 3600);
    }
}
