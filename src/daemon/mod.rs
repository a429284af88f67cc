//! The daemon: startup, the poll loop, shutdown.
