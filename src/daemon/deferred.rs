//! Answers that wait for processes, for the codecs that answer with data: an XML-RPC call
//! (`startProcess` with `wait`) or a page action (the redirect after `Stop`). A wait reports
//! its [`Verdict`]s; the answer is built from them and sent at the wait's `Finish`.

use crate::daemon::procs::Procs;
use crate::daemon::rpc_values::verdicts_answer;
use crate::daemon::waits::Verdict;
use crate::protocol::http::Response;
use crate::protocol::web::{self, Action, Outcome};
use crate::protocol::xmlrpc::{self, Fault, Value};
use crate::sys;

/// What a deferred answer becomes.
#[derive(Debug)]
pub enum Deferred {
    /// An XML-RPC call: `true` or a fault for one process (`single`), else an array.
    Rpc {
        /// One process.
        single: bool,
        /// The answer, once the wait reported.
        answer: Option<Result<Value, Fault>>,
    },
    /// A `system.multicall` whose current call waits: the results so far, the calls left,
    /// and the current call's answer once its wait reported.
    Multicall {
        /// Results of the calls done (values or fault structs).
        results: Vec<Value>,
        /// Calls not run yet.
        rest: std::collections::VecDeque<Value>,
        /// The current call concerns one process.
        single: bool,
        /// The current call's answer, once its wait reported.
        answer: Option<Result<Value, Fault>>,
    },
    /// A page action: a redirect to the page with the action's message.
    Web {
        /// What was asked.
        action: Action,
        /// `http://host[:port]` for the redirect.
        base: String,
        /// How it went, once the wait reported.
        outcome: Option<Outcome>,
    },
}

impl Deferred {
    /// Takes in a wait's verdicts (a restart reports twice: the start's count).
    pub fn verdicts(&mut self, procs: &Procs, verdicts: &[Verdict]) {
        match self {
            Deferred::Rpc { single, answer } | Deferred::Multicall { single, answer, .. } => {
                *answer = Some(verdicts_answer(procs, *single, verdicts))
            }
            Deferred::Web {
                action, outcome, ..
            } => *outcome = Some(outcome_of(action, verdicts)),
        }
    }

    /// The response to send at the wait's end.
    pub fn response(self) -> Response {
        match self {
            Deferred::Rpc { answer, .. } => {
                let body = match answer.unwrap_or(Ok(Value::Bool(true))) {
                    Ok(v) => xmlrpc::render_response(&v),
                    Err(f) => xmlrpc::render_fault(&f),
                };
                Response::new(200, "text/xml", body)
            }
            Deferred::Multicall { results, .. } => {
                let body = xmlrpc::render_response(&Value::Array(results));
                Response::new(200, "text/xml", body)
            }
            Deferred::Web {
                action,
                base,
                outcome,
            } => redirect(&base, &action, &outcome.unwrap_or(Outcome::Done)),
        }
    }
}

/// The redirect after an action, with its message.
pub fn redirect(base: &str, action: &Action, outcome: &Outcome) -> Response {
    let now = sys::wall_clock_ms() / 1000;
    let ctime = crate::time::ctime(&sys::localtime(now as i64));
    let message = web::message_for(action, outcome, &ctime);
    Response::new(301, "text/html;charset=utf-8", Vec::new())
        .with_header("Location", &web::redirect_location(base, &message))
}

/// How a waited-for page action ended, from its verdicts.
pub fn outcome_of(action: &Action, verdicts: &[Verdict]) -> Outcome {
    if matches!(
        action,
        Action::Restart(_) | Action::StopAll | Action::RestartAll
    ) {
        // The reference ignores their faults.
        return Outcome::Done;
    }
    match verdicts
        .iter()
        .find_map(|v| v.fault.map(|f| (f, v.spec.clone())))
    {
        None => Outcome::Done,
        Some((f, spec)) => Outcome::Fault(f, Some(spec)),
    }
}
