//! The values of HTTP: limits, versions, requests and responses, and reason phrases.

use std::time::Duration;

/// Tunable bounds of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Request line plus headers, in bytes.
    pub max_head: usize,
    /// Decoded request body, in bytes.
    pub max_body: usize,
    /// Header fields in one request.
    pub max_headers: usize,
    /// Output bytes queued above which no input is read and no request taken.
    pub out_high_water: usize,
    /// A keep-alive connection with nothing in progress is closed after this long.
    pub idle: Duration,
    /// A started request must arrive completely within this long (else 408), and pending
    /// output that makes no progress for this long drops the connection.
    pub stall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Browsers' heads with cookies stay well under 8 KiB; XML-RPC's are tiny.
            max_head: 16 * 1024,
            // system.multicall and form posts are small; this only caps memory.
            max_body: 2 * 1024 * 1024,
            max_headers: 100,
            // Same as the text protocol's connection.
            out_high_water: 256 * 1024,
            idle: Duration::from_secs(60),
            stall: Duration::from_secs(30),
        }
    }
}

/// The protocol version of a request (and of its response).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0.
    Http10,
    /// HTTP/1.1 (also used for HTTP/1.2 and later minors, as RFC 9110 says).
    Http11,
}

impl Version {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// One complete request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method, as sent (case-sensitive).
    pub method: String,
    /// The request target, raw.
    pub target: String,
    /// The percent-decoded path, without query (`*` for `OPTIONS *`, empty for the
    /// authority form).
    pub path: String,
    /// The decoded query pairs (`+` is a space); a key without `=` has an empty value.
    pub query: Vec<(String, String)>,
    /// The protocol version.
    pub version: Version,
    /// Header fields in order, names as sent, values trimmed (folded lines joined).
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The user and password of `Authorization: Basic base64(user:pass)`.
    pub fn basic_auth(&self) -> Option<(String, String)> {
        let v = self.header("authorization")?;
        let (scheme, token) = v.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let raw = crate::protocol::base64::decode(
            token.trim_matches(' '),
            crate::protocol::base64::BASIC_AUTH,
        )?;
        let text = String::from_utf8(raw).ok()?;
        let (user, pass) = text.split_once(':')?;
        Some((user.to_string(), pass.to_string()))
    }

    /// The first query value for `key`.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// True for `HEAD` (its response carries no body).
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// A whole response. `Content-Length`, `Connection` and `Server` are added when rendered
/// (a `Connection: close` here makes the connection close after it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields (with `Content-Type`).
    pub headers: Vec<(String, String)>,
    /// The body (not sent for `HEAD`).
    pub body: Vec<u8>,
}

impl Response {
    /// A response with a `Content-Type`.
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), content_type.into())],
            body,
        }
    }

    /// An XML-RPC answer (`text/xml`, as the reference sends).
    pub fn xml(body: Vec<u8>) -> Response {
        Response::new(200, "text/xml", body)
    }

    /// Adds a header field.
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Medusa's HTML error page for `status`.
    pub fn error(status: u16) -> Response {
        let body = format!(
            "<head>\r\n<title>Error response</title>\r\n</head>\r\n<body>\r\n\
             <h1>Error response</h1>\r\n<p>Error code {status}.\r\n\
             <p>Message: {}.\r\n</body>\r\n",
            reason(status)
        );
        Response::new(status, "text/html", body.into_bytes())
    }

    /// 401 with the challenge the reference sends; like its auth handler, the connection
    /// closes (the request body was not wanted).
    pub fn unauthorized() -> Response {
        Response::error(401)
            .with_header("WWW-Authenticate", "Basic realm=\"default\"")
            .with_header("Connection", "close")
    }

    /// 404.
    pub fn not_found() -> Response {
        Response::error(404)
    }

    /// A redirect (`301`, `302`, `303`...) to `location`.
    pub fn redirect(status: u16, location: &str) -> Response {
        Response::new(status, "text/html", Vec::new()).with_header("Location", location)
    }
}

/// The reason phrase of a status code.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}
