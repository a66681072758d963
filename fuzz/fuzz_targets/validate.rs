//! Validation pieces on arbitrary text: Go URL and IP address parsing, RE2 parsing and its translation (which
//! must always be a pattern the regex crate accepts), and whole-config validation.
#![no_main]

use cfingress::config::goparse::{atoi, parse_ip_addr, parse_url, split_host_port};
use cfingress::config::goregex::GoRegex;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_url(text).map(|u| u.hostname().len() + u.port().len());
    let _ = parse_ip_addr(text);
    let _ = split_host_port(text);
    let _ = atoi(text);
    if let Ok(re) = GoRegex::parse(text) {
        if let Err(e) = re.compile() {
            let msg = e.to_string();
            assert!(msg.contains("size limit") || msg.contains("exceeds"), "{text:?} -> {:?}: {msg}", re.rust_pattern());
        }
    }
    let json = format!("{{\"ingress\":[{{\"hostname\":{h},\"path\":{h},\"service\":{h}}},{{\"service\":\"http_status:404\"}}]}}", h = serde_json_string(text));
    if let Ok(c) = cfingress::config::files::parse_json_str(&json) {
        let _ = cfingress::config::validate(&c);
    }
});

fn serde_json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
