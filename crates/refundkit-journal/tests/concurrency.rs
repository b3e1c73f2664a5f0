//! Many processes on one journal: 8 worker processes × 50 refunds of one
//! payment whose ceiling allows 100 refund exactly the ceiling, the rest
//! refused before sending; 4 sweepers at once resolve each row once.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use refundkit_core::{Decimal, RefundProvider};
use refundkit_journal::{Journal, JournalState, JournaledRefunds};
use refundkit_testkit::{Route, Simulator};

use common::worker::{self, WorkerSpec};
use common::{Loss, Lossy};

const WORKER_TEST: &str = "concurrency_worker_process";

/// The worker's entry point (run by the tests below, never on its own).
#[test]
#[ignore = "the concurrency tests' worker process"]
fn concurrency_worker_process() {
    common::worker::run_from_env();
}

async fn eight_workers_on_one_payment(url: &str, sim: &Simulator, backend: &str) {
    let handle = sim.wooshpay();
    // The simulator would take more: only the journal's ceiling stops them.
    let payment = handle.seed_captured(common::money("1000.00", "USD"));
    let creates_before = handle.call_count(Route::CreateRefund);
    let run = fastrand::u64(..);
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let spec = WorkerSpec {
                journal_url: url.to_string(),
                provider: "wooshpay".into(),
                base_url: sim.wooshpay_base_url(),
                payment: payment.clone(),
                amount: "1.00".into(),
                currency: "USD".into(),
                ceiling: "100.00".into(),
                references: (0..50).map(|i| format!("{run}/w{w}-r{i}")).collect(),
                lease_ms: 60_000,
            };
            worker::spawn(WORKER_TEST, &spec)
        })
        .collect();
    let mut codes: BTreeMap<String, usize> = BTreeMap::new();
    for worker in workers {
        for code in worker.results().await {
            *codes.entry(code).or_default() += 1;
        }
    }
    assert_eq!(codes.get("ok"), Some(&100), "{backend}: {codes:?}");
    assert_eq!(codes.get("over_refund"), Some(&300), "{backend}: {codes:?}");
    let at_sim = handle.refunds_for(&payment);
    assert_eq!(at_sim.len(), 100, "{backend}");
    let total = at_sim
        .iter()
        .try_fold(Decimal::ZERO, |sum, r| sum.checked_add(r.amount.amount()))
        .unwrap();
    assert_eq!(
        total,
        Decimal::new(10000, 2),
        "{backend}: exactly the ceiling"
    );
    // Every refused request was refused before sending.
    assert_eq!(handle.call_count(Route::CreateRefund) - creates_before, 100);
    let journal = Journal::open(url).await.unwrap();
    let summary = journal.payment_refunds(&payment).await.unwrap();
    assert_eq!(summary.refunds.len(), 100);
    assert_eq!(summary.refunded, Some(common::money("100.00", "USD")));
    journal.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_refund_exactly_the_ceiling_and_send_nothing_past_it() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("ceiling").await {
        Journal::open(&db.url).await.unwrap().close().await;
        eight_workers_on_one_payment(&db.url, &sim, db.backend).await;
    }
}

async fn four_sweepers(url: &str, sim: &Simulator, backend: &str) {
    let handle = sim.uqpay();
    let real = common::client("uqpay", &sim.uqpay_base_url());
    let journal = Journal::open(url).await.unwrap();
    let mut keys = Vec::new();
    let run = fastrand::u64(..);
    for i in 0..24 {
        let loss = if i % 2 == 0 {
            Loss::Answer
        } else {
            Loss::Request
        };
        let lossy: Arc<dyn RefundProvider> = Arc::new(Lossy {
            inner: real.clone(),
            loss,
        });
        let refunds = JournaledRefunds::new(journal.clone(), lossy);
        let payment = handle.seed_captured(common::money("5.00", "USD"));
        let request = common::request(
            &payment,
            common::money("5.00", "USD"),
            &format!("{run}/sweep-{i}"),
        );
        let error = refunds
            .create_refund(&request, common::money("5.00", "USD"))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "outcome_unknown");
        keys.push((payment, *request.idempotency_key()));
    }
    assert_eq!(journal.unfinished(100).await.unwrap().len(), 24);

    let sweepers: Vec<_> = (0..4)
        .map(|_| {
            let url = url.to_string();
            let real = real.clone();
            tokio::spawn(async move {
                let journal = Journal::open(&url).await.unwrap();
                JournaledRefunds::new(journal, real)
                    .reconcile(Duration::ZERO)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut claimed: BTreeMap<String, usize> = BTreeMap::new();
    for sweeper in sweepers {
        let report = sweeper.await.unwrap();
        for row in report.rows {
            assert_eq!(row.to, "succeeded", "{backend}: {row:?}");
            *claimed.entry(row.idempotency_key).or_default() += 1;
        }
    }
    assert_eq!(claimed.len(), 24, "{backend}: every row resolved");
    assert!(claimed.values().all(|&n| n == 1), "{backend}: {claimed:?}");
    for (payment, key) in &keys {
        assert_eq!(handle.refunds_for(payment).len(), 1, "{backend}: {payment}");
        let row = journal.by_key(key).await.unwrap().unwrap();
        assert_eq!(row.state, JournalState::Succeeded);
        let resolutions = journal
            .history(key)
            .await
            .unwrap()
            .into_iter()
            .filter(|h| h.cause == "reconcile")
            .count();
        assert_eq!(resolutions, 1, "{backend}: one resolution in the history");
    }
    assert!(journal.unfinished(100).await.unwrap().is_empty());
    journal.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_sweepers_at_once_resolve_each_row_once() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("sweepers").await {
        four_sweepers(&db.url, &sim, db.backend).await;
    }
}
