//! Every provider through the one conformance suite: each compiled-in
//! adapter (through its descriptor) against its simulator, and the
//! in-memory provider.

use refundkit_testkit::conformance::{self, CheckOutcome, InMemorySubject, Subject};
use refundkit_testkit::Simulator;

async fn passes_every_check(subject: &dyn Subject, http: bool) {
    let report = conformance::run_all(subject).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
    if http {
        // Over HTTP nothing may be skipped: the fault checks must run.
        assert!(
            report
                .checks
                .iter()
                .all(|c| c.outcome == CheckOutcome::Passed),
            "{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_compiled_in_adapter_conforms() {
    let sim = Simulator::start().await.unwrap();
    for subject in refundkit_tests::subjects(&sim) {
        passes_every_check(&subject, true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_compiled_in_provider_has_a_simulated_subject() {
    let sim = Simulator::start().await.unwrap();
    let subjects: Vec<String> = refundkit_tests::subjects(&sim)
        .iter()
        .map(|subject| subject.name())
        .collect();
    let compiled: Vec<String> = refundkit::builtin_providers()
        .iter()
        .map(|descriptor| descriptor.id().to_string())
        .collect();
    // Every built-in provider comes with a simulator, so the suite runs over
    // HTTP with faults for each one.
    assert_eq!(subjects, compiled);
    assert!(!subjects.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_memory_provider_conforms() {
    passes_every_check(&InMemorySubject::new(), false).await;
}
