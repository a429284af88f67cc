//! supervisorctl: commands and output formatting.
