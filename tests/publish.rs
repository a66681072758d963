//! The checked publish protocol (`effects::publish`) against the sandbox over real loopback
//! HTTP: a remote that moved before the PUT, a publish in the gap before the PUT, an answer that
//! differs from what was sent, an unknown outcome, and their journal entries.

use std::time::Duration;

use cfingress::api::{Client, ClientOptions, Credentials};
use cfingress::config::files::parse_json_str;
use cfingress::effects::journal::{self, Found, Journal, Outcome as JournalOutcome};
use cfingress::effects::publish::{Outcome, journal_entry, publish_checked};
use cfingress::sandbox::{self, Fault, FaultKind, SandboxHandle, SandboxOptions};
use secrecy::SecretString;

async fn setup() -> (SandboxHandle, Client, String, String) {
    let sb = sandbox::start(SandboxOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = Client::with_options(
        &sb.info.api_url,
        Credentials::Token(SecretString::from(sb.info.token.clone())),
        ClientOptions {
            request_timeout: Duration::from_millis(1500),
            backoff: Duration::from_millis(20),
            retry_budget: Duration::from_secs(3),
            ..ClientOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let demo = sb
        .info
        .tunnels
        .iter()
        .find(|t| t.name == "demo")
        .map(|t| t.id.clone())
        .unwrap_or_default();
    let account = sb.info.account_id.clone();
    (sb, client, account, demo)
}

fn puts(sb: &SandboxHandle) -> usize {
    sb.state()
        .requests
        .iter()
        .filter(|r| r.method == "PUT")
        .count()
}

fn fault(method: &str, kind: FaultKind, times: u32) -> Fault {
    Fault {
        method: Some(method.to_owned()),
        path: Some("configurations".to_owned()),
        kind,
        times,
    }
}

fn mine() -> cfingress::config::TunnelConfig {
    parse_json_str(r#"{"ingress":[{"hostname":"mine.example.com","service":"http://localhost:8080"},{"service":"http_status:404"}]}"#)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_remote_that_moved_since_the_review_gets_nothing() {
    let (sb, c, account, demo) = setup().await;
    // Reviewed at version 1; someone publishes while the user reads the review.
    assert!(sb.remote_edit(&demo));
    let outcome = publish_checked(&c, &account, &demo, &mine(), 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Moved { reviewed, current } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((*reviewed, current.version), (1, 2));
    assert_eq!(
        current
            .config
            .as_ref()
            .map(|c| c.rules()[0].hostname.as_str().to_owned())
            .as_deref(),
        Some("someone-else.example.com"),
        "the caller gets their config, to show what changed"
    );
    assert_eq!(puts(&sb), 0);
    assert!(journal_entry(&outcome, &mine(), "test", None).is_none());

    // At the version reviewed, it publishes; publishing it again sends nothing.
    let outcome = publish_checked(&c, &account, &demo, &mine(), 2)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Published(p) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((p.before.version, p.after.version), (2, 3));
    assert!(p.gap.is_none() && p.altered.is_none() && p.warnings().is_empty());
    assert_eq!(p.headline(), "Published version 3 (was 2)");
    let outcome = publish_checked(&c, &account, &demo, &mine(), 3)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(outcome, Outcome::NoChanges { ref current } if current.version == 3));
    assert_eq!(puts(&sb), 1);
}

#[tokio::test]
async fn a_publish_in_the_gap_is_detected_and_journaled() {
    let (sb, c, account, demo) = setup().await;
    sb.push_fault(fault("PUT", FaultKind::RemoteEditFirst, 1));
    let outcome = publish_checked(&c, &account, &demo, &mine(), 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Published(p) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(p.after.version, 3);
    let gap = p.gap.unwrap_or_else(|| panic!("no gap reported"));
    assert_eq!(gap.overwritten(), Some((2, 2)));
    assert!(p.warnings()[0].contains("someone else published version 2"));

    let state = std::env::temp_dir().join(format!("cfingress-publish-gap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    let j = Journal::in_state_dir(&state, &format!("remote:{account}:{demo}"));
    let entry = journal_entry(&outcome, &mine(), "test", Some("demo"))
        .unwrap_or_else(|| panic!("a publish is journaled"));
    assert_eq!((entry.from_version, entry.to_version), (Some(1), Some(3)));
    assert_eq!(entry.raced, Some(gap));
    j.lock(Duration::from_secs(5))
        .and_then(|l| l.record(entry))
        .unwrap_or_else(|e| panic!("{e}"));
    let info = j.read().unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        journal::find_version(&info.entries, 2),
        Found::Overwritten(_)
    ));
    let Found::Kept { config, .. } = journal::find_version(&info.entries, 1) else {
        panic!("the config checked before the PUT is kept")
    };
    let before = j.config(config).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(before.rules().len(), 13, "the demo tunnel's config");
    let _ = std::fs::remove_dir_all(&state);
}

#[tokio::test]
async fn an_answer_that_differs_from_what_was_sent_is_reported() {
    let (sb, c, account, demo) = setup().await;
    sb.push_fault(fault("PUT", FaultKind::AlterConfig, 1));
    let outcome = publish_checked(&c, &account, &demo, &mine(), 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Published(p) = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(p.gap.is_none());
    let altered = p.altered.as_ref().unwrap_or_else(|| panic!("not reported"));
    assert_eq!(
        altered.lines(),
        ["+ rule #1 someone-else.example.com (added)"]
    );
    let entry = journal_entry(&outcome, &mine(), "test", None).unwrap_or_else(|| panic!());
    assert_eq!(
        entry.altered,
        Some(vec![
            "+ rule #1 someone-else.example.com (added)".to_owned()
        ])
    );
    assert!(
        entry
            .after
            .is_some_and(|a| a.text.contains("someone-else.example.com")),
        "the journal keeps what the server holds"
    );
}

#[tokio::test]
async fn an_unknown_outcome_is_journaled_as_unknown_and_never_resent() {
    let (sb, c, account, demo) = setup().await;
    // The check before the PUT goes through (a harmless fault takes its turn), the PUT lands but
    // its answer is lost, and every re-read after it fails.
    sb.push_fault(fault("GET", FaultKind::Latency { ms: 0 }, 1));
    sb.push_fault(fault("GET", FaultKind::ServerError, 20));
    sb.push_fault(fault("PUT", FaultKind::ApplyThenDrop, 1));
    let outcome = publish_checked(&c, &account, &demo, &mine(), 1)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let Outcome::Unknown { before, error } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(before.version, 1);
    assert!(
        error
            .to_string()
            .contains("may or may not have been applied"),
        "{error}"
    );
    assert_eq!(puts(&sb), 1, "never sent twice");
    let entry = journal_entry(&outcome, &mine(), "test", None).unwrap_or_else(|| panic!());
    assert_eq!(entry.outcome, JournalOutcome::Unknown);
    assert_eq!((entry.from_version, entry.to_version), (Some(1), None));
    assert!(
        entry
            .after
            .is_some_and(|a| a.text.contains("mine.example.com"))
    );
}
