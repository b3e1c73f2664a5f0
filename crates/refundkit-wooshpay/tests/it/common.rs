//! Shared fixtures: a client pointed at a mock server, refund and error
//! bodies, requests, and every form of the credentials a test must not see.

use std::time::Duration;

use base64::Engine as _;
use httpmock::MockServer;
use refundkit_core::transport::{RetryPolicy, TransportConfig};
use refundkit_core::{
    IdempotencyKey, Money, RefundAmount, RefundId, RefundReason, RefundRequest, SecretString,
};
use refundkit_wooshpay::{WooshPayClient, WooshPayConfig};
use serde_json::{json, Value};

/// A test-mode secret key.
pub const KEY: &str = "sk_test_51WooshKeyForRefundkitTests0001";
/// A webhook endpoint secret.
pub const WEBHOOK_SECRET: &str = "whsec_refundkitTestSecret0001";
/// The payment every test refunds.
pub const PAYMENT: &str = "pi_1787730829493927936";
/// The refund id every test answers with.
pub const REFUND: &str = "re_1787730829493927937";

/// The base64 of `KEY:`, without the `Basic ` scheme, computed
/// independently of the client.
pub fn encoded_key() -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
}

/// `Basic ` + base64 of `KEY:`, computed independently of the client.
pub fn basic_auth() -> String {
    format!("Basic {}", encoded_key())
}

/// Every form of a credential that must never be printed: the secret key,
/// its base64 part, its Basic value and the webhook secret.
pub fn secrets() -> Vec<String> {
    vec![
        KEY.to_string(),
        encoded_key(),
        basic_auth(),
        WEBHOOK_SECRET.to_string(),
    ]
}

/// Fails when any form of a credential appears in `text`.
pub fn assert_no_secret(text: &str) {
    for secret in secrets() {
        assert!(
            !text.contains(&secret),
            "secret {secret:?} leaked in:\n{text}"
        );
    }
}

/// [`REFUND`] as an id.
pub fn refund_id() -> RefundId {
    RefundId::new(REFUND).unwrap()
}

/// Three attempts with millisecond backoffs, so retry tests take no time.
pub fn fast_transport() -> TransportConfig {
    TransportConfig::default()
        .with_timeout(Duration::from_secs(5))
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(2))
                .with_max_backoff(Duration::from_millis(10))
                .with_max_elapsed(Duration::from_secs(5)),
        )
}

/// One attempt, for classification tests.
pub fn single_attempt() -> TransportConfig {
    TransportConfig::default()
        .with_timeout(Duration::from_secs(5))
        .with_retry(RetryPolicy::never())
}

/// A client talking to `server` with a test key and a webhook secret.
pub fn client(server: &MockServer) -> WooshPayClient {
    client_with(server, fast_transport())
}

/// [`client`] with other transport settings.
pub fn client_with(server: &MockServer, transport: TransportConfig) -> WooshPayClient {
    let config = WooshPayConfig::builder(SecretString::from(KEY))
        .base_url(&server.base_url())
        .webhook_secret(SecretString::from(WEBHOOK_SECRET))
        .transport(transport)
        .build()
        .unwrap();
    WooshPayClient::new(config).unwrap()
}

/// A Refund object as WooshPay answers it.
pub fn refund_json(amount: i64, currency: &str, status: &str) -> Value {
    json!({
        "id": REFUND,
        "object": "refund",
        "amount": amount,
        "created": 1776074262,
        "currency": currency,
        "metadata": {"order_id": "order_6789"},
        "payment_intent": PAYMENT,
        "reason": "requested_by_customer",
        "status": status,
        "description": null,
        "failure_reason": null
    })
}

/// A Stripe-shaped error body.
pub fn error_json(error_type: &str, code: &str, message: &str) -> Value {
    json!({"error": {"type": error_type, "code": code, "message": message}})
}

/// `amount` of `currency` to refund.
pub fn partial(amount: &str, currency: &str) -> RefundAmount {
    RefundAmount::Partial(Money::parse(amount, currency).unwrap())
}

/// A request for `amount` of [`PAYMENT`] with a derived key.
pub fn request(amount: RefundAmount, reason: RefundReason) -> RefundRequest {
    RefundRequest::builder(PAYMENT, amount, reason)
        .idempotency_key(IdempotencyKey::derive("refundkit-tests", "order-6789/refund-1").unwrap())
        .build()
        .unwrap()
}
