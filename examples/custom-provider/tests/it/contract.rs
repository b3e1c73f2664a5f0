//! What the adapter promises beyond the conformance suite.

use refundkit::toolkit::descriptor::ProviderDescriptor;
use refundkit::{
    ErrorKind, ListRefunds, ProviderOptions, RefundAmount, RefundError, RefundId, RefundProvider,
    RefundReason, RefundRequest, SecretString,
};
use refundkit_example_ledger::{LedgerClient, LedgerConfig, LedgerOptions, DESCRIPTOR};
use refundkit_testkit::UQPAY;
use std::sync::Arc;

use crate::fake_ledger::FakeLedger;
use crate::{partial, usd};

/// A fake ledger, the client its descriptor builds, and a payment of
/// `amount` USD to refund.
async fn ledger_with(amount: &str) -> (FakeLedger, Arc<dyn RefundProvider>, String) {
    let ledger = FakeLedger::start().await;
    let lookup = ledger.lookup();
    let provider = DESCRIPTOR
        .client_from_lookup(&lookup, Default::default())
        .unwrap();
    let payment = ledger.seed(usd(amount));
    (ledger, provider, payment)
}

#[tokio::test]
async fn the_same_key_on_another_request_is_an_idempotency_conflict() {
    let (ledger, provider, payment) = ledger_with("10.00").await;
    let first = partial(&payment, "4.00");
    provider.create_refund(&first).await.unwrap();
    let other = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Partial(usd("5.00")),
        RefundReason::Duplicate,
    )
    .idempotency_key(*first.idempotency_key())
    .build()
    .unwrap();
    let error = provider.create_refund(&other).await.unwrap_err();
    assert_eq!(
        error.kind(),
        Some(ErrorKind::IdempotencyConflict),
        "{error:?}"
    );
    assert_eq!(ledger.refund_ids_for(&payment).len(), 1);
}

#[tokio::test]
async fn another_providers_options_are_refused_before_anything_is_sent() {
    let (ledger, provider, payment) = ledger_with("10.00").await;
    let foreign = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Full,
        RefundReason::Duplicate,
    )
    .provider_options(ProviderOptions::new(UQPAY).with("account", "x"))
    .build()
    .unwrap();
    match provider.create_refund(&foreign).await {
        Err(RefundError::Invalid(error)) => assert_eq!(error.field(), "provider_options"),
        other => panic!("expected invalid provider_options, got {other:?}"),
    }
    // The ledger's list takes no options, its own or anyone's.
    let mut listing = ListRefunds::for_payment(&payment);
    listing.provider_options = Some(LedgerOptions::account("x").into());
    assert!(matches!(
        provider.list_refunds(&listing).await,
        Err(RefundError::Invalid(_))
    ));
    assert_eq!(ledger.requests_received(), 0);

    let own = RefundRequest::builder(
        payment.as_str(),
        RefundAmount::Full,
        RefundReason::Duplicate,
    )
    .provider_options(LedgerOptions::account("returns-eu"))
    .build()
    .unwrap();
    let refund = provider.create_refund(&own).await.unwrap();
    let raw: serde_json::Value = serde_json::from_str(refund.raw.get()).unwrap();
    assert_eq!(raw["account"], "returns-eu");
}

#[tokio::test]
async fn a_wrong_api_key_is_an_authentication_error_that_never_quotes_the_key() {
    let ledger = FakeLedger::start().await;
    let wrong = "lk_wrong_5ecret_31337";
    let config = LedgerConfig::new(ledger.base_url(), SecretString::from(wrong)).unwrap();
    let provider = LedgerClient::new(config).unwrap();
    let payment = ledger.seed(usd("10.00"));
    let read = provider
        .get_refund(&RefundId::new("lr_000001").unwrap())
        .await;
    let create = provider.create_refund(&partial(&payment, "1.00")).await;
    for error in [read.unwrap_err(), create.unwrap_err()] {
        assert_eq!(error.kind(), Some(ErrorKind::Authentication), "{error:?}");
        let shown = format!("{error} {error:?} {provider:?}");
        assert!(
            !shown.contains(wrong) && !shown.contains("5ecret"),
            "{shown}"
        );
    }
}

#[tokio::test]
async fn money_is_exact_three_dimes_refund_thirty_cents_and_not_a_cent_more() {
    let (_, provider, payment) = ledger_with("0.30").await;
    for _ in 0..3 {
        assert_eq!(
            provider
                .create_refund(&partial(&payment, "0.10"))
                .await
                .unwrap()
                .amount,
            usd("0.10")
        );
    }
    let error = provider
        .create_refund(&partial(&payment, "0.01"))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        Some(ErrorKind::RefundExceedsAvailable),
        "{error:?}"
    );
}

#[tokio::test]
async fn refunds_are_listed_newest_first_a_page_at_a_time() {
    let (_, provider, payment) = ledger_with("10.00").await;
    let mut made = Vec::new();
    for amount in ["1.00", "2.00", "3.00"] {
        made.push(
            provider
                .create_refund(&partial(&payment, amount))
                .await
                .unwrap()
                .id,
        );
    }
    let first = provider
        .list_refunds(&ListRefunds::for_payment(&payment).page_size(2))
        .await
        .unwrap();
    let ids: Vec<_> = first.refunds.iter().map(|r| r.id.clone()).collect();
    assert_eq!(ids, [made[2].clone(), made[1].clone()]);
    assert!(first.has_more());
    let last = provider
        .list_refunds(&ListRefunds::for_payment(&payment).page_size(2).page(2))
        .await
        .unwrap();
    assert_eq!(last.refunds.len(), 1);
    assert!(!last.has_more());
}
