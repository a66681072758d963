//! Every accepted file format: no panic, and a config that parses writes back to itself.
#![no_main]

use cfingress::config::files::{Format, parse_str, to_json_string, to_yaml_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [Format::Json, Format::Yaml] {
        let Ok(loaded) = parse_str(text, format) else { continue };
        let _ = cfingress::config::validate(&loaded.config);
        if let Ok(json) = to_json_string(&loaded.config, false) {
            let back = parse_str(&json, Format::Json).map(|l| l.config);
            assert_eq!(back.as_ref(), Ok(&loaded.config), "JSON round trip of {json}");
        }
        if let Ok(yaml) = to_yaml_string(&loaded.config) {
            let back = parse_str(&yaml, Format::Yaml).map(|l| l.config);
            assert_eq!(back.as_ref(), Ok(&loaded.config), "YAML round trip of {yaml}");
        }
    }
});
