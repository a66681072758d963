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

// Facts stated in ../shared/spec/INGRESS_RULES.md that neither cloudflared's cases above nor the
// unit tests pin down. Each test names the section it checks.

/// The verdict on a bare JSON config: its errors' messages, in order.
fn errors_of(json: &str) -> Vec<String> {
    let loaded = parse_json(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    validate(&loaded.config)
        .into_iter()
        .filter(|d| d.is_error())
        .map(|d| d.message)
        .collect()
}

/// A config whose first rule has `service`, followed by a catch-all.
fn with_service(service: &str) -> String {
    json!({"ingress": [
        {"hostname": "a.example.com", "service": service},
        {"service": "http_status:404"}
    ]})
    .to_string()
}

#[test]
fn order_and_first_error_within_one_rule() {
    // Service, per-rule access, port in hostname, wildcard, catch-all placement, path regex.
    let json = json!({"ingress": [
        {"hostname": "a.*.example.com:443", "path": "*x", "service": "localhost:80",
         "originRequest": {"access": {"required": true, "audTag": ["a"]}}}
    ]})
    .to_string();
    let errors = errors_of(&json);
    assert_eq!(errors.len(), 6, "{errors:#?}");
    assert!(errors[0].starts_with("localhost:80 is an invalid address"));
    assert_eq!(
        errors[1],
        "access.TeamName cannot be blank when access.audTags are present"
    );
    assert_eq!(errors[2], "Hostname cannot contain a port");
    assert!(errors[3].starts_with("Hostname patterns can have at most one wildcard"));
    assert!(errors[4].starts_with("The last ingress rule must match all URLs"));
    assert!(errors[5].starts_with("Rule #1 has an invalid regex"));
}

#[test]
fn catch_all_a_rule_with_only_a_path_may_appear_anywhere() {
    let json = json!({"ingress": [
        {"path": "^/health$", "service": "http_status:200"},
        {"hostname": "a.example.com", "service": "http://localhost:80"},
        {"hostname": "*", "service": "http_status:404"}
    ]})
    .to_string();
    assert_eq!(errors_of(&json), Vec::<String>::new());
    let json = json!({"ingress": [
        {"hostname": "*", "service": "http_status:404"},
        {"service": "http_status:404"}
    ]})
    .to_string();
    assert_eq!(
        errors_of(&json),
        [
            "Rule #1 is matching the hostname '*', but this will match every hostname, meaning the rules which follow it will never be triggered."
        ]
    );
}

#[test]
fn hostname_wildcards_and_what_is_not_checked() {
    for bad in ["**.example.com", "a.*.example.com", "example.*"] {
        let json = json!({"ingress": [{"hostname": bad, "service": "http://x"}, {"service": "http_status:404"}]});
        let errors = errors_of(&json.to_string());
        assert!(
            errors.len() == 1
                && errors[0].starts_with("Hostname patterns can have at most one wildcard"),
            "{bad}: {errors:?}"
        );
    }
    // Spaces, underscores, 64-character labels, uppercase, trailing dots and duplicates pass.
    let long = format!("{}.example.com", "a".repeat(64));
    let json = json!({"ingress": [
        {"hostname": "a b.example.com", "service": "http://x"},
        {"hostname": "_dmarc.example.com", "service": "http://x"},
        {"hostname": long, "service": "http://x"},
        {"hostname": "UPPER.example.com", "service": "http://x"},
        {"hostname": "dot.example.com.", "service": "http://x"},
        {"hostname": "dot.example.com.", "service": "http://x"},
        {"hostname": "*example.com", "service": "http://x"},
        {"service": "http_status:404"}
    ]});
    assert_eq!(errors_of(&json.to_string()), Vec::<String>::new());
}

#[test]
fn service_special_forms_are_case_sensitive_and_spaces_are_kept() {
    for (service, error) in [
        (
            "HTTP_STATUS:404",
            r#"parse "HTTP_STATUS:404": first path segment in URL cannot contain colon"#,
        ),
        (
            "Hello_world",
            "Hello_world is an invalid address, please make sure it has a scheme and a hostname",
        ),
        (
            "Bastion",
            "Bastion is an invalid address, please make sure it has a scheme and a hostname",
        ),
        (
            "SOCKS-PROXY",
            "SOCKS-PROXY is an invalid address, please make sure it has a scheme and a hostname",
        ),
        (
            "http://localhost:8080 ",
            r#"parse "http://localhost:8080 ": invalid port ":8080 " after host"#,
        ),
        ("http_status:1000", "invalid HTTP status code: 1000"),
    ] {
        assert_eq!(errors_of(&with_service(service)), [error], "{service}");
    }
    for ok in [
        "unix:",
        "unix+tls:relative/path",
        "hello-world",
        "hello_world",
        "HTTPS://X:99999?q#f",
    ] {
        assert_eq!(errors_of(&with_service(ok)), Vec::<String>::new(), "{ok}");
    }
}

#[test]
fn service_go_1_26_is_strict_about_colons_in_http_hosts_only() {
    for (service, error) in [
        (
            "http://localhost:8080:8081",
            r#"parse "http://localhost:8080:8081": invalid port ":8080:8081" after host"#,
        ),
        (
            "https://::1:8443",
            r#"parse "https://::1:8443": invalid port "::1:8443" after host"#,
        ),
        (
            "HTTPS://a:b",
            r#"parse "HTTPS://a:b": invalid port ":b" after host"#,
        ),
        (
            "http://127.0.0.1[::1]:80",
            r#"parse "http://127.0.0.1[::1]:80": invalid IP-literal"#,
        ),
        (
            "https://[10.0.0.1]:443",
            r#"parse "https://[10.0.0.1]:443": invalid IP-literal"#,
        ),
        (
            "ssh://[bastion]:22",
            r#"parse "ssh://[bastion]:22": invalid host: ParseAddr("bastion"): unable to parse IP"#,
        ),
    ] {
        assert_eq!(errors_of(&with_service(service)), [error], "{service}");
    }
    // Other schemes keep the last colon as the port, as before Go 1.26.
    for ok in [
        "tcp://a:b:8080",
        "ssh://::1:22",
        "wss://a:b:443",
        "https://[fe80::1%25eth0]:8443",
    ] {
        assert_eq!(errors_of(&with_service(ok)), Vec::<String>::new(), "{ok}");
    }
}

#[test]
fn matching_go_1_26_urls_and_the_forms_cloudflared_refuses() {
    let config = parse_json(
        &json!({"ingress": [
            {"hostname": "xn--mnchen-3ya.example", "service": "http://a"},
            {"hostname": "*example.com", "service": "http://b"},
            {"hostname": "a", "service": "http://c"},
            {"path": "^/health", "service": "http://d"},
            {"service": "http_status:404"}
        ]})
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .config;
    let m = Matcher::new(config.rules());
    let at = |u: &str| m.match_url(u);
    // A punycode rule does not match the Unicode name: IDNA applies to the rule only.
    assert_eq!(at("https://münchen.example/"), Ok(4));
    assert_eq!(at("https://xn--mnchen-3ya.example/"), Ok(0));
    // `*example.com` is no wildcard.
    assert_eq!(at("https://www.example.com/"), Ok(4));
    assert_eq!(at("https://xexample.com/"), Ok(4));
    // A rule with only a path matches any host.
    assert_eq!(at("https://anything.example.org/health"), Ok(3));
    // Any scheme is accepted; only http and https are strict about colons. The host of
    // `ftp://a:b:21/` is "a:b", whose ":b" cloudflared strips as a port when matching.
    assert_eq!(at("ftp://a:b:21/"), Ok(2));
    assert_eq!(at("HTTPS://xn--mnchen-3ya.example:8443/"), Ok(0));
    for refused in [
        "http://a:b:443/",
        "https://[127.0.0.1]/",
        "http://h:abc/",
        "http://a%41b/",
        "http://a b/",
    ] {
        assert_eq!(
            request_parts(refused).map_err(|e| e.to_string()),
            Err(format!("{refused} is not a valid URL")),
            "{refused}"
        );
    }
}

#[test]
fn origin_request_null_inherits_and_types_are_strict() {
    let config = parse_json(
        &json!({
            "originRequest": {"connectTimeout": 10, "noTLSVerify": true},
            "ingress": [{"service": "https://x", "originRequest": {"connectTimeout": null, "noTLSVerify": null}}]
        })
        .to_string(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .config;
    let got = effective_json(&config.rules()[0], config.global());
    assert_eq!(got["connectTimeout"], json!(10));
    assert_eq!(got["noTLSVerify"], json!(true));
    for wrong in [
        json!({"noTLSVerify": "true"}),
        json!({"connectTimeout": 1.5}),
        json!({"keepAliveConnections": "100"}),
        json!({"httpHostHeader": 5}),
    ] {
        let json = json!({"ingress": [{"service": "http://x", "originRequest": wrong}]});
        assert!(parse_json(&json.to_string()).is_err(), "{wrong}");
    }
    let yaml = "ingress:\n  - service: http://x\n    originRequest:\n      connectTimeout: 30\n";
    assert!(
        parse_str(yaml, Format::Yaml).is_err(),
        "config.yml rejects bare integers"
    );
}
