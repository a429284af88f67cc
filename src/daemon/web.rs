//! The web page (`/`, `/index.html`, `/tail.html`): a page link's action is carried out as
//! the reference's page does it (start and stop wait for the processes, through the same
//! [`Wait`]s as the other protocols), then the browser is redirected to the page with the
//! reference's message; the page itself is rendered by `protocol::web` from the status rows.

use crate::daemon::deferred::{redirect, Deferred};
use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::daemon::names;
use crate::daemon::waits::Wait;
use crate::process::machine::Mood;
use crate::protocol::http::{Request, Response};
use crate::protocol::results::Action as ResultAction;
use crate::protocol::web::{self, Action, Outcome, Row};
use crate::protocol::Fault;
use crate::time::Mono;

/// The page's headers besides its type: never cached, as the reference's.
const NO_CACHE: [(&str, &str); 3] = [
    ("Pragma", "no-cache"),
    ("Cache-Control", "no-cache"),
    ("Expires", "Thu, 01 Jan 1970 00:00:00 GMT"),
];

fn html(status: u16, page: String) -> Response {
    NO_CACHE.iter().fold(
        Response::new(status, "text/html;charset=utf-8", page.into_bytes()),
        |r, (k, v)| r.with_header(k, v),
    )
}

/// The raw query of a request target, as the page's parser (`parse_qsl`) reads it.
pub(super) fn query(req: &Request) -> Vec<(String, String)> {
    let raw = req.target.split_once('?').map_or("", |(_, q)| q);
    let mut q = web::parse_query(raw);
    if req.method == "POST" {
        q.extend(web::parse_query(&String::from_utf8_lossy(&req.body)));
    }
    q
}

impl Daemon {
    /// `GET /`, `/index.html`, `/tail.html`; anything else is 404.
    pub(super) fn web_request(&mut self, key: Key, req: &Request, now: Mono) {
        let page = req.path.trim_start_matches('/');
        let resp = match page {
            "" | "index.html" => {
                let q = query(req);
                if web::query_value(&q, "action").is_none() {
                    let rows = self.web_rows();
                    let message = web::message_param(&q);
                    let id = &self.config.supervisord.identifier;
                    html(200, web::index_page(&rows, message, id, crate::VERSION))
                } else if self.sup.lifecycle().mood() != Mood::Running {
                    html(500, String::from("supervisor shutting down"))
                } else {
                    match web::parse_action(&q) {
                        None => html(500, String::from("Internal Server Error")),
                        Some(action) => {
                            let base = web::server_url(req.header("Host"), "localhost", 80);
                            match self.web_action(key, action, base, now) {
                                Some(resp) => resp,
                                None => return,
                            }
                        }
                    }
                }
            }
            "tail.html" => self.web_tail(req),
            _ => Response::not_found(),
        };
        self.control.respond(key, resp, &mut self.io);
    }

    fn web_rows(&self) -> Vec<Row> {
        self.status_rows()
            .into_iter()
            .map(|r| Row {
                namespec: r.namespec(),
                name: r.name,
                group: r.group,
                state_name: r.state_name,
                description: r.description,
            })
            .collect()
    }

    /// Carries out a page action: the redirect now, or `None` when it waits for processes
    /// (the redirect goes out when the wait finishes).
    fn web_action(
        &mut self,
        key: Key,
        action: Action,
        base: String,
        now: Mono,
    ) -> Option<Response> {
        let procs = self.sup.procs();
        if let Some(ns) = action.namespec() {
            if names::find_one(procs, ns).is_none() {
                return Some(redirect(&base, &action, &Outcome::NoSuchProcess));
            }
        }
        let all = vec!["all".to_string()];
        let wait = match &action {
            Action::Refresh => return Some(redirect(&base, &action, &Outcome::Done)),
            Action::ClearLog(ns) => {
                let id = names::find_one(procs, ns)?;
                let outcome = if self.clear_process_logs(id) {
                    Outcome::Done
                } else {
                    Outcome::Fault(Fault::Failed, Some(ns.clone()))
                };
                return Some(redirect(&base, &action, &outcome));
            }
            Action::Start(ns) => {
                let mut items =
                    names::resolve(procs, std::slice::from_ref(ns), ResultAction::Start);
                for it in items.iter_mut() {
                    if let Some((f, why)) = it.proc.and_then(|id| self.try_start(id, now)) {
                        it.settle(ResultAction::Start, Some(f), "");
                        it.why = why;
                    }
                }
                Wait::start(key, items)
            }
            Action::Stop(ns) | Action::Restart(ns) => {
                let items = names::resolve(procs, std::slice::from_ref(ns), ResultAction::Stop);
                let then = matches!(action, Action::Restart(_)).then(|| vec![ns.clone()]);
                self.sup.wish_stopped(&items);
                Wait::stop(key, items, self.sup.procs(), then)
            }
            Action::StopAll | Action::RestartAll => {
                let items = names::resolve(procs, &all, ResultAction::Stop);
                let then = matches!(action, Action::RestartAll).then(|| all.clone());
                self.sup.wish_stopped(&items);
                Wait::stop(key, items, self.sup.procs(), then)
            }
        };
        let deferred = Deferred::Web {
            action,
            base,
            outcome: None,
        };
        self.control.defer(key, deferred);
        let mut wait = wait;
        self.run_wait(&mut wait, now);
        if !wait.is_done() {
            self.control.add_wait(wait);
        }
        None
    }

    fn web_tail(&self, req: &Request) -> Response {
        let q = query(req);
        let Some(ns) = web::query_value(&q, "processname") else {
            return html(200, web::tail_page("", "", 1024));
        };
        let limit = web::tail_limit(&q);
        let Some(id) = names::find_one(self.sup.procs(), ns) else {
            let text = web::tail_fault(Fault::BadName, Some(ns));
            return html(200, web::tail_page(ns, &text, limit));
        };
        let path = self
            .sup
            .procs()
            .get(id)
            .and_then(|p| p.logs[0].path.clone());
        let text = match path.map(|p| crate::logfile::tail::last_bytes(&p, limit as u64)) {
            Some(Ok(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => web::tail_no_file(ns),
        };
        html(200, web::tail_page(ns, &text, limit))
    }
}
