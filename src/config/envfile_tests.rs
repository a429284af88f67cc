//! Unit tests for the environment-file parser: each rule of systemd's grammar, our stricter
//! errors with their lines, the bounds, and the reader's refusals.

use super::*;

fn ok(text: &str) -> Vec<(String, String)> {
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn one(text: &str) -> String {
    let pairs = ok(text);
    assert_eq!(pairs.len(), 1, "{text:?} gave {pairs:?}");
    pairs[0].1.clone()
}

fn err(text: &str) -> String {
    parse(text.as_bytes()).unwrap_err().to_string()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn plain_assignments_comments_and_blank_lines() {
    let text = "# a comment\n; another\n\nA=1\n   \t\nB=two words\n  # indented comment\nC=\n";
    assert_eq!(
        ok(text),
        pairs(&[("A", "1"), ("B", "two words"), ("C", "")])
    );
    assert_eq!(ok(""), pairs(&[]));
    assert_eq!(ok("\n\n# only comments"), pairs(&[]));
    // No final newline.
    assert_eq!(ok("A=1"), pairs(&[("A", "1")]));
    assert_eq!(ok("A="), pairs(&[("A", "")]));
}

#[test]
fn blanks_around_key_and_value() {
    assert_eq!(one("  A  =  x y  \n"), "x y");
    assert_eq!(one("A=\tx\t\n"), "x");
    // Interior blanks stay.
    assert_eq!(one("A=x   y\n"), "x   y");
    // An escaped trailing blank stays.
    assert_eq!(one("A=x\\ \n"), "x ");
    assert_eq!(one("A=x \\ \n"), "x  ");
}

#[test]
fn export_prefix() {
    assert_eq!(ok("export A=1\n"), pairs(&[("A", "1")]));
    assert_eq!(ok("export\t \tA = 1\n"), pairs(&[("A", "1")]));
    // `export` alone is a name; `exportA` is a name.
    assert_eq!(
        ok("export=1\nexportA=2\n"),
        pairs(&[("export", "1"), ("exportA", "2")])
    );
    // `export KEY` alone changes nothing.
    assert_eq!(ok("A=1\nexport A\nexport B"), pairs(&[("A", "1")]));
    assert_eq!(err("export\n"), "line 1: expected KEY=VALUE");
    assert_eq!(err("export 1A\n"), "line 1: expected KEY=VALUE");
}

#[test]
fn unquoted_escapes_and_continuation() {
    assert_eq!(one(r"A=a\\b"), r"a\b");
    assert_eq!(one(r"A=a\b\c"), "abc");
    assert_eq!(one(r"A=\#not a comment"), "#not a comment");
    assert_eq!(one("A=a # stays"), "a # stays");
    assert_eq!(one("A=one\\\ntwo\n"), "onetwo");
    assert_eq!(one("A=one \\\n  two\n"), "one   two");
    assert_eq!(one("A=one\\\r\ntwo\r\n"), "onetwo");
    // A value starting with a backslash.
    assert_eq!(one(r"A=\'x'"), "'x'");
    // A backslash at the very end.
    assert_eq!(one("A=x\\"), "x");
}

#[test]
fn quotes_inside_an_unquoted_value_stay() {
    assert_eq!(one(r#"A=a"b c"d"#), r#"a"b c"d"#);
    assert_eq!(one("A=it's"), "it's");
}

#[test]
fn single_quotes() {
    assert_eq!(one("A='x y'"), "x y");
    assert_eq!(one(r"A='a\nb\\'"), r"a\nb\\");
    assert_eq!(one("A='  padded  '  \n"), "  padded  ");
    assert_eq!(one("A='two\nlines'\n"), "two\nlines");
    assert_eq!(one(r#"A='say "hi"'"#), r#"say "hi""#);
    assert_eq!(one("A=''"), "");
    assert_eq!(one("A='#x'"), "#x");
}

#[test]
fn double_quotes() {
    assert_eq!(one(r#"A="x y""#), "x y");
    assert_eq!(one(r#"A="a\"b\\c\`d\$e""#), r#"a"b\c`d$e"#);
    // Other escapes keep their backslash.
    assert_eq!(one(r#"A="a\nb\tc\'""#), r"a\nb\tc\'");
    assert_eq!(one("A=\"one\\\ntwo\""), "onetwo");
    assert_eq!(one("A=\"two\nlines\""), "two\nlines");
    assert_eq!(one(r#"A="it's""#), "it's");
    assert_eq!(one(r#"A="""#), "");
    assert_eq!(one("A=\"$HOME\""), "$HOME");
}

#[test]
fn after_a_closing_quote() {
    assert_eq!(one("A='a' b"), "ab");
    assert_eq!(one("A='a''b'"), "ab");
    assert_eq!(one(r#"A="a" 'b' c d"#), "abc d");
    assert_eq!(one("A='a'   \n"), "a");
}

#[test]
fn later_assignment_wins_and_keeps_its_place() {
    assert_eq!(ok("A=1\nB=2\nA=3\n"), pairs(&[("A", "3"), ("B", "2")]));
}

#[test]
fn comments_do_not_continue() {
    // systemd 254 and later: a comment's trailing backslash does not swallow the next line.
    assert_eq!(ok("# x \\\nA=1\n"), pairs(&[("A", "1")]));
    assert_eq!(ok("; x \\\nA=1\n"), pairs(&[("A", "1")]));
}

#[test]
fn line_endings_and_bom() {
    assert_eq!(ok("A=1\r\nB='x'\r\n"), pairs(&[("A", "1"), ("B", "x")]));
    assert_eq!(ok("\u{feff}A=1\n"), pairs(&[("A", "1")]));
    // A lone CR ends an unquoted line, as in systemd.
    assert_eq!(ok("A=1\rB=2"), pairs(&[("A", "1"), ("B", "2")]));
    assert_eq!(one("A=\"x\ry\""), "x\ry");
}

#[test]
fn utf8_values() {
    assert_eq!(one("A=héllo wörld 😀"), "héllo wörld 😀");
    assert_eq!(one("A=\"é\\é\""), "é\\é");
}

#[test]
fn key_names() {
    for good in ["A", "_", "a_b", "A1", "_9", "lower"] {
        assert_eq!(ok(&format!("{good}=v")), pairs(&[(good, "v")]));
    }
    for bad in ["1A", "A-B", "A.B", "A B", "é", "\"A\"", "$A"] {
        assert_eq!(
            err(&format!("X=1\n{bad}=v\n")),
            "line 2: invalid variable name (letters, digits and _ only, not starting with a digit)",
            "{bad}"
        );
    }
    // A line starting with `=` has its `=` in the key, as in systemd.
    assert_eq!(err("=v"), "line 1: expected KEY=VALUE");
    assert!(err("==v").starts_with("line 1: invalid variable name"));
}

#[test]
fn errors_name_the_line() {
    assert_eq!(err("A=1\n\n# c\nNOEQUALS\n"), "line 4: expected KEY=VALUE");
    assert_eq!(
        err("A=1\nB='open\n\nC=2\n"),
        "line 2: single quote not closed"
    );
    assert_eq!(err("A=\"open\\\""), "line 1: double quote not closed");
    assert_eq!(err("A=\"open\\"), "line 1: double quote not closed");
    // A continued value's error is at the line where its key began.
    assert_eq!(err("A=x\\\n\\\nB\nC\n"), "line 4: expected KEY=VALUE");
    assert_eq!(
        err("A=x\\\ny\n1B=x\\\ny"),
        "line 3: invalid variable name (letters, digits and _ only, not starting with a digit)"
    );
    assert_eq!(err("A=1\r\nB\r\n"), "line 2: expected KEY=VALUE");
    assert_eq!(err("A=1\nB=\0\n"), "line 2: NUL byte");
    assert_eq!(
        parse(b"A=1\nB=2\nC=\xff\n").unwrap_err().to_string(),
        "line 3: invalid UTF-8"
    );
}

#[test]
fn messages_never_quote_the_text() {
    for text in [
        "s3cr3t",
        "s3-cr3t=1",
        "A='s3cr3t",
        "A=\"s3cr3t",
        "X=s3cr3t\0",
    ] {
        assert!(!err(text).contains("s3cr3t"), "{text}");
    }
}

#[test]
fn bounds() {
    let big = format!("A={}\n", "x".repeat(MAX_LINE_BYTES - 2));
    assert_eq!(one(&big).len(), MAX_LINE_BYTES - 2);
    let long = format!("A=1\nB={}\n", "x".repeat(MAX_LINE_BYTES - 1));
    assert_eq!(
        err(&long),
        format!("line 2: longer than {MAX_LINE_BYTES} bytes")
    );
    // Quoted values may span many short lines up to the file bound.
    let many = "A=1\n".repeat(MAX_VARIABLES);
    assert_eq!(ok(&many), pairs(&[("A", "1")]));
    let too_many = "A=1\n".repeat(MAX_VARIABLES + 1);
    assert_eq!(
        err(&too_many),
        format!(
            "line {}: more than {MAX_VARIABLES} assignments",
            MAX_VARIABLES + 1
        )
    );
    let huge = vec![b'\n'; MAX_FILE_BYTES + 1];
    assert_eq!(
        parse(&huge).unwrap_err().to_string(),
        format!("larger than {MAX_FILE_BYTES} bytes")
    );
}

#[test]
fn read_regular_files_and_links() {
    let dir = std::env::temp_dir().join(format!("envfile-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("a.env");
    std::fs::write(&file, "export A='1'\n").unwrap();
    let link = dir.join("link.env");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    assert_eq!(read(&file, false).unwrap(), pairs(&[("A", "1")]));
    assert_eq!(read(&link, false).unwrap(), pairs(&[("A", "1")]));

    let missing = dir.join("missing.env");
    assert_eq!(read(&missing, true).unwrap(), pairs(&[]));
    let e = read(&missing, false).unwrap_err();
    assert_eq!(e.line, None);
    assert!(e.message.contains("No such file"), "{e}");
    // `-` forgives only a missing file.
    assert_eq!(read(&dir, true).unwrap_err().message, "not a regular file");

    // A FIFO would block the daemon: refused without waiting for a writer.
    let fifo = dir.join("fifo.env");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    assert_eq!(
        read(&fifo, false).unwrap_err().message,
        "not a regular file"
    );

    let big = dir.join("big.env");
    std::fs::write(&big, vec![b'#'; MAX_FILE_BYTES + 1]).unwrap();
    assert_eq!(
        read(&big, false).unwrap_err().message,
        format!("larger than {MAX_FILE_BYTES} bytes")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_man_page_example() {
    let text = "# database\nexport DB_URL='postgres://api@db/api'\nGREETING=\"say \\\"hi\\\"\"\n\
                ; environment= above wins: the program gets debug\nLOG_LEVEL=info\n";
    assert_eq!(
        ok(text),
        pairs(&[
            ("DB_URL", "postgres://api@db/api"),
            ("GREETING", "say \"hi\""),
            ("LOG_LEVEL", "info")
        ])
    );
}
