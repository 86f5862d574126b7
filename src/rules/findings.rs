//! Findings: what inspection reports about a token, one [`Finding`] per observation.

use std::fmt;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Apple will reject the token (or it is not a token at all).
    Error,
    /// Likely trouble: close to a limit, about to expire, an unexpected member.
    Warning,
    /// For information: what was and was not checked.
    Info,
}

impl Level {
    /// `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "info",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One observation about a token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Finding {
    /// How serious it is.
    pub level: Level,
    /// A stable snake_case code, e.g. `signature_der` or `lifetime_over_limit`.
    pub code: &'static str,
    /// A sentence that explains it, with the numbers.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}[{}]: {}", self.level, self.code, self.message)
    }
}
