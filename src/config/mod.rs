//! Loading `supervisord.conf`: the INI dialect, `%(name)s` expansion, value types,
//! `[include]`, and validation into [`model::Config`].

pub mod model;
pub mod shlex;
