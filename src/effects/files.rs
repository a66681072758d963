//! Reading the edited file and writing it back atomically.

use std::io::Write;
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
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
            if parent.is_some_and(|p| !p.is_dir()) {
                return Err(format!(
                    "{}: the folder does not exist, so the file cannot be created",
                    path.display()
                ));
            }
            return Ok(Snapshot::default());
        }
        Err(e) => return Err(format!("{}: {e}", path.display())),
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

/// Writes `text` to `path` atomically: a temporary file in the same folder, flushed and synced,
/// renamed over the original, which is first copied to `PATH.bak`. Keeps the file's permissions.
pub fn write_atomically(path: &Path, text: &str) -> Result<Option<PathBuf>, String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config");
    let tmp = dir.join(format!(".{name}.cfingress-{}.tmp", std::process::id()));
    let backup = dir.join(format!("{name}.bak"));
    let result = (|| -> std::io::Result<Option<PathBuf>> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        let had_original = path.exists();
        if had_original {
            let perms = std::fs::metadata(path)?.permissions();
            std::fs::set_permissions(&tmp, perms)?;
            std::fs::copy(path, &backup)?;
        }
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(had_original.then_some(backup.clone()))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| format!("cannot write {}: {e}", path.display()))
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
    write_atomically(path, &text).map(|backup| Published {
        version: None,
        message: match backup {
            Some(b) => format!(
                "Saved {} (previous version kept as {})",
                path.display(),
                b.display()
            ),
            None => format!("Saved {} (a new file)", path.display()),
        },
    })
}
