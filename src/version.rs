//! What `cfingress --version` says: the version, the git commit and the build date, so that an
//! admin can tell exactly which build runs on a server. `build.rs` records them at build time.

use std::sync::LazyLock;

/// How many hex digits of the commit the one-line version shows (the long one shows all).
const SHORT_COMMIT: usize = 12;

/// Where and from what a binary was built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildInfo {
    /// The crate version (`0.1.0`).
    pub version: &'static str,
    /// The full commit hash; `None` when the sources were not a git checkout of this project.
    pub commit: Option<&'static str>,
    /// Whether the sources that go into the binary differed from that commit.
    pub dirty: bool,
    /// Seconds since 1970 when it was built (or `SOURCE_DATE_EPOCH`).
    pub built: u64,
    /// The Rust target triple (`x86_64-unknown-linux-gnu`).
    pub target: &'static str,
    /// The compiler's own `--version` line; empty when unknown.
    pub rustc: &'static str,
}

/// This binary's build.
pub const BUILD: BuildInfo = BuildInfo {
    version: env!("CARGO_PKG_VERSION"),
    commit: non_empty(env!("CFINGRESS_COMMIT")),
    dirty: !env!("CFINGRESS_DIRTY").is_empty(),
    built: parse_epoch(env!("CFINGRESS_BUILD_EPOCH")),
    target: env!("CFINGRESS_TARGET"),
    rustc: env!("CFINGRESS_RUSTC"),
};

const fn non_empty(s: &'static str) -> Option<&'static str> {
    if s.is_empty() { None } else { Some(s) }
}

/// Decimal seconds, evaluated at compile time; 0 for anything else (build.rs writes digits).
const fn parse_epoch(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let mut value: u64 = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !b.is_ascii_digit() {
            return 0;
        }
        value = match value.checked_mul(10) {
            Some(v) => match v.checked_add((b - b'0') as u64) {
                Some(v) => v,
                None => return 0,
            },
            None => return 0,
        };
        i += 1;
    }
    value
}

impl BuildInfo {
    /// One line after the program name: `0.1.0 (commit 7aad1c6e0f12, built 2026-11-29)`, or
    /// `0.1.0 (unknown commit, built 2026-11-29)`; `-dirty` marks uncommitted changes.
    pub fn line(&self) -> String {
        let commit = match self.commit {
            Some(hash) => format!(
                "commit {}{}",
                hash.get(..SHORT_COMMIT).unwrap_or(hash),
                if self.dirty { "-dirty" } else { "" }
            ),
            None => "unknown commit".to_owned(),
        };
        let date = self.built_at("%Y-%m-%d");
        format!("{} ({commit}, built {date})", self.version)
    }

    /// The line, then the full commit, the build time to the second, the target and the
    /// compiler: what a bug report needs.
    pub fn long(&self) -> String {
        let commit = match self.commit {
            Some(hash) if self.dirty => format!("{hash} with uncommitted changes"),
            Some(hash) => hash.to_owned(),
            None => "unknown (not built from a git checkout)".to_owned(),
        };
        let mut text = format!(
            "{}\ncommit:   {commit}\nbuilt:    {}\ntarget:   {}",
            self.line(),
            self.built_at("%Y-%m-%d %H:%M:%S UTC"),
            self.target
        );
        if !self.rustc.is_empty() {
            text.push_str("\ncompiler: ");
            text.push_str(self.rustc);
        }
        text
    }

    /// The build time formatted in UTC; "unknown date" when it is past year 9999.
    fn built_at(&self, format: &str) -> String {
        i64::try_from(self.built)
            .ok()
            .and_then(|secs| jiff::Timestamp::from_second(secs).ok())
            .map_or_else(
                || "unknown date".to_owned(),
                |t| t.strftime(format).to_string(),
            )
    }
}

/// [`BuildInfo::line`] of this binary, for clap's `-V`.
pub fn short() -> &'static str {
    static LINE: LazyLock<String> = LazyLock::new(|| BUILD.line());
    LINE.as_str()
}

/// [`BuildInfo::long`] of this binary, for clap's `--version`.
pub fn long() -> &'static str {
    static TEXT: LazyLock<String> = LazyLock::new(|| BUILD.long());
    TEXT.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: BuildInfo = BuildInfo {
        version: "1.2.3",
        commit: Some("7aad1c6e0f12d5a1b2c3d4e5f60718293a4b5c6d"),
        dirty: false,
        built: 1_796_000_000,
        target: "x86_64-unknown-linux-gnu",
        rustc: "rustc 1.95.0 (59807616e 2026-04-14)",
    };

    #[test]
    fn the_line_names_version_short_commit_and_date() {
        assert_eq!(
            SAMPLE.line(),
            "1.2.3 (commit 7aad1c6e0f12, built 2026-11-30)"
        );
        let dirty = BuildInfo {
            dirty: true,
            ..SAMPLE
        };
        assert_eq!(
            dirty.line(),
            "1.2.3 (commit 7aad1c6e0f12-dirty, built 2026-11-30)"
        );
        let unknown = BuildInfo {
            commit: None,
            ..SAMPLE
        };
        assert_eq!(unknown.line(), "1.2.3 (unknown commit, built 2026-11-30)");
    }

    #[test]
    fn the_long_form_adds_full_commit_time_target_and_compiler() {
        assert_eq!(
            SAMPLE.long(),
            "1.2.3 (commit 7aad1c6e0f12, built 2026-11-30)\n\
             commit:   7aad1c6e0f12d5a1b2c3d4e5f60718293a4b5c6d\n\
             built:    2026-11-30 00:53:20 UTC\n\
             target:   x86_64-unknown-linux-gnu\n\
             compiler: rustc 1.95.0 (59807616e 2026-04-14)"
        );
        let unknown = BuildInfo {
            commit: None,
            rustc: "",
            ..SAMPLE
        };
        assert!(
            unknown
                .long()
                .contains("commit:   unknown (not built from a git checkout)\n")
        );
        assert!(!unknown.long().contains("compiler"));
    }

    #[test]
    fn epochs_are_read_at_compile_time_and_nonsense_is_zero() {
        assert_eq!(parse_epoch("1796000000"), 1_796_000_000);
        assert_eq!(parse_epoch(""), 0);
        assert_eq!(parse_epoch("12a"), 0);
        assert_eq!(parse_epoch("99999999999999999999999"), 0);
        // The largest epoch does not overflow the date arithmetic.
        let far = BuildInfo {
            built: u64::MAX,
            ..SAMPLE
        };
        assert_eq!(
            far.line(),
            "1.2.3 (commit 7aad1c6e0f12, built unknown date)"
        );
        assert!(
            far.long().contains("\nbuilt:    unknown date\n"),
            "{}",
            far.long()
        );
    }

    #[test]
    fn this_build_is_described() {
        assert!(short().starts_with(env!("CARGO_PKG_VERSION")));
        assert!(long().starts_with(short()));
        if let Some(hash) = BUILD.commit {
            assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{hash}");
        }
    }
}
