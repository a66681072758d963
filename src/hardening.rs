//! Keeping the secrets cfingress holds in memory (an API token that can rewrite production
//! routing) out of core dumps, for the whole process and the commands it starts.

/// Forbids core dumps: the core size limit (soft and hard) becomes 0, so neither cfingress nor a
/// `token_command` it runs can dump, and on Linux the process is also marked not dumpable,
/// because a `core_pattern` that pipes to a collector (systemd-coredump, apport) is not bound
/// by the size limit. Not dumpable also keeps other processes of the same user from attaching to
/// it or reading its memory through `/proc`. Call it first thing; an error says which step failed
/// (the process goes on, it is only less protected).
pub fn forbid_core_dumps() -> Result<(), String> {
    imp::forbid_core_dumps()
}

#[cfg(unix)]
mod imp {
    use rustix::process::{Resource, Rlimit, setrlimit};

    pub(super) fn forbid_core_dumps() -> Result<(), String> {
        setrlimit(
            Resource::Core,
            Rlimit {
                current: Some(0),
                maximum: Some(0),
            },
        )
        .map_err(|e| format!("cannot set the core size limit to 0: {e}"))?;
        #[cfg(target_os = "linux")]
        rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
            .map_err(|e| format!("cannot mark the process as not dumpable: {e}"))?;
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    pub(super) fn forbid_core_dumps() -> Result<(), String> {
        Ok(())
    }
}
