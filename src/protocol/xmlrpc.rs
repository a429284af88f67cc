//! XML-RPC bodies both ways (pure codec, no I/O): the daemon parses calls and renders
//! responses and faults; supervisorctl renders calls and parses responses.
//!
//! Output matches Python's `xmlrpc.client.dumps` byte for byte (what the reference
//! supervisord sends), with two deliberate differences so that every client reads back
//! exactly the string that was meant:
//! - characters XML cannot carry (controls other than tab, newline and CR; U+FFFE, U+FFFF)
//!   become U+FFFD. Python emits them raw, and then its own parser (expat) rejects the whole
//!   response; log tails are where such bytes show up;
//! - `\r` is written `&#13;`. Python writes it raw, and XML readers turn a raw `\r` into `\n`.
//!
//! Input follows what `xmlrpc.client.loads` accepts, but strictly (see [`super::xml`]):
//! `<value>` without a type element is a string; `<i1>`, `<i2>`, `<i4>`, `<i8>`,
//! `<biginteger>` are `<int>` (within i64); `<float>` is `<double>`; `<nil/>` (Python's
//! `allow_none`) is accepted; namespace prefixes on tags (`<ex:nil/>`) are ignored as Python
//! does; whitespace between elements is skipped, other stray text is an error.

use super::xml::{Event, Reader};
pub use super::xml::{Limits, XmlError};

/// One XML-RPC value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `<int>`/`<i4>`/... Rendered as `<int>` whatever its size: Python's reader takes any
    /// size; the daemon caps the times it sends to 32 bits itself.
    Int(i64),
    Bool(bool),
    Str(String),
    Double(f64),
    /// The `<dateTime.iso8601>` text as sent (for example `20240101T12:00:00`).
    DateTime(String),
    Base64(Vec<u8>),
    Array(Vec<Value>),
    /// Members in document order; a repeated name is kept (lookups take the last, as a
    /// Python dict would).
    Struct(Vec<(String, Value)>),
    /// `<nil/>`.
    Nil,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A boolean argument. Ints count too, nonzero being true: the reference tests flags
    /// such as `startProcess`'s `wait` with Python's `if wait:`.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Int(i) => Some(*i != 0),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Double(d) => Some(*d),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_struct(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Struct(m) => Some(m),
            _ => None,
        }
    }

    /// The member `key` of a struct (the last one if repeated); `None` for other values.
    pub fn struct_get(&self, key: &str) -> Option<&Value> {
        self.as_struct()?
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<i32> for Value {
    fn from(i: i32) -> Self {
        Value::Int(i.into())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

/// A `<methodCall>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    pub params: Vec<Value>,
}

/// A `<fault>`: `faultCode` and `faultString`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: i32,
    pub string: String,
}

/// A `<methodResponse>`: one value or a fault.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    Value(Value),
    Fault(Fault),
}

const HEADER: &str = "<?xml version='1.0'?>\n";

/// A `<methodResponse>` carrying `v`, as `xmlrpc.client.dumps((v,), methodresponse=True)`.
pub fn render_response(v: &Value) -> Vec<u8> {
    let mut out = String::from(HEADER);
    out.push_str("<methodResponse>\n<params>\n<param>\n");
    dump(&mut out, v);
    out.push_str("</param>\n</params>\n</methodResponse>\n");
    out.into_bytes()
}

/// A fault response, as `xmlrpc.client.dumps(Fault(code, string))`.
pub fn render_fault(f: &Fault) -> Vec<u8> {
    let mut out = String::from(HEADER);
    out.push_str("<methodResponse>\n<fault>\n");
    dump(
        &mut out,
        &Value::Struct(vec![
            ("faultCode".into(), Value::Int(f.code.into())),
            ("faultString".into(), Value::Str(f.string.clone())),
        ]),
    );
    out.push_str("</fault>\n</methodResponse>\n");
    out.into_bytes()
}

/// A `<methodCall>`, as `xmlrpc.client.dumps(params, method)` (which, unlike this, does not
/// escape the method name).
pub fn render_call(c: &Call) -> Vec<u8> {
    let mut out = String::from(HEADER);
    out.push_str("<methodCall>\n<methodName>");
    escape(&mut out, &c.method);
    out.push_str("</methodName>\n<params>\n");
    for p in &c.params {
        out.push_str("<param>\n");
        dump(&mut out, p);
        out.push_str("</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out.into_bytes()
}

fn dump(out: &mut String, v: &Value) {
    match v {
        Value::Int(i) => {
            out.push_str("<value><int>");
            out.push_str(&i.to_string());
            out.push_str("</int></value>\n");
        }
        Value::Bool(b) => {
            out.push_str("<value><boolean>");
            out.push(if *b { '1' } else { '0' });
            out.push_str("</boolean></value>\n");
        }
        Value::Str(s) => {
            out.push_str("<value><string>");
            escape(out, s);
            out.push_str("</string></value>\n");
        }
        Value::Double(d) => {
            out.push_str("<value><double>");
            out.push_str(&py_float_repr(*d));
            out.push_str("</double></value>\n");
        }
        Value::DateTime(s) => {
            out.push_str("<value><dateTime.iso8601>");
            escape(out, s);
            out.push_str("</dateTime.iso8601></value>\n");
        }
        Value::Base64(b) => {
            out.push_str("<value><base64>\n");
            super::base64::encode_lines(out, b);
            out.push_str("</base64></value>\n");
        }
        Value::Array(items) => {
            out.push_str("<value><array><data>\n");
            for item in items {
                dump(out, item);
            }
            out.push_str("</data></array></value>\n");
        }
        Value::Struct(members) => {
            out.push_str("<value><struct>\n");
            for (k, v) in members {
                out.push_str("<member>\n<name>");
                escape(out, k);
                out.push_str("</name>\n");
                dump(out, v);
                out.push_str("</member>\n");
            }
            out.push_str("</struct></value>\n");
        }
        // Python writes no newline after this one; kept for byte equality.
        Value::Nil => out.push_str("<value><nil/></value>"),
    }
}

/// Text content: `&`, `<`, `>` escaped as Python does, `\r` as `&#13;` and characters XML
/// cannot carry as U+FFFD (see the module doc).
fn escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            c if super::xml::is_xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// Python's `repr(float)`: the shortest digits that read back exactly, positional for
/// exponents -4..=15, else `d.ddde+XX`; `inf`, `-inf`, `nan` as Python writes them.
pub fn py_float_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // `{:e}` gives the same shortest round-trip digits as Python, e.g. "-1.25e-7".
    let sci = format!("{x:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mant) = match mant.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mant),
    };
    if (-4..16).contains(&exp) {
        let digits: String = mant.chars().filter(|&c| c != '.').collect();
        let point = exp + 1;
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat((-point) as usize))
        } else if point as usize >= digits.len() {
            format!("{digits}{}.0", "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{esign}{:02}", exp.unsigned_abs())
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_blank(s: &str) -> bool {
    s.bytes().all(is_ws)
}

/// Digits as Python's `int()`/`float()` take them: surrounding whitespace dropped, single
/// underscores between digits allowed (and removed).
fn py_number_text(text: &str) -> Option<String> {
    let t = text.trim_matches(|c: char| c.is_ascii() && is_ws(c as u8));
    let b = t.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_'
            && !(i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            return None;
        }
    }
    Some(t.replace('_', ""))
}

fn parse_int(text: &str) -> Option<i64> {
    py_number_text(text)?.parse().ok()
}

fn parse_double(text: &str) -> Option<f64> {
    // Rust reads "inf", "infinity" and "nan" in any case, as Python does.
    py_number_text(text)?.parse().ok()
}

/// The name without a namespace prefix, as Python's unmarshaller matches tags.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

/// Parses a `<methodCall>` (the daemon's side). Any error means HTTP 400. The method name
/// must be present and non-empty (the reference answers 400 otherwise too); `<params>`
/// may be absent.
pub fn parse_call(body: &[u8], limits: &Limits) -> Result<Call, XmlError> {
    let mut p = Parser::new(body, limits)?;
    p.open("methodCall")?;
    p.open("methodName")?;
    let method = p.leaf_text()?;
    if method.is_empty() {
        return Err(p.invalid("empty method name"));
    }
    let mut params = Vec::new();
    match p.tag()? {
        Event::End(_) => {}
        Event::Start(n) if local(n) == "params" => {
            loop {
                match p.tag()? {
                    Event::Start(n) if local(n) == "param" => {
                        p.open("value")?;
                        params.push(p.value()?);
                        p.close()?;
                    }
                    Event::End(_) => break,
                    _ => return Err(p.invalid("expected <param>")),
                }
            }
            p.close()?; // </methodCall>
        }
        _ => return Err(p.invalid("expected <params>")),
    }
    p.end()?;
    Ok(Call { method, params })
}

/// Parses a `<methodResponse>` (the client's side): exactly one `<param>`, or a `<fault>`
/// whose struct has an int `faultCode` (32 bits) and a string `faultString` (other members
/// are ignored).
pub fn parse_response(body: &[u8], limits: &Limits) -> Result<Response, XmlError> {
    let mut p = Parser::new(body, limits)?;
    p.open("methodResponse")?;
    let resp = match p.tag()? {
        Event::Start(n) if local(n) == "params" => {
            p.open("param")?;
            p.open("value")?;
            let v = p.value()?;
            p.close()?;
            if !matches!(p.tag()?, Event::End(_)) {
                return Err(p.invalid("a response carries exactly one <param>"));
            }
            Response::Value(v)
        }
        Event::Start(n) if local(n) == "fault" => {
            p.open("value")?;
            let v = p.value()?;
            let code = v.struct_get("faultCode").and_then(Value::as_i64);
            let string = v.struct_get("faultString").and_then(Value::as_str);
            let (Some(code), Some(string)) = (code.and_then(|c| i32::try_from(c).ok()), string)
            else {
                return Err(p.invalid("fault without an int faultCode and a string faultString"));
            };
            let f = Fault {
                code,
                string: string.to_string(),
            };
            p.close()?; // </fault>
            Response::Fault(f)
        }
        _ => return Err(p.invalid("expected <params> or <fault>")),
    };
    p.close()?;
    p.end()?;
    Ok(resp)
}

/// XML-RPC structure over the XML events.
struct Parser<'a> {
    r: Reader<'a>,
}

impl<'a> Parser<'a> {
    fn new(body: &'a [u8], limits: &Limits) -> Result<Self, XmlError> {
        Ok(Parser {
            r: Reader::new(body, limits)?,
        })
    }

    fn invalid(&self, what: &str) -> XmlError {
        XmlError::Invalid(format!("{what} (near byte {})", self.r.offset()))
    }

    /// The next tag, skipping whitespace; other text here is an error.
    fn tag(&mut self) -> Result<Event<'a>, XmlError> {
        loop {
            match self.r.next()? {
                Event::Text(t) if is_blank(&t) => continue,
                Event::Text(_) => return Err(self.invalid("unexpected text")),
                ev => return Ok(ev),
            }
        }
    }

    fn open(&mut self, want: &str) -> Result<(), XmlError> {
        match self.tag()? {
            Event::Start(n) if local(n) == want => Ok(()),
            _ => Err(self.invalid(&format!("expected <{want}>"))),
        }
    }

    /// The end of the innermost element (the reader checks it is that one).
    fn close(&mut self) -> Result<(), XmlError> {
        match self.tag()? {
            Event::End(_) => Ok(()),
            _ => Err(self.invalid("expected an end tag")),
        }
    }

    fn end(&mut self) -> Result<(), XmlError> {
        match self.r.next()? {
            Event::Eof => Ok(()),
            _ => Err(self.invalid("content after the root element")),
        }
    }

    /// The text of an element just opened, up to its end; no child elements.
    fn leaf_text(&mut self) -> Result<String, XmlError> {
        match self.r.next()? {
            Event::End(_) => Ok(String::new()),
            Event::Text(t) => match self.r.next()? {
                Event::End(_) => Ok(t),
                _ => Err(self.invalid("unexpected element")),
            },
            _ => Err(self.invalid("unexpected element")),
        }
    }

    /// The contents of a `<value>` just opened, through its end tag.
    fn value(&mut self) -> Result<Value, XmlError> {
        let ty = match self.r.next()? {
            Event::End(_) => return Ok(Value::Str(String::new())),
            Event::Text(t) => match self.r.next()? {
                Event::End(_) => return Ok(Value::Str(t)),
                Event::Start(ty) if is_blank(&t) => ty,
                _ => return Err(self.invalid("text mixed with a typed value")),
            },
            Event::Start(ty) => ty,
            Event::Eof => return Err(self.invalid("unexpected end")),
        };
        let v = self.typed(local(ty))?;
        self.close()?;
        Ok(v)
    }

    /// The value inside `<ty>` (just opened), through its end tag.
    fn typed(&mut self, ty: &str) -> Result<Value, XmlError> {
        let bad = |p: &Self| p.invalid(&format!("bad <{ty}> value"));
        Ok(match ty {
            "int" | "i4" | "i1" | "i2" | "i8" | "biginteger" => {
                Value::Int(parse_int(&self.leaf_text()?).ok_or_else(|| bad(self))?)
            }
            "boolean" => match self.leaf_text()?.as_str() {
                "0" => Value::Bool(false),
                "1" => Value::Bool(true),
                _ => return Err(bad(self)),
            },
            "string" => Value::Str(self.leaf_text()?),
            "double" | "float" => {
                Value::Double(parse_double(&self.leaf_text()?).ok_or_else(|| bad(self))?)
            }
            "dateTime.iso8601" => Value::DateTime(self.leaf_text()?),
            "base64" => Value::Base64(
                super::base64::decode(&self.leaf_text()?, super::base64::XML)
                    .ok_or_else(|| bad(self))?,
            ),
            "nil" => {
                if !is_blank(&self.leaf_text()?) {
                    return Err(bad(self));
                }
                Value::Nil
            }
            "array" => {
                self.open("data")?;
                let mut items = Vec::new();
                loop {
                    match self.tag()? {
                        Event::Start(n) if local(n) == "value" => items.push(self.value()?),
                        Event::End(_) => break,
                        _ => return Err(self.invalid("expected <value> in <data>")),
                    }
                }
                self.close()?;
                Value::Array(items)
            }
            "struct" => {
                let mut members = Vec::new();
                loop {
                    match self.tag()? {
                        Event::Start(n) if local(n) == "member" => {
                            self.open("name")?;
                            let name = self.leaf_text()?;
                            self.open("value")?;
                            members.push((name, self.value()?));
                            self.close()?;
                        }
                        Event::End(_) => break,
                        _ => return Err(self.invalid("expected <member> in <struct>")),
                    }
                }
                Value::Struct(members)
            }
            _ => return Err(self.invalid(&format!("unknown value type <{ty}>"))),
        })
    }
}

#[cfg(test)]
#[path = "xmlrpc_tests.rs"]
mod tests;
