//! A journaled create, the same suite on SQLite and PostgreSQL, through the
//! real adapters against the simulators: the ceiling, the fields named, an
//! unknown outcome kept and resumed, a refund in flight, a refusal.

mod common;

use std::sync::Arc;
use std::time::Duration;

use refundkit_core::{Money, Refund, RefundProvider, RefundRequest, DEFAULT_KEY_NAMESPACE};
use refundkit_journal::{Journal, JournalError, JournalState, JournaledRefunds};
use refundkit_testkit::{Calls, Fault, Route, Simulator};

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

/// A create of 5.00 on a fresh 20.00 WooshPay payment whose commit the
/// simulator holds for `commit_ms`, sent in a task by a process of its own:
/// the payment, the request and the task.
fn send_slowly(
    sim: &Simulator,
    journal: &Journal,
    label: &str,
    commit_ms: u64,
) -> (
    String,
    RefundRequest,
    tokio::task::JoinHandle<Result<Refund, JournalError>>,
) {
    let payment = sim.wooshpay().seed_captured(usd("20.00"));
    sim.wooshpay().inject_fault(
        Route::CreateRefund,
        Calls::Next(1),
        Fault::SlowCommit(Duration::from_millis(commit_ms)),
    );
    let slow = request(&payment, usd("5.00"), &reference(label));
    let first = JournaledRefunds::new(
        journal.clone(),
        common::client("wooshpay", &sim.wooshpay_base_url()),
    );
    let sent = {
        let slow = slow.clone();
        tokio::spawn(async move { first.create_refund(&slow, usd("20.00")).await })
    };
    (payment, slow, sent)
}

#[tokio::test]
async fn a_refund_in_flight_elsewhere_is_not_sent_twice() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("inflight").await {
        let journal = Journal::open(&db.url).await.unwrap();
        let (payment, slow, sent) = send_slowly(&sim, &journal, "inflight", 400);
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

/// A create that outlasts the lease (a slow provider, the retry loop) keeps
/// its row: the lease is renewed while the call runs, so another lease
/// owner finds it in progress instead of taking it over, and the answer is
/// recorded by the one that got it. (With a real worker process:
/// `crash.rs`.)
#[tokio::test]
async fn a_create_longer_than_its_lease_keeps_its_row() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("longer").await {
        let journal = Journal::open(&db.url)
            .await
            .unwrap()
            .with_lease(Duration::from_millis(300));
        let (payment, slow, sent) = send_slowly(&sim, &journal, "longer", 1_200);
        let second = JournaledRefunds::new(
            journal.clone(),
            common::client("wooshpay", &sim.wooshpay_base_url()),
        );
        // Twice the lease and more into the call, at two points.
        for wait in [700, 300] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let error = second.create_refund(&slow, usd("20.00")).await.unwrap_err();
            assert!(
                matches!(error, JournalError::InProgress { .. }),
                "{}: {error}",
                db.backend
            );
            let report = second.reconcile(Duration::ZERO).await.unwrap();
            assert_eq!(report.rows.len(), 0, "{}: {report:?}", db.backend);
        }
        let refund = sent.await.unwrap().unwrap();
        assert_eq!(sim.wooshpay().refunds_for(&payment).len(), 1);
        let row = journal
            .by_key(slow.idempotency_key())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.provider_refund_id.as_deref(), Some(refund.id.as_str()));
        assert!(
            matches!(row.state, JournalState::Succeeded | JournalState::Pending),
            "{}: {:?}",
            db.backend,
            row.state
        );
        let history = journal.history(slow.idempotency_key()).await.unwrap();
        let causes: Vec<_> = history.iter().map(|h| h.cause.as_str()).collect();
        assert_eq!(causes, ["intent", "create"], "{}", db.backend);
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
