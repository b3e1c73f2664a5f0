//! The fault table (fault × provider → outcome, refunds in the ledger) for
//! both adapters: never more than one refund, and re-sending the same key
//! always recovers it. `cargo run -p refundkit-tests --example fault_table`
//! prints the table that is copied into docs/reliability.md.

use refundkit_testkit::conformance::{self, Subject};
use refundkit_testkit::{Fault, Simulator};
use refundkit_tests::{uqpay_subject, wooshpay_subject};

async fn never_duplicates(subject: &dyn Subject) {
    let rows = conformance::fault_table(subject).await.unwrap();
    println!(
        "{}",
        conformance::fault_table_markdown(&subject.name(), &rows)
    );
    assert_eq!(rows.len(), conformance::standard_fault_cases().len());
    for row in &rows {
        assert!(row.refunds_after_call <= 1, "{row:?}");
        assert_eq!(row.refunds_after_resend, 1, "{row:?}");
        assert!(row.resend.starts_with("ok"), "{row:?}");
        assert!(
            row.outcome.starts_with("ok") || row.outcome.starts_with("outcome_unknown"),
            "a fault must end in ok or outcome_unknown, never a plain failure: {row:?}"
        );
        if row.case.fault.commits() {
            assert_eq!(row.refunds_after_call, 1, "{row:?}");
        }
    }
    let dropped = rows
        .iter()
        .find(|row| row.case.fault == Fault::CommitThenDrop)
        .unwrap();
    assert!(
        dropped.outcome.starts_with("ok"),
        "commit-then-drop is recovered by the retry: {dropped:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uqpay_fault_table() {
    let sim = Simulator::start().await.unwrap();
    never_duplicates(&uqpay_subject(&sim)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wooshpay_fault_table() {
    let sim = Simulator::start().await.unwrap();
    never_duplicates(&wooshpay_subject(&sim)).await;
}
