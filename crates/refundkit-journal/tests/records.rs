//! What the journal keeps: pending refunds polled to final, webhooks applied
//! once, money exact at its limits, an owner-only file, an append-only
//! history — the same suite on SQLite and PostgreSQL.

mod common;

use std::sync::Arc;
use std::time::Duration;

use refundkit_core::{
    Capabilities, Currency, ListRefunds, Money, PollPolicy, ProviderId, Refund, RefundError,
    RefundEvent, RefundEventKind, RefundId, RefundPage, RefundProvider, RefundRequest,
    RefundStatus,
};
use refundkit_journal::{EventApplied, Journal, JournalState, JournaledRefunds, ReconcileOptions};
use refundkit_testkit::{SettleMode, Simulator};

use common::{money, request};

fn usd(amount: &str) -> Money {
    money(amount, "USD")
}

fn reference(label: &str) -> String {
    format!("{label}-{}", fastrand::u64(..))
}

/// The journal at `db`, and refunds through it to the simulator's WooshPay.
async fn journaled_wooshpay(sim: &Simulator, db: &common::TestDb) -> (Journal, JournaledRefunds) {
    let journal = Journal::open(&db.url).await.unwrap();
    let client = common::client("wooshpay", &sim.wooshpay_base_url());
    (journal.clone(), JournaledRefunds::new(journal, client))
}

/// A verified "succeeded" event, with an id of its own, about `refund`.
fn succeeded_event(mut refund: Refund) -> RefundEvent {
    refund.status = RefundStatus::Succeeded;
    RefundEvent::new(
        format!("evt_{}", fastrand::u64(..)),
        RefundEventKind::Succeeded,
        refund,
        time::OffsetDateTime::now_utc(),
    )
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
        let (journal, refunds) = journaled_wooshpay(&sim, &db).await;
        let payment = sim.wooshpay().seed_captured(usd("3.00"));
        let pending = request(&payment, usd("3.00"), &reference("hook"));
        let refund = refunds.create_refund(&pending, usd("3.00")).await.unwrap();
        let event = succeeded_event(refund);
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

/// A verified webhook that matches a row (by refund id or stamped key) but
/// says another amount, or is about another refund, is not the row's
/// progress: the row becomes `integrity_mismatch` and stays so.
#[tokio::test]
async fn a_webhook_that_differs_from_the_journaled_refund_marks_the_row_a_mismatch() {
    let sim = Simulator::builder()
        .settle_mode(SettleMode::AfterReads(5))
        .start()
        .await
        .unwrap();
    for db in common::databases("webhook_mismatch").await {
        let (journal, refunds) = journaled_wooshpay(&sim, &db).await;
        for (tamper, told) in [
            ("amount", "echoed amount 2 USD, but 3 USD"),
            ("id", "re_another"),
        ] {
            let payment = sim.wooshpay().seed_captured(usd("3.00"));
            let pending = request(&payment, usd("3.00"), &reference("hook"));
            let created = refunds.create_refund(&pending, usd("3.00")).await.unwrap();
            let mut refund = created.clone();
            match tamper {
                "amount" => refund.amount = usd("2.00"),
                _ => refund.id = RefundId::new("re_another").unwrap(),
            }

            let applied = journal.apply_event(&succeeded_event(refund)).await.unwrap();

            assert!(matches!(applied, EventApplied::Changed { .. }), "{tamper}");
            let row = journal
                .by_key(pending.idempotency_key())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.state, JournalState::IntegrityMismatch, "{tamper}");
            assert_eq!(row.last_error_code.as_deref(), Some("integrity_mismatch"));
            assert_eq!(row.provider_refund_id.as_deref(), Some(created.id.as_str()));
            // Its stored refund is still its own, not the event's other one.
            assert_eq!(
                row.refund.as_ref().map(|refund| refund.id.as_str()),
                Some(created.id.as_str())
            );
            let history = journal.history(pending.idempotency_key()).await.unwrap();
            let last = history.last().unwrap();
            assert_eq!(last.to_state, "integrity_mismatch", "{}", db.backend);
            assert!(
                last.detail.as_deref().unwrap_or("").contains(told),
                "{last:?}"
            );
            // A later, agreeing event leaves the row for a person.
            assert_eq!(
                journal
                    .apply_event(&succeeded_event(created))
                    .await
                    .unwrap(),
                EventApplied::Unchanged
            );
        }
    }
}

/// A create the journal recorded as refused (its reservation released),
/// then a verified event saying a refund under its key moved money: the row
/// is held again as `integrity_mismatch`; a failed one leaves it refused.
#[tokio::test]
async fn a_webhook_of_a_refund_under_a_refused_key_holds_the_row_again() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("refused_hook").await {
        let (journal, refunds) = journaled_wooshpay(&sim, &db).await;
        let payment = sim.wooshpay().seed_captured(usd("5.00"));
        let too_much = request(&payment, usd("8.00"), &reference("refused"));
        refunds
            .create_refund(&too_much, usd("10.00"))
            .await
            .unwrap_err();
        let key = too_much.idempotency_key();
        let stamped = |status| {
            let mut refund = Refund::new(
                refundkit_wooshpay::PROVIDER,
                RefundId::new("re_surprise").unwrap(),
                usd("8.00"),
                status,
            );
            refund
                .metadata
                .insert(refundkit_core::KEY_METADATA.into(), key.to_string());
            refund
        };

        let failed = RefundEvent::new(
            format!("evt_{}", fastrand::u64(..)),
            RefundEventKind::Failed,
            stamped(RefundStatus::Failed),
            time::OffsetDateTime::now_utc(),
        );
        journal.apply_event(&failed).await.unwrap();
        let row = journal.by_key(key).await.unwrap().unwrap();
        assert_eq!(row.state, JournalState::Refused, "{}", db.backend);

        journal
            .apply_event(&succeeded_event(stamped(RefundStatus::Pending)))
            .await
            .unwrap();
        let row = journal.by_key(key).await.unwrap().unwrap();
        assert_eq!(row.state, JournalState::IntegrityMismatch, "{}", db.backend);
        assert!(row.state.holds_reservation());
        let history = journal.history(key).await.unwrap();
        let detail = history.last().unwrap().detail.clone().unwrap_or_default();
        assert!(detail.contains("recorded as refused"), "{detail}");
    }
}

/// A provider whose reads report one cent less than was refunded.
#[derive(Debug)]
struct ReadsACentLess(Arc<dyn RefundProvider>);

#[async_trait::async_trait]
impl RefundProvider for ReadsACentLess {
    fn provider(&self) -> ProviderId {
        self.0.provider()
    }
    fn capabilities(&self) -> &Capabilities {
        self.0.capabilities()
    }
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        self.0.create_refund(request).await
    }
    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let mut refund = self.0.get_refund(id).await?;
        let less = refund.amount.amount() - refundkit_core::Decimal::new(1, 2);
        refund.amount = Money::new(less, refund.amount.currency()).unwrap();
        Ok(refund)
    }
    async fn list_refunds(&self, query: &ListRefunds) -> Result<RefundPage, RefundError> {
        self.0.list_refunds(query).await
    }
}

#[tokio::test]
async fn a_poll_that_reads_another_amount_marks_the_row_a_mismatch() {
    let sim = Simulator::builder()
        .settle_mode(SettleMode::AfterReads(1))
        .start()
        .await
        .unwrap();
    for db in common::databases("poll_mismatch").await {
        let client = common::client("wooshpay", &sim.wooshpay_base_url());
        let refunds = JournaledRefunds::new(
            Journal::open(&db.url).await.unwrap(),
            Arc::new(ReadsACentLess(client)),
        );
        let payment = sim.wooshpay().seed_captured(usd("9.00"));
        let pending = request(&payment, usd("9.00"), &reference("pending"));
        let refund = refunds.create_refund(&pending, usd("9.00")).await.unwrap();
        assert_eq!(refund.status, RefundStatus::Pending);

        refunds
            .reconcile_with(ReconcileOptions::default())
            .await
            .unwrap();

        let row = refunds
            .journal()
            .by_key(pending.idempotency_key())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, JournalState::IntegrityMismatch, "{}", db.backend);
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
