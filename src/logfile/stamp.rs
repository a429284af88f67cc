//! [`LineStamper`]: where a child log stands in its current line, and the time stamps of
//! `*_logfile_timestamps`. Pure: the caller passes the stamp text in.
//!
//! A stamp goes only at the start of a line. A read that ends mid-line leaves the stamper
//! mid-line, so the next read continues that line without a stamp; the state lives as long
//! as the process's log entry, across reads, reopens and rotations. The same state tells
//! `log_lifecycle` whether a line must be finished before a lifecycle line is written.

use std::borrow::Cow;

/// The line state of one child log, and whether its lines are stamped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStamper {
    stamp: bool,
    mid_line: bool,
}

impl LineStamper {
    /// A log at the start of a line; `stamp` turns the time stamps on.
    pub fn new(stamp: bool) -> LineStamper {
        LineStamper {
            stamp,
            mid_line: false,
        }
    }

    /// Whether lines are stamped.
    pub fn stamps(&self) -> bool {
        self.stamp
    }

    /// Whether the last byte written was not a line end.
    pub fn mid_line(&self) -> bool {
        self.mid_line
    }

    /// The bytes to write for `data`: as they are without stamps, else with `prefix()` (asked
    /// at most once, only when a line starts in `data`) in front of every line that starts.
    pub fn apply<'a>(&mut self, data: &'a [u8], prefix: impl FnOnce() -> String) -> Cow<'a, [u8]> {
        let Some(&last) = data.last() else {
            return Cow::Borrowed(data);
        };
        let was_mid = std::mem::replace(&mut self.mid_line, last != b'\n');
        if !self.stamp {
            return Cow::Borrowed(data);
        }
        let starts = data[..data.len() - 1]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + usize::from(!was_mid);
        if starts == 0 {
            return Cow::Borrowed(data);
        }
        let prefix = prefix();
        let mut out = Vec::with_capacity(data.len() + starts * prefix.len());
        let mut at_start = !was_mid;
        for line in data.split_inclusive(|&b| b == b'\n') {
            if at_start {
                out.extend_from_slice(prefix.as_bytes());
            }
            out.extend_from_slice(line);
            at_start = true;
        }
        Cow::Owned(out)
    }

    /// Before a line that is not the child's (a `log_lifecycle` line): the line end that
    /// finishes the child's partial line, if it left one; the log is then at a line start.
    pub fn end_line(&mut self) -> &'static [u8] {
        if std::mem::take(&mut self.mid_line) {
            b"\n"
        } else {
            b""
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "2026-12-04T18:15:27.123+01:00 ";

    fn run(s: &mut LineStamper, data: &[u8]) -> String {
        String::from_utf8(s.apply(data, || T.to_string()).into_owned()).unwrap()
    }

    #[test]
    fn off_changes_nothing_but_tracks_the_line() {
        let mut s = LineStamper::new(false);
        assert_eq!(run(&mut s, b"a\nb"), "a\nb");
        assert!(s.mid_line());
        assert!(matches!(
            s.apply(b"c\n", || panic!("no clock")),
            Cow::Borrowed(_)
        ));
        assert!(!s.mid_line());
        assert_eq!(s.end_line(), b"");
    }

    #[test]
    fn every_line_start_gets_one_stamp() {
        let mut s = LineStamper::new(true);
        assert_eq!(run(&mut s, b"one\ntwo\n"), format!("{T}one\n{T}two\n"));
        assert_eq!(run(&mut s, b"\n\n"), format!("{T}\n{T}\n"));
        assert_eq!(run(&mut s, b""), "");
        assert!(!s.mid_line());
    }

    #[test]
    fn a_partial_line_is_continued_without_a_stamp() {
        let mut s = LineStamper::new(true);
        assert_eq!(run(&mut s, b"par"), format!("{T}par"));
        assert!(s.mid_line());
        // The continuation asks for no time at all.
        assert_eq!(
            String::from_utf8(s.apply(b"tial", || panic!("no stamp")).into_owned()).unwrap(),
            "tial"
        );
        assert_eq!(run(&mut s, b" line\nnext"), format!(" line\n{T}next"));
        assert_eq!(run(&mut s, b"\n"), "\n");
        assert_eq!(run(&mut s, b"x\n"), format!("{T}x\n"));
    }

    #[test]
    fn any_chunking_gives_the_same_bytes() {
        let text = b"alpha\nbe\n\nta gamma\ndelta";
        let mut whole = LineStamper::new(true);
        let want = run(&mut whole, text);
        for cut in 0..=text.len() {
            for cut2 in cut..=text.len() {
                let mut s = LineStamper::new(true);
                let got = run(&mut s, &text[..cut])
                    + &run(&mut s, &text[cut..cut2])
                    + &run(&mut s, &text[cut2..]);
                assert_eq!(got, want, "cuts at {cut} and {cut2}");
                assert_eq!(s, whole);
            }
        }
    }

    #[test]
    fn end_line_finishes_a_partial_line_once() {
        let mut s = LineStamper::new(true);
        run(&mut s, b"half");
        assert_eq!(s.end_line(), b"\n");
        assert_eq!(s.end_line(), b"");
        assert_eq!(run(&mut s, b"more\n"), format!("{T}more\n"));
    }
}
