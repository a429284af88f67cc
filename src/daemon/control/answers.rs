//! The control part's HTTP side: whole responses, deferred answers (an XML-RPC call or a
//! page action that waits for processes) and streamed log tails.

use std::path::PathBuf;

use super::codec::Codec;
use super::Control;
use crate::daemon::deferred::Deferred;
use crate::daemon::io::{Io, Key};
use crate::daemon::procs::Procs;
use crate::daemon::waits::Verdict;
use crate::protocol::http::Response;
use crate::protocol::xmlrpc::{self, Value};

impl Control {
    /// Sends a whole HTTP response.
    pub fn respond(&mut self, key: Key, resp: Response, io: &mut Io) {
        if let Some(Codec::Http(h)) = self.clients.get_mut(&key).map(|c| &mut c.codec) {
            h.conn.respond(resp);
        }
        self.flush(key, io);
    }

    /// Sends an XML-RPC answer.
    pub fn respond_rpc(&mut self, key: Key, answer: Result<Value, xmlrpc::Fault>, io: &mut Io) {
        let body = match &answer {
            Ok(v) => xmlrpc::render_response(v),
            Err(f) => xmlrpc::render_fault(f),
        };
        self.respond(key, Response::new(200, "text/xml", body), io);
    }

    /// The client's answer waits for processes.
    pub fn defer(&mut self, key: Key, deferred: Deferred) {
        if let Some(Codec::Http(h)) = self.clients.get_mut(&key).map(|c| &mut c.codec) {
            h.deferred = Some(deferred);
        }
    }

    /// Takes the client's multicall state, if its answer is a multicall in progress.
    pub fn take_multicall(&mut self, key: Key) -> Option<Deferred> {
        let Some(Codec::Http(h)) = self.clients.get_mut(&key).map(|c| &mut c.codec) else {
            return None;
        };
        match h.deferred {
            Some(Deferred::Multicall { .. }) => h.deferred.take(),
            _ => None,
        }
    }

    /// A wait of the client reported how each process ended.
    pub fn verdicts(&mut self, key: Key, procs: &Procs, verdicts: &[Verdict]) {
        if let Some(Codec::Http(h)) = self.clients.get_mut(&key).map(|c| &mut c.codec) {
            if let Some(d) = h.deferred.as_mut() {
                d.verdicts(procs, verdicts);
            }
        }
    }

    /// Starts a streamed HTTP response that follows `path` (`/logtail`); false when the
    /// file does not exist.
    pub fn stream_file(&mut self, key: Key, path: PathBuf, io: &mut Io) -> bool {
        if std::fs::metadata(&path).is_err() {
            return false;
        }
        if let Some(Codec::Http(h)) = self.clients.get_mut(&key).map(|c| &mut c.codec) {
            h.conn.start_stream(
                200,
                &[
                    ("Content-Type", "text/plain;charset=utf-8"),
                    ("X-Accel-Buffering", "no"),
                ],
            );
        }
        self.follow(key, path, io)
    }
}
