//! Round trips of every example file, one test per kind of edit, golden diffs of typical edits,
//! and a property test over random edit sequences.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::*;
use crate::config::duration::Duration;
use crate::config::files::{Loaded, parse_str};
use crate::config::model::{Access, IngressRule, OriginRequest, RuleFields, Setting, WarpRouting};
use crate::config::rawjson::RawJson;

fn example_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples")
}

fn read(path: &Path) -> (String, Format, Loaded) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let format = Format::from_path(path);
    let loaded = parse_str(&text, format).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (text, format, loaded)
}

fn load(name: &str) -> (String, Format, Loaded) {
    read(&example_dir().join(name))
}

fn checked(
    text: &str,
    format: Format,
    shape: Shape,
    read: &TunnelConfig,
    edited: &TunnelConfig,
) -> Rewrite {
    let out = rewrite(text, format, shape, read, edited).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        parse_str(&out.text, format).map(|l| l.config).as_ref(),
        Ok(edited),
        "reads back differently:\n{}",
        out.text
    );
    out
}

/// Rewrites config.yml `text` after `f` edits its config; checks it reads back.
fn yaml(text: &str, f: impl FnOnce(&mut TunnelConfig)) -> Rewrite {
    let read = parse_str(text, Format::Yaml)
        .unwrap_or_else(|e| panic!("{e}"))
        .config;
    let mut edited = read.clone();
    f(&mut edited);
    checked(text, Format::Yaml, Shape::ConfigYml, &read, &edited)
}

/// Rewrites example `name` after `f` edits its config.
fn example(name: &str, f: impl FnOnce(&mut TunnelConfig)) -> (String, Rewrite) {
    let (text, format, loaded) = load(name);
    let mut edited = loaded.config.clone();
    f(&mut edited);
    let out = checked(&text, format, loaded.shape, &loaded.config, &edited);
    (text, out)
}

fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(1)
        .to_string()
}

/// `original` with each `(from, to)` replaced, each `from` found exactly once: what a rewrite
/// should give when only those bytes change.
fn with(original: &str, changes: &[(&str, &str)]) -> String {
    let mut text = original.to_owned();
    for (from, to) in changes {
        assert_eq!(
            text.matches(from).count(),
            1,
            "{from:?} is not unique in:\n{text}"
        );
        text = text.replacen(from, to, 1);
    }
    text
}

fn set(s: &str) -> Setting<String> {
    Setting::Set(s.to_owned())
}

fn rule(host: &str, service: &str) -> IngressRule {
    IngressRule::new(RuleFields {
        hostname: set(host),
        service: set(service),
        ..RuleFields::default()
    })
}

fn origin(c: &mut TunnelConfig, i: usize) -> &mut OriginRequest {
    c.rules_mut()[i].origin_request.get_or_insert_default()
}

fn global(c: &mut TunnelConfig) -> &mut OriginRequest {
    c.origin_request.get_or_insert_default()
}

#[test]
fn unchanged_files_come_back_byte_for_byte() {
    let files: Vec<PathBuf> = std::fs::read_dir(example_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    assert!(files.len() >= 10, "{files:?}");
    for path in files {
        let (text, format, l) = read(&path);
        let out = rewrite(&text, format, l.shape, &l.config, &l.config);
        assert_eq!(
            out.map(|r| r.text).as_ref(),
            Ok(&text),
            "{}",
            path.display()
        );
        // The in-place machinery itself touches nothing when nothing changed.
        let Layout::Parsed(doc) = Layout::read(text.clone(), format) else {
            panic!("{}: layout unreadable", path.display())
        };
        let out = in_place(&doc, format, l.shape, &l.config, &l.config);
        let Ok(out) = out else {
            panic!("{}: {:?}", path.display(), out.err())
        };
        assert_eq!(out.text, text, "{}", path.display());
        assert_eq!(out.notes, Vec::<String>::new());
    }
}

#[test]
fn a_prepared_rewriter_gives_what_rewrite_gives() {
    let (text, format, l) = load("homelab.yml");
    let prepared = Rewriter::new(text.clone(), format, l.shape, l.config.clone());
    assert_eq!(prepared.original(), text);
    for i in 0..3 {
        let mut edited = l.config.clone();
        edited.rules_mut()[i].service = set("http://10.0.0.1");
        assert_eq!(
            prepared.rewrite(&edited),
            rewrite(&text, format, l.shape, &l.config, &edited)
        );
    }
    assert_eq!(prepared.rewrite(&l.config).map(|r| r.text), Ok(text));
}

const SMALL: &str = "\
# header comment
tunnel: t1   # the tunnel
originRequest:
  connectTimeout: 1.5s
ingress:
  # the app
  - hostname: a.example.com   # main
    service: \"http://localhost:8080\"

  - hostname: b.example.com
    path: ^/api/
    service: http://localhost:8081

  - service: 'http_status:404'
";

#[test]
fn a_changed_scalar_replaces_just_that_scalar_in_its_style() {
    let out = yaml(SMALL, |c| {
        c.rules_mut()[0].service = set("http://localhost:9090");
        c.rules_mut()[2].service = set("http_status:503");
        c.rules_mut()[1].hostname = set("*.example.com");
        c.rules_mut()[1].path = set("123");
    });
    assert_eq!(
        out.text,
        with(
            SMALL,
            &[
                ("\"http://localhost:8080\"", "\"http://localhost:9090\""),
                (
                    "- hostname: b.example.com\n    path: ^/api/",
                    "- hostname: \"*.example.com\"\n    path: \"123\""
                ),
                ("'http_status:404'", "'http_status:503'"),
            ]
        )
    );
    assert!(out.notes.is_empty());
    // Durations stay Go duration strings, fractions included.
    let out = yaml(SMALL, |c| {
        global(c).connect_timeout = Setting::Set(Duration::from_nanos(2_500_000_000));
        global(c).tls_timeout = Setting::Set(Duration::from_secs(90));
    });
    // (A new key goes after the one it follows in cfingress's order: tlsTimeout before
    // connectTimeout.)
    assert!(
        out.text
            .contains("originRequest:\n  tlsTimeout: 1m30s\n  connectTimeout: 2.5s\ningress:"),
        "{}",
        out.text
    );
    // A value that turns into text YAML would misread is quoted; one that no longer needs it
    // keeps the quotes it had.
    let out = yaml(SMALL, |c| {
        c.rules_mut()[0].hostname = set("a: b # not a comment");
        c.rules_mut()[0].service = set("http://x");
    });
    assert!(
        out.text.contains(
            "  - hostname: \"a: b # not a comment\"   # main\n    service: \"http://x\"\n"
        ),
        "{}",
        out.text
    );
}

#[test]
fn added_and_removed_keys_take_their_own_lines() {
    let out = yaml(SMALL, |c| {
        c.rules_mut()[0].path = set("^/app/");
        c.rules_mut()[1].path = Setting::Absent;
        origin(c, 2).no_tls_verify = Setting::Set(true);
    });
    assert_eq!(
        out.text,
        with(
            SMALL,
            &[
                ("# main\n", "# main\n    path: ^/app/\n"),
                ("    path: ^/api/\n", ""),
                (
                    "'http_status:404'\n",
                    "'http_status:404'\n    originRequest:\n      noTLSVerify: true\n"
                ),
            ]
        )
    );
    // The first key of `- key: v` gives the dash to the next one, and a key that sorts first
    // takes the dash.
    let out = yaml(SMALL, |c| {
        c.rules_mut()[0].hostname = Setting::Absent;
        c.rules_mut()[2].hostname = set("c.example.com");
    });
    assert_eq!(
        out.text,
        with(
            SMALL,
            &[
                (
                    "- hostname: a.example.com   # main\n    service",
                    "- service"
                ),
                (
                    "- service: 'http_status:404'",
                    "- hostname: c.example.com\n    service: 'http_status:404'"
                ),
            ]
        )
    );
    // Removing a key and adding one in front of the key that moves up.
    let out = yaml(SMALL, |c| {
        c.rules_mut()[1].hostname = Setting::Absent;
        c.rules_mut()[1].path = Setting::Absent;
        origin(c, 1).http_host_header = set("b.internal");
        c.rules_mut()[1]
            .extra
            .insert("note".into(), RawJson::from_value(&json!("kept")));
    });
    assert!(
        out.text.contains("\n  - service: http://localhost:8081\n    originRequest:\n      httpHostHeader: b.internal\n    note: kept\n\n"),
        "{}",
        out.text
    );
}

#[test]
fn added_rules_follow_their_neighbours() {
    let out = yaml(SMALL, |c| {
        c.rules_mut()
            .insert(2, rule("c.example.com", "http://localhost:8082"));
        c.rules_mut()
            .push(rule("*.late.example.com", "http://localhost:8083"));
    });
    assert_eq!(
        out.text,
        with(
            SMALL,
            &[(
                "\n  - service: 'http_status:404'\n",
                "\n  - hostname: c.example.com\n    service: http://localhost:8082\n\n  - service: 'http_status:404'\n\n  - hostname: \"*.late.example.com\"\n    service: 'http://localhost:8083'\n"
            ),]
        )
    );
    // Without blank lines between rules, none are added; lists go at their key's column there.
    let text = "ingress:\n- hostname: a\n  service: http://a\n- service: http_status:404\n";
    let out = yaml(text, |c| {
        let mut r = rule("b", "http://b");
        origin(c, 0).no_tls_verify = Setting::Set(false);
        r.origin_request = Setting::Set(Box::new(OriginRequest {
            access: Setting::Set(Access {
                required: Setting::Set(true),
                aud_tag: Setting::Set(vec!["x".into(), "y".into()]),
                ..Access::default()
            }),
            ..OriginRequest::default()
        }));
        c.rules_mut().insert(1, r);
    });
    assert_eq!(
        out.text,
        "ingress:\n- hostname: a\n  service: http://a\n  originRequest:\n    noTLSVerify: false\n- hostname: b\n  service: http://b\n  originRequest:\n    access:\n      required: true\n      audTag:\n      - x\n      - y\n- service: http_status:404\n"
    );
}

#[test]
fn a_deleted_rule_takes_its_lines_and_the_comments_above_it() {
    let out = yaml(SMALL, |c| {
        c.rules_mut().remove(0);
    });
    assert_eq!(
        out.text,
        with(
            SMALL,
            &[(
                "  # the app\n  - hostname: a.example.com   # main\n    service: \"http://localhost:8080\"\n\n",
                ""
            )]
        )
    );
    let out = yaml(SMALL, |c| {
        c.rules_mut().remove(2);
    });
    assert!(
        out.text.ends_with("    service: http://localhost:8081\n"),
        "{}",
        out.text
    );
    let out = yaml(SMALL, |c| {
        c.rules_mut().truncate(1);
    });
    assert!(
        out.text
            .ends_with("    service: \"http://localhost:8080\"\n"),
        "{}",
        out.text
    );
}

#[test]
fn a_moved_rule_carries_its_text_and_comments() {
    let out = yaml(SMALL, |c| {
        let r = c.rules_mut().remove(0);
        c.rules_mut().insert(1, r);
    });
    assert_eq!(
        out.text,
        SMALL.replace(
            "  # the app\n  - hostname: a.example.com   # main\n    service: \"http://localhost:8080\"\n\n  - hostname: b.example.com\n    path: ^/api/\n    service: http://localhost:8081\n\n",
            "  - hostname: b.example.com\n    path: ^/api/\n    service: http://localhost:8081\n\n  # the app\n  - hostname: a.example.com   # main\n    service: \"http://localhost:8080\"\n\n"
        )
    );
    // Moved and edited at once: the rule keeps its comments where it goes.
    let out = yaml(SMALL, |c| {
        let mut r = c.rules_mut().remove(0);
        r.service = set("http://localhost:1");
        c.rules_mut().insert(1, r);
    });
    assert!(out.text.contains("\n  # the app\n  - hostname: a.example.com   # main\n    service: \"http://localhost:1\"\n\n  - service"), "{}", out.text);
}

#[test]
fn global_settings_and_warp_routing_change_in_place() {
    let text = load("homelab.yml").0;
    let out = yaml(&text, |c| {
        let g = global(c);
        g.keep_alive_connections = Setting::Set(100);
        g.http_host_header = Setting::Absent;
        g.ca_pool = set("/etc/ssl/lan.pem");
        c.warp_routing = Setting::Set(WarpRouting {
            enabled: Setting::Set(true),
            ..WarpRouting::default()
        });
        c.extra
            .insert("loglevel".into(), RawJson::from_value(&json!("debug")));
    });
    assert_eq!(
        out.text,
        with(
            &text,
            &[
                ("loglevel: info", "loglevel: debug"),
                (
                    "originRequest:\n  connectTimeout",
                    "originRequest:\n  caPool: /etc/ssl/lan.pem\n  connectTimeout"
                ),
                ("keepAliveConnections: 50", "keepAliveConnections: 100"),
                ("  httpHostHeader: 'internal.lan'\n", ""),
                ("enabled: false", "enabled: true"),
            ]
        )
    );
    // Removing a whole section removes its lines; adding one puts it where cfingress writes it.
    let out = yaml(&text, |c| {
        c.origin_request = Setting::Absent;
        c.warp_routing = Setting::Absent;
    });
    // (The comment right above originRequest goes with it.)
    assert!(
        out.text.contains("no-autoupdate: true\n\ningress:\n"),
        "{}",
        out.text
    );
    // A section added between blank-separated sections gets its blank line.
    let text = "tunnel: t\n\noriginRequest:\n  connectTimeout: 5s\n\ningress:\n  - service: http_status:404\n";
    let out = yaml(text, |c| {
        c.warp_routing = Setting::Set(WarpRouting {
            enabled: Setting::Set(true),
            ..WarpRouting::default()
        });
    });
    assert_eq!(
        out.text,
        with(
            text,
            &[("5s\n\n", "5s\n\nwarp-routing:\n  enabled: true\n\n")]
        )
    );
    let out = yaml(SMALL, |c| {
        c.warp_routing = Setting::Set(WarpRouting {
            enabled: Setting::Set(false),
            ..WarpRouting::default()
        });
    });
    assert!(
        out.text
            .contains("  connectTimeout: 1.5s\nwarp-routing:\n  enabled: false\ningress:\n"),
        "{}",
        out.text
    );
}

#[test]
fn crlf_files_stay_crlf_and_a_missing_final_newline_stays_missing() {
    let (text, out) = example("windows.yml", |c| {
        c.rules_mut()[1].service = set("http://10.0.0.42");
        c.rules_mut()
            .push(rule("late.example.net", "http://10.0.0.43"));
        origin(c, 0).no_tls_verify = Setting::Set(true);
    });
    assert_eq!(
        out.text,
        text.replace("service: http://10.0.0.41", "service: http://10.0.0.42")
            .replace(
                "service: rdp://10.0.0.40:3389\r\n",
                "service: rdp://10.0.0.40:3389\r\n    originRequest:\r\n      noTLSVerify: true\r\n"
            )
            + "\r\n\r\n  - hostname: late.example.net\r\n    service: http://10.0.0.43"
    );
    assert!(out.notes.is_empty());
}

#[test]
fn flow_collections_are_edited_in_flow_style() {
    let (text, out) = example("compact.yaml", |c| {
        origin(c, 0).connect_timeout = Setting::Set(Duration::from_secs(20));
        origin(c, 0).no_tls_verify = Setting::Set(true);
        c.rules_mut()[2].service = set("http://10.1.0.8:8080");
        c.rules_mut()[2].path = set("^/wiki/");
        c.rules_mut()
            .insert(3, rule("chat.corp.example.com", "http://10.1.0.9"));
    });
    assert_eq!(
        out.text,
        with(
            &text,
            &[
                (
                    "{connectTimeout: 10s,",
                    "{noTLSVerify: true, connectTimeout: 20s,"
                ),
                (
                    "- {hostname: wiki.corp.example.com, service: 'http://10.1.0.7:8080'}\n",
                    "- {hostname: wiki.corp.example.com, path: ^/wiki/, service: 'http://10.1.0.8:8080'}\n- hostname: chat.corp.example.com\n  service: 'http://10.1.0.9'\n"
                ),
            ]
        )
    );
}

#[test]
fn json_keeps_its_indentation_and_shape() {
    let (text, out) = example("tabs.json", |c| {
        c.rules_mut()
            .insert(1, rule("docs.example.org", "http://127.0.0.1:4000"));
        origin(c, 2).http_host_header = Setting::Absent;
        global(c).no_tls_verify = Setting::Set(false);
    });
    assert_eq!(
        out.text,
        with(
            &text,
            &[
                (
                    "\t\t},\n\t\t{\n\t\t\t\"hostname\": \"*.example.org\"",
                    "\t\t},\n\t\t{\n\t\t\t\"hostname\": \"docs.example.org\",\n\t\t\t\"service\": \"http://127.0.0.1:4000\"\n\t\t},\n\t\t{\n\t\t\t\"hostname\": \"*.example.org\""
                ),
                (
                    "{\"httpHostHeader\": \"www.example.org\", \"tcpKeepAlive",
                    "{\"tcpKeepAlive"
                ),
                (
                    "\t\t\"connectTimeout\": 20\n",
                    "\t\t\"noTLSVerify\": false,\n\t\t\"connectTimeout\": 20\n"
                ),
            ]
        )
    );
    let (text, out) = example("put-body.json", |c| {
        c.rules_mut().remove(1);
        origin(c, 0).connect_timeout = Setting::Set(Duration::from_secs(15));
        c.warp_routing = Setting::Absent;
    });
    assert_eq!(
        out.text,
        with(
            &text,
            &[
                ("\"connectTimeout\": 10,", "\"connectTimeout\": 15,"),
                (
                    "            {\n                \"hostname\": \"api.example.com\",\n                \"path\": \"^/v1/\",\n                \"service\": \"http://10.0.0.12:8081\"\n            },\n",
                    ""
                ),
                (
                    "        ],\n        \"warp-routing\": {\n            \"enabled\": true\n        }\n",
                    "        ]\n"
                ),
            ]
        )
    );
    let (text, out) = example("api-response.json", |c| {
        c.rules_mut()[0].origin_request = Setting::Absent;
        c.rules_mut()
            .insert(2, rule("cdn.shop.example.com", "http://localhost:8002"));
    });
    assert_eq!(
        out.text,
        text.replace(",\"originRequest\":{}", "").replace(
            "},{\"service\":\"http_status:404\"}",
            "},{\"hostname\":\"cdn.shop.example.com\",\"service\":\"http://localhost:8002\"},{\"service\":\"http_status:404\"}"
        )
    );
    // A JSON file cannot hold a fractional duration: an error, nothing written.
    let (text, format, l) = load("tabs.json");
    let mut edited = l.config.clone();
    global(&mut edited).connect_timeout = Setting::Set(Duration::from_nanos(1_500_000_000));
    let e = rewrite(&text, format, l.shape, &l.config, &edited);
    assert!(
        matches!(&e, Err(RewriteError::Encode(e)) if e.to_string().starts_with("originRequest.connectTimeout is 1.5s")),
        "{e:?}"
    );
}

#[test]
fn anchors_and_aliases_are_kept_or_the_file_is_written_anew_with_a_note() {
    // An aliased rule setting edited: the alias becomes the written-out value, the anchor and
    // the other alias stay.
    let (text, out) = example("anchors.yml", |c| {
        origin(c, 0).no_tls_verify = Setting::Set(false);
        c.rules_mut()[2].service = set("http://10.2.0.12:9001");
    });
    assert_eq!(
        out.text,
        with(
            &text,
            &[
                (
                    "8443\n    originRequest: *internal\n  - hostname: nexus",
                    "8443\n    originRequest:\n      caPool: /etc/ssl/internal-ca.pem\n      noTLSVerify: false\n      connectTimeout: 5s\n  - hostname: nexus"
                ),
                ("9000", "9001"),
            ]
        )
    );
    // The anchored value itself changes: its aliases would change with it, so the whole file
    // is written anew (and says so).
    let (_, out) = example("anchors.yml", |c| {
        c.extra.insert(
            "x-internal-origin".into(),
            RawJson::from_value(&json!({"connectTimeout": "9s"})),
        );
    });
    assert_eq!(out.notes.len(), 1);
    assert!(
        out.notes[0]
            .starts_with("the whole file was written anew (x-internal-origin is a YAML anchor"),
        "{:?}",
        out.notes
    );
}

#[test]
fn odd_layouts_fall_back_to_the_smallest_enclosing_value() {
    // A block scalar cannot be edited in place: the value is written anew, with a note.
    let text = "ingress:\n  - hostname: a\n    service: >-\n      http://a\n  - service: http_status:404 # last\n";
    let out = yaml(text, |c| c.rules_mut()[0].service = set("http://b"));
    assert_eq!(
        out.text,
        "ingress:\n  - hostname: a\n    service: http://b\n  - service: http_status:404 # last\n"
    );
    assert_eq!(
        out.notes,
        ["ingress[0].service (rule #1) was rewritten whole: its layout is not kept"]
    );
    // A rule whose keys cannot be added in place (`? key` syntax) is rewritten whole, comments
    // noted.
    let text = "ingress:\n  - ? hostname\n    : a # host\n    service: http://a\n  - service: http_status:404\n";
    let out = yaml(text, |c| c.rules_mut()[0].hostname = Setting::Absent);
    assert_eq!(
        out.text,
        "ingress:\n  - service: http://a\n  - service: http_status:404\n"
    );
    assert_eq!(
        out.notes,
        ["rule #1 was rewritten whole: its comments are dropped"]
    );
    // A key a JSON file repeats (the last one counts) is left alone by edits elsewhere, and an
    // object with a repeated key that the edit touches is written anew.
    let text = "{\"tunnel\": \"a\", \"tunnel\": \"b\", \"ingress\": [{\"service\": \"x\", \"service\": \"y\", \"path\": \"/p\"}]}";
    let read = parse_str(text, Format::Json)
        .map(|l| l.config)
        .unwrap_or_default();
    let mut edited = read.clone();
    edited.rules_mut()[0].path = set("/q");
    let out = checked(text, Format::Json, Shape::Bare, &read, &edited);
    assert_eq!(out.text, text.replace("/p", "/q"));
    edited.rules_mut()[0].service = set("z");
    let out = checked(text, Format::Json, Shape::Bare, &read, &edited);
    assert_eq!(
        out.text,
        "{\"tunnel\": \"a\", \"tunnel\": \"b\", \"ingress\": [{\"path\": \"/q\", \"service\": \"z\"}]}"
    );
    // Empty files and files of only comments get the config after what they hold.
    let out = yaml("# to do\n", |c| *c = TunnelConfig::new_catch_all());
    assert_eq!(
        out.text,
        "# to do\ningress:\n  - service: http_status:404\n"
    );
    let out = yaml("", |c| *c = TunnelConfig::new_catch_all());
    assert_eq!(out.text, "ingress:\n  - service: http_status:404\n");
    let out = yaml("~\n", |c| *c = TunnelConfig::new_catch_all());
    assert_eq!(out.text, "ingress:\n  - service: http_status:404\n");
    // Every rule replaced: the list is written whole in the file's layout and quoting.
    let out = yaml(SMALL, |c| {
        c.ingress = Setting::Set(vec![rule("x", "http://x")]);
    });
    assert!(
        out.text
            .ends_with("ingress:\n  - hostname: x\n    service: \"http://x\"\n"),
        "{}",
        out.text
    );
    assert_eq!(
        out.notes,
        ["ingress was rewritten whole: its comments are dropped"]
    );
}

#[test]
fn document_markers_byte_order_marks_and_non_ascii_text_stay() {
    let text = "\u{feff}--- # ünïcode comment ✓\ningress:\n  - hostname: café.example.com # ☕\n    service: http://x\n  - service: http_status:404\n...\n";
    let out = yaml(text, |c| {
        c.rules_mut()[0].service = set("http://ÿ");
        c.rules_mut().push(rule("z.example.com", "http://z"));
    });
    assert_eq!(
        out.text,
        with(
            text,
            &[
                ("http://x", "http://ÿ"),
                (
                    "http_status:404\n",
                    "http_status:404\n  - hostname: z.example.com\n    service: http://z\n"
                ),
            ]
        )
    );
}

#[test]
fn the_whole_file_fallback_keeps_the_shape() {
    for name in [
        "api-response.json",
        "put-body.json",
        "tabs.json",
        "homelab.yml",
    ] {
        let (text, format, l) = load(name);
        let mut edited = l.config.clone();
        edited.rules_mut()[0].service = set("http://fallback");
        let out = whole_file(&text, format, l.shape, &edited, "a test");
        let Ok(out) = out else {
            panic!("{name}: {out:?}")
        };
        let back = parse_str(&out.text, format);
        assert_eq!(
            back.as_ref().map(|b| (&b.config, b.shape)),
            Ok((&edited, l.shape)),
            "{name}"
        );
        assert!(
            out.notes[0].starts_with("the whole file was written anew (a test): "),
            "{:?}",
            out.notes
        );
    }
}

/// Golden diffs of typical edits on a real-world config.yml.
#[test]
fn typical_edits_golden() {
    type Edit = Box<dyn Fn(&mut TunnelConfig)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "change_service",
            Box::new(|c| c.rules_mut()[3].service = set("http://192.168.1.31:8080")),
        ),
        (
            "add_rule",
            Box::new(|c| {
                c.rules_mut()
                    .insert(6, rule("vault.home.example.org", "https://127.0.0.1:8200"))
            }),
        ),
        (
            "delete_rule",
            Box::new(|c| {
                c.rules_mut().remove(1);
            }),
        ),
        ("move_rule_down", Box::new(|c| c.rules_mut().swap(0, 1))),
        (
            "add_rule_setting",
            Box::new(|c| origin(c, 6).connect_timeout = Setting::Set(Duration::from_secs(5))),
        ),
        (
            "remove_rule_setting",
            Box::new(|c| origin(c, 1).disable_chunked_encoding = Setting::Absent),
        ),
        (
            "edit_access",
            Box::new(|c| {
                if let Setting::Set(a) = &mut origin(c, 0).access {
                    a.aud_tag = Setting::Set(vec!["5f2a0c9e8d7b6a5f4e3d2c1b0a9f8e7d".into()]);
                }
            }),
        ),
        (
            "edit_ip_rule",
            Box::new(|c| {
                if let Setting::Set(ip) = &mut origin(c, 5).ip_rules {
                    ip[0].ports = Setting::Set(vec![22]);
                    ip[1].allow = Setting::Set(true);
                }
            }),
        ),
        (
            "global_and_warp",
            Box::new(|c| {
                global(c).tls_timeout = Setting::Set(Duration::from_secs(3));
                c.warp_routing = Setting::Absent;
            }),
        ),
    ];
    let mut all = String::new();
    for (name, f) in edits {
        let (text, out) = example("homelab.yml", |c| f(c));
        all.push_str(&format!("== {name}\n{}", diff(&text, &out.text)));
        for note in &out.notes {
            all.push_str(&format!("note: {note}\n"));
        }
    }
    insta::assert_snapshot!("homelab_typical_edits", all);
}

mod property {
    //! Random edit sequences on the example files: every step reads back as the edited config,
    //! keeps the file's layout (no whole-file rewrite), and leaves the text of every rule it did
    //! not touch byte for byte, in order.

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        Service(usize, String),
        Hostname(usize, String),
        Path(usize, Option<String>),
        NoTls(usize, Option<bool>),
        Timeout(usize, Option<i64>),
        Insert(usize, String, String),
        Delete(usize),
        Move(usize, usize),
        Duplicate(usize),
        Global(Option<i64>),
        Warp(Option<bool>),
        Extra(Option<String>),
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z0-9.:/_-]{1,20}",
            1 => prop::sample::select(vec![
                "*.example.com", "123", "true", "~", "", "a: b", "x #y", "'q'", "\"d\"", " lead",
                "-x", "é.example", "\u{1b}[1m", "a\nb", "[x]", "{y}", "&a", "!t", "%p", "http://h:1",
            ]).prop_map(str::to_owned),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        let i = 0usize..64;
        prop_oneof![
            3 => (i.clone(), text()).prop_map(|(i, s)| Op::Service(i, s)),
            2 => (i.clone(), text()).prop_map(|(i, s)| Op::Hostname(i, s)),
            2 => (i.clone(), prop::option::of(text())).prop_map(|(i, s)| Op::Path(i, s)),
            2 => (i.clone(), prop::option::of(any::<bool>())).prop_map(|(i, b)| Op::NoTls(i, b)),
            2 => (i.clone(), prop::option::of(-1i64..5000)).prop_map(|(i, t)| Op::Timeout(i, t)),
            2 => (i.clone(), text(), text()).prop_map(|(i, h, s)| Op::Insert(i, h, s)),
            2 => i.clone().prop_map(Op::Delete),
            2 => (i.clone(), i.clone()).prop_map(|(a, b)| Op::Move(a, b)),
            1 => i.prop_map(Op::Duplicate),
            1 => prop::option::of(0i64..5000).prop_map(Op::Global),
            1 => prop::option::of(any::<bool>()).prop_map(Op::Warp),
            1 => prop::option::of(text()).prop_map(Op::Extra),
        ]
    }

    /// Applies `op`; returns, for each new rule, the old rule it is unchanged from.
    fn apply_op(c: &mut TunnelConfig, op: &Op, yaml: bool) -> Vec<Option<usize>> {
        let n = c.rules().len();
        let mut kept: Vec<Option<usize>> = (0..n).map(Some).collect();
        if n == 0 {
            return kept;
        }
        match op.clone() {
            Op::Service(i, s) => {
                c.rules_mut()[i % n].service = Setting::Set(s);
                kept[i % n] = None;
            }
            Op::Hostname(i, s) => {
                c.rules_mut()[i % n].hostname = Setting::Set(s);
                kept[i % n] = None;
            }
            Op::Path(i, s) => {
                c.rules_mut()[i % n].path = Setting::from_option(s);
                kept[i % n] = None;
            }
            Op::NoTls(i, b) => {
                origin(c, i % n).no_tls_verify = Setting::from_option(b);
                kept[i % n] = None;
            }
            Op::Timeout(i, t) => {
                // Fractions only where the format holds them.
                let d = t.map(|t| {
                    if yaml && t % 3 == 0 {
                        Duration::from_nanos(t * 500_000_000)
                    } else {
                        Duration::from_secs(t)
                    }
                });
                origin(c, i % n).keep_alive_timeout = Setting::from_option(d);
                kept[i % n] = None;
            }
            Op::Insert(i, h, s) => {
                c.rules_mut().insert(i % (n + 1), rule(&h, &s));
                kept.insert(i % (n + 1), None);
            }
            Op::Delete(i) => {
                c.rules_mut().remove(i % n);
                kept.remove(i % n);
            }
            Op::Move(a, b) => {
                let r = c.rules_mut().remove(a % n);
                c.rules_mut().insert(b % n, r);
                let k = kept.remove(a % n);
                kept.insert(b % n, k);
            }
            Op::Duplicate(i) => {
                let r = c.rules()[i % n].clone();
                c.rules_mut().insert(i % n + 1, r);
                kept.insert(i % n + 1, None);
            }
            Op::Global(t) => {
                global(c).connect_timeout = Setting::from_option(t.map(Duration::from_secs));
            }
            Op::Warp(b) => {
                c.warp_routing = match b {
                    None => Setting::Absent,
                    Some(b) => Setting::Set(WarpRouting {
                        enabled: Setting::Set(b),
                        ..WarpRouting::default()
                    }),
                };
            }
            Op::Extra(v) => match v {
                Some(v) => {
                    c.extra
                        .insert("loglevel".into(), RawJson::from_value(&json!(v)));
                }
                None => {
                    c.extra.shift_remove("loglevel");
                }
            },
        }
        kept
    }

    /// The text of each rule of a block `ingress:` list, from its `-` line to its last line that
    /// is not blank or a comment: found by indentation alone, independently of the writer.
    fn rule_texts(text: &str) -> Option<Vec<String>> {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let start = lines.iter().position(|l| l.starts_with("ingress:"))? + 1;
        let indent = |l: &str| l.len() - l.trim_start().len();
        let dash_col = lines[start..]
            .iter()
            .find(|l| l.trim_start().starts_with('-'))
            .map(|l| indent(l))?;
        let mut rules: Vec<Vec<&str>> = Vec::new();
        for line in &lines[start..] {
            let t = line.trim();
            let comment = t.is_empty() || t.starts_with('#');
            if !comment
                && (indent(line) < dash_col || indent(line) == dash_col && !t.starts_with('-'))
            {
                break;
            }
            if !comment && indent(line) == dash_col {
                rules.push(Vec::new());
            }
            if let Some(r) = rules.last_mut() {
                r.push(line);
            }
        }
        Some(
            rules
                .into_iter()
                .map(|mut r| {
                    while r
                        .last()
                        .is_some_and(|l| l.trim().is_empty() || l.trim().starts_with('#'))
                    {
                        r.pop();
                    }
                    r.concat().trim_end_matches(['\r', '\n']).to_owned()
                })
                .collect(),
        )
    }

    /// The lines before `ingress:`.
    fn head(text: &str) -> &str {
        text.find("\ningress:").map_or(text, |i| &text[..i])
    }

    fn check_sequence(name: &str, ops: &[Op]) -> Result<(), TestCaseError> {
        let (mut text, format, l) = load(name);
        let yaml = format == Format::Yaml;
        let mut config = l.config.clone();
        for op in ops {
            let mut edited = config.clone();
            let kept = apply_op(&mut edited, op, yaml);
            let out = rewrite(&text, format, l.shape, &config, &edited)
                .map_err(|e| TestCaseError::fail(format!("{op:?}: {e}")))?;
            let back = parse_str(&out.text, format).map(|l| l.config);
            prop_assert_eq!(back.as_ref(), Ok(&edited), "{:?}\n{}", op, out.text);
            prop_assert!(
                !out.notes.iter().any(|n| n.starts_with("the whole file")),
                "{:?}: {:?}\n{}",
                op,
                out.notes,
                out.text
            );
            if yaml {
                let old_rules = rule_texts(&text).unwrap_or_default();
                prop_assert_eq!(old_rules.len(), config.rules().len(), "{}", text);
                let new_text = out.text.clone();
                let mut from = 0;
                for &o in kept.iter().flatten() {
                    // Identical rules are interchangeable: any of their texts will do.
                    let found = (0..old_rules.len())
                        .filter(|&t| config.rules()[t] == config.rules()[o])
                        .filter_map(|t| {
                            let r = old_rules[t].as_str();
                            new_text[from..].find(r).map(|at| from + at + r.len())
                        })
                        .min();
                    prop_assert!(
                        found.is_some(),
                        "{:?}: rule {} changed or out of order:\n{}\n---\n{}",
                        op,
                        o,
                        old_rules.get(o).map_or("", String::as_str),
                        new_text
                    );
                    from = found.unwrap_or(from);
                }
                if matches!(
                    op,
                    Op::Service(..)
                        | Op::Hostname(..)
                        | Op::Path(..)
                        | Op::NoTls(..)
                        | Op::Timeout(..)
                        | Op::Insert(..)
                        | Op::Delete(..)
                        | Op::Move(..)
                        | Op::Duplicate(..)
                ) {
                    prop_assert_eq!(head(&text), head(&out.text), "{:?}", op);
                }
            }
            text = out.text;
            config = edited;
        }
        // All the steps at once, from the original file, read back as well.
        let (original, format, l) = load(name);
        let out = rewrite(&original, format, l.shape, &l.config, &config)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = parse_str(&out.text, format).map(|l| l.config);
        prop_assert_eq!(back.as_ref(), Ok(&config));
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

        #[test]
        fn random_edits_on_config_yml(ops in prop::collection::vec(op(), 1..8), file in 0usize..5) {
            let name = ["homelab.yml", "config.yml", "windows.yml", "compact.yaml", "anchors.yml"][file];
            check_sequence(name, &ops)?;
        }

        #[test]
        fn random_edits_on_json(ops in prop::collection::vec(op(), 1..8), file in 0usize..4) {
            let name = ["tabs.json", "put-body.json", "api-response.json", "remote-config.json"][file];
            check_sequence(name, &ops)?;
        }
    }
}
