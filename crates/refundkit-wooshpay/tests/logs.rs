//! Everything written through `tracing` at TRACE level during create, get,
//! 401 and retry flows: no secret key, Basic value or webhook secret.
//!
//! Its own test binary with one test, so no other test's thread registers
//! callsites before the capturing subscriber exists.

#[allow(dead_code)]
#[path = "it/common.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use httpmock::prelude::*;
use refundkit_core::{RefundAmount, RefundProvider, RefundReason};
use serde_json::json;

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn trace_output_of_create_get_and_401_flows_shows_no_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // Thread-local, so the mock server's own logs (on its thread) are not
    // captured; the client's HTTP stack runs on this current-thread runtime.
    let _guard = tracing::subscriber::set_default(subscriber);

    let ok = MockServer::start_async().await;
    ok.mock_async(|when, then| {
        when.method(POST).path("/v1/refunds");
        then.status(200)
            .json_body(refund_json(1001, "usd", "pending"));
    })
    .await;
    ok.mock_async(|when, then| {
        when.method(GET).path(format!("/v1/refunds/{REFUND}"));
        then.status(200)
            .json_body(refund_json(1001, "usd", "succeeded"));
    })
    .await;
    let client_ok = client(&ok);
    client_ok
        .create_refund(&request(partial("10.01", "USD"), RefundReason::Duplicate))
        .await
        .unwrap();
    client_ok.get_refund(&refund_id()).await.unwrap();

    let rejecting = MockServer::start_async().await;
    let message = format!(
        "Invalid API Key provided: {KEY} (Authorization: {})",
        basic_auth()
    );
    rejecting
        .mock_async(|when, then| {
            when.any_request();
            then.status(401)
                .json_body(json!({"error": {"code": "invalid_api_key", "message": message}}));
        })
        .await;
    let error = client(&rejecting)
        .create_refund(&request(RefundAmount::Full, RefundReason::Duplicate))
        .await
        .unwrap_err();
    tracing::error!(%error, ?error, "what an application would log");

    let failing = MockServer::start_async().await;
    failing
        .mock_async(|when, then| {
            when.any_request();
            then.status(503);
        })
        .await;
    let _ = client(&failing)
        .create_refund(&request(RefundAmount::Full, RefundReason::Duplicate))
        .await;

    let output = capture.text();
    assert!(
        output.contains("attempt finished"),
        "transport spans not captured:\n{output}"
    );
    assert!(
        output.contains("hyper"),
        "HTTP stack not captured:\n{output}"
    );
    assert!(
        output.contains("Invalid API Key provided"),
        "error not logged:\n{output}"
    );
    assert_no_secret(&output);
}
