//! Logs go to a file in the state directory (`cfingress.log`), never to the terminal, so they
//! cannot disturb the editor. The level comes from `--log-level`, else `CFINGRESS_LOG`, else
//! `info`. Nothing that holds a credential is ever logged: requests are logged by method, path
//! and status only.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Starts logging to `cfingress.log` in the state folder, opened without following a symbolic
/// link ([`crate::safe_fs::open_append`]). `Ok(None)`: there is no state folder (no home);
/// `Err`: the state folder is refused ([`crate::settings::private_state_dir`]) or the file
/// cannot be opened, and nothing is logged.
pub fn init(level: Option<&str>) -> Result<Option<PathBuf>, String> {
    let Some(dir) = crate::settings::private_state_dir()? else {
        return Ok(None);
    };
    let path = dir.join("cfingress.log");
    let file = crate::safe_fs::open_append(&path).map_err(|e| e.to_string())?;
    let filter = level
        .map(str::to_owned)
        .or_else(|| std::env::var("CFINGRESS_LOG").ok())
        .unwrap_or_else(|| "info".to_owned());
    let filter = EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .map_err(|e| e.to_string())?;
    Ok(Some(path))
}
