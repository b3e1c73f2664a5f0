//! Partial refunds read the payment intent first: UQPay's create has no
//! currency field, so a refund in another currency is refused before it is
//! sent. Status and remaining amount stay UQPay's to judge.

use httpmock::{Mock, MockServer};
use refundkit_core::{ErrorKind, RefundError, RefundStatus};
use refundkit_uqpay::{RefundProvider, UqPayClient};
use serde_json::json;

use crate::common::*;

/// Any create, answered with a refund of 10.01 USD.
async fn create_ok(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method("POST").path(REFUNDS_PATH);
            then.status(200)
                .json_body(refund_json("RF1", "10.01", "USD", "SUCCEEDED"));
        })
        .await
}

#[tokio::test]
async fn partial_refund_in_another_currency_is_refused_before_the_create() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let intent = usd_intent(&server, PAYMENT_ID).await;
    let create = create_ok(&server).await;

    let error = client(&server)
        .create_refund(&partial("10.01", "EUR"))
        .await
        .unwrap_err();

    match &error {
        RefundError::Invalid(invalid) => assert_eq!(invalid.field(), "amount"),
        other => panic!("expected a validation error, got {other:?}"),
    }
    let text = error.to_string();
    for named in ["EUR", "USD", PAYMENT_ID] {
        assert!(text.contains(named), "{named} missing from: {text}");
    }
    intent.assert_calls_async(1).await;
    create.assert_calls_async(0).await;
}

#[tokio::test]
async fn lower_case_intent_currency_matches_the_refund_currency() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let intent = intent_mock(&server, PAYMENT_ID, "usd", "100.00", None, "SUCCEEDED").await;
    let create = create_ok(&server).await;

    let refund = client(&server)
        .create_refund(&partial("10.01", "USD"))
        .await
        .unwrap();

    intent.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    assert_eq!(refund.amount, money("10.01", "USD"));
}

#[tokio::test]
async fn retried_partial_refund_reaches_uqpay_for_its_replay_even_when_nothing_is_left() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    // The first attempt completed: the intent is now fully refunded.
    intent_mock(
        &server,
        PAYMENT_ID,
        "USD",
        "10.01",
        Some("10.01"),
        "SUCCEEDED",
    )
    .await;
    let request = partial("10.01", "USD");
    let replay = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(REFUNDS_PATH)
                .header("x-idempotency-key", request.idempotency_key().to_string());
            then.status(200)
                .json_body(refund_json("RF1", "10.01", "USD", "SUCCEEDED"));
        })
        .await;

    let refund = client(&server).create_refund(&request).await.unwrap();

    replay.assert_calls_async(1).await;
    assert_eq!(refund.id.as_str(), "RF1");
    assert_eq!(refund.status, RefundStatus::Succeeded);
}

#[tokio::test]
async fn partial_refund_of_an_unsettled_intent_gets_uqpays_own_answer() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    intent_mock(
        &server,
        PAYMENT_ID,
        "USD",
        "10.00",
        None,
        "REQUIRES_CAPTURE",
    )
    .await;
    let create = server
        .mock_async(|when, then| {
            when.method("POST").path(REFUNDS_PATH);
            then.status(400).json_body(json!({
                "type": "payment_error",
                "code": "payment_intent_not_refundable",
                "message": "payment intent is not refundable"
            }));
        })
        .await;

    let error = client(&server)
        .create_refund(&partial("5", "USD"))
        .await
        .unwrap_err();

    create.assert_calls_async(1).await;
    match error {
        RefundError::Provider(answer) => {
            assert_eq!(answer.kind, ErrorKind::PaymentNotRefundable);
            assert_eq!(answer.status, 400);
            assert_eq!(
                answer.provider_code.as_deref(),
                Some("payment_intent_not_refundable")
            );
        }
        other => panic!("expected UQPay's refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn unreadable_intent_currency_is_a_decode_error_and_nothing_is_created() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    intent_mock(&server, PAYMENT_ID, "XYZ", "10.00", None, "SUCCEEDED").await;
    let create = create_ok(&server).await;

    let error = client(&server)
        .create_refund(&partial("1", "USD"))
        .await
        .unwrap_err();

    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
    create.assert_calls_async(0).await;
}

#[tokio::test]
async fn unknown_payment_intent_stops_a_partial_refund() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let read_intent = server
        .mock_async(|when, then| {
            when.method("GET")
                .path(format!("/api/v2/payment_intents/{PAYMENT_ID}"));
            then.status(400).json_body(json!({
                "type": "not_found",
                "code": "resource_not_found",
                "message": format!("payment_intent {PAYMENT_ID} was not found")
            }));
        })
        .await;
    let create = create_ok(&server).await;

    let error = client(&server)
        .create_refund(&partial("1", "USD"))
        .await
        .unwrap_err();

    read_intent.assert_calls_async(1).await;
    create.assert_calls_async(0).await;
    assert_eq!(error.kind(), Some(ErrorKind::NotFound));
}

#[tokio::test]
async fn a_payments_currency_is_read_once_then_remembered_and_still_enforced() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let intent = usd_intent(&server, PAYMENT_ID).await;
    let create = server
        .mock_async(|when, then| {
            when.method("POST").path(REFUNDS_PATH);
            then.status(200)
                .json_body(refund_json("RF1", "1", "USD", "INITIATED"));
        })
        .await;
    let client = client(&server);

    for _ in 0..3 {
        client.create_refund(&partial("1", "USD")).await.unwrap();
    }
    let error = client
        .create_refund(&partial("1", "EUR"))
        .await
        .unwrap_err();

    intent.assert_calls_async(1).await;
    create.assert_calls_async(3).await;
    let RefundError::Invalid(invalid) = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    assert_eq!(invalid.field(), "amount");
}

#[tokio::test]
async fn always_reads_the_intent_and_trusted_never_does() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let intent = usd_intent(&server, PAYMENT_ID).await;
    server
        .mock_async(|when, then| {
            when.method("POST").path(REFUNDS_PATH);
            then.status(200)
                .json_body(refund_json("RF1", "1", "USD", "INITIATED"));
        })
        .await;
    let with = |check| {
        UqPayClient::new(
            config_builder(&server)
                .currency_check(check)
                .build()
                .unwrap(),
        )
        .unwrap()
    };

    let always = with(refundkit_uqpay::CurrencyCheck::Always);
    for _ in 0..2 {
        always.create_refund(&partial("1", "USD")).await.unwrap();
    }
    intent.assert_calls_async(2).await;
    let trusted = with(refundkit_uqpay::CurrencyCheck::Trusted);
    trusted.create_refund(&partial("1", "USD")).await.unwrap();
    intent.assert_calls_async(2).await;
}
