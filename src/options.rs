//! The supervisord command line (reference section 2.1).

/// Parsed supervisord command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {}
