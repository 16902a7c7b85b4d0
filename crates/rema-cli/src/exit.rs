//! Exit codes and the last line of defence against panics.

use rema_data::DataError;

/// Bad usage: clap's own code for unknown flags and values.
pub const USAGE: u8 = 2;
/// Bad input data.
pub const DATA: u8 = 3;
/// The model cannot be estimated from valid data.
pub const ESTIMATION: u8 = 4;
/// Stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;
/// A program the command needs is not installed or failed (Chromium for
/// `rema run --pdf`); sysexits' EX_UNAVAILABLE.
pub const UNAVAILABLE: u8 = 69;
/// An internal error (a bug).
pub const INTERNAL: u8 = 70;

/// An error that ends the command, with its exit code.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<DataError> for CliError {
    fn from(e: DataError) -> CliError {
        use rema_core::Error as E;
        let code = match &e {
            DataError::Option { .. } => USAGE,
            DataError::Core {
                source: E::Cancelled { .. },
                ..
            } => INTERRUPTED,
            DataError::Core {
                source:
                    E::NotConverged { .. }
                    | E::TooFewStudies { .. }
                    | E::RankDeficient
                    | E::NoFiniteEstimate { .. }
                    | E::Undefined { .. },
                ..
            } => ESTIMATION,
            _ => DATA,
        };
        CliError {
            message: e.to_string(),
            code,
        }
    }
}

/// True for the panic of `print!` when standard output is a closed pipe
/// (`rema ... | head -1`): the reader has what it wanted, which is no error.
fn is_broken_pipe(message: &str) -> bool {
    message.starts_with("failed printing to stdout") && message.contains("os error 32")
}

/// Replaces Rust's panic message with a short request for a report, and
/// ends quietly with status 0 when the panic is a write to a closed pipe.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if is_broken_pipe(message) {
            std::process::exit(0);
        }
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error in rema {}{location}. This is a bug: please report it with the command and input that caused it.",
            env!("CARGO_PKG_VERSION")
        );
    }));
}

#[cfg(test)]
mod tests {
    use super::is_broken_pipe;

    #[test]
    fn only_a_closed_standard_output_is_a_broken_pipe() {
        assert!(is_broken_pipe(
            "failed printing to stdout: Broken pipe (os error 32)"
        ));
        assert!(!is_broken_pipe(
            "failed printing to stdout: No space left on device (os error 28)"
        ));
        assert!(!is_broken_pipe("index out of bounds"));
    }
}
