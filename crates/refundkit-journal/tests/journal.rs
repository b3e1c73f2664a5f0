//! The journal's behaviour, the same suite on SQLite and PostgreSQL, through
//! the real adapters against the simulators.

mod common;

use std::sync::Arc;
use std::time::Duration;

use refundkit_core::{
    Currency, Money, PollPolicy, RefundEvent, RefundEventKind, RefundProvider, RefundStatus,
    DEFAULT_KEY_NAMESPACE,
};
use refundkit_journal::{
    EventApplied, Journal, JournalError, JournalState, JournaledRefunds, ReconcileOptions,
};
use refundkit_testkit::{Calls, Fault, Route, SettleMode, Simulator};

use common::{money, request, Loss, Lossy};

fn usd(amount: &str) -> Money {
    money(amount, "USD")
}

fn reference(label: &str) -> String {
    format!("{label}-{}", fastrand::u64(..))
}

#[tokio::test]
async fn an_over_refund_is_refused_before_sending_naming_the_amount() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("over").await {
        let refunds = JournaledRefunds::new(
            Journal::open(&db.url).await.unwrap(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        let payment = sim.wooshpay().seed_captured(usd("100.00"));
        let first = request(&payment, usd("60.00"), &reference("over-1"));
        refunds.create_refund(&first, usd("70.00")).await.unwrap();
        let calls = sim.wooshpay().call_count(Route::CreateRefund);
        let second = request(&payment, usd("10.01"), &reference("over-2"));
        let error = refunds
            .create_refund(&second, usd("70.00"))
            .await
            .unwrap_err();
        assert!(
            matches!(error, JournalError::OverRefund { .. }),
            "{}: {error}",
            db.backend
        );
        assert!(error.to_string().starts_with("field `amount`"), "{error}");
        assert_eq!(
            sim.wooshpay().call_count(Route::CreateRefund),
            calls,
            "nothing sent"
        );
        assert!(refunds
            .journal()
            .by_key(second.idempotency_key())
            .await
            .unwrap()
            .is_none());
        // Up to the ceiling exactly is fine.
        let third = request(&payment, usd("10.00"), &reference("over-3"));
        refunds.create_refund(&third, usd("70.00")).await.unwrap();
        let summary = refunds.journal().payment_refunds(&payment).await.unwrap();
        assert_eq!(summary.refunded, Some(usd("70.00")), "{}", db.backend);
    }
}

#[tokio::test]
async fn a_full_refund_or_a_reused_reference_is_refused_naming_the_field() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("fields").await {
        let refunds = JournaledRefunds::new(
            Journal::open(&db.url).await.unwrap(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        let payment = sim.wooshpay().seed_captured(usd("100.00"));
        let full = refundkit_core::RefundRequest::builder(
            &payment,
            refundkit_core::RefundAmount::Full,
            refundkit_core::RefundReason::Duplicate,
        )
        .build()
        .unwrap();
        let error = refunds
            .create_refund(&full, usd("100.00"))
            .await
            .unwrap_err();
        assert!(matches!(error, JournalError::Invalid(ref e) if e.field() == "amount"));

        let name = reference("reused");
        refunds
            .create_refund(&request(&payment, usd("5.00"), &name), usd("100.00"))
            .await
            .unwrap();
        let other = request(&payment, usd("6.00"), &name);
        let error = refunds
            .create_refund(&other, usd("100.00"))
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                JournalError::ReferenceConflict {
                    field: "amount",
                    ..
                }
            ),
            "{}: {error}",
            db.backend
        );
        let ceiling = money("100", "JPY");
        let error = refunds
            .create_refund(&request(&payment, usd("1.00"), &reference("jpy")), ceiling)
            .await
            .unwrap_err();
        assert!(matches!(error, JournalError::Invalid(ref e) if e.field() == "ceiling"));
    }
}

#[tokio::test]
async fn an_unknown_outcome_is_recorded_as_such_keeps_its_reservation_and_resumes_with_its_key() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("unknown").await {
        let journal = Journal::open(&db.url)
            .await
            .unwrap()
            .with_lease(Duration::ZERO);
        let real = common::client("uqpay", &sim.uqpay_base_url());
        let lossy: Arc<dyn RefundProvider> = Arc::new(Lossy {
            inner: real.clone(),
            loss: Loss::Answer,
        });
        let payment = sim.uqpay().seed_captured(usd("20.00"));
        let name = reference("lost");
        let lost = request(&payment, usd("15.00"), &name);
        let error = JournaledRefunds::new(journal.clone(), lossy)
            .create_refund(&lost, usd("20.00"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "outcome_unknown");
        let row = journal
            .by_reference(DEFAULT_KEY_NAMESPACE, &name)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, JournalState::OutcomeUnknown, "{}", db.backend);
        assert_eq!(row.last_error_code.as_deref(), Some("outcome_unknown"));
        assert_eq!(journal.unfinished(10).await.unwrap().len(), 1);

        // Still reserved: 15 + 10 > 20.
        let refunds = JournaledRefunds::new(journal.clone(), real);
        let more = request(&payment, usd("10.00"), &reference("more"));
        let error = refunds
            .create_refund(&more, usd("20.00"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "over_refund");

        // The same reference again resumes with the row's key: one refund.
        let refund = refunds.create_refund(&lost, usd("20.00")).await.unwrap();
        assert_eq!(sim.uqpay().refunds_for(&payment).len(), 1, "{}", db.backend);
        assert_eq!(refund.idempotency_key(), Some(*lost.idempotency_key()));
        let row = journal
            .by_key(lost.idempotency_key())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, JournalState::Succeeded);
        assert_eq!(row.attempts, 2);
        let causes: Vec<String> = journal
            .history(lost.idempotency_key())
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.cause)
            .collect();
        assert_eq!(causes, ["intent", "create", "resume"], "{}", db.backend);
    }
}

#[tokio::test]
async fn a_refund_in_flight_elsewhere_is_not_sent_twice() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("inflight").await {
        let journal = Journal::open(&db.url).await.unwrap();
        let payment = sim.wooshpay().seed_captured(usd("20.00"));
        sim.wooshpay().inject_fault(
            Route::CreateRefund,
            Calls::Next(1),
            Fault::SlowCommit(Duration::from_millis(400)),
        );
        let slow = request(&payment, usd("5.00"), &reference("inflight"));
        let first = JournaledRefunds::new(
            journal.clone(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        let sent = {
            let slow = slow.clone();
            tokio::spawn(async move { first.create_refund(&slow, usd("20.00")).await })
        };
        tokio::time::sleep(Duration::from_millis(150)).await;
        let second = JournaledRefunds::new(
            journal.clone(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        let error = second.create_refund(&slow, usd("20.00")).await.unwrap_err();
        assert!(
            matches!(error, JournalError::InProgress { .. }),
            "{}: {error}",
            db.backend
        );
        assert!(error.is_retryable());
        sent.await.unwrap().unwrap();
        assert_eq!(sim.wooshpay().refunds_for(&payment).len(), 1);
    }
}

#[tokio::test]
async fn a_documented_refusal_releases_the_reservation_and_is_not_sent_again() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("refused").await {
        let refunds = JournaledRefunds::new(
            Journal::open(&db.url).await.unwrap(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        // The provider holds less than the caller's ceiling says.
        let payment = sim.wooshpay().seed_captured(usd("5.00"));
        let too_much = request(&payment, usd("8.00"), &reference("refused"));
        let error = refunds
            .create_refund(&too_much, usd("10.00"))
            .await
            .unwrap_err();
        assert_eq!(
            error.code(),
            "refund_exceeds_available",
            "{}: {error}",
            db.backend
        );
        let row = refunds
            .journal()
            .by_key(too_much.idempotency_key())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, JournalState::Refused);
        let calls = sim.wooshpay().call_count(Route::CreateRefund);
        let again = refunds
            .create_refund(&too_much, usd("10.00"))
            .await
            .unwrap_err();
        assert!(
            matches!(again, JournalError::Refused { ref code, .. } if code == "refund_exceeds_available")
        );
        assert_eq!(sim.wooshpay().call_count(Route::CreateRefund), calls);
        // Released: the payment's full ceiling is available again.
        let fits = request(&payment, usd("5.00"), &reference("fits"));
        refunds.create_refund(&fits, usd("10.00")).await.unwrap();
        let summary = refunds.journal().payment_refunds(&payment).await.unwrap();
        assert_eq!(summary.refunded, Some(usd("5.00")));
    }
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
