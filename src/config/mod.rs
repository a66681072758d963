//! The domain: a tunnel configuration as a value, how cloudflared judges it, and which rule serves
//! a request. Nothing here touches a terminal or the network.

mod confusable;
pub mod decode;
pub mod diff;
pub mod duration;
pub mod effective;
pub mod encode;
pub mod fields;
pub mod files;
pub mod goparse;
pub mod goregex;
pub mod jsontree;
mod keys;
pub mod matching;
pub mod model;
mod origin_checks;
pub mod preserve;
pub mod rawjson;
pub mod validate;
pub mod yamlfast;
pub mod yamltree;

pub use duration::Duration;
pub use fields::{Field, OriginField};
pub use files::{Format, Loaded, Shape};
pub use matching::{MatchError, Matcher, match_url};
pub use model::{
    Access, IngressRule, IpRule, OriginRequest, RuleFields, Setting, TunnelConfig, WarpRouting,
};
pub use validate::{Diagnostic, Severity, validate};
