//! Tests of the XML-RPC codec: every type both ways, Python's exact bytes, rejections,
//! limits, and a deterministic mutation run over both parsers.

use super::*;

fn lim() -> Limits {
    Limits::default()
}

fn resp(v: &str) -> String {
    format!("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n{v}</param>\n</params>\n</methodResponse>\n")
}

fn parse_value(v: &str) -> Result<Value, XmlError> {
    match parse_response(resp(v).as_bytes(), &lim())? {
        Response::Value(v) => Ok(v),
        Response::Fault(f) => panic!("fault {f:?}"),
    }
}

fn value(v: &str) -> Value {
    parse_value(v).unwrap_or_else(|e| panic!("{v:?}: {e}"))
}

fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

fn round_trip(v: &Value) {
    let body = render_response(v);
    match parse_response(&body, &lim()) {
        Ok(Response::Value(back)) => assert_eq!(&back, v, "{}", String::from_utf8_lossy(&body)),
        other => panic!("{v:?}: {other:?}"),
    }
    let call = Call {
        method: "m".into(),
        params: vec![v.clone(), v.clone()],
    };
    assert_eq!(parse_call(&render_call(&call), &lim()).unwrap(), call);
}

#[test]
fn every_type_round_trips() {
    for v in [
        Value::Int(0),
        Value::Int(-7),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN),
        Value::Bool(true),
        Value::Bool(false),
        s(""),
        s("plain"),
        s("a<b>&c]]>\"'\t\n\r\u{e9}\u{1F600}"),
        Value::Double(0.0),
        Value::Double(-1.5),
        Value::Double(1e300),
        Value::Double(f64::INFINITY),
        Value::Double(f64::NEG_INFINITY),
        Value::Double(f64::MIN_POSITIVE),
        Value::DateTime("20240101T12:34:56".into()),
        Value::Base64(vec![]),
        Value::Base64(b"hi\x00".to_vec()),
        Value::Base64((0..=255).collect()),
        Value::Array(vec![]),
        Value::Struct(vec![]),
        Value::Nil,
        Value::Array(vec![
            Value::Int(1),
            Value::Struct(vec![
                ("k".into(), s("v")),
                ("<&>".into(), Value::Array(vec![Value::Nil, Value::Nil])),
                ("k".into(), Value::Bool(true)),
            ]),
            Value::Array(vec![Value::Array(vec![s("deep")])]),
        ]),
    ] {
        round_trip(&v);
    }
    let nan = render_response(&Value::Double(f64::NAN));
    match parse_response(&nan, &lim()) {
        Ok(Response::Value(Value::Double(d))) => assert!(d.is_nan()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn renders_python_bytes() {
    // From Python 3.11: xmlrpc.client.dumps((1, True, "a<b>&c", 1.5, [1, {"k": "v"}], None,
    // Binary(b"hi\0"), DateTime("20240101T00:00:00")), "m", allow_none=True)
    let call = Call {
        method: "m".into(),
        params: vec![
            Value::Int(1),
            Value::Bool(true),
            s("a<b>&c"),
            Value::Double(1.5),
            Value::Array(vec![
                Value::Int(1),
                Value::Struct(vec![("k".into(), s("v"))]),
            ]),
            Value::Nil,
            Value::Base64(b"hi\0".to_vec()),
            Value::DateTime("20240101T00:00:00".into()),
        ],
    };
    assert_eq!(
        String::from_utf8(render_call(&call)).unwrap(),
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n<param>\n<value><int>1</int></value>\n</param>\n<param>\n<value><boolean>1</boolean></value>\n</param>\n<param>\n<value><string>a&lt;b&gt;&amp;c</string></value>\n</param>\n<param>\n<value><double>1.5</double></value>\n</param>\n<param>\n<value><array><data>\n<value><int>1</int></value>\n<value><struct>\n<member>\n<name>k</name>\n<value><string>v</string></value>\n</member>\n</struct></value>\n</data></array></value>\n</param>\n<param>\n<value><nil/></value></param>\n<param>\n<value><base64>\naGkA\n</base64></value>\n</param>\n<param>\n<value><dateTime.iso8601>20240101T00:00:00</dateTime.iso8601></value>\n</param>\n</params>\n</methodCall>\n"
    );
    assert_eq!(
        String::from_utf8(render_response(&s("x"))).unwrap(),
        "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><string>x</string></value>\n</param>\n</params>\n</methodResponse>\n"
    );
    assert_eq!(
        String::from_utf8(render_fault(&Fault { code: 2, string: "bad <x>".into() })).unwrap(),
        "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>2</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>bad &lt;x&gt;</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
    );
    assert_eq!(
        String::from_utf8(render_call(&Call { method: "m".into(), params: vec![] })).unwrap(),
        "<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n</params>\n</methodCall>\n"
    );
    // base64.encodebytes: 76-character lines.
    let long = String::from_utf8(render_response(&Value::Base64(vec![0; 58]))).unwrap();
    assert!(long.contains(&format!("<base64>\n{}\nAA==\n</base64>", "A".repeat(76))));
}

#[test]
fn float_repr_matches_python() {
    for (x, want) in [
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.5, "1.5"),
        (0.1, "0.1"),
        (1e300, "1e+300"),
        (1e-7, "1e-07"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (123456789012.0, "123456789012.0"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.2345e16, "1.2345e+16"),
        (-2.5e-10, "-2.5e-10"),
        (f64::MAX, "1.7976931348623157e+308"),
        (5e-324, "5e-324"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (f64::NAN, "nan"),
    ] {
        assert_eq!(py_float_repr(x), want);
    }
}

#[test]
fn parses_every_type_and_python_leniencies() {
    assert_eq!(value("<value><int>5</int></value>"), Value::Int(5));
    assert_eq!(value("<value><i4> -5 \n</i4></value>"), Value::Int(-5));
    assert_eq!(
        value("<value><i8>+9_000_000_000</i8></value>"),
        Value::Int(9_000_000_000)
    );
    assert_eq!(value("<value><ex:i8>1</ex:i8></value>"), Value::Int(1));
    assert_eq!(
        value("<value><biginteger>2</biginteger></value>"),
        Value::Int(2)
    );
    assert_eq!(
        value("<value><boolean>0</boolean></value>"),
        Value::Bool(false)
    );
    assert_eq!(
        value("<value><boolean>1</boolean></value>"),
        Value::Bool(true)
    );
    assert_eq!(value("<value>  hi  </value>"), s("  hi  "));
    assert_eq!(value("<value></value>"), s(""));
    assert_eq!(value("<value/>"), s(""));
    assert_eq!(value("<value><string/></value>"), s(""));
    assert_eq!(value("<value>\n <string> x </string>\n</value>"), s(" x "));
    assert_eq!(
        value("<value><double> 1.5 </double></value>"),
        Value::Double(1.5)
    );
    assert_eq!(
        value("<value><float>1_0</float></value>"),
        Value::Double(10.0)
    );
    assert_eq!(
        value("<value><double>-Infinity</double></value>"),
        Value::Double(f64::NEG_INFINITY)
    );
    assert_eq!(
        value("<value><double>1e+300</double></value>"),
        Value::Double(1e300)
    );
    assert_eq!(
        value("<value><dateTime.iso8601>20240101T00:00:00</dateTime.iso8601></value>"),
        Value::DateTime("20240101T00:00:00".into())
    );
    assert_eq!(
        value("<value><base64>aG k=\n</base64></value>"),
        Value::Base64(b"hi".to_vec())
    );
    assert_eq!(
        value("<value><base64></base64></value>"),
        Value::Base64(vec![])
    );
    assert_eq!(value("<value><nil/></value>"), Value::Nil);
    assert_eq!(value("<value><ex:nil></ex:nil></value>"), Value::Nil);
    assert_eq!(
        value("<value><array><data/></array></value>"),
        Value::Array(vec![])
    );
    assert_eq!(
        value("<value><struct>\n<member><name>a</name><value>1</value></member>\n<member><name/><value><int>2</int></value></member></struct></value>"),
        Value::Struct(vec![("a".into(), s("1")), ("".into(), Value::Int(2))])
    );
    // Entities, character references and CDATA inside strings.
    assert_eq!(
        value("<value><string>&lt;&#x26;&#62;<![CDATA[<x>]]>&#13;\r\n</string></value>"),
        s("<&><x>\r\n")
    );
}

#[test]
fn calls_and_faults() {
    let body = b"<?xml version='1.0'?><methodCall><methodName>supervisor.getState</methodName></methodCall>";
    assert_eq!(
        parse_call(body, &lim()).unwrap(),
        Call {
            method: "supervisor.getState".into(),
            params: vec![]
        }
    );
    let body = b"<methodCall><methodName>m</methodName><params/></methodCall>";
    assert_eq!(parse_call(body, &lim()).unwrap().params, vec![]);
    let body = b"<methodCall><methodName>m</methodName><params><param><value>a</value></param><param><value><int>1</int></value></param></params></methodCall>";
    assert_eq!(
        parse_call(body, &lim()).unwrap().params,
        vec![s("a"), Value::Int(1)]
    );
    let f = Fault {
        code: 10,
        string: "BAD_NAME: foo".into(),
    };
    assert_eq!(
        parse_response(&render_fault(&f), &lim()).unwrap(),
        Response::Fault(f)
    );
    let extra = b"<methodResponse><fault><value><struct><member><name>faultString</name><value>x</value></member><member><name>more</name><value/></member><member><name>faultCode</name><value><int>-1</int></value></member></struct></value></fault></methodResponse>";
    assert_eq!(
        parse_response(extra, &lim()).unwrap(),
        Response::Fault(Fault {
            code: -1,
            string: "x".into()
        })
    );
}

#[test]
fn helpers() {
    let v = Value::Struct(vec![
        ("a".into(), Value::Int(1)),
        ("a".into(), Value::Int(2)),
    ]);
    assert_eq!(v.struct_get("a"), Some(&Value::Int(2)));
    assert_eq!(v.struct_get("b"), None);
    assert_eq!(Value::Int(1).struct_get("a"), None);
    assert_eq!(Value::Int(0).as_bool(), Some(false));
    assert_eq!(Value::Int(2).as_bool(), Some(true));
    assert_eq!(Value::Bool(true).as_bool(), Some(true));
    assert_eq!(s("1").as_bool(), None);
    assert_eq!(s("x").as_str(), Some("x"));
    assert_eq!(Value::Int(3).as_i64(), Some(3));
    assert_eq!(Value::from("x"), s("x"));
    assert_eq!(Value::from(3i32), Value::Int(3));
}

#[test]
fn invalid_characters_become_replacement_and_cr_survives() {
    let body = render_response(&s("a\u{1}b\u{1b}[0m\u{FFFF}\rc"));
    let text = String::from_utf8(body.clone()).unwrap();
    assert!(text.contains("<string>a\u{FFFD}b\u{FFFD}[0m\u{FFFD}&#13;c</string>"));
    assert_eq!(
        parse_response(&body, &lim()).unwrap(),
        Response::Value(s("a\u{FFFD}b\u{FFFD}[0m\u{FFFD}\rc"))
    );
}

fn call_err(body: &[u8]) -> XmlError {
    match parse_call(body, &lim()) {
        Err(e) => e,
        Ok(c) => panic!("{:?} parsed: {c:?}", String::from_utf8_lossy(body)),
    }
}

#[test]
fn rejections() {
    let m = |params: &str| {
        format!("<methodCall><methodName>m</methodName><params><param>{params}</param></params></methodCall>")
    };
    for body in [
        String::new(),
        "garbage".into(),
        "<methodCall/>".into(),
        "<methodCall></methodCall>".into(),
        "<methodCall><methodName></methodName></methodCall>".into(),
        "<methodCall><methodName>m</methodName>".into(),
        "<methodCall><methodName>m</methodName></methodCall>x".into(),
        "<methodCall><methodName>m</methodName></methodCall><a/>".into(),
        "<methodCall><methodName>m</methodName>text</methodCall>".into(),
        "<methodCall><methodName>m<b/></methodName></methodCall>".into(),
        "<methodResponse><params/></methodResponse>".into(),
        "<methodCall><methodName>m</methodName><params><value/></params></methodCall>".into(),
        m(""),
        m("<value/><value/>"),
        m("<value><int>1.5</int></value>"),
        m("<value><int>99999999999999999999</int></value>"),
        m("<value><int></int></value>"),
        m("<value><int>1__0</int></value>"),
        m("<value><int>_1</int></value>"),
        m("<value><boolean>2</boolean></value>"),
        m("<value><boolean> 1</boolean></value>"),
        m("<value><double>x</double></value>"),
        m("<value><base64>aGk</base64></value>"),
        m("<value><base64>a===</base64></value>"),
        m("<value><base64>aG=k</base64></value>"),
        m("<value><base64>a!==</base64></value>"),
        m("<value><nil>x</nil></value>"),
        m("<value><bigdecimal>1</bigdecimal></value>"),
        m("<value><unknown>1</unknown></value>"),
        m("<value>x<int>1</int></value>"),
        m("<value><int>1</int>x</value>"),
        m("<value><int>1</int><int>2</int></value>"),
        m("<value><string><b/></string></value>"),
        m("<value><array><value/></array></value>"),
        m("<value><array><data><int>1</int></data></array></value>"),
        m("<value><struct><member><value/></member></struct></value>"),
        m("<value><struct><member><name>a</name></member></struct></value>"),
        m("<value><struct><value/></struct></value>"),
        m("<value><struct><member><name>a</name><value/><value/></member></struct></value>"),
        m("<value><string>&bogus;</string></value>"),
        m("<value><string>\u{7}</string></value>"),
        m("<value><string>&#7;</string></value>"),
    ] {
        call_err(body.as_bytes());
    }
    assert!(matches!(
        call_err(b"<!DOCTYPE methodCall [<!ENTITY a 'aaaa'>]><methodCall><methodName>&a;</methodName></methodCall>"),
        XmlError::Doctype { .. }
    ));
    assert!(matches!(
        call_err(b"<methodCall><methodName>m\xc3</methodName></methodCall>"),
        XmlError::InvalidUtf8 { offset: 25 }
    ));
    for body in [
        "<methodResponse><params><param><value/></param><param><value/></param></params></methodResponse>",
        "<methodResponse><fault><value><struct/></value></fault></methodResponse>",
        "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>4294967296</int></value></member><member><name>faultString</name><value/></member></struct></value></fault></methodResponse>",
        "<methodResponse><fault><value><struct><member><name>faultCode</name><value>1</value></member><member><name>faultString</name><value/></member></struct></value></fault></methodResponse>",
        "<methodResponse><fault><value><int>1</int></value></fault></methodResponse>",
        "<methodResponse><fault/></methodResponse>",
        "<methodResponse></methodResponse>",
        "<methodCall><methodName>m</methodName></methodCall>",
    ] {
        assert!(parse_response(body.as_bytes(), &lim()).is_err(), "{body}");
    }
}

/// A call whose single parameter nests `n` arrays.
fn nested_call(n: usize) -> String {
    format!(
        "<methodCall><methodName>m</methodName><params><param><value>{}{}</value></param></params></methodCall>",
        "<array><data><value>".repeat(n),
        "</value></data></array>".repeat(n)
    )
}

#[test]
fn bombs_and_limits_at_the_boundary() {
    // Depth: methodCall, params, param, value + 3 per array level (array, data, value).
    let depth = |n: usize| 4 + 3 * n;
    let at = Limits {
        max_depth: depth(9),
        ..lim()
    };
    assert!(parse_call(nested_call(9).as_bytes(), &at).is_ok());
    assert_eq!(
        parse_call(nested_call(10).as_bytes(), &at),
        Err(XmlError::TooDeep { limit: depth(9) })
    );
    assert!(matches!(
        parse_call(nested_call(40_000).as_bytes(), &lim()),
        Err(XmlError::TooDeep { .. })
    ));

    // Elements: methodCall, methodName, params, then 2 per parameter (param, value).
    let many = |n: usize| {
        format!(
            "<methodCall><methodName>m</methodName><params>{}</params></methodCall>",
            "<param><value/></param>".repeat(n)
        )
    };
    let at = Limits {
        max_elements: 3 + 2 * 50,
        ..lim()
    };
    assert_eq!(
        parse_call(many(50).as_bytes(), &at).unwrap().params.len(),
        50
    );
    assert_eq!(
        parse_call(many(51).as_bytes(), &at),
        Err(XmlError::TooManyElements { limit: 103 })
    );
    assert!(matches!(
        parse_call(many(60_000).as_bytes(), &lim()),
        Err(XmlError::TooManyElements { .. })
    ));

    // Bytes and string length.
    let string = |n: usize| {
        format!(
            "<methodCall><methodName>m</methodName><params><param><value>{}</value></param></params></methodCall>",
            "x".repeat(n)
        )
    };
    let len = string(0).len();
    let at = Limits {
        max_bytes: len + 100,
        max_string: 100,
        ..lim()
    };
    assert!(parse_call(string(100).as_bytes(), &at).is_ok());
    assert_eq!(
        parse_call(
            string(101).as_bytes(),
            &Limits {
                max_bytes: len + 101,
                ..at
            }
        ),
        Err(XmlError::StringTooLong { limit: 100 })
    );
    assert_eq!(
        parse_call(
            string(101).as_bytes(),
            &Limits {
                max_string: 101,
                ..at
            }
        ),
        Err(XmlError::TooLarge { limit: len + 100 })
    );
    assert!(matches!(
        parse_call(string((1 << 20) + 1).as_bytes(), &lim()),
        Err(XmlError::StringTooLong { .. })
    ));
    assert!(matches!(
        parse_call(string(3 << 20).as_bytes(), &lim()),
        Err(XmlError::TooLarge { .. })
    ));
}

/// Parses whatever it can and checks what parses round-trips (compared by rendered bytes,
/// which also covers NaN and -0.0).
fn check_round_trip(body: &[u8]) -> bool {
    let mut parsed = false;
    if let Ok(call) = parse_call(body, &lim()) {
        let again = render_call(&call);
        let back = parse_call(&again, &lim()).expect("a rendered call parses");
        assert_eq!(render_call(&back), again);
        parsed = true;
    }
    if let Ok(r) = parse_response(body, &lim()) {
        let again = match &r {
            Response::Value(v) => render_response(v),
            Response::Fault(f) => render_fault(f),
        };
        let back = parse_response(&again, &lim()).expect("a rendered response parses");
        let twice = match &back {
            Response::Value(v) => render_response(v),
            Response::Fault(f) => render_fault(f),
        };
        assert_eq!(twice, again);
        parsed = true;
    }
    parsed
}

/// xorshift64*: enough for deterministic mutations without a crate.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "<value>",
    "</value>",
    "<int>",
    "</int>",
    "<string>",
    "</string>",
    "<array><data>",
    "</data></array>",
    "<struct>",
    "</struct>",
    "<member>",
    "</member>",
    "<name>",
    "</name>",
    "<nil/>",
    "<boolean>",
    "</boolean>",
    "<double>",
    "</double>",
    "<base64>",
    "</base64>",
    "&amp;",
    "&#13;",
    "&#x1F600;",
    "&#0;",
    "&bogus;",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?pi?>",
    "<!DOCTYPE",
    "\u{e9}",
    "\u{FFFF}",
    "\r\n",
    " ",
    "=",
    "'",
    "\"",
    "/>",
    "<",
    ">",
    "1",
    "-",
    "_",
    ".",
    "e",
    "nan",
    "==",
];

#[test]
fn mutations_never_panic() {
    let mut seeds: Vec<Vec<u8>> = vec![
        render_call(&Call {
            method: "supervisor.startProcess".into(),
            params: vec![s("group:name"), Value::Bool(true)],
        }),
        render_response(&Value::Array(vec![Value::Struct(vec![
            ("name".into(), s("cat")),
            ("pid".into(), Value::Int(42)),
            ("now".into(), Value::Double(1.5e9)),
            ("log".into(), s("a<b>&\r\n")),
            ("bin".into(), Value::Base64(b"\x00\xff".to_vec())),
            ("when".into(), Value::DateTime("20240101T00:00:00".into())),
            ("none".into(), Value::Nil),
        ])])),
        render_fault(&Fault {
            code: 10,
            string: "BAD_NAME".into(),
        }),
    ];
    seeds.push(b"<methodCall><methodName>m</methodName><params><param><value>x<!--c--><![CDATA[y]]></value></param></params></methodCall>".to_vec());
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let start = std::time::Instant::now();
    let mut parsed = 0;
    for i in 0..4000 {
        let mut doc = seeds[i % seeds.len()].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(doc.len() + 1);
            match rng.below(8) {
                0 => {
                    if at < doc.len() {
                        doc[at] = rng.next() as u8;
                    }
                }
                1 => {
                    let t = TOKENS[rng.below(TOKENS.len())];
                    doc.splice(at..at, t.bytes());
                }
                2 => {
                    let end = (at + rng.below(16)).min(doc.len());
                    doc.drain(at..end);
                }
                3 => {
                    let end = (at + rng.below(64)).min(doc.len());
                    let piece = doc[at..end].to_vec();
                    doc.splice(at..at, piece);
                }
                4 => {
                    // Swap in a tag name or type from elsewhere in the token list.
                    let t = TOKENS[rng.below(TOKENS.len())];
                    let end = (at + t.len()).min(doc.len());
                    doc.splice(at..end, t.bytes());
                }
                5 => doc.truncate(at),
                _ => {
                    // Text-like edits, which often leave the document valid.
                    if at < doc.len() && doc[at].is_ascii_alphanumeric() {
                        doc[at] = b"az09AZ+/="[rng.below(9)];
                    }
                }
            }
        }
        if check_round_trip(&doc) {
            parsed += 1;
        }
    }
    // Some mutants stay valid (changed text, dropped whitespace), so round trips are covered.
    assert!(parsed > 100, "only {parsed} mutants parsed");
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}
