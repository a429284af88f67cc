//! `status --json` and `avail --json`: every field of a status row (what the reference's
//! `getProcessInfo` returns, plus the namespec and the uptime) and of an avail row, as one
//! JSON document, an array of objects. Pure: the daemon fills [`ProcessInfo`] from its
//! table, supervisorctl from a Python supervisord's `getAllProcessInfo`, and both render
//! with the functions here, so the two documents have the same shape.

use super::fault::Outcome;
use super::status::{self, namespec, AvailInfo, StatusView};
use crate::json::Json;

/// One process, as `getProcessInfo` describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcessInfo {
    /// Process name.
    pub name: String,
    /// Group name.
    pub group: String,
    /// State name (`RUNNING`).
    pub statename: String,
    /// State code (20).
    pub state: i64,
    /// Pid, 0 when not running.
    pub pid: i64,
    /// Epoch seconds of the last start, 0 before one.
    pub start: i64,
    /// Epoch seconds of the last stop, 0 before one.
    pub stop: i64,
    /// Epoch seconds when the row was made.
    pub now: i64,
    /// The last exit status.
    pub exitstatus: i64,
    /// The last spawn error, empty when none.
    pub spawnerr: String,
    /// The description column of `status`.
    pub description: String,
    /// Log file paths, empty when none.
    pub stdout_logfile: String,
    /// See `stdout_logfile`.
    pub stderr_logfile: String,
}

impl ProcessInfo {
    /// Seconds up: `now - start` while RUNNING (as the description counts it), else 0.
    pub fn uptime(&self) -> i64 {
        if self.statename == "RUNNING" && self.start > 0 {
            (self.now - self.start).max(0)
        } else {
            0
        }
    }

    fn json(&self) -> Json {
        let s = |v: &str| Json::Str(v.to_string());
        let or_null = |v: i64| if v == 0 { Json::Null } else { Json::Int(v) };
        Json::Obj(vec![
            ("name".into(), s(&self.name)),
            ("group".into(), s(&self.group)),
            ("namespec".into(), s(&namespec(&self.group, &self.name))),
            ("state".into(), s(&self.statename)),
            ("statecode".into(), Json::Int(self.state)),
            ("pid".into(), or_null(self.pid)),
            ("uptime".into(), Json::Int(self.uptime())),
            ("description".into(), s(&self.description)),
            ("exitstatus".into(), Json::Int(self.exitstatus)),
            ("spawnerr".into(), s(&self.spawnerr)),
            ("start".into(), or_null(self.start)),
            ("stop".into(), or_null(self.stop)),
            ("now".into(), Json::Int(self.now)),
            ("stdout_logfile".into(), s(&self.stdout_logfile)),
            ("stderr_logfile".into(), s(&self.stderr_logfile)),
        ])
    }
}

/// The `status --json [names]` document and outcome from every process (sorted by group,
/// then name): the rows `status` would list, in the same order. An unknown name adds no
/// row (the document stays valid JSON) and makes the exit code 4, as for `status`; then a
/// listed process that is not running makes it 3.
pub fn status_json(all: &[ProcessInfo], names: &[String]) -> (String, Outcome) {
    let outcome = status::write_status_reply(all, names, &mut |_| {});
    let matched = status::select(all, names, &mut |_| {});
    let doc = Json::Arr(matched.iter().map(|p| p.json()).collect());
    (doc.render(), outcome)
}

impl StatusView for ProcessInfo {
    fn group(&self) -> &str {
        &self.group
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn state_name(&self) -> &str {
        &self.statename
    }
    fn write_description(&self, out: &mut String) {
        out.push_str(&self.description);
    }
}

/// The `avail --json` document, sorted by process name as `avail` is.
pub fn avail_json(infos: &[AvailInfo]) -> String {
    let mut sorted: Vec<&AvailInfo> = infos.iter().collect();
    crate::sort::sort_by(&mut sorted, &|a, b| a.name.cmp(&b.name));
    let rows = sorted
        .iter()
        .map(|i| {
            Json::Obj(vec![
                ("name".into(), Json::Str(i.name.clone())),
                ("group".into(), Json::Str(i.group.clone())),
                ("namespec".into(), Json::Str(namespec(&i.group, &i.name))),
                ("in_use".into(), Json::Bool(i.in_use)),
                ("autostart".into(), Json::Bool(i.autostart)),
                ("group_priority".into(), Json::Int(i.group_prio)),
                ("priority".into(), Json::Int(i.process_prio)),
            ])
        })
        .collect();
    Json::Arr(rows).render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::fault::exit;

    fn info(group: &str, name: &str, state: &str) -> ProcessInfo {
        ProcessInfo {
            name: name.into(),
            group: group.into(),
            statename: state.into(),
            state: 20,
            pid: 42,
            start: 1000,
            now: 1065,
            description: "pid 42, uptime 0:01:05".into(),
            ..ProcessInfo::default()
        }
    }

    #[test]
    fn status_rows_carry_every_field() {
        let all = [info("g", "a", "RUNNING"), info("g", "b", "STOPPED")];
        let (doc, o) = status_json(&all, &["g:a".into()]);
        assert!(o.is_ok());
        assert!(doc.starts_with('['));
        for want in [
            "\"namespec\": \"g:a\"",
            "\"uptime\": 65",
            "\"pid\": 42",
            "\"stop\": null",
            "\"state\": \"RUNNING\"",
            "\"statecode\": 20",
        ] {
            assert!(doc.contains(want), "{want} in {doc}");
        }
        let (doc, o) = status_json(&all, &[]);
        assert_eq!(o.exit_code, exit::STATUS_NOT_RUNNING);
        assert!(doc.contains("\"name\": \"b\""));
        let (doc, o) = status_json(&all, &["nope".into()]);
        assert_eq!((doc.as_str(), o.exit_code), ("[]", exit::STATUS_UNKNOWN));
    }

    #[test]
    fn avail_rows() {
        let doc = avail_json(&[AvailInfo {
            group: "g".into(),
            name: "x\"y".into(),
            in_use: true,
            autostart: false,
            group_prio: 999,
            process_prio: 5,
        }]);
        assert!(doc.contains("\"name\": \"x\\\"y\""), "{doc}");
        assert!(doc.contains("\"in_use\": true"));
        assert!(doc.contains("\"autostart\": false"));
        assert!(doc.contains("\"priority\": 5"));
    }
}
