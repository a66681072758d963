//! The settings file: named profiles (account, default tunnel, API URL, where credentials come
//! from) and UI options. TOML, in the config directory (`directories`), or at `$CFINGRESS_SETTINGS`.
//!
//! ```toml
//! default_profile = "work"
//!
//! [profiles.work]
//! account_id = "699d98642c564d2e855e9661899b7252"
//! tunnel_id = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"
//! token_command = "pass show cloudflare/tunnel-token"
//!
//! [ui]
//! ascii = false
//!
//! [rollout]
//! wait_timeout = 60
//!
//! [keys]
//! publish = "P"
//! undo = ["u", "ctrl-z"]
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::safe_fs::{self, FolderError};
use crate::text::inert;

/// One named profile.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The Cloudflare account id.
    pub account_id: Option<String>,
    /// The tunnel opened by default.
    pub tunnel_id: Option<String>,
    /// The API base URL (for the sandbox or a proxy).
    pub api_url: Option<String>,
    /// A command whose standard output is the API token (e.g. `pass show cloudflare`).
    pub token_command: Option<String>,
    /// The name of an environment variable holding the API token.
    pub token_env: Option<String>,
    /// The name of an environment variable holding the account email (global key auth).
    pub email_env: Option<String>,
    /// The name of an environment variable holding the Global API Key.
    pub key_env: Option<String>,
    /// A token written in the file itself (discouraged: prefer `token_command`).
    pub api_token: Option<String>,
}

/// Terminal UI options.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct UiSettings {
    /// Capture the mouse (off by default so text can be selected).
    pub mouse: Option<bool>,
    /// ASCII borders for terminals without line drawing.
    pub ascii: Option<bool>,
    /// Colour (also turned off by `NO_COLOR`).
    pub color: Option<bool>,
}

/// Waiting for a publish to reach the connectors.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RolloutSettings {
    /// Seconds to wait for every connector to run a published version (the editor's rollout
    /// panel, and `apply --wait` without `--wait-timeout`); 60 when absent.
    pub wait_timeout: Option<u64>,
}

impl RolloutSettings {
    /// The longest wait a setting or `--wait-timeout` may ask for.
    pub const MAX_WAIT: u64 = 3600;

    /// The wait timeout, within 1 s and [`RolloutSettings::MAX_WAIT`].
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(
            self.wait_timeout
                .unwrap_or(crate::effects::rollout::DEFAULT_TIMEOUT.as_secs())
                .clamp(1, Self::MAX_WAIT),
        )
    }
}

/// One key or several, as written in `[keys]`; each of several keeps where it was written, so
/// an error points at the bad one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySpec {
    /// `publish = "P"`
    One(String),
    /// `undo = ["u", "ctrl-z"]`
    Many(Vec<toml::Spanned<String>>),
}

impl<'de> Deserialize<'de> for KeySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Spec;
        impl<'de> serde::de::Visitor<'de> for Spec {
            type Value = KeySpec;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key name or a list of key names")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeySpec, E> {
                Ok(KeySpec::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<KeySpec, A::Error> {
                let mut keys = Vec::new();
                while let Some(k) = seq.next_element::<toml::Spanned<String>>()? {
                    keys.push(k);
                }
                Ok(KeySpec::Many(keys))
            }
        }
        d.deserialize_any(Spec)
    }
}

/// The whole settings file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The profile used without `--profile`.
    pub default_profile: Option<String>,
    /// Named profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// UI options.
    #[serde(default)]
    pub ui: UiSettings,
    /// Rollout options.
    #[serde(default)]
    pub rollout: RolloutSettings,
    /// Key bindings: command name to key or keys (the README lists the command names).
    #[serde(default)]
    pub keys: BTreeMap<toml::Spanned<String>, toml::Spanned<KeySpec>>,
    /// The `[keys]` entries with their line and column, in the file's order.
    #[serde(skip)]
    pub key_overrides: Vec<crate::app::keys::KeyOverride>,
    /// Where the settings were read from.
    #[serde(skip)]
    pub path: Option<PathBuf>,
}

/// Why the settings could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SettingsError {
    /// The file is not valid TOML or has unknown keys.
    #[error("{}: {}", inert(path), inert(message))]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong, with line and column.
        message: String,
    },
    /// The file could not be read.
    #[error("{}: cannot read: {}", inert(path), inert(message))]
    Io {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// `--profile NAME` names no profile.
    #[error(
        "no profile named \"{}\" in {} (profiles: {})",
        inert(name),
        inert(path),
        inert(known)
    )]
    UnknownProfile {
        /// The name asked for.
        name: String,
        /// The file.
        path: String,
        /// The names that exist.
        known: String,
    },
}

/// The settings file path: `$CFINGRESS_SETTINGS`, else `<config dir>/cfingress/settings.toml`.
pub fn settings_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CFINGRESS_SETTINGS") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "cfingress")
        .map(|d| d.config_dir().join("settings.toml"))
}

/// The state directory (drafts, logs): `$CFINGRESS_STATE_DIR` (unless empty), else the platform's.
pub fn state_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CFINGRESS_STATE_DIR").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "cfingress").map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .to_path_buf()
    })
}

/// The largest settings file read (a real one is a few hundred bytes).
pub const MAX_SETTINGS_BYTES: u64 = 1 << 20;

/// The file's text, refusing more than [`MAX_SETTINGS_BYTES`] (`/dev/zero` is not read forever).
fn read_bounded(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_SETTINGS_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_SETTINGS_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB: this is not a settings file",
            MAX_SETTINGS_BYTES >> 10
        )));
    }
    Ok(text)
}

/// The state folder, vetted by [`safe_fs::private_dir`]: created with mode 0700 when missing,
/// never chmod'ed, refused when another user owns it or group or others can write in it.
/// `Ok(None)`: there is no home folder to put it in. The error names the folder, what is wrong
/// and the fix.
pub fn private_state_dir() -> Result<Option<PathBuf>, String> {
    let Some(dir) = state_dir() else {
        return Ok(None);
    };
    safe_fs::private_dir(&dir).map_err(refusal)?;
    Ok(Some(dir))
}

/// A folder inside the state folder (`drafts`, `journal`), both vetted like
/// [`private_state_dir`]. Commands that need it fail with the error; others go on without it.
pub fn private_state_subdir(name: &str) -> Result<PathBuf, String> {
    let dir = private_state_dir()?
        .ok_or("no state folder: set CFINGRESS_STATE_DIR (or HOME)")?
        .join(name);
    safe_fs::private_dir(&dir).map_err(refusal)?;
    Ok(dir)
}

/// Where drafts are saved: `drafts` in the state folder.
pub fn drafts_dir() -> Result<PathBuf, String> {
    private_state_subdir("drafts")
}

/// Why a state folder is refused, and what to do about it.
fn refusal(e: FolderError) -> String {
    let mut fix = match e.chmod_fix() {
        Some(cmd) => format!("run `{cmd}`, or set CFINGRESS_STATE_DIR to a folder of your own"),
        None => "set CFINGRESS_STATE_DIR to a folder of your own (a missing one is created with mode 0700)".to_owned(),
    };
    if matches!(
        e,
        FolderError::Owner { me: 0, .. } | FolderError::ForeignParent { .. }
    ) {
        fix.push_str("; under sudo, `sudo -H` gives root its own home");
    }
    let what = match e {
        FolderError::Io { .. } => "cannot use the state folder",
        _ => "unsafe state folder",
    };
    format!("{what}: {e}: {fix}")
}

impl Settings {
    /// Parses settings text.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SettingsError> {
        let position = |offset: usize| {
            let before = text.get(..offset).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            (line, column)
        };
        let mut s: Settings = toml::from_str(text).map_err(|e| {
            // "line L, column C: what", on one line (toml's own text is a multi-line excerpt).
            let what = e.message().trim_end().replace('\n', " ");
            let message = match e.span() {
                Some(span) => {
                    let (line, column) = position(span.start);
                    format!("line {line}, column {column}: {what}")
                }
                None => what,
            };
            SettingsError::Malformed {
                path: path.display().to_string(),
                message: crate::text::inert(&message).into_owned(),
            }
        })?;
        let mut overrides: Vec<crate::app::keys::KeyOverride> = s
            .keys
            .iter()
            .map(|(command, spec)| {
                let (keys, key_at) = match spec.get_ref() {
                    KeySpec::One(k) => (vec![k.clone()], vec![Some(position(spec.span().start))]),
                    KeySpec::Many(list) => list
                        .iter()
                        .map(|k| (k.get_ref().clone(), Some(position(k.span().start))))
                        .unzip(),
                };
                crate::app::keys::KeyOverride {
                    command: command.get_ref().clone(),
                    keys,
                    at: Some(position(command.span().start)),
                    key_at,
                }
            })
            .collect();
        overrides.sort_by_key(|o| o.at);
        s.key_overrides = overrides;
        s.path = Some(path.to_path_buf());
        Ok(s)
    }

    /// Loads the settings file; a missing file is empty settings.
    pub fn load() -> Result<Self, SettingsError> {
        let Some(path) = settings_path() else {
            return Ok(Settings::default());
        };
        match read_bounded(&path) {
            Ok(text) => Self::parse(&text, &path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(SettingsError::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }

    /// The key bindings in force: the defaults with `[keys]` applied. The error lists every
    /// problem, each with its line and column.
    pub fn keymap(&self) -> Result<crate::app::keys::Keymap, SettingsError> {
        crate::app::keys::Keymap::with_overrides(&self.key_overrides).map_err(|errors| {
            SettingsError::Malformed {
                path: self
                    .path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                message: errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
    }

    /// Warnings about the file itself ([`safe_fs::permission_warnings`]): it names the command
    /// that prints the token and the URL the token is sent to, so other users must not be able to
    /// change it (nor read it, when it holds a token).
    pub fn warnings(&self) -> Vec<String> {
        let Some(path) = &self.path else {
            return Vec::new();
        };
        let holds_secret = self.profiles.values().any(|p| p.api_token.is_some());
        safe_fs::permission_warnings(path, "the settings file", holds_secret)
    }

    /// The profile named `name`, or the default profile, or none.
    pub fn profile(&self, name: Option<&str>) -> Result<Option<&Profile>, SettingsError> {
        let wanted = name.or(self.default_profile.as_deref());
        match wanted {
            None => Ok(None),
            Some(n) => {
                self.profiles
                    .get(n)
                    .map(Some)
                    .ok_or_else(|| SettingsError::UnknownProfile {
                        name: n.to_owned(),
                        path: self
                            .path
                            .as_ref()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        known: if self.profiles.is_empty() {
                            "none".to_owned()
                        } else {
                            self.profiles.keys().cloned().collect::<Vec<_>>().join(", ")
                        },
                    })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_and_errors_have_positions() {
        let s = Settings::parse(
            "default_profile = \"w\"\n[profiles.w]\naccount_id = \"a\"\ntoken_command = \"echo t\"\n",
            Path::new("s.toml"),
        );
        let Ok(s) = s else { panic!("{s:?}") };
        assert_eq!(
            s.profile(None)
                .ok()
                .flatten()
                .and_then(|p| p.account_id.clone()),
            Some("a".into())
        );
        assert!(matches!(
            s.profile(Some("x")),
            Err(SettingsError::UnknownProfile { .. })
        ));
        let e = Settings::parse("[profiles.w]\naccount_id = 5\n", Path::new("s.toml"));
        let Err(e) = e else { panic!() };
        assert!(e.to_string().contains("line 2"), "{e}");
        let e = Settings::parse("[profiles.w]\ntoken = \"x\"\n", Path::new("s.toml"));
        assert!(e.is_err());
    }

    #[test]
    fn the_rollout_timeout_is_bounded() {
        let s = Settings::parse("[rollout]\nwait_timeout = 90\n", Path::new("s.toml"));
        assert_eq!(s.map(|s| s.rollout.timeout().as_secs()).ok(), Some(90));
        let s = Settings::parse("[rollout]\nwait_timeout = 0\n", Path::new("s.toml"));
        assert_eq!(s.map(|s| s.rollout.timeout().as_secs()).ok(), Some(1));
        let s = Settings::parse("", Path::new("s.toml"));
        assert_eq!(s.map(|s| s.rollout.timeout().as_secs()).ok(), Some(60));
        let e = Settings::parse("[rollout]\nwait_timeout = -5\n", Path::new("s.toml"));
        assert!(e.is_err());
        let e = Settings::parse("[rollout]\nwait = 5\n", Path::new("s.toml"));
        assert!(e.is_err_and(|e| e.to_string().contains("wait")));
    }

    #[test]
    fn key_bindings_are_read_and_checked_with_positions() {
        let text = "[ui]\nascii = true\n\n[keys]\npublish = \"P\"\nundo = [\"U\", \"ctrl-z\"]\n";
        let s = Settings::parse(text, Path::new("s.toml")).unwrap_or_else(|e| panic!("{e}"));
        let map = s.keymap().unwrap_or_else(|e| panic!("{e}"));
        use crate::app::keys::{Command, Context, KeyPress};
        assert_eq!(
            map.command(Context::Main, KeyPress::ch('P')),
            Some(Command::Publish)
        );
        assert_eq!(
            map.all_labels(Context::Main, Command::Undo, true),
            "U Ctrl-z"
        );
        let text = "[keys]\npublish = \"P\"\npubish = \"x\"\nundo = \"hyper-u\"\n";
        let s = Settings::parse(text, Path::new("s.toml")).unwrap_or_else(|e| panic!("{e}"));
        let e = s.keymap().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.starts_with("s.toml: line 3, column 1: [keys]: unknown command \"pubish\" (did you mean \"publish\"?)"),
            "{e}"
        );
        assert!(
            e.contains("line 4, column 8: [keys]: undo: \"hyper-u\" is not a key name"),
            "{e}"
        );
        // A bad key in a list is pointed at, not the list; a bad command name at its name.
        let text = "[keys]\npublsh = \"P\"\n  undo = [\"u\", \"ctl-z\"]\n";
        let s = Settings::parse(text, Path::new("s.toml")).unwrap_or_else(|e| panic!("{e}"));
        let e = s.keymap().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains("line 2, column 1: [keys]: unknown command \"publsh\""),
            "{e}"
        );
        assert!(
            e.contains("line 3, column 16: [keys]: undo: \"ctl-z\""),
            "{e}"
        );
        let e = Settings::parse("[keys]\nundo = 5\n", Path::new("s.toml"));
        assert!(e.is_err_and(|e| e.to_string().contains("line 2")));
    }

    #[test]
    fn errors_never_echo_raw_control_characters() {
        for text in [
            "[profiles.w]\naccount_id = \"a\u{1b}]2;owned\u{7}\" x\n",
            "[profiles.\"\u{1b}[2J\"]\nfoo = 1\n",
            "\u{1b}[2J = 1\n",
            "[profiles.w]\n\"k\u{9b}31m\u{202e}\" = 1\n",
            "x = \"\u{1b}\"\n",
        ] {
            let e = Settings::parse(text, Path::new("s\u{1b}[1m.toml"))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(!e.is_empty(), "{text:?} parsed");
            assert!(
                !e.chars().any(crate::text::is_unsafe),
                "{text:?} gave {e:?}"
            );
        }
        let s = Settings::parse("", Path::new("s.toml")).unwrap_or_default();
        let e = s.profile(Some("\u{1b}[2J")).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("\\x1b[2J")));
    }

    #[cfg(unix)]
    #[test]
    fn a_readable_secret_or_a_writable_file_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let path =
            std::env::temp_dir().join(format!("cfingress-settings-{}.toml", std::process::id()));
        let text = "[profiles.w]\napi_token = \"abc\"\n";
        let _ = std::fs::write(&path, text);
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        let s = Settings::parse(text, &path).unwrap_or_default();
        let w = s.warnings();
        assert!(
            w.first()
                .is_some_and(|w| w.contains(&format!("chmod 600 {}", path.display()))),
            "{w:?}"
        );
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        assert!(s.warnings().is_empty());
        // Without a token, reading is harmless but changing it is not (token_command, api_url).
        let text = "[profiles.w]\ntoken_command = \"pass show cf\"\n";
        let s = Settings::parse(text, &path).unwrap_or_default();
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644));
        assert!(s.warnings().is_empty());
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o620));
        let w = s.warnings();
        assert!(
            w.first()
                .is_some_and(|w| w.contains("can be changed by other users (mode 0620)")
                    && w.contains(&format!("chmod go-w {}", path.display()))),
            "{w:?}"
        );
        let _ = std::fs::remove_file(&path);
    }
}
