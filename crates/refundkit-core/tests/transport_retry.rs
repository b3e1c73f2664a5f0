//! The retry loop against a local mock server: what is retried, with which
//! key, how long it waits, and when a create's outcome becomes unknown.

use std::time::{Duration, Instant};

use httpmock::prelude::*;
use refundkit_core::transport::{
    ApiRequest, BaseUrl, ErrorClassifier, ErrorResponse, Operation, RetryPolicy, Transport,
    TransportConfig,
};
use refundkit_core::{ErrorKind, IdempotencyKey, ProviderError, RefundError};

/// A neutral provider name: core names no real provider.
const ACME: refundkit_core::ProviderId = refundkit_core::ProviderId::from_static("acme");

/// Classifies by status only, like the simplest provider.
#[derive(Debug)]
struct ByStatus;

impl ErrorClassifier for ByStatus {
    fn classify(&self, _operation: Operation, response: &ErrorResponse) -> ProviderError {
        let kind = match response.status {
            429 => ErrorKind::RateLimited,
            409 if response.body.starts_with(b"{\"conflict") => ErrorKind::IdempotencyConflict,
            409 => ErrorKind::RequestInProgress,
            401 => ErrorKind::Authentication,
            404 => ErrorKind::NotFound,
            500..=599 => ErrorKind::ProviderUnavailable,
            _ => ErrorKind::InvalidRequest,
        };
        ProviderError::new(
            ACME,
            kind,
            response.status,
            String::from_utf8_lossy(&response.body),
        )
    }

    /// This provider's documented error bodies are JSON objects.
    fn is_documented(&self, response: &ErrorResponse) -> bool {
        response.body.starts_with(b"{")
    }
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(40))
}

fn transport(config: TransportConfig) -> Transport {
    Transport::new(ACME, config, ByStatus).unwrap()
}

fn fast_transport() -> Transport {
    transport(TransportConfig::default().with_retry(fast_policy()))
}

fn create(base: &str, key: &IdempotencyKey) -> ApiRequest {
    let base = BaseUrl::parse("TEST_BASE_URL", base).unwrap();
    ApiRequest::post_json(
        Operation::CreateRefund,
        base.join(&["v1", "refunds"]),
        &serde_json::json!({"payment_intent": "pi_1", "amount": 1001}),
    )
    .unwrap()
    .idempotency_key("idempotency-key", key)
}

#[tokio::test]
async fn server_error_then_success_sends_the_same_key_twice() {
    let server = MockServer::start_async().await;
    let key = IdempotencyKey::new();
    let failing = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/refunds")
                .header("idempotency-key", key.to_string());
            then.status(503).body("busy");
        })
        .await;
    failing.up_to_n_times_async(1).await;
    let succeeding = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1/refunds")
                .header("idempotency-key", key.to_string())
                .json_body(serde_json::json!({"payment_intent": "pi_1", "amount": 1001}));
            then.status(200)
                .json_body(serde_json::json!({"id": "re_1"}));
        })
        .await;

    let response = fast_transport()
        .send(&create(&server.base_url(), &key), None)
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    failing.assert_calls_async(1).await;
    succeeding.assert_calls_async(1).await;
}

#[tokio::test]
async fn client_error_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(400).body(r#"{"error":{"message":"bad"}}"#);
        })
        .await;

    let error = fast_transport()
        .send(&create(&server.base_url(), &IdempotencyKey::new()), None)
        .await
        .unwrap_err();

    assert_eq!(error.kind(), Some(ErrorKind::InvalidRequest));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn rate_limit_waits_at_least_retry_after() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(429)
                .header("Retry-After", "1")
                .body("slow down");
        })
        .await;
    limited.up_to_n_times_async(1).await;
    let ok = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(200).body("{}");
        })
        .await;

    let started = Instant::now();
    fast_transport()
        .send(&create(&server.base_url(), &IdempotencyKey::new()), None)
        .await
        .unwrap();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn create_timeout_becomes_outcome_unknown_with_the_key() {
    let server = MockServer::start_async().await;
    let slow = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(200)
                .body("{}")
                .delay(Duration::from_millis(400));
        })
        .await;
    let key = IdempotencyKey::new();
    let config = TransportConfig::default()
        .with_timeout(Duration::from_millis(100))
        .with_retry(fast_policy().with_max_attempts(2));

    let error = transport(config)
        .send(&create(&server.base_url(), &key), None)
        .await
        .unwrap_err();

    match &error {
        RefundError::OutcomeUnknown {
            idempotency_key,
            source,
            ..
        } => {
            assert_eq!(idempotency_key, &key);
            assert!(
                matches!(**source, RefundError::Timeout { .. }),
                "{source:?}"
            );
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert_eq!(error.idempotency_key(), Some(&key));
    slow.assert_calls_async(2).await;
}

#[tokio::test]
async fn server_errors_until_the_end_make_a_create_outcome_unknown() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(502);
        })
        .await;

    let error = fast_transport()
        .send(&create(&server.base_url(), &IdempotencyKey::new()), None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, RefundError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    mock.assert_calls_async(4).await;
}

#[tokio::test]
async fn server_errors_on_a_read_stay_plain_errors() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/re_1");
            then.status(500);
        })
        .await;
    let base = BaseUrl::parse("TEST_BASE_URL", &server.base_url()).unwrap();
    let read = ApiRequest::get(Operation::GetRefund, base.join(&["v1", "refunds", "re_1"]));

    let error = fast_transport().send(&read, None).await.unwrap_err();

    assert_eq!(error.kind(), Some(ErrorKind::ProviderUnavailable));
}

fn free_port() -> u16 {
    // Bind then drop a listener: nothing listens on that port any more.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn connection_refused_is_a_plain_error_never_outcome_unknown() {
    let port = free_port();
    let config = TransportConfig::default().with_retry(fast_policy().with_max_attempts(3));

    let error = transport(config)
        .send(
            &create(&format!("http://127.0.0.1:{port}"), &IdempotencyKey::new()),
            None,
        )
        .await
        .unwrap_err();

    match error {
        RefundError::Transport {
            maybe_delivered, ..
        } => assert!(!maybe_delivered),
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[tokio::test]
async fn connection_refused_is_retried_until_the_server_is_up() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let port = free_port();
    // The server comes up 300 ms after the first attempt was refused.
    let server = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buffer = vec![0u8; 4096];
        let _ = socket.read(&mut buffer).await.unwrap();
        socket
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")
            .await
            .unwrap();
    });
    let policy = RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_millis(400))
        .with_max_attempts(20)
        .with_max_elapsed(Duration::from_secs(10));
    let base = BaseUrl::parse("TEST_BASE_URL", &format!("http://127.0.0.1:{port}")).unwrap();
    let read = ApiRequest::get(Operation::GetRefund, base.join(&["v1", "refunds", "re_1"]));

    let response = transport(TransportConfig::default().with_retry(policy))
        .send(&read, None)
        .await
        .unwrap();

    assert_eq!(response.status, 200);
    server.await.unwrap();
}

#[tokio::test]
async fn attempts_bound_is_respected() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/re_1");
            then.status(503);
        })
        .await;
    let base = BaseUrl::parse("TEST_BASE_URL", &server.base_url()).unwrap();
    let read = ApiRequest::get(Operation::GetRefund, base.join(&["v1", "refunds", "re_1"]));
    let config = TransportConfig::default().with_retry(fast_policy().with_max_attempts(3));

    transport(config).send(&read, None).await.unwrap_err();

    mock.assert_calls_async(3).await;
}

#[tokio::test]
async fn total_time_bound_stops_retries_early() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/re_1");
            then.status(429).header("Retry-After", "2");
        })
        .await;
    let base = BaseUrl::parse("TEST_BASE_URL", &server.base_url()).unwrap();
    let read = ApiRequest::get(Operation::GetRefund, base.join(&["v1", "refunds", "re_1"]));
    let policy = fast_policy()
        .with_max_attempts(10)
        .with_max_elapsed(Duration::from_secs(1));
    let started = Instant::now();

    let error = transport(TransportConfig::default().with_retry(policy))
        .send(&read, None)
        .await
        .unwrap_err();

    // Waiting 2 s would break the 1 s budget, so the first answer is final.
    assert_eq!(error.kind(), Some(ErrorKind::RateLimited));
    assert!(started.elapsed() < Duration::from_millis(900));
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/re_1");
            then.status(200).body(vec![b'x'; 2048]);
        })
        .await;
    let base = BaseUrl::parse("TEST_BASE_URL", &server.base_url()).unwrap();
    let read = ApiRequest::get(Operation::GetRefund, base.join(&["v1", "refunds", "re_1"]));
    let config = TransportConfig::default().with_max_response_bytes(1024);

    let error = transport(config).send(&read, None).await.unwrap_err();

    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn undecodable_success_of_a_create_is_outcome_unknown() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(200).body("<html>gateway</html>");
        })
        .await;
    let key = IdempotencyKey::new();

    let error = fast_transport()
        .call(
            &create(&server.base_url(), &key),
            None,
            |value: serde_json::Value, _| Ok(value),
        )
        .await
        .unwrap_err();

    assert_eq!(error.idempotency_key(), Some(&key), "{error:?}");
}

/// Hands out credentials once, then fails (a token endpoint gone down).
#[derive(Debug, Default)]
struct OneShotCredentials {
    calls: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl refundkit_core::transport::Authenticator for OneShotCredentials {
    async fn authorize(
        &self,
        _headers: &mut http::HeaderMap,
    ) -> Result<refundkit_core::transport::CredentialGeneration, RefundError> {
        match self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => Ok(refundkit_core::transport::CredentialGeneration(1)),
            _ => Err(RefundError::Config("token endpoint unreachable".into())),
        }
    }

    async fn refresh_after_rejection(
        &self,
        _error: &ProviderError,
        _generation: refundkit_core::transport::CredentialGeneration,
    ) -> bool {
        false
    }
}

#[tokio::test]
async fn credentials_failing_after_a_maybe_delivered_attempt_leave_the_outcome_unknown() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(503);
        })
        .await;
    let key = IdempotencyKey::new();
    let auth = OneShotCredentials::default();

    let error = fast_transport()
        .send(&create(&server.base_url(), &key), Some(&auth))
        .await
        .unwrap_err();

    assert_eq!(error.idempotency_key(), Some(&key), "{error:?}");
}

#[tokio::test]
async fn credentials_failing_before_anything_was_sent_stay_plain_errors() {
    let auth = OneShotCredentials::default();
    auth.calls.store(1, std::sync::atomic::Ordering::SeqCst);

    let error = fast_transport()
        .send(
            &create("http://127.0.0.1:9", &IdempotencyKey::new()),
            Some(&auth),
        )
        .await
        .unwrap_err();

    assert!(matches!(error, RefundError::Config(_)), "{error:?}");
}

/// A create whose first attempt may have been acted on (an undocumented
/// 503), answered on the retry with "this key was used for another
/// request": a refund may exist under the key, so the outcome is unknown.
/// On a first attempt, the same answer is the provider's refusal.
#[tokio::test]
async fn a_key_conflict_after_a_maybe_delivered_attempt_leaves_the_outcome_unknown() {
    let server = MockServer::start_async().await;
    let key = IdempotencyKey::new();
    let busy = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(503).body("busy");
        })
        .await;
    busy.up_to_n_times_async(1).await;
    let conflict = server
        .mock_async(|when, then| {
            when.method(POST).path("/v1/refunds");
            then.status(409).body(r#"{"conflict":"key used"}"#);
        })
        .await;

    let error = fast_transport()
        .send(&create(&server.base_url(), &key), None)
        .await
        .unwrap_err();

    assert!(
        matches!(error, RefundError::OutcomeUnknown { .. }),
        "{error:?}"
    );
    assert_eq!(error.idempotency_key(), Some(&key));
    conflict.assert_calls_async(1).await;

    let error = fast_transport()
        .send(&create(&server.base_url(), &IdempotencyKey::new()), None)
        .await
        .unwrap_err();
    match error {
        RefundError::Provider(refusal) => {
            assert_eq!(refusal.kind, ErrorKind::IdempotencyConflict)
        }
        other => panic!("expected the provider's refusal, got {other:?}"),
    }
}
