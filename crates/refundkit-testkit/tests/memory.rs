//! The in-memory provider: the conformance suite, and its own rules.

mod common;

use std::time::Duration;

use common::money;
use refundkit_core::{
    recover_refund, ErrorKind, IdempotencyKey, ListRefunds, RefundAmount, RefundError, RefundId,
    RefundProvider, RefundReason, RefundRequest, RefundStatus, DEFAULT_KEY_NAMESPACE, KEY_METADATA,
    REFERENCE_METADATA,
};
use refundkit_testkit::conformance::{self, CheckOutcome, InMemorySubject};
use refundkit_testkit::{InMemoryProvider, PaymentSeed, PaymentStatus, SettleMode};

fn partial(payment: &str, amount: &str) -> RefundRequest {
    RefundRequest::builder(
        payment,
        RefundAmount::Partial(money(amount, "USD")),
        RefundReason::Duplicate,
    )
    .build()
    .unwrap()
}

#[tokio::test]
async fn in_memory_provider_passes_the_conformance_suite() {
    let report = conformance::run_all(&InMemorySubject::new()).await;
    println!("{report}");
    assert!(report.passed(), "{report}");
    let skipped: Vec<_> = report
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, CheckOutcome::Skipped(_)))
        .map(|c| c.name)
        .collect();
    assert_eq!(
        skipped,
        [
            "exactly_one_refund_after_server_error",
            "exactly_one_refund_after_rate_limit",
            "exactly_one_refund_after_commit_then_drop",
            "exactly_one_refund_after_lost_response",
            "full_refund_exactly_once_after_every_fault",
            "recover_after_the_window_finds_the_lost_refund",
            "recover_after_the_window_makes_the_missing_refund",
        ]
    );
    assert_eq!(report.checks.len(), 16);
}

#[tokio::test]
async fn fault_table_does_not_apply_in_memory() {
    let error = conformance::fault_table(&InMemorySubject::new())
        .await
        .unwrap_err();
    assert!(
        matches!(error, conformance::CheckError::NotApplicable(_)),
        "{error}"
    );
}

#[tokio::test]
async fn unknown_payment_and_refund_are_not_found() {
    let provider = InMemoryProvider::new();
    let missing = provider
        .create_refund(&partial("mem_pi_404", "1.00"))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), Some(ErrorKind::NotFound));
    let id = RefundId::new("mem_re_404").unwrap();
    assert_eq!(
        provider.get_refund(&id).await.unwrap_err().kind(),
        Some(ErrorKind::NotFound)
    );
}

#[tokio::test]
async fn same_key_with_another_request_is_an_idempotency_conflict() {
    let provider = InMemoryProvider::new();
    let payment = provider.seed_captured(money("10.00", "USD"));
    let key = IdempotencyKey::new();
    let build = |amount: &str| {
        RefundRequest::builder(
            payment.as_str(),
            RefundAmount::Partial(money(amount, "USD")),
            RefundReason::Duplicate,
        )
        .idempotency_key(key)
        .build()
        .unwrap()
    };
    provider.create_refund(&build("1.00")).await.unwrap();
    let conflict = provider.create_refund(&build("2.00")).await.unwrap_err();
    assert_eq!(conflict.kind(), Some(ErrorKind::IdempotencyConflict));
    assert_eq!(provider.refund_count(), 1);
}

#[tokio::test]
async fn refusals_are_replayed_for_their_key_too() {
    let provider = InMemoryProvider::new();
    let payment = provider.seed_captured(money("1.00", "USD"));
    let too_much = partial(&payment, "2.00");
    let first = provider.create_refund(&too_much).await.unwrap_err();
    assert_eq!(first.kind(), Some(ErrorKind::RefundExceedsAvailable));
    let again = provider.create_refund(&too_much).await.unwrap_err();
    assert_eq!(again.kind(), Some(ErrorKind::RefundExceedsAvailable));
}

#[tokio::test]
async fn uncaptured_payments_and_other_currencies_are_refused() {
    let provider = InMemoryProvider::new();
    let held = provider.seed_payment(
        PaymentSeed::captured(money("10.00", "USD")).status(PaymentStatus::RequiresCapture),
    );
    let refused = provider
        .create_refund(&partial(&held, "1.00"))
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), Some(ErrorKind::PaymentNotRefundable));
    let euros = provider.seed_captured(money("10.00", "EUR"));
    let wrong = provider
        .create_refund(&partial(&euros, "1.00"))
        .await
        .unwrap_err();
    assert_eq!(wrong.kind(), Some(ErrorKind::InvalidRequest));
}

#[tokio::test]
async fn invalid_requests_never_reach_the_ledger() {
    let provider = InMemoryProvider::new();
    let payment = provider.seed_captured(money("10.00", "USD"));
    let request = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Full,
        RefundReason::Other("x".repeat(400)),
    )
    .build()
    .unwrap();
    assert!(provider.create_refund(&request).await.is_ok());
    let bad = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Full,
        RefundReason::Other("x".repeat(501)),
    )
    .build();
    assert!(bad.is_err());
    assert_eq!(provider.provider(), refundkit_testkit::MEMORY);
}

#[tokio::test]
async fn failing_payments_settle_failed_after_the_reads() {
    let provider = InMemoryProvider::new();
    provider.set_settle_mode(SettleMode::AfterReads(1));
    let payment =
        provider.seed_payment(PaymentSeed::captured(money("10.00", "USD")).failing_refunds());
    let refund = provider
        .create_refund(&partial(&payment, "10.00"))
        .await
        .unwrap();
    assert_eq!(refund.status, RefundStatus::Pending);
    assert_eq!(
        provider.get_refund(&refund.id).await.unwrap().status,
        RefundStatus::Pending
    );
    let settled = provider.get_refund(&refund.id).await.unwrap();
    assert_eq!(settled.status, RefundStatus::Failed);
    assert!(settled.failure.is_some());
    assert_eq!(
        provider.payment(&payment).unwrap().refunded,
        money("0", "USD")
    );
}

#[tokio::test]
async fn list_pages_through_the_refunds_of_a_payment() {
    let provider = InMemoryProvider::new();
    let payment = provider.seed_captured(money("10.00", "USD"));
    let other = provider.seed_captured(money("10.00", "USD"));
    for _ in 0..5 {
        provider
            .create_refund(&partial(&payment, "1.00"))
            .await
            .unwrap();
    }
    provider
        .create_refund(&partial(&other, "1.00"))
        .await
        .unwrap();
    let page = provider
        .list_refunds(
            &ListRefunds::for_payment(payment.as_str())
                .page_size(2)
                .page(3),
        )
        .await
        .unwrap();
    assert_eq!(page.refunds.len(), 1);
    assert_eq!((page.total_items, page.total_pages), (Some(5), Some(3)));
    assert!(!page.has_more());
    let invalid = provider
        .list_refunds(&ListRefunds::default().page_size(0))
        .await;
    assert!(matches!(invalid, Err(RefundError::Invalid(_))));
}

#[tokio::test]
async fn refunds_keep_the_key_stamp_and_are_found_by_their_key() {
    let provider = InMemoryProvider::new();
    assert!(provider.capabilities().find_by_key);
    let payment = provider.seed_captured(money("10.00", "USD"));
    let request = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Partial(money("3.00", "USD")),
        RefundReason::Duplicate,
    )
    .reference(DEFAULT_KEY_NAMESPACE, "order-1/refund-1")
    .metadata("order_id", "order-1")
    .build()
    .unwrap();
    let refund = provider.create_refund(&request).await.unwrap();
    assert_eq!(
        refund.idempotency_key().as_ref(),
        Some(request.idempotency_key())
    );
    assert_eq!(refund.merchant_reference(), Some("order-1/refund-1"));
    assert_eq!(
        refund.metadata.get("order_id").map(String::as_str),
        Some("order-1")
    );
    let stored = &provider.refunds_for(&payment)[0];
    assert_eq!(
        stored.metadata[KEY_METADATA],
        request.idempotency_key().to_string()
    );
    assert_eq!(stored.metadata[REFERENCE_METADATA], "order-1/refund-1");

    let found = provider
        .find_refund_by_key(&payment, request.idempotency_key())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, refund.id);
    let none = provider
        .find_refund_by_key(&payment, &IdempotencyKey::new())
        .await
        .unwrap();
    assert!(none.is_none());
    let unknown = provider
        .find_refund_by_key("mem_pi_404", request.idempotency_key())
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), Some(ErrorKind::NotFound));
}

#[tokio::test]
async fn after_the_window_the_same_key_makes_a_new_refund_and_recover_does_not() {
    let provider = InMemoryProvider::new();
    assert_eq!(
        provider.idempotency_window(),
        refundkit_testkit::DEFAULT_IDEMPOTENCY_WINDOW
    );
    provider.set_idempotency_window(Duration::ZERO);
    assert_eq!(provider.idempotency_window(), Duration::ZERO);
    let payment = provider.seed_captured(money("10.00", "USD"));
    let request = partial(&payment, "4.00");
    let first = provider.create_refund(&request).await.unwrap();
    // A zero window forgets the key at once, without waiting.
    let recovered = recover_refund(&provider, &request).await.unwrap();
    assert_eq!(recovered.id, first.id);
    assert_eq!(provider.refund_count_for(&payment), 1);
    let second = provider.create_refund(&request).await.unwrap();
    assert_ne!(second.id, first.id, "a forgotten key is a new request");
    assert_eq!(provider.refund_count_for(&payment), 2);
}
