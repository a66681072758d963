//! Logs go to a file in the state directory (`cfingress.log`), never to the terminal, so they
//! cannot disturb the editor. The level comes from `--log-level`, else `CFINGRESS_LOG`, else
//! `info`. Nothing that holds a credential is ever logged: requests are logged by method, path
//! and status only.

use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

/// Starts logging; returns the log file, or `None` when there is no state directory.
pub fn init(level: Option<&str>) -> Option<PathBuf> {
    let dir = crate::settings::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    }
    let path = dir.join("cfingress.log");
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path).ok()?;
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
        .ok()?;
    Some(path)
}
