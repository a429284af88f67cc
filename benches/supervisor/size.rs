//! The binary-size row: builds the static musl daemon (when the target is installed) and
//! measures it; for the reference, the size of its Python package.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The musl target triple.
pub const MUSL: &str = "x86_64-unknown-linux-musl";

/// Builds `supervisord` for musl in release (the profile strips it) into `target_dir` and
/// returns its path and size in bytes. The build log goes to `log`. `embedded`: the way
/// `packaging/build-static.sh` builds it (std rebuilt with panic=immediate-abort; needs the
/// rust-src component, unlocked on stable with RUSTC_BOOTSTRAP). `xmlrpc`: with the default
/// features; without them the HTTP/XML-RPC layer is left out, as build-static.sh does.
pub fn musl_daemon(
    manifest_dir: &Path,
    target_dir: &Path,
    log: &Path,
    embedded: bool,
    xmlrpc: bool,
) -> Result<(PathBuf, u64), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = fs::File::create(log).map_err(|e| e.to_string())?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(cargo);
    if embedded {
        cmd.env("RUSTC_BOOTSTRAP", "1")
            .env("RUSTFLAGS", "-Zunstable-options -Cpanic=immediate-abort")
            .args(["-Z", "build-std=std,panic_abort"]);
    }
    let st = cmd
        .current_dir(manifest_dir)
        .args([
            "build",
            "--release",
            "--bin",
            "supervisord",
            "--target",
            MUSL,
        ])
        .args(if xmlrpc {
            &[][..]
        } else {
            &["--no-default-features"][..]
        })
        .arg("--target-dir")
        .arg(target_dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|e| format!("cargo: {e}"))?;
    if !st.success() {
        let text = fs::read_to_string(log).unwrap_or_default();
        let first = text.lines().find(|l| l.starts_with("error")).unwrap_or("");
        return Err(format!("n/a: musl build failed: {}", first.trim()));
    }
    let bin = target_dir.join(MUSL).join("release").join("supervisord");
    let bytes = fs::read(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    if has_interp(&bytes) {
        return Err("n/a: musl build is dynamically linked".into());
    }
    if has_symtab(&bytes) {
        return Err("n/a: musl build is not stripped".into());
    }
    Ok((bin, bytes.len() as u64))
}

fn u16_at(b: &[u8], o: usize) -> usize {
    b.get(o..o + 2)
        .map_or(0, |s| u16::from_le_bytes([s[0], s[1]]) as usize)
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    b.get(o..o + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], o: usize) -> usize {
    b.get(o..o + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a) as usize
    })
}

/// A 64-bit little-endian ELF with a PT_INTERP program header is dynamically linked.
fn has_interp(b: &[u8]) -> bool {
    let (off, size, num) = (u64_at(b, 0x20), u16_at(b, 0x36), u16_at(b, 0x38));
    (0..num).any(|i| u32_at(b, off + i * size) == 3)
}

/// Whether a section of type SHT_SYMTAB (2) is present (not stripped).
fn has_symtab(b: &[u8]) -> bool {
    let (off, size, num) = (u64_at(b, 0x28), u16_at(b, 0x3a), u16_at(b, 0x3c));
    (0..num).any(|i| u32_at(b, off + i * size + 4) == 2)
}

/// Bytes of all files under `dir`.
fn tree_size(dir: &Path) -> u64 {
    let Ok(rd) = fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => tree_size(&e.path()),
            _ => e.metadata().map_or(0, |m| m.len()),
        })
        .sum()
}

/// "python3 + 4.0 MiB package" for a reference installed as a venv whose bin is `ref_bin`.
pub fn reference_package(ref_bin: &Path) -> String {
    let lib = ref_bin.parent().map(|p| p.join("lib")).unwrap_or_default();
    let pkg: Option<PathBuf> = fs::read_dir(&lib).ok().and_then(|rd| {
        rd.flatten()
            .map(|e| e.path().join("site-packages").join("supervisor"))
            .find(|p| p.is_dir())
    });
    match pkg {
        Some(p) => format!(
            "python3 + {:.1} MiB package",
            tree_size(&p) as f64 / 1048576.0
        ),
        None => "python3 + package".into(),
    }
}
