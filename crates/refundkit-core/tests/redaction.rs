//! Secrets never reach Debug output, error messages or tracing output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use http::HeaderMap;
use httpmock::prelude::*;
use refundkit_core::transport::{
    insert_secret, ApiRequest, Authenticator, BaseUrl, CredentialGeneration, ErrorClassifier,
    ErrorResponse, Operation, RetryPolicy, Transport, TransportConfig,
};
use refundkit_core::{ErrorKind, IdempotencyKey, ProviderError, RefundError, SecretString};

/// A neutral provider name: core names no real provider.
const ACME: refundkit_core::ProviderId = refundkit_core::ProviderId::from_static("acme");

const TOKEN: &str = "tok-SECRET-0123456789";

#[derive(Debug)]
struct EchoClassifier;

impl ErrorClassifier for EchoClassifier {
    fn classify(&self, _operation: Operation, response: &ErrorResponse) -> ProviderError {
        // Echo the body into the message, as careless providers do.
        ProviderError::new(
            ACME,
            ErrorKind::Authentication,
            response.status,
            String::from_utf8_lossy(&response.body),
        )
    }
}

#[derive(Debug)]
struct StaticToken(SecretString);

#[async_trait]
impl Authenticator for StaticToken {
    async fn authorize(
        &self,
        headers: &mut HeaderMap,
    ) -> Result<CredentialGeneration, RefundError> {
        let value = SecretString::from(format!(
            "Bearer {}",
            secrecy::ExposeSecret::expose_secret(&self.0)
        ));
        insert_secret(headers, "x-auth-token", &value)?;
        Ok(CredentialGeneration(1))
    }

    async fn refresh_after_rejection(
        &self,
        _error: &ProviderError,
        _generation: CredentialGeneration,
    ) -> bool {
        false
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn a_token_echoed_by_the_provider_is_scrubbed_from_errors_and_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v2/payment/refunds")
                .header("x-auth-token", format!("Bearer {TOKEN}"));
            then.status(401)
                .body(format!("token Bearer {TOKEN} has been revoked ({TOKEN})"));
        })
        .await;
    let transport = Transport::new(
        ACME,
        TransportConfig::default().with_retry(RetryPolicy::never()),
        EchoClassifier,
    )
    .unwrap();
    let base = BaseUrl::parse("ACME_BASE_URL", &server.base_url()).unwrap();
    let request = ApiRequest::post_json(
        Operation::CreateRefund,
        base.join(&["v2", "payment", "refunds"]),
        &serde_json::json!({"amount": "10.01"}),
    )
    .unwrap()
    .idempotency_key("x-idempotency-key", &IdempotencyKey::new());
    let auth = StaticToken(SecretString::from(TOKEN));

    let error = transport.send(&request, Some(&auth)).await.unwrap_err();

    let shown = format!("{error} {error:?}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
    let logs = captured.text();
    assert!(logs.contains("refundkit.http"), "no span in logs: {logs}");
    assert!(!logs.contains(TOKEN), "token in logs: {logs}");
    assert!(!format!("{auth:?} {transport:?} {request:?}").contains(TOKEN));
}

#[test]
fn secrets_debug_as_redacted() {
    let secret = SecretString::from("sk_live_abcdef");
    assert!(!format!("{secret:?}").contains("abcdef"));
}
