//! The review's DNS section: the draft's DNS in one line, each change with its toggle (the
//! selected one marked), what is left alone and why, and a token's missing permission once.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::app::App;
use crate::app::dns::DnsReview;
use crate::app::keys::{Command, Context};
use crate::dns::plan::Action;
use crate::dns::{Change, State};
use crate::text::inert;

/// Changes shown at most (a window around the selected one).
const SHOWN_CHANGES: usize = 6;
/// Hostnames left alone shown at most.
const SHOWN_LEFT: usize = 3;

/// A change in words, what matters first (lines are cut at the window's edge).
fn change_words(c: &Change) -> String {
    let host = inert(&c.hostname);
    let now = c
        .record
        .as_ref()
        .map(crate::dns::check::describe_record)
        .unwrap_or_default();
    match c.action {
        Action::Create => format!("create {host}: a proxied CNAME to this tunnel"),
        Action::Proxy => {
            format!("proxy {host} (take over): its DNS-only CNAME to this tunnel becomes proxied")
        }
        Action::Repoint => {
            format!("repoint {host} to this tunnel (take over); now a {now}")
        }
        Action::Delete => {
            format!("delete {host}: an orphan CNAME to this tunnel that no rule uses")
        }
    }
}

/// The section's lines, cut to `width` columns by the caller.
pub(super) fn lines(app: &App, dns: &DnsReview, cursor: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let report = &dns.report;
    let on = dns.changes.iter().filter(|c| c.on).count();
    let keys = if dns.changes.is_empty() {
        String::new()
    } else {
        format!(
            " · {} selects, {} turns on/off",
            app.keymap
                .label(Context::Review, Command::NextItem, theme.ascii),
            app.keymap
                .label(Context::Review, Command::Toggle, theme.ascii)
        )
    };
    out.push(Line::from(vec![
        Span::styled(format!("DNS ({})", inert(&report.summary())), theme.key()),
        Span::styled(
            format!(
                ": {on} of {} change{} on{keys}",
                dns.changes.len(),
                if dns.changes.len() == 1 { "" } else { "s" }
            ),
            theme.dim(),
        ),
    ]));
    if let Some(p) = report.missing_permissions.first() {
        out.push(Line::from(Span::styled(
            format!(
                "  DNS could not be read: the token lacks {p} (the config still publishes; DNS is left as it is)"
            ),
            theme.warning(),
        )));
    } else if let Some(u) = &report.unreadable {
        out.push(Line::from(Span::styled(
            format!("  DNS could not be read: {}", inert(&u.message)),
            theme.warning(),
        )));
    }
    let n = dns.changes.len();
    let start = cursor
        .saturating_sub(SHOWN_CHANGES / 2)
        .min(n.saturating_sub(SHOWN_CHANGES));
    if start > 0 {
        out.push(Line::from(Span::styled(
            theme.text(&format!("      … {start} more above")),
            theme.dim(),
        )));
    }
    for (at, c) in dns
        .changes
        .iter()
        .enumerate()
        .skip(start)
        .take(SHOWN_CHANGES)
    {
        let mark = if at == cursor {
            theme.glyph("▶", ">")
        } else {
            " "
        };
        let tick = if c.on { "[x]" } else { "[ ]" };
        let style = if c.on { theme.ok() } else { theme.dim() };
        let mut line = Line::from(vec![
            Span::styled(format!("  {mark} {tick} "), theme.key()),
            Span::styled(theme.text(&change_words(c)), style),
        ]);
        if at == cursor {
            line = line.patch_style(ratatui::style::Style::default().add_modifier(Modifier::BOLD));
        }
        out.push(line);
    }
    if start + SHOWN_CHANGES < n {
        out.push(Line::from(Span::styled(
            theme.text(&format!("      … {} more below", n - start - SHOWN_CHANGES)),
            theme.dim(),
        )));
    }
    let left = dns.left_alone();
    let (unknown, left): (Vec<_>, Vec<_>) =
        left.into_iter().partition(|h| h.state == State::Unknown);
    for h in left.iter().take(SHOWN_LEFT) {
        out.push(Line::from(Span::styled(
            format!(
                "  left alone: {} ({}){}",
                inert(&h.hostname),
                h.state.as_str(),
                h.message
                    .as_deref()
                    .map(|m| format!(": {}", inert(m)))
                    .unwrap_or_default()
            ),
            theme.warning(),
        )));
    }
    if left.len() > SHOWN_LEFT {
        out.push(Line::from(Span::styled(
            format!("  left alone: {} more", left.len() - SHOWN_LEFT),
            theme.warning(),
        )));
    }
    if !unknown.is_empty() && report.missing_permissions.is_empty() && report.unreadable.is_none() {
        let names: Vec<String> = unknown
            .iter()
            .take(5)
            .map(|h| inert(&h.hostname).into_owned())
            .collect();
        out.push(Line::from(Span::styled(
            theme.text(&format!(
                "  unknown: {}{}{}",
                names.join(", "),
                if unknown.len() > 5 { ", …" } else { "" },
                unknown[0]
                    .message
                    .as_deref()
                    .map(|m| format!(": {}", inert(m)))
                    .unwrap_or_default()
            )),
            theme.warning(),
        )));
    }
    out
}
