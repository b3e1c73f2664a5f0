//! A worker process is SIGKILLed at every step of a journaled create —
//! after the intent is recorded, while the request is at the provider
//! (before the answer is stored), after the answer — and `reconcile` then
//! ends each refund with exactly one refund at the simulator and a final
//! row. 20 runs per backend, with random kill points. And a live worker whose
//! create outlasts its lease keeps its row from this process.

mod common;

use std::time::Duration;

use refundkit_journal::{Journal, JournalState, JournaledRefunds};
use refundkit_testkit::{Calls, Fault, Route, Simulator};

use common::worker::{self, WorkerSpec};

const WORKER_TEST: &str = "crash_worker_process";
const LEASE_MS: u64 = 300;

/// The worker's entry point (run by the tests below, never on its own).
#[test]
#[ignore = "the crash tests' worker process"]
fn crash_worker_process() {
    common::worker::run_from_env();
}

/// The step to kill at, and whether the provider holds the request
/// (commit delayed) when the step is reached.
const KILL_STEPS: [(&str, bool); 4] = [
    ("intent_recorded", false),
    ("sending", true),
    ("answered", false),
    ("answer_recorded", false),
];

async fn crash_and_reconcile(url: &str, sim: &Simulator, run: usize) {
    let provider = if run % 2 == 0 { "wooshpay" } else { "uqpay" };
    let handle = common::sim_of(sim, provider);
    let payment = handle.seed_captured(common::money("50.00", "USD"));
    let (step, slow) = KILL_STEPS[fastrand::usize(..KILL_STEPS.len())];
    if slow {
        handle.inject_fault(
            Route::CreateRefund,
            Calls::Next(1),
            Fault::SlowCommit(Duration::from_millis(150)),
        );
    }
    let reference = format!("crash-{run}-{}", fastrand::u64(..));
    let spec = WorkerSpec {
        journal_url: url.to_string(),
        provider: provider.to_string(),
        base_url: common::base_url(sim, provider),
        payment: payment.clone(),
        amount: "10.00".into(),
        currency: "USD".into(),
        ceiling: "50.00".into(),
        references: vec![reference.clone()],
        lease_ms: LEASE_MS,
    };
    let mut worker = worker::spawn(WORKER_TEST, &spec);
    let reached = worker.wait_for(&format!("step=\"{step}\"")).await;
    assert!(reached, "run {run}: the worker ended before step {step}");
    tokio::time::sleep(Duration::from_millis(fastrand::u64(0..20))).await;
    worker.kill().await;

    // The dead worker's lease runs out; then one sweep resolves the row.
    tokio::time::sleep(Duration::from_millis(LEASE_MS + 50)).await;
    let journal = Journal::open(url).await.unwrap();
    let refunds = JournaledRefunds::new(journal.clone(), common::client(provider, &spec.base_url));
    let mut row = None;
    let mut last = None;
    for _ in 0..20 {
        refunds.reconcile(Duration::ZERO).await.unwrap();
        let found = journal
            .by_reference(refundkit_core::DEFAULT_KEY_NAMESPACE, &reference)
            .await
            .unwrap()
            .expect("the intent was recorded before the kill");
        if found.state.is_finished() {
            row = Some(found);
            break;
        }
        last = Some(found);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let row = row.unwrap_or_else(|| {
        panic!("run {run} ({provider}, killed at {step}): unfinished: {last:?}")
    });
    let at_sim = handle.refunds_for(&payment);
    assert_eq!(
        at_sim.len(),
        1,
        "run {run} ({provider}, killed at {step}): {at_sim:?}"
    );
    assert_eq!(row.state, JournalState::Succeeded, "run {run}");
    assert_eq!(
        row.provider_refund_id.as_deref(),
        Some(at_sim[0].id.as_str())
    );

    // The finished reference sends nothing again.
    let calls = handle.call_count(Route::CreateRefund);
    let request = common::request(&payment, common::money("10.00", "USD"), &reference);
    let again = refunds
        .create_refund(&request, common::money("50.00", "USD"))
        .await
        .unwrap();
    assert_eq!(again.id.as_str(), at_sim[0].id);
    assert_eq!(handle.call_count(Route::CreateRefund), calls);
    journal.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_every_step_then_reconcile_leaves_exactly_one_refund() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("crash").await {
        // Migrate once, so the workers only open it.
        Journal::open(&db.url).await.unwrap().close().await;
        for run in 0..20 {
            crash_and_reconcile(&db.url, &sim, run).await;
        }
        eprintln!(
            "{}: 20 crash runs, each ended with exactly one refund",
            db.backend
        );
    }
}

/// A live worker process whose create outlasts its lease (300 ms; the
/// simulator holds the commit 1.2 s) keeps its row: while it waits, this
/// process's create of the same reference is `InProgress` and its sweep
/// claims nothing; the worker's answer is the one recorded, and the
/// simulator holds one refund.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_worker_whose_create_outlasts_its_lease_keeps_its_row() {
    let sim = Simulator::start().await.unwrap();
    for db in common::databases("outlast").await {
        let journal = Journal::open(&db.url).await.unwrap();
        let handle = sim.wooshpay();
        let payment = handle.seed_captured(common::money("50.00", "USD"));
        handle.inject_fault(
            Route::CreateRefund,
            Calls::Next(1),
            Fault::SlowCommit(Duration::from_millis(1_200)),
        );
        let reference = format!("outlast-{}", fastrand::u64(..));
        let spec = WorkerSpec {
            journal_url: db.url.clone(),
            provider: "wooshpay".into(),
            base_url: sim.wooshpay_base_url(),
            payment: payment.clone(),
            amount: "10.00".into(),
            currency: "USD".into(),
            ceiling: "50.00".into(),
            references: vec![reference.clone()],
            lease_ms: LEASE_MS,
        };
        let mut worker = worker::spawn(WORKER_TEST, &spec);
        assert!(worker.wait_for("step=\"sending\"").await, "{}", db.backend);
        let refunds =
            JournaledRefunds::new(journal.clone(), common::client("wooshpay", &spec.base_url));
        let request = common::request(&payment, common::money("10.00", "USD"), &reference);
        // More than twice the lease into the call, at two points.
        for wait in [700, 300] {
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let error = refunds
                .create_refund(&request, common::money("50.00", "USD"))
                .await
                .unwrap_err();
            assert!(
                matches!(error, refundkit_journal::JournalError::InProgress { .. }),
                "{}: {error}",
                db.backend
            );
            let report = refunds.reconcile(Duration::ZERO).await.unwrap();
            assert_eq!(report.rows.len(), 0, "{}: {report:?}", db.backend);
        }
        assert_eq!(worker.results().await, ["ok"], "{}", db.backend);
        let at_sim = handle.refunds_for(&payment);
        assert_eq!(at_sim.len(), 1, "{}: {at_sim:?}", db.backend);
        let row = journal
            .by_key(request.idempotency_key())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.provider_refund_id.as_deref(),
            Some(at_sim[0].id.as_str())
        );
        let history = journal.history(request.idempotency_key()).await.unwrap();
        let causes: Vec<_> = history.iter().map(|h| h.cause.as_str()).collect();
        assert_eq!(causes, ["intent", "create"], "{}", db.backend);
        journal.close().await;
    }
}
