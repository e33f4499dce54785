//! `--color auto|always|never`, decided once for the process. `auto` means colour only on a
//! terminal and never with a non-empty `NO_COLOR` (<https://no-color.org>); an explicit
//! `--color always|never` wins over both, as no-color.org allows for command-line flags.

use crate::cli::ColorChoice;
use std::io::IsTerminal;
use std::sync::OnceLock;

static CHOICE: OnceLock<ColorChoice> = OnceLock::new();

/// Records `--color` (main calls it once; later calls are ignored).
pub fn set(choice: ColorChoice) {
    let _ = CHOICE.set(choice);
}

/// Whether text written to stdout is coloured.
pub fn stdout() -> bool {
    wanted(
        CHOICE.get().copied().unwrap_or(ColorChoice::Auto),
        std::io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// The decision, apart from the process state it reads.
fn wanted(choice: ColorChoice, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        let auto = ColorChoice::Auto;
        assert!(wanted(auto, true, None));
        assert!(
            wanted(auto, true, Some(OsStr::new(""))),
            "an empty NO_COLOR does not count"
        );
        assert!(!wanted(auto, true, Some(OsStr::new("1"))));
        assert!(!wanted(auto, false, None));
        assert!(!wanted(auto, false, Some(OsStr::new("1"))));
    }

    #[test]
    fn an_explicit_choice_wins_over_terminal_and_no_color() {
        assert!(wanted(ColorChoice::Always, false, Some(OsStr::new("1"))));
        assert!(!wanted(ColorChoice::Never, true, None));
    }
}
