//! The settings file: any text either parses or is refused with a message that is inert on a
//! terminal; a parsed file answers every profile question without panicking.
#![no_main]

use std::path::Path;

use cfingress::settings::Settings;
use cfingress::text::is_unsafe;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Settings::parse(text, Path::new("settings.toml")) {
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.chars().any(is_unsafe), "raw control in {msg:?}");
        }
        Ok(s) => {
            let names: Vec<String> = s.profiles.keys().cloned().collect();
            for name in names.iter().map(String::as_str).chain([None, Some("nope")].into_iter().flatten()) {
                if let Err(e) = s.profile(Some(name)) {
                    assert!(!e.to_string().chars().any(is_unsafe));
                }
            }
            let _ = s.profile(None);
            let _ = s.warnings();
        }
    }
});
