//! The event system (reference §6): event types and their payloads, listener pools with
//! their buffers and serials, the listener protocol, and capture mode. All pure: the daemon
//! feeds bytes and state changes in and carries out what comes back.
//!
//! - [`types`]: event types, their names, hierarchy and payloads.
//! - [`pool`]: listener pools, their buffers and serials, and the bus that fills them.
//! - [`listener`]: the listener protocol, a listener's stdout to state changes and results.
//! - [`capture`]: capture mode of an output channel.
//! - [`tap`]: live subscribers of the control socket's `events` command.

pub mod capture;
pub mod listener;
pub mod pool;
pub mod tap;
pub mod types;
