//! The editor driven by bytes, as a terminal sends them, with its output played on a tiny
//! terminal model that fails the test if anything is written in the last column (where a
//! real terminal would wrap).

use super::*;
use crate::ctl::edit::keys::Decoder;
use crate::ctl::edit::width::char_width;

/// A terminal model: printable characters, `\r`, `\n`, BEL, and the sequences the editor
/// uses (`ESC[K`, `ESC[nC`, `ESC[H`, `ESC[2J`).
struct Screen {
    cols: usize,
    rows: Vec<Vec<char>>,
    row: usize,
    col: usize,
    bells: usize,
}

impl Screen {
    fn new(cols: usize) -> Screen {
        Screen {
            cols,
            rows: vec![vec![' '; cols]],
            row: 0,
            col: 0,
            bells: 0,
        }
    }

    fn play(&mut self, bytes: &[u8]) {
        let text = std::str::from_utf8(bytes).expect("the editor writes UTF-8");
        let mut it = text.chars();
        while let Some(c) = it.next() {
            match c {
                '\r' => self.col = 0,
                '\n' => {
                    self.row += 1;
                    if self.row == self.rows.len() {
                        self.rows.push(vec![' '; self.cols]);
                    }
                }
                '\x07' => self.bells += 1,
                '\x1b' => {
                    assert_eq!(it.next(), Some('['));
                    let mut n = String::new();
                    let fin = loop {
                        let c = it.next().expect("complete sequence");
                        if c.is_ascii_digit() || c == ';' {
                            n.push(c);
                        } else {
                            break c;
                        }
                    };
                    match fin {
                        'K' => self.rows[self.row][self.col..].fill(' '),
                        'C' => {
                            let n: usize = n.parse().unwrap_or(1);
                            assert!(n > 0, "ESC[0C moves one column on some terminals");
                            self.col = (self.col + n).min(self.cols - 1);
                        }
                        'H' => (self.row, self.col) = (0, 0),
                        'J' => self.rows.iter_mut().for_each(|r| r.fill(' ')),
                        other => panic!("unexpected sequence {n}{other}"),
                    }
                }
                c => {
                    let w = char_width(c);
                    if w == 0 {
                        continue;
                    }
                    assert!(
                        self.col + w < self.cols,
                        "wrote {c:?} at column {} of {}",
                        self.col,
                        self.cols
                    );
                    self.rows[self.row][self.col] = c;
                    if w == 2 {
                        self.rows[self.row][self.col + 1] = '\0';
                    }
                    self.col += w;
                }
            }
        }
    }

    fn text(&self, row: usize) -> String {
        let s: String = self.rows[row].iter().filter(|&&c| c != '\0').collect();
        s.trim_end().to_string()
    }

    fn current(&self) -> String {
        self.text(self.row)
    }
}

struct Words(Vec<&'static str>, Vec<(String, String)>);

impl Completer for Words {
    fn complete(&mut self, line: &str, word: &str) -> Vec<String> {
        self.1.push((line.to_string(), word.to_string()));
        self.0
            .iter()
            .filter(|w| w.starts_with(word))
            .map(|w| format!("{w} "))
            .collect()
    }
}

struct Rig {
    ed: Editor,
    dec: Decoder,
    screen: Screen,
    done: Vec<Outcome>,
    words: Words,
}

impl Rig {
    fn new(cols: usize, history: &[&str]) -> Rig {
        let h: Vec<String> = history.iter().map(|s| s.to_string()).collect();
        let ed = Editor::new("p> ", &h);
        let mut screen = Screen::new(cols);
        screen.play(&ed.draw(cols));
        Rig {
            ed,
            dec: Decoder::new(),
            screen,
            done: Vec::new(),
            words: Words(
                vec!["start", "status", "stop", "shutdown", "tail", "help"],
                Vec::new(),
            ),
        }
    }

    fn bytes(&mut self, b: &[u8]) -> &mut Rig {
        for &byte in b {
            if let Some(k) = self.dec.feed(byte) {
                let (o, out) = self.ed.key(k, self.screen.cols, &mut self.words);
                self.screen.play(&out);
                if o != Outcome::Editing {
                    self.done.push(o);
                }
            }
        }
        self
    }

    fn typed(&mut self, s: &str) -> &mut Rig {
        self.bytes(s.as_bytes())
    }

    /// The line, and the cursor as a column on the screen.
    fn state(&self) -> (String, usize) {
        (self.ed.line(), self.screen.col)
    }
}

const LEFT: &[u8] = b"\x1b[D";
const RIGHT: &[u8] = b"\x1b[C";
const UP: &[u8] = b"\x1b[A";
const DOWN: &[u8] = b"\x1b[B";

#[test]
fn typing_and_moving() {
    let mut r = Rig::new(40, &[]);
    r.typed("stats");
    assert_eq!(r.screen.current(), "p> stats");
    assert_eq!(r.state(), ("stats".into(), 8));
    r.bytes(LEFT).typed("u");
    assert_eq!(r.state(), ("status".into(), 8));
    assert_eq!(r.screen.current(), "p> status");
    r.bytes(b"\x1b[H");
    assert_eq!(r.ed.cursor(), 0);
    assert_eq!(r.screen.col, 3);
    r.bytes(b"\x1b[F");
    assert_eq!(r.ed.cursor(), 6);
    r.bytes(b"\x01x\x05y");
    assert_eq!(r.ed.line(), "xstatusy");
    r.bytes(b"\x02\x02\x06");
    assert_eq!(r.ed.cursor(), 7);
    assert_eq!(r.screen.current(), "p> xstatusy");
    // Left at the start and Right at the end stay put.
    r.bytes(b"\x01").bytes(LEFT);
    assert_eq!(r.ed.cursor(), 0);
    r.bytes(b"\x05").bytes(RIGHT);
    assert_eq!(r.ed.cursor(), 8);
    assert!(r.done.is_empty());
}

#[test]
fn deleting() {
    let mut r = Rig::new(40, &[]);
    r.typed("abcd").bytes(b"\x01\x1b[3~");
    assert_eq!(r.state(), ("bcd".into(), 3));
    // Ctrl-D on a non-empty line deletes under the cursor.
    r.bytes(b"\x04");
    assert_eq!(r.ed.line(), "cd");
    assert!(r.done.is_empty());
    // Backspace at the start does nothing.
    r.bytes(b"\x7f");
    assert_eq!(r.ed.line(), "cd");
    r.bytes(b"\x05\x08");
    assert_eq!(r.state(), ("c".into(), 4));
    assert_eq!(r.screen.current(), "p> c");
}

#[test]
fn cutting_words_and_lines() {
    let mut r = Rig::new(60, &[]);
    r.typed("stop web  db:*  ").bytes(b"\x17");
    assert_eq!(r.ed.line(), "stop web  ");
    r.bytes(b"\x19");
    assert_eq!(r.ed.line(), "stop web  db:*  ");
    r.bytes(b"\x1bb");
    assert_eq!(r.ed.cursor(), 10);
    r.bytes(b"\x0b");
    assert_eq!(r.ed.line(), "stop web  ");
    r.bytes(b"\x1b\x7f");
    assert_eq!(r.ed.line(), "stop ");
    r.bytes(b"\x01\x1bd");
    assert_eq!((r.ed.line(), r.ed.cursor()), (" ".into(), 0));
    r.bytes(b"\x19");
    assert_eq!((r.ed.line(), r.ed.cursor()), ("stop ".into(), 4));
    r.bytes(b"\x1bb\x1bf\x15");
    assert_eq!(r.state(), (" ".into(), 3));
    assert_eq!(r.screen.current(), "p>");
}

#[test]
fn enter_ctrl_c_and_ctrl_d() {
    let mut r = Rig::new(40, &[]);
    r.typed("abc").bytes(b"\x03");
    assert_eq!(r.screen.text(0), "p> abc^C");
    assert_eq!(r.screen.text(1), "p>");
    assert_eq!(r.state(), ("".into(), 3));
    assert!(r.done.is_empty());
    r.typed("st").bytes(LEFT).bytes(b"\r");
    assert_eq!(r.done, [Outcome::Line("st".into())]);
    assert_eq!(r.screen.row, 2);
    assert_eq!(r.screen.col, 0);

    // A line as wide as the row: ^C on a row of its own, not in the last column.
    let mut r = Rig::new(20, &[]);
    r.typed(&"x".repeat(30)).bytes(b"\x03");
    assert_eq!(r.screen.text(0), format!("p> {}", "x".repeat(16)));
    assert_eq!(r.screen.text(1), "^C");
    assert_eq!(r.screen.text(2), "p>");
    let mut r = Rig::new(20, &[]);
    r.typed(&"x".repeat(14)).bytes(b"\x03");
    assert_eq!(r.screen.text(0), format!("p> {}^C", "x".repeat(14)));

    let mut r = Rig::new(40, &[]);
    r.bytes(b"\x04");
    assert_eq!(r.done, [Outcome::Eof]);
    let mut r = Rig::new(40, &[]);
    r.bytes(b"\x1a");
    assert_eq!(r.done, [Outcome::Suspend]);
}

#[test]
fn history() {
    let mut r = Rig::new(40, &["status", "stop web"]);
    r.typed("sta").bytes(UP);
    assert_eq!(r.state(), ("stop web".into(), 11));
    r.bytes(b"\x10");
    assert_eq!(r.ed.line(), "status");
    // The oldest entry: Up rings the bell and changes nothing.
    r.bytes(UP);
    assert_eq!((r.ed.line(), r.screen.bells), ("status".into(), 1));
    // An edited entry keeps its edit while this line is edited.
    r.typed(" all").bytes(DOWN).bytes(UP);
    assert_eq!(r.ed.line(), "status all");
    r.bytes(b"\x0e\x0e");
    assert_eq!(r.ed.line(), "sta");
    r.bytes(DOWN);
    assert_eq!(r.screen.bells, 2);
    // Ctrl-C drops the edits: the entries are as given again.
    r.bytes(b"\x03").bytes(UP).bytes(UP);
    assert_eq!(r.ed.line(), "status");
    r.bytes(b"\r");
    assert_eq!(r.done, [Outcome::Line("status".into())]);
}

#[test]
fn utf8_moves_by_character() {
    let mut r = Rig::new(40, &[]);
    r.typed("é日x");
    assert_eq!(r.state(), ("é日x".into(), 3 + 4));
    assert_eq!(r.screen.current(), "p> é日x");
    r.bytes(LEFT).bytes(LEFT);
    assert_eq!(r.state(), ("é日x".into(), 4));
    r.bytes(b"\x7f");
    assert_eq!(r.state(), ("日x".into(), 3));
    // A combining mark goes with its base: one Left, one Backspace.
    let mut r = Rig::new(40, &[]);
    r.typed("ae\u{301}b").bytes(LEFT).bytes(LEFT);
    assert_eq!(r.ed.cursor(), 1);
    assert_eq!(r.screen.col, 4);
    r.bytes(RIGHT).bytes(b"\x7f");
    assert_eq!(r.ed.line(), "ab");
}

#[test]
fn long_lines_scroll_sideways() {
    let mut r = Rig::new(20, &[]);
    let text = "start abcdefghijklmnopqrstuvwxyz0123456789";
    r.typed(text);
    // Never the last column: the row shows the end of the line, the cursor after it.
    assert_eq!(r.screen.current(), format!("p> {}", &text[26..]));
    assert_eq!(r.screen.col, 19);
    assert_eq!(r.screen.row, 0);
    r.bytes(b"\x01");
    assert_eq!(r.screen.current(), format!("p> {}", &text[..16]));
    assert_eq!(r.screen.col, 3);
    // Moving right to the edge scrolls one character at a time.
    for _ in 0..17 {
        r.bytes(RIGHT);
    }
    assert_eq!(r.screen.current(), format!("p> {}", &text[1..17]));
    assert_eq!(r.screen.col, 19);
    // Wide characters too.
    let mut r = Rig::new(12, &[]);
    r.typed("日本語の文字列です");
    assert_eq!(r.screen.current(), "p> 字列です");
    assert_eq!(r.screen.col, 11);
    r.bytes(b"\x01");
    assert_eq!(r.screen.current(), "p> 日本語の");
}

#[test]
fn a_prompt_wider_than_the_terminal() {
    let mut ed = Editor::new("supervisor> ", &[]);
    let mut s = Screen::new(8);
    s.play(&ed.draw(8));
    let mut none = Words(vec![], vec![]);
    for c in "status".chars() {
        s.play(&ed.key(Key::Char(c), 8, &mut none).1);
    }
    assert_eq!(s.current(), "r> atus");
    // Even one column does not wrap.
    let mut s = Screen::new(2);
    s.play(&ed.draw(1));
}

#[test]
fn clear_screen_redraws_on_top() {
    let mut r = Rig::new(30, &[]);
    r.screen.play(b"\r\n\n");
    r.typed("abc").bytes(LEFT).bytes(b"\x0c");
    assert_eq!((r.screen.row, r.screen.text(0)), (0, "p> abc".to_string()));
    assert_eq!(r.screen.col, 5);
    assert_eq!(r.ed.line(), "abc");
}

#[test]
fn completion() {
    let mut r = Rig::new(40, &[]);
    // One candidate: completed in place, with its space.
    r.typed("ta\t");
    assert_eq!(r.state(), ("tail ".into(), 8));
    assert_eq!(
        r.words.1.last().unwrap(),
        &("ta".to_string(), "ta".to_string())
    );
    // Several: the common prefix, then a second Tab lists them (sorted, down the columns).
    let mut r = Rig::new(40, &[]);
    r.typed("s\t");
    assert_eq!(r.ed.line(), "s");
    assert_eq!(r.screen.bells, 1);
    r.typed("t\t");
    assert_eq!(r.ed.line(), "st");
    assert_eq!(r.screen.bells, 2);
    r.typed("\t");
    assert_eq!(r.screen.text(0), "p> st");
    assert_eq!(r.screen.text(1), "start    status   stop");
    assert_eq!(r.screen.text(2), "p> st");
    assert_eq!(r.screen.col, 5);
    r.typed("a\t");
    assert_eq!(r.ed.line(), "sta");
    r.typed("r\t");
    assert_eq!(r.ed.line(), "start ");
    // The word is what follows the last delimiter; `:` and `*` are part of it.
    let mut r = Rig::new(40, &[]);
    r.words.0 = vec!["web:a", "web:b", "web:*"];
    r.typed("stop x web:\t\t");
    assert_eq!(
        r.words.1.last().unwrap(),
        &("stop x web:".to_string(), "web:".to_string())
    );
    assert_eq!(r.screen.text(1), "web:*   web:a   web:b");
    // Mid-line: the text before the cursor is completed, the rest stays.
    let mut r = Rig::new(40, &[]);
    r.typed("tai x").bytes(LEFT).bytes(LEFT).typed("\t");
    assert_eq!(r.state(), ("tail  x".into(), 8));
    // Nothing matches: the bell.
    let mut r = Rig::new(40, &[]);
    r.typed("zz\t");
    assert_eq!((r.ed.line(), r.screen.bells), ("zz".into(), 1));
}

#[test]
fn many_completions_ask_first() {
    let names: Vec<String> = (0..150).map(|i| format!("p{i:03}")).collect();
    let leaked: Vec<&'static str> = names
        .into_iter()
        .map(|s| &*Box::leak(s.into_boxed_str()))
        .collect();
    let mut r = Rig::new(80, &[]);
    r.words.0 = leaked;
    r.typed("p\t\t");
    assert_eq!(r.screen.text(1), "Display all 150 possibilities? (y or n)");
    r.typed("n");
    assert_eq!(r.screen.text(2), "p> p");
    assert_eq!(r.ed.line(), "p");
    r.typed("\t\ty");
    // 80 columns, 7 wide: 11 per row, 14 rows, down the columns.
    assert!(r.screen.text(4).starts_with("p000   p014   p028"));
    assert_eq!(r.screen.text(18), "p> p");
}

#[test]
fn the_line_is_bounded() {
    let mut r = Rig::new(40, &[]);
    r.typed(&"x".repeat(1024)).bytes(b"\x15");
    for _ in 0..MAX_CHARS / 1024 {
        r.bytes(b"\x19");
    }
    assert_eq!(r.screen.bells, 0);
    r.typed("y");
    assert_eq!(r.screen.bells, 1);
    assert_eq!(r.ed.line().len(), MAX_CHARS);
}

#[test]
fn searching_the_history() {
    let mut r = Rig::new(60, &["status", "stop web", "tail -f cat", "start web"]);
    r.typed("ver").bytes(b"\x12");
    assert_eq!(r.screen.current(), "(reverse-i-search)`': ver");
    r.typed("st");
    assert_eq!(r.screen.current(), "(reverse-i-search)`st': start web");
    assert_eq!(r.screen.col, 24);
    // Older matches; then none: the bell, the last match stays.
    r.bytes(b"\x12");
    assert_eq!(r.screen.current(), "(reverse-i-search)`st': stop web");
    r.bytes(b"\x12\x12");
    assert_eq!(r.screen.current(), "(failed reverse-i-search)`st': status");
    assert_eq!(r.screen.bells, 1);
    // A longer text may still match the same entry; Backspace searches from the newest.
    r.typed("a");
    assert_eq!(r.screen.current(), "(reverse-i-search)`sta': status");
    r.bytes(b"\x7f\x7f\x7f").typed("web");
    assert_eq!(r.screen.current(), "(reverse-i-search)`web': start web");
    // Ctrl-G: the line as it was.
    r.bytes(b"\x07");
    assert_eq!(r.screen.current(), "p> ver");
    assert_eq!(r.state(), ("ver".into(), 6));
    // Another key takes the match for editing, then acts.
    r.bytes(b"\x12").typed("-f").bytes(b"\x05").typed(" x");
    assert_eq!(r.screen.current(), "p> tail -f cat x");
    // Enter runs the match.
    r.bytes(b"\x15\x12").typed("sto").bytes(b"\r");
    assert_eq!(r.done, [Outcome::Line("stop web".into())]);
}
