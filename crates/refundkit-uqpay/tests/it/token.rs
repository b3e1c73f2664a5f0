//! Token lifecycle: one mint under concurrency, refresh before expiry, one
//! re-mint and one retry on an expired-token 401, nothing more on other 401s.

use std::sync::Arc;
use std::time::Duration;

use httpmock::MockServer;
use refundkit_core::{ErrorKind, RefundError, RefundId};
use refundkit_uqpay::{InMemoryTokenStore, RefundProvider, TokenStore, UqPayClient};
use serde_json::json;

use crate::common::*;

fn refund_path() -> String {
    format!("{REFUNDS_PATH}/RF1")
}

fn rf1() -> RefundId {
    RefundId::new("RF1").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_creates_on_a_fresh_client_mint_one_token() {
    let server = MockServer::start_async().await;
    let token = server
        .mock_async(|when, then| {
            when.method("POST").path(TOKEN_PATH);
            then.status(200)
                .json_body(json!({"auth_token": TOKEN, "expired_at": unix_in(1800)}))
                .delay(Duration::from_millis(150));
        })
        .await;
    let create = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(REFUNDS_PATH)
                .header("x-auth-token", bearer(TOKEN));
            then.status(200)
                .json_body(refund_json("RF1", "1", "USD", "INITIATED"));
        })
        .await;
    let intent = usd_intent(&server, PAYMENT_ID).await;
    let client = client(&server);

    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let client = client.clone();
        tasks.spawn(async move { client.create_refund(&partial("1", "USD")).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }

    token.assert_calls_async(1).await;
    intent.assert_calls_async(50).await;
    create.assert_calls_async(50).await;
}

#[tokio::test]
async fn token_inside_the_refresh_margin_is_replaced_once() {
    let server = MockServer::start_async().await;
    // Expires in 60 s: inside the 5-minute margin, so the next call replaces it.
    let short = token_mock(&server, TOKEN, unix_in(60), Some(1)).await;
    let long = token_mock(&server, SECOND_TOKEN, unix_in(1800), None).await;
    let mut reads = Vec::new();
    for token in [TOKEN, SECOND_TOKEN] {
        reads.push(
            server
                .mock_async(|when, then| {
                    when.method("GET")
                        .path(refund_path())
                        .header("x-auth-token", bearer(token));
                    then.status(200)
                        .json_body(refund_json("RF1", "1", "USD", "SUCCEEDED"));
                })
                .await,
        );
    }
    let client = client(&server);

    for _ in 0..3 {
        client.get_refund(&rf1()).await.unwrap();
    }

    short.assert_calls_async(1).await;
    long.assert_calls_async(1).await;
    reads[0].assert_calls_async(1).await;
    reads[1].assert_calls_async(2).await;
}

async fn expired_token_answer<'a>(server: &'a MockServer, token: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.path(refund_path())
                .header("x-auth-token", bearer(token));
            then.status(401).json_body(json!({
                "type": "unauthorized_error",
                "code": "token_expired",
                "message": "token has expired"
            }));
        })
        .await
}

#[tokio::test]
async fn expired_token_401_mints_once_and_retries_once() {
    let server = MockServer::start_async().await;
    let first = token_mock(&server, TOKEN, unix_in(1800), Some(1)).await;
    let second = token_mock(&server, SECOND_TOKEN, unix_in(1800), None).await;
    let rejected = expired_token_answer(&server, TOKEN).await;
    let accepted = server
        .mock_async(|when, then| {
            when.method("GET")
                .path(refund_path())
                .header("x-auth-token", bearer(SECOND_TOKEN))
                .header("x-client-id", CLIENT_ID);
            then.status(200)
                .json_body(refund_json("RF1", "1", "USD", "SUCCEEDED"));
        })
        .await;

    let refund = client(&server).get_refund(&rf1()).await.unwrap();

    assert_eq!(refund.id.as_str(), "RF1");
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    rejected.assert_calls_async(1).await;
    accepted.assert_calls_async(1).await;
}

#[tokio::test]
async fn second_expired_token_401_in_one_call_is_final() {
    let server = MockServer::start_async().await;
    let first = token_mock(&server, TOKEN, unix_in(1800), Some(1)).await;
    let second = token_mock(&server, SECOND_TOKEN, unix_in(1800), None).await;
    let rejected_first = expired_token_answer(&server, TOKEN).await;
    let rejected_second = expired_token_answer(&server, SECOND_TOKEN).await;

    let error = client(&server).get_refund(&rf1()).await.unwrap_err();

    assert_eq!(error.kind(), Some(ErrorKind::Authentication));
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    rejected_first.assert_calls_async(1).await;
    rejected_second.assert_calls_async(1).await;
}

#[tokio::test]
async fn other_401s_fail_at_once_without_a_new_token() {
    for message in ["invalid auth token format", "IP address not allowed"] {
        let server = MockServer::start_async().await;
        let token = token_ok(&server).await;
        let rejected = server
            .mock_async(|when, then| {
                when.path(refund_path());
                then.status(401).json_body(json!({
                    "type": "unauthorized_error", "code": "unauthorized", "message": message
                }));
            })
            .await;

        let error = client(&server).get_refund(&rf1()).await.unwrap_err();

        assert_eq!(error.kind(), Some(ErrorKind::Authentication), "{message}");
        assert!(!error.is_retryable());
        token.assert_calls_async(1).await;
        rejected.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn rejected_credentials_on_the_token_call_are_authentication_errors() {
    let cases = [
        (
            400,
            json!({"type": "invalid_request_error", "code": "invalid_client_id", "message": "Invalid client id"}),
        ),
        (
            401,
            json!({"type": "unauthorized_error", "code": "unauthorized", "message": "invalid api key"}),
        ),
    ];
    for (status, body) in cases {
        let server = MockServer::start_async().await;
        let token = server
            .mock_async(|when, then| {
                when.method("POST").path(TOKEN_PATH);
                then.status(status).json_body(body.clone());
            })
            .await;
        let anything_else = catch_all(&server).await;

        let error = client(&server)
            .create_refund(&partial("1", "USD"))
            .await
            .unwrap_err();

        assert_eq!(error.kind(), Some(ErrorKind::Authentication), "{body}");
        assert!(matches!(error, RefundError::Provider(_)), "{error}");
        token.assert_calls_async(1).await;
        anything_else.assert_calls_async(0).await;
    }
}

#[tokio::test]
async fn clients_sharing_a_store_share_one_token() {
    let server = MockServer::start_async().await;
    let token = token_ok(&server).await;
    server
        .mock_async(|when, then| {
            when.path(refund_path())
                .header("x-auth-token", bearer(TOKEN));
            then.status(200)
                .json_body(refund_json("RF1", "1", "USD", "SUCCEEDED"));
        })
        .await;
    let store: Arc<dyn TokenStore> = Arc::new(InMemoryTokenStore::new());
    for _ in 0..2 {
        let config = config_builder(&server).build().unwrap();
        let client = UqPayClient::with_token_store(config, store.clone()).unwrap();
        client.get_refund(&rf1()).await.unwrap();
    }
    token.assert_calls_async(1).await;
    assert!(store.get().await.is_some());
}
