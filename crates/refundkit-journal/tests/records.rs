//! What the journal keeps: pending refunds polled to final, webhooks applied
//! once, money exact at its limits, an owner-only file, an append-only
//! history — the same suite on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;
use std::time::Duration;

use refundkit_core::{Currency, Money, PollPolicy, RefundEvent, RefundEventKind, RefundStatus};
use refundkit_journal::{EventApplied, Journal, JournalState, JournaledRefunds, ReconcileOptions};
use refundkit_testkit::{SettleMode, Simulator};

use common::{money, request};

fn usd(amount: &str) -> Money {
    money(amount, "USD")
}

fn reference(label: &str) -> String {
    format!("{label}-{}", fastrand::u64(..))
}

#[tokio::test]
async fn reconcile_polls_pending_refunds_to_final() {
    let sim = Simulator::builder()
        .settle_mode(SettleMode::AfterReads(1))
        .start()
        .await
        .unwrap();
    for db in common::databases("pending").await {
        let refunds = JournaledRefunds::new(
            Journal::open(&db.url).await.unwrap(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        let payment = sim.wooshpay().seed_captured(usd("9.00"));
        let pending = request(&payment, usd("9.00"), &reference("pending"));
        let refund = refunds.create_refund(&pending, usd("9.00")).await.unwrap();
        assert_eq!(refund.status, RefundStatus::Pending);
        let mut poll = PollPolicy::default();
        poll.interval = Duration::from_millis(10);
        poll.max_interval = Duration::from_millis(20);
        poll.timeout = Duration::from_secs(5);
        let report = refunds
            .reconcile_with(ReconcileOptions::default().poll(poll))
            .await
            .unwrap();
        assert_eq!(report.resolved(), 1, "{}: {report:?}", db.backend);
        let row = refunds
            .journal()
            .by_key(pending.idempotency_key())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, JournalState::Succeeded);
        assert_eq!(row.status, Some(RefundStatus::Succeeded));
    }
}

#[tokio::test]
async fn a_webhook_delivered_three_times_changes_the_row_once() {
    let sim = Simulator::builder()
        .settle_mode(SettleMode::AfterReads(5))
        .start()
        .await
        .unwrap();
    for db in common::databases("webhook").await {
        let journal = Journal::open(&db.url).await.unwrap();
        let refunds = JournaledRefunds::new(
            journal.clone(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        let payment = sim.wooshpay().seed_captured(usd("3.00"));
        let pending = request(&payment, usd("3.00"), &reference("hook"));
        let mut refund = refunds.create_refund(&pending, usd("3.00")).await.unwrap();
        refund.status = RefundStatus::Succeeded;
        let event = RefundEvent::new(
            format!("evt_{}", fastrand::u64(..)),
            RefundEventKind::Succeeded,
            refund,
            time::OffsetDateTime::now_utc(),
        );
        let results = [
            journal.apply_event(&event).await.unwrap(),
            journal.apply_event(&event).await.unwrap(),
            journal.apply_event(&event).await.unwrap(),
        ];
        assert!(
            matches!(results[0], EventApplied::Changed { .. }),
            "{}",
            db.backend
        );
        assert_eq!(results[1], EventApplied::Duplicate);
        assert_eq!(results[2], EventApplied::Duplicate);
        let history = journal.history(pending.idempotency_key()).await.unwrap();
        let by_webhook: Vec<_> = history
            .iter()
            .filter(|h| h.cause.starts_with("webhook:"))
            .collect();
        assert_eq!(by_webhook.len(), 1, "{}: {history:?}", db.backend);
        assert_eq!(by_webhook[0].to_state, "succeeded");
        let row = journal
            .by_key(pending.idempotency_key())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, JournalState::Succeeded);
    }
}

#[tokio::test]
async fn money_round_trips_exactly_at_the_limits_of_jpy_usd_and_kwd() {
    let provider = Arc::new(refundkit_testkit::InMemoryProvider::new());
    for db in common::databases("money").await {
        let refunds =
            JournaledRefunds::new(Journal::open(&db.url).await.unwrap(), provider.clone());
        // A request's amount must fit i64 minor units: these are its limits.
        let amounts = [
            ("9223372036854775807", "JPY"),
            ("92233720368547758.07", "USD"),
            ("9223372036854775.807", "KWD"),
            ("0.001", "KWD"),
            ("0.01", "USD"),
            ("1", "JPY"),
        ]
        .map(|(amount, currency)| money(amount, currency))
        .into_iter()
        .chain(
            ["JPY", "USD", "KWD"]
                .map(|c| Money::from_minor_units(i64::MAX - 1, Currency::new(c).unwrap())),
        );
        for amount in amounts {
            let payment = format!("pay_{}", fastrand::u64(..));
            let asked = request(&payment, amount, &reference("money"));
            // Whatever the provider makes of it, the journal keeps it exactly.
            let _ = refunds.create_refund(&asked, amount).await;
            let row = refunds
                .journal()
                .by_key(asked.idempotency_key())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.amount, amount, "{}", db.backend);
            assert_eq!(row.amount.to_major_string(), amount.to_major_string());
            assert_eq!(
                row.amount.to_minor_units().ok(),
                amount.to_minor_units().ok()
            );
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_sqlite_file_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let path = common::temp_dir("perm").join("new.db");
    Journal::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[tokio::test]
async fn the_history_is_append_only() {
    for db in common::databases("append").await {
        let journal = Journal::open(&db.url).await.unwrap();
        let refunds = JournaledRefunds::new(
            journal.clone(),
            Arc::new(refundkit_testkit::InMemoryProvider::new()),
        );
        let payment = format!("pay_{}", fastrand::u64(..));
        let _ = refunds
            .create_refund(
                &request(&payment, usd("1.00"), &reference("a")),
                usd("1.00"),
            )
            .await;
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        let update = sqlx::query("UPDATE refund_history SET cause = 'x'")
            .execute(&pool)
            .await;
        assert!(update.is_err(), "{}", db.backend);
        let delete = sqlx::query("DELETE FROM refund_history")
            .execute(&pool)
            .await;
        assert!(delete.is_err(), "{}", db.backend);
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_config_error_without_its_password() {
    let error = Journal::open("sqlite:///nonexistent-dir-refundkit/sub/journal.db")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "config");
    assert!(error.to_string().contains("journal file"), "{error}");
    let error = Journal::open("mysql://user:hunter2@localhost/db")
        .await
        .unwrap_err();
    assert!(!error.to_string().contains("hunter2"), "{error}");
    let journal = Journal::open(&common::sqlite_url("debug")).await.unwrap();
    assert_eq!(
        format!("{journal:?}"),
        "Journal { backend: Sqlite, lease: 120s }"
    );
}
