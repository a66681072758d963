//! cloudflared's own ingress test cases (../shared/spec), run against cfingress's validator,
//! effective-settings resolver and matcher.

use std::path::PathBuf;

use cfingress::config::effective::effective_json;
use cfingress::config::files::{Format, parse_json, parse_str, to_yaml_string};
use cfingress::config::matching::{Matcher, punycode_alias, request_parts};
use cfingress::config::validate::{NO_RULES, first_error, validate};
use serde_json::{Map, Value, json};

fn spec_file(name: &str) -> Option<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/spec")
        .join(name);
    if !path.exists() {
        // CI sets CFINGRESS_REQUIRE_SPEC: there, a missing spec is a failure, not a skip.
        assert!(
            std::env::var_os("CFINGRESS_REQUIRE_SPEC").is_none(),
            "{} is absent and CFINGRESS_REQUIRE_SPEC is set",
            path.display()
        );
        eprintln!(
            "SKIPPED: {} is absent (the shared spec folder is not beside the repo)",
            path.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Some(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn case_config(case: &Value) -> Value {
    let mut m = Map::new();
    for key in ["originRequest", "warp-routing", "ingress"] {
        if let Some(v) = case.get(key) {
            m.insert(key.to_owned(), v.clone());
        }
    }
    Value::Object(m)
}

/// Cases where cfingress deliberately differs from one cloudflared entry point, with the reason.
fn expected_divergence(name: &str) -> Option<&'static str> {
    match name {
        "TestUpdateConfiguration_WithoutIngressRule" => Some(
            "the connector accepts a remote config with no rules (and serves 503), but the API schema requires at least one rule, so cfingress reports an empty list as an error, as INGRESS_RULES.md asks",
        ),
        _ => None,
    }
}

#[test]
fn upstream_validation_cases() {
    let Some(Value::Array(cases)) = spec_file("upstream-cloudflared-cases.json") else {
        return;
    };
    assert!(
        cases.len() >= 60,
        "expected the 60 upstream cases, found {}",
        cases.len()
    );
    let mut checked = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let want_valid = case["valid"].as_bool().unwrap_or(false);
        let text = match case.get("raw_config_json").and_then(Value::as_str) {
            Some(raw) => raw.to_owned(),
            None => case_config(case).to_string(),
        };
        let loaded = parse_json(&text);
        let Ok(loaded) = loaded else {
            assert!(
                !want_valid,
                "{name}: cfingress could not read a config cloudflared accepts: {loaded:?}"
            );
            checked += 1;
            continue;
        };
        let diags = validate(&loaded.config);
        let first = first_error(&diags);
        if let Some(reason) = expected_divergence(name) {
            assert!(want_valid, "{name}");
            assert_eq!(
                first.map(|d| d.message.as_str()),
                Some(NO_RULES),
                "{name}: {reason}"
            );
            checked += 1;
            continue;
        }
        assert_eq!(
            first.is_none(),
            want_valid,
            "{name}: expected valid={want_valid}, got {diags:#?}"
        );
        if let Some(want) = case["error_contains"].as_str() {
            let want = want.strip_prefix("Validation failed: ").unwrap_or(want);
            let got = first.map(|d| d.message.clone()).unwrap_or_default();
            assert!(
                got.contains(want),
                "{name}: first error {got:?} does not contain {want:?}"
            );
        }
        if let Some(Value::Array(expected)) = case.get("expected_effective_originRequest") {
            let rules = loaded.config.rules();
            assert_eq!(expected.len(), rules.len(), "{name}");
            for (i, (want, rule)) in expected.iter().zip(rules).enumerate() {
                let got = effective_json(rule, loaded.config.global());
                for (key, want_v) in want.as_object().into_iter().flatten() {
                    assert_eq!(
                        got.get(key),
                        Some(want_v),
                        "{name}: rule {i} effective {key}"
                    );
                }
            }
        }
        if let Some(Value::Array(expected)) = case.get("expected_punycode_hostnames") {
            for (want, rule) in expected.iter().zip(loaded.config.rules()) {
                let got = punycode_alias(rule.hostname.as_str());
                assert_eq!(
                    got.as_deref(),
                    want.as_str(),
                    "{name}: punycode of {:?}",
                    rule.hostname
                );
            }
        }
        // Cases written as config.yml upstream must get the same verdict through our YAML writer
        // and reader.
        if case["input_format"] == "yaml" {
            let yaml = to_yaml_string(&loaded.config).unwrap_or_else(|e| panic!("{name}: {e}"));
            let back =
                parse_str(&yaml, Format::Yaml).unwrap_or_else(|e| panic!("{name}: {e}\n{yaml}"));
            assert_eq!(
                back.config, loaded.config,
                "{name}: YAML round trip\n{yaml}"
            );
            assert_eq!(validate(&back.config), diags, "{name}: YAML verdict");
        }
        checked += 1;
    }
    assert_eq!(checked, cases.len());
}

#[test]
fn upstream_match_cases() {
    let Some(Value::Array(cases)) = spec_file("upstream-cloudflared-match-cases.json") else {
        return;
    };
    assert!(
        cases.len() >= 37,
        "expected the 37 upstream match cases, found {}",
        cases.len()
    );
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("?");
        let mut ingress = case["ingress"].clone();
        for rule in ingress.as_array_mut().into_iter().flatten() {
            if let Some(obj) = rule.as_object_mut()
                && obj.get("service") == Some(&Value::Null)
            {
                obj.remove("service");
            }
        }
        let config = parse_json(&json!({ "ingress": ingress }).to_string())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .config;
        let matcher = Matcher::new(config.rules());
        let url = case["url"].as_str().unwrap_or_default();
        let (host, path) = match (
            case.get("host").and_then(Value::as_str),
            case.get("path").and_then(Value::as_str),
        ) {
            (Some(h), Some(p)) => (h.to_owned(), p.to_owned()),
            _ => request_parts(url).unwrap_or_else(|e| panic!("{name}: {e}")),
        };
        match case["kind"].as_str() {
            Some("find_matching_rule") => {
                let want = case["expected_rule_index"].as_u64().map(|n| n as usize);
                let got = if case.get("host").is_some() {
                    matcher.find(&host, &path)
                } else {
                    matcher.match_url(url).ok()
                };
                assert_eq!(got, want, "{name}");
            }
            Some("rule_matches") => {
                let i = case["rule_index"].as_u64().unwrap_or(0) as usize;
                let want = case["expected_matches"].as_bool().unwrap_or(false);
                assert_eq!(matcher.rule_matches(i, &host, &path), want, "{name}");
            }
            Some("proxy_status_inferred") => {
                let want = case["expected_rule_index"].as_u64().map(|n| n as usize);
                assert_eq!(matcher.match_url(url).ok(), want, "{name}");
            }
            other => panic!("{name}: unknown kind {other:?}"),
        }
    }
}
