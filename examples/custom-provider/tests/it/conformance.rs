use refundkit_testkit::conformance::{self, CheckOutcome};

use crate::fake_ledger::{FakeLedger, LedgerSubject};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_passes_every_check_of_the_public_conformance_suite() {
    let subject = LedgerSubject::new(FakeLedger::start().await);
    let report = conformance::run_all(&subject).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
    let skipped = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, CheckOutcome::Skipped(_)));
    assert_eq!(
        skipped.count(),
        0,
        "every check applies to an HTTP provider: {report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_row_of_the_fault_table_ends_with_exactly_one_refund() {
    let subject = LedgerSubject::new(FakeLedger::start().await);
    let rows = conformance::fault_table(&subject).await.unwrap();
    println!("{}", conformance::fault_table_markdown("ledger", &rows));
    for row in &rows {
        row.verify().unwrap();
    }
}
