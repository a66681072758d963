//! Reading and writing config files in every shape cfingress accepts: an API response envelope
//! (`{"success":..,"result":{"config":..}}`), a PUT body (`{"config":..}`), a bare config
//! (`{"ingress":[..]}`), and a cloudflared `config.yml` (chosen by the `.yml`/`.yaml` extension).

use std::fmt;
use std::path::Path;

use serde_json::Value;
use thiserror::Error;

use super::decode::{DecodeError, Dialect, Node, decode_config, go_fold_eq};
use super::encode::{EncodeError, config_to_yaml};
use super::jsontree::Json;
use super::model::TunnelConfig;
use super::{yamlfast, yamltree};

/// The syntax of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (remote config encoding: durations in whole seconds).
    Json,
    /// cloudflared `config.yml` (durations as Go duration strings).
    Yaml,
}

impl Format {
    /// The format a path's extension names: `.yml`/`.yaml` are YAML, anything else JSON.
    pub fn from_path(path: &Path) -> Self {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("yml" | "yaml") => Format::Yaml,
            _ => Format::Json,
        }
    }
}

/// How the config sat in a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `{"success":true,"result":{"config":{..},"version":N}}` (a saved API response).
    Envelope,
    /// `{"config":{..}}` (a PUT body).
    PutBody,
    /// The config object itself.
    Bare,
    /// A cloudflared config.yml.
    ConfigYml,
}

/// A config read from text, with what the text said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The config.
    pub config: TunnelConfig,
    /// How it was wrapped.
    pub shape: Shape,
    /// The `version` of an API envelope.
    pub version: Option<u64>,
}

/// Why a file could not be read as a config.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReadError {
    /// The file could not be read.
    #[error("cannot read the file: {0}")]
    Io(String),
    /// Not valid JSON.
    #[error("line {line}, column {column}: not valid JSON: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// serde_json's explanation.
        message: String,
    },
    /// Not valid YAML.
    #[error("line {line}, column {column}: not valid YAML: {message}")]
    Yaml {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The YAML parser's explanation.
        message: String,
    },
    /// Valid syntax, wrong structure or types.
    #[error("{0}")]
    Decode(DecodeError),
    /// An API response without a config.
    #[error("{0}")]
    NoConfig(String),
    /// A device, folder or pipe where a config file was expected.
    #[error("not a regular file but {0}; name a config file")]
    NotAFile(&'static str),
    /// A file larger than cfingress reads.
    #[error(
        "the file is {size} bytes, more than the {limit} bytes cfingress reads (a 100 000-rule config takes about 16 MB): is it the right file?"
    )]
    TooLarge {
        /// Its size in bytes (at least; a growing file may be larger).
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
}

/// The largest config file cfingress reads: 64 MiB.
pub const MAX_CONFIG_BYTES: u64 = 64 << 20;

fn file_kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

/// Reads a regular file of at most `limit` bytes as UTF-8 text. Devices, folders and pipes are
/// refused before anything is read from them (a pipe is opened without waiting for a writer), and
/// a file that grows past the limit while being read is refused too, so `/dev/zero`, a FIFO or a
/// huge file costs neither time nor memory.
pub fn read_text_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    use std::io::Read;
    let io = |e: std::io::Error| ReadError::Io(e.to_string());
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(file_kind(&meta.file_type())));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // A file swapped for a FIFO after the check above must not block the open.
        use std::os::unix::fs::OpenOptionsExt;
        let nonblock = rustix::fs::OFlags::NONBLOCK.bits();
        options.custom_flags(i32::try_from(nonblock).unwrap_or(0));
    }
    let file = options.open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile(file_kind(&meta.file_type())));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Err(ReadError::TooLarge { size: read, limit });
    }
    String::from_utf8(bytes).map_err(|e| {
        ReadError::Io(format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Reads a config file's text (a regular file of at most [`MAX_CONFIG_BYTES`]).
pub fn read_config_text(path: &Path) -> Result<String, FileError> {
    read_text_capped(path, MAX_CONFIG_BYTES).map_err(|error| FileError {
        path: path.display().to_string(),
        error,
    })
}

/// A read error with the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file as the user named it.
    pub path: String,
    /// What went wrong.
    pub error: ReadError,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", crate::text::inert(&self.path), self.error)
    }
}

impl std::error::Error for FileError {}

fn json_error(e: &serde_json::Error) -> ReadError {
    let full = e.to_string();
    let message = match full.rfind(" at line ") {
        Some(i) => full[..i].to_owned(),
        None => full,
    };
    let message = if message == "recursion limit exceeded" {
        "nested more than 128 levels deep; a tunnel config never needs that".to_owned()
    } else {
        message
    };
    ReadError::Json {
        line: e.line(),
        column: e.column(),
        message,
    }
}

/// Reads JSON text in any accepted shape.
pub fn parse_json(text: &str) -> Result<Loaded, ReadError> {
    let tree = super::jsontree::parse_config(text).map_err(|e| json_error(&e))?;
    from_node(Node::Tree(&tree))
}

/// Reads a config from a parsed JSON tree in any accepted shape.
pub fn from_tree(tree: &Json<'_>) -> Result<Loaded, ReadError> {
    from_node(Node::Tree(tree))
}

/// Reads a config from an already-parsed JSON value in any accepted shape.
pub fn from_json_value(value: &Value) -> Result<Loaded, ReadError> {
    from_node(Node::Json(value))
}

fn bare(
    node: Node<'_>,
    shape: Shape,
    version: Option<u64>,
    prefix: Option<&str>,
) -> Result<Loaded, ReadError> {
    decode_config(node, Dialect::Json)
        .map(|config| Loaded {
            config,
            shape,
            version,
        })
        .map_err(|e| {
            ReadError::Decode(match prefix {
                Some(p) => prefix_path(p, e),
                None => e,
            })
        })
}

/// Whether a top-level object reads as a wrapper (an API envelope or a PUT body) rather than a
/// bare config: no config key, and either `success` + `result`, or `config` alone.
fn is_wrapper(keys: &[&str]) -> bool {
    let has_config_keys = keys.iter().any(|k| {
        ["ingress", "originRequest", "warp-routing"]
            .iter()
            .any(|n| go_fold_eq(k, n))
    });
    !has_config_keys
        && (keys.contains(&"result") && keys.contains(&"success") || keys == ["config"])
}

fn from_node(root: Node<'_>) -> Result<Loaded, ReadError> {
    let keys = root.keys();
    let wrapper = is_wrapper(&keys);
    if wrapper && let Some(result) = root.field("result") {
        if root.field("success").map(|s| s.to_value()) == Some(Value::Bool(false)) {
            let errors = root
                .field("errors")
                .map(|e| e.to_value())
                .and_then(|e| e.as_array().cloned())
                .map(|errs| {
                    errs.iter()
                        .map(|e| {
                            let code = e.get("code").map(Value::to_string).unwrap_or_default();
                            let msg = e
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("(no message)");
                            crate::text::inert(&format!("{code} {msg}")).into_owned()
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            return Err(ReadError::NoConfig(format!(
                "this is an API error response (success: false), not a config: {errors}"
            )));
        }
        let version = result.field("version").and_then(|v| v.to_value().as_u64());
        return match result.field("config") {
            None => Err(ReadError::NoConfig(
                "this API response holds no config (config: null): the tunnel has no remote configuration yet".to_owned(),
            )),
            Some(cfg) if cfg.is_json_null() => Err(ReadError::NoConfig(
                "this API response holds no config (config: null): the tunnel has no remote configuration yet".to_owned(),
            )),
            Some(cfg) => bare(cfg, Shape::Envelope, version, Some("result.config")),
        };
    }
    if wrapper && let Some(cfg) = root.field("config") {
        if cfg.is_json_null() {
            return Err(ReadError::NoConfig(
                "this PUT body holds no config (config: null)".to_owned(),
            ));
        }
        return bare(cfg, Shape::PutBody, None, Some("config"));
    }
    bare(root, Shape::Bare, None, None)
}

fn prefix_path(prefix: &str, mut e: DecodeError) -> DecodeError {
    e.path = if e.path == "(top level)" {
        prefix.to_owned()
    } else {
        format!("{prefix}.{}", e.path)
    };
    e
}

/// Reads a cloudflared `config.yml`.
pub fn parse_yaml(text: &str) -> Result<Loaded, ReadError> {
    // The fast reader takes the usual block style; anything else goes to the general parser.
    let root = match yamlfast::parse(text) {
        Some(root) => Some(root),
        None => yamltree::parse(text).map_err(|e| ReadError::Yaml {
            line: e.line,
            column: e.col,
            message: e.message,
        })?,
    };
    let config = match &root {
        None => TunnelConfig::default(),
        Some(node) => decode_config(Node::Yaml(node), Dialect::Yaml).map_err(ReadError::Decode)?,
    };
    Ok(Loaded {
        config,
        shape: Shape::ConfigYml,
        version: None,
    })
}

/// Reads text in the given format.
pub fn parse_str(text: &str, format: Format) -> Result<Loaded, ReadError> {
    match format {
        Format::Json => parse_json(text),
        Format::Yaml => parse_yaml(text),
    }
}

/// Reads a bare, envelope or PUT-body JSON config (for tests and tools).
pub fn parse_json_str(text: &str) -> Result<TunnelConfig, ReadError> {
    parse_json(text).map(|l| l.config)
}

/// Reads a config file; the format follows the extension.
pub fn read_file(path: &Path) -> Result<Loaded, FileError> {
    let text = read_config_text(path)?;
    parse_str(&text, Format::from_path(path)).map_err(|error| FileError {
        path: path.display().to_string(),
        error,
    })
}

/// The config as pretty-printed JSON: bare, or wrapped as a PUT body.
pub fn to_json_string(config: &TunnelConfig, put_body: bool) -> Result<String, EncodeError> {
    // Written straight from the model: a large unknown value is never built as a `Value` tree.
    let json = super::encode::JsonConfig::new(config)?;
    // A bare config whose only keys look like a wrapper would read back as one: write it wrapped.
    let wrap = put_body || is_wrapper(&json.keys());
    // C1, bidi and invisible characters as \uXXXX: the same config, readable on any terminal.
    let mut s = if wrap {
        /// `{"config": ...}`, the PUT body's shape.
        #[derive(serde::Serialize)]
        struct Wrapped<'a> {
            config: &'a super::encode::JsonConfig,
        }
        crate::text::json_inert_pretty(&Wrapped { config: &json })
    } else {
        crate::text::json_inert_pretty(&json)
    };
    s.push('\n');
    Ok(s)
}

/// The config as a cloudflared `config.yml`.
pub fn to_yaml_string(config: &TunnelConfig) -> Result<String, EncodeError> {
    config_to_yaml(config)
}

/// The config in the given format (JSON is bare).
pub fn to_string(config: &TunnelConfig, format: Format) -> Result<String, EncodeError> {
    match format {
        Format::Json => to_json_string(config, false),
        Format::Yaml => to_yaml_string(config),
    }
}

/// Whether YAML text has comments, which writing the file back would drop.
pub fn yaml_has_comments(text: &str) -> bool {
    text.lines().any(|line| {
        let mut in_single = false;
        let mut in_double = false;
        let mut prev_space = true;
        for c in line.chars() {
            match c {
                '\'' if !in_double => in_single = !in_single,
                '"' if !in_single => in_double = !in_double,
                '#' if !in_single && !in_double && prev_space => return true,
                _ => {}
            }
            prev_space = c == ' ' || c == '\t';
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::duration::Duration;
    use crate::config::model::Setting;

    /// The streaming writer against the `Value` one it replaced: the same bytes for every example,
    /// generated configs and unknown values of every shape, and the same errors.
    #[test]
    fn json_is_written_as_the_value_tree_would_write_it() {
        let tree = |c: &TunnelConfig, wrap: bool| -> Result<String, EncodeError> {
            let v = super::super::encode::config_to_json(c)?;
            let v = if wrap {
                serde_json::json!({ "config": v })
            } else {
                v
            };
            Ok(crate::text::json_inert_pretty(&v) + "\n")
        };
        let mut configs = vec![crate::fixtures::scale_config(300, 7)];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if let Ok(l) = read_file(&entry.path()) {
                configs.push(l.config);
            }
        }
        let odd = r#"{"ingress":[{"hostname":"a.example.com","service":"http://x:1",
            "zzz":[1,-2,3.5,1e300,"\u001b]2;x\u0007\u202e",{"b":null,"a":[[],{}]}],
            "originRequest":{"connectTimeout":30,"later":{"k":"\u00ad"}}},
            {"service":"http_status:404"}],"top":{"x":[true,false]},
            "warp-routing":{"enabled":true,"w":18446744073709551615}}"#;
        configs.push(parse_json_str(odd).unwrap_or_else(|e| panic!("{e}")));
        let mut fractional = parse_json_str(odd).unwrap_or_else(|e| panic!("{e}"));
        if let Setting::Set(rules) = &mut fractional.ingress {
            rules[0]
                .origin_request
                .get_or_insert_default()
                .connect_timeout = Setting::Set(Duration::from_nanos(1_500_000_000));
        }
        configs.push(fractional);
        assert!(configs.len() > 8, "the examples were read");
        for c in &configs {
            for wrap in [false, true] {
                assert_eq!(to_json_string(c, wrap), tree(c, wrap));
            }
        }
    }

    #[test]
    fn shapes_are_recognised() {
        let bare = r#"{"ingress":[{"service":"http_status:404"}]}"#;
        assert_eq!(parse_json(bare).map(|l| l.shape), Ok(Shape::Bare));
        let put = r#"{"config":{"ingress":[{"service":"http_status:404"}]}}"#;
        assert_eq!(parse_json(put).map(|l| l.shape), Ok(Shape::PutBody));
        let env = r#"{"success":true,"errors":[],"messages":[],"result":{"tunnel_id":"t","version":7,"config":{"ingress":[{"service":"http_status:404"}]}}}"#;
        let l = parse_json(env);
        assert_eq!(
            l.as_ref().map(|l| (l.shape, l.version)),
            Ok((Shape::Envelope, Some(7)))
        );
        let none = r#"{"success":true,"result":{"config":null,"version":0}}"#;
        assert!(matches!(parse_json(none), Err(ReadError::NoConfig(_))));
    }

    #[test]
    fn wrong_types_name_rule_and_field() {
        let e = parse_json(r#"{"ingress":[{"service":"x"},{"hostname":5}]}"#);
        let Err(ReadError::Decode(e)) = e else {
            panic!("{e:?}")
        };
        assert_eq!(e.path, "ingress[1].hostname");
        assert_eq!(e.rule, Some(1));
        assert_eq!(
            e.to_string(),
            "ingress[1].hostname (rule #2): expected a string, found number 5"
        );
        let e = parse_json(r#"{"ingress":[{"originRequest":{"connectTimeout":"30s"}}]}"#);
        assert!(
            matches!(e, Err(ReadError::Decode(ref d)) if d.path == "ingress[0].originRequest.connectTimeout"),
            "{e:?}"
        );
        let e = parse_json(r#"{"ingress":[{"originRequest":{"proxyPort":-1}}]}"#);
        assert!(e.is_err());
        let e = parse_json(r#"{"ingress":[{"originRequest":{"keepAliveConnections":1.5}}]}"#);
        assert!(e.is_err());
        let e = parse_json("{\n  \"ingress\": [\n    {\"service\": \"x\",}\n  ]\n}");
        assert!(matches!(e, Err(ReadError::Json { line: 3, .. })), "{e:?}");
    }

    #[test]
    fn keys_are_case_insensitive_in_json_and_exact_in_yaml() {
        let c = parse_json_str(r#"{"Ingress":[{"HOSTNAME":"a.com","Service":"http://x","originrequest":{"NoTlsVerify":true}}]}"#)
            .unwrap_or_default();
        assert_eq!(c.rules()[0].hostname, Setting::Set("a.com".into()));
        assert_eq!(
            c.rules()[0].overrides().map(|o| o.no_tls_verify.clone()),
            Some(Setting::Set(true))
        );
        let y = parse_yaml("ingress:\n  - Hostname: a.com\n    service: http://x\n")
            .map(|l| l.config)
            .unwrap_or_default();
        assert_eq!(y.rules()[0].hostname, Setting::Absent);
        assert!(y.rules()[0].extra.contains_key("Hostname"));
    }

    #[test]
    fn yaml_reads_like_cloudflared() {
        let text = "tunnel: abc\ncredentials-file: /x.json\noriginRequest:\n  connectTimeout: 1m30s\n  noTLSVerify: yes\n  bastionMode: True\ningress:\n  - hostname: 123\n    service: http_status:404\n";
        let l = parse_yaml(text);
        let Ok(l) = l else { panic!("{l:?}") };
        let g = l.config.global().cloned().unwrap_or_default();
        assert_eq!(g.connect_timeout, Setting::Set(Duration::from_secs(90)));
        assert_eq!(g.no_tls_verify, Setting::Set(true));
        assert_eq!(g.bastion_mode, Setting::Set(true));
        assert_eq!(l.config.rules()[0].hostname, Setting::Set("123".into()));
        assert_eq!(
            l.config.extra.get("tunnel"),
            Some(&crate::config::model::RawJson::from_value(&Value::String(
                "abc".into()
            )))
        );
        let e = parse_yaml("originRequest:\n  connectTimeout: 30\n");
        let Err(ReadError::Decode(e)) = e else {
            panic!("{e:?}")
        };
        assert_eq!(e.location, Some((2, 19)));
        assert!(e.message.contains("bare numbers"), "{e}");
        assert!(matches!(parse_yaml("a: [\n"), Err(ReadError::Yaml { .. })));
    }

    #[test]
    fn fractional_durations_cannot_become_remote_json() {
        let l = parse_yaml(
            "originRequest:\n  tlsTimeout: 1500ms\ningress:\n  - service: http_status:404\n",
        );
        let Ok(l) = l else { panic!("{l:?}") };
        let e = to_json_string(&l.config, false);
        let Err(e) = e else { panic!("accepted") };
        assert_eq!(
            e.to_string(),
            "originRequest.tlsTimeout is 1.5s, but remote configs store whole seconds: use 2s"
        );
        assert!(to_yaml_string(&l.config).is_ok_and(|y| y.contains("tlsTimeout: 1.5s")));
    }

    #[test]
    fn bare_configs_that_look_like_wrappers_round_trip() {
        // Found by the parse fuzzer: a config.yml with a lone unknown key `result:`.
        for yaml in ["result:\n", "config: {}\n", "success: true\nresult: 1\n"] {
            let Ok(l) = parse_yaml(yaml) else {
                panic!("{yaml}")
            };
            let json = to_json_string(&l.config, false).unwrap_or_default();
            assert_eq!(
                parse_json(&json).map(|x| x.config),
                Ok(l.config),
                "{yaml} -> {json}"
            );
        }
    }

    #[test]
    fn keys_too_long_for_yaml_are_refused_not_mangled() {
        // Found by the parse fuzzer: an unknown key over 1024 characters wrote invalid YAML.
        let json = format!("{{\"{}\": 1}}", "k".repeat(2000));
        let Ok(l) = parse_json(&json) else { panic!() };
        let e = to_yaml_string(&l.config);
        assert!(e.is_err_and(|e| e.to_string().contains("longer than config.yml allows")));
        assert!(to_json_string(&l.config, false).is_ok());
        // The limit counts the key as written, escapes included (found by the fuzzer too).
        let json = format!("{{\"{}\": 1}}", "\\u0013".repeat(300));
        let Ok(l) = parse_json(&json) else { panic!() };
        assert!(to_yaml_string(&l.config).is_err());
        // ... and the indentation of nested mappings (found by the fuzzer too).
        let mut json = "1".to_owned();
        for _ in 0..60 {
            json = format!("{{\"\": {json}}}");
        }
        let json = format!("{{\"x\": {{\"\": {{\"{}\": {json}}}}}}}", "k".repeat(990));
        let Ok(l) = parse_json(&json) else { panic!() };
        match to_yaml_string(&l.config) {
            Ok(yaml) => assert_eq!(parse_yaml(&yaml).map(|x| x.config), Ok(l.config)),
            Err(e) => assert!(e.to_string().contains("longer than config.yml allows")),
        }
        let crash = " :  ? :  : ? :  : :  :  ?  :   ? :  : ? :  : :  :  ?  : 9C 8 9C 8 :[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[t7";
        if let Ok(l) = parse_yaml(crash)
            && let Ok(yaml) = to_yaml_string(&l.config)
        {
            assert_eq!(parse_yaml(&yaml).map(|x| x.config), Ok(l.config), "{yaml}");
        }
    }

    #[test]
    fn yaml_keys_that_json_would_fold_onto_known_ones_are_refused_in_json() {
        // Found by the parse fuzzer: `iNgress:` is an unknown key in config.yml (case-sensitive)
        // but written to JSON it became the ingress list (JSON keys are case-insensitive).
        let Ok(l) = parse_yaml(
            "iNgress:
",
        ) else {
            panic!()
        };
        let e = to_json_string(&l.config, false);
        assert!(
            e.as_ref().is_err_and(|e| e.to_string().starts_with(
                "iNgress is an unknown key in config.yml (where keys are case-sensitive), but the remote JSON config would read it as \"ingress\""
            )),
            "{e:?}"
        );
        assert!(to_yaml_string(&l.config).is_ok_and(|y| y == "iNgress: ~\n"
            || y == "iNgress: null\n"
            || y.starts_with("iNgress:")));
        for (yaml, path) in [
            (
                "ingress:\n  - Hostname: a.com\n    service: http://x\n",
                "ingress[0].Hostname",
            ),
            (
                "ingress:\n  - service: http://x\n    originRequest:\n      NoTLSVerify: true\n",
                "ingress[0].originRequest.NoTLSVerify",
            ),
            (
                "originRequest:\n  access:\n    TeamName: t\n",
                "originRequest.access.TeamName",
            ),
            ("warp-routing:\n  Enabled: true\n", "warp-routing.Enabled"),
        ] {
            let Ok(l) = parse_yaml(yaml) else {
                panic!("{yaml}")
            };
            let e = to_json_string(&l.config, false).map_err(|e| e.to_string());
            assert!(
                e.as_ref()
                    .is_err_and(|e| e.starts_with(&format!("{path} "))),
                "{e:?}"
            );
        }
        let Ok(l) = parse_yaml("ingress:\n  - Hostname: a.com\n    service: http://x\n") else {
            panic!()
        };
        // Display and diffs keep the key as it is.
        assert!(
            crate::config::encode::config_to_json_for_display(&l.config)
                .is_ok_and(|v| v["ingress"][0]["Hostname"] == "a.com")
        );
        // Keys that fold onto nothing known stay fine.
        let Ok(l) = parse_yaml("Tunnel: x\ningress:\n  - service: http_status:404\n") else {
            panic!()
        };
        assert!(to_json_string(&l.config, false).is_ok());
    }

    #[test]
    fn yaml_nested_deeper_than_json_can_read_back_is_refused() {
        // Found by the parse fuzzer: 130 levels of YAML loaded, but its JSON form hit the JSON
        // reader's recursion limit.
        let deep = |n: usize| {
            let mut text = String::new();
            for i in 0..n {
                text.push_str(&" ".repeat(i));
                text.push_str("k:\n");
            }
            text
        };
        let e = parse_yaml(&deep(130));
        assert!(
            matches!(&e, Err(ReadError::Yaml { line: 101, message, .. }) if message.contains("nested more than 100 levels")),
            "{e:?}"
        );
        let Ok(l) = parse_yaml(&deep(99)) else {
            panic!()
        };
        let json = to_json_string(&l.config, true).unwrap_or_default();
        assert_eq!(parse_json(&json).map(|x| x.config), Ok(l.config));
        // The reverse: JSON the JSON reader accepts but config.yml could not hold.
        for (levels, fits) in [(120, false), (99, true)] {
            let mut json = "1".to_owned();
            for _ in 0..levels {
                json = format!("{{\"k\": {json}}}");
            }
            let Ok(l) = parse_json(&json) else { panic!() };
            match to_yaml_string(&l.config) {
                Ok(yaml) => {
                    assert!(fits);
                    assert_eq!(parse_yaml(&yaml).map(|x| x.config), Ok(l.config));
                }
                Err(e) => {
                    assert!(!fits);
                    assert!(e.to_string().contains("nested more than 100 levels"), "{e}");
                }
            }
        }
    }

    #[test]
    fn collection_keys_are_refused() {
        // Found by the parse fuzzer: nested `? :` keys made a 200-byte file allocate gigabytes.
        let bomb = " :  ? :  : ? :  : :  :  ?  :   ? :  : ? :  : :  :  ?  : 9C 8 :t7";
        let e = parse_yaml(bomb);
        assert!(
            matches!(&e, Err(ReadError::Yaml { message, .. }) if message.contains("keys must be plain values")),
            "{e:?}"
        );
        let e = parse_yaml("ingress:\n  - ? [a, b]\n    : 1\n");
        assert!(matches!(e, Err(ReadError::Yaml { line: 2, .. })), "{e:?}");
        assert!(parse_yaml("? a\n: 1\n").is_ok());
    }

    #[test]
    fn comments_are_noticed() {
        assert!(yaml_has_comments("# top\ningress: []\n"));
        assert!(yaml_has_comments("ingress: [] # trailing\n"));
        assert!(!yaml_has_comments("path: \"a#b\"\nx: a#b\n"));
    }
}
