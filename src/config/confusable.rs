//! Hostnames that pass for another name: invisible characters (a soft hyphen or a zero-width
//! space inside `paypal.example.com`) and labels that mix scripts (a Cyrillic `а` in `pаypal`,
//! an IDN homograph). cloudflared accepts both; a reviewer reading the config cannot see the
//! difference, so each warning shows the name's punycode (IDNA) form, which can.
//!
//! Script mixing follows Unicode TS #39 (`unicode-security`, the crate rustc's own
//! mixed-script lint uses): characters common to all scripts (digits, `-`) never count, and
//! scripts written together (Han with Hiragana and Katakana, Hangul with Han) are one.

use unicode_script::{Script, UnicodeScript};
use unicode_security::MixedScript;

use super::matching::punycode_alias;
use crate::text::is_invisible;

/// The warnings for one hostname, as messages (the caller places them at the hostname field).
/// Cheap for ASCII hostnames without `xn--` labels, which cannot be confusable this way.
pub(crate) fn confusable_warnings(hostname: &str, warn: &mut impl FnMut(String)) {
    let non_ascii = !hostname.is_ascii();
    if non_ascii && hostname.chars().any(is_invisible) {
        warn(invisible_message(hostname));
    }
    if (non_ascii || has_punycode_label(hostname))
        && let Some(message) = mixed_script_message(hostname)
    {
        warn(message);
    }
}

fn has_punycode_label(hostname: &str) -> bool {
    hostname.split('.').any(|l| punycode_body(l).is_some())
}

/// The part after `xn--` of a punycode label.
fn punycode_body(label: &str) -> Option<&str> {
    let prefix = label.get(..4)?;
    (prefix.eq_ignore_ascii_case("xn--") && label.len() > 4).then(|| &label[4..])
}

fn invisible_message(hostname: &str) -> String {
    let mut found: Vec<String> = Vec::new();
    for c in hostname.chars().filter(|&c| is_invisible(c)) {
        let code = format!("U+{:04X}", c as u32);
        if !found.contains(&code) {
            found.push(code);
        }
    }
    let visible: String = hostname.chars().filter(|&c| !is_invisible(c)).collect();
    let visible = crate::text::inert(&visible);
    let what = format!(
        "hostname contains invisible characters ({}): it reads as \"{visible}\"",
        found.join(", ")
    );
    match punycode_alias(hostname) {
        Some(alias) if alias == *visible => format!(
            "{what}, and IDNA drops them, so cloudflared serves it as \"{alias}\" (its punycode form); but the name as written is not \"{visible}\", so reviews and searches miss it; retype it without them"
        ),
        Some(alias) => format!(
            "{what} but its punycode form, the only one requests can match, is \"{alias}\", so requests for \"{visible}\" do not reach this rule; retype it without them"
        ),
        None => format!(
            "{what} but IDNA refuses it, so no request can match this rule; retype it without them"
        ),
    }
}

/// The first label that mixes scripts, with the scripts and the name's other form.
fn mixed_script_message(hostname: &str) -> Option<String> {
    for label in hostname.split('.') {
        let decoded = if let Some(body) = punycode_body(label) {
            match idna::punycode::decode_to_string(body) {
                Some(d) => Some(d),
                None => continue,
            }
        } else if label.is_ascii() {
            continue;
        } else {
            None
        };
        let text = decoded.as_deref().unwrap_or(label);
        if text.is_single_script() {
            continue;
        }
        let scripts = scripts_of(text).join(", ");
        let shown = crate::text::inert(text);
        let what = format!(
            "hostname label \"{shown}\" mixes scripts ({scripts}): it can pass for a different name (an IDN homograph)"
        );
        let form = match &decoded {
            Some(_) => format!("it is \"{}\" in punycode", crate::text::inert(label)),
            None => match punycode_alias(hostname) {
                Some(alias) => format!("its punycode form is \"{}\"", crate::text::inert(&alias)),
                None => "IDNA refuses it, so no request can match this rule".to_owned(),
            },
        };
        return Some(format!(
            "{what}; {form}; make sure it is the name you mean, and write each label in one script"
        ));
    }
    None
}

/// The scripts a text uses, by full name, in order of first use (characters shared by all
/// scripts left out).
fn scripts_of(text: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for c in text.chars() {
        let s = c.script();
        if matches!(s, Script::Common | Script::Inherited | Script::Unknown) {
            continue;
        }
        let name = s.full_name();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn warnings(hostname: &str) -> Vec<String> {
        let mut out = Vec::new();
        confusable_warnings(hostname, &mut |m| out.push(m));
        out
    }

    #[test]
    fn a_cyrillic_letter_in_a_latin_label_is_shown_in_punycode() {
        let w = warnings("p\u{430}ypal.example.com");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("mixes scripts (Latin, Cyrillic)"), "{}", w[0]);
        assert!(w[0].contains("\"xn--pypal-4ve.example.com\""), "{}", w[0]);
        // Written in punycode, the label is decoded and judged the same way.
        let w = warnings("xn--pypal-4ve.example.com");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("\"p\u{430}ypal\""), "{}", w[0]);
        assert!(
            w[0].contains("it is \"xn--pypal-4ve\" in punycode"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn single_script_names_are_fine() {
        for host in [
            "www.example.com",
            "münchen.example",
            "xn--mnchen-3ya.example",
            "пример.рф",
            "日本語ドメイン.example",
            "한국어.example",
            "café-2.example.com",
            "*.bücher.example.com",
        ] {
            assert!(warnings(host).is_empty(), "{host}: {:?}", warnings(host));
        }
    }

    #[test]
    fn invisible_characters_are_named_with_what_cloudflared_serves() {
        let w = warnings("pay\u{ad}pal.example.com");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("(U+00AD)"), "{}", w[0]);
        assert!(w[0].contains("reads as \"paypal.example.com\""), "{}", w[0]);
        assert!(
            w[0].contains("serves it as \"paypal.example.com\" (its punycode form)"),
            "{}",
            w[0]
        );
        let w = warnings("pay\u{200b}pal.example.com");
        assert!(w[0].contains("U+200B"), "{}", w[0]);
        let w = warnings("pay\u{e0041}pal.example.com");
        assert!(w[0].contains("U+E0041"), "{}", w[0]);
        assert!(
            !w[0].contains('\u{e0041}'),
            "the message itself stays visible"
        );
    }
}
