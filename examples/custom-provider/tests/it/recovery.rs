use refundkit::{Refund, RefundAmount, RefundError, RefundReason, RefundRequest, Refunds};
use refundkit_example_ledger::{DESCRIPTOR, LEDGER};
use refundkit_testkit::{Calls, Fault, Route};

use crate::fake_ledger::FakeLedger;
use crate::{lookup_in, usd};

/// A 12.50 refund of a 30.00 payment is sent through `fault` with one
/// attempt per call, so its answer is lost for good: the call must end
/// `OutcomeUnknown` naming the request's key, with `booked` refunds in the
/// ledger. Then `Refunds::recover_refund` runs twice with the same request;
/// both must return the one refund the ledger then holds.
async fn recover_after(fault: Fault, booked: usize) -> (RefundRequest, Refund) {
    let ledger = FakeLedger::start().await;
    let mut variables = ledger.variables();
    variables.push(("REFUNDKIT_RETRY_ATTEMPTS", "1".into()));
    variables.push(("REFUNDKIT_TIMEOUT_MS", "300".into()));
    let refunds = Refunds::from_lookup_with(&[&DESCRIPTOR], lookup_in(variables)).unwrap();
    let payment = ledger.seed(usd("30.00"));
    let request = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Partial(usd("12.50")),
        RefundReason::RequestedByCustomer,
    )
    .reference(refunds.key_namespace(), "order-30/refund-1")
    .build()
    .unwrap();

    ledger.inject(Route::CreateRefund, Calls::Next(1), fault);
    match refunds.create_refund(&request).await {
        Err(RefundError::OutcomeUnknown {
            provider,
            idempotency_key,
            ..
        }) => {
            assert_eq!(
                (provider, &idempotency_key),
                (LEDGER, request.idempotency_key())
            );
        }
        other => panic!("after {fault} expected outcome_unknown, got {other:?}"),
    }
    assert_eq!(
        ledger.refund_ids_for(&payment).len(),
        booked,
        "after {fault}"
    );

    let recovered = refunds.recover_refund(&request).await.unwrap();
    let again = refunds.recover_refund(&request).await.unwrap();
    assert_eq!(again.id, recovered.id);
    assert_eq!(ledger.refund_ids_for(&payment), [recovered.id.to_string()]);
    assert_eq!(recovered.amount, usd("12.50"));
    (request, recovered)
}

#[tokio::test]
async fn a_booked_refund_whose_answer_was_lost_is_found_by_recover_refund() {
    let (request, found) = recover_after(Fault::CommitThenDrop, 1).await;
    // Found by the stamps the create left in its metadata.
    assert_eq!(found.idempotency_key(), Some(*request.idempotency_key()));
    assert_eq!(found.merchant_reference(), Some("order-30/refund-1"));
}

#[tokio::test]
async fn a_request_lost_on_its_way_is_made_exactly_once_by_recover_refund() {
    let (request, made) = recover_after(Fault::DropUnprocessed, 0).await;
    assert_eq!(made.idempotency_key(), Some(*request.idempotency_key()));
}
