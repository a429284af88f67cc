//! Reading logs back from real files: readLog, tailProcessStdoutLog, last bytes.

use std::fs;
use std::path::PathBuf;

use supervisor::logfile::tail::read_file;
use supervisor::logfile::{last_bytes, read_log, tail, ReadLogError, Tail};

fn temp_file(tag: &str, contents: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("h3-lt-{}-{tag}", std::process::id()));
    fs::write(&p, contents).unwrap();
    p
}

/// (offset, length, expected result)
type Case = (i64, i64, Result<&'static [u8], ReadLogError>);

#[test]
fn read_log_offsets_and_errors() {
    let p = temp_file("read", b"0123456789");
    let cases: &[Case] = &[
        (0, 0, Ok(b"0123456789")),
        (3, 0, Ok(b"3456789")),
        (3, 4, Ok(b"3456")),
        (8, 100, Ok(b"89")),
        (50, 0, Ok(b"")),
        (-4, 0, Ok(b"6789")),
        (-400, 0, Ok(b"0123456789")),
        (-4, 2, Err(ReadLogError::BadArguments)),
        (0, -2, Err(ReadLogError::BadArguments)),
    ];
    for (off, len, want) in cases {
        let got = read_log(&p, *off, *len);
        assert_eq!(got.as_deref(), want.as_deref(), "{off} {len}");
    }
    let mut f = fs::File::open(&p).unwrap();
    assert_eq!(read_file(&mut f, -2, 0).unwrap(), b"89");
    fs::remove_file(&p).unwrap();
    assert_eq!(read_log(&p, 0, 0), Err(ReadLogError::NoFile));
    assert_eq!(
        read_log(&std::env::temp_dir(), 0, 0),
        Err(ReadLogError::Failed)
    );
}

#[test]
fn tail_follows_the_reference() {
    let p = temp_file("tail", &[b'a'; 2000]);
    let t = tail(&p, 0, 1600);
    assert_eq!((t.data.len(), t.offset, t.overflow), (1600, 2000, true));
    let t = tail(&p, 2000, 1600);
    assert_eq!((t.data.len(), t.offset, t.overflow), (0, 2000, false));
    fs::write(&p, b"short").unwrap();
    assert_eq!(
        tail(&p, 0, 1600),
        Tail {
            data: b"short".to_vec(),
            offset: 5,
            overflow: false
        }
    );
    assert_eq!(last_bytes(&p, 3).unwrap(), b"ort");
    assert_eq!(last_bytes(&p, 30).unwrap(), b"short");
    fs::remove_file(&p).unwrap();
    assert_eq!(
        tail(&p, 7, 10),
        Tail {
            data: vec![],
            offset: 0,
            overflow: false
        }
    );
}
