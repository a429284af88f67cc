//! stdout or stderr: one word for the idea everywhere (a child's output pipe, its log, a
//! `tail` request, an event's channel field).

/// A child's stdout or stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// stdout (and stderr with `redirect_stderr`).
    Stdout = 0,
    /// stderr.
    Stderr = 1,
}

impl Stream {
    /// `stdout` / `stderr`, as protocols, log messages and AUTO names spell it.
    pub fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}
