//! The `supervisorctl` binary.

fn main() {
    eprintln!("supervisorctl: not implemented yet");
    std::process::exit(1);
}
