//! Services cloudflared accepts but that cannot work (an unknown scheme such as `htp://`, a port
//! outside 1-65535), and per-rule settings that do nothing for the rule's service (TLS settings
//! on a plain-HTTP origin, `httpHostHeader` on a TCP one, `ipRules` without a SOCKS proxy, ...).
//! Only settings written on the rule itself, with a value that would change something (`true`, a
//! non-empty string), are judged: a global setting is meant for the rules that can use it, and
//! `noTLSVerify: false` asks for what happens anyway.

use super::fields::{Field, OriginField};
use super::goparse::GoUrl;
use super::model::{IngressRule, OriginRequest, Setting};
use super::validate::{Diagnostic, ServiceKind, bastion_mode, service_kind};

/// URL schemes cloudflared serves as HTTP origins.
const HTTP_SCHEMES: [&str; 4] = ["http", "https", "ws", "wss"];
/// URL schemes cloudflared relays as TCP with a default port.
const TCP_SCHEMES: [&str; 4] = ["ssh", "rdp", "smb", "tcp"];

/// What cloudflared connects to for a rule, as far as settings are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// `http://`, `ws://`: HTTP without TLS.
    PlainHttp,
    /// `unix:`: HTTP over a Unix socket, without TLS.
    UnixHttp,
    /// `https://`, `wss://`, `unix+tls:`: TLS to the origin.
    Tls,
    /// `http_status:N`: no origin at all.
    Status,
    /// `hello_world`: cloudflared's own test server.
    HelloWorld,
    /// Any other URL scheme: raw TCP relayed over a websocket.
    Tcp,
    /// `socks-proxy`.
    Socks,
    /// `bastion`, or bastionMode.
    Bastion,
}

impl Origin {
    /// The origin of a service of `kind`; `url` is the service parsed, for URL services.
    fn of(service: &str, kind: ServiceKind, url: Option<&GoUrl<'_>>) -> Option<Origin> {
        Some(match kind {
            ServiceKind::UnixSocket if service.starts_with("unix+tls:") => Origin::Tls,
            ServiceKind::UnixSocket => Origin::UnixHttp,
            ServiceKind::HttpStatus => Origin::Status,
            ServiceKind::HelloWorld => Origin::HelloWorld,
            ServiceKind::SocksProxy => Origin::Socks,
            ServiceKind::Bastion => Origin::Bastion,
            ServiceKind::Url => match &*url?.scheme {
                "http" | "ws" => Origin::PlainHttp,
                "https" | "wss" => Origin::Tls,
                _ => Origin::Tcp,
            },
        })
    }

    /// Why a TLS setting does nothing here, and what to do instead (`None`: it has an effect).
    fn without_tls(self, service: &str) -> Option<(&'static str, &'static str)> {
        let upgrade = if service.starts_with("ws") {
            ", or use wss:// if the origin speaks TLS"
        } else {
            ", or use https:// if the origin speaks TLS"
        };
        Some(match self {
            Origin::Tls => return None,
            Origin::PlainHttp => ("cloudflared talks plain HTTP to it, without TLS", upgrade),
            Origin::UnixHttp => (
                "it is HTTP over a Unix socket, without TLS",
                ", or use unix+tls: if the origin speaks TLS",
            ),
            other => (other.without_http()?.0, ""),
        })
    }

    /// Why an HTTP setting (the Host header, chunked encoding) does nothing here.
    fn without_http(self) -> Option<(&'static str, &'static str)> {
        let why = match self {
            Origin::Status => {
                "cloudflared answers with that status itself and connects to no origin"
            }
            Origin::HelloWorld => "cloudflared's built-in test server ignores it",
            Origin::Tcp => "cloudflared relays raw TCP to it, with no TLS or HTTP of its own",
            Origin::Socks => "the SOCKS proxy relays raw TCP, with no TLS or HTTP of its own",
            Origin::Bastion => {
                "in bastion mode the client picks a raw TCP destination, with no TLS or HTTP of cloudflared's own"
            }
            Origin::PlainHttp | Origin::UnixHttp | Origin::Tls => return None,
        };
        Some((why, ""))
    }
}

/// The warnings about rule `i`'s service and the settings on it that its service ignores; `url`
/// is the service parsed, when it is a URL cloudflared accepts.
pub(crate) fn origin_warnings(
    i: usize,
    rule: &IngressRule,
    global: Option<&OriginRequest>,
    url: Option<&GoUrl<'_>>,
    out: &mut Vec<Diagnostic>,
) {
    let service = rule.service.as_str();
    if let Some(url) = url {
        service_url_warnings(i, service, url, out);
    }
    if !rule.origin_request.is_set() {
        return;
    }
    let kind = service_kind(service, bastion_mode(rule, global));
    let (Some(origin), Some(own)) = (Origin::of(service, kind, url), rule.overrides()) else {
        return;
    };
    let mut useless = |field: OriginField, why: &str, fix: &str| {
        out.push(Diagnostic::warning(
            Some(i),
            Field::OriginRequest(field),
            format!(
                "{} does nothing for the service \"{}\": {why}; remove it{fix}",
                field.key(),
                crate::text::inert(service)
            ),
        ));
    };
    if let Some((why, fix)) = origin.without_tls(service) {
        for (field, set) in [
            (
                OriginField::OriginServerName,
                has_text(&own.origin_server_name),
            ),
            (OriginField::MatchSniToHost, own.match_sni_to_host.is_true()),
            (OriginField::CaPool, has_text(&own.ca_pool)),
            (OriginField::NoTlsVerify, own.no_tls_verify.is_true()),
            (OriginField::TlsTimeout, own.tls_timeout.is_set()),
            (OriginField::Http2Origin, own.http2_origin.is_true()),
        ] {
            if set {
                useless(field, why, fix);
            }
        }
    }
    if let Some((why, fix)) = origin.without_http() {
        for (field, set) in [
            (OriginField::HttpHostHeader, has_text(&own.http_host_header)),
            (
                OriginField::DisableChunkedEncoding,
                own.disable_chunked_encoding.is_true(),
            ),
        ] {
            if set {
                useless(field, why, fix);
            }
        }
    }
    let socks = origin == Origin::Socks || proxy_type(rule, global) == "socks";
    if !socks && own.ip_rules.get().is_some_and(|r| !r.is_empty()) {
        out.push(Diagnostic::warning(
            Some(i),
            Field::OriginRequest(OriginField::IpRules),
            "ipRules do nothing here: cloudflared applies them only to a SOCKS proxy (service \"socks-proxy\", or proxyType \"socks\"); remove them, or make the service socks-proxy",
        ));
    }
    if !socks && origin != Origin::Bastion {
        for (field, set) in [
            (OriginField::ProxyAddress, has_text(&own.proxy_address)),
            (
                OriginField::ProxyPort,
                own.proxy_port.get().is_some_and(|p| *p != 0),
            ),
        ] {
            if set {
                out.push(Diagnostic::warning(
                    Some(i),
                    Field::OriginRequest(field),
                    format!(
                        "{} does nothing here: cloudflared starts its local proxy only with proxyType \"socks\" or in bastion mode; remove it, or set proxyType to \"socks\"",
                        field.key()
                    ),
                ));
            }
        }
    }
}

/// Whether a string setting holds something (an empty one asks for the default, as absent does).
fn has_text(s: &Setting<String>) -> bool {
    s.get().is_some_and(|t| !t.is_empty())
}

/// The merged `proxyType` (rule over global).
fn proxy_type<'a>(rule: &'a IngressRule, global: Option<&'a OriginRequest>) -> &'a str {
    rule.overrides()
        .and_then(|o| o.proxy_type.get())
        .or_else(|| global.and_then(|g| g.proxy_type.get()))
        .map_or("", String::as_str)
}

/// An unknown scheme, and a port no connection can use, in a URL service that parses.
fn service_url_warnings(i: usize, service: &str, url: &GoUrl<'_>, out: &mut Vec<Diagnostic>) {
    let scheme = &*url.scheme;
    let port = url.port();
    let shown = || crate::text::inert(service);
    if !HTTP_SCHEMES.contains(&scheme) && !TCP_SCHEMES.contains(&scheme) {
        let nearest = HTTP_SCHEMES
            .iter()
            .chain(&TCP_SCHEMES)
            .map(|k| (strsim::osa_distance(scheme, k), *k))
            .filter(|(d, _)| *d <= 2)
            .min_by_key(|(d, _)| *d);
        let hint = match nearest {
            Some((_, k)) => format!("; did you mean \"{k}://\"?"),
            None => "; use http:// or https:// for a web origin, or ssh://, rdp://, smb:// or tcp:// for a TCP service".to_owned(),
        };
        let no_port = if port.is_empty() {
            ", and with no port (an unknown scheme has no default) it cannot even connect"
        } else {
            ""
        };
        out.push(Diagnostic::warning(
            Some(i),
            Field::Service,
            format!(
                "\"{}\" has the unknown scheme \"{}\": cloudflared does not serve it as a website but relays raw TCP to it, which browsers cannot use{no_port}{hint}",
                shown(),
                crate::text::inert(scheme)
            ),
        ));
    }
    if !port.is_empty() {
        let n = port.bytes().try_fold(0u32, |n, b| {
            n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
        });
        if !n.is_some_and(|n| (1..=65535).contains(&n)) {
            out.push(Diagnostic::warning(
                Some(i),
                Field::Service,
                format!(
                    "port {port} in \"{}\" is outside 1-65535: cloudflared accepts it, but no connection can be made, so every request this rule serves fails; fix the port",
                    shown()
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::files::parse_json_str;

    /// The warnings of the first rule of a config.
    fn warnings(json: &str) -> Vec<(Field, String)> {
        let config = match parse_json_str(json) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let rule = &config.rules()[0];
        let service = rule.service.as_str();
        // The URL as validation hands it over: only a URL service cloudflared accepts.
        let url = (service_kind(service, bastion_mode(rule, config.global())) == ServiceKind::Url)
            .then(|| crate::config::goparse::parse_url(service).ok())
            .flatten()
            .filter(|u| !u.scheme.is_empty() && !u.hostname().is_empty() && u.path.is_empty());
        let mut out = Vec::new();
        origin_warnings(0, rule, config.global(), url.as_ref(), &mut out);
        out.into_iter()
            .map(|d| (d.field.unwrap_or(Field::Ingress), d.message))
            .collect()
    }

    fn rule(service: &str, origin: &str) -> String {
        format!(
            r#"{{"ingress":[{{"hostname":"a.example.com","service":"{service}","originRequest":{origin}}},{{"service":"http_status:404"}}]}}"#
        )
    }

    #[test]
    fn unknown_schemes_relay_tcp_and_get_the_nearest_known_one() {
        let w = warnings(&rule("htp://localhost:8080", "{}"));
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(w[0].0, Field::Service);
        assert!(w[0].1.contains("unknown scheme \"htp\""), "{}", w[0].1);
        assert!(w[0].1.contains("did you mean \"http://\"?"), "{}", w[0].1);
        let w = warnings(&rule("HTPS://localhost", "{}"));
        assert!(w[0].1.contains("with no port"), "{}", w[0].1);
        assert!(w[0].1.contains("did you mean \"https://\"?"), "{}", w[0].1);
        let w = warnings(&rule("gopher://localhost:70", "{}"));
        assert!(w[0].1.contains("use http:// or https://"), "{}", w[0].1);
        for known in [
            "http://x",
            "HTTPS://x",
            "ws://x",
            "wss://x",
            "ssh://x",
            "rdp://x",
            "smb://x",
            "tcp://x:1",
        ] {
            assert!(warnings(&rule(known, "{}")).is_empty(), "{known}");
        }
    }

    #[test]
    fn ports_outside_the_tcp_range_are_flagged() {
        for bad in [
            "http://x:0",
            "http://x:65536",
            "ssh://x:99999",
            "https://[::1]:123456789012345678901",
        ] {
            let w = warnings(&rule(bad, "{}"));
            assert_eq!(w.len(), 1, "{bad}: {w:?}");
            assert!(w[0].1.contains("is outside 1-65535"), "{}", w[0].1);
        }
        for good in [
            "http://x:1",
            "http://x:65535",
            "http://x:",
            "http://x",
            "http://x:08080",
        ] {
            assert!(warnings(&rule(good, "{}")).is_empty(), "{good}");
        }
    }

    #[test]
    fn tls_settings_on_origins_without_tls() {
        let tls = r#"{"noTLSVerify":true,"caPool":"/ca.pem","originServerName":"o","matchSNItoHost":true,"tlsTimeout":5,"http2Origin":true}"#;
        for (service, why) in [
            ("http://localhost:8080", "plain HTTP"),
            ("ws://localhost:8080", "plain HTTP"),
            ("unix:/run/app.sock", "Unix socket"),
            ("http_status:404", "connects to no origin"),
            ("hello_world", "test server"),
            ("ssh://localhost:22", "raw TCP"),
            ("socks-proxy", "SOCKS proxy"),
            ("bastion", "bastion mode"),
        ] {
            let w = warnings(&rule(service, tls));
            assert_eq!(w.len(), 6, "{service}: {w:?}");
            assert!(w.iter().all(|(_, m)| m.contains(why)), "{service}: {w:?}");
            assert!(
                w.iter().any(
                    |(f, m)| *f == Field::OriginRequest(OriginField::NoTlsVerify)
                        && m.starts_with("noTLSVerify does nothing for the service")
                ),
                "{w:?}"
            );
        }
        for service in [
            "https://localhost:8443",
            "wss://x",
            "unix+tls:/run/app.sock",
        ] {
            assert!(warnings(&rule(service, tls)).is_empty(), "{service}");
        }
        let w = warnings(&rule("http://x", r#"{"noTLSVerify":true}"#));
        assert!(
            w[0].1.ends_with("or use https:// if the origin speaks TLS"),
            "{}",
            w[0].1
        );
    }

    #[test]
    fn http_settings_on_tcp_origins() {
        let http = r#"{"httpHostHeader":"h","disableChunkedEncoding":true}"#;
        for service in [
            "ssh://localhost:22",
            "rdp://x:3389",
            "socks-proxy",
            "http_status:204",
        ] {
            let w = warnings(&rule(service, http));
            assert_eq!(w.len(), 2, "{service}: {w:?}");
            assert_eq!(w[0].0, Field::OriginRequest(OriginField::HttpHostHeader));
        }
        for service in ["http://x", "https://x", "unix:/s", "unix+tls:/s"] {
            assert!(warnings(&rule(service, http)).is_empty(), "{service}");
        }
    }

    #[test]
    fn ip_rules_and_proxy_address_need_a_socks_proxy() {
        let w = warnings(&rule(
            "http://x",
            r#"{"ipRules":[{"prefix":"10.0.0.0/8","allow":true}],"proxyAddress":"127.0.0.1","proxyPort":1080}"#,
        ));
        let fields: Vec<&Field> = w.iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                &Field::OriginRequest(OriginField::IpRules),
                &Field::OriginRequest(OriginField::ProxyAddress),
                &Field::OriginRequest(OriginField::ProxyPort)
            ]
        );
        assert!(w[0].1.contains("only to a SOCKS proxy"), "{}", w[0].1);
        assert!(
            w[1].1.contains("proxyType \"socks\" or in bastion mode"),
            "{}",
            w[1].1
        );
        for ok in [
            rule(
                "socks-proxy",
                r#"{"ipRules":[{"prefix":"10.0.0.0/8"}],"proxyPort":1080}"#,
            ),
            rule(
                "http://x",
                r#"{"proxyType":"socks","ipRules":[{"prefix":"10.0.0.0/8"}],"proxyAddress":"0.0.0.0"}"#,
            ),
            rule("bastion", r#"{"proxyAddress":"0.0.0.0","proxyPort":2222}"#),
            rule("ssh://x:22", r#"{"bastionMode":true,"proxyPort":2222}"#),
            rule("http://x", r#"{"ipRules":[]}"#),
        ] {
            assert!(warnings(&ok).is_empty(), "{ok}: {:?}", warnings(&ok));
        }
        // The global proxyType counts, as cloudflared merges it into the rule.
        let json = r#"{"originRequest":{"proxyType":"socks"},"ingress":[{"hostname":"a.example.com","service":"http://x","originRequest":{"proxyPort":1080}},{"service":"http_status:404"}]}"#;
        assert!(warnings(json).is_empty());
    }

    #[test]
    fn settings_at_their_default_are_not_flagged() {
        let defaults = r#"{"noTLSVerify":false,"http2Origin":false,"caPool":"","httpHostHeader":"","disableChunkedEncoding":false,"proxyPort":0,"proxyAddress":""}"#;
        assert!(warnings(&rule("ssh://x:22", defaults)).is_empty());
    }

    #[test]
    fn global_settings_are_not_judged_per_rule() {
        let json = r#"{"originRequest":{"noTLSVerify":true,"httpHostHeader":"h"},"ingress":[{"hostname":"a.example.com","service":"ssh://x:22"},{"service":"http_status:404"}]}"#;
        assert!(warnings(json).is_empty());
    }
}
