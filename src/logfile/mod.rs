//! Log files: the activity log and child output logs, with rotation.
//!
//! - [`rotate`]: rotation planning (pure).
//! - [`stamp`]: line state and time stamps of child logs (pure).
//! - [`writer`]: the rotating append writer ([`LogFile`]) every log uses.
//! - [`activity`]: the main log ([`Logger`]).
//! - [`syslog`]: datagrams to `/dev/log`.
//! - [`auto`]: AUTO child log names and their cleanup.
//! - [`ansi`]: escape stripping.
//! - [`mod@tail`]: reading logs back for the control protocol.

pub mod activity;
pub mod ansi;
pub mod auto;
pub mod rotate;
pub mod stamp;
pub mod syslog;
pub mod tail;
pub mod writer;

pub use activity::{LogTarget, Logger, Opened};
pub use ansi::{strip_ansi, AnsiStripper};
pub use auto::{clear_auto_logs, create_auto_log, is_auto_log_name};
pub use stamp::LineStamper;
pub use syslog::Syslog;
pub use tail::{last_bytes, read_log, tail, ReadLogError, Tail};
pub use writer::{LogEvent, LogFile, LogPerms, RotateNow};
