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
    Ok(info
        .entries
        .into_iter()
        .rev()
        .map(|e| {
            let mut notes = Vec::new();
            if e.outcome == Outcome::Unknown {
                notes.push(
                    "its outcome is unknown (the answer was lost): the config is what was sent"
                        .to_owned(),
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
        })
        .collect())
}
