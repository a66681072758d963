//! The shapes of the API's identifiers, checked where an id arrives: from the user (a flag, the
//! environment, the profile) before it goes into a URL, and from the server before it reaches a
//! screen, a draft key or another request. An id that passes is plain ASCII letters, digits and
//! dashes, so it is inert on any terminal and in any path.

use super::error::ApiError;
use crate::text::inert;

/// Which identifier, with the shape the OpenAPI slice gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    /// `tunnel_account_id`: 32 hexadecimal characters.
    Account,
    /// `tunnel_tunnel_id`: a UUID.
    Tunnel,
    /// `tunnel_client_id` / `tunnel_connection_id`: a UUID.
    Connector,
    /// `zones_identifier`: "Identifier", at most 32 characters (32 hex in practice).
    Zone,
    /// `dns-records_identifier`: as a zone id.
    DnsRecord,
    /// `access_uuid`: a UUID.
    AccessApp,
    /// `iam_components-schemas-identifier`: a token's id tag, as a zone id.
    Token,
}

impl IdKind {
    /// How the id is named in messages ("account id").
    pub fn name(self) -> &'static str {
        match self {
            IdKind::Account => "account id",
            IdKind::Tunnel => "tunnel id",
            IdKind::Connector => "connector id",
            IdKind::Zone => "zone id",
            IdKind::DnsRecord => "DNS record id",
            IdKind::AccessApp => "Access application id",
            IdKind::Token => "token id",
        }
    }

    /// The expected shape, for messages.
    pub fn shape(self) -> &'static str {
        match self {
            IdKind::Account => "32 hexadecimal characters, like 699d98642c564d2e855e9661899b7252",
            IdKind::Tunnel | IdKind::Connector | IdKind::AccessApp => {
                "a UUID, like f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"
            }
            IdKind::Zone | IdKind::DnsRecord | IdKind::Token => {
                "1 to 32 letters and digits, like 023e105f4ecef8ad9ca31a8372d0c353"
            }
        }
    }

    /// Whether `s` has this kind's shape.
    pub fn is_valid(self, s: &str) -> bool {
        match self {
            IdKind::Account => s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()),
            IdKind::Tunnel | IdKind::Connector | IdKind::AccessApp => is_uuid(s),
            IdKind::Zone | IdKind::DnsRecord | IdKind::Token => {
                (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
            }
        }
    }

    /// Checks an id the user gave (a flag, the environment, the profile, a picker).
    pub fn check_given(self, s: &str) -> Result<(), ApiError> {
        if self.is_valid(s) {
            return Ok(());
        }
        let hint = match self {
            IdKind::Account if is_uuid(s) => {
                " (this is a UUID: a tunnel id perhaps; the account id is on the dashboard's Account Home, \"Account ID\")"
            }
            IdKind::Tunnel if IdKind::Account.is_valid(s) => {
                " (this looks like an account or zone id; `cfingress tunnels` lists the tunnel ids)"
            }
            _ => "",
        };
        Err(ApiError::InvalidId {
            kind: self,
            value: shorten(s),
            hint,
        })
    }

    /// Checks an id the server answered; `at` names where it was (`result[3].id`).
    pub fn check_answered(self, s: &str, at: &str) -> Result<(), ApiError> {
        if self.is_valid(s) {
            return Ok(());
        }
        Err(ApiError::Unexpected(format!(
            "{at}: the {} \"{}\" is not {}",
            self.name(),
            shorten(s),
            self.shape()
        )))
    }
}

/// Whether `s` is a UUID in its textual form (8-4-4-4-12 hexadecimal digits, either case).
pub fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A value for a message: inert, and at most 80 characters.
fn shorten(s: &str) -> String {
    let mut short: String = s.chars().take(80).collect();
    if short.len() < s.len() {
        short.push('…');
    }
    inert(&short).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(IdKind::Account.is_valid("699d98642c564d2e855e9661899b7252"));
        assert!(!IdKind::Account.is_valid("699d98642c564d2e855e9661899b725"));
        assert!(!IdKind::Account.is_valid("699d98642c564d2e855e9661899b725g"));
        assert!(IdKind::Tunnel.is_valid("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"));
        assert!(IdKind::Tunnel.is_valid("F70FF985-A4EF-4643-BBBC-4A0ED4FC8415"));
        assert!(!IdKind::Tunnel.is_valid("f70ff985-a4ef-4643-bbbc-4a0ed4fc841"));
        assert!(!IdKind::Tunnel.is_valid("f70ff985_a4ef-4643-bbbc-4a0ed4fc8415"));
        assert!(IdKind::Zone.is_valid("023e105f4ecef8ad9ca31a8372d0c353"));
        assert!(!IdKind::Zone.is_valid(""));
        assert!(!IdKind::Zone.is_valid(&"a".repeat(33)));
        assert!(!IdKind::DnsRecord.is_valid("abc/../x"));
        for kind in [IdKind::Account, IdKind::Tunnel, IdKind::Zone] {
            assert!(!kind.is_valid("abc\u{1b}]2;PWNED\u{7}\u{1b}[2J"));
        }
    }

    #[test]
    fn errors_name_the_id_and_stay_inert() {
        let e = IdKind::Account
            .check_given("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("account id") && e.contains("32 hexadecimal") && e.contains("tunnel id"),
            "{e}"
        );
        let e = IdKind::Tunnel
            .check_answered("abc\u{1b}]2;PWNED\u{7}", "result[0].id")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("result[0].id")
                && e.contains("abc\\x1b]2;PWNED\\x07")
                && !e.contains('\u{1b}'),
            "{e}"
        );
        let long = "x".repeat(10_000);
        let e = IdKind::Tunnel
            .check_given(&long)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.len() < 400, "{e}");
    }
}
