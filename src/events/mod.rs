//! The event system (reference §6): event types and their payloads, listener pools with
//! their buffers and serials, the listener protocol, and capture mode. All pure: the daemon
//! feeds bytes and state changes in and carries out what comes back.

pub mod capture;
pub mod listener;
pub mod pool;
pub mod types;
