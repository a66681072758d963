//! What the editor told the user: the current message (shown until the next key, wrapped when
//! long) and the session's log of every message, in full (`m`).

use jiff::Timestamp;

/// A message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The text.
    pub text: String,
    /// Whether it reports a failure.
    pub error: bool,
}

/// A message as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    /// The message.
    pub status: Status,
    /// When it was given, if the clock was known.
    pub at: Option<Timestamp>,
}

/// The most messages the log keeps (the oldest go first).
pub const LOG_LIMIT: usize = 500;

/// The current message and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    /// The message on the status line, until the next key.
    pub current: Option<Status>,
    /// Every message of the session, oldest first.
    pub log: std::collections::VecDeque<Logged>,
}

impl Messages {
    /// Shows and logs a message.
    pub fn push(&mut self, text: String, error: bool, at: Option<Timestamp>) {
        let status = Status { text, error };
        if self.log.len() >= LOG_LIMIT {
            self.log.pop_front();
        }
        self.log.push_back(Logged {
            status: status.clone(),
            at,
        });
        self.current = Some(status);
    }

    /// Logs a message without showing it on the status line (something the user may look up
    /// in the log, but need not be interrupted by).
    pub fn log_only(&mut self, text: String, at: Option<Timestamp>) {
        let current = self.current.take();
        self.push(text, false, at);
        self.current = current;
    }

    /// Clears the status line (the log keeps the message).
    pub fn clear(&mut self) {
        self.current = None;
    }
}
