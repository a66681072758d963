//! URL matching: any URL against a fixed config and against rules built from the input.
#![no_main]

use cfingress::config::files::parse_json_str;
use cfingress::config::matching::Matcher;
use libfuzzer_sys::fuzz_target;

const CONFIG: &str = r#"{"ingress":[
  {"hostname":"app.example.com","path":"^/api/","service":"http://a"},
  {"hostname":"*.example.com","service":"http://b"},
  {"hostname":"münchen.example","service":"http://c"},
  {"hostname":"Example.org","path":"(?i)login","service":"http://d"},
  {"service":"http_status:404"}]}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(config) = parse_json_str(CONFIG) else { return };
    let m = Matcher::new(config.rules());
    if let Ok(i) = m.match_url(text) {
        assert!(i < config.rules().len());
    }
    // The input as a rule's hostname and path too.
    let (host, path) = text.split_once('\n').unwrap_or((text, ""));
    let rules = vec![
        cfingress::config::IngressRule::new(cfingress::config::RuleFields {
            hostname: cfingress::config::Setting::Set(host.to_owned()),
            path: cfingress::config::Setting::Set(path.to_owned()),
            ..Default::default()
        }),
        cfingress::config::IngressRule::default(),
    ];
    let m = Matcher::new(&rules);
    let _ = m.find(host, path);
    let _ = m.match_url(&format!("https://{host}/{path}"));
});
