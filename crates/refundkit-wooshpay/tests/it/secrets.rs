//! No secret key, Basic value or webhook secret in any `Debug`, `Display` or
//! log line.

use crate::common::*;
use httpmock::prelude::*;
use refundkit_core::{RefundAmount, RefundError, RefundProvider, RefundReason, SecretString};
use refundkit_wooshpay::{WooshPayClient, WooshPayConfig, WooshPayErrorClassifier};
use serde_json::json;

/// A 401 whose body echoes the key and the header, as a careless API might.
async fn echoing_401(server: &MockServer) {
    let message = format!(
        "Invalid API Key provided: {KEY} (Authorization: {})",
        basic_auth()
    );
    server
        .mock_async(|when, then| {
            when.any_request();
            then.status(401)
                .json_body(json!({"error": {"type": "invalid_request_error", "code": "invalid_api_key", "message": message}}));
        })
        .await;
}

#[tokio::test]
async fn debug_and_display_of_configs_clients_and_errors_show_no_secret() {
    let server = MockServer::start_async().await;
    echoing_401(&server).await;
    let client = client(&server);
    let builder = WooshPayConfig::builder(SecretString::from(KEY))
        .webhook_secret(SecretString::from(WEBHOOK_SECRET));
    let mut texts = vec![
        format!("{builder:?}"),
        format!("{:?}", builder.build().unwrap()),
        format!("{client:?}"),
        format!("{:?}", client.config()),
        format!("{:?}", WooshPayErrorClassifier),
    ];

    let create = client
        .create_refund(&request(RefundAmount::Full, RefundReason::Duplicate))
        .await
        .unwrap_err();
    let get = client.get_refund(&refund_id()).await.unwrap_err();
    assert!(matches!(create, RefundError::Provider(_)), "{create:?}");
    let pk = WooshPayConfig::builder(SecretString::from(format!("pk_{KEY}")))
        .build()
        .unwrap_err();
    let newline = WooshPayConfig::builder(SecretString::from(format!("{KEY}\n")))
        .build()
        .unwrap_err();
    let colon = WooshPayConfig::builder(SecretString::from(format!("{KEY}:x")))
        .build()
        .unwrap_err();
    let no_secret = WooshPayClient::new(
        WooshPayConfig::builder(SecretString::from(KEY))
            .build()
            .unwrap(),
    )
    .unwrap()
    .verify_webhook(
        &http::HeaderMap::new(),
        b"{}",
        refundkit_core::OffsetDateTime::now_utc(),
    )
    .unwrap_err();
    let wrong_signature = client
        .verify_webhook(
            &http::HeaderMap::new(),
            b"{}",
            refundkit_core::OffsetDateTime::now_utc(),
        )
        .unwrap_err();
    for error in [create, get, pk, newline, colon, no_secret, wrong_signature] {
        texts.push(format!("{error}"));
        texts.push(format!("{error:?}"));
    }
    for text in &texts {
        assert_no_secret(text);
    }
}
