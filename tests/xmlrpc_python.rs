//! The XML-RPC codec against Python's own `xmlrpc.client` (the system `python3`, standard
//! library only): we parse what Python dumps, render it back byte for byte, and Python
//! loads what we render as the values we meant.
#![cfg(feature = "xmlrpc")]

use std::io::Write;
use std::process::{Command, Stdio};

use supervisor::protocol::xmlrpc::{
    parse_call, parse_response, render_call, render_fault, render_response, Call, Fault, Limits,
    Response, Value,
};

/// Runs `script` with `input` on stdin and returns its stdout lines. A missing `python3`
/// is a failure, not a skip: CI has it.
fn python(script: &str, input: &str) -> Vec<String> {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("this test needs `python3` on PATH (standard library only): {e}")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

fn st(members: &[(&str, Value)]) -> Value {
    Value::Struct(
        members
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

enum Doc {
    Call(Call),
    Resp(Response),
}

#[test]
fn we_parse_and_rerender_what_python_dumps() {
    let bin: Vec<u8> = [0u8, 255].repeat(40);
    let cases: Vec<(&str, Doc)> = vec![
        (
            "x.dumps((1, -2, True, False, 'a<b>&c]]>', '', 1.5, -0.0, 1e300, 1e-07, [1, [2]], \
             {'k': 'v', 'n': {}}, None, x.Binary(b'\\x00\\xff' * 40), \
             x.DateTime('20240101T01:02:03')), 'supervisor.m', allow_none=True)",
            Doc::Call(Call {
                method: "supervisor.m".into(),
                params: vec![
                    Value::Int(1),
                    Value::Int(-2),
                    Value::Bool(true),
                    Value::Bool(false),
                    s("a<b>&c]]>"),
                    s(""),
                    Value::Double(1.5),
                    Value::Double(-0.0),
                    Value::Double(1e300),
                    Value::Double(1e-7),
                    Value::Array(vec![Value::Int(1), Value::Array(vec![Value::Int(2)])]),
                    st(&[("k", s("v")), ("n", st(&[]))]),
                    Value::Nil,
                    Value::Base64(bin.clone()),
                    Value::DateTime("20240101T01:02:03".into()),
                ],
            }),
        ),
        (
            "x.dumps((), 'system.listMethods')",
            Doc::Call(Call {
                method: "system.listMethods".into(),
                params: vec![],
            }),
        ),
        (
            "x.dumps(('\\xe9\\U0001F600\\t\\n \"quoted\" \\'single\\'',), methodresponse=True)",
            Doc::Resp(Response::Value(s(
                "\u{e9}\u{1F600}\t\n \"quoted\" 'single'",
            ))),
        ),
        (
            "x.dumps(x.Fault(10, 'BAD_NAME: <x>'))",
            Doc::Resp(Response::Fault(Fault {
                code: 10,
                string: "BAD_NAME: <x>".into(),
            })),
        ),
        (
            "x.dumps(([{'name': 'cat', 'pid': 42, 'now': 1.5e9, 'ok': True}],), \
             methodresponse=True)",
            Doc::Resp(Response::Value(Value::Array(vec![st(&[
                ("name", s("cat")),
                ("pid", Value::Int(42)),
                ("now", Value::Double(1.5e9)),
                ("ok", Value::Bool(true)),
            ])]))),
        ),
        (
            "x.dumps((float('inf'),), methodresponse=True)",
            Doc::Resp(Response::Value(Value::Double(f64::INFINITY))),
        ),
        (
            "x.dumps(((),), methodresponse=True)",
            Doc::Resp(Response::Value(Value::Array(vec![]))),
        ),
        (
            "x.dumps(([2**31 - 1, -2**31, 0.1, 123456789012.0, 1e16, 1e-05, 0.0001],), \
             methodresponse=True)",
            Doc::Resp(Response::Value(Value::Array(vec![
                Value::Int(i32::MAX.into()),
                Value::Int(i32::MIN.into()),
                Value::Double(0.1),
                Value::Double(123456789012.0),
                Value::Double(1e16),
                Value::Double(1e-5),
                Value::Double(0.0001),
            ]))),
        ),
    ];
    let script = format!(
        "import xmlrpc.client as x\nfor e in [{}]:\n    print(eval(e).encode().hex())\n",
        cases
            .iter()
            .map(|(e, _)| format!("{e:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let docs = python(&script, "");
    assert_eq!(docs.len(), cases.len());
    let limits = Limits::default();
    for ((expr, want), doc) in cases.iter().zip(&docs) {
        let body = unhex(doc);
        let text = String::from_utf8_lossy(&body);
        match want {
            Doc::Call(c) => {
                let got = parse_call(&body, &limits).unwrap_or_else(|e| panic!("{expr}: {e}"));
                assert_eq!(&got, c, "{expr}");
                assert_eq!(String::from_utf8_lossy(&render_call(&got)), text, "{expr}");
            }
            Doc::Resp(r) => {
                let got = parse_response(&body, &limits).unwrap_or_else(|e| panic!("{expr}: {e}"));
                assert_eq!(&got, r, "{expr}");
                let again = match &got {
                    Response::Value(v) => render_response(v),
                    Response::Fault(f) => render_fault(f),
                };
                assert_eq!(String::from_utf8_lossy(&again), text, "{expr}");
            }
        }
    }
}

#[test]
fn python_loads_what_we_render() {
    let bin: Vec<u8> = (0..=255).collect();
    let cases: Vec<(Vec<u8>, String)> = vec![
        (
            render_response(&st(&[
                ("name", s("cat")),
                ("pid", Value::Int(42)),
                ("ok", Value::Bool(true)),
                ("f", Value::Double(0.1)),
                ("nil", Value::Nil),
                ("b", Value::Base64(b"\x00\xff".to_vec())),
                ("t", Value::DateTime("20240101T01:02:03".into())),
                ("a", Value::Array(vec![Value::Int(1), s("")])),
            ])),
            "(({'name': 'cat', 'pid': 42, 'ok': True, 'f': 0.1, 'nil': None, 'b': b'\\x00\\xff', \
             't': datetime.datetime(2024, 1, 1, 1, 2, 3), 'a': [1, '']},), None)"
                .into(),
        ),
        (
            // Invalid XML characters arrive as U+FFFD, and \r as \r (Python would send both
            // raw: the first breaks its own reader, the second arrives as \n).
            render_response(&s("a<b>&c]]>\r\n\t\u{1}\u{1b}[0m\u{e9}\u{1F600}")),
            "(('a<b>&c]]>\\r\\n\\t\\ufffd\\ufffd[0m\\xe9\\U0001f600',), None)".into(),
        ),
        (
            render_fault(&Fault {
                code: 10,
                string: "BAD_NAME: x<y>".into(),
            }),
            "Fault 10 'BAD_NAME: x<y>'".into(),
        ),
        (
            render_call(&Call {
                method: "supervisor.startProcess".into(),
                params: vec![s("g:n"), Value::Bool(true)],
            }),
            "(('g:n', True), 'supervisor.startProcess')".into(),
        ),
        (
            render_call(&Call {
                method: "system.listMethods".into(),
                params: vec![],
            }),
            "((), 'system.listMethods')".into(),
        ),
        (
            render_response(&Value::Array(vec![
                Value::Double(1e300),
                Value::Double(-0.0),
                Value::Double(f64::INFINITY),
                Value::Double(1e-7),
                Value::Double(5e-324),
                Value::Int(i32::MAX.into()),
                Value::Int(-5),
            ])),
            "(([1e+300, -0.0, inf, 1e-07, 5e-324, 2147483647, -5],), None)".into(),
        ),
        (
            render_response(&Value::Base64(bin.clone())),
            format!("(({},), None)", supervisor::pyrepr::bytes_repr(&bin)),
        ),
    ];
    let script = "import sys, xmlrpc.client as x\n\
        for line in sys.stdin:\n\
        \x20   try:\n\
        \x20       print(ascii(x.loads(bytes.fromhex(line.strip()), use_builtin_types=True)))\n\
        \x20   except x.Fault as f:\n\
        \x20       print('Fault', f.faultCode, ascii(f.faultString))\n";
    let input: String = cases.iter().map(|(b, _)| hex(b) + "\n").collect();
    let got = python(script, &input);
    assert_eq!(got.len(), cases.len());
    for ((body, want), got) in cases.iter().zip(&got) {
        assert_eq!(got, want, "{}", String::from_utf8_lossy(body));
    }
}
