//! The bytes a connection has queued for its socket: appended at the end, written from the
//! front, compacted so a slow reader never keeps more than 64 KiB of sent bytes around.

/// Queued output and how much of it the socket has taken.
#[derive(Debug, Default)]
pub struct OutBuf {
    bytes: Vec<u8>,
    sent: usize,
}

/// Sent bytes beyond this are dropped from the front even while more is queued.
const COMPACT_AT: usize = 64 * 1024;

impl OutBuf {
    /// The bytes not yet written.
    pub fn unsent(&self) -> &[u8] {
        &self.bytes[self.sent..]
    }

    /// How many bytes are not yet written.
    pub fn pending(&self) -> usize {
        self.bytes.len() - self.sent
    }

    /// Marks `n` bytes of [`OutBuf::unsent`] as written.
    pub fn consume(&mut self, n: usize) {
        self.sent = (self.sent + n).min(self.bytes.len());
        if self.sent == self.bytes.len() {
            self.bytes.clear();
            self.sent = 0;
        } else if self.sent > COMPACT_AT {
            self.bytes.drain(..self.sent);
            self.sent = 0;
        }
    }

    /// Queues `data`.
    pub fn extend_from_slice(&mut self, data: &[u8]) {
        self.bytes.extend_from_slice(data);
    }

    /// The queue itself, for the writers that append to a `Vec<u8>`.
    pub fn queue(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
}

impl Extend<u8> for OutBuf {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        self.bytes.extend(iter);
    }
}

#[cfg(test)]
mod tests {
    use super::OutBuf;

    #[test]
    fn consumed_bytes_leave_and_the_rest_stays_in_order() {
        let mut b = OutBuf::default();
        b.extend_from_slice(b"hello ");
        b.extend(*b"world");
        b.consume(6);
        assert_eq!(b.unsent(), b"world");
        assert_eq!(b.pending(), 5);
        b.consume(100);
        assert_eq!((b.unsent(), b.pending()), (&b""[..], 0));
    }

    #[test]
    fn a_long_partly_written_queue_is_compacted() {
        let mut b = OutBuf::default();
        b.extend_from_slice(&vec![1u8; 100 * 1024]);
        b.extend_from_slice(b"tail");
        b.consume(100 * 1024);
        assert_eq!(b.unsent(), b"tail");
        assert_eq!(b.queue().len(), 4);
    }
}
