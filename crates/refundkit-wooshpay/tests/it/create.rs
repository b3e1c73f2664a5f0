//! `POST /v1/refunds`: exact method, path, headers and body; idempotency
//! across retries; integrity checks on the echo.

use crate::common::*;
use httpmock::prelude::*;
use refundkit_core::{
    Money, RefundAmount, RefundError, RefundProvider, RefundReason, RefundStatus,
};
use serde_json::json;

#[tokio::test]
async fn partial_usd_refund_sends_1001_minor_units_with_basic_auth_and_the_key() {
    let server = MockServer::start_async().await;
    let request = request(partial("10.01", "USD"), RefundReason::RequestedByCustomer);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/refunds")
                .header("authorization", basic_auth())
                .header("idempotency-key", request.idempotency_key().to_string())
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .json_body(json!({
                    "payment_intent": PAYMENT,
                    "amount": 1001,
                    "reason": "requested_by_customer",
                    "metadata": stamp(&request)
                }));
            then.status(200)
                .json_body(refund_json(1001, "usd", "pending"));
        })
        .await;

    let refund = client(&server).create_refund(&request).await.unwrap();

    mock.assert_calls_async(1).await;
    assert_eq!(refund.id.as_str(), REFUND);
    assert_eq!(refund.amount, Money::parse("10.01", "USD").unwrap());
    assert_eq!(refund.status, RefundStatus::Pending);
    assert_eq!(refund.payment_id.as_deref(), Some(PAYMENT));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(refund.raw.get()).unwrap(),
        refund_json(1001, "usd", "pending")
    );
}

#[test]
fn authorization_is_basic_base64_of_the_key_and_a_colon() {
    // Independent of the client: the exact value the mocks above require.
    assert_eq!(
        basic_auth(),
        format!(
            "Basic {}",
            "c2tfdGVzdF81MVdvb3NoS2V5Rm9yUmVmdW5ka2l0VGVzdHMwMDAxOg=="
        )
    );
}

#[tokio::test]
async fn partial_jpy_refund_sends_whole_yen() {
    let server = MockServer::start_async().await;
    let yen = request(partial("1000", "JPY"), RefundReason::Duplicate);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds").json_body(json!({
                "payment_intent": PAYMENT, "amount": 1000, "reason": "duplicate",
                "metadata": stamp(&yen)
            }));
            then.status(200)
                .json_body(refund_json(1000, "jpy", "succeeded"));
        })
        .await;
    let refund = client(&server).create_refund(&yen).await.unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(refund.amount, Money::parse("1000", "JPY").unwrap());
}

#[tokio::test]
async fn full_refund_sends_no_amount_and_accepts_any_echoed_amount() {
    let server = MockServer::start_async().await;
    let full = request(RefundAmount::Full, RefundReason::Fraudulent);
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds").json_body(json!({
                "payment_intent": PAYMENT, "reason": "fraudulent", "metadata": stamp(&full)
            }));
            then.status(200)
                .json_body(refund_json(4999, "usd", "pending"));
        })
        .await;
    let refund = client(&server).create_refund(&full).await.unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(refund.amount, Money::parse("49.99", "USD").unwrap());
}

#[tokio::test]
async fn other_reason_sends_no_reason_and_travels_in_metadata() {
    let server = MockServer::start_async().await;
    let request = refundkit_core::RefundRequest::builder(
        PAYMENT,
        partial("5", "USD"),
        RefundReason::Other("Return good".into()),
    )
    .metadata("order_id", "order_6789")
    .build()
    .unwrap();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds").json_body(json!({
                "payment_intent": PAYMENT,
                "amount": 500,
                "metadata": {
                    "order_id": "order_6789",
                    "refundkit_reason": "Return good",
                    "refundkit_idempotency_key": request.idempotency_key().to_string()
                }
            }));
            then.status(201)
                .json_body(refund_json(500, "USD", "pending"));
        })
        .await;
    client(&server).create_refund(&request).await.unwrap();
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn every_retry_carries_the_same_idempotency_key() {
    let server = MockServer::start_async().await;
    let request = request(partial("10.01", "USD"), RefundReason::Duplicate);
    let key = request.idempotency_key().to_string();
    let failing = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/refunds")
                .header("idempotency-key", key.clone());
            then.status(503).up_to_n_times(2);
        })
        .await;
    let succeeding = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/refunds")
                .header("idempotency-key", key.clone());
            then.status(200)
                .json_body(refund_json(1001, "usd", "pending"));
        })
        .await;
    let refund = client(&server).create_refund(&request).await.unwrap();
    failing.assert_calls_async(2).await;
    succeeding.assert_calls_async(1).await;
    assert_eq!(refund.id.as_str(), REFUND);
}

#[tokio::test]
async fn server_errors_until_attempts_run_out_give_outcome_unknown_with_the_key() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(500)
                .json_body(json!({"error": {"type": "api_error", "message": "boom"}}));
        })
        .await;
    let request = request(partial("10.01", "USD"), RefundReason::Duplicate);
    let error = client(&server).create_refund(&request).await.unwrap_err();
    mock.assert_calls_async(3).await;
    assert!(
        matches!(error, RefundError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(error.idempotency_key(), Some(request.idempotency_key()));
}

#[tokio::test]
async fn request_in_progress_409_is_retried_with_the_same_key() {
    let server = MockServer::start_async().await;
    let request = request(partial("10.01", "USD"), RefundReason::Duplicate);
    let key = request.idempotency_key().to_string();
    let busy = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/refunds")
                .header("idempotency-key", key.clone());
            then.status(409)
                .json_body(error_json(
                    "invalid_request_error",
                    "idempotency_key_in_use",
                    "in progress",
                ))
                .up_to_n_times(1);
        })
        .await;
    let done = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/refunds")
                .header("idempotency-key", key.clone());
            then.status(200)
                .json_body(refund_json(1001, "usd", "pending"));
        })
        .await;
    client(&server).create_refund(&request).await.unwrap();
    busy.assert_calls_async(1).await;
    done.assert_calls_async(1).await;
}

#[tokio::test]
async fn rate_limit_is_retried_after_retry_after() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(429)
                .header("retry-after", "0")
                .json_body(error_json(
                    "invalid_request_error",
                    "rate_limit",
                    "Too many requests",
                ))
                .up_to_n_times(1);
        })
        .await;
    let done = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(200)
                .json_body(refund_json(1001, "usd", "pending"));
        })
        .await;
    client(&server)
        .create_refund(&request(partial("10.01", "USD"), RefundReason::Duplicate))
        .await
        .unwrap();
    limited.assert_calls_async(1).await;
    done.assert_calls_async(1).await;
}

#[tokio::test]
async fn undecodable_success_of_a_create_is_outcome_unknown() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(200).body("<html>ok</html>");
        })
        .await;
    let request = request(partial("10.01", "USD"), RefundReason::Duplicate);
    let error = client(&server).create_refund(&request).await.unwrap_err();
    assert!(
        matches!(error, RefundError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(error.idempotency_key(), Some(request.idempotency_key()));
}

#[tokio::test]
async fn seed_response_example_on_a_create_is_outcome_unknown_from_a_decode_error() {
    let server = MockServer::start_async().await;
    let seed = include_str!("../../../../tests/fixtures/seeds/wooshpay_create_response.json");
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(200)
                .header("content-type", "application/json")
                .body(seed);
        })
        .await;
    let error = client(&server)
        .create_refund(&request(
            RefundAmount::Full,
            RefundReason::RequestedByCustomer,
        ))
        .await
        .unwrap_err();
    match error {
        RefundError::OutcomeUnknown { source, .. } => {
            assert!(matches!(*source, RefundError::Decode { .. }), "{source:?}")
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
}

#[tokio::test]
async fn echo_of_another_amount_currency_or_payment_is_an_integrity_mismatch() {
    let mut other_payment = refund_json(1001, "usd", "pending");
    other_payment["payment_intent"] = json!("pi_someone_else");
    let cases = [
        (refund_json(1000, "usd", "pending"), "amount"),
        (refund_json(1001, "eur", "pending"), "currency"),
        (other_payment, "payment_id"),
    ];
    for (echo, expected_field) in cases {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path("/v1/refunds");
                then.status(200).json_body(echo.clone());
            })
            .await;
        let error = client(&server)
            .create_refund(&request(partial("10.01", "USD"), RefundReason::Duplicate))
            .await
            .unwrap_err();
        match error {
            RefundError::IntegrityMismatch { field, .. } => assert_eq!(field, expected_field),
            other => panic!("{expected_field}: expected IntegrityMismatch, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn invalid_requests_are_refused_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(refund_json(1001, "usd", "pending"));
        })
        .await;
    let builder = |amount, reason| refundkit_core::RefundRequest::builder(PAYMENT, amount, reason);
    let invalid = [
        builder(RefundAmount::Full, RefundReason::ExpiredUncapturedCharge)
            .build()
            .unwrap(),
        builder(partial("10.50", "MGA"), RefundReason::Duplicate)
            .build()
            .unwrap(),
        builder(RefundAmount::Full, RefundReason::Duplicate)
            .metadata("k".repeat(41), "v")
            .build()
            .unwrap(),
        builder(RefundAmount::Full, RefundReason::Duplicate)
            .metadata("items[0]", "v")
            .build()
            .unwrap(),
    ];
    let client = client(&server);
    for request in &invalid {
        let error = client.create_refund(request).await.unwrap_err();
        assert!(matches!(error, RefundError::Invalid(_)), "{error:?}");
    }
    // A reserved key is refused when the request is built, before any client.
    let reserved = builder(RefundAmount::Full, RefundReason::Duplicate)
        .metadata("refundkit_reason", "mine")
        .build();
    assert_eq!(reserved.unwrap_err().field(), "metadata");
    any.assert_calls_async(0).await;
}

/// The metadata refundkit adds to every create: the key, to find it by later.
fn stamp(request: &refundkit_core::RefundRequest) -> serde_json::Value {
    json!({"refundkit_idempotency_key": request.idempotency_key().to_string()})
}
