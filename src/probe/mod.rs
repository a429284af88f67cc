//! Readiness and health probes, the pure parts: what a check is (`check`), the line pattern
//! of `ready = log:REGEX` (`pattern`), and the bounded HTTP/1.0 exchange of an `http://`
//! check (`http`). The daemon drives them without blocking (`daemon::probes`).

pub mod check;
pub mod http;
pub mod pattern;
