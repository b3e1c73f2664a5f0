//! Answers the fake ledger never gives: a read about another refund, a list
//! that never ends. Neither becomes an answer about the refund asked for.

use httpmock::prelude::*;
use refundkit::{IdempotencyKey, RefundError, RefundId, RefundProvider, SecretString};
use refundkit_example_ledger::{LedgerClient, LedgerConfig};
use serde_json::json;

fn client(server: &MockServer) -> LedgerClient {
    let config = LedgerConfig::new(&server.base_url(), SecretString::from("lk_test_1")).unwrap();
    LedgerClient::new(config).unwrap()
}

fn refund(id: &str) -> serde_json::Value {
    json!({
        "id": id, "payment_id": "lp_1", "amount": "1.00", "currency": "USD",
        "status": "succeeded", "metadata": {"refundkit_idempotency_key": IdempotencyKey::new().to_string()}
    })
}

#[tokio::test]
async fn a_read_answered_with_another_refund_is_refused() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/lr_1");
            then.status(200).json_body(refund("lr_2"));
        })
        .await;

    let error = client(&server)
        .get_refund(&RefundId::new("lr_1").unwrap())
        .await
        .unwrap_err();

    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn a_search_by_key_over_an_endless_list_stops_with_an_error() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds");
            then.status(200)
                .json_body(json!({"refunds": [refund("lr_other")], "total": u64::MAX}));
        })
        .await;

    let error = client(&server)
        .find_refund_by_key("lp_1", &IdempotencyKey::new())
        .await
        .unwrap_err();

    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
    list.assert_calls_async(100).await;
}
