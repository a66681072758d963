//! `cfingress history`: the local publish journal of a tunnel (found offline, by its id or the
//! name the journal remembers) or of a file, newest first, as text within 80 columns or JSON.

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use super::remote::{Failure, TunnelRef, fail, ids_for, no_state_dir, shown_path};
use super::{OutputFormat, TargetArgs};
use crate::api::ids::is_uuid;
use crate::effects::journal::{self, Journal, JournalInfo};
use crate::text::{inert, json_inert};

/// The journal `history` shows (`None`: nothing journaled yet) and how to name what it is of: a
/// file's, or a tunnel's found offline by its id or its remembered name.
fn find_journal(
    target: &TargetArgs,
    file: Option<&Path>,
) -> Result<(Option<(Journal, JournalInfo)>, String), Failure> {
    if let Some(path) = file {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let journal = Journal::file(&path).ok_or_else(no_state_dir)?;
        let info = journal.read().map_err(|e| fail(2, e.to_string()))?;
        return Ok((Some((journal, info)), format!("file {}", shown_path(&path))));
    }
    let state = crate::settings::state_dir().ok_or_else(no_state_dir)?;
    let (account, tunnel) = ids_for(target)?;
    let Some(wanted) = tunnel else {
        return Err(fail(
            2,
            "no tunnel given: pass --tunnel ID|NAME (or --file PATH for a file's journal)",
        ));
    };
    let mut found: Vec<(Journal, JournalInfo)> = Journal::all(&state)
        .into_iter()
        .filter(|(_, info)| {
            info.remote_ids().is_some_and(|(a, id)| {
                (id == wanted || info.name.as_deref() == Some(wanted.as_str()))
                    && account.as_deref().is_none_or(|want| want == a)
            })
        })
        .collect();
    match found.len() {
        1 => {
            let (journal, info) = found.remove(0);
            let shown = TunnelRef {
                id: info
                    .remote_ids()
                    .map(|(_, id)| id.to_owned())
                    .unwrap_or_default(),
                name: info.name.clone(),
            }
            .shown();
            Ok((Some((journal, info)), format!("tunnel {shown}")))
        }
        0 => {
            // A journal that cannot be read cannot be matched by name; by id, it says so.
            if is_uuid(&wanted)
                && let Some((_, e)) = Journal::unreadable(&state)
                    .into_iter()
                    .find(|(dir, _)| dir.display().to_string().contains(wanted.as_str()))
            {
                return Err(fail(2, e.to_string()));
            }
            Ok((None, format!("tunnel {}", inert(&wanted))))
        }
        n => Err(fail(
            2,
            format!(
                "{n} journals are of a tunnel \"{}\" (in different accounts): pass --account ID",
                inert(&wanted)
            ),
        )),
    }
}

pub(super) fn history(
    target: &TargetArgs,
    file: Option<&Path>,
    format: OutputFormat,
) -> Result<u8, Failure> {
    let (journal, title) = find_journal(target, file)?;
    let entries = journal
        .as_ref()
        .map_or(&[][..], |(_, info)| info.entries.as_slice());
    let mut out = std::io::stdout().lock();
    if format == OutputFormat::Json {
        let list: Vec<Value> = entries.iter().rev().map(entry_json).collect();
        let _ = writeln!(out, "{}", json_inert(&json!({ "entries": list })));
        return Ok(0);
    }
    let (what, plural_none, done) = if file.is_some() {
        ("save", "s", "saved")
    } else {
        ("publish", "es", "published")
    };
    let Some((journal, _)) = journal.as_ref().filter(|_| !entries.is_empty()) else {
        for line in wrap(
            &format!(
                "No {what}{plural_none} journaled for {title}: the journal holds what this user {done} from this machine with cfingress."
            ),
            WIDTH,
            "",
            "",
        ) {
            let _ = writeln!(out, "{line}");
        }
        return Ok(0);
    };
    let n = entries.len();
    let plural = if n == 1 { "" } else { plural_none };
    for line in wrap(
        &format!("{n} journaled {what}{plural} of {title}, newest first:"),
        WIDTH,
        "",
        "",
    ) {
        let _ = writeln!(out, "{line}");
    }
    for e in entries.iter().rev() {
        let _ = writeln!(out);
        for line in entry_text(e) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Journal: {}", journal.dir().display());
    Ok(0)
}

/// The width the text of `history` keeps to.
const WIDTH: usize = 80;
/// Summary lines shown per entry in text (JSON has them all).
const SUMMARY_LINES: usize = 8;

/// `line` cut to `width` characters, ending with `…` when cut.
fn fit(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_owned();
    }
    let mut s: String = line.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}

/// `text` wrapped at word boundaries to `width`, the first line after the prefix `first`, the
/// others after `rest`.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_owned();
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::replace(&mut line, rest.to_owned()));
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    lines.push(line);
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// `2026-04-14T14:06:03.123456Z` as `2026-04-14 14:06:03 UTC`.
/// `2026-04-14T14:06:03.512Z` as `2026-04-14 14:06:03 UTC`; anything else inert, as given.
pub(super) fn readable_time(time: &str) -> String {
    match (time.get(..10), time.get(11..19)) {
        (Some(day), Some(clock)) if time.ends_with('Z') => {
            format!("{} {} UTC", inert(day), inert(clock))
        }
        _ => inert(time).into_owned(),
    }
}

fn versions_text(e: &journal::Entry) -> String {
    let v = |n: Option<u64>| n.map_or_else(|| "new".to_owned(), |n| format!("v{n}"));
    match e.outcome {
        journal::Outcome::Saved => "saved".to_owned(),
        journal::Outcome::Unknown => format!("{} → ? (outcome unknown)", v(e.from_version)),
        journal::Outcome::Published => format!(
            "{} → {}",
            v(e.from_version),
            e.to_version
                .map_or_else(|| "?".to_owned(), |n| format!("v{n}"))
        ),
    }
}

fn entry_text(e: &journal::Entry) -> Vec<String> {
    let mut lines = vec![fit(
        &format!(
            "{}  {}  {}@{}  {}",
            readable_time(&e.time),
            versions_text(e),
            inert(&e.user),
            inert(&e.host),
            inert(&e.via)
        ),
        WIDTH,
    )];
    for l in e.summary.iter().take(SUMMARY_LINES) {
        lines.push(fit(&format!("  {}", inert(l)), WIDTH));
    }
    if e.summary.len() > SUMMARY_LINES {
        lines.push(format!(
            "  … {} more lines (--format json shows them all)",
            e.summary.len() - SUMMARY_LINES
        ));
    }
    if let Some(gap) = &e.raced {
        lines.extend(wrap(&inert(&gap.message()), WIDTH, "  ! RACED: ", "    "));
    }
    if let Some(altered) = &e.altered {
        lines.extend(wrap(
            "the server answered with a config other than the one sent:",
            WIDTH,
            "  ! ",
            "    ",
        ));
        for l in altered.iter().take(SUMMARY_LINES) {
            lines.push(fit(&format!("    {}", inert(l)), WIDTH));
        }
    }
    if e.pruned {
        lines.push("  (its configs are no longer kept)".to_owned());
    }
    lines
}

fn entry_json(e: &journal::Entry) -> Value {
    json!({
        "time": e.time,
        "from_version": e.from_version,
        "to_version": e.to_version,
        "summary": e.summary,
        "user": e.user,
        "host": e.host,
        "via": e.via,
        "outcome": e.outcome,
        "raced": e.raced.map(|g| json!({
            "checked_version": g.checked_version,
            "published_version": g.published_version,
            "overwritten_versions": g.overwritten().map(|(a, b)| json!([a, b])),
            "message": g.message(),
        })),
        "altered": e.altered,
        "configs_kept": e.before.is_some() || e.after.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::readable_time;

    #[test]
    fn a_journal_or_server_time_is_shown_inert_whatever_it_holds() {
        assert_eq!(
            readable_time("2026-04-14T14:06:03.512Z"),
            "2026-04-14 14:06:03 UTC"
        );
        // Escapes placed exactly where the day and the clock are cut out.
        for hostile in [
            "\u{1b}]2;PWNED\u{7}X\u{1b}[2J\u{1b}[3JZ",
            "\u{202e}\u{1b}]2;PWN\u{7}X\u{1b}[2J\u{1b}[3JZ",
            "2026-04-1\u{9b}T\u{200b}\u{ad}:06:03.512Z",
        ] {
            let shown = readable_time(hostile);
            assert!(
                !shown.chars().any(crate::text::is_unsafe),
                "{hostile:?} shown as {shown:?}"
            );
        }
    }
}
