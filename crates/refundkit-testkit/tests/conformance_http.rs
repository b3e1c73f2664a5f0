//! The conformance suite and the fault table over HTTP, with a minimal
//! WooshPay client (the real adapters run the same suite in the workspace
//! tests).

mod common;

use std::sync::Arc;

use common::mini_wooshpay::MiniWooshPay;
use refundkit_testkit::conformance::{self, CheckOutcome, SimSubject};
use refundkit_testkit::{Fault, Simulator};

fn subject(sim: &Simulator) -> SimSubject {
    SimSubject::new(
        "wooshpay (test client)",
        sim.wooshpay().clone(),
        |transport, sim| Ok(Arc::new(MiniWooshPay::new(sim, transport)?)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conforming_http_client_passes_every_check() {
    let sim = Simulator::start().await.unwrap();
    let report = conformance::run_all(&subject(&sim)).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
    assert!(
        report
            .checks
            .iter()
            .all(|c| c.outcome == CheckOutcome::Passed),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_table_shows_one_refund_once_the_same_key_is_resent() {
    let sim = Simulator::start().await.unwrap();
    let rows = conformance::fault_table(&subject(&sim)).await.unwrap();
    println!(
        "{}",
        conformance::fault_table_markdown("wooshpay (test client)", &rows)
    );
    assert_eq!(rows.len(), conformance::standard_fault_cases().len());
    for row in &rows {
        assert_eq!(row.refunds_after_resend, 1, "{row:?}");
        assert!(row.resend.starts_with("ok"), "{row:?}");
        assert!(
            row.outcome.starts_with("ok") || row.outcome.starts_with("outcome_unknown"),
            "{row:?}"
        );
        row.verify().unwrap();
    }
    let drop_row = rows
        .iter()
        .find(|r| r.case.fault == Fault::CommitThenDrop)
        .unwrap();
    assert_eq!(drop_row.refunds_after_call, 1);
}
