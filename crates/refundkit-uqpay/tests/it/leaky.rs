//! Flows against a careless server that quotes credentials back in its
//! error messages; shared by the `Debug` test and the log-capture test.

use httpmock::MockServer;
use refundkit_core::RefundId;
use refundkit_uqpay::{RefundProvider, SecretString, UqPayClient};
use serde_json::json;

use crate::common::*;

pub const WEBHOOK_SECRET: &str = "whsec-SECRET-b7e1";

pub fn assert_no_secret(text: &str) {
    for secret in [
        API_KEY,
        TOKEN,
        SECOND_TOKEN,
        WEBHOOK_SECRET,
        "TOKEN-ONE",
        "TOKEN-TWO",
    ] {
        assert!(!text.contains(secret), "{secret} leaked in: {text}");
    }
}

/// Mocks that echo credentials back in error messages, as a careless server might.
pub async fn leaky_server() -> MockServer {
    let server = MockServer::start_async().await;
    token_mock(&server, TOKEN, unix_in(1800), Some(1)).await;
    token_mock(&server, SECOND_TOKEN, unix_in(1800), None).await;
    usd_intent(&server, PAYMENT_ID).await;
    server
        .mock_async(|when, then| {
            when.path(format!("{REFUNDS_PATH}/RF-EXPIRED"))
                .header("x-auth-token", bearer(TOKEN));
            then.status(401).json_body(json!({
                "type": "unauthorized_error", "code": "token_expired",
                "message": format!("token has expired: {TOKEN}")
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path(format!("{REFUNDS_PATH}/RF-DENIED"));
            then.status(401).json_body(json!({
                "error": format!("invalid auth token Bearer {SECOND_TOKEN}")
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path_prefix(REFUNDS_PATH);
            then.status(200)
                .json_body(refund_json("RF1", "1", "USD", "INITIATED"));
        })
        .await;
    server
}

/// The token endpoint refusing the key and quoting it back.
pub async fn token_call_error_echoing_the_api_key() -> String {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(TOKEN_PATH);
            then.status(401).json_body(json!({
                "type": "unauthorized_error", "code": "unauthorized",
                "message": format!("invalid api key {API_KEY}")
            }));
        })
        .await;
    let error = client(&server)
        .get_refund(&RefundId::new("RF1").unwrap())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("invalid api key"), "{error}");
    format!("{error} {error:?}")
}

pub fn client_with_webhook_secret(server: &MockServer) -> UqPayClient {
    let config = config_builder(server)
        .webhook_secret(SecretString::from(WEBHOOK_SECRET))
        .build()
        .unwrap();
    UqPayClient::new(config).unwrap()
}

/// Runs create, get, an expired-token 401 and a 401 that echoes secrets.
pub async fn run_flows(client: &UqPayClient) -> Vec<String> {
    let mut texts = Vec::new();
    client.create_refund(&partial("1", "USD")).await.unwrap();
    client
        .get_refund(&RefundId::new("RF1").unwrap())
        .await
        .unwrap();
    for id in ["RF-EXPIRED", "RF-DENIED"] {
        if let Err(error) = client.get_refund(&RefundId::new(id).unwrap()).await {
            texts.push(format!("{error}"));
            texts.push(format!("{error:?}"));
        }
    }
    texts
}
