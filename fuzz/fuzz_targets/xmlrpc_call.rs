//! Both XML-RPC parsers on arbitrary bytes: no panic, and whatever parses round-trips
//! (render, parse, render gives the same bytes: this compares NaN and -0.0 too).

#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor::protocol::xmlrpc::{
    parse_call, parse_response, render_call, render_fault, render_response, Limits, Response,
};

fn render(r: &Response) -> Vec<u8> {
    match r {
        Response::Value(v) => render_response(v),
        Response::Fault(f) => render_fault(f),
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(call) = parse_call(data, &limits) {
        let once = render_call(&call);
        let back = parse_call(&once, &limits).expect("a rendered call parses");
        assert_eq!(render_call(&back), once);
    }
    if let Ok(resp) = parse_response(data, &limits) {
        let once = render(&resp);
        let back = parse_response(&once, &limits).expect("a rendered response parses");
        assert_eq!(render(&back), once);
    }
});
