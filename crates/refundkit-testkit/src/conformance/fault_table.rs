//! The fault table: each fault against a subject, on a partial and on a full
//! refund, with the call's outcome, what was done next (the same request
//! re-sent, or `recover_refund` after the provider's idempotency window) and
//! the refunds in the ledger, as Markdown for `docs/reliability.md`.

use std::fmt;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use refundkit_core::transport::{RetryPolicy, TransportConfig};
use refundkit_core::{recover_refund, Money, Refund, RefundError, RefundProvider, RefundRequest};

use super::checks::{failed, full, partial, provider, seed, usd, FAULT_CLIENT_TIMEOUT};
use super::{Backend, CheckError, Subject};
use crate::model::SettleMode;
use crate::sim::{Calls, Fault, Route};

/// The idempotency window the window checks and rows give the provider, so
/// that it forgets their keys within a test: after it, a re-sent key is a
/// new request to the provider.
pub const SHORT_IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(1);

/// How long past [`SHORT_IDEMPOTENCY_WINDOW`] the checks wait before
/// recovering.
const WINDOW_MARGIN: Duration = Duration::from_millis(200);

/// What every case's payment captures; a partial case refunds
/// [`PARTIAL_AMOUNT`] of it, a full case all of it.
const PAYMENT_AMOUNT: &str = "10.00";
const PARTIAL_AMOUNT: &str = "4.00";

/// The refund a case asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaseRefund {
    /// 4.00 of a 10.00 payment.
    Partial,
    /// `RefundAmount::Full` of a 10.00 payment.
    Full,
}

impl CaseRefund {
    /// The amount the one refund must have.
    pub fn expected_amount(self) -> &'static str {
        match self {
            CaseRefund::Partial => PARTIAL_AMOUNT,
            CaseRefund::Full => PAYMENT_AMOUNT,
        }
    }
}

impl fmt::Display for CaseRefund {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaseRefund::Partial => write!(f, "partial {PARTIAL_AMOUNT} of {PAYMENT_AMOUNT}"),
            CaseRefund::Full => write!(f, "full ({PAYMENT_AMOUNT})"),
        }
    }
}

/// What is done after the faulted call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FollowUp {
    /// The same request (same key) is created again at once.
    Resend,
    /// The provider's idempotency window ([`SHORT_IDEMPOTENCY_WINDOW`]) is
    /// left to pass, so it has forgotten the key, then
    /// `refundkit_core::recover_refund` is called with the same request. The
    /// faulted call is made without retries, so its answer is lost for good.
    RecoverAfterWindow,
}

impl fmt::Display for FollowUp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FollowUp::Resend => f.write_str("same key re-sent"),
            FollowUp::RecoverAfterWindow => f.write_str("window expired, recover_refund"),
        }
    }
}

/// One case to run: `fault` on the next `calls` create attempts of a
/// `refund`, then `follow_up`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultCase {
    /// What goes wrong.
    pub fault: Fault,
    /// On how many consecutive create attempts.
    pub calls: u32,
    /// The refund asked for.
    pub refund: CaseRefund,
    /// What is done after the call.
    pub follow_up: FollowUp,
}

impl FaultCase {
    /// `fault` on the next `calls` create attempts of a partial refund, then
    /// the same request re-sent.
    pub fn new(fault: Fault, calls: u32) -> Self {
        Self {
            fault,
            calls,
            refund: CaseRefund::Partial,
            follow_up: FollowUp::Resend,
        }
    }

    /// The same case on `refund`.
    #[must_use]
    pub fn refund(mut self, refund: CaseRefund) -> Self {
        self.refund = refund;
        self
    }

    /// The same case followed by `follow_up`.
    #[must_use]
    pub fn follow_up(mut self, follow_up: FollowUp) -> Self {
        self.follow_up = follow_up;
        self
    }
}

/// Every fault the simulators inject, once each on the first attempt, plus
/// a 503 on every attempt the default retry policy makes (4).
pub fn standard_faults() -> Vec<(Fault, u32)> {
    let late = FAULT_CLIENT_TIMEOUT * 2;
    vec![
        (Fault::ServerError(500), 1),
        (Fault::ServerError(503), 1),
        (Fault::ServerError(503), RetryPolicy::default().max_attempts),
        (
            Fault::RateLimited {
                retry_after_secs: 1,
            },
            1,
        ),
        (Fault::MalformedJson { status: 200 }, 1),
        (Fault::Html { status: 502 }, 1),
        (Fault::EmptyBody { status: 200 }, 1),
        (Fault::DelayResponse(late), 1),
        (Fault::SlowCommit(late), 1),
        (Fault::CommitThenDrop, 1),
        (Fault::DropUnprocessed, 1),
    ]
}

/// Every [`standard_faults`] fault on `refund`, each followed by the same
/// request re-sent.
pub fn resend_cases(refund: CaseRefund) -> Vec<FaultCase> {
    standard_faults()
        .into_iter()
        .map(|(fault, calls)| FaultCase::new(fault, calls).refund(refund))
        .collect()
}

/// The window cases on `refund`: the answer lost after the provider
/// committed (commit, then drop), and the request lost before it arrived
/// (drop, nothing processed); each recovered after the window.
pub fn window_cases(refund: CaseRefund) -> Vec<FaultCase> {
    [Fault::CommitThenDrop, Fault::DropUnprocessed]
        .into_iter()
        .map(|fault| {
            FaultCase::new(fault, 1)
                .refund(refund)
                .follow_up(FollowUp::RecoverAfterWindow)
        })
        .collect()
}

/// The fault table's cases: every fault on a partial and on a full refund,
/// re-sent; then the window cases on both.
pub fn standard_fault_cases() -> Vec<FaultCase> {
    let mut cases = resend_cases(CaseRefund::Partial);
    cases.extend(resend_cases(CaseRefund::Full));
    cases.extend(window_cases(CaseRefund::Partial));
    cases.extend(window_cases(CaseRefund::Full));
    cases
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
    /// How the follow-up (re-send, or recover after the window) ended.
    pub resend: String,
    /// Refunds of the payment in the ledger after the follow-up.
    pub refunds_after_resend: usize,
    /// The refund the call returned, if it returned one.
    pub call_refund: Option<String>,
    /// The refund the follow-up returned, if it returned one.
    pub resend_refund: Option<String>,
    /// Its amount.
    pub resend_amount: Option<Money>,
    /// The ids of the payment's refunds in the ledger after the follow-up
    /// (`None` when the backend does not list them).
    pub ledger: Option<Vec<String>>,
}

impl FaultRow {
    /// The promise the row must keep: the call ends `ok` or
    /// `outcome_unknown`, never a plain failure; no more than one refund
    /// ever; a committing fault leaves exactly one; the follow-up returns the
    /// one refund in the ledger, with the amount asked for, and the call's
    /// refund if it returned one.
    pub fn verify(&self) -> Result<(), String> {
        let row = |why: &str| {
            format!(
                "{} on a {}: {why} ({self:?})",
                self.case.fault, self.case.refund
            )
        };
        if !(self.outcome.starts_with("ok") || self.outcome.starts_with("outcome_unknown")) {
            return Err(row(
                "the call ended in a plain failure, which invites a second refund",
            ));
        }
        if self.refunds_after_call > 1 {
            return Err(row("more than one refund after the call"));
        }
        if self.case.fault.commits() && self.refunds_after_call != 1 {
            return Err(row(
                "the fault commits, yet the ledger does not hold one refund",
            ));
        }
        if !self.resend.starts_with("ok") || self.refunds_after_resend != 1 {
            return Err(row("the follow-up did not end with exactly one refund"));
        }
        if let (Some(ledger), Some(id)) = (&self.ledger, &self.resend_refund) {
            if ledger != std::slice::from_ref(id) {
                return Err(row(
                    "the follow-up returned a refund other than the ledger's",
                ));
            }
        }
        if self.call_refund.is_some() && self.call_refund != self.resend_refund {
            return Err(row("the follow-up returned a refund other than the call's"));
        }
        let expected = usd(self.case.refund.expected_amount()).map_err(|e| e.to_string())?;
        if self.resend_amount != Some(expected) {
            return Err(row(&format!("the refund is not {expected}")));
        }
        Ok(())
    }
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

/// A case whose call has been made; the follow-up is still to do.
struct Started {
    index: usize,
    case: FaultCase,
    payment: String,
    request: RefundRequest,
    first: Result<Refund, RefundError>,
    refunds_after_call: usize,
}

async fn start(
    provider: &dyn RefundProvider,
    backend: &dyn Backend,
    index: usize,
    case: FaultCase,
) -> Result<Started, CheckError> {
    let payment = seed(backend, PAYMENT_AMOUNT)?;
    let request = match case.refund {
        CaseRefund::Partial => partial(&payment, PARTIAL_AMOUNT)?,
        CaseRefund::Full => full(&payment)?,
    };
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
    Ok(Started {
        index,
        case,
        payment,
        request,
        first,
        refunds_after_call,
    })
}

async fn finish(
    provider: &dyn RefundProvider,
    backend: &dyn Backend,
    started: Started,
) -> FaultRow {
    let then = match started.case.follow_up {
        FollowUp::Resend => provider.create_refund(&started.request).await,
        FollowUp::RecoverAfterWindow => recover_refund(provider, &started.request).await,
    };
    FaultRow {
        case: started.case,
        outcome: describe(&started.first),
        refunds_after_call: started.refunds_after_call,
        resend: describe(&then),
        refunds_after_resend: backend.refund_count_for(&started.payment),
        call_refund: started.first.as_ref().ok().map(|r| r.id.to_string()),
        resend_refund: then.as_ref().ok().map(|r| r.id.to_string()),
        resend_amount: then.as_ref().ok().map(|r| r.amount),
        ledger: backend.refund_ids_for(&started.payment),
    }
}

/// Runs `cases` against `subject`, rows in the order given: the re-send
/// cases with the client's default retry policy and a 300 ms per-request
/// timeout; the window cases with that timeout and no retries, under a
/// [`SHORT_IDEMPOTENCY_WINDOW`] (restored afterwards), all waiting out one
/// window together.
pub async fn run_fault_cases(
    subject: &dyn Subject,
    cases: &[FaultCase],
) -> Result<Vec<FaultRow>, CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let transport = TransportConfig::default().with_timeout(FAULT_CLIENT_TIMEOUT);
    let retrying = provider(subject, transport.clone()).await?;
    let mut rows = Vec::new();
    let mut windowed = Vec::new();
    for (index, case) in cases.iter().copied().enumerate() {
        match case.follow_up {
            FollowUp::Resend => {
                let started = start(retrying.as_ref(), backend, index, case).await?;
                rows.push((index, finish(retrying.as_ref(), backend, started).await));
            }
            FollowUp::RecoverAfterWindow => windowed.push((index, case)),
        }
    }
    if !windowed.is_empty() {
        let once = provider(subject, transport.with_retry(RetryPolicy::never())).await?;
        let previous = backend
            .set_idempotency_window(SHORT_IDEMPOTENCY_WINDOW)
            .map_err(CheckError::NotApplicable)?;
        let recovered = run_windowed(once, backend, &windowed).await;
        let _ = backend.set_idempotency_window(previous);
        rows.extend(recovered?);
    }
    if rows.is_empty() {
        return Err(failed("no fault case ran"));
    }
    rows.sort_by_key(|(index, _)| *index);
    Ok(rows.into_iter().map(|(_, row)| row).collect())
}

async fn run_windowed(
    provider: Arc<dyn RefundProvider>,
    backend: &dyn Backend,
    cases: &[(usize, FaultCase)],
) -> Result<Vec<(usize, FaultRow)>, CheckError> {
    let mut started = Vec::new();
    for (index, case) in cases {
        started.push(start(provider.as_ref(), backend, *index, *case).await?);
    }
    // Every key was first used before this point: once it has passed, the
    // provider has forgotten all of them.
    tokio::time::sleep(SHORT_IDEMPOTENCY_WINDOW + WINDOW_MARGIN).await;
    let mut rows = Vec::new();
    for case in started {
        let index = case.index;
        rows.push((index, finish(provider.as_ref(), backend, case).await));
    }
    Ok(rows)
}

/// Runs every case of [`standard_fault_cases`] against `subject`
/// ([`run_fault_cases`]).
pub async fn fault_table(subject: &dyn Subject) -> Result<Vec<FaultRow>, CheckError> {
    run_fault_cases(subject, &standard_fault_cases()).await
}

/// The rows as a Markdown table headed by the subject's name.
pub fn fault_table_markdown(subject: &str, rows: &[FaultRow]) -> String {
    let mut table = format!(
        "| {subject}: fault on create | refund | call ends in | refunds after call | then | ends in | refunds after |\n|---|---|---|---|---|---|---|\n"
    );
    for row in rows {
        let times = match row.case.calls {
            1 => "first attempt".to_string(),
            n => format!("{n} attempts"),
        };
        let retries = match row.case.follow_up {
            FollowUp::Resend => "",
            FollowUp::RecoverAfterWindow => ", no retries",
        };
        let _ = writeln!(
            table,
            "| {} ({times}{retries}) | {} | {} | {} | {} | {} | {} |",
            row.case.fault,
            row.case.refund,
            row.outcome,
            row.refunds_after_call,
            row.case.follow_up,
            row.resend,
            row.refunds_after_resend
        );
    }
    table
}
