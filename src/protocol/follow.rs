//! Pure planning for `tail` and `tail -f`: which bytes of a log file to send. The daemon
//! stats and reads the files; these functions only decide (reference 5.2 `readProcessLog`
//! and 5.4 `/logtail`).

/// How far before the end a `-f` stream starts (the reference's 1024 bytes).
pub const FOLLOW_BACKLOG: u64 = 1024;

/// The marker sent when a followed file shrinks.
pub const TRUNCATED: &[u8] = b"==> File truncated <==\n";

/// Where `tail -N` starts reading in a file of `size` bytes: the last `bytes` bytes, or the
/// whole file for 0.
pub fn tail_start(size: u64, bytes: u64) -> u64 {
    if bytes == 0 {
        0
    } else {
        size.saturating_sub(bytes)
    }
}

/// What a stream should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowStep {
    /// Nothing new; wait for the next poll.
    Wait,
    /// Read `len` bytes at `from` from the open file, push them, then call
    /// [`Follower::advance`] with the count actually read.
    Read {
        /// Offset.
        from: u64,
        /// Byte count.
        len: u64,
    },
    /// The file shrank: push [`TRUNCATED`]; reading continues from the start.
    Truncated,
    /// The path now names another file (rotation) and the old one is drained: open the path
    /// again and call [`Follower::reopened`].
    Reopen,
}

/// The position of one `tail -f` stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Follower {
    offset: Option<u64>,
}

impl Follower {
    /// A stream that has not read anything yet.
    pub fn new() -> Follower {
        Follower::default()
    }

    /// Decides the next step from the open file's inode and size and the inode now at the
    /// path (`None` when the path is missing). `max_chunk` bounds one read, so a slow client
    /// never makes the daemon read a whole file at once.
    pub fn poll(
        &mut self,
        open_ino: u64,
        open_size: u64,
        path_ino: Option<u64>,
        max_chunk: u64,
    ) -> FollowStep {
        let offset = *self
            .offset
            .get_or_insert(open_size.saturating_sub(FOLLOW_BACKLOG));
        if open_size < offset {
            self.offset = Some(0);
            return FollowStep::Truncated;
        }
        if open_size > offset {
            return FollowStep::Read {
                from: offset,
                len: (open_size - offset).min(max_chunk.max(1)),
            };
        }
        match path_ino {
            Some(ino) if ino != open_ino => FollowStep::Reopen,
            _ => FollowStep::Wait,
        }
    }

    /// `n` bytes were read and pushed.
    pub fn advance(&mut self, n: u64) {
        if let Some(o) = self.offset.as_mut() {
            *o += n;
        }
    }

    /// The path was opened again after [`FollowStep::Reopen`]: read the new file from its
    /// start.
    pub fn reopened(&mut self) {
        self.offset = Some(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_ranges() {
        assert_eq!(tail_start(5000, 1600), 3400);
        assert_eq!(tail_start(100, 1600), 0);
        assert_eq!(tail_start(100, 0), 0);
    }

    #[test]
    fn follows_growth_truncation_and_rotation() {
        let mut f = Follower::new();
        assert_eq!(
            f.poll(7, 5000, Some(7), 4096),
            FollowStep::Read {
                from: 3976,
                len: 1024
            }
        );
        f.advance(1024);
        assert_eq!(f.poll(7, 5000, Some(7), 4096), FollowStep::Wait);
        assert_eq!(
            f.poll(7, 9000, Some(7), 1000),
            FollowStep::Read {
                from: 5000,
                len: 1000
            }
        );
        f.advance(1000);
        f.advance(3000);
        // Truncated in place (copytruncate).
        assert_eq!(f.poll(7, 10, Some(7), 4096), FollowStep::Truncated);
        assert_eq!(
            f.poll(7, 10, Some(7), 4096),
            FollowStep::Read { from: 0, len: 10 }
        );
        f.advance(10);
        // Rotated: the old file is drained first, then the new one is opened.
        assert_eq!(
            f.poll(7, 20, Some(8), 4096),
            FollowStep::Read { from: 10, len: 10 }
        );
        f.advance(10);
        assert_eq!(f.poll(7, 20, Some(8), 4096), FollowStep::Reopen);
        f.reopened();
        assert_eq!(
            f.poll(8, 3, Some(8), 4096),
            FollowStep::Read { from: 0, len: 3 }
        );
        f.advance(3);
        // The path vanished (rotation in progress): keep waiting on the open file.
        assert_eq!(f.poll(8, 3, None, 4096), FollowStep::Wait);
    }

    #[test]
    fn small_files_start_at_zero() {
        let mut f = Follower::new();
        assert_eq!(f.poll(1, 0, Some(1), 4096), FollowStep::Wait);
        assert_eq!(
            f.poll(1, 5, Some(1), 4096),
            FollowStep::Read { from: 0, len: 5 }
        );
    }
}
