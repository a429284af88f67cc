//! The text-line control protocol (pure: bytes in, bytes out, no sockets). The wire format
//! is described in `PROTOCOL.md` next to this file.
//!
//! - [`words`]: splitting a line into words, quoting words back.
//! - [`request`]: the [`Request`] enum, [`parse_request`], [`render_request`], usage checks.
//! - [`reply`]: reply framing ([`render_reply`], [`ReplyParser`]).
//! - [`fault`]: fault names, [`Outcome`], exit-code rules.
//! - [`status`]: the `status` and `avail` tables, for the daemon.
//! - [`results`]: per-name result lines and their exit codes, for the daemon.
//! - [`help`]: supervisorctl's help texts.
//! - [`info`]: the JSON documents of `status --json` and `avail --json`.
//! - [`metrics`]: the Prometheus exposition of `metrics` and `GET /metrics`.
//! - [`auth`]: credentials and their constant-time check.
//! - [`sha1`]: SHA-1, for `{SHA}` passwords.
//! - [`base64`]: base64 for Basic auth and XML-RPC.
//! - [`conn`]: the server's per-connection state machine.
//! - [`outbuf`]: the output queue a connection (text or HTTP) writes from.
//! - [`http`]: a sans-IO HTTP/1.0 and 1.1 server connection (XML-RPC and the web UI).
//! - [`follow`]: which bytes of a log `tail` and `tail -f` send (pure planning).
//! - [`web`]: the web UI's pages, actions and messages (pure rendering).
//! - [`xml`]: a small strict, bounded XML pull reader (no DTDs, no entity expansion).
//! - [`xmlrpc`]: XML-RPC calls, responses and faults both ways, as Python's `xmlrpc.client`.

pub mod auth;
#[cfg(feature = "xmlrpc")]
pub mod base64;
pub mod conn;
pub mod fault;
pub mod follow;
pub mod help;
#[cfg(feature = "xmlrpc")]
pub mod http;
pub mod info;
pub mod metrics;
pub mod outbuf;
pub mod reply;
pub mod request;
pub mod results;
#[cfg(feature = "xmlrpc")]
pub mod rpc_methods;
pub mod sha1;
pub mod status;
#[cfg(feature = "xmlrpc")]
pub mod web;
pub mod words;
#[cfg(feature = "xmlrpc")]
pub mod xml;
#[cfg(feature = "xmlrpc")]
pub mod xmlrpc;

pub use conn::Conn;
pub use fault::{Fault, Outcome};
pub use reply::{render_reply, Reply, ReplyEvent, ReplyParser};
pub use request::{parse_request, render_request, ProtoError, Request, Stream, TailMode};
