//! The publish journal as the editor's history window shows it.

use super::journal::{Journal, Outcome};
use crate::app::overlays::history::HistoryItem;

/// The journal's entries, newest first, for the history window (`None`: no state folder).
pub fn items(journal: Option<&Journal>) -> Result<Vec<HistoryItem>, String> {
    let Some(journal) = journal else {
        return Err(
            "there is no state folder (set CFINGRESS_STATE_DIR or HOME), so no history".to_owned(),
        );
    };
    let info = journal.read().map_err(|e| e.to_string())?;
    // A version some publish replaced but no journaled publish made (the version before this
    // machine's first publish, or one a colleague published in between) is offered too, from
    // the config kept with the publish that replaced it: the first rollback an on-call admin
    // needs is to the version before their own publish.
    let made: std::collections::HashSet<u64> =
        info.entries.iter().filter_map(|e| e.to_version).collect();
    let mut offered: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut out = Vec::new();
    for e in info.entries.into_iter().rev() {
        let replaced = match (e.from_version, &e.before) {
            (Some(v), Some(file)) if !made.contains(&v) && offered.insert(v) => Some(HistoryItem {
                time: e.time.clone(),
                from_version: None,
                to_version: Some(v),
                who: "-".to_owned(),
                via: format!("kept when it was replaced by {}", e.via),
                summary: Vec::new(),
                config: Some(file.clone()),
                notes: vec![format!(
                    "version {v} as this machine read it before publishing over it (no journaled publish here made it)"
                )],
            }),
            _ => None,
        };
        out.push(item(e));
        out.extend(replaced);
    }
    Ok(out)
}

/// One journaled publish as the window shows it.
fn item(e: super::journal::Entry) -> HistoryItem {
    let mut notes = Vec::new();
    if e.outcome == Outcome::Unknown {
        notes.push(
            "its outcome is unknown (the answer was lost): the config is what was sent".to_owned(),
        );
    }
    if let Some(gap) = &e.raced {
        notes.push(gap.message());
    }
    if let Some(altered) = &e.altered {
        notes.push(format!(
            "the server stored something else than was sent: {}",
            altered.join("; ")
        ));
    }
    if e.pruned || e.after.is_none() {
        notes.push("its config is no longer kept (pruned)".to_owned());
    }
    HistoryItem {
        time: e.time,
        from_version: e.from_version,
        to_version: e.to_version,
        who: format!("{}@{}", e.user, e.host),
        via: e.via,
        summary: e.summary,
        config: e.after,
        notes,
    }
}
