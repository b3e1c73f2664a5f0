//! Answers that could turn a refund that exists into a plain failure, or
//! carry a secret into a message: the transport's rules against them.

use httpmock::prelude::*;
use refundkit_core::transport::{
    ApiRequest, BaseUrl, ErrorClassifier, ErrorResponse, Operation, RetryPolicy, Transport,
    TransportConfig, MAX_PROVIDER_MESSAGE_CHARS,
};
use refundkit_core::{ErrorKind, IdempotencyKey, ProviderError, RefundError, SecretString};

/// A neutral provider name: core names no real provider.
const ACME: refundkit_core::ProviderId = refundkit_core::ProviderId::from_static("acme");

const SECRET: &str = "sk_live_HOSTILE_0123456789";

/// Documented errors are JSON objects with a `code`; the message and the
/// request id are taken from the answer as they are, echoes included.
#[derive(Debug)]
struct Careless;

impl ErrorClassifier for Careless {
    fn classify(&self, _operation: Operation, response: &ErrorResponse) -> ProviderError {
        let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap_or_default();
        let kind = match response.status {
            500..=599 => ErrorKind::ProviderUnavailable,
            _ => ErrorKind::InvalidRequest,
        };
        let message = body["message"].as_str().unwrap_or("no message").to_string();
        let mut error = ProviderError::new(ACME, kind, response.status, message);
        error.request_id = response
            .headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        error
    }

    fn is_documented(&self, response: &ErrorResponse) -> bool {
        serde_json::from_slice::<serde_json::Value>(&response.body)
            .is_ok_and(|body| body["code"].is_string())
    }
}

fn transport() -> Transport {
    let config = TransportConfig::default()
        .with_retry(RetryPolicy::never())
        .with_max_response_bytes(1024);
    let transport = Transport::new(ACME, config, Careless).unwrap();
    transport.secrets().add(&SecretString::from(SECRET));
    transport
}

fn create(server: &MockServer, key: &IdempotencyKey) -> ApiRequest {
    let base = BaseUrl::parse("TEST_BASE_URL", &server.base_url()).unwrap();
    ApiRequest::post_json(
        Operation::CreateRefund,
        base.join(&["v1", "refunds"]),
        &serde_json::json!({"amount": 1001}),
    )
    .unwrap()
    .idempotency_key("idempotency-key", key)
}

async fn answer_create(status: u16, body: Vec<u8>) -> (RefundError, IdempotencyKey) {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(status).body(body);
        })
        .await;
    let key = IdempotencyKey::new();
    let error = transport()
        .call(
            &create(&server, &key),
            None,
            |value: serde_json::Value, _| Ok(value),
        )
        .await
        .unwrap_err();
    (error, key)
}

#[tokio::test]
async fn an_oversized_answer_to_a_create_is_outcome_unknown_on_any_status() {
    let documented_but_huge =
        serde_json::json!({"code": "invalid", "message": "x".repeat(4096)}).to_string();
    for (status, body) in [
        (200, vec![b' '; 4096]),
        (503, vec![b'x'; 4096]),
        (400, documented_but_huge.into_bytes()),
    ] {
        let (error, key) = answer_create(status, body).await;
        assert_eq!(
            error.idempotency_key(),
            Some(&key),
            "HTTP {status}: {error:?}"
        );
        assert_eq!(error.code(), "outcome_unknown");
    }
}

#[tokio::test]
async fn an_undocumented_4xx_or_a_3xx_answer_to_a_create_is_outcome_unknown() {
    for (status, body) in [(400, "<html>proxy</html>"), (404, ""), (302, "moved")] {
        let (error, key) = answer_create(status, body.into()).await;
        assert_eq!(
            error.idempotency_key(),
            Some(&key),
            "HTTP {status}: {error:?}"
        );
    }
}

#[tokio::test]
async fn a_documented_refusal_of_a_create_stays_a_plain_provider_error() {
    let body = serde_json::json!({"code": "amount_too_large", "message": "too large"});
    let (error, _) = answer_create(400, body.to_string().into_bytes()).await;
    assert!(matches!(error, RefundError::Provider(_)), "{error:?}");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn long_provider_messages_are_cut_after_scrubbing() {
    // The secret straddles the cut: cutting first would leave its prefix.
    let message = format!("{}{SECRET}{}", "x".repeat(490), "y".repeat(300));
    let body = serde_json::json!({"code": "invalid", "message": message});
    let (error, _) = answer_create(400, body.to_string().into_bytes()).await;
    let RefundError::Provider(provider) = &error else {
        panic!("expected a provider error, got {error:?}");
    };
    assert_eq!(
        provider.message.chars().count(),
        MAX_PROVIDER_MESSAGE_CHARS + 1
    );
    assert!(provider.message.ends_with('…'));
    assert!(
        !provider.message.contains("sk_live"),
        "{}",
        provider.message
    );
}

#[tokio::test]
async fn a_secret_in_the_request_id_header_or_the_message_is_scrubbed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(400)
                .header("request-id", format!("req_{SECRET}"))
                .json_body(
                    serde_json::json!({"code": "invalid", "message": format!("bad key {SECRET}")}),
                );
        })
        .await;
    let error = transport()
        .call(
            &create(&server, &IdempotencyKey::new()),
            None,
            |value: serde_json::Value, _| Ok(value),
        )
        .await
        .unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("req_[REDACTED]"), "{shown}");
}

#[tokio::test]
async fn a_secret_echoed_in_a_successful_answer_is_masked_in_the_value() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/re_1");
            then.status(200)
                .json_body(serde_json::json!({"id": "re_1", "description": SECRET}));
        })
        .await;
    let base = BaseUrl::parse("TEST_BASE_URL", &server.base_url()).unwrap();
    let read = ApiRequest::get(Operation::GetRefund, base.join(&["v1", "refunds", "re_1"]));
    let value = transport()
        .call(&read, None, |value: serde_json::Value, _| Ok(value))
        .await
        .unwrap();
    assert_eq!(value["description"], "[REDACTED]");
}
