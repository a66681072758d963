//! Reading the edited file and writing it back atomically.

use std::path::{Path, PathBuf};

use crate::app::{Published, Snapshot};
use crate::config::files::{
    Format, Shape, parse_str, to_json_string, to_yaml_string, yaml_has_comments,
};
use crate::config::model::TunnelConfig;

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

/// Writes `config` to the edited file in its format (and the shape it was read in).
pub fn save_config(
    path: &Path,
    format: Format,
    shape: Shape,
    config: &TunnelConfig,
) -> Result<Published, String> {
    let text = match format {
        Format::Yaml => to_yaml_string(config),
        Format::Json => to_json_string(config, shape == Shape::PutBody),
    }
    .map_err(|e| e.to_string())?;
    let before = std::fs::read_to_string(path).ok();
    write_atomically(path, &text).map(|backup| {
        // Every save is journaled; a journal that cannot be written is a warning, not a failure.
        let journal =
            super::publish::journal_file_save(path, format, before.as_deref(), &text, "editor")
                .map(|w| format!("; warning: {w}"))
                .unwrap_or_default();
        Published {
            version: None,
            message: match backup {
                Some(b) => format!(
                    "Saved {} (previous version kept as {}){journal}",
                    path.display(),
                    b.display()
                ),
                None => format!("Saved {} (a new file){journal}", path.display()),
            },
        }
    })
}
