//! The text-line control protocol.
