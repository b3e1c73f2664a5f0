//! The checks, each a sentence about how a provider must behave.

use std::sync::Arc;
use std::time::Duration;

use refundkit_core::transport::TransportConfig;
use refundkit_core::{
    wait_for_final, ErrorKind, IdempotencyKey, Money, PollPolicy, Refund, RefundAmount,
    RefundError, RefundId, RefundProvider, RefundReason, RefundRequest, RefundStatus,
    ValidationError,
};

use super::fault_table::{resend_cases, run_fault_cases, CaseRefund};
use super::{Backend, CheckError, Subject};
use crate::model::{PaymentSeed, SettleMode};
use crate::sim::{Calls, Fault, Route};

/// The per-request timeout of the fault checks (the retry policy stays the
/// client's default).
pub const FAULT_CLIENT_TIMEOUT: Duration = Duration::from_millis(300);

const CURRENCY: &str = "USD";

pub(super) fn failed(why: impl Into<String>) -> CheckError {
    CheckError::Failed(why.into())
}

fn ensure(condition: bool, why: impl FnOnce() -> String) -> Result<(), CheckError> {
    if condition {
        Ok(())
    } else {
        Err(failed(why()))
    }
}

pub(super) fn usd(amount: &str) -> Result<Money, CheckError> {
    Money::parse(amount, CURRENCY).map_err(|e| failed(format!("test amount {amount}: {e}")))
}

pub(super) async fn provider(
    subject: &dyn Subject,
    transport: TransportConfig,
) -> Result<Arc<dyn RefundProvider>, CheckError> {
    subject
        .provider(transport)
        .await
        .map_err(|e| failed(format!("could not build the provider: {e}")))
}

pub(super) fn seed(backend: &dyn Backend, amount: &str) -> Result<String, CheckError> {
    Ok(backend.seed_payment(PaymentSeed::captured(usd(amount)?)))
}

pub(super) fn partial(payment_id: &str, amount: &str) -> Result<RefundRequest, CheckError> {
    request(
        payment_id,
        RefundAmount::Partial(usd(amount)?),
        IdempotencyKey::new(),
    )
}

pub(super) fn full(payment_id: &str) -> Result<RefundRequest, CheckError> {
    request(payment_id, RefundAmount::Full, IdempotencyKey::new())
}

fn request(
    payment_id: &str,
    amount: RefundAmount,
    key: IdempotencyKey,
) -> Result<RefundRequest, CheckError> {
    RefundRequest::builder(payment_id, amount, RefundReason::RequestedByCustomer)
        .idempotency_key(key)
        .build()
        .map_err(|e| failed(format!("a valid request was refused: {e}")))
}

async fn create(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
) -> Result<Refund, CheckError> {
    provider
        .create_refund(request)
        .await
        .map_err(|e| failed(format!("create_refund failed: {} ({e})", e.code())))
}

fn expect_kind(
    result: Result<Refund, RefundError>,
    kind: ErrorKind,
    what: &str,
) -> Result<(), CheckError> {
    match result {
        Err(error) if error.kind() == Some(kind) => Ok(()),
        Err(error) => Err(failed(format!(
            "{what}: expected {kind}, got {} ({error})",
            error.code()
        ))),
        Ok(refund) => Err(failed(format!(
            "{what}: expected {kind}, got refund {} of {}",
            refund.id, refund.amount
        ))),
    }
}

fn expect_amount(refund: &Refund, amount: &str, payment_id: &str) -> Result<(), CheckError> {
    let expected = usd(amount)?;
    ensure(refund.amount == expected, || {
        format!(
            "refund {} is {}, expected {expected}",
            refund.id, refund.amount
        )
    })?;
    ensure(
        refund.payment_id.as_deref().is_none_or(|p| p == payment_id),
        || {
            format!(
                "refund {} names payment {:?}, expected {payment_id}",
                refund.id, refund.payment_id
            )
        },
    )
}

fn expect_ledger(backend: &dyn Backend, payment_id: &str, count: usize) -> Result<(), CheckError> {
    let actual = backend.refund_count_for(payment_id);
    ensure(actual == count, || {
        format!("the ledger holds {actual} refunds of {payment_id}, expected {count}")
    })
}

/// A partial refund, then a full refund of what remains.
pub async fn partial_then_full_refund(subject: &dyn Subject) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let provider = provider(subject, TransportConfig::default()).await?;
    let payment = seed(backend, "100.00")?;
    let first = create(provider.as_ref(), &partial(&payment, "30.00")?).await?;
    expect_amount(&first, "30.00", &payment)?;
    let full = request(&payment, RefundAmount::Full, IdempotencyKey::new())?;
    let rest = create(provider.as_ref(), &full).await?;
    expect_amount(&rest, "70.00", &payment)?;
    ensure(first.id != rest.id, || {
        "both refunds have the same id".into()
    })?;
    expect_ledger(backend, &payment, 2)
}

/// Refunding more than remains is `RefundExceedsAvailable`.
pub async fn over_refund_is_rejected(subject: &dyn Subject) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let provider = provider(subject, TransportConfig::default()).await?;
    let payment = seed(backend, "10.00")?;
    let too_much = provider.create_refund(&partial(&payment, "10.01")?).await;
    expect_kind(
        too_much,
        ErrorKind::RefundExceedsAvailable,
        "refunding 10.01 of 10.00",
    )?;
    create(provider.as_ref(), &partial(&payment, "6.00")?).await?;
    let rest = provider.create_refund(&partial(&payment, "5.00")?).await;
    expect_kind(
        rest,
        ErrorKind::RefundExceedsAvailable,
        "refunding 5.00 after 6.00 of 10.00",
    )?;
    expect_ledger(backend, &payment, 1)
}

/// Reading a refund id that does not exist is `NotFound`.
pub async fn unknown_refund_is_not_found(subject: &dyn Subject) -> Result<(), CheckError> {
    let provider = provider(subject, TransportConfig::default()).await?;
    let id = RefundId::new(subject.backend().unknown_refund_id())
        .map_err(|e| failed(format!("unknown_refund_id is not a valid id: {e}")))?;
    expect_kind(
        provider.get_refund(&id).await,
        ErrorKind::NotFound,
        "reading an unknown refund",
    )
}

/// The same request with the same key returns the same refund, once.
pub async fn idempotent_replay_returns_the_same_refund(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let provider = provider(subject, TransportConfig::default()).await?;
    let payment = seed(backend, "10.00")?;
    let request = partial(&payment, "4.00")?;
    let first = create(provider.as_ref(), &request).await?;
    let again = create(provider.as_ref(), &request).await?;
    ensure(first.id == again.id, || {
        format!(
            "the replay returned refund {}, the first call {}",
            again.id, first.id
        )
    })?;
    expect_amount(&again, "4.00", &payment)?;
    expect_ledger(backend, &payment, 1)
}

/// The same body with a new key is a second refund.
pub async fn new_key_makes_a_new_refund(subject: &dyn Subject) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let provider = provider(subject, TransportConfig::default()).await?;
    let payment = seed(backend, "10.00")?;
    let first = create(provider.as_ref(), &partial(&payment, "4.00")?).await?;
    let second = create(provider.as_ref(), &partial(&payment, "4.00")?).await?;
    ensure(first.id != second.id, || {
        format!("two keys gave the same refund {}", first.id)
    })?;
    expect_ledger(backend, &payment, 2)
}

/// A refund created pending reaches `Succeeded` through `wait_for_final`.
pub async fn pending_settles_through_wait_for_final(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::AfterReads(2));
    let outcome = pending_then_succeeded(subject).await;
    backend.set_settle_mode(SettleMode::Instant);
    outcome
}

async fn pending_then_succeeded(subject: &dyn Subject) -> Result<(), CheckError> {
    let provider = provider(subject, TransportConfig::default()).await?;
    let payment = seed(subject.backend(), "10.00")?;
    let created = create(provider.as_ref(), &partial(&payment, "3.00")?).await?;
    ensure(created.status == RefundStatus::Pending, || {
        format!("a refund that settles later was created {}", created.status)
    })?;
    let policy = PollPolicy::default()
        .with_interval(Duration::from_millis(10))
        .with_max_interval(Duration::from_millis(50))
        .with_timeout(Duration::from_secs(5));
    let settled = wait_for_final(provider.as_ref(), &created.id, policy)
        .await
        .map_err(|e| failed(format!("wait_for_final failed: {} ({e})", e.code())))?;
    ensure(settled.status == RefundStatus::Succeeded, || {
        format!("the refund settled {}, expected succeeded", settled.status)
    })?;
    expect_amount(&settled, "3.00", &payment)
}

/// Runs one create through `fault` (on its first attempt) with the default
/// retry policy and a short timeout, then checks: the call ended in `Ok` or
/// `OutcomeUnknown`, the ledger holds exactly one refund, and re-sending the
/// same request returns that refund.
async fn exactly_one_refund_after(subject: &dyn Subject, fault: Fault) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let provider = provider(
        subject,
        TransportConfig::default().with_timeout(FAULT_CLIENT_TIMEOUT),
    )
    .await?;
    let payment = seed(backend, "10.00")?;
    let request = partial(&payment, "4.00")?;
    backend
        .inject_fault(Route::CreateRefund, Calls::Next(1), fault)
        .map_err(CheckError::NotApplicable)?;
    let first = provider.create_refund(&request).await;
    backend.clear_faults();
    match &first {
        Ok(_) | Err(RefundError::OutcomeUnknown { .. }) => {}
        Err(error) => {
            return Err(failed(format!(
                "after {fault} the create ended in {} ({error}); expected Ok or outcome_unknown",
                error.code()
            )))
        }
    }
    expect_ledger(backend, &payment, 1)?;
    let again = create(provider.as_ref(), &request).await?;
    if let Ok(first) = &first {
        ensure(first.id == again.id, || {
            format!(
                "re-sending returned refund {}, the first call {}",
                again.id, first.id
            )
        })?;
    }
    expect_amount(&again, "4.00", &payment)?;
    expect_ledger(backend, &payment, 1)
}

/// A 503 on the first attempt, then success: one refund.
pub async fn exactly_one_refund_after_server_error(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    exactly_one_refund_after(subject, Fault::ServerError(503)).await
}

/// A 429 with `Retry-After: 1` on the first attempt: one refund.
pub async fn exactly_one_refund_after_rate_limit(subject: &dyn Subject) -> Result<(), CheckError> {
    exactly_one_refund_after(
        subject,
        Fault::RateLimited {
            retry_after_secs: 1,
        },
    )
    .await
}

/// The refund is committed and the connection dropped without an answer:
/// one refund.
pub async fn exactly_one_refund_after_commit_then_drop(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    exactly_one_refund_after(subject, Fault::CommitThenDrop).await
}

/// The refund is committed but the answer comes after the client's timeout:
/// one refund.
pub async fn exactly_one_refund_after_lost_response(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    exactly_one_refund_after(subject, Fault::DelayResponse(FAULT_CLIENT_TIMEOUT * 2)).await
}

/// Negative, zero and over-precise amounts, a 1000-character reason and an
/// empty payment id are `RefundError::Invalid` before any request is sent.
pub async fn bad_input_is_rejected_before_sending(subject: &dyn Subject) -> Result<(), CheckError> {
    let backend = subject.backend();
    let provider = provider(subject, TransportConfig::default()).await?;
    let payment = seed(backend, "10.00")?;
    backend.clear_journal();
    let with_amount = |amount: &str| -> Result<RefundRequest, ValidationError> {
        let money =
            Money::parse(amount, CURRENCY).map_err(|e| ValidationError::money("amount", e))?;
        RefundRequest::builder(
            payment.as_str(),
            RefundAmount::Partial(money),
            RefundReason::Duplicate,
        )
        .build()
    };
    let long_reason = RefundReason::Other("x".repeat(1000));
    let cases: Vec<(&str, Result<RefundRequest, ValidationError>)> = vec![
        ("a negative amount", with_amount("-5.00")),
        ("a zero amount", with_amount("0")),
        ("an over-precise amount (10.001 USD)", with_amount("10.001")),
        (
            "a 1000-character reason",
            RefundRequest::builder(payment.as_str(), RefundAmount::Full, long_reason).build(),
        ),
        (
            "an empty payment id",
            RefundRequest::builder("", RefundAmount::Full, RefundReason::Duplicate).build(),
        ),
    ];
    for (what, built) in cases {
        // The request type refuses most bad input when built; anything that
        // gets through must be refused by the provider before sending.
        if let Ok(request) = built {
            match provider.create_refund(&request).await {
                Err(RefundError::Invalid(_)) => {}
                Err(error) => {
                    return Err(failed(format!(
                        "{what} ended in {} ({error}); expected invalid",
                        error.code()
                    )))
                }
                Ok(refund) => return Err(failed(format!("{what} created refund {}", refund.id))),
            }
        }
    }
    let sent = backend.journal_len();
    ensure(sent.is_none_or(|n| n == 0), || {
        format!(
            "{} request(s) reached the provider",
            sent.unwrap_or_default()
        )
    })?;
    expect_ledger(backend, &payment, 0)
}

/// Every fault of the fault table on a **full** refund, then the same
/// request re-sent: the call ends `Ok` or `OutcomeUnknown`, the ledger never
/// holds more than one refund, and the re-send returns the one refund, of the
/// whole payment. (UQPay's adapter reads what remains before a full refund:
/// with nothing left it must find the refund made with the key, not refuse.)
pub async fn full_refund_exactly_once_after_every_fault(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    let rows = run_fault_cases(subject, &resend_cases(CaseRefund::Full)).await?;
    for row in &rows {
        row.verify().map_err(failed)?;
    }
    Ok(())
}

mod recovery;
pub use recovery::*;
