//! Reading the edited file and writing it back atomically.

use std::path::{Path, PathBuf};

use crate::app::{Event, Published, Snapshot};
use crate::config::files::{Format, Shape, parse_str, yaml_has_comments};

/// Reads the file as a snapshot, noting how it wrapped its config in `shape`. A file that does
/// not exist yet reads as no config: the editor starts a new one and saving creates the file.
pub fn read_snapshot(
    path: &Path,
    format: Format,
    shape: &std::sync::Mutex<Shape>,
) -> Result<Snapshot, String> {
    let text = match crate::config::files::read_config_text(path) {
        Ok(text) => text,
        Err(_) if !path.exists() && std::fs::symlink_metadata(path).is_err() => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            if parent.is_some_and(|p| !p.is_dir()) {
                return Err(format!(
                    "{}: the folder does not exist, so the file cannot be created",
                    path.display()
                ));
            }
            return Ok(Snapshot::default());
        }
        Err(e) => return Err(e.to_string()),
    };
    let loaded = parse_str(&text, format).map_err(|e| format!("{}: {e}", path.display()))?;
    if let Ok(mut s) = shape.lock() {
        *s = loaded.shape;
    }
    Ok(Snapshot {
        version: None,
        config: Some(loaded.config),
        has_comments: format == Format::Yaml && yaml_has_comments(&text),
        saved: None,
        draft_note: None,
        held_by: None,
        file: Some(text.into()),
    })
}

/// Writes `text` to `path` atomically ([`crate::safe_fs::write_atomic`]): the new file keeps the
/// replaced one's mode, owner and group, and the replaced one is kept as `PATH.bak`. Returns the
/// backup's path, if there was a file to back up.
pub fn write_atomically(path: &Path, text: &str) -> Result<Option<PathBuf>, String> {
    crate::safe_fs::write_atomic(path, text.as_bytes(), &crate::safe_fs::WriteOptions::CONFIG)
        .map(|written| written.backup)
        .map_err(|e| {
            format!(
                "cannot write {}: {e}",
                crate::text::inert(&path.display().to_string())
            )
        })
}

/// Writes exactly `text` (what the review showed) to the edited file, if it still holds
/// `expected` (the text the review was made against; `None`: it did not exist). When it changed
/// in between, nothing is written and the answer is [`Event::Moved`] with the file as it is now.
/// Every save is journaled; a journal that cannot be written is a warning, not a failure.
pub fn write_reviewed(
    path: &Path,
    format: Format,
    shape: &std::sync::Mutex<Shape>,
    text: &str,
    expected: Option<&str>,
) -> Event {
    let now = match read_snapshot(path, format, shape) {
        Ok(now) => now,
        Err(e) => return Event::Published(Err(format!("nothing was written: {e}"))),
    };
    if now.file.as_deref() != expected {
        return Event::Moved(now);
    }
    Event::Published(write_atomically(path, text).map(|backup| {
        let journal = super::publish::journal_file_save(path, format, expected, text, "editor");
        let shown = crate::text::inert(&path.display().to_string()).into_owned();
        Published {
            version: None,
            message: match backup {
                Some(b) => format!(
                    "Saved {shown} (previous version kept as {})",
                    crate::text::inert(&b.display().to_string())
                ),
                None => format!("Saved {shown} (a new file)"),
            },
            warnings: journal.into_iter().collect(),
        }
    }))
}
