//! Sets `cfg(root)` when the crate is built by root (effective uid 0), so tests that need
//! root are `#[cfg_attr(not(root), ignore = "needs root")]` rather than silently passing.
//! The effective uid is the owner of a file we create (no libc in a build script).

use std::os::unix::fs::MetadataExt;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(root)");
    let out = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR");
    let probe = std::path::Path::new(&out).join("euid-probe");
    // A new file is owned by the creating process's effective uid (fsuid on Linux).
    let _ = std::fs::remove_file(&probe);
    std::fs::write(&probe, b"").expect("create the euid probe in OUT_DIR");
    let uid = std::fs::metadata(&probe)
        .expect("stat the euid probe in OUT_DIR")
        .uid();
    let _ = std::fs::remove_file(&probe);
    if uid == 0 {
        println!("cargo::rustc-cfg=root");
    }
}
