//! A small strict XML pull reader for the subset XML-RPC uses (pure, no I/O).
//!
//! Accepted: a UTF-8 byte-order mark, an `<?xml ...?>` declaration (UTF-8 or ASCII only),
//! other processing instructions and comments (skipped), elements with attributes (checked
//! for well-formedness, then dropped), text with the five predefined entities and character
//! references, CDATA sections. Rejected: any DOCTYPE or ENTITY declaration (so nothing is
//! ever expanded: billion-laughs safe), characters XML forbids, mismatched or unclosed
//! tags, text or a second element outside the root, and anything past the [`Limits`].
//!
//! Text is coalesced across entities, CDATA sections and comments into one [`Event::Text`],
//! as expat-based readers hand it to their users. Line ends in raw text are normalized
//! (`\r\n` and lone `\r` become `\n`) as XML requires; `&#13;` stays a `\r`.

use std::collections::VecDeque;
use std::fmt;

/// Bounds on a document, checked while reading so a hostile body costs at most linear time
/// and memory proportional to `max_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted body, in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (the root is depth 1).
    pub max_depth: usize,
    /// Most start tags in one document.
    pub max_elements: usize,
    /// Longest text run (after entity decoding), in bytes.
    pub max_string: usize,
}

impl Default for Limits {
    /// Server-side bounds: requests from supervisorctl and scripts are small; the deepest
    /// real request (`system.multicall` with struct arguments) nests about 16 deep.
    fn default() -> Self {
        Limits {
            max_bytes: 2 << 20,
            max_depth: 32,
            max_elements: 100_000,
            max_string: 1 << 20,
        }
    }
}

impl Limits {
    /// Client-side bounds: a daemon's answers can be large (`getAllProcessInfo` costs about
    /// 60 elements a process; `readLog` can return a whole log file), and the daemon is the
    /// party the client chose to trust.
    pub fn client() -> Self {
        Limits {
            max_bytes: 64 << 20,
            max_depth: 32,
            max_elements: 4_000_000,
            max_string: 64 << 20,
        }
    }
}

/// Why a document was refused. `offset` is a byte offset into the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlError {
    /// The body is longer than `Limits::max_bytes`.
    TooLarge { limit: usize },
    /// Elements nest deeper than `Limits::max_depth`.
    TooDeep { limit: usize },
    /// More than `Limits::max_elements` start tags.
    TooManyElements { limit: usize },
    /// A text run is longer than `Limits::max_string`.
    StringTooLong { limit: usize },
    /// A DOCTYPE or ENTITY declaration (never processed).
    Doctype { offset: usize },
    /// The body is not UTF-8.
    InvalidUtf8 { offset: usize },
    /// Not well-formed XML.
    Syntax { offset: usize, what: &'static str },
    /// Well-formed XML, but not the expected XML-RPC document.
    Invalid(String),
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XmlError::TooLarge { limit } => write!(f, "document larger than {limit} bytes"),
            XmlError::TooDeep { limit } => write!(f, "elements nested deeper than {limit}"),
            XmlError::TooManyElements { limit } => write!(f, "more than {limit} elements"),
            XmlError::StringTooLong { limit } => write!(f, "text longer than {limit} bytes"),
            XmlError::Doctype { offset } => {
                write!(
                    f,
                    "DOCTYPE/ENTITY declarations are not accepted (byte {offset})"
                )
            }
            XmlError::InvalidUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            XmlError::Syntax { offset, what } => write!(f, "{what} at byte {offset}"),
            XmlError::Invalid(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for XmlError {}

/// One step of a document. An empty-element tag (`<a/>`) gives `Start` then `End`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    Start(&'a str),
    /// Always matches the innermost open `Start` (the reader checks).
    End(&'a str),
    /// Text inside the root element, never empty.
    Text(String),
    Eof,
}

/// Whether `c` is allowed anywhere in an XML 1.0 document (the `Char` production).
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Most attributes on one tag.
const MAX_ATTRIBUTES: usize = 16;

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_name_start(b: u8) -> bool {
    // Non-ASCII bytes are let through as name characters: names are compared, not classified.
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_name_char(b: u8) -> bool {
    is_name_start(b) || b.is_ascii_digit() || b == b'-' || b == b'.'
}

/// The pull reader. Create with [`Reader::new`], then call [`Reader::next`] until `Eof`.
pub struct Reader<'a> {
    src: &'a str,
    pos: usize,
    limits: Limits,
    stack: Vec<&'a str>,
    elements: usize,
    seen_root: bool,
    done: bool,
    /// Events already read, returned before reading on: the tag found while collecting
    /// text, and the `End` of an empty-element tag.
    pending: VecDeque<Event<'a>>,
}

impl<'a> Reader<'a> {
    /// Checks size, encoding and characters up front, and the prolog's declaration.
    pub fn new(body: &'a [u8], limits: &Limits) -> Result<Reader<'a>, XmlError> {
        if body.len() > limits.max_bytes {
            return Err(XmlError::TooLarge {
                limit: limits.max_bytes,
            });
        }
        let src = std::str::from_utf8(body).map_err(|e| XmlError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
        if let Some((i, _)) = src.char_indices().find(|&(_, c)| !is_xml_char(c)) {
            return Err(XmlError::Syntax {
                offset: i,
                what: "character not allowed in XML",
            });
        }
        let mut r = Reader {
            src,
            pos: 0,
            limits: *limits,
            stack: Vec::new(),
            elements: 0,
            seen_root: false,
            done: false,
            pending: VecDeque::new(),
        };
        if r.rest().starts_with('\u{FEFF}') {
            r.pos = 3;
        }
        if r.rest().starts_with("<?xml") && r.bytes().get(5).is_some_and(|&b| is_space(b)) {
            r.declaration()?;
        }
        Ok(r)
    }

    /// The current byte offset (for error messages).
    pub fn offset(&self) -> usize {
        self.pos
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn bytes(&self) -> &'a [u8] {
        self.rest().as_bytes()
    }

    fn syntax<T>(&self, what: &'static str) -> Result<T, XmlError> {
        Err(XmlError::Syntax {
            offset: self.pos,
            what,
        })
    }

    /// `<?xml version=... encoding=... standalone=...?>`: only the encoding matters, and
    /// only UTF-8 (or its ASCII subset) is read, as the body was already checked as UTF-8.
    fn declaration(&mut self) -> Result<(), XmlError> {
        self.pos += 5;
        loop {
            let had_space = self.skip_space();
            if self.rest().starts_with("?>") {
                self.pos += 2;
                return Ok(());
            }
            if !had_space {
                return self.syntax("malformed XML declaration");
            }
            let (name, value) = self.attribute()?;
            if name == "encoding"
                && !["utf-8", "utf8", "us-ascii", "ascii"]
                    .iter()
                    .any(|e| value.eq_ignore_ascii_case(e))
            {
                return self.syntax("unsupported encoding (only UTF-8)");
            }
        }
    }

    fn skip_space(&mut self) -> bool {
        let n = self.bytes().iter().take_while(|&&b| is_space(b)).count();
        self.pos += n;
        n > 0
    }

    fn name(&mut self) -> Result<&'a str, XmlError> {
        let b = self.bytes();
        if !b.first().is_some_and(|&c| is_name_start(c)) {
            return self.syntax("expected a name");
        }
        let n = b.iter().take_while(|&&c| is_name_char(c)).count();
        let name = &self.rest()[..n];
        self.pos += n;
        Ok(name)
    }

    /// `name = "value"` (either quote), the value decoded.
    fn attribute(&mut self) -> Result<(&'a str, String), XmlError> {
        let name = self.name()?;
        self.skip_space();
        if !self.rest().starts_with('=') {
            return self.syntax("expected '=' after attribute name");
        }
        self.pos += 1;
        self.skip_space();
        let quote = match self.bytes().first() {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => return self.syntax("expected a quoted attribute value"),
        };
        self.pos += 1;
        let mut value = String::new();
        loop {
            let b = self.bytes();
            let n = b
                .iter()
                .take_while(|&&c| c != quote && c != b'&' && c != b'<')
                .count();
            value.push_str(&self.rest()[..n]);
            self.pos += n;
            match self.bytes().first() {
                Some(&c) if c == quote => {
                    self.pos += 1;
                    return Ok((name, value));
                }
                Some(b'&') => value.push(self.reference()?),
                Some(_) => return self.syntax("'<' in attribute value"),
                None => return self.syntax("unterminated attribute value"),
            }
        }
    }

    /// An entity or character reference at `&`; returns the character it stands for.
    fn reference(&mut self) -> Result<char, XmlError> {
        let start = self.pos;
        let Some(len) = self.bytes().iter().take(16).position(|&b| b == b';') else {
            return self.syntax("unterminated or unknown reference");
        };
        let body = &self.rest()[1..len];
        let c = match body {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let num = if let Some(hex) = body.strip_prefix("#x") {
                    parse_digits(hex, 16)
                } else if let Some(dec) = body.strip_prefix('#') {
                    parse_digits(dec, 10)
                } else {
                    return self.syntax("unknown entity (only the five predefined ones)");
                };
                num.and_then(char::from_u32).filter(|&c| is_xml_char(c))
            }
        };
        match c {
            Some(c) => {
                self.pos = start + len + 1;
                Ok(c)
            }
            None => self.syntax("character reference to a character XML does not allow"),
        }
    }

    /// Skips `<!--...-->`, rejecting `--` inside as XML does.
    fn comment(&mut self) -> Result<(), XmlError> {
        self.pos += 4;
        let Some(end) = self.rest().find("--") else {
            return self.syntax("unterminated comment");
        };
        self.pos += end;
        if !self.rest().starts_with("-->") {
            return self.syntax("'--' inside a comment");
        }
        self.pos += 3;
        Ok(())
    }

    /// Skips `<?target ...?>`; the declaration is only allowed first.
    fn processing_instruction(&mut self) -> Result<(), XmlError> {
        self.pos += 2;
        let target = self.name()?;
        if target.eq_ignore_ascii_case("xml") {
            return self.syntax("XML declaration not at the start");
        }
        let Some(end) = self.rest().find("?>") else {
            return self.syntax("unterminated processing instruction");
        };
        self.pos += end + 2;
        Ok(())
    }

    /// Markup starting with `<!` or `<?`, which is never an element; `text` gets CDATA.
    /// Returns false if the markup is a tag.
    fn other_markup(&mut self, text: Option<&mut String>) -> Result<bool, XmlError> {
        let rest = self.rest();
        if rest.starts_with("<!--") {
            self.comment()?;
        } else if rest.starts_with("<?") {
            self.processing_instruction()?;
        } else if let Some(body) = rest.strip_prefix("<![CDATA[") {
            let Some(text) = text else {
                return self.syntax("CDATA section outside the root element");
            };
            let Some(end) = body.find("]]>") else {
                return self.syntax("unterminated CDATA section");
            };
            push_normalized(text, &body[..end]);
            self.pos += 9 + end + 3;
        } else if rest.starts_with("<!DOCTYPE") || rest.starts_with("<!ENTITY") {
            return Err(XmlError::Doctype { offset: self.pos });
        } else if rest.starts_with("<!") {
            return self.syntax("unsupported markup declaration");
        } else {
            return Ok(false);
        }
        Ok(true)
    }

    /// The next event.
    #[allow(clippy::should_implement_trait)] // fallible and borrowing: not an Iterator
    pub fn next(&mut self) -> Result<Event<'a>, XmlError> {
        if let Some(ev) = self.pending.pop_front() {
            return Ok(ev);
        }
        if self.done {
            return Ok(Event::Eof);
        }
        if self.stack.is_empty() {
            return self.outside_root();
        }
        let mut text = String::new();
        loop {
            let b = self.bytes();
            let n = b
                .iter()
                .take_while(|&&c| c != b'<' && c != b'&' && c != b']')
                .count();
            push_normalized(&mut text, &self.rest()[..n]);
            self.pos += n;
            // Every push below is followed by another pass here, so this sees them all.
            if text.len() > self.limits.max_string {
                return Err(XmlError::StringTooLong {
                    limit: self.limits.max_string,
                });
            }
            match self.bytes().first() {
                None => return self.syntax("unclosed element at end of document"),
                Some(b'&') => text.push(self.reference()?),
                Some(b']') => {
                    if self.rest().starts_with("]]>") {
                        return self.syntax("']]>' in text");
                    }
                    text.push(']');
                    self.pos += 1;
                }
                Some(_) => {
                    if !self.other_markup(Some(&mut text))? {
                        let ev = self.tag()?;
                        if text.is_empty() {
                            return Ok(ev);
                        }
                        self.pending.push_front(ev);
                        return Ok(Event::Text(text));
                    }
                }
            }
        }
    }

    /// Before the root element or after it: only space, comments and PIs, then one root.
    fn outside_root(&mut self) -> Result<Event<'a>, XmlError> {
        loop {
            self.skip_space();
            if self.bytes().is_empty() {
                if !self.seen_root {
                    return self.syntax("no root element");
                }
                self.done = true;
                return Ok(Event::Eof);
            }
            if !self.rest().starts_with('<') {
                return self.syntax("text outside the root element");
            }
            if self.other_markup(None)? {
                continue;
            }
            if self.seen_root {
                return self.syntax("content after the root element");
            }
            if self.bytes().get(1) == Some(&b'/') {
                return self.syntax("end tag without a start tag");
            }
            self.seen_root = true;
            return self.tag();
        }
    }

    /// A start, end or empty-element tag at `<`.
    fn tag(&mut self) -> Result<Event<'a>, XmlError> {
        self.pos += 1;
        if self.rest().starts_with('/') {
            self.pos += 1;
            let name = self.name()?;
            self.skip_space();
            if !self.rest().starts_with('>') {
                return self.syntax("malformed end tag");
            }
            self.pos += 1;
            if self.stack.pop() != Some(name) {
                return self.syntax("end tag does not match the start tag");
            }
            return Ok(Event::End(name));
        }
        let name = self.name()?;
        self.elements += 1;
        if self.elements > self.limits.max_elements {
            return Err(XmlError::TooManyElements {
                limit: self.limits.max_elements,
            });
        }
        if self.stack.len() >= self.limits.max_depth {
            return Err(XmlError::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        let mut seen: Vec<&str> = Vec::new();
        loop {
            let had_space = self.skip_space();
            if self.rest().starts_with("/>") {
                self.pos += 2;
                // Never pushed: the queued End closes it.
                self.pending.push_back(Event::End(name));
                return Ok(Event::Start(name));
            }
            if self.rest().starts_with('>') {
                self.pos += 1;
                self.stack.push(name);
                return Ok(Event::Start(name));
            }
            if !had_space {
                return self.syntax("malformed start tag");
            }
            let (attr, _) = self.attribute()?;
            // The cap keeps the duplicate check linear; XML-RPC uses no attributes.
            if seen.len() == MAX_ATTRIBUTES {
                return self.syntax("too many attributes");
            }
            if seen.contains(&attr) {
                return self.syntax("duplicate attribute");
            }
            seen.push(attr);
        }
    }
}

fn parse_digits(s: &str, radix: u32) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| (b as char).is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(s, radix).ok()
}

/// Appends `s` with `\r\n` and lone `\r` turned into `\n`, as XML parsers must.
fn push_normalized(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if rest.starts_with('\n') {
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(doc: &str) -> Result<Vec<Event<'_>>, XmlError> {
        events_with(doc, &Limits::default())
    }

    fn events_with<'a>(doc: &'a str, limits: &Limits) -> Result<Vec<Event<'a>>, XmlError> {
        let mut r = Reader::new(doc.as_bytes(), limits)?;
        let mut out = Vec::new();
        loop {
            match r.next()? {
                Event::Eof => return Ok(out),
                ev => out.push(ev),
            }
        }
    }

    fn text(s: &str) -> Event<'static> {
        Event::Text(s.to_string())
    }

    #[test]
    fn elements_text_and_empty_tags() {
        use Event::*;
        assert_eq!(
            events("<?xml version='1.0'?>\n<a x=\"1\" y='2'><b/>hi<c >t</c ></a>\n").unwrap(),
            vec![
                Start("a"),
                Start("b"),
                End("b"),
                text("hi"),
                Start("c"),
                text("t"),
                End("c"),
                End("a")
            ]
        );
        assert_eq!(events("<a/>").unwrap(), vec![Start("a"), End("a")]);
        // Text before an empty-element tag: both queued events come out in order.
        assert_eq!(
            events("<a>x<b/>y</a>").unwrap(),
            vec![
                Start("a"),
                text("x"),
                Start("b"),
                End("b"),
                text("y"),
                End("a")
            ]
        );
        assert_eq!(
            events("\u{FEFF}<!-- c --><?pi x?> <a/> <!-- d -->\n").unwrap(),
            vec![Start("a"), End("a")]
        );
    }

    #[test]
    fn entities_cdata_comments_and_line_ends_coalesce() {
        let evs = events("<a>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;<![CDATA[<&]]>x<!--c-->y]z\r\nw\rv&#13;</a>")
            .unwrap();
        assert_eq!(evs[1], text("<>&\"'AB\u{1F600}<&xy]z\nw\nv\r"));
        assert_eq!(evs.len(), 3);
    }

    #[test]
    fn rejections() {
        let syntax = |doc: &str| match events(doc) {
            Err(XmlError::Syntax { .. }) => {}
            other => panic!("{doc:?}: {other:?}"),
        };
        for doc in [
            "",
            "   ",
            "text",
            "<a>",
            "<a></b>",
            "<a><b></a></b>",
            "</a>",
            "<a/><b/>",
            "<a/>x",
            "<a></a>&amp;",
            "<a>&foo;</a>",
            "<a>&#0;</a>",
            "<a>&#1;</a>",
            "<a>&#xD800;</a>",
            "<a>&#xFFFE;</a>",
            "<a>&#x110000;</a>",
            "<a>&#;</a>",
            "<a>&#x;</a>",
            "<a>&#99999999999999;</a>",
            "<a>&amp</a>",
            "<a>]]></a>",
            "<a>\u{1}</a>",
            "<a>\u{FFFF}</a>",
            "<a><!-- a -- b --></a>",
            "<a><!-- open",
            "<a><![CDATA[open</a>",
            "<![CDATA[x]]><a/>",
            "<a x='1' x='2'/>",
            "<a x=1/>",
            "<a x='<'/>",
            "<ax='1'/>",
            "<a x='1'y='2'/>",
            "<1a/>",
            "<a><?xml version='1.0'?></a>",
            " <?xml version='1.0'?><a/>",
            "<?xml version='1.0' encoding='latin-1'?><a/>",
            "<a><!ELEMENT a ANY></a>",
        ] {
            syntax(doc);
        }
        assert!(matches!(
            events("<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>"),
            Err(XmlError::Doctype { .. })
        ));
        assert!(matches!(
            events("<a><!ENTITY x 'y'></a>"),
            Err(XmlError::Doctype { .. })
        ));
        assert_eq!(
            Reader::new(b"<a>\xff</a>", &Limits::default()).err(),
            Some(XmlError::InvalidUtf8 { offset: 3 })
        );
    }

    #[test]
    fn limits_exact_at_the_boundary() {
        let lim = Limits {
            max_bytes: 20,
            max_depth: 3,
            max_elements: 4,
            max_string: 5,
        };
        assert!(events_with("<a><b><c/></b></a>", &lim).is_ok());
        assert_eq!(
            events_with(
                "<a><b><c><d/></c></b></a>",
                &Limits {
                    max_bytes: 100,
                    ..lim
                }
            ),
            Err(XmlError::TooDeep { limit: 3 })
        );
        assert!(events_with("<a><b/><b/><b/></a>", &lim).is_ok());
        assert_eq!(
            events_with(
                "<a><b/><b/><b/><b/></a>",
                &Limits {
                    max_bytes: 100,
                    ..lim
                }
            ),
            Err(XmlError::TooManyElements { limit: 4 })
        );
        let doc = format!("<a>{}</a>", "x".repeat(13));
        assert_eq!(doc.len(), 20);
        assert!(events_with(
            &doc,
            &Limits {
                max_string: 13,
                ..lim
            }
        )
        .is_ok());
        let doc = format!("<a>{}</a>", "x".repeat(14));
        assert_eq!(
            events_with(
                &doc,
                &Limits {
                    max_string: 14,
                    ..lim
                }
            ),
            Err(XmlError::TooLarge { limit: 20 })
        );
        assert!(events_with("<a>12345</a>", &lim).is_ok());
        assert_eq!(
            events_with("<a>123456</a>", &lim),
            Err(XmlError::StringTooLong { limit: 5 })
        );
        assert_eq!(
            events_with(
                "<a>&amp;&amp;&amp;&amp;&amp;&amp;</a>",
                &Limits {
                    max_bytes: 100,
                    ..lim
                }
            ),
            Err(XmlError::StringTooLong { limit: 5 })
        );
    }
}
