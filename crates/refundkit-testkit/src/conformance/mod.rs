//! The conformance suite every [`RefundProvider`] must pass, run against a
//! [`Subject`]: a way to build the provider plus a [`Backend`] handle on
//! whatever stands behind it (a simulator, or the in-memory provider).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use refundkit_testkit::conformance::{self, InMemorySubject};
//!
//! let report = conformance::run_all(&InMemorySubject::new()).await;
//! assert!(report.passed(), "{report}");
//! # }
//! ```

mod checks;
mod fault_table;
mod subjects;

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use refundkit_core::transport::TransportConfig;
use refundkit_core::{ProviderId, RefundError, RefundProvider};

pub use checks::{
    bad_input_is_rejected_before_sending, exactly_one_refund_after_commit_then_drop,
    exactly_one_refund_after_lost_response, exactly_one_refund_after_rate_limit,
    exactly_one_refund_after_server_error, find_refund_by_key_finds_only_its_refund,
    full_refund_exactly_once_after_every_fault, idempotent_replay_returns_the_same_refund,
    new_key_makes_a_new_refund, over_refund_is_rejected, partial_then_full_refund,
    pending_settles_through_wait_for_final, recover_after_the_window_finds_the_lost_refund,
    recover_after_the_window_makes_the_missing_refund,
    same_reference_from_two_clients_is_one_refund, unknown_refund_is_not_found,
    FAULT_CLIENT_TIMEOUT,
};
pub use fault_table::{
    fault_table, fault_table_markdown, resend_cases, run_fault_cases, standard_fault_cases,
    standard_faults, window_cases, CaseRefund, FaultCase, FaultRow, FollowUp,
    SHORT_IDEMPOTENCY_WINDOW,
};
pub use subjects::{descriptor_subjects, InMemorySubject, SimSubject};

use crate::model::{PaymentSeed, SettleMode};
use crate::sim::{Calls, Fault, JournalEntry, Route};

/// The controls the suite needs over the provider behind a subject.
pub trait Backend: Send + Sync {
    /// Which provider stands behind it.
    fn id(&self) -> ProviderId;
    /// Seeds a payment; returns its id.
    fn seed_payment(&self, seed: PaymentSeed) -> String;
    /// Refunds of one payment in the ledger (failed ones included).
    fn refund_count_for(&self, payment_id: &str) -> usize;
    /// The ids of one payment's refunds in the ledger, newest first; `None`
    /// when the backend cannot list them (the checks then compare counts only).
    fn refund_ids_for(&self, payment_id: &str) -> Option<Vec<String>> {
        let _ = payment_id;
        None
    }
    /// Sets how long the provider remembers an idempotency key (after it, the
    /// same key makes a new refund) and returns the window it replaces;
    /// `Err` explains why the window cannot be set (the window checks are then
    /// skipped).
    fn set_idempotency_window(&self, window: Duration) -> Result<Duration, String> {
        let _ = window;
        Err("the backend has no settable idempotency window".into())
    }
    /// How refunds created from now on settle.
    fn set_settle_mode(&self, mode: SettleMode);
    /// Every request received so far; `None` when there is no journal (no HTTP).
    fn journal(&self) -> Option<Vec<JournalEntry>>;
    /// How many requests were received; `None` when there is no journal.
    fn journal_len(&self) -> Option<usize> {
        self.journal().map(|entries| entries.len())
    }
    /// Empties the journal, if there is one.
    fn clear_journal(&self);
    /// Scripts an HTTP fault; `Err` explains why faults do not apply.
    fn inject_fault(&self, route: Route, calls: Calls, fault: Fault) -> Result<(), String>;
    /// Removes every scripted fault.
    fn clear_faults(&self);
    /// An id no refund has.
    fn unknown_refund_id(&self) -> String {
        "RF0000000000000000000".to_string()
    }
}

/// A provider under test and its backend.
#[async_trait]
pub trait Subject: Send + Sync {
    /// A name for reports (`uqpay`, `wooshpay`, `memory`).
    fn name(&self) -> String;
    /// A provider client configured with `transport`, talking to the backend.
    async fn provider(
        &self,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError>;
    /// The backend handle.
    fn backend(&self) -> &dyn Backend;
}

/// Why a check did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckError {
    /// The provider misbehaved; the text says how.
    Failed(String),
    /// The check cannot run on this subject (e.g. HTTP faults in memory).
    NotApplicable(String),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Failed(why) => write!(f, "failed: {why}"),
            CheckError::NotApplicable(why) => write!(f, "not applicable: {why}"),
        }
    }
}

impl std::error::Error for CheckError {}

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckOutcome {
    /// It passed.
    Passed,
    /// It does not apply to this subject.
    Skipped(String),
    /// It failed.
    Failed(String),
}

/// One check's result.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckReport {
    /// The check's function name.
    pub name: &'static str,
    /// How it ended.
    pub outcome: CheckOutcome,
    /// How long it took.
    pub elapsed: Duration,
}

/// Every check's result for one subject.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConformanceReport {
    /// The subject's name.
    pub subject: String,
    /// One entry per check, in the order run.
    pub checks: Vec<CheckReport>,
}

impl ConformanceReport {
    /// True when no check failed (skipped checks are fine).
    pub fn passed(&self) -> bool {
        !self
            .checks
            .iter()
            .any(|c| matches!(c.outcome, CheckOutcome::Failed(_)))
    }

    /// The failed checks.
    pub fn failures(&self) -> Vec<&CheckReport> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, CheckOutcome::Failed(_)))
            .collect()
    }
}

impl fmt::Display for ConformanceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "conformance of {}:", self.subject)?;
        for check in &self.checks {
            let ms = check.elapsed.as_millis();
            match &check.outcome {
                CheckOutcome::Passed => writeln!(f, "  pass  {} ({ms} ms)", check.name)?,
                CheckOutcome::Skipped(why) => writeln!(f, "  skip  {}: {why}", check.name)?,
                CheckOutcome::Failed(why) => writeln!(f, "  FAIL  {}: {why}", check.name)?,
            }
        }
        Ok(())
    }
}

async fn record(
    name: &'static str,
    check: impl Future<Output = Result<(), CheckError>>,
) -> CheckReport {
    let started = Instant::now();
    let outcome = match check.await {
        Ok(()) => CheckOutcome::Passed,
        Err(CheckError::NotApplicable(why)) => CheckOutcome::Skipped(why),
        Err(CheckError::Failed(why)) => CheckOutcome::Failed(why),
    };
    CheckReport {
        name,
        outcome,
        elapsed: started.elapsed(),
    }
}

/// Runs every check, one after another, and reports each.
pub async fn run_all(subject: &dyn Subject) -> ConformanceReport {
    let checks = vec![
        record(
            "partial_then_full_refund",
            partial_then_full_refund(subject),
        )
        .await,
        record("over_refund_is_rejected", over_refund_is_rejected(subject)).await,
        record(
            "unknown_refund_is_not_found",
            unknown_refund_is_not_found(subject),
        )
        .await,
        record(
            "idempotent_replay_returns_the_same_refund",
            idempotent_replay_returns_the_same_refund(subject),
        )
        .await,
        record(
            "new_key_makes_a_new_refund",
            new_key_makes_a_new_refund(subject),
        )
        .await,
        record(
            "pending_settles_through_wait_for_final",
            pending_settles_through_wait_for_final(subject),
        )
        .await,
        record(
            "exactly_one_refund_after_server_error",
            exactly_one_refund_after_server_error(subject),
        )
        .await,
        record(
            "exactly_one_refund_after_rate_limit",
            exactly_one_refund_after_rate_limit(subject),
        )
        .await,
        record(
            "exactly_one_refund_after_commit_then_drop",
            exactly_one_refund_after_commit_then_drop(subject),
        )
        .await,
        record(
            "exactly_one_refund_after_lost_response",
            exactly_one_refund_after_lost_response(subject),
        )
        .await,
        record(
            "bad_input_is_rejected_before_sending",
            bad_input_is_rejected_before_sending(subject),
        )
        .await,
        record(
            "full_refund_exactly_once_after_every_fault",
            full_refund_exactly_once_after_every_fault(subject),
        )
        .await,
        record(
            "find_refund_by_key_finds_only_its_refund",
            find_refund_by_key_finds_only_its_refund(subject),
        )
        .await,
        record(
            "recover_after_the_window_finds_the_lost_refund",
            recover_after_the_window_finds_the_lost_refund(subject),
        )
        .await,
        record(
            "recover_after_the_window_makes_the_missing_refund",
            recover_after_the_window_makes_the_missing_refund(subject),
        )
        .await,
        record(
            "same_reference_from_two_clients_is_one_refund",
            same_reference_from_two_clients_is_one_refund(subject),
        )
        .await,
    ];
    ConformanceReport {
        subject: subject.name(),
        checks,
    }
}
