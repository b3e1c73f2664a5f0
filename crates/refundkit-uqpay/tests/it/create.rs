//! Creating refunds: exact requests, validation before sending, retries with
//! one key, outcome-unknown and integrity checks.

use httpmock::MockServer;
use refundkit_core::{
    ErrorKind, IdempotencyKey, RefundAmount, RefundError, RefundReason, RefundRequest, RefundStatus,
};
use refundkit_uqpay::RefundProvider;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn seed_create_request_and_response_round_trip_byte_for_byte() {
    let server = MockServer::start_async().await;
    let token = token_ok(&server).await;
    let intent = usd_intent(&server, "PI1234567890123456789").await;
    let key = IdempotencyKey::new();
    let mut seed_request: Value = serde_json::from_str(SEED_CREATE_REQUEST).unwrap();
    // The seed plus refundkit's key stamp, which finds the refund by its key later.
    seed_request["metadata"]["refundkit_idempotency_key"] = json!(key.to_string());
    seed_request["metadata"]["refundkit_payment_id"] = json!("PI1234567890123456789");
    let create = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(REFUNDS_PATH)
                .header("x-auth-token", bearer(TOKEN))
                .header("x-client-id", CLIENT_ID)
                .header("x-idempotency-key", key.to_string())
                .header_matches("^x-idempotency-key$", UUID_PATTERN)
                .header("content-type", "application/json")
                .header_missing("x-on-behalf-of")
                .json_body(seed_request);
            then.status(200)
                .header("content-type", "application/json")
                .body(SEED_CREATE_RESPONSE);
        })
        .await;
    let request = RefundRequest::builder(
        "PI1234567890123456789",
        RefundAmount::Partial(money("10.01", "USD")),
        RefundReason::RequestedByCustomer,
    )
    .description("Return good")
    .provider_options(
        refundkit_uqpay::UqPayOptions::new().payment_attempt_id("PA1234567890123456789"),
    )
    .metadata("customer_id", "cust_12345")
    .metadata("order_id", "order_6789")
    .idempotency_key(key)
    .build()
    .unwrap();

    let refund = client(&server).create_refund(&request).await.unwrap();

    intent.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    token.assert_calls_async(1).await;
    assert_eq!(refund.id.as_str(), "RF123456789");
    assert_eq!(refund.refund_ref().to_string(), "uqpay:RF123456789");
    assert_eq!(refund.payment_id.as_deref(), Some("PI1234567890123456789"));
    assert_eq!(refund.amount, money("10.01", "USD"));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(
        refund.reason,
        Some(RefundReason::Other("Order 1234 has been returned".into()))
    );
    assert_eq!(refund.metadata["order_id"], "order_6789");
    assert_eq!(refund.created_at.unwrap().unix_timestamp(), 1_709_222_400);
    assert_eq!(
        serde_json::from_str::<Value>(refund.raw.get()).unwrap(),
        serde_json::from_str::<Value>(SEED_CREATE_RESPONSE).unwrap()
    );
}

#[tokio::test]
async fn jpy_and_kwd_partial_refunds_send_exact_major_unit_strings() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    for (amount, currency) in [("1000", "JPY"), ("1.005", "KWD")] {
        // One payment id with two currencies is a test fixture, not a real
        // payment: a fresh client so no remembered currency carries over.
        let client = client(&server);
        let request = partial(amount, currency);
        let intent = intent_mock(&server, PAYMENT_ID, currency, "5000", None, "SUCCEEDED").await;
        let create = server
            .mock_async(|when, then| {
                when.method("POST").path(REFUNDS_PATH).json_body(json!({
                    "payment_intent_id": PAYMENT_ID,
                    "amount": amount,
                    "reason": "requested_by_customer",
                    "metadata": {
                        "refundkit_idempotency_key": request.idempotency_key().to_string(),
                        "refundkit_payment_id": PAYMENT_ID
                    }
                }));
                then.status(200)
                    .json_body(refund_json("RF1", amount, currency, "INITIATED"));
            })
            .await;
        let refund = client.create_refund(&request).await.unwrap();
        create.assert_calls_async(1).await;
        assert_eq!(refund.amount.to_major_string(), amount);
        assert_eq!(refund.status, RefundStatus::Pending);
        intent.assert_calls_async(1).await;
        intent.delete_async().await;
    }
}

#[tokio::test]
async fn invalid_requests_are_rejected_before_any_request_is_sent() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let client = client(&server);

    // 10.001 USD cannot even be expressed: Money refuses the third digit.
    assert!(refundkit_core::Money::parse("10.001", "USD").is_err());

    let too_long_reason = RefundRequest::builder(
        "PI1",
        RefundAmount::Partial(money("10.00", "USD")),
        RefundReason::Other("r".repeat(101)),
    )
    .build()
    .unwrap();
    let too_long_payment =
        RefundRequest::builder("P".repeat(37), RefundAmount::Full, RefundReason::Duplicate)
            .build()
            .unwrap();
    let big_metadata = RefundRequest::builder("PI1", RefundAmount::Full, RefundReason::Duplicate)
        .metadata("notes", "n".repeat(600))
        .build()
        .unwrap();
    let bad_sub_account =
        RefundRequest::builder("PI1", RefundAmount::Full, RefundReason::Duplicate)
            .provider_options(refundkit_uqpay::UqPayOptions::new().on_behalf_of("sub-account-7"))
            .build()
            .unwrap();
    for (request, field) in [
        (too_long_reason, "reason"),
        (too_long_payment, "payment_id"),
        (big_metadata, "metadata"),
        (bad_sub_account, "on_behalf_of"),
    ] {
        match client.create_refund(&request).await {
            Err(RefundError::Invalid(error)) => assert_eq!(error.field(), field),
            other => panic!("{field}: expected a validation error, got {other:?}"),
        }
    }
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn sub_account_header_is_sent_on_create_from_config_or_request() {
    const CONFIGURED: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    const OWN: &str = "6ba7b810-9dad-41d1-80b4-00c04fd430c8";
    let server = MockServer::start_async().await;
    let token = token_ok(&server).await;
    let mut intents = Vec::new();
    let mut mocks = Vec::new();
    for account in [CONFIGURED, OWN] {
        // The intent is read as the sub-account too: UQPay isolates its data.
        intents.push(
            server
                .mock_async(|when, then| {
                    when.method("GET")
                        .path(format!("/api/v2/payment_intents/{PAYMENT_ID}"))
                        .header("x-on-behalf-of", account);
                    then.status(200).json_body(intent_json(
                        PAYMENT_ID,
                        "USD",
                        "100.00",
                        None,
                        "SUCCEEDED",
                    ));
                })
                .await,
        );
        mocks.push(
            server
                .mock_async(|when, then| {
                    when.method("POST")
                        .path(REFUNDS_PATH)
                        .header("x-on-behalf-of", account);
                    then.status(200)
                        .json_body(refund_json("RF1", "5", "USD", "INITIATED"));
                })
                .await,
        );
    }
    let config = config_builder(&server)
        .on_behalf_of(CONFIGURED)
        .build()
        .unwrap();
    let client = refundkit_uqpay::UqPayClient::new(config).unwrap();

    client.create_refund(&partial("5", "USD")).await.unwrap();
    let own = RefundRequest::builder(
        PAYMENT_ID,
        RefundAmount::Partial(money("5", "USD")),
        RefundReason::Duplicate,
    )
    .provider_options(refundkit_uqpay::UqPayOptions::new().on_behalf_of(OWN))
    .build()
    .unwrap();
    client.create_refund(&own).await.unwrap();

    mocks[0].assert_calls_async(1).await;
    mocks[1].assert_calls_async(1).await;
    intents[0].assert_calls_async(1).await;
    intents[1].assert_calls_async(1).await;
    token.assert_calls_async(1).await;
}

#[tokio::test]
async fn retries_after_server_errors_carry_the_same_idempotency_key() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let intent = usd_intent(&server, PAYMENT_ID).await;
    let request = partial("10.01", "USD");
    let key = request.idempotency_key().to_string();
    let failing = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(REFUNDS_PATH)
                .header("x-idempotency-key", key.clone());
            then.status(500)
                .json_body(json!({"type": "api_error", "code": "api_error", "message": "internal"}))
                .up_to_n_times(2);
        })
        .await;
    let succeeding = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(REFUNDS_PATH)
                .header("x-idempotency-key", key.clone());
            then.status(200)
                .json_body(refund_json("RF1", "10.01", "USD", "INITIATED"));
        })
        .await;

    let refund = client(&server).create_refund(&request).await.unwrap();

    intent.assert_calls_async(1).await; // read once, before the create's retries
    failing.assert_calls_async(2).await;
    succeeding.assert_calls_async(1).await;
    assert_eq!(refund.id.as_str(), "RF1");
}

#[tokio::test]
async fn request_in_progress_is_retried_with_the_same_key() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    usd_intent(&server, PAYMENT_ID).await;
    let request = partial("3", "USD");
    let key = request.idempotency_key().to_string();
    let processing = server
        .mock_async(|when, then| {
            when.path(REFUNDS_PATH).header("x-idempotency-key", key.clone());
            then.status(400)
                .json_body(json!({"code": 200, "message": "Request is processing, please try again later"}))
                .up_to_n_times(1);
        })
        .await;
    let done = server
        .mock_async(|when, then| {
            when.path(REFUNDS_PATH)
                .header("x-idempotency-key", key.clone());
            then.status(200)
                .json_body(refund_json("RF1", "3", "USD", "INITIATED"));
        })
        .await;

    client(&server).create_refund(&request).await.unwrap();

    processing.assert_calls_async(1).await;
    done.assert_calls_async(1).await;
}

#[tokio::test]
async fn create_that_keeps_failing_after_delivery_is_outcome_unknown() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    usd_intent(&server, PAYMENT_ID).await;
    let create = server
        .mock_async(|when, then| {
            when.path(REFUNDS_PATH);
            then.status(503).body("<html>maintenance</html>");
        })
        .await;
    let request = partial("1", "USD");

    let error = client(&server).create_refund(&request).await.unwrap_err();

    create.assert_calls_async(3).await;
    assert!(
        matches!(error, RefundError::OutcomeUnknown { .. }),
        "{error}"
    );
    assert_eq!(error.idempotency_key(), Some(request.idempotency_key()));
    assert_eq!(error.kind(), Some(ErrorKind::ProviderUnavailable));
}

#[tokio::test]
async fn unreadable_success_answer_to_a_create_is_outcome_unknown() {
    for body in [
        "<html>ok</html>".to_string(),
        json!({"payment_refund_id": "RF1", "amount": 10.01, "currency": "USD", "refund_status": "SUCCEEDED"}).to_string(),
        json!({"payment_refund_id": "RF1", "amount": "10.015", "currency": "USD", "refund_status": "SUCCEEDED"}).to_string(),
    ] {
        let server = MockServer::start_async().await;
        token_ok(&server).await;
        usd_intent(&server, PAYMENT_ID).await;
        let create = server
            .mock_async(|when, then| {
                when.path(REFUNDS_PATH);
                then.status(200).body(body.clone());
            })
            .await;
        let request = partial("10.01", "USD");
        let error = client(&server).create_refund(&request).await.unwrap_err();
        create.assert_calls_async(1).await;
        assert!(matches!(error, RefundError::OutcomeUnknown { .. }), "{body}: {error}");
        assert_eq!(error.idempotency_key(), Some(request.idempotency_key()));
    }
}

#[tokio::test]
async fn echoed_amount_or_currency_that_differs_is_an_integrity_mismatch() {
    for (amount, currency, field) in [("10.01", "SGD", "currency"), ("100.1", "USD", "amount")] {
        let server = MockServer::start_async().await;
        token_ok(&server).await;
        // The intent is in USD, so the request passes the currency check;
        // the echo check catches what UQPay actually did.
        usd_intent(&server, PAYMENT_ID).await;
        server
            .mock_async(|when, then| {
                when.path(REFUNDS_PATH);
                then.status(200)
                    .json_body(refund_json("RF9", amount, currency, "SUCCEEDED"));
            })
            .await;
        let error = client(&server)
            .create_refund(&partial("10.01", "USD"))
            .await
            .unwrap_err();
        match error {
            RefundError::IntegrityMismatch {
                field: got, refund, ..
            } => {
                assert_eq!(got, field);
                assert_eq!(refund.id.as_str(), "RF9");
            }
            other => panic!("expected an integrity mismatch, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn definitive_refusals_of_a_create_are_not_retried() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    usd_intent(&server, PAYMENT_ID).await;
    let create = server
        .mock_async(|when, then| {
            when.path(REFUNDS_PATH);
            then.status(400).json_body(json!({
                "type": "refund_error",
                "code": "refund_amount_exceeds_available",
                "message": "Refund amount exceeds the refundable amount"
            }));
        })
        .await;
    let error = client(&server)
        .create_refund(&partial("99", "USD"))
        .await
        .unwrap_err();
    create.assert_calls_async(1).await;
    assert_eq!(error.kind(), Some(ErrorKind::RefundExceedsAvailable));
    assert!(!error.is_retryable());
    assert!(matches!(error, RefundError::Provider(_)));
}
