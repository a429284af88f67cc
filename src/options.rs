//! The supervisord command line (reference section 2.1).
