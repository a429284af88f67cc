//! The `events [TYPE...]` request: a client subscribes (`events::tap`) and gets one line
//! per event until it goes away. Lines move from the bus into the client's connection once
//! per wake-up ([`Daemon::pump_live`]).
//!
//! Slow readers are bounded the way `tail -f` is: a stream only gets more while its
//! connection's output is below the high-water mark (256 KiB); `tail -f` then stops reading
//! its file, and since no file holds events, a line that does not fit is dropped and
//! counted, and the reader gets `- EVENTS_DROPPED count:N` before its next line. A reader
//! whose output makes no progress for the idle timeout (60 s) is disconnected, as a
//! `tail -f` reader is.

use crate::daemon::event_loop::Daemon;
use crate::daemon::io::Key;
use crate::events::tap;
use crate::protocol::fault::{exit, Fault, Outcome};

impl Daemon {
    /// Starts streaming events of `types` (all when empty) to the client.
    pub(super) fn events_request(&mut self, key: Key, types: &[String]) {
        match tap::subscriptions(types) {
            Ok(subs) => self.bus.taps_mut().add(key, subs),
            Err(msg) => {
                let o = Outcome::failed(Fault::BadArguments, exit::GENERIC);
                self.control.reply_lines(key, &[msg], o, &mut self.io);
            }
        }
    }

    /// Moves the lines owed to live subscribers into their connections; forgets the
    /// subscribers that went away.
    pub(super) fn pump_live(&mut self) {
        let lines = self.bus.taps_mut().take();
        if lines.is_empty() {
            return;
        }
        let mut touched: Vec<Key> = Vec::new();
        for (key, line) in lines {
            match self.control.stream_room(key) {
                None => self.bus.taps_mut().remove(key),
                Some(false) => self.bus.taps_mut().dropped(key),
                Some(true) => {
                    let missed = self.bus.taps_mut().take_dropped(key);
                    if missed > 0 {
                        let marker = tap::dropped_line(missed);
                        self.control.push_line(key, marker.as_bytes());
                    }
                    self.control.push_line(key, line.as_bytes());
                    if !touched.contains(&key) {
                        touched.push(key);
                    }
                }
            }
        }
        for key in touched {
            self.control.flush(key, &mut self.io);
        }
    }
}
