//! The programs' entry points, so that the thin `src/bin/*` wrappers and the multi-call
//! binary (`supervisor-rs`, dispatching on `argv[0]`) share one body each:
//! - [`supervisord`]: the daemon's command line, with [`upgrade`] (`--upgrade`);
//! - [`pidproxy`]: the signal-forwarding wrapper;
//! - [`echo_conf`]: `echo_supervisord_conf`, the sample config;
//! - [`multicall`]: `supervisor-rs`, which runs one of the tools by the name it was invoked
//!   under (a symlink) or by its first argument.
//!
//! supervisorctl's entry point is [`crate::ctl::main`].

pub mod echo_conf;
pub mod multicall;
pub mod pidproxy;
pub mod supervisord;
pub mod upgrade;
