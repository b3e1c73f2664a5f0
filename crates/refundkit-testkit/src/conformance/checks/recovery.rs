//! The recovery checks: find-by-key, recover after the idempotency window,
//! one refund per reference across clients.

use std::time::Duration;

use refundkit_core::transport::{RetryPolicy, TransportConfig};
use refundkit_core::{
    recover_refund, IdempotencyKey, Refund, RefundAmount, RefundError, RefundProvider,
    RefundReason, RefundRequest, DEFAULT_KEY_NAMESPACE,
};

use super::super::fault_table::{CaseRefund, SHORT_IDEMPOTENCY_WINDOW};
use super::super::{Backend, CheckError, Subject};
use crate::model::SettleMode;
use crate::sim::{Calls, Fault, Route};

use super::*;

fn requires_find_by_key(provider: &dyn RefundProvider) -> Result<(), CheckError> {
    if provider.capabilities().find_by_key {
        Ok(())
    } else {
        Err(CheckError::NotApplicable(
            "the provider reports find_by_key: false".into(),
        ))
    }
}

async fn find(
    provider: &dyn RefundProvider,
    payment_id: &str,
    key: &IdempotencyKey,
) -> Result<Option<Refund>, CheckError> {
    provider
        .find_refund_by_key(payment_id, key)
        .await
        .map_err(|e| failed(format!("find_refund_by_key failed: {} ({e})", e.code())))
}

async fn recover(
    provider: &dyn RefundProvider,
    request: &RefundRequest,
) -> Result<Refund, CheckError> {
    recover_refund(provider, request)
        .await
        .map_err(|e| failed(format!("recover_refund failed: {} ({e})", e.code())))
}

fn expect_stamped(refund: &Refund, key: &IdempotencyKey) -> Result<(), CheckError> {
    ensure(refund.idempotency_key().as_ref() == Some(key), || {
        format!(
            "refund {} carries key {:?}, expected {key} in its metadata",
            refund.id,
            refund.idempotency_key().map(|k| k.to_string())
        )
    })
}

fn expect_ledger_is(
    backend: &dyn Backend,
    payment_id: &str,
    refund: &Refund,
) -> Result<(), CheckError> {
    expect_ledger(backend, payment_id, 1)?;
    if let Some(ids) = backend.refund_ids_for(payment_id) {
        ensure(ids == [refund.id.to_string()], || {
            format!(
                "the ledger holds {ids:?}, but refund {} was returned",
                refund.id
            )
        })?;
    }
    Ok(())
}

/// `find_refund_by_key` returns the refund made with a key (stamped with
/// it), `None` for a key no refund of the payment was made with, and `None`
/// for that key on another payment.
pub async fn find_refund_by_key_finds_only_its_refund(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let provider = provider(subject, TransportConfig::default()).await?;
    requires_find_by_key(provider.as_ref())?;
    let payment = seed(backend, "10.00")?;
    let first_request = partial(&payment, "3.00")?;
    let first = create(provider.as_ref(), &first_request).await?;
    let second_request = partial(&payment, "2.00")?;
    let second = create(provider.as_ref(), &second_request).await?;
    for (request, made, amount) in [
        (&first_request, &first, "3.00"),
        (&second_request, &second, "2.00"),
    ] {
        let key = request.idempotency_key();
        let found = find(provider.as_ref(), &payment, key)
            .await?
            .ok_or_else(|| failed(format!("refund {} is not found by its key {key}", made.id)))?;
        ensure(found.id == made.id, || {
            format!(
                "key {key} found refund {}, but it made {}",
                found.id, made.id
            )
        })?;
        expect_amount(&found, amount, &payment)?;
        expect_stamped(&found, key)?;
    }
    let stranger = IdempotencyKey::new();
    if let Some(refund) = find(provider.as_ref(), &payment, &stranger).await? {
        return Err(failed(format!(
            "a key never used found refund {}",
            refund.id
        )));
    }
    let other = seed(backend, "10.00")?;
    if let Some(refund) = find(provider.as_ref(), &other, first_request.idempotency_key()).await? {
        return Err(failed(format!(
            "the key of a refund of {payment} found refund {} on payment {other}",
            refund.id
        )));
    }
    expect_ledger(backend, &payment, 2)?;
    expect_ledger(backend, &other, 0)
}

/// A partial and a full refund are made, their answers lost (the connection
/// dropped after the commit, no retries: `OutcomeUnknown`); once the
/// provider's idempotency window has passed (set to about a second),
/// `find_refund_by_key` still finds each, and `recover_refund` with the same
/// request returns it — twice — and the ledger still holds exactly one.
pub async fn recover_after_the_window_finds_the_lost_refund(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    recovery_after_the_window(subject, Fault::CommitThenDrop).await
}

/// A partial and a full refund are lost before the provider processed them
/// (the connection dropped, nothing committed, no retries:
/// `OutcomeUnknown`); once the window has passed, `find_refund_by_key` finds
/// nothing and `recover_refund` makes exactly one refund — and running it
/// again returns that one.
pub async fn recover_after_the_window_makes_the_missing_refund(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    recovery_after_the_window(subject, Fault::DropUnprocessed).await
}

async fn recovery_after_the_window(subject: &dyn Subject, fault: Fault) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let transport = TransportConfig::default()
        .with_timeout(FAULT_CLIENT_TIMEOUT)
        .with_retry(RetryPolicy::never());
    let provider = provider(subject, transport).await?;
    requires_find_by_key(provider.as_ref())?;
    let previous = backend
        .set_idempotency_window(SHORT_IDEMPOTENCY_WINDOW)
        .map_err(CheckError::NotApplicable)?;
    let outcome = recover_under_a_short_window(provider.as_ref(), backend, fault).await;
    let _ = backend.set_idempotency_window(previous);
    outcome
}

async fn recover_under_a_short_window(
    provider: &dyn RefundProvider,
    backend: &dyn Backend,
    fault: Fault,
) -> Result<(), CheckError> {
    let committed = usize::from(fault.commits());
    let mut lost = Vec::new();
    for refund in [CaseRefund::Partial, CaseRefund::Full] {
        let payment = seed(backend, "10.00")?;
        let request = match refund {
            CaseRefund::Partial => partial(&payment, "4.00")?,
            CaseRefund::Full => full(&payment)?,
        };
        backend
            .inject_fault(Route::CreateRefund, Calls::Next(1), fault)
            .map_err(CheckError::NotApplicable)?;
        let first = provider.create_refund(&request).await;
        backend.clear_faults();
        match &first {
            Err(RefundError::OutcomeUnknown { .. }) => {}
            Err(error) => {
                return Err(failed(format!(
                    "{fault} on a {refund} create without retries ended in {} ({error}); expected outcome_unknown",
                    error.code()
                )))
            }
            Ok(made) => {
                return Err(failed(format!(
                    "{fault} on a {refund} create without retries returned refund {}; expected outcome_unknown",
                    made.id
                )))
            }
        }
        expect_ledger(backend, &payment, committed)?;
        lost.push((refund, payment, request));
    }
    // Every key was first used before now: after this the provider has
    // forgotten them, and a plain re-send would be a new request to it.
    tokio::time::sleep(SHORT_IDEMPOTENCY_WINDOW + Duration::from_millis(200)).await;
    for (refund, payment, request) in lost {
        let key = request.idempotency_key();
        let found = find(provider, &payment, key).await?;
        match (&found, committed) {
            (Some(found), 1) => {
                expect_stamped(found, key)?;
                expect_ledger_is(backend, &payment, found)?;
            }
            (None, 1) => {
                return Err(failed(format!(
                    "the {refund} made before the window is not found by its key {key}"
                )))
            }
            (Some(found), _) => {
                return Err(failed(format!(
                    "the {refund} never reached the provider, yet key {key} found refund {}",
                    found.id
                )))
            }
            (None, _) => {}
        }
        let recovered = recover(provider, &request).await?;
        expect_amount(&recovered, refund.expected_amount(), &payment)?;
        expect_ledger_is(backend, &payment, &recovered)?;
        if let Some(found) = &found {
            ensure(recovered.id == found.id, || {
                format!(
                    "recover_refund returned {}, the refund made before the window is {}",
                    recovered.id, found.id
                )
            })?;
        }
        let again = recover(provider, &request).await?;
        ensure(again.id == recovered.id, || {
            format!(
                "recovering twice returned {} and then {}",
                recovered.id, again.id
            )
        })?;
        expect_ledger_is(backend, &payment, &again)?;
    }
    Ok(())
}

/// The library and "another process" (a second client instance) build the
/// same request from the same merchant reference in the default namespace:
/// the same key, stamped with the reference, and one refund — whether the
/// second creates or recovers.
pub async fn same_reference_from_two_clients_is_one_refund(
    subject: &dyn Subject,
) -> Result<(), CheckError> {
    let backend = subject.backend();
    backend.set_settle_mode(SettleMode::Instant);
    let app = provider(subject, TransportConfig::default()).await?;
    let operator = provider(subject, TransportConfig::default()).await?;
    let payment = seed(backend, "10.00")?;
    let reference = format!("order-{payment}/refund-1");
    let build = || -> Result<RefundRequest, CheckError> {
        RefundRequest::builder(
            payment.as_str(),
            RefundAmount::Partial(usd("4.00")?),
            RefundReason::RequestedByCustomer,
        )
        .reference(DEFAULT_KEY_NAMESPACE, reference.as_str())
        .build()
        .map_err(|e| failed(format!("a request with a reference was refused: {e}")))
    };
    let in_app = build()?;
    let first = create(app.as_ref(), &in_app).await?;
    let elsewhere = build()?;
    ensure(
        elsewhere.idempotency_key() == in_app.idempotency_key(),
        || "the same reference derived two keys".into(),
    )?;
    ensure(
        first.merchant_reference() == Some(reference.as_str()),
        || {
            format!(
                "refund {} carries reference {:?}, expected {reference}",
                first.id,
                first.merchant_reference()
            )
        },
    )?;
    expect_stamped(&first, in_app.idempotency_key())?;
    let second = create(operator.as_ref(), &elsewhere).await?;
    ensure(second.id == first.id, || {
        format!(
            "the second client made refund {}, the first {}",
            second.id, first.id
        )
    })?;
    expect_ledger_is(backend, &payment, &first)?;
    if operator.capabilities().find_by_key {
        let recovered = recover(operator.as_ref(), &elsewhere).await?;
        ensure(recovered.id == first.id, || {
            format!(
                "recover_refund in the second client returned {}, the first made {}",
                recovered.id, first.id
            )
        })?;
        expect_ledger_is(backend, &payment, &first)?;
    }
    Ok(())
}
