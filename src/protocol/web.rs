//! The web UI (pure: query strings in, HTML, messages and redirect targets out; no I/O).
//!
//! The reference serves it on its HTTP sockets (`web.py`, `ui/status.html`, `ui/tail.html`).
//! We keep its contract, not its markup: the same paths and query parameters, the same link
//! targets, the same result messages. The page is ours: one self-contained HTML document
//! with an embedded stylesheet and no scripts or external assets.
//!
//! The request flow the daemon wires (facts from the reference, 4.3.0):
//!
//! - `GET`/`POST` on `/`, `/index.html` (leading slashes stripped, empty means
//!   `index.html`), `/tail.html`, `/ok.html` (plain `OK`). Other paths are not the UI's.
//!   A POST's `application/x-www-form-urlencoded` body is merged over the query.
//! - `index.html` with an action ([`parse_action`]): do it, wait until it is done (a stop
//!   waits for the process to be stopped), then answer `301` with `Location:`
//!   [`redirect_location`]. The browser comes back with `?message=...` ([`message_param`]),
//!   which [`index_page`] shows. An `action` that [`parse_action`] rejects is a `500` in
//!   the reference; no `action` at all just renders the page.
//! - Pages are `Content-Type: text/html;charset=utf-8` with `Pragma: no-cache`,
//!   `Cache-Control: no-cache` and `Expires: Thu, 01 Jan 1970 00:00:00 GMT`.
//! - `logtail/NAME` and `logtail/NAME/stderr` (linked from the table) are the streaming
//!   log handler, not part of this module.

use crate::protocol::Fault;

/// One process in the status table. Everything shown comes from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `group:name`, or `name` when group and process share it (the reference's namespec).
    pub namespec: String,
    /// The process name (sort key, after the group).
    pub name: String,
    /// The group name (first sort key).
    pub group: String,
    /// The state's name, upper case as in `status`: `RUNNING`, `STOPPED`, ...
    /// It also picks the row's actions and CSS class, as in the reference.
    pub state_name: String,
    /// The status description: `pid 42, uptime 0:00:05`, `Not started`, ...
    pub description: String,
}

/// What an `index.html` request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `action=refresh`.
    Refresh,
    /// `action=stopall`: stop every process.
    StopAll,
    /// `action=restartall`: stop every process, then start every autostart one
    /// (the reference's `stopAllProcesses` then `startAllProcesses`).
    RestartAll,
    /// `processname=NS&action=start`.
    Start(String),
    /// `processname=NS&action=stop`.
    Stop(String),
    /// `processname=NS&action=restart`: stop (if running), then start.
    Restart(String),
    /// `processname=NS&action=clearlog`: clear both logs.
    ClearLog(String),
}

impl Action {
    /// The namespec a per-process action names.
    pub fn namespec(&self) -> Option<&str> {
        match self {
            Action::Start(n) | Action::Stop(n) | Action::Restart(n) | Action::ClearLog(n) => {
                Some(n)
            }
            Action::Refresh | Action::StopAll | Action::RestartAll => None,
        }
    }
}

/// How an action ended, for [`message_for`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It worked (or, for restart, whatever happened: the reference ignores its faults).
    Done,
    /// The namespec names no process (a group name alone does not count).
    NoSuchProcess,
    /// The RPC-level fault, with its extra text (`NOT_RUNNING: a` has extra `a`).
    Fault(Fault, Option<String>),
}

/// Python's `urllib.parse.parse_qsl(query)` with its defaults: pairs split on `&`, `+` is
/// a space, `%XX` decoded as UTF-8 (invalid bytes replaced), pairs without `=` or with an
/// empty value dropped.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (!v.is_empty()).then(|| (unquote_plus(k), unquote_plus(v)))
        })
        .collect()
}

/// The first value of `key` (the reference ignores duplicates after the first).
pub fn query_value<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// The action an `index.html` query asks for. `None` when there is no `action`, and also
/// when it is unknown or a per-process action lacks `processname` (the reference answers
/// those with a 500; see the module docs). `refresh`, `stopall` and `restartall` ignore
/// any `processname`.
pub fn parse_action(query: &[(String, String)]) -> Option<Action> {
    let action = query_value(query, "action")?;
    let name = query_value(query, "processname").map(str::to_owned);
    match action {
        "refresh" => Some(Action::Refresh),
        "stopall" => Some(Action::StopAll),
        "restartall" => Some(Action::RestartAll),
        "start" => name.map(Action::Start),
        "stop" => name.map(Action::Stop),
        "restart" => name.map(Action::Restart),
        "clearlog" => name.map(Action::ClearLog),
        _ => None,
    }
}

/// The `message` to show on the page (set by the redirect after an action).
pub fn message_param(query: &[(String, String)]) -> Option<&str> {
    query_value(query, "message")
}

/// The reference's result message for `action`. `ctime` is the current local time in
/// [`crate::time::ctime`]'s format, used by the whole-supervisor actions.
pub fn message_for(action: &Action, outcome: &Outcome, ctime: &str) -> String {
    let fault_text = |fault: &Fault, extra: &Option<String>| match extra {
        Some(x) => format!(
            "unexpected rpc fault [{}] {}: {x}",
            fault.code(),
            fault.name()
        ),
        None => format!("unexpected rpc fault [{}] {}", fault.code(), fault.name()),
    };
    let (ns, done) = match action {
        Action::Refresh => return format!("Page refreshed at {ctime}"),
        Action::StopAll => return format!("All stopped at {ctime}"),
        Action::RestartAll => return format!("All restarted at {ctime}"),
        Action::Start(ns) => (ns, format!("Process {ns} started")),
        Action::Stop(ns) => (ns, format!("Process {ns} stopped")),
        Action::Restart(ns) => (ns, format!("Process {ns} restarted")),
        Action::ClearLog(ns) => (ns, format!("Log for {ns} cleared")),
    };
    match (action, outcome) {
        (_, Outcome::NoSuchProcess) => format!("No such process named {ns}"),
        (_, Outcome::Done) => done,
        // The reference's multicall swallows the stop's and start's faults.
        (Action::Restart(_), Outcome::Fault(..)) => done,
        (Action::Start(_), Outcome::Fault(fault, extra)) => {
            let why = match fault {
                Fault::NoFile => "no such file".to_owned(),
                Fault::NotExecutable => "file not executable".to_owned(),
                Fault::AlreadyStarted => "already started".to_owned(),
                Fault::SpawnError => "spawn error".to_owned(),
                Fault::AbnormalTermination => "abnormal termination".to_owned(),
                _ => fault_text(fault, extra),
            };
            format!("ERROR: Process {ns}: {why}")
        }
        (_, Outcome::Fault(fault, extra)) => fault_text(fault, extra),
    }
}

/// Where to send the browser after an action: `SERVER_URL/?message=QUOTED`.
pub fn redirect_location(server_url: &str, message: &str) -> String {
    format!("{server_url}/?message={}", url_quote(message))
}

/// The reference's `SERVER_URL`: `http://` plus the `Host:` header (or the listening
/// address when there is none), without the port when it is 80.
pub fn server_url(host_header: Option<&str>, listen_host: &str, listen_port: u16) -> String {
    let (host, port) = match host_header.map(str::trim) {
        Some(h) => match h.rsplit_once(':') {
            Some((name, p)) if p.bytes().all(|b| b.is_ascii_digit()) => {
                (name.to_owned(), (!p.is_empty()).then(|| p.to_owned()))
            }
            _ => (h.to_owned(), None),
        },
        None => (listen_host.to_owned(), Some(listen_port.to_string())),
    };
    match port {
        Some(p) if p != "80" => format!("http://{host}:{p}"),
        _ => format!("http://{host}"),
    }
}

/// The byte count `tail.html` shows: `max(1024, limit)`; 1024 when `limit` is absent or
/// not all digits.
pub fn tail_limit(query: &[(String, String)]) -> usize {
    match query_value(query, "limit") {
        Some(l) if l.bytes().all(|b| b.is_ascii_digit()) => {
            // Saturate: a huge limit means the whole log, as in the reference.
            l.parse::<usize>().unwrap_or(usize::MAX).max(1024)
        }
        _ => 1024,
    }
}

/// `tail.html`'s text when the process has no stdout log file.
pub fn tail_no_file(namespec: &str) -> String {
    format!("No file for {namespec}")
}

/// `tail.html`'s text for any other fault (`BAD_NAME` for an unknown process).
pub fn tail_fault(fault: Fault, extra: Option<&str>) -> String {
    match extra {
        Some(x) => format!(
            "ERROR: unexpected rpc fault [{}] {}: {x}",
            fault.code(),
            fault.name()
        ),
        None => format!(
            "ERROR: unexpected rpc fault [{}] {}",
            fault.code(),
            fault.name()
        ),
    }
}

/// Escapes text for HTML content and double- or single-quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Python's `urllib.parse.quote(s)`: UTF-8, everything but `A-Za-z0-9_.-~/` as `%XX`
/// (so `g:a` is `g%3Aa`).
pub fn url_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Python's `unquote_plus`: `+` is a space, `%XX` a byte; a malformed escape stays as is.
fn unquote_plus(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

const STYLE: &str = "\
body{font:14px/1.4 sans-serif;margin:0 auto;max-width:1000px;padding:0 16px;color:#222}
h1{font-size:20px;border-bottom:2px solid #999;padding:12px 0 8px}
h1 small{color:#666;font-weight:normal;font-size:14px}
.status_msg{padding:6px 10px;border:1px solid #999;background:#fbfbfb;margin:8px 0}
#buttons{list-style:none;padding:0;margin:12px 0;display:flex;gap:8px}
#buttons a,td.action a{text-decoration:none;color:#245}
#buttons a{border:1px solid #999;border-radius:4px;padding:2px 8px;font-weight:600;\
font-size:12px;text-transform:uppercase;background:#fbfbfb}
table{width:100%;border-collapse:collapse;border:1px solid #999}
th{background:#999;color:#fff;text-align:left}
td,th{padding:4px 8px;border-bottom:1px solid #fff}
tr td{background:#fbfbfb}
tr.shade td{background:#f0f0f0}
td.status span{display:inline-block;min-width:70px;text-align:center;border-radius:3px;\
color:#fff;font-size:95%}
.statusrunning{background:#2a8a2a}
.statuserror{background:#c0392b}
.statusnominal{background:#888}
td.action ul{list-style:none;display:inline;padding:0;margin:0}
td.action li{display:inline;margin-right:10px}
footer{color:#666;font-size:12px;margin:16px 0}
";

/// The reference's CSS class for a state: running, error (FATAL, BACKOFF), or nominal.
fn state_class(state_name: &str) -> &'static str {
    match state_name {
        "RUNNING" => "statusrunning",
        "FATAL" | "BACKOFF" => "statuserror",
        _ => "statusnominal",
    }
}

/// The status page: message box, Refresh / Restart All / Stop All, and the process table
/// (State / Description / Name / Action), rows sorted by group then name as in the
/// reference. Per row: Restart and Stop when RUNNING, Start when STOPPED, EXITED or FATAL,
/// neither in the transitional states; Clear Log and both log tails always.
pub fn index_page(rows: &[Row], message: Option<&str>, identifier: &str, version: &str) -> String {
    let mut h = String::with_capacity(2048 + rows.len() * 900);
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<title>Supervisor Status</title>\n<style>\n");
    h.push_str(STYLE);
    h.push_str("</style>\n</head>\n<body>\n");
    h.push_str(&format!(
        "<h1>Supervisor status <small>{}</small></h1>\n",
        escape_html(identifier)
    ));
    if let Some(m) = message.filter(|m| !m.is_empty()) {
        h.push_str(&format!(
            "<div class=\"status_msg\" id=\"message\">{}</div>\n",
            escape_html(m)
        ));
    }
    h.push_str(
        "<ul id=\"buttons\">\n\
         <li><a href=\"index.html?action=refresh\">Refresh</a></li>\n\
         <li><a href=\"index.html?action=restartall\">Restart All</a></li>\n\
         <li><a href=\"index.html?action=stopall\">Stop All</a></li>\n\
         </ul>\n",
    );
    if rows.is_empty() {
        h.push_str("<p>No programs to manage</p>\n");
    } else {
        h.push_str(
            "<table id=\"statustable\">\n<thead><tr><th class=\"state\">State</th>\
             <th class=\"desc\">Description</th><th class=\"name\">Name</th>\
             <th class=\"action\">Action</th></tr></thead>\n<tbody>\n",
        );
        let mut order: Vec<&Row> = rows.iter().collect();
        crate::sort::sort_by(&mut order, &|a, b| {
            (&a.group, &a.name).cmp(&(&b.group, &b.name))
        });
        for (i, row) in order.into_iter().enumerate() {
            push_row(&mut h, row, i % 2 == 1);
        }
        h.push_str("</tbody>\n</table>\n");
    }
    h.push_str(&format!(
        "<footer>Supervisor {}</footer>\n</body>\n</html>\n",
        escape_html(version)
    ));
    h
}

fn push_row(h: &mut String, row: &Row, shade: bool) {
    let q = url_quote(&row.namespec);
    let shown = escape_html(&row.namespec);
    h.push_str(if shade {
        "<tr class=\"shade\">"
    } else {
        "<tr>"
    });
    h.push_str(&format!(
        "<td class=\"status\"><span class=\"{}\">{}</span></td>",
        state_class(&row.state_name),
        escape_html(&row.state_name.to_lowercase())
    ));
    h.push_str(&format!("<td>{}</td>", escape_html(&row.description)));
    h.push_str(&format!(
        "<td><a href=\"tail.html?processname={q}\" target=\"_blank\">{shown}</a></td>"
    ));
    h.push_str("<td class=\"action\"><ul>");
    let act = |a: &str| format!("index.html?processname={q}&amp;action={a}");
    let mut links: Vec<(&str, String, bool)> = Vec::new();
    match row.state_name.as_str() {
        "RUNNING" => {
            links.push(("Restart", act("restart"), false));
            links.push(("Stop", act("stop"), false));
        }
        "STOPPED" | "EXITED" | "FATAL" => links.push(("Start", act("start"), false)),
        _ => {}
    }
    links.push(("Clear Log", act("clearlog"), false));
    links.push(("Tail -f Stdout", format!("logtail/{q}"), true));
    links.push(("Tail -f Stderr", format!("logtail/{q}/stderr"), true));
    for (label, href, blank) in links {
        let target = if blank { " target=\"_blank\"" } else { "" };
        h.push_str(&format!(
            "<li><a href=\"{href}\" name=\"{label}\"{target}>{label}</a></li>"
        ));
    }
    h.push_str("</ul></td></tr>\n");
}

/// `tail.html`: the last `limit` bytes of a process's stdout log (the caller reads them;
/// see [`tail_limit`], [`tail_no_file`], [`tail_fault`]) and a Refresh link. An empty
/// `namespec` is the reference's "no processname" page. The text is HTML-escaped, as the
/// reference's template engine does too.
pub fn tail_page(namespec: &str, log_text: &str, limit: usize) -> String {
    let mut h = String::with_capacity(log_text.len() + 1024);
    // The reference prints Python's `None` when no process was named.
    let title_name = if namespec.is_empty() {
        "None"
    } else {
        namespec
    };
    h.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str(&format!(
        "<title>Supervisor tail of process {}</title>\n",
        escape_html(title_name)
    ));
    h.push_str(
        "<style>\nbody{font:14px/1.4 sans-serif;margin:16px}\n\
         pre{background:#fbfbfb;border:1px solid #999;padding:8px;white-space:pre-wrap}\n\
         </style>\n</head>\n<body>\n",
    );
    let body = if namespec.is_empty() {
        "No process name found"
    } else {
        log_text
    };
    h.push_str(&format!(
        "<pre id=\"tailbody\">{}</pre>\n",
        escape_html(body)
    ));
    if !namespec.is_empty() {
        h.push_str(&format!(
            "<p><a href=\"tail.html?processname={}&amp;limit={limit}\">Refresh</a></p>\n",
            url_quote(namespec)
        ));
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> Vec<(String, String)> {
        parse_query(s)
    }

    fn row(ns: &str, group: &str, name: &str, state: &str) -> Row {
        Row {
            namespec: ns.into(),
            name: name.into(),
            group: group.into(),
            state_name: state.into(),
            description: "pid 1, uptime 0:00:01".into(),
        }
    }

    #[test]
    fn escaping_hostile_text() {
        assert_eq!(
            escape_html("<script>alert(\"x\")</script>"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
        );
        assert_eq!(escape_html("a&b 'c'"), "a&amp;b &#39;c&#39;");
        assert_eq!(escape_html("plain é"), "plain é");
    }

    #[test]
    fn quoting_like_python() {
        assert_eq!(url_quote("g:a"), "g%3Aa");
        assert_eq!(url_quote("a b/c~d_e.f-g*"), "a%20b/c~d_e.f-g%2A");
        assert_eq!(url_quote("é\"<"), "%C3%A9%22%3C");
        assert_eq!(
            redirect_location("http://127.0.0.1:9001", "ERROR: Process g:c: no such file"),
            "http://127.0.0.1:9001/?message=ERROR%3A%20Process%20g%3Ac%3A%20no%20such%20file"
        );
    }

    #[test]
    fn query_parsing_like_parse_qsl() {
        assert_eq!(
            q("a=1&b=x+y&c=%3Cz%3E&d=&e&a=2&f=%zz&g=%C3%A9"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "<z>".into()),
                ("a".into(), "2".into()),
                ("f".into(), "%zz".into()),
                ("g".into(), "é".into()),
            ]
        );
        assert_eq!(query_value(&q("a=1&a=2"), "a"), Some("1"));
        assert_eq!(
            message_param(&q("message=Process%20a%20stopped")),
            Some("Process a stopped")
        );
        assert_eq!(message_param(&q("message=")), None);
        assert_eq!(q("x=%4"), vec![("x".into(), "%4".into())]);
    }

    #[test]
    fn every_action_parsed() {
        let cases = [
            ("action=refresh", Some(Action::Refresh)),
            ("processname=a&action=refresh", Some(Action::Refresh)),
            ("action=stopall", Some(Action::StopAll)),
            ("action=restartall", Some(Action::RestartAll)),
            (
                "processname=g%3Aa&action=start",
                Some(Action::Start("g:a".into())),
            ),
            ("action=stop&processname=a", Some(Action::Stop("a".into()))),
            (
                "processname=a&action=restart",
                Some(Action::Restart("a".into())),
            ),
            (
                "processname=a&action=clearlog",
                Some(Action::ClearLog("a".into())),
            ),
            ("", None),
            ("processname=a", None),
            ("action=", None),
            ("action=stop", None),
            ("processname=&action=stop", None),
            ("processname=a&action=bogus", None),
            ("action=STOP&processname=a", None),
            ("message=hi", None),
        ];
        for (query, want) in cases {
            assert_eq!(parse_action(&q(query)), want, "{query}");
        }
    }

    #[test]
    fn messages_as_the_reference() {
        let t = "Fri Dec  4 21:02:41 2026";
        let ns = |s: &str| s.to_owned();
        let m = |a: Action, o: Outcome| message_for(&a, &o, t);
        assert_eq!(
            m(Action::Refresh, Outcome::Done),
            "Page refreshed at Fri Dec  4 21:02:41 2026"
        );
        assert_eq!(
            m(Action::StopAll, Outcome::Done),
            "All stopped at Fri Dec  4 21:02:41 2026"
        );
        assert_eq!(
            m(Action::RestartAll, Outcome::Done),
            "All restarted at Fri Dec  4 21:02:41 2026"
        );
        assert_eq!(
            m(Action::Start(ns("a")), Outcome::Done),
            "Process a started"
        );
        assert_eq!(
            m(Action::Stop(ns("g:b")), Outcome::Done),
            "Process g:b stopped"
        );
        assert_eq!(
            m(Action::Restart(ns("a")), Outcome::Done),
            "Process a restarted"
        );
        assert_eq!(
            m(Action::ClearLog(ns("d")), Outcome::Done),
            "Log for d cleared"
        );
        assert_eq!(
            m(Action::Stop(ns("zz")), Outcome::NoSuchProcess),
            "No such process named zz"
        );
        let start_err = |f: Fault| m(Action::Start(ns("g:c")), Outcome::Fault(f, Some(ns("g:c"))));
        assert_eq!(start_err(Fault::NoFile), "ERROR: Process g:c: no such file");
        assert_eq!(
            start_err(Fault::NotExecutable),
            "ERROR: Process g:c: file not executable"
        );
        assert_eq!(
            start_err(Fault::AlreadyStarted),
            "ERROR: Process g:c: already started"
        );
        assert_eq!(
            start_err(Fault::SpawnError),
            "ERROR: Process g:c: spawn error"
        );
        assert_eq!(
            start_err(Fault::AbnormalTermination),
            "ERROR: Process g:c: abnormal termination"
        );
        assert_eq!(
            start_err(Fault::ShutdownState),
            "ERROR: Process g:c: unexpected rpc fault [6] SHUTDOWN_STATE: g:c"
        );
        assert_eq!(
            m(
                Action::Stop(ns("a")),
                Outcome::Fault(Fault::NotRunning, Some(ns("a")))
            ),
            "unexpected rpc fault [70] NOT_RUNNING: a"
        );
        assert_eq!(
            m(
                Action::ClearLog(ns("a")),
                Outcome::Fault(Fault::Failed, None)
            ),
            "unexpected rpc fault [30] FAILED"
        );
        assert_eq!(
            m(
                Action::Restart(ns("a")),
                Outcome::Fault(Fault::SpawnError, None)
            ),
            "Process a restarted"
        );
    }

    #[test]
    fn server_urls() {
        assert_eq!(
            server_url(Some("127.0.0.1:9001"), "x", 1),
            "http://127.0.0.1:9001"
        );
        assert_eq!(
            server_url(Some("example.com:80"), "x", 1),
            "http://example.com"
        );
        assert_eq!(
            server_url(Some(" example.com "), "x", 1),
            "http://example.com"
        );
        assert_eq!(server_url(None, "localhost", 9001), "http://localhost:9001");
        assert_eq!(server_url(None, "localhost", 80), "http://localhost");
    }

    #[test]
    fn table_rows_and_links() {
        let rows = [
            row("g:b", "g", "b", "STOPPED"),
            row("a", "a", "a", "RUNNING"),
            row("g:c", "g", "c", "STARTING"),
            row("f", "f", "f", "FATAL"),
        ];
        let page = index_page(&rows, None, "supervisor", "4.3.0");
        // Sorted by (group, name): a, f, g:b, g:c.
        let pos = |s: &str| page.find(s).unwrap_or_else(|| panic!("missing {s}"));
        assert!(pos(">a</a>") < pos(">f</a>"));
        assert!(pos(">f</a>") < pos(">g:b</a>"));
        assert!(pos(">g:b</a>") < pos(">g:c</a>"));
        for link in [
            "href=\"index.html?action=refresh\"",
            "href=\"index.html?action=restartall\"",
            "href=\"index.html?action=stopall\"",
            "href=\"index.html?processname=a&amp;action=restart\" name=\"Restart\"",
            "href=\"index.html?processname=a&amp;action=stop\" name=\"Stop\"",
            "href=\"index.html?processname=a&amp;action=clearlog\"",
            "href=\"tail.html?processname=a\" target=\"_blank\">a</a>",
            "href=\"logtail/a\" name=\"Tail -f Stdout\" target=\"_blank\"",
            "href=\"logtail/a/stderr\" name=\"Tail -f Stderr\" target=\"_blank\"",
            "href=\"index.html?processname=g%3Ab&amp;action=start\" name=\"Start\"",
            "href=\"index.html?processname=f&amp;action=start\"",
            "href=\"tail.html?processname=g%3Ab\"",
            "href=\"logtail/g%3Ac/stderr\"",
            "<span class=\"statusrunning\">running</span>",
            "<span class=\"statusnominal\">stopped</span>",
            "<span class=\"statuserror\">fatal</span>",
            "<span class=\"statusnominal\">starting</span>",
            "<th class=\"state\">State</th><th class=\"desc\">Description</th>\
             <th class=\"name\">Name</th><th class=\"action\">Action</th>",
            "Supervisor 4.3.0",
        ] {
            pos(link);
        }
        assert!(!page.contains("processname=a&amp;action=start\""));
        assert!(!page.contains("processname=g%3Ab&amp;action=stop"));
        assert!(!page.contains("processname=g%3Ac&amp;action=st"));
        assert!(!page.contains("processname=g%3Ac&amp;action=restart"));
        assert!(!page.contains("class=\"status_msg\""));
        assert!(!page.contains("<script") && !page.contains("<link") && !page.contains("src="));
        assert_eq!(page.matches("<tr class=\"shade\">").count(), 2);
    }

    #[test]
    fn page_escapes_everything() {
        let mut r = row("<script>x</script>", "<script>x</script>", "n", "RUNNING");
        r.description = "\"quoted\" & <b>".into();
        let page = index_page(
            &[r],
            Some("Process <img src=x onerror=alert(1)> stopped"),
            "id\"<>",
            "4.3.0<",
        );
        assert!(!page.contains("<script>x"));
        assert!(!page.contains("<img"));
        assert!(!page.contains("<b>"));
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;</a>"));
        assert!(page.contains("tail.html?processname=%3Cscript%3Ex%3C/script%3E\""));
        assert!(page.contains("<td>&quot;quoted&quot; &amp; &lt;b&gt;</td>"));
        assert!(page.contains(
            "<div class=\"status_msg\" id=\"message\">Process &lt;img src=x onerror=alert(1)&gt; stopped</div>"
        ));
        assert!(page.contains("<small>id&quot;&lt;&gt;</small>"));
        assert!(page.contains("Supervisor 4.3.0&lt;"));
    }

    #[test]
    fn empty_table() {
        let page = index_page(&[], Some(""), "supervisor", "4.3.0");
        assert!(page.contains("No programs to manage"));
        assert!(!page.contains("<table"));
        assert!(!page.contains("class=\"status_msg\""));
    }

    #[test]
    fn tail_pages() {
        let page = tail_page("g:d", "<script>alert(1)</script> & stuff\n", 1024);
        assert!(page.contains("<title>Supervisor tail of process g:d</title>"));
        assert!(page.contains(">&lt;script&gt;alert(1)&lt;/script&gt; &amp; stuff\n</pre>"));
        assert!(page.contains("href=\"tail.html?processname=g%3Ad&amp;limit=1024\""));
        let none = tail_page("", "ignored", 1024);
        assert!(none.contains("<title>Supervisor tail of process None</title>"));
        assert!(none.contains(">No process name found</pre>"));
        assert!(!none.contains("ignored") && !none.contains("href"));
        assert_eq!(tail_limit(&q("")), 1024);
        assert_eq!(tail_limit(&q("limit=5")), 1024);
        assert_eq!(tail_limit(&q("limit=5000")), 5000);
        assert_eq!(tail_limit(&q("limit=-5")), 1024);
        assert_eq!(tail_limit(&q("limit=abc")), 1024);
        assert_eq!(tail_limit(&q("limit=99999999999999999999999")), usize::MAX);
        assert_eq!(tail_no_file("a"), "No file for a");
        assert_eq!(
            tail_fault(Fault::BadName, Some("zz")),
            "ERROR: unexpected rpc fault [10] BAD_NAME: zz"
        );
    }
}
