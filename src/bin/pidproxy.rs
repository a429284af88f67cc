//! The `pidproxy` binary.

fn main() {
    eprintln!("pidproxy: not implemented yet");
    std::process::exit(1);
}
