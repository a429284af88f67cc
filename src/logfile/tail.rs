//! Reading logs back: `readLog` / `readProcess*Log` ([`read_log`]), `tailProcess*Log`
//! ([`tail`]) and the last N bytes of a file ([`last_bytes`]), with the reference's
//! argument rules (§5.2). The window arithmetic is pure ([`read_window`],
//! [`tail_window`]); the I/O functions only apply it to a file.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// Why a read failed, named like the reference's faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadLogError {
    /// `BAD_ARGUMENTS`: negative length, or a negative offset with a non-zero length.
    BadArguments,
    /// `NO_FILE`: the log does not exist.
    NoFile,
    /// `FAILED`: an I/O error.
    Failed,
}

impl ReadLogError {
    /// The fault name (`BAD_ARGUMENTS`, `NO_FILE`, `FAILED`).
    pub fn fault_name(self) -> &'static str {
        match self {
            ReadLogError::BadArguments => "BAD_ARGUMENTS",
            ReadLogError::NoFile => "NO_FILE",
            ReadLogError::Failed => "FAILED",
        }
    }
}

/// Which bytes `readLog(offset, length)` returns from a file of `size` bytes:
/// `(start, max_len)`, `max_len = None` meaning to EOF.
pub fn read_window(
    size: u64,
    offset: i64,
    length: i64,
) -> Result<(u64, Option<u64>), ReadLogError> {
    if offset < 0 {
        // The last -offset bytes; a length is not allowed with it.
        if length != 0 {
            return Err(ReadLogError::BadArguments);
        }
        let back = offset.unsigned_abs();
        return Ok((size.saturating_sub(back), Some(back)));
    }
    if length < 0 {
        return Err(ReadLogError::BadArguments);
    }
    let len = (length > 0).then_some(length as u64);
    Ok((offset as u64, len))
}

/// `readLog(offset, length)` on `path`.
pub fn read_log(path: &Path, offset: i64, length: i64) -> Result<Vec<u8>, ReadLogError> {
    if !path.exists() {
        return Err(ReadLogError::NoFile);
    }
    let mut file = File::open(path).map_err(|_| ReadLogError::Failed)?;
    read_file(&mut file, offset, length)
}

/// `readLog` semantics over an open file.
pub fn read_file(file: &mut File, offset: i64, length: i64) -> Result<Vec<u8>, ReadLogError> {
    let size = file
        .seek(SeekFrom::End(0))
        .map_err(|_| ReadLogError::Failed)?;
    let (start, len) = read_window(size, offset, length)?;
    read_range(file, start, len).map_err(|_| ReadLogError::Failed)
}

fn read_range(file: &mut File, start: u64, len: Option<u64>) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    file.seek(SeekFrom::Start(start))?;
    match len {
        Some(n) => file.take(n).read_to_end(&mut out)?,
        None => file.read_to_end(&mut out)?,
    };
    Ok(out)
}

/// The result of [`tail`]: `[bytes, offset, overflow]` in the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The bytes read.
    pub data: Vec<u8>,
    /// The offset to ask for next time: always the file size.
    pub offset: i64,
    /// The file had grown past `offset + length`: bytes were skipped.
    pub overflow: bool,
}

/// `tailFile(offset, length)` for a file of `size` bytes: `(start, len, overflow)`.
/// Mirrors the reference's arithmetic exactly, including its corner cases (with
/// overflow the window is the last `length` bytes; an offset past the end reads nothing).
pub fn tail_window(size: i64, offset: i64, length: i64) -> (i64, i64, bool) {
    let (mut offset, mut length) = (offset, length);
    let mut overflow = false;
    if size > offset.saturating_add(length) {
        overflow = true;
        offset = size - 1;
    }
    if offset.saturating_add(length) > size {
        if offset > size - 1 {
            length = 0;
        }
        offset = size - length;
    }
    (offset.max(0), length.max(0), overflow)
}

/// `tailProcessStdoutLog(offset, length)` on `path`. A missing file gives
/// `('', 0, false)`; an I/O error gives `('', offset, false)`, like the reference.
pub fn tail(path: &Path, offset: i64, length: i64) -> Tail {
    if !path.exists() {
        return Tail {
            data: Vec::new(),
            offset: 0,
            overflow: false,
        };
    }
    let attempt = || -> io::Result<Tail> {
        let mut file = File::open(path)?;
        let size = file.seek(SeekFrom::End(0))? as i64;
        let (start, len, overflow) = tail_window(size, offset, length);
        let data = if len == 0 {
            Vec::new()
        } else {
            read_range(&mut file, start as u64, Some(len as u64))?
        };
        Ok(Tail {
            data,
            offset: size,
            overflow,
        })
    };
    attempt().unwrap_or(Tail {
        data: Vec::new(),
        offset,
        overflow: false,
    })
}

/// The last `n` bytes of `path` (fewer if the file is shorter).
pub fn last_bytes(path: &Path, n: u64) -> io::Result<Vec<u8>> {
    let mut file = File::open(path)?;
    let size = file.seek(SeekFrom::End(0))?;
    read_range(&mut file, size.saturating_sub(n), Some(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_windows() {
        use ReadLogError::BadArguments as Bad;
        let cases = [
            // size, offset, length -> result
            (100, 0, 0, Ok((0, None))),
            (100, 10, 0, Ok((10, None))),
            (100, 10, 5, Ok((10, Some(5)))),
            (100, 200, 5, Ok((200, Some(5)))),
            (100, -30, 0, Ok((70, Some(30)))),
            (100, -300, 0, Ok((0, Some(300)))),
            (100, -30, 5, Err(Bad)),
            (100, -30, -5, Err(Bad)),
            (100, 0, -1, Err(Bad)),
        ];
        for (size, off, len, want) in cases {
            assert_eq!(read_window(size, off, len), want, "{size} {off} {len}");
        }
    }

    #[test]
    fn tail_windows() {
        let cases = [
            // size, offset, length -> (start, len, overflow)
            (0, 0, 1600, (0, 0, false)),
            (100, 0, 1600, (0, 1600, false)), // the read stops at EOF
            (2000, 0, 1600, (400, 1600, true)),
            (2000, 400, 1600, (400, 1600, false)),
            (2000, 1900, 1600, (400, 1600, false)),
            (2000, 2000, 1600, (2000, 0, false)),
            (2000, 5000, 1600, (2000, 0, false)),
            (2000, 0, 1, (1999, 1, true)),
            (2000, 0, 0, (1999, 0, true)),
            (2000, 1999, 1, (1999, 1, false)),
            (10, -5, 3, (7, 3, true)),
        ];
        for (size, off, len, want) in cases {
            assert_eq!(tail_window(size, off, len), want, "{size} {off} {len}");
        }
    }

    #[test]
    fn fault_names() {
        assert_eq!(ReadLogError::BadArguments.fault_name(), "BAD_ARGUMENTS");
        assert_eq!(ReadLogError::NoFile.fault_name(), "NO_FILE");
        assert_eq!(ReadLogError::Failed.fault_name(), "FAILED");
    }
}
