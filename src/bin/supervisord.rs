//! The `supervisord` binary.

fn main() {
    eprintln!("supervisord: not implemented yet");
    std::process::exit(1);
}
