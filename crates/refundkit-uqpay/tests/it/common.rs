//! Shared fixtures: a client pointed at a mock server, token and refund mocks.

use std::time::Duration;

use httpmock::{Mock, MockServer};
use refundkit_core::{IdempotencyKey, Money, RefundAmount, RefundReason, RefundRequest};
use refundkit_uqpay::{RetryPolicy, SecretString, TransportConfig, UqPayClient, UqPayConfig};
use serde_json::{json, Value};

pub const CLIENT_ID: &str = "client-uq-7d1f";
pub const API_KEY: &str = "apikey-SECRET-6c2b9e41";
pub const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.TOKEN-ONE.sig1";
pub const SECOND_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.TOKEN-TWO.sig2";
pub const TOKEN_PATH: &str = "/api/v1/connect/token";
pub const REFUNDS_PATH: &str = "/api/v2/payment/refunds";
/// The payment intent that [`partial`] refunds.
pub const PAYMENT_ID: &str = "PI2043628825316691968";
pub const UUID_PATTERN: &str =
    "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

pub const SEED_CREATE_REQUEST: &str =
    include_str!("../../../../tests/fixtures/seeds/uqpay_create_request.json");
pub const SEED_CREATE_RESPONSE: &str =
    include_str!("../../../../tests/fixtures/seeds/uqpay_create_response.json");
pub const SEED_RETRIEVE_RESPONSE: &str =
    include_str!("../../../../tests/fixtures/seeds/uqpay_retrieve_response.json");
pub const WEBHOOK_VECTORS: &str = include_str!("../../../../tests/fixtures/webhooks.json");

/// Three attempts with millisecond backoffs: retries happen, the suite stays fast.
pub fn fast_transport() -> TransportConfig {
    TransportConfig::default()
        .with_timeout(Duration::from_secs(5))
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20))
                .with_max_elapsed(Duration::from_secs(5)),
        )
}

pub fn config_builder(server: &MockServer) -> refundkit_uqpay::UqPayConfigBuilder {
    UqPayConfig::builder(CLIENT_ID, SecretString::from(API_KEY))
        .base_url(&server.url("/api"))
        .transport(fast_transport())
}

pub fn client(server: &MockServer) -> UqPayClient {
    UqPayClient::new(config_builder(server).build().unwrap()).unwrap()
}

pub fn unix_in(seconds: i64) -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() + seconds
}

/// The token endpoint, asserted: POST, `x-client-id`, `x-api-key`, and no
/// bearer or sub-account header. `times` limits how often it answers.
pub async fn token_mock<'a>(
    server: &'a MockServer,
    token: &str,
    expired_at: i64,
    times: Option<usize>,
) -> Mock<'a> {
    let body = json!({ "auth_token": token, "expired_at": expired_at });
    server
        .mock_async(|when, then| {
            when.method("POST")
                .path(TOKEN_PATH)
                .header("x-client-id", CLIENT_ID)
                .header("x-api-key", API_KEY)
                .header_missing("x-auth-token")
                .header_missing("x-on-behalf-of");
            let then = then.status(200).json_body(body);
            if let Some(times) = times {
                then.up_to_n_times(times);
            }
        })
        .await
}

/// A long-lived token mint.
pub async fn token_ok(server: &MockServer) -> Mock<'_> {
    token_mock(server, TOKEN, unix_in(1800), None).await
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

pub fn refund_json(id: &str, amount: &str, currency: &str, status: &str) -> Value {
    json!({
        "payment_refund_id": id,
        "payment_attempt_id": "PA2043628825429938176",
        "amount": amount,
        "currency": currency,
        "refund_status": status,
        "create_time": "2026-04-13T17:57:42+08:00",
        "update_time": "2026-04-13T17:57:42+08:00",
        "reason": "requested_by_customer",
        "metadata": {}
    })
}

/// A payment intent as `GET /v2/payment_intents/{id}` returns it.
pub fn intent_json(
    payment_id: &str,
    currency: &str,
    captured: &str,
    refunded: Option<&str>,
    status: &str,
) -> Value {
    json!({
        "payment_intent_id": payment_id,
        "amount": captured,
        "currency": currency,
        "intent_status": status,
        "captured_amount": captured,
        "merchant_order_id": "order-1",
        "latest_payment_attempt": {
            "attempt_id": "PA2043628825429938176",
            "amount": captured,
            "captured_amount": captured,
            "refunded_amount": refunded
        }
    })
}

/// The payment-intent read of a master-account refund, asserted: GET,
/// `x-auth-token: Bearer TOKEN`, `x-client-id`, no `x-on-behalf-of`.
pub async fn intent_mock<'a>(
    server: &'a MockServer,
    payment_id: &str,
    currency: &str,
    captured: &str,
    refunded: Option<&str>,
    status: &str,
) -> Mock<'a> {
    let body = intent_json(payment_id, currency, captured, refunded, status);
    server
        .mock_async(|when, then| {
            when.method("GET")
                .path(format!("/api/v2/payment_intents/{payment_id}"))
                .header("x-auth-token", bearer(TOKEN))
                .header("x-client-id", CLIENT_ID)
                .header_missing("x-on-behalf-of")
                .header_missing("x-idempotency-key");
            then.status(200).json_body(body);
        })
        .await
}

/// A settled USD intent of 100.00 with nothing refunded yet.
pub async fn usd_intent<'a>(server: &'a MockServer, payment_id: &str) -> Mock<'a> {
    intent_mock(server, payment_id, "USD", "100.00", None, "SUCCEEDED").await
}

pub fn money(amount: &str, currency: &str) -> Money {
    Money::parse(amount, currency).unwrap()
}

pub fn partial(amount: &str, currency: &str) -> RefundRequest {
    RefundRequest::builder(
        PAYMENT_ID,
        RefundAmount::Partial(money(amount, currency)),
        RefundReason::RequestedByCustomer,
    )
    .idempotency_key(IdempotencyKey::new())
    .build()
    .unwrap()
}

/// Answers any request not matched by an earlier mock; count its calls to
/// prove nothing (else) was sent.
pub async fn catch_all(server: &MockServer) -> Mock<'_> {
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(599).body("unexpected request");
        })
        .await
}
