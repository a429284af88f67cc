//! XML-RPC mode: carries out one [`Request`] against a server that speaks Supervisor's
//! XML-RPC API (the Python supervisord) with the same calls the reference supervisorctl
//! makes, and turns the answers into the [`ReplyEvent`]s and [`Outcome`] our daemon would
//! have sent for that request, through the daemon's own pure renderers
//! (`protocol::status`, `protocol::results`). So the interpreter (`commands`, `fg`) does
//! not know which protocol answered.
//!
//! Each call is one HTTP/1.0 `POST /RPC2` on its own connection ([`super::http`]).
//! The reference's shape is kept: the commands that "upcheck" call `supervisor.getVersion`
//! first; per-name calls run one after another and print as they go; a fault the reference
//! does not handle ends the command with `error: <class 'xmlrpc.client.Fault'>, <Fault N:
//! '...'>` and exit 1 (the reference adds a file and line); HTTP 401 prints
//! `Server requires authentication` (exit 1, and the shell asks for credentials).
//!
//! Timeouts: calls that wait for processes (`start*`, `stop*`, `restart`, `shutdown`,
//! `addProcessGroup`, `removeProcessGroup`) have no silence limit, as the reference's
//! client; every other call gives up after [`reply_timeout`] of silence. Ctrl-C ends any
//! wait.

use std::io;

use super::http::{self, ResponseReader};
use super::sock::{reply_timeout, CallError, Client, ConnectError, Sock};
use super::url::{self, Target};
use crate::protocol::fault::exit;
use crate::protocol::info::{self, ProcessInfo};
use crate::protocol::request::{Stream, TailMode};
use crate::protocol::results::{self, Action, ResultLine, UpdateStep};
use crate::protocol::status::{self, namespec, split_namespec, AvailInfo, ProcessStatus};
use crate::protocol::xmlrpc::{self, Call, Limits, Response, Value};
use crate::protocol::{help, Fault, Outcome, ReplyEvent, Request};

/// The `status` of a successful result struct (the reference's `Faults.SUCCESS`).
const SUCCESS: i32 = 80;

/// The API version the reference's supervisorctl insists on.
const API_VERSION: &str = "3.0";

/// Why a command stopped early.
enum Abort {
    /// A transport failure: the caller reports it.
    Call(CallError),
    /// HTTP 401.
    Unauthorized,
    /// A fault the reference does not handle (it raises).
    Fault(xmlrpc::Fault),
    /// Already reported (the outcome is set).
    Done,
}

impl From<CallError> for Abort {
    fn from(e: CallError) -> Abort {
        Abort::Call(e)
    }
}

type Res<T> = Result<T, Abort>;

/// One command in XML-RPC mode.
struct Session<'a> {
    client: &'a Client,
    /// The connection the caller already opened; the first call (or the stream) uses it.
    first: Option<Sock>,
    ctrl_c: bool,
    outcome: Outcome,
    on_event: &'a mut dyn FnMut(ReplyEvent),
}

/// Runs `req` in XML-RPC mode. `first`: an unused connection to the server, if the caller
/// has one. `on_ready` runs before a stream's body (the `tail -f` banner), after the
/// upcheck, as in the reference.
pub fn exchange(
    client: &Client,
    first: Option<Sock>,
    req: &Request,
    on_ready: Option<&mut dyn FnMut()>,
    on_event: &mut dyn FnMut(ReplyEvent),
    ctrl_c: bool,
) -> Result<Outcome, CallError> {
    let mut s = Session {
        client,
        first,
        ctrl_c,
        outcome: Outcome::ok(),
        on_event,
    };
    match s.run(req, on_ready) {
        Ok(()) | Err(Abort::Done) => Ok(s.outcome),
        Err(Abort::Call(e)) => Err(e),
        Err(Abort::Unauthorized) => {
            s.line(crate::protocol::conn::AUTH_REQUIRED);
            Ok(Outcome::failed(Fault::Unauthorized, exit::GENERIC))
        }
        Err(Abort::Fault(f)) => {
            s.line(&format!(
                "error: <class 'xmlrpc.client.Fault'>, <Fault {}: {}>",
                f.code,
                crate::pyrepr::str_repr(&f.string)
            ));
            Ok(Outcome::failed(
                Fault::from_code(f.code).unwrap_or(Fault::Failed),
                exit::GENERIC,
            ))
        }
    }
}

/// Methods that wait for processes: no silence limit.
fn waits(method: &str) -> bool {
    matches!(
        method,
        "supervisor.startProcess"
            | "supervisor.startProcessGroup"
            | "supervisor.startAllProcesses"
            | "supervisor.stopProcess"
            | "supervisor.stopProcessGroup"
            | "supervisor.stopAllProcesses"
            | "supervisor.addProcessGroup"
            | "supervisor.removeProcessGroup"
            | "supervisor.restart"
            | "supervisor.shutdown"
    )
}

fn s(v: &str) -> Value {
    Value::Str(v.to_string())
}

fn field_str(v: &Value, key: &str) -> String {
    match v.struct_get(key) {
        Some(Value::Str(s)) => s.clone(),
        Some(Value::Int(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn field_int(v: &Value, key: &str) -> i64 {
    v.struct_get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn field_bool(v: &Value, key: &str) -> bool {
    match v.struct_get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Int(n)) => *n != 0,
        _ => false,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .unwrap_or(&[])
        .iter()
        .filter_map(|x| x.as_str().map(str::to_string))
        .collect()
}

/// A `getProcessInfo` struct as a `status --json` row.
fn process_info(v: &Value) -> ProcessInfo {
    ProcessInfo {
        name: field_str(v, "name"),
        group: field_str(v, "group"),
        statename: field_str(v, "statename"),
        state: field_int(v, "state"),
        pid: field_int(v, "pid"),
        start: field_int(v, "start"),
        stop: field_int(v, "stop"),
        now: field_int(v, "now"),
        exitstatus: field_int(v, "exitstatus"),
        spawnerr: field_str(v, "spawnerr"),
        description: field_str(v, "description"),
        stdout_logfile: field_str(v, "stdout_logfile"),
        stderr_logfile: field_str(v, "stderr_logfile"),
    }
}

/// Percent-encodes what cannot go into a request path as is.
fn path_escape(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_graphic() && !matches!(b, b'%' | b'?' | b'#') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn connect_error(e: ConnectError) -> CallError {
    match e {
        ConnectError::NoSuchFile => CallError::Io(io::Error::from_raw_os_error(libc::ENOENT)),
        ConnectError::Refused => CallError::Io(io::Error::from_raw_os_error(libc::ECONNREFUSED)),
        ConnectError::BadUrl(m) => CallError::Io(io::Error::new(io::ErrorKind::InvalidInput, m)),
        ConnectError::Io(e) => CallError::Io(e),
    }
}

impl Session<'_> {
    fn line(&mut self, text: &str) {
        (self.on_event)(ReplyEvent::Line(text.as_bytes().to_vec()));
    }

    fn set(&mut self, o: Outcome) {
        if !o.is_ok() {
            self.outcome = o;
        }
    }

    fn result(&mut self, r: ResultLine) {
        self.line(&r.text);
        self.outcome.absorb(r.effect);
    }

    fn connect(&mut self) -> Result<Sock, CallError> {
        match self.first.take() {
            Some(sock) => Ok(sock),
            None => self.client.connect().map_err(connect_error),
        }
    }

    fn host(&self) -> String {
        match url::parse(&self.client.serverurl) {
            Ok(Target::Tcp { host, port }) if host.contains(':') => format!("[{host}]:{port}"),
            Ok(Target::Tcp { host, port }) => format!("{host}:{port}"),
            _ => "localhost".to_string(),
        }
    }

    fn credentials(&self) -> Option<(&str, &str)> {
        self.client
            .username
            .as_deref()
            .map(|u| (u, self.client.password.as_deref().unwrap_or("")))
    }

    /// One XML-RPC call: the value, or the fault the server answered with.
    fn call(&mut self, method: &str, params: Vec<Value>) -> Res<Result<Value, xmlrpc::Fault>> {
        let body = xmlrpc::render_call(&Call {
            method: method.to_string(),
            params,
        });
        let head = http::request_head(
            "POST",
            "/RPC2",
            &self.host(),
            self.credentials(),
            Some(body.len()),
        );
        let mut sock = self.connect()?;
        http::send(&mut sock, &head, &body)?;
        let silence = (!waits(method)).then(reply_timeout);
        let mut reader = ResponseReader::new(&mut sock, silence, self.ctrl_c);
        let head = reader.head()?;
        match head.status {
            200 => {}
            401 => return Err(Abort::Unauthorized),
            _ => return Err(Abort::Call(CallError::Http(head.status_line))),
        }
        let body = reader.body(&head)?;
        match xmlrpc::parse_response(&body, &Limits::client()) {
            Ok(Response::Value(v)) => Ok(Ok(v)),
            Ok(Response::Fault(f)) => Ok(Err(f)),
            Err(e) => Err(Abort::Call(CallError::BadReply(e.to_string()))),
        }
    }

    /// A call whose faults the reference does not handle.
    fn call_ok(&mut self, method: &str, params: Vec<Value>) -> Res<Value> {
        self.call(method, params)?.map_err(Abort::Fault)
    }

    /// The reference's upcheck: `getVersion` must answer the API version it knows.
    fn upcheck(&mut self) -> Res<()> {
        match self.call("supervisor.getVersion", vec![])? {
            Ok(Value::Str(v)) if v == API_VERSION => Ok(()),
            Ok(v) => {
                let shown = match &v {
                    Value::Str(s) => s.clone(),
                    Value::Int(n) => n.to_string(),
                    Value::Double(d) => xmlrpc::py_float_repr(*d),
                    other => format!("{other:?}"),
                };
                self.line(&format!(
                    "Sorry, this version of supervisorctl expects to talk to a server with API \
                     version {API_VERSION}, but the remote version is {shown}."
                ));
                self.set(Outcome::failed(Fault::Failed, exit::NOT_INSTALLED));
                Err(Abort::Done)
            }
            Err(f) if Fault::from_code(f.code) == Some(Fault::UnknownMethod) => {
                self.line(
                    "Sorry, supervisord responded but did not recognize the supervisor \
                     namespace commands that supervisorctl uses to control it.  Please check \
                     that the [rpcinterface:supervisor] section is enabled in the \
                     configuration file (see sample.conf).",
                );
                self.set(Outcome::failed(
                    Fault::UnknownMethod,
                    exit::UNIMPLEMENTED_FEATURE,
                ));
                Err(Abort::Done)
            }
            Err(f) => Err(Abort::Fault(f)),
        }
    }

    fn run(&mut self, req: &Request, on_ready: Option<&mut dyn FnMut()>) -> Res<()> {
        match req {
            Request::Status { names } => {
                self.upcheck()?;
                self.status(names)
            }
            Request::Start { names } => {
                self.upcheck()?;
                self.per_process(Action::Start, names, None)
            }
            Request::Stop { names } => {
                self.upcheck()?;
                self.per_process(Action::Stop, names, None)
            }
            Request::Restart { names } => {
                self.upcheck()?;
                self.per_process(Action::Stop, names, None)?;
                self.per_process(Action::Start, names, None)
            }
            Request::Signal { signal, names } => {
                self.upcheck()?;
                self.per_process(Action::Signal, names, Some(signal))
            }
            Request::Clear { names } => {
                self.upcheck()?;
                self.clear(names)
            }
            Request::Rotate { .. } => {
                self.upcheck()?;
                // Supervisor 4.3.0 has no method for it.
                self.line("ERROR: this supervisord (XML-RPC) cannot rotate logs on request");
                self.set(Outcome::failed(Fault::UnknownMethod, exit::GENERIC));
                Ok(())
            }
            Request::Tail {
                name,
                channel,
                mode: TailMode::Follow,
            } => {
                let path = format!("/logtail/{}/{}", path_escape(name), channel.name());
                self.follow(&path, on_ready)
            }
            Request::MainTail {
                mode: TailMode::Follow,
            } => self.follow("/mainlogtail", on_ready),
            Request::Tail {
                name,
                channel,
                mode,
            } => {
                self.upcheck()?;
                let method = match channel {
                    Stream::Stdout => "supervisor.readProcessStdoutLog",
                    Stream::Stderr => "supervisor.readProcessStderrLog",
                };
                let params = vec![s(name), Value::Int(offset(*mode)), Value::Int(0)];
                self.read_log(name, method, params, true)
            }
            Request::MainTail { mode } => {
                self.upcheck()?;
                let params = vec![Value::Int(offset(*mode)), Value::Int(0)];
                self.read_log("supervisord", "supervisor.readLog", params, false)
            }
            Request::Pid { names } => {
                self.upcheck()?;
                self.pid(names)
            }
            Request::Avail => self.avail(false),
            Request::AvailJson => self.avail(true),
            Request::StatusJson { names } => {
                self.upcheck()?;
                let all: Vec<ProcessInfo> =
                    self.all_process_info()?.iter().map(process_info).collect();
                let (doc, o) = info::status_json(&all, names);
                doc.lines().for_each(|l| self.line(l));
                self.set(o);
                Ok(())
            }
            Request::Metrics | Request::Events { .. } => {
                self.line(&format!(
                    "Error: {} needs a supervisor-rs supervisord; this one speaks only XML-RPC",
                    req.command()
                ));
                self.set(Outcome::failed(Fault::UnknownMethod, exit::GENERIC));
                Ok(())
            }
            Request::Reread { verbose } => self.reread(*verbose),
            Request::Update { names, dry_run } => self.update(names, *dry_run),
            Request::Add { names } => {
                for n in names {
                    let r = self.call("supervisor.addProcessGroup", vec![s(n)])?;
                    let fault = self.known_fault(
                        r,
                        &[Fault::ShutdownState, Fault::AlreadyAdded, Fault::BadName],
                    )?;
                    self.result(results::add_result(n, fault));
                }
                Ok(())
            }
            Request::Remove { names } => {
                for n in names {
                    let r = self.call("supervisor.removeProcessGroup", vec![s(n)])?;
                    let fault = self.known_fault(r, &[Fault::StillRunning, Fault::BadName])?;
                    self.result(results::remove_result(n, fault));
                }
                Ok(())
            }
            Request::Reload => {
                let r = self.call("supervisor.restart", vec![])?;
                let fault = self.known_fault(r, &[Fault::ShutdownState])?;
                self.result(results::reload_result(fault));
                Ok(())
            }
            Request::Shutdown => {
                let r = self.call("supervisor.shutdown", vec![])?;
                let fault = self.known_fault(r, &[Fault::ShutdownState])?;
                self.result(results::shutdown_result(fault));
                Ok(())
            }
            Request::Version => {
                self.upcheck()?;
                let v = self.call_ok("supervisor.getSupervisorVersion", vec![])?;
                self.line(v.as_str().unwrap_or_default());
                Ok(())
            }
            Request::SendStdin { name, text } => {
                let r = self.call("supervisor.sendProcessStdin", vec![s(name), s(text)])?;
                if let Err(f) = r {
                    let fault = Fault::from_code(f.code).unwrap_or(Fault::Failed);
                    self.result(results::sendstdin_error(name, fault));
                }
                Ok(())
            }
            Request::SendRemoteCommEvent { kind, data } => {
                self.call_ok("supervisor.sendRemoteCommEvent", vec![s(kind), s(data)])?;
                Ok(())
            }
            Request::Help { topic } => {
                let text = help::help_output(topic);
                for l in text.strip_suffix('\n').unwrap_or(&text).split('\n') {
                    self.line(l);
                }
                Ok(())
            }
            Request::Auth { .. } => Ok(()),
            // Only supervisor-rs's daemon can exec itself in place.
            Request::Upgrade => {
                self.result(results::ResultLine {
                    text: "ERROR: upgrade needs a supervisor-rs supervisord".into(),
                    effect: Some(crate::protocol::fault::Outcome::failed(
                        Fault::UnknownMethod,
                        1,
                    )),
                });
                Ok(())
            }
        }
    }

    /// The fault of a call when it is one of `handled`; other faults end the command.
    fn known_fault(
        &mut self,
        r: Result<Value, xmlrpc::Fault>,
        handled: &[Fault],
    ) -> Res<Option<Fault>> {
        match r {
            Ok(_) => Ok(None),
            Err(f) => match Fault::from_code(f.code) {
                Some(k) if handled.contains(&k) => Ok(Some(k)),
                _ => Err(Abort::Fault(f)),
            },
        }
    }

    fn all_process_info(&mut self) -> Res<Vec<Value>> {
        let v = self.call_ok("supervisor.getAllProcessInfo", vec![])?;
        Ok(v.as_array().unwrap_or(&[]).to_vec())
    }

    fn status(&mut self, names: &[String]) -> Res<()> {
        let all: Vec<ProcessStatus> = self
            .all_process_info()?
            .iter()
            .map(|i| ProcessStatus {
                group: field_str(i, "group"),
                name: field_str(i, "name"),
                state_name: field_str(i, "statename"),
                description: field_str(i, "description"),
            })
            .collect();
        let (lines, o) = status::status_reply(&all, names);
        lines.iter().for_each(|l| self.line(l));
        self.set(o);
        Ok(())
    }

    /// A per-process result from a result struct (`*AllProcesses`, `*ProcessGroup`).
    fn struct_result(&mut self, action: Action, r: &Value) {
        let code = field_int(r, "status") as i32;
        let spec = namespec(&field_str(r, "group"), &field_str(r, "name"));
        let fault = (code != SUCCESS).then(|| Fault::from_code(code).unwrap_or(Fault::Failed));
        let line = results::process_result(action, &spec, fault, &field_str(r, "description"));
        self.result(line);
    }

    /// `start`, `stop` and `signal`: `all`, `g:*` and single names, as the reference.
    fn per_process(&mut self, action: Action, names: &[String], sig: Option<&String>) -> Res<()> {
        let (all_m, group_m, one_m) = match action {
            Action::Start => (
                "supervisor.startAllProcesses",
                "supervisor.startProcessGroup",
                "supervisor.startProcess",
            ),
            Action::Stop => (
                "supervisor.stopAllProcesses",
                "supervisor.stopProcessGroup",
                "supervisor.stopProcess",
            ),
            _ => (
                "supervisor.signalAllProcesses",
                "supervisor.signalProcessGroup",
                "supervisor.signalProcess",
            ),
        };
        let with_sig = |mut p: Vec<Value>| {
            if let Some(sig) = sig {
                p.push(s(sig));
            }
            p
        };
        if names.iter().any(|n| n == "all") {
            let v = self.call_ok(all_m, with_sig(vec![]))?;
            for r in v.as_array().unwrap_or(&[]) {
                self.struct_result(action, r);
            }
            return Ok(());
        }
        for name in names {
            let (group, process) = split_namespec(name);
            match process {
                None => match self.call(group_m, with_sig(vec![s(group)]))? {
                    Ok(v) => {
                        for r in v.as_array().unwrap_or(&[]) {
                            self.struct_result(action, r);
                        }
                    }
                    Err(f) if Fault::from_code(f.code) == Some(Fault::BadName) => {
                        self.result(results::no_such_group(action, group));
                    }
                    Err(f) => return Err(Abort::Fault(f)),
                },
                Some(process) => {
                    let spec = namespec(group, process);
                    let r = self.call(one_m, with_sig(vec![s(name)]))?;
                    let (fault, text) = match r {
                        Ok(_) => (None, String::new()),
                        Err(f) => (
                            Some(Fault::from_code(f.code).unwrap_or(Fault::Failed)),
                            f.string,
                        ),
                    };
                    self.result(results::process_result(action, &spec, fault, &text));
                }
            }
        }
        Ok(())
    }

    fn clear(&mut self, names: &[String]) -> Res<()> {
        if names.iter().any(|n| n == "all") {
            let v = self.call_ok("supervisor.clearAllProcessLogs", vec![])?;
            for r in v.as_array().unwrap_or(&[]) {
                self.struct_result(Action::Clear, r);
            }
            return Ok(());
        }
        for name in names {
            let (group, process) = split_namespec(name);
            // The reference prints a whole group as `g:None`.
            let spec = namespec(group, process.unwrap_or("None"));
            let r = self.call("supervisor.clearProcessLogs", vec![s(name)])?;
            let (fault, text) = match r {
                Ok(_) => (None, String::new()),
                Err(f) => (
                    Some(Fault::from_code(f.code).unwrap_or(Fault::Failed)),
                    f.string,
                ),
            };
            self.result(results::process_result(Action::Clear, &spec, fault, &text));
        }
        Ok(())
    }

    fn read_log(&mut self, name: &str, method: &str, params: Vec<Value>, process: bool) -> Res<()> {
        match self.call(method, params)? {
            Ok(v) => {
                let text = v.as_str().unwrap_or_default().to_string();
                self.line(&text);
                Ok(())
            }
            Err(f) => match Fault::from_code(f.code) {
                Some(k @ (Fault::NoFile | Fault::Failed)) => {
                    self.result(results::tail_error(name, k));
                    Ok(())
                }
                Some(Fault::BadName) if process => {
                    self.result(results::tail_error(name, Fault::BadName));
                    Ok(())
                }
                _ => Err(Abort::Fault(f)),
            },
        }
    }

    /// `tail -f` / `maintail -f`: the upcheck, the banner, then `GET path` printed as it
    /// arrives until the server closes it or Ctrl-C. A refused GET prints the reference's
    /// `URL Cannot read, status code N` on stderr and exits 0, as it does. Without
    /// `on_ready` (`fg`'s readers) there is no upcheck and the caller's connection carries
    /// the GET, so shutting that connection down ends the stream.
    fn follow(&mut self, path: &str, on_ready: Option<&mut dyn FnMut()>) -> Res<()> {
        if let Some(ready) = on_ready {
            self.upcheck()?;
            ready();
        }
        let head = http::request_head("GET", path, &self.host(), self.credentials(), None);
        let mut sock = self.connect()?;
        http::send(&mut sock, &head, &[])?;
        let mut reader = ResponseReader::new(&mut sock, None, self.ctrl_c);
        let head = reader.head()?;
        if head.status != 200 {
            eprintln!(
                "{}{path} Cannot read, status code {}",
                self.client.serverurl, head.status
            );
            return Ok(());
        }
        let on_event = &mut *self.on_event;
        reader.stream(&head, &mut |data| {
            on_event(ReplyEvent::Partial(data.to_vec()))
        })?;
        Ok(())
    }

    fn pid(&mut self, names: &[String]) -> Res<()> {
        if names.is_empty() {
            let v = self.call_ok("supervisor.getPID", vec![])?;
            self.line(&v.as_i64().unwrap_or(0).to_string());
        } else if names.iter().any(|n| n == "all") {
            for i in self.all_process_info()? {
                self.line(&field_int(&i, "pid").to_string());
            }
        } else {
            for name in names {
                match self.call("supervisor.getProcessInfo", vec![s(name)])? {
                    Ok(i) => {
                        let pid = u32::try_from(field_int(&i, "pid")).unwrap_or(0);
                        self.result(results::pid_result(pid));
                    }
                    Err(f) if Fault::from_code(f.code) == Some(Fault::BadName) => {
                        self.result(results::pid_no_such(name));
                    }
                    Err(f) => return Err(Abort::Fault(f)),
                }
            }
        }
        Ok(())
    }

    fn avail(&mut self, json: bool) -> Res<()> {
        match self.call("supervisor.getAllConfigInfo", vec![])? {
            Ok(v) => {
                let infos: Vec<AvailInfo> = v
                    .as_array()
                    .unwrap_or(&[])
                    .iter()
                    .map(|i| AvailInfo {
                        group: field_str(i, "group"),
                        name: field_str(i, "name"),
                        in_use: field_bool(i, "inuse"),
                        autostart: field_bool(i, "autostart"),
                        group_prio: field_int(i, "group_prio"),
                        process_prio: field_int(i, "process_prio"),
                    })
                    .collect();
                let lines = match json {
                    true => info::avail_json(&infos).lines().map(String::from).collect(),
                    false => status::avail_lines(&infos),
                };
                lines.iter().for_each(|l| self.line(l));
                Ok(())
            }
            Err(f) if Fault::from_code(f.code) == Some(Fault::ShutdownState) => {
                self.result(results::avail_shutting_down());
                Ok(())
            }
            Err(f) => Err(Abort::Fault(f)),
        }
    }
}

/// `readLog`'s offset for a tail mode, as the reference computes `-bytes`.
fn offset(mode: TailMode) -> i64 {
    match mode {
        TailMode::Last(n) => -(i64::try_from(n).unwrap_or(i64::MAX)),
        TailMode::From(n) => i64::try_from(n).unwrap_or(i64::MAX),
        TailMode::Follow => 0,
    }
}

mod reconfig;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_paths() {
        assert_eq!(offset(TailMode::Last(1600)), -1600);
        assert_eq!(offset(TailMode::Last(0)), 0);
        assert_eq!(offset(TailMode::From(5)), 5);
        assert_eq!(path_escape("g:web"), "g:web");
        assert_eq!(path_escape("a b%"), "a%20b%25");
        assert!(waits("supervisor.startProcess"));
        assert!(!waits("supervisor.getVersion"));
    }
}
