//! The fault table: each fault against a subject, with the call's outcome
//! and the refunds in the ledger, as Markdown for `docs/reliability.md`.

use std::fmt::Write as _;
use std::time::Duration;

use refundkit_core::transport::TransportConfig;
use refundkit_core::{Refund, RefundError};

use super::checks::{failed, partial, provider, seed, FAULT_CLIENT_TIMEOUT};
use super::{CheckError, Subject};
use crate::model::SettleMode;
use crate::sim::{Calls, Fault, Route};

/// One fault to run: `fault` on the next `calls` create attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCase {
    /// What goes wrong.
    pub fault: Fault,
    /// On how many consecutive create attempts.
    pub calls: u32,
}

impl FaultCase {
    /// `fault` on the next `calls` create attempts.
    pub fn new(fault: Fault, calls: u32) -> Self {
        Self { fault, calls }
    }
}

/// Every fault the simulators inject, once each, plus a 503 on every
/// attempt the default retry policy makes (4).
pub fn standard_fault_cases() -> Vec<FaultCase> {
    let late = FAULT_CLIENT_TIMEOUT * 2;
    vec![
        FaultCase::new(Fault::ServerError(500), 1),
        FaultCase::new(Fault::ServerError(503), 1),
        FaultCase::new(Fault::ServerError(503), 4),
        FaultCase::new(
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            1,
        ),
        FaultCase::new(Fault::MalformedJson { status: 200 }, 1),
        FaultCase::new(Fault::Html { status: 502 }, 1),
        FaultCase::new(Fault::EmptyBody { status: 200 }, 1),
        FaultCase::new(Fault::DelayResponse(late), 1),
        FaultCase::new(Fault::SlowCommit(late), 1),
        FaultCase::new(Fault::CommitThenDrop, 1),
    ]
}

/// One row of the fault table.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultRow {
    /// The case run.
    pub case: FaultCase,
    /// How the create call ended (`ok (succeeded)`, `outcome_unknown (timeout)`).
    pub outcome: String,
    /// Refunds of the payment in the ledger after the call.
    pub refunds_after_call: usize,
    /// How re-sending the same request (same key) ended.
    pub resend: String,
    /// Refunds of the payment in the ledger after re-sending.
    pub refunds_after_resend: usize,
}

fn describe(result: &Result<Refund, RefundError>) -> String {
    match result {
        Ok(refund) => format!("ok ({})", refund.status),
        Err(RefundError::OutcomeUnknown { source, .. }) => {
            format!("outcome_unknown ({})", source.code())
        }
        Err(error) => error.code().to_string(),
    }
}

/// Runs every case of [`standard_fault_cases`] against `subject` with the
/// client's default retry policy and a 300 ms per-request timeout.
pub async fn fault_table(subject: &dyn Subject) -> Result<Vec<FaultRow>, CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let transport = TransportConfig::default().with_timeout(FAULT_CLIENT_TIMEOUT);
    let provider = provider(subject, transport).await?;
    let mut rows = Vec::new();
    for case in standard_fault_cases() {
        let payment = seed(backend, "10.00")?;
        let request = partial(&payment, "4.00")?;
        backend
            .inject_fault(Route::CreateRefund, Calls::Next(case.calls), case.fault)
            .map_err(CheckError::NotApplicable)?;
        let first = provider.create_refund(&request).await;
        backend.clear_faults();
        let refunds_after_call = backend.refund_count_for(&payment);
        // Let a slow commit finish before re-sending, as a later retry would.
        if let Fault::SlowCommit(delay) = case.fault {
            tokio::time::sleep(delay.saturating_sub(Duration::from_millis(100))).await;
        }
        let resend = provider.create_refund(&request).await;
        rows.push(FaultRow {
            case,
            outcome: describe(&first),
            refunds_after_call,
            resend: describe(&resend),
            refunds_after_resend: backend.refund_count_for(&payment),
        });
    }
    if rows.is_empty() {
        return Err(failed("no fault case ran"));
    }
    Ok(rows)
}

/// The rows as a Markdown table headed by the subject's name.
pub fn fault_table_markdown(subject: &str, rows: &[FaultRow]) -> String {
    let mut table = format!(
        "| {subject}: fault on create | call ends in | refunds after call | same key re-sent | refunds after re-send |\n|---|---|---|---|---|\n"
    );
    for row in rows {
        let times = match row.case.calls {
            1 => "first attempt".to_string(),
            n => format!("{n} attempts"),
        };
        let _ = writeln!(
            table,
            "| {} ({times}) | {} | {} | {} | {} |",
            row.case.fault,
            row.outcome,
            row.refunds_after_call,
            row.resend,
            row.refunds_after_resend
        );
    }
    table
}
