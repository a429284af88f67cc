//! `%(name)s` expansion: Python's `str % dict` as Supervisor applies it to every config value,
//! with the reference's two error messages (unknown name, badly formatted). Pure.
//!
//! Supported: `%%`, `%(name)` followed by flags `-+ #0`, a width, a `.precision`, an ignored
//! length modifier `hlL`, and the conversions `s r a d i u x X o c e E f F g G`. A `%` spec
//! without a name formats the whole mapping, as Python does when the argument is a dict
//! (`50% done` therefore fails with `%d format: a real number is required, not dict`).

//!
//! Bounded, unlike Python: a width or precision above [`MAX_WIDTH`] and a result longer than
//! [`MAX_EXPANDED`] bytes are errors (`%(here)400000000s` would otherwise allocate 400 MB on
//! every load and reload).

use crate::pyrepr::str_repr;

/// The largest width or precision of one conversion spec.
pub const MAX_WIDTH: usize = 4096;

/// The longest expanded value, in bytes.
pub const MAX_EXPANDED: usize = 1 << 20;

/// The most bytes one config load may expand in all (checked by the loader: `numprocs`
/// copies of large values add up).
pub const MAX_TOTAL_EXPANDED: usize = 64 << 20;

/// A value that can be expanded: everything is a string except `process_num` and `numprocs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string (most names).
    Str(String),
    /// An integer (`process_num`, `numprocs`).
    Int(i64),
}

impl Value {
    fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "str",
            Value::Int(_) => "int",
        }
    }

    fn repr(&self) -> String {
        match self {
            Value::Str(s) => str_repr(s),
            Value::Int(n) => n.to_string(),
        }
    }
}

/// The names available to one value, in insertion order (the order only shows in the odd
/// `%s`-of-the-whole-mapping case); setting an existing name keeps its position.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    items: Vec<(String, Value)>,
}

impl Names {
    /// No names.
    pub fn new() -> Names {
        Names::default()
    }

    /// Sets `name` to a string.
    pub fn set_str(&mut self, name: &str, value: &str) {
        self.set(name, Value::Str(value.to_string()));
    }

    /// Sets `name` to an integer.
    pub fn set_int(&mut self, name: &str, value: i64) {
        self.set(name, Value::Int(value));
    }

    /// Sets `name`.
    pub fn set(&mut self, name: &str, value: Value) {
        match self.items.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.items.push((name.to_string(), value)),
        }
    }

    /// Adds every name of `other`, overriding ours.
    pub fn extend(&mut self, other: &Names) {
        for (k, v) in &other.items {
            self.set(k, v.clone());
        }
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.items.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Sorted names, as the error message lists them.
    fn sorted_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.items.iter().map(|(k, _)| k.as_str()).collect();
        crate::sort::sort(&mut v);
        v
    }

    /// Python's `repr(dict)`.
    fn repr(&self) -> String {
        let parts: Vec<String> = self
            .items
            .iter()
            .map(|(k, v)| format!("{}: {}", str_repr(k), v.repr()))
            .collect();
        format!("{{{}}}", parts.join(", "))
    }
}

/// Expands `fmt` against `names`. `what` names the option in messages (`program:x.command`).
/// Errors are the reference's full message texts.
pub fn expand(fmt: &str, names: &Names, what: &str) -> Result<String, String> {
    format(fmt, names).map_err(|e| match e {
        Failure::Missing(key) => format!(
            "Format string {} for {} contains names ({}) which cannot be expanded. \
             Available names: {}",
            str_repr(fmt),
            str_repr(what),
            str_repr(&key),
            names.sorted_names().join(", ")
        ),
        Failure::Bad(msg) => format!(
            "Format string {} for {} is badly formatted: {}",
            str_repr(fmt),
            str_repr(what),
            msg
        ),
    })
}

/// Why formatting failed: Python's KeyError, or any other exception's text.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    Missing(String),
    Bad(String),
}

/// The parsed part of one conversion spec between `%` and the conversion character.
#[derive(Default)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

fn format(fmt: &str, names: &Names) -> Result<String, Failure> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // Python hands the whole mapping to the first unnamed spec and fails on the second.
    let mut mapping_used = false;
    let incomplete = || Failure::Bad("incomplete format".into());
    while i < chars.len() {
        if out.len() > MAX_EXPANDED {
            return Err(Failure::Bad(format!(
                "the expanded value is longer than {MAX_EXPANDED} bytes"
            )));
        }
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut named: Option<Value> = None;
        if chars.get(i) == Some(&'(') {
            let (key, next) = read_key(&chars, i)?;
            i = next;
            match names.get(&key) {
                Some(v) => named = Some(v.clone()),
                None => return Err(Failure::Missing(key)),
            }
        }
        let mut spec = Spec::default();
        while let Some(c) = chars.get(i) {
            match c {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                '0' => spec.zero = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'*') {
            return Err(star(&named));
        }
        spec.width = read_number(&chars, &mut i);
        if spec.width > MAX_WIDTH {
            return Err(too_big("width"));
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                return Err(star(&named));
            }
            let p = read_number(&chars, &mut i);
            if p > MAX_WIDTH {
                return Err(too_big("precision"));
            }
            spec.precision = Some(p);
        }
        while matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let conv = *chars.get(i).ok_or_else(incomplete)?;
        let arg = match named.take() {
            Some(v) => Arg::Value(v),
            None if mapping_used => {
                return Err(Failure::Bad(
                    "not enough arguments for format string".into(),
                ))
            }
            None => {
                mapping_used = true;
                Arg::Mapping
            }
        };
        out.push_str(&convert(conv, i, &arg, &spec, names)?);
        i += 1;
    }
    if out.len() > MAX_EXPANDED {
        return Err(Failure::Bad(format!(
            "the expanded value is longer than {MAX_EXPANDED} bytes"
        )));
    }
    Ok(out)
}

/// A width or precision above [`MAX_WIDTH`].
fn too_big(what: &str) -> Failure {
    Failure::Bad(format!("{what} is larger than {MAX_WIDTH}"))
}

/// The argument of one spec: a named value, or the whole mapping.
enum Arg {
    Value(Value),
    Mapping,
}

/// `%(name)` starting at `chars[start] == '('`: the key (nested parentheses allowed) and the
/// index after the closing parenthesis.
fn read_key(chars: &[char], start: usize) -> Result<(String, usize), Failure> {
    let mut depth = 1;
    let mut j = start + 1;
    while j < chars.len() {
        match chars[j] {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((chars[start + 1..j].iter().collect(), j + 1));
                }
            }
            _ => {}
        }
        j += 1;
    }
    Err(Failure::Bad("incomplete format key".into()))
}

fn read_number(chars: &[char], i: &mut usize) -> usize {
    let mut n: usize = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        *i += 1;
    }
    n
}

/// A `*` width or precision: Python takes it from the argument, which is never usable here.
fn star(named: &Option<Value>) -> Failure {
    match named {
        Some(Value::Int(_)) => Failure::Bad("not enough arguments for format string".into()),
        _ => Failure::Bad("* wants int".into()),
    }
}

fn convert(
    conv: char,
    index: usize,
    arg: &Arg,
    spec: &Spec,
    names: &Names,
) -> Result<String, Failure> {
    let text = match (conv, arg) {
        ('s', Arg::Value(Value::Str(s))) => truncate(s, spec.precision),
        ('s', Arg::Value(Value::Int(n))) => truncate(&n.to_string(), spec.precision),
        ('r' | 'a', Arg::Value(v)) => truncate(&v.repr(), spec.precision),
        ('s' | 'r' | 'a', Arg::Mapping) => truncate(&names.repr(), spec.precision),
        ('d' | 'i' | 'u' | 'x' | 'X' | 'o', Arg::Value(Value::Int(n))) => {
            return Ok(pad_number(&integer(*n, conv, spec), spec))
        }
        ('d' | 'i' | 'u', _) => {
            return Err(Failure::Bad(format!(
                "%{conv} format: a real number is required, not {}",
                arg_type(arg)
            )))
        }
        ('x' | 'X' | 'o', _) => {
            return Err(Failure::Bad(format!(
                "%{conv} format: an integer is required, not {}",
                arg_type(arg)
            )))
        }
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', Arg::Value(Value::Int(n))) => {
            return Ok(pad_number(&float(*n, conv, spec), spec))
        }
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', _) => {
            return Err(Failure::Bad(format!(
                "must be real number, not {}",
                arg_type(arg)
            )))
        }
        ('c', Arg::Value(Value::Int(n))) => match u32::try_from(*n).ok().and_then(char::from_u32) {
            Some(c) => c.to_string(),
            None => return Err(Failure::Bad("%c arg not in range(0x110000)".into())),
        },
        ('c', Arg::Value(Value::Str(s))) if s.chars().count() == 1 => s.clone(),
        ('c', _) => return Err(Failure::Bad("%c requires int or char".into())),
        _ => {
            let shown = if conv.is_ascii() && (' '..='~').contains(&conv) {
                conv
            } else {
                '?'
            };
            return Err(Failure::Bad(format!(
                "unsupported format character {} (0x{:x}) at index {index}",
                str_repr(&shown.to_string()),
                conv as u32
            )));
        }
    };
    Ok(pad_text(&text, spec))
}

fn arg_type(arg: &Arg) -> &'static str {
    match arg {
        Arg::Value(v) => v.type_name(),
        Arg::Mapping => "dict",
    }
}

fn truncate(s: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

/// Pads a string conversion: spaces only (`0` is ignored for strings).
fn pad_text(s: &str, spec: &Spec) -> String {
    let len = s.chars().count();
    if len >= spec.width {
        return s.to_string();
    }
    let fill = " ".repeat(spec.width - len);
    if spec.left {
        format!("{s}{fill}")
    } else {
        format!("{fill}{s}")
    }
}

/// Sign and digits of an integer conversion (precision = minimum digits, `#` adds a prefix).
fn integer(n: i64, conv: char, spec: &Spec) -> (String, String) {
    let mag = n.unsigned_abs();
    let mut digits = match conv {
        'x' => format!("{mag:x}"),
        'X' => format!("{mag:X}"),
        'o' => format!("{mag:o}"),
        _ => mag.to_string(),
    };
    if let Some(p) = spec.precision {
        if digits.len() < p {
            digits = format!("{}{digits}", "0".repeat(p - digits.len()));
        }
    }
    let prefix = match (spec.alt, conv) {
        (true, 'x') => "0x",
        (true, 'X') => "0X",
        (true, 'o') => "0o",
        _ => "",
    };
    (sign(n < 0, spec) + prefix, digits)
}

fn sign(negative: bool, spec: &Spec) -> String {
    if negative {
        "-".into()
    } else if spec.plus {
        "+".into()
    } else if spec.space {
        " ".into()
    } else {
        String::new()
    }
}

/// Sign and digits of a float conversion of an integer value. Done on the integer's
/// decimal digits (exact, rounding half to even as Python's float formatting does on these
/// values): linking the float formatter would cost the daemon 16 KB.
fn float(n: i64, conv: char, spec: &Spec) -> (String, String) {
    let p = spec.precision.unwrap_or(6);
    let x = n.unsigned_abs();
    let body = match conv {
        'f' | 'F' => fixed(x, p),
        'e' | 'E' => exponent(x, p, conv == 'E'),
        _ => general(x, p.max(1), conv == 'G', spec.alt),
    };
    (sign(n < 0, spec), body)
}

/// `%f` of an integer: its digits and `p` zeros.
fn fixed(x: u64, p: usize) -> String {
    if p == 0 {
        x.to_string()
    } else {
        format!("{x}.{}", "0".repeat(p))
    }
}

/// The first `sig` (>= 1) significant decimal digits of `x`, rounded half to even, and the
/// decimal exponent of the first one.
fn round_sig(x: u64, sig: usize) -> (Vec<u8>, i32) {
    let all: Vec<u8> = x.to_string().bytes().map(|c| c - b'0').collect();
    let mut exp = all.len() as i32 - 1;
    if x == 0 {
        return (vec![0; sig], 0);
    }
    if all.len() <= sig {
        let mut d = all;
        d.resize(sig, 0);
        return (d, exp);
    }
    let mut d = all[..sig].to_vec();
    let (next, rest) = (all[sig], &all[sig + 1..]);
    let odd = d[sig - 1] % 2 == 1;
    if next > 5 || (next == 5 && (odd || rest.iter().any(|&c| c != 0))) {
        let mut i = sig;
        loop {
            if i == 0 {
                // 99..9 rounded up: 10..0, one more in the exponent.
                d.insert(0, 1);
                d.pop();
                exp += 1;
                break;
            }
            i -= 1;
            if d[i] == 9 {
                d[i] = 0;
            } else {
                d[i] += 1;
                break;
            }
        }
    }
    (d, exp)
}

/// `%e`: mantissa with `p` decimals, exponent with a sign and at least two digits.
fn exponent(x: u64, p: usize, upper: bool) -> String {
    let (d, exp) = round_sig(x, p + 1);
    let mut s = String::with_capacity(p + 6);
    s.push((b'0' + d[0]) as char);
    if p > 0 {
        s.push('.');
        s.extend(d[1..].iter().map(|c| (b'0' + c) as char));
    }
    s.push(if upper { 'E' } else { 'e' });
    s.push(if exp < 0 { '-' } else { '+' });
    s.push_str(&format!("{:02}", exp.abs()));
    s
}

/// `%g`: `%e` when the exponent is < -4 or >= precision, else `%f`; trailing zeros dropped
/// unless `#`. (For an integer, rounding to `p` digits never moves it between the two.)
fn general(x: u64, p: usize, upper: bool, alt: bool) -> String {
    let exp = if x == 0 { 0 } else { x.ilog10() as i32 };
    let s = if exp >= p as i32 {
        exponent(x, p - 1, upper)
    } else {
        fixed(x, (p as i32 - 1 - exp).max(0) as usize)
    };
    if alt {
        return s;
    }
    match s.split_once(['e', 'E']) {
        Some((m, e)) => format!("{}{}{e}", trim_zeros(m), if upper { 'E' } else { 'e' }),
        None => trim_zeros(&s),
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// Pads a numeric conversion: `-` pads right, `0` pads with zeros after the sign.
fn pad_number((sign, digits): &(String, String), spec: &Spec) -> String {
    let len = sign.chars().count() + digits.chars().count();
    if len >= spec.width {
        return format!("{sign}{digits}");
    }
    let n = spec.width - len;
    if spec.left {
        format!("{sign}{digits}{}", " ".repeat(n))
    } else if spec.zero {
        format!("{sign}{}{digits}", "0".repeat(n))
    } else {
        format!("{}{sign}{digits}", " ".repeat(n))
    }
}

#[cfg(test)]
mod tests {

    /// The float formatter these conversions replaced, kept as the oracle.
    fn float_oracle(n: i64, conv: char, p: usize, alt: bool) -> String {
        let x = n.unsigned_abs() as f64;
        let exp_fmt = |x: f64, p: usize, upper: bool| {
            let s = format!("{x:.p$e}");
            let (mant, exp) = s.split_once('e').unwrap();
            let exp: i32 = exp.parse().unwrap();
            let e = if upper { 'E' } else { 'e' };
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mant}{e}{sign}{:02}", exp.abs())
        };
        match conv {
            'f' | 'F' => format!("{x:.p$}"),
            'e' | 'E' => exp_fmt(x, p, conv == 'E'),
            _ => {
                let p = p.max(1);
                let upper = conv == 'G';
                let exp = if x == 0.0 {
                    0
                } else {
                    x.log10().floor() as i32
                };
                let s = if exp < -4 || exp >= p as i32 {
                    exp_fmt(x, p - 1, upper)
                } else {
                    let decimals = (p as i32 - 1 - exp).max(0) as usize;
                    format!("{x:.decimals$}")
                };
                if alt {
                    return s;
                }
                match s.split_once(['e', 'E']) {
                    Some((m, e)) => {
                        format!("{}{}{e}", trim_zeros(m), if upper { 'E' } else { 'e' })
                    }
                    None => trim_zeros(&s),
                }
            }
        }
    }

    #[test]
    fn integer_float_conversions_match_the_float_formatter() {
        let mut values: Vec<i64> = (-1200..1200).collect();
        // Below 2^53, where a float holds the integer exactly (process numbers are small).
        for k in 0..11 {
            let t = 10i64.pow(k);
            values.extend([
                t - 1,
                t,
                t + 1,
                5 * t,
                15 * t,
                25 * t,
                125 * t,
                99_999 * t / 10 + 5,
            ]);
        }
        values.extend([123_456_789, 987_654_321_987, 1 << 40, 999_999_999]);
        for &n in &values {
            for conv in ['f', 'e', 'E', 'g', 'G'] {
                for p in [0usize, 1, 2, 3, 6, 10] {
                    for alt in [false, true] {
                        let spec = Spec {
                            precision: Some(p),
                            alt,
                            ..Spec::default()
                        };
                        assert_eq!(
                            float(n, conv, &spec).1,
                            float_oracle(n, conv, p, alt),
                            "%{}{}.{p}{conv} of {n}",
                            if alt { "#" } else { "" },
                            ""
                        );
                    }
                }
            }
        }
    }

    use super::*;

    fn names() -> Names {
        let mut n = Names::new();
        n.set_str("a", "x");
        n.set_int("n", 5);
        n.set_str("here", "/h");
        n.set_int("big", -12);
        n
    }

    #[test]
    fn formats_like_python() {
        let cases: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("%%", "%"),
            ("100%% sure %(a)s", "100% sure x"),
            ("%(here)s/log", "/h/log"),
            ("%(n)02d", "05"),
            ("%(n)03d", "005"),
            ("%(n)x", "5"),
            ("%(n)#x", "0x5"),
            ("%(n)#X", "0X5"),
            ("%(n)#o", "0o5"),
            ("%(n)#.3o", "0o005"),
            ("%(n)+5d", "   +5"),
            ("%(n)-5d|", "5    |"),
            ("%(n)-05d", "5    "),
            ("%(n).3d", "005"),
            ("%(n)05.1d", "00005"),
            ("%(n) d", " 5"),
            ("%(n)ld", "5"),
            ("%(n)u", "5"),
            ("%(big)05d", "-0012"),
            ("%(big)x", "-c"),
            ("%(a)5s|", "    x|"),
            ("%(a)-5s|", "x    |"),
            ("%(a)05s", "    x"),
            ("%(a).1s", "x"),
            ("%(n)s", "5"),
            ("%(a)r", "'x'"),
            ("%(a)5.2r", "   'x"),
            ("%(n)r", "5"),
            ("%(n)f", "5.000000"),
            ("%(n)10.4f", "    5.0000"),
            ("%(n)e", "5.000000e+00"),
            ("%(n).2e", "5.00e+00"),
            ("%(n)g", "5"),
            ("%(n)c", "\x05"),
            ("%(a)c", "x"),
            ("%s", "{'a': 'x', 'n': 5, 'here': '/h', 'big': -12}"),
        ];
        let n = names();
        for (fmt, want) in cases {
            assert_eq!(format(fmt, &n).as_deref(), Ok(*want), "fmt {fmt:?}");
        }
    }

    #[test]
    fn errors_like_python() {
        let bad = |s: &str| Err(Failure::Bad(s.to_string()));
        let cases: &[(&str, Result<String, Failure>)] = &[
            ("%(zz)s", Err(Failure::Missing("zz".into()))),
            ("ab%(a)s %(q)s %(zz)U", Err(Failure::Missing("q".into()))),
            ("%(a(b))s", Err(Failure::Missing("a(b)".into()))),
            (
                "%(a)%",
                bad("unsupported format character '%' (0x25) at index 4"),
            ),
            (
                "%5%",
                bad("unsupported format character '%' (0x25) at index 2"),
            ),
            (
                "%(a)U",
                bad("unsupported format character 'U' (0x55) at index 4"),
            ),
            (
                "%(a)ñ",
                bad("unsupported format character '?' (0xf1) at index 4"),
            ),
            (
                "%USER%",
                bad("unsupported format character 'U' (0x55) at index 1"),
            ),
            (
                "50% done",
                bad("%d format: a real number is required, not dict"),
            ),
            (
                "%(a)d",
                bad("%d format: a real number is required, not str"),
            ),
            (
                "%(a)i",
                bad("%i format: a real number is required, not str"),
            ),
            ("%(a)x", bad("%x format: an integer is required, not str")),
            ("%(a)f", bad("must be real number, not str")),
            ("%(a", bad("incomplete format key")),
            ("%(a)", bad("incomplete format")),
            ("%(a)s%", bad("incomplete format")),
            ("%-", bad("incomplete format")),
            ("%s %s", bad("not enough arguments for format string")),
            ("%(a)*d", bad("* wants int")),
            ("%(n)*s", bad("not enough arguments for format string")),
            ("%(n)c%(here)c", bad("%c requires int or char")),
            ("%s %U", bad("not enough arguments for format string")),
        ];
        let n = names();
        for (fmt, want) in cases {
            assert_eq!(&format(fmt, &n), want, "fmt {fmt:?}");
        }
    }

    #[test]
    fn hostile_widths_precisions_and_lengths_are_errors() {
        let n = names();
        let bad = |s: &str| Err(Failure::Bad(s.to_string()));
        assert_eq!(
            format("%(here)400000000s", &n),
            bad("width is larger than 4096")
        );
        assert_eq!(
            format("%(n)0999999999d", &n),
            bad("width is larger than 4096")
        );
        assert_eq!(
            format("%(n).99999999999999999999999f", &n),
            bad("precision is larger than 4096")
        );
        assert_eq!(format("%(n)4096d", &n).map(|s| s.len()), Ok(4096));
        assert_eq!(format("%(n).4096e", &n).map(|s| s.len()), Ok(4102));
        let long = "%(here)4096s".repeat(256);
        assert_eq!(format(&long, &n).map(|s| s.len()), Ok(MAX_EXPANDED));
        let longer = format!("{long}x");
        let too_long = bad("the expanded value is longer than 1048576 bytes");
        assert_eq!(format(&longer, &n), too_long);
        assert_eq!(format(&"x".repeat(MAX_EXPANDED + 1), &n), too_long);
        assert_eq!(
            expand("%(here)400000000s", &n, "program:a.command").unwrap_err(),
            "Format string '%(here)400000000s' for 'program:a.command' is badly formatted: \
             width is larger than 4096"
        );
    }

    #[test]
    fn messages_name_the_option_and_list_sorted_names() {
        let mut n = Names::new();
        n.set_str("here", "/h");
        n.set_str("ENV_HOME", "/root");
        assert_eq!(
            expand("%(ENV_X)s", &n, "supervisord.loglevel").unwrap_err(),
            "Format string '%(ENV_X)s' for 'supervisord.loglevel' contains names ('ENV_X') \
             which cannot be expanded. Available names: ENV_HOME, here"
        );
        assert_eq!(
            expand("/bin/echo 50% done", &n, "program:p.command").unwrap_err(),
            "Format string '/bin/echo 50% done' for 'program:p.command' is badly formatted: \
             %d format: a real number is required, not dict"
        );
    }
}
