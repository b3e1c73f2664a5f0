//! Full refunds: the remaining amount comes from the payment intent.

use httpmock::MockServer;
use refundkit_core::{ErrorKind, RefundAmount, RefundError, RefundReason, RefundRequest};
use refundkit_uqpay::RefundProvider;
use serde_json::json;

use crate::common::*;

const INTENT_PATH: &str = "/api/v2/payment_intents/PI2043628825316691968";

fn full_request() -> RefundRequest {
    RefundRequest::builder(PAYMENT_ID, RefundAmount::Full, RefundReason::Fraudulent)
        .build()
        .unwrap()
}

#[tokio::test]
async fn full_refund_refunds_what_remains_on_the_intent() {
    let server = MockServer::start_async().await;
    let token = token_ok(&server).await;
    let read_intent = intent_mock(
        &server,
        PAYMENT_ID,
        "USD",
        "10.00",
        Some("3.5"),
        "SUCCEEDED",
    )
    .await;
    let create = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(REFUNDS_PATH)
                .header("x-auth-token", bearer(TOKEN))
                .header("x-client-id", CLIENT_ID)
                .header_matches("^x-idempotency-key$", UUID_PATTERN)
                .json_body(json!({
                    "payment_intent_id": "PI2043628825316691968",
                    "amount": "6.5",
                    "reason": "fraudulent"
                }));
            then.status(200)
                .json_body(refund_json("RF2", "6.50", "USD", "INITIATED"));
        })
        .await;

    let refund = client(&server)
        .create_refund(&full_request())
        .await
        .unwrap();

    read_intent.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    token.assert_calls_async(1).await;
    assert_eq!(refund.amount, money("6.5", "USD"));
    assert_eq!(refund.payment_id.as_deref(), Some("PI2043628825316691968"));
}

#[tokio::test]
async fn full_refund_of_an_unsettled_intent_names_its_status_and_sends_no_refund() {
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
    let anything_else = catch_all(&server).await;

    let error = client(&server)
        .create_refund(&full_request())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), Some(ErrorKind::PaymentNotRefundable));
    assert!(error.to_string().contains("REQUIRES_CAPTURE"), "{error}");
    anything_else.assert_calls_async(0).await;
}

#[tokio::test]
async fn repeated_full_refund_after_completion_finds_nothing_left() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    intent_mock(
        &server,
        PAYMENT_ID,
        "USD",
        "10.00",
        Some("10.00"),
        "SUCCEEDED",
    )
    .await;
    let anything_else = catch_all(&server).await;

    let error = client(&server)
        .create_refund(&full_request())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), Some(ErrorKind::RefundExceedsAvailable));
    let text = error.to_string();
    assert!(
        text.contains("nothing is left") && text.contains("list_refunds"),
        "{text}"
    );
    anything_else.assert_calls_async(0).await;
}

#[tokio::test]
async fn unknown_payment_intent_is_not_found() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let read_intent = server
        .mock_async(|when, then| {
            when.method("GET").path(INTENT_PATH);
            then.status(400).json_body(json!({
                "type": "not_found",
                "code": "resource_not_found",
                "message": "payment_intent PI2043628825316691968 was not found"
            }));
        })
        .await;

    let error = client(&server)
        .create_refund(&full_request())
        .await
        .unwrap_err();

    read_intent.assert_calls_async(1).await;
    assert_eq!(error.kind(), Some(ErrorKind::NotFound));
    assert!(matches!(error, RefundError::Provider(_)));
}
