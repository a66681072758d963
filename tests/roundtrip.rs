//! Lossless round trips: parse → write → parse is the identity, for JSON and for config.yml,
//! including unknown keys at every level, nulls, and absent fields.

use cfingress::config::decode::go_fold_eq;
use cfingress::config::encode::{config_to_json, config_to_json_text};
use cfingress::config::files::{Format, parse_json, parse_str, to_json_string, to_yaml_string};
use cfingress::config::model::{
    Access, Extra, IngressRule, IpRule, OriginRequest, RawJson, RuleFields, Setting, TunnelConfig,
    WarpRouting,
};
use cfingress::config::{Duration, OriginField};
use proptest::prelude::*;
use serde_json::{Number, Value, json};

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9.*:/_-]{0,16}",
        1 => prop::collection::vec(any::<char>(), 0..10).prop_map(String::from_iter),
        1 => prop_oneof![
            Just("true".to_owned()), Just("~".to_owned()), Just("123".to_owned()), Just("0x1F".to_owned()),
            Just("1_000".to_owned()), Just("yes".to_owned()), Just(" lead".to_owned()), Just("a: b".to_owned()),
            Just("#x".to_owned()), Just("- x".to_owned()), Just("\u{1b}[31m".to_owned()), Just("\u{202e}".to_owned()),
            Just("1.5".to_owned()), Just(".inf".to_owned()), Just("null".to_owned()), Just(String::new()),
        ],
    ]
}

fn setting<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Setting<T>> {
    prop_oneof![
        2 => Just(Setting::Absent),
        1 => Just(Setting::Null),
        3 => s.prop_map(Setting::Set),
    ]
    .boxed()
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        text().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z][a-zA-Z0-9_]{0,6}", inner), 0..3)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Unknown keys that do not collide (case-insensitively) with the level's known keys.
fn extra(known: &'static [&'static str]) -> impl Strategy<Value = Extra> {
    prop::collection::vec(("[a-zA-Z][a-zA-Z0-9_-]{0,10}", json_value()), 0..3).prop_map(move |kv| {
        kv.into_iter()
            .filter(|(k, _)| !known.iter().any(|n| go_fold_eq(k, n)))
            .map(|(k, v)| (k, RawJson::from_value(&v)))
            .collect()
    })
}

const RULE_KEYS: &[&str] = &["hostname", "path", "service", "originRequest"];
const TOP_KEYS: &[&str] = &["ingress", "originRequest", "warp-routing"];
const ACCESS_KEYS: &[&str] = &["required", "teamName", "audTag", "environment"];
const IP_KEYS: &[&str] = &["prefix", "ports", "allow"];
const WARP_KEYS: &[&str] = &["enabled"];

fn origin_keys() -> &'static [&'static str] {
    static KEYS: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        OriginField::FORM_ORDER
            .iter()
            .filter(|f| !f.is_access_leaf())
            .map(|f| f.key())
            .chain(["access"])
            .collect()
    })
}

fn duration(whole_seconds: bool) -> BoxedStrategy<Duration> {
    if whole_seconds {
        (-1_000_000i64..1_000_000_000)
            .prop_map(Duration::from_secs)
            .boxed()
    } else {
        any::<i64>().prop_map(Duration::from_nanos).boxed()
    }
}

fn access() -> impl Strategy<Value = Access> {
    (
        setting(any::<bool>()),
        setting(text()),
        setting(prop::collection::vec(text(), 0..3)),
        setting(text()),
        extra(ACCESS_KEYS),
    )
        .prop_map(
            |(required, team_name, aud_tag, environment, extra)| Access {
                required,
                team_name,
                aud_tag,
                environment,
                extra,
            },
        )
}

fn ip_rule() -> impl Strategy<Value = IpRule> {
    (
        setting(text()),
        setting(prop::collection::vec(any::<i64>(), 0..3)),
        setting(any::<bool>()),
        extra(IP_KEYS),
    )
        .prop_map(|(prefix, ports, allow, extra)| IpRule {
            prefix,
            ports,
            allow,
            extra,
        })
}

fn origin(whole: bool) -> impl Strategy<Value = OriginRequest> {
    let durations = (
        setting(duration(whole)),
        setting(duration(whole)),
        setting(duration(whole)),
        setting(duration(whole)),
    );
    let bools = (
        setting(any::<bool>()),
        setting(any::<bool>()),
        setting(any::<bool>()),
        setting(any::<bool>()),
        setting(any::<bool>()),
        setting(any::<bool>()),
        setting(any::<bool>()),
    );
    let strings = (
        setting(text()),
        setting(text()),
        setting(text()),
        setting(text()),
        setting(text()),
    );
    let rest = (
        setting(any::<i64>()),
        setting(any::<u64>()),
        setting(prop::collection::vec(ip_rule(), 0..2)),
        setting(access()),
        extra(origin_keys()),
    );
    (durations, bools, strings, rest).prop_map(|(d, b, s, r)| OriginRequest {
        connect_timeout: d.0,
        tls_timeout: d.1,
        tcp_keep_alive: d.2,
        keep_alive_timeout: d.3,
        no_happy_eyeballs: b.0,
        match_sni_to_host: b.1,
        no_tls_verify: b.2,
        disable_chunked_encoding: b.3,
        bastion_mode: b.4,
        http2_origin: b.5,
        http_host_header: s.0,
        origin_server_name: s.1,
        ca_pool: s.2,
        proxy_address: s.3,
        proxy_type: s.4,
        keep_alive_connections: r.0,
        proxy_port: r.1,
        ip_rules: r.2,
        access: r.3,
        extra: r.4,
    })
}

fn rule(whole: bool) -> impl Strategy<Value = IngressRule> {
    (
        setting(text()),
        setting(text()),
        setting(text()),
        setting(origin(whole).prop_map(Box::new)),
        extra(RULE_KEYS),
    )
        .prop_map(|(hostname, path, service, origin_request, extra)| {
            IngressRule::new(RuleFields {
                hostname,
                path,
                service,
                origin_request,
                extra,
            })
        })
}

fn config(whole: bool) -> impl Strategy<Value = TunnelConfig> {
    (
        setting(prop::collection::vec(rule(whole), 0..4)),
        setting(origin(whole)),
        setting(
            (setting(any::<bool>()), extra(WARP_KEYS))
                .prop_map(|(enabled, extra)| WarpRouting { enabled, extra }),
        ),
        extra(TOP_KEYS),
    )
        .prop_map(
            |(ingress, origin_request, warp_routing, extra)| TunnelConfig {
                ingress,
                origin_request,
                warp_routing,
                extra,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn json_round_trip_is_identity(cfg in config(true)) {
        let text = to_json_string(&cfg, false).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = parse_json(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back.config, &cfg, "{}", text);
        let put = to_json_string(&cfg, true).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = parse_json(&put).map_err(|e| TestCaseError::fail(format!("{e}\n{put}")))?;
        prop_assert_eq!(&back.config, &cfg);
        // The rule-at-a-time writer (drafts) writes exactly the same JSON, keys in the same order.
        let tree = config_to_json(&cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let streamed = config_to_json_text(&cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::to_string(&tree).unwrap_or_default(), streamed);
    }

    #[test]
    fn yaml_round_trip_is_identity(cfg in config(false)) {
        let text = to_yaml_string(&cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = parse_str(&text, Format::Yaml).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back.config, &cfg, "{}", text);
    }
}

#[test]
fn absent_stays_absent_and_null_stays_null() {
    let input = r#"{"ingress":[{"hostname":null,"service":"http_status:404","x-note":{"a":[1,null]}}],"originRequest":{"noTLSVerify":null,"futureKey":7},"warp-routing":null,"someday":true}"#;
    let cfg = parse_json(input)
        .map(|l| l.config)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = to_json_string(&cfg, false).unwrap_or_else(|e| panic!("{e}"));
    let value: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        value,
        json!({"ingress":[{"hostname":null,"service":"http_status:404","x-note":{"a":[1,null]}}],"originRequest":{"noTLSVerify":null,"futureKey":7},"warp-routing":null,"someday":true})
    );
    assert!(!out.contains("path"), "no defaults are written: {out}");
}

#[test]
fn keys_are_written_in_exact_camel_case() {
    let input = r#"{"INGRESS":[{"Service":"http://x","ORIGINREQUEST":{"notlsverify":true,"MATCHSNITOHOST":false}}]}"#;
    let cfg = parse_json(input)
        .map(|l| l.config)
        .unwrap_or_else(|e| panic!("{e}"));
    let out = to_json_string(&cfg, false).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.contains("\"ingress\"")
            && out.contains("\"service\"")
            && out.contains("\"originRequest\""),
        "{out}"
    );
    assert!(
        out.contains("\"noTLSVerify\": true") && out.contains("\"matchSNItoHost\": false"),
        "{out}"
    );
}
