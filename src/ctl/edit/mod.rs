//! The shell's line editor, without I/O: [`keys`] turns terminal bytes into keys, [`line`]
//! edits a line with them and says what to draw, [`width`] knows how wide a character is
//! on screen. The terminal side is `super::tty`.

pub mod keys;
pub mod line;
pub mod width;
