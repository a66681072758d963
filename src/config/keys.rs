//! Unknown keys that are almost surely mistakes. cloudflared ignores a key it does not know,
//! silently, so a misspelled `conectTimeout` leaves the setting the user meant unset. The model
//! keeps such keys (`extra` at every level); this module says which of them are a known key in
//! another case (ignored by config.yml, whose keys are case-sensitive), a close misspelling of a
//! known key, or a known key at the wrong level (`noTLSVerify` on the rule instead of under
//! `originRequest`). Keys far from every known one are left alone: they may be newer fields, or
//! notes the user keeps on purpose (`x-owner`).

use super::decode::go_fold_eq;
use super::encode::{ACCESS_KEYS, IP_RULE_KEYS, RULE_KEYS, TOP_KEYS, WARP_KEYS, origin_keys};
use super::fields::Field;
use super::model::Extra;
use super::validate::Diagnostic;

/// Where an object sits in a config, which decides the keys it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// The top level of the config.
    Top,
    /// An ingress rule.
    Rule,
    /// An `originRequest` (global or per rule).
    Origin,
    /// `originRequest.access`.
    Access,
    /// An `ipRules` entry.
    IpRule,
    /// `warp-routing`.
    Warp,
}

/// Keys cloudflared reads under `warp-routing` in config.yml that the model keeps as unknown.
const WARP_EXTRA_KEYS: &[&str] = &["connectTimeout", "maxActiveFlows", "tcpKeepAlive"];

impl Level {
    /// The keys the model reads at this level.
    fn modelled(self) -> Vec<&'static str> {
        match self {
            Level::Top => TOP_KEYS.to_vec(),
            Level::Rule => RULE_KEYS.to_vec(),
            Level::Origin => origin_keys(),
            Level::Access => ACCESS_KEYS.to_vec(),
            Level::IpRule => IP_RULE_KEYS.to_vec(),
            Level::Warp => WARP_KEYS.to_vec(),
        }
    }

    /// Keys cloudflared reads at this level that the model keeps among the unknown ones.
    fn also_known(self) -> &'static [&'static str] {
        match self {
            Level::Warp => WARP_EXTRA_KEYS,
            _ => &[],
        }
    }

    /// Where keys of a deeper level belong, as said to the user, for keys that are often put one
    /// level too high.
    fn misplaced(self, key: &str) -> Option<&'static str> {
        let is = |known: &[&str]| known.iter().any(|k| go_fold_eq(key, k));
        match self {
            // Top-level config.yml keys are also cloudflared's command-line flags (kebab-case,
            // `no-tls-verify`): only a camelCase origin key is surely misplaced there.
            Level::Top if !key.contains('-') && is(&origin_keys()) => {
                Some("under the global originRequest")
            }
            Level::Rule if is(&origin_keys()) => Some("under this rule's originRequest"),
            Level::Rule if is(ACCESS_KEYS) => Some("under this rule's originRequest.access"),
            Level::Origin if is(ACCESS_KEYS) => Some("under originRequest.access"),
            Level::Origin | Level::Access if is(&["hostname", "path", "service"]) => {
                Some("on the rule itself, beside hostname and service")
            }
            _ => None,
        }
    }
}

/// The diagnostics for the unknown keys `extra` of one object at `level`; `prefix` is the
/// object's path (`originRequest.`) and `rule` its rule, if any.
pub(crate) fn unknown_key_warnings(
    rule: Option<usize>,
    prefix: &str,
    extra: &Extra,
    level: Level,
    out: &mut Vec<Diagnostic>,
) {
    if extra.is_empty() {
        return;
    }
    let modelled = level.modelled();
    for key in extra.keys() {
        if let Some(message) = judge(key, level, &modelled) {
            out.push(Diagnostic::warning(
                rule,
                Field::Unknown(format!("{prefix}{key}")),
                message,
            ));
        }
    }
}

/// What is wrong with one unknown key, or `None` when it may well be intended.
fn judge(key: &str, level: Level, modelled: &[&'static str]) -> Option<String> {
    if let Some(k) = modelled.iter().find(|k| go_fold_eq(key, k)) {
        // Only config.yml keeps such a key unknown: JSON keys fold case as cloudflared does.
        return Some(format!(
            "key \"{key}\" is ignored by cloudflared in config.yml, where keys are case-sensitive (did you mean \"{k}\"?); the remote JSON config would read it as \"{k}\""
        ));
    }
    if level.also_known().contains(&key) {
        return None;
    }
    let nearest = modelled
        .iter()
        .chain(level.also_known())
        .filter_map(|k| close(key, k).map(|d| (d, *k)))
        .min_by_key(|(d, _)| *d);
    if let Some((_, k)) = nearest {
        return Some(format!(
            "unknown key \"{key}\" is ignored by cloudflared, so {k} is not set here; did you mean \"{k}\"?"
        ));
    }
    level.misplaced(key).map(|place| {
        format!(
            "key \"{key}\" does nothing here: cloudflared ignores it at this level, so the setting is not applied; move it {place}"
        )
    })
}

/// How far `key` is from the known key `known`, when close enough to be a misspelling of it:
/// the edit distance (transpositions count as one edit) between the two compared without case
/// and without `-`, `_` and spaces, allowed to grow with the key's length.
fn close(key: &str, known: &str) -> Option<usize> {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let (a, b) = (norm(key), norm(known));
    let longest = a.chars().count().max(b.chars().count());
    let allowed = match longest {
        0..=2 => 0,
        3..=6 => 1,
        7..=12 => 2,
        _ => 3,
    };
    let d = strsim::osa_distance(&a, &b);
    (d <= allowed && !a.is_empty()).then_some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn says(key: &str, level: Level) -> Option<String> {
        judge(key, level, &level.modelled())
    }

    #[test]
    fn close_misspellings_get_the_nearest_key() {
        for (key, level, want) in [
            ("conectTimeout", Level::Origin, "connectTimeout"),
            ("noTLSVerfy", Level::Origin, "noTLSVerify"),
            ("no_tls_verify", Level::Origin, "noTLSVerify"),
            ("keepAliveConection", Level::Origin, "keepAliveConnections"),
            ("orginRequest", Level::Rule, "originRequest"),
            ("orginRequest", Level::Top, "originRequest"),
            ("servcie", Level::Rule, "service"),
            ("hostnmae", Level::Rule, "hostname"),
            ("host_name", Level::Rule, "hostname"),
            ("ingres", Level::Top, "ingress"),
            ("warp_routing", Level::Top, "warp-routing"),
            ("audTags", Level::Access, "audTag"),
            ("team_name", Level::Access, "teamName"),
            ("requierd", Level::Access, "required"),
            ("alow", Level::IpRule, "allow"),
            ("port", Level::IpRule, "ports"),
            ("enable", Level::Warp, "enabled"),
            ("maxActiveFlow", Level::Warp, "maxActiveFlows"),
        ] {
            let got = says(key, level).unwrap_or_default();
            assert!(
                got.contains(&format!("did you mean \"{want}\"")) && got.contains("is ignored"),
                "{key} at {level:?}: {got}"
            );
        }
    }

    #[test]
    fn keys_at_the_wrong_level_say_where_they_belong() {
        for (key, level, want) in [
            (
                "noTLSVerify",
                Level::Rule,
                "under this rule's originRequest",
            ),
            (
                "teamName",
                Level::Rule,
                "under this rule's originRequest.access",
            ),
            (
                "connectTimeout",
                Level::Top,
                "under the global originRequest",
            ),
            ("audTag", Level::Origin, "under originRequest.access"),
            ("service", Level::Origin, "on the rule itself"),
        ] {
            let got = says(key, level).unwrap_or_default();
            assert!(got.contains(want), "{key} at {level:?}: {got}");
        }
    }

    #[test]
    fn far_off_and_known_unmodelled_keys_are_left_alone() {
        for (key, level) in [
            ("x-owner", Level::Rule),
            ("comment", Level::Rule),
            ("description", Level::Origin),
            ("tunnel", Level::Top),
            ("credentials-file", Level::Top),
            // Legacy command-line flags are valid top-level config.yml keys.
            ("no-tls-verify", Level::Top),
            ("http-host-header", Level::Top),
            ("metrics", Level::Top),
            ("connectTimeout", Level::Warp),
            ("tcpKeepAlive", Level::Warp),
            ("id", Level::Rule),
            ("keepAliveIdleTimeout", Level::Origin),
        ] {
            assert_eq!(says(key, level), None, "{key} at {level:?}");
        }
    }

    #[test]
    fn wrong_case_is_its_own_message() {
        let got = says("noTlsVerify", Level::Origin).unwrap_or_default();
        assert!(got.contains("case-sensitive"), "{got}");
        assert!(got.contains("did you mean \"noTLSVerify\""), "{got}");
    }
}
