//! The account's Access applications and Zero Trust team, as the editor keeps them once read:
//! for the Access lint (shown with the other warnings, only when they could be read) and for
//! picking an application in the rule form instead of pasting its tag.

use crate::api::AccessApp;

use super::overlays::access_pick::Choice;

/// What was read of the account's Access setup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccessData {
    /// Every application of the account.
    pub apps: Vec<AccessApp>,
    /// The team name (`auth_domain` before `.cloudflareaccess.com`), when the organization
    /// could be read and has that shape.
    pub team: Option<String>,
}

impl AccessData {
    /// The applications with an audience tag whose domain covers `hostname`, by name.
    pub fn choices(&self, hostname: &str) -> Vec<Choice> {
        let mut out: Vec<Choice> = crate::access::covering(&self.apps, hostname)
            .into_iter()
            .filter(|(app, _)| !app.aud.is_empty())
            .map(|(app, domain)| Choice {
                name: app.name.clone(),
                domain: domain.to_owned(),
                aud: app.aud.clone(),
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.aud.cmp(&b.aud)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str, aud: &str, domains: &[&str]) -> AccessApp {
        AccessApp {
            id: String::new(),
            name: name.to_owned(),
            app_type: "self_hosted".to_owned(),
            aud: aud.to_owned(),
            domains: domains.iter().map(|d| (*d).to_owned()).collect(),
        }
    }

    #[test]
    fn choices_are_the_covering_apps_with_a_tag() {
        let data = AccessData {
            apps: vec![
                app("wiki", "a1", &["wiki.example.com"]),
                app("all", "b2", &["*.example.com"]),
                app("saas", "", &["*.example.com"]),
                app("other", "c3", &["other.example.org"]),
            ],
            team: Some("acme".to_owned()),
        };
        let names: Vec<String> = data
            .choices("wiki.example.com")
            .into_iter()
            .map(|c| format!("{} {} {}", c.name, c.domain, c.aud))
            .collect();
        assert_eq!(names, ["all *.example.com b2", "wiki wiki.example.com a1"]);
        assert!(data.choices("nothing.example.net").is_empty());
    }
}
