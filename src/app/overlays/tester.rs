//! The URL tester: type a URL and the rule that serves it is highlighted as you type. A URL
//! without a scheme is tried as `https://`, and a hostname with capitals as browsers send it
//! (lowercase), each with a note saying so.

use std::sync::Arc;

use super::{Action, Component, Cx, Outcome};
use crate::app::keys::{Command, Context, KeyPress};
use crate::app::line_input::LineInput;
use crate::config::matching::Matcher;

/// What a URL matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tested {
    /// The rule that serves it (0-based).
    pub rule: usize,
    /// How the URL was read ("no scheme: tried as https://...").
    pub notes: Vec<String>,
}

/// The tester.
#[derive(Clone)]
pub struct Tester {
    /// The URL typed.
    pub input: LineInput,
    /// The rule it matches, or why not.
    pub result: Option<Result<Tested, String>>,
    /// The draft's matcher (the draft cannot change while the tester is open).
    matcher: Arc<Matcher>,
}

impl std::fmt::Debug for Tester {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tester")
            .field("input", &self.input.text())
            .field("result", &self.result)
            .finish_non_exhaustive()
    }
}

/// The URL as a browser would send it, and notes on what was changed.
pub fn as_sent(typed: &str) -> (String, Vec<String>) {
    let mut url = typed.trim().to_owned();
    let mut notes = Vec::new();
    if !url.contains("://") {
        url = format!("https://{url}");
        notes.push(format!("no scheme: tried as {}", crate::text::inert(&url)));
    }
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url, notes);
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host = &authority[host_start..];
    if host.chars().any(char::is_uppercase) {
        let lower = host.to_lowercase();
        notes.push(format!(
            "browsers send hostnames in lowercase: tried as {}",
            crate::text::inert(&lower)
        ));
        let at = scheme_end + host_start;
        url.replace_range(at..at + host.len(), &lower);
    }
    (url, notes)
}

impl Tester {
    /// A tester over the draft's rules.
    pub fn new(matcher: Arc<Matcher>) -> Self {
        Tester {
            input: LineInput::default(),
            result: None,
            matcher,
        }
    }

    fn retest(&mut self) -> Outcome {
        let typed = self.input.text();
        self.result = if typed.trim().is_empty() {
            None
        } else {
            let (url, notes) = as_sent(&typed);
            Some(
                self.matcher
                    .match_url(&url)
                    .map(|rule| Tested { rule, notes })
                    .map_err(|e| e.to_string()),
            )
        };
        let rule = self
            .result
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|t| t.rule);
        Outcome::StayThen(Action::Tested(rule))
    }
}

impl Component for Tester {
    fn context(&self) -> Context {
        Context::Tester
    }

    fn key(&mut self, key: KeyPress, cx: &Cx<'_>) -> Outcome {
        match cx.keymap.command(Context::Tester, key) {
            Some(Command::Close) => Outcome::CloseThen(Action::Tested(None)),
            Some(Command::ClearInput) => {
                self.input.clear();
                self.retest()
            }
            _ if self.input.key(key) => self.retest(),
            _ => Outcome::Stay,
        }
    }

    fn paste(&mut self, text: &str, _cx: &Cx<'_>) -> Outcome {
        self.input.insert(text.trim());
        self.retest()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_tried_as_browsers_send_them() {
        assert_eq!(
            as_sent("https://app.example.com/x"),
            ("https://app.example.com/x".to_owned(), vec![])
        );
        let (url, notes) = as_sent("app.example.com/login");
        assert_eq!(url, "https://app.example.com/login");
        assert_eq!(
            notes,
            vec!["no scheme: tried as https://app.example.com/login"]
        );
        let (url, notes) = as_sent("https://user@App.Example.COM:8443/Path");
        assert_eq!(url, "https://user@app.example.com:8443/Path");
        assert_eq!(
            notes,
            vec!["browsers send hostnames in lowercase: tried as app.example.com:8443"]
        );
    }
}
