//! The daemon's HTTP routes, on the same sockets as the text protocol: `POST /RPC2...`
//! (XML-RPC, see `rpc`), `GET /logtail/NAME[/stdout|/stderr]` and `/mainlogtail` (streamed
//! like `tail -f`), `/ok.html`, `/metrics` (Prometheus text format), and the web page (`/`,
//! `/index.html`, `/tail.html`). Every route checks the server's credentials first, then what
//! the client's identity allows (`access`; XML-RPC per call).

use crate::daemon::access;
use crate::daemon::deferred::Deferred;
use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::daemon::names;
use crate::daemon::rpc::Answer;
use crate::daemon::web::query;
use crate::protocol::http::{Request, Response};
use crate::protocol::{web, xmlrpc};
use crate::stream::Stream;
use crate::time::Mono;

impl Daemon {
    /// One HTTP request from the client at `key`.
    pub(super) fn http_request(&mut self, key: Key, req: Request, authed: bool, now: Mono) {
        if !authed {
            return self
                .control
                .respond(key, Response::unauthorized(), &mut self.io);
        }
        let q = query(&req);
        let action = web::query_value(&q, "action");
        if let Some(need) = access::http_need(&req.method, &req.path, action) {
            if let Some(why) = self.control.refusal(key, need, &req.path) {
                let resp = Response::new(403, "text/plain", format!("{why}\n").into_bytes());
                return self.control.respond(key, resp, &mut self.io);
            }
        }
        let get = req.method == "GET" || req.method == "HEAD";
        let path = req.path.clone();
        if req.method == "POST" && path.starts_with("/RPC2") {
            return self.rpc_request(key, &req.body, now);
        }
        if !get {
            return self.control.respond(
                key,
                Response::new(405, "text/plain", b"Method Not Allowed\n".to_vec()),
                &mut self.io,
            );
        }
        if path == "/ok.html" {
            return self.control.respond(
                key,
                Response::new(200, "text/html", b"OK".to_vec()),
                &mut self.io,
            );
        }
        if path == "/metrics" {
            return self.metrics_http(key);
        }
        if path == "/mainlogtail" {
            let file = self.log.path().map(|p| p.to_path_buf());
            return self.logtail(key, file);
        }
        if let Some(rest) = path.strip_prefix("/logtail/") {
            let (name, stream) = match rest.rsplit_once('/') {
                Some((n, "stderr")) => (n, Stream::Stderr),
                Some((n, "stdout")) => (n, Stream::Stdout),
                _ => (rest, Stream::Stdout),
            };
            let file = names::find_one(self.sup.procs(), name)
                .and_then(|id| self.sup.procs().get(id))
                .and_then(|p| p.logs[stream as usize].path_buf());
            return self.logtail(key, file);
        }
        self.web_request(key, &req, now);
    }

    /// Streams a log file like `tail -f`; 404 when there is none.
    fn logtail(&mut self, key: Key, file: Option<std::path::PathBuf>) {
        let started = file.is_some_and(|f| self.control.stream_file(key, f, &mut self.io));
        if !started {
            self.control
                .respond(key, Response::not_found(), &mut self.io);
        }
    }

    /// `POST /RPC2`: one XML-RPC call; a body that is not one is HTTP 400.
    fn rpc_request(&mut self, key: Key, body: &[u8], now: Mono) {
        let call = match xmlrpc::parse_call(body, &xmlrpc::Limits::default()) {
            Ok(c) => c,
            Err(e) => {
                let text = format!("not an XML-RPC call: {e}\n");
                let resp = Response::new(400, "text/plain", text.into_bytes());
                return self.control.respond(key, resp, &mut self.io);
            }
        };
        match self.rpc(key, &call, now, false) {
            Answer::Now(answer) => self.control.respond_rpc(key, answer, &mut self.io),
            Answer::Wait(mut w, single) => {
                let deferred = Deferred::Rpc {
                    single,
                    answer: None,
                };
                self.control.defer(key, deferred);
                self.run_wait(&mut w, now);
                if !w.is_done() {
                    self.control.add_wait(w);
                }
            }
            Answer::Pending => {}
        }
    }
}
