//! The fault table (fault × refund × provider → outcome, refunds in the
//! ledger) for both adapters: never more than one refund; re-sending the same
//! key always recovers it, for partial and full refunds; and after the
//! provider's idempotency window, `recover_refund` ends with exactly one
//! refund whether the lost create had reached the provider or not.
//! `cargo run -p refundkit-tests --example fault_table` prints the table that
//! is copied into docs/reliability.md.

use refundkit_testkit::conformance::{self, CaseRefund, FollowUp, Subject};
use refundkit_testkit::{Fault, Simulator};

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
        // The re-send (or recovery) returns the one refund in the ledger,
        // of the amount asked for, and the call's refund if it had one.
        row.verify().unwrap();
    }
    for refund in [CaseRefund::Partial, CaseRefund::Full] {
        let of = |fault: Fault, follow_up: FollowUp| {
            rows.iter()
                .find(|row| {
                    row.case.fault == fault
                        && row.case.refund == refund
                        && row.case.follow_up == follow_up
                })
                .unwrap_or_else(|| panic!("no {fault} row for a {refund} refund"))
        };
        let dropped = of(Fault::CommitThenDrop, FollowUp::Resend);
        assert!(
            dropped.outcome.starts_with("ok"),
            "commit-then-drop is recovered by the retry: {dropped:?}"
        );
        let lost = of(Fault::CommitThenDrop, FollowUp::RecoverAfterWindow);
        assert!(lost.outcome.starts_with("outcome_unknown"), "{lost:?}");
        assert_eq!(
            (lost.refunds_after_call, lost.refunds_after_resend),
            (1, 1),
            "answer lost, window expired, recover: the earlier refund, no second: {lost:?}"
        );
        let never = of(Fault::DropUnprocessed, FollowUp::RecoverAfterWindow);
        assert!(never.outcome.starts_with("outcome_unknown"), "{never:?}");
        assert_eq!(
            (never.refunds_after_call, never.refunds_after_resend),
            (0, 1),
            "never arrived, window expired, recover: exactly one: {never:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_compiled_in_adapter_never_duplicates_under_any_fault() {
    let sim = Simulator::start().await.unwrap();
    for subject in refundkit_tests::subjects(&sim) {
        never_duplicates(&subject).await;
    }
}
