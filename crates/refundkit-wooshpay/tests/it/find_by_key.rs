//! Finding a refund by its idempotency key (`GET /v1/refunds?payment_intent=`,
//! Stripe's cursor list, assumed for WooshPay), and options that are not
//! WooshPay's refused before anything is sent.

use crate::common::*;
use httpmock::prelude::*;
use refundkit_core::{
    IdempotencyKey, RefundAmount, RefundError, RefundProvider, RefundReason, RefundRequest,
};
use serde_json::{json, Value};

fn stamped(id: &str, key: &IdempotencyKey) -> Value {
    let mut refund = refund_json(1001, "usd", "succeeded");
    refund["id"] = json!(id);
    refund["metadata"] = json!({"refundkit_idempotency_key": key.to_string()});
    refund
}

#[tokio::test]
async fn the_refund_is_found_on_a_later_page_past_an_undecodable_neighbour() {
    let server = MockServer::start_async().await;
    let key = IdempotencyKey::new();
    let first = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/refunds")
                .header("authorization", basic_auth())
                .query_param("payment_intent", PAYMENT)
                .query_param("limit", "100")
                .query_param_missing("starting_after");
            then.status(200).json_body(json!({
                "object": "list", "has_more": true,
                "data": [stamped("re_other", &IdempotencyKey::new()), {"id": "re_broken", "amount": "lots"}]
            }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/refunds")
                .query_param("payment_intent", PAYMENT)
                .query_param("starting_after", "re_broken");
            then.status(200).json_body(json!({
                "object": "list", "has_more": false, "data": [stamped("re_mine", &key)]
            }));
        })
        .await;

    let found = client(&server)
        .find_refund_by_key(PAYMENT, &key)
        .await
        .unwrap()
        .unwrap();

    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    assert_eq!(found.id.as_str(), "re_mine");
    assert_eq!(found.idempotency_key(), Some(key));
}

#[tokio::test]
async fn no_refund_with_the_key_is_none_and_a_stamped_undecodable_one_is_an_error() {
    let server = MockServer::start_async().await;
    let key = IdempotencyKey::new();
    let mut list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds");
            then.status(200).json_body(json!({
                "object": "list", "has_more": false, "data": [stamped("re_other", &IdempotencyKey::new())]
            }));
        })
        .await;
    assert!(client(&server)
        .find_refund_by_key(PAYMENT, &key)
        .await
        .unwrap()
        .is_none());
    list.delete_async().await;
    list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds");
            then.status(200).json_body(json!({
                "object": "list", "has_more": false,
                "data": [{"id": "re_mine", "amount": "lots", "metadata": {"refundkit_idempotency_key": key.to_string()}}]
            }));
        })
        .await;

    let error = client(&server)
        .find_refund_by_key(PAYMENT, &key)
        .await
        .unwrap_err();

    list.assert_calls_async(1).await;
    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn another_providers_option_is_refused_naming_it_and_nothing_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(refund_json(1001, "usd", "pending"));
        })
        .await;
    let builder = || RefundRequest::builder(PAYMENT, RefundAmount::Full, RefundReason::Duplicate);
    let other = refundkit_core::ProviderId::from_static("uqpay");
    for (options, says) in [
        (
            refundkit_core::ProviderOptions::new(other)
                .with("on_behalf_of", "11111111-1111-4111-8111-111111111111"),
            "uqpay's options",
        ),
        (
            refundkit_core::ProviderOptions::new(refundkit_wooshpay::PROVIDER)
                .with("payment_attempt_id", "PA1"),
            "no option payment_attempt_id",
        ),
    ] {
        let request = builder().provider_options(options).build().unwrap();
        let error = client(&server).create_refund(&request).await.unwrap_err();
        let RefundError::Invalid(invalid) = &error else {
            panic!("expected a validation error, got {error:?}");
        };
        assert_eq!(invalid.field(), "provider_options");
        assert!(invalid.to_string().contains(says), "{invalid}");
    }
    any.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_full_refund_refused_as_already_refunded_replays_the_refund_made_with_its_key() {
    let server = MockServer::start_async().await;
    let full = request(RefundAmount::Full, RefundReason::Duplicate);
    let key = *full.idempotency_key();
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(400).json_body(error_json(
                "invalid_request_error",
                "charge_already_refunded",
                "Charge has already been refunded.",
            ));
        })
        .await;
    let mut list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds");
            then.status(200).json_body(json!({
                "object": "list", "has_more": false, "data": [stamped("re_first", &key)]
            }));
        })
        .await;

    let replayed = client(&server).create_refund(&full).await.unwrap();
    assert_eq!(replayed.id.as_str(), "re_first");

    // With no refund carrying the key, the refusal stands.
    list.delete_async().await;
    list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds");
            then.status(200)
                .json_body(json!({"object": "list", "has_more": false, "data": []}));
        })
        .await;
    let error = client(&server).create_refund(&full).await.unwrap_err();
    assert_eq!(
        error.kind(),
        Some(refundkit_core::ErrorKind::RefundExceedsAvailable)
    );
    create.assert_calls_async(2).await;
    list.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_full_refund_refused_as_already_refunded_whose_lookup_fails_is_outcome_unknown() {
    let server = MockServer::start_async().await;
    let full = request(RefundAmount::Full, RefundReason::Duplicate);
    let key = *full.idempotency_key();
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(400).json_body(error_json(
                "invalid_request_error",
                "charge_already_refunded",
                "Charge has already been refunded.",
            ));
        })
        .await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds");
            then.status(500).body("upstream down");
        })
        .await;

    // "Already refunded" may be our own earlier refund; the lookup could not
    // say, so the ending is unknown (resolve with the same key), not a refusal.
    let error = client(&server).create_refund(&full).await.unwrap_err();
    match &error {
        RefundError::OutcomeUnknown {
            idempotency_key, ..
        } => assert_eq!(*idempotency_key, key),
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(list.calls_async().await >= 1);
}

/// A list that always says `has_more` stops after 100 pages with an error,
/// never loops on and never answers "no refund".
#[tokio::test]
async fn a_search_by_key_over_an_endless_list_stops_with_an_error() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/refunds")
                .query_param("payment_intent", PAYMENT);
            then.status(200).json_body(json!({
                "object": "list", "has_more": true,
                "data": [stamped("re_other", &IdempotencyKey::new())]
            }));
        })
        .await;

    let error = client(&server)
        .find_refund_by_key(PAYMENT, &IdempotencyKey::new())
        .await
        .unwrap_err();

    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
    assert!(error.to_string().contains("10,000"), "{error}");
    list.assert_calls_async(100).await;
}
