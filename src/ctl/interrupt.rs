//! Ctrl-C as a flag. supervisorctl catches SIGINT so that `tail -f` and `fg` can end cleanly
//! (`Exiting foreground`), and every blocking wait in the client polls this flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

fn flag() -> &'static Arc<AtomicBool> {
    FLAG.get_or_init(|| Arc::new(AtomicBool::new(false)))
}

/// Installs the SIGINT handler (once). Without it, Ctrl-C kills the process as usual.
pub fn install() {
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(flag()));
}

/// True (once) when Ctrl-C was pressed since the last call.
pub fn take() -> bool {
    flag().swap(false, Ordering::SeqCst)
}
