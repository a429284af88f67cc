//! Arbitrary bytes, split at arbitrary points, into an `HttpConn` answered by a
//! deterministic responder. Checks: no panic, bounded output, no reading once closed.
//!
//! The first 4 bytes seed the choices (read sizes, respond or stream, write progress,
//! timers, EOF); the rest is the wire input.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::time::Duration;
use supervisor::protocol::http::{HttpConn, Limits, Response};
use supervisor::time::Mono;

struct Rng(u32);

impl Rng {
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0 % n.max(1)
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 4 {
        return;
    }
    let seed = u32::from_le_bytes([data[0], data[1], data[2], data[3]]);
    let input = &data[4..];
    let mut rng = Rng(seed | 1);
    // Small limits so the bounds are reached by short inputs.
    let limits = Limits {
        max_head: 256,
        max_body: 512,
        max_headers: 8,
        out_high_water: 1024,
        idle: Duration::from_secs(10),
        stall: Duration::from_secs(5),
    };
    // The largest single push: a response echoing a whole body, plus headers.
    let bound = limits.out_high_water + limits.max_body + 1024;
    let mut c = HttpConn::with_limits(limits, Mono::from_ms(0));
    let mut now = 0u64;
    let mut pos = 0;
    let mut eof = false;
    for _ in 0..10_000 {
        if c.should_close() {
            assert!(!c.wants_read(), "reads after close");
            return;
        }
        now += rng.below(3000) as u64;
        let t = Mono::from_ms(now);
        if c.wants_read() && pos < input.len() {
            let n = (1 + rng.below(64) as usize).min(input.len() - pos);
            c.feed(&input[pos..pos + n], t);
            pos += n;
        } else if pos >= input.len() && !eof && rng.below(2) == 0 {
            c.feed_eof();
            eof = true;
        }
        while let Some(req) = c.next_request(t) {
            assert!(req.body.len() <= limits.max_body);
            match rng.below(3) {
                0 => c.respond(Response::new(200, "text/plain", req.body.clone())),
                1 => {
                    c.start_stream(200, &[("X-Name", &req.path)]);
                    c.push_stream(&req.body);
                    c.end_stream();
                }
                _ => c.respond(Response::not_found().with_header("X-Target", &req.target)),
            }
        }
        assert!(c.output().len() <= bound, "output {}", c.output().len());
        if c.wants_write() {
            let n = rng.below(c.output().len() as u32 + 1) as usize;
            c.consume(n);
        }
        if let Some(d) = c.next_deadline() {
            if rng.below(4) == 0 {
                now = now.max(d.0);
                c.on_timer(Mono::from_ms(now));
            }
        }
        if pos >= input.len() && eof && !c.wants_write() && !c.in_flight() {
            // Nothing left to drive: a final timer must settle it.
            c.on_timer(Mono::from_ms(now + 3_600_000));
            assert!(c.should_close() || c.next_deadline().is_some());
            return;
        }
    }
});
