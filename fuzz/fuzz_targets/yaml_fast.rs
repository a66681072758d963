//! The fast config.yml reader either declines a text or reads exactly what the general parser
//! reads (values, styles and positions).
#![no_main]

use cfingress::config::{yamlfast, yamltree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(fast) = yamlfast::parse(text) {
        assert_eq!(yamltree::parse(text), Ok(Some(fast)), "{text:?}");
    }
});
