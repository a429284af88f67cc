//! The programs' entry points, so that the thin `src/bin/*` wrappers and the multi-call
//! binary (`supervisor-rs`, dispatching on `argv[0]`) share one body each:
//! - [`supervisord`]: the daemon's command line;
//! - [`pidproxy`]: the signal-forwarding wrapper;
//! - [`multicall`]: `supervisor-rs`, which runs one of the tools by the name it was invoked
//!   under (a symlink) or by its first argument.
//!
//! supervisorctl's entry point is [`crate::ctl::main`].

pub mod multicall;
pub mod pidproxy;
pub mod supervisord;
