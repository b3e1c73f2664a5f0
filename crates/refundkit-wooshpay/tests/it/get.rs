//! `GET /v1/refunds/{id}`, status mapping over HTTP, and the operations
//! WooshPay does not document.

use crate::common::*;
use httpmock::prelude::*;
use refundkit_core::{
    FailureReason, ListRefunds, Money, RefundError, RefundId, RefundProvider, RefundReason,
    RefundStatus,
};
use serde_json::json;

#[tokio::test]
async fn get_sends_basic_auth_and_maps_the_refund() {
    let server = MockServer::start_async().await;
    let mut body = refund_json(1001, "usd", "failed");
    body["failure_reason"] = json!("expired_or_canceled_card");
    body["created"] = json!(1668688178000_i64);
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/refunds/{REFUND}"))
                .header("authorization", basic_auth())
                .header("accept", "application/json")
                .header("content-type", "application/json")
                .header_missing("idempotency-key");
            then.status(200).json_body(body.clone());
        })
        .await;

    let refund = client(&server).get_refund(&refund_id()).await.unwrap();

    mock.assert_calls_async(1).await;
    assert_eq!(refund.status, RefundStatus::Failed);
    assert_eq!(refund.failure, Some(FailureReason::ExpiredOrCanceledCard));
    assert_eq!(refund.reason, Some(RefundReason::RequestedByCustomer));
    assert_eq!(refund.amount, Money::parse("10.01", "USD").unwrap());
    assert_eq!(refund.created_at.unwrap().unix_timestamp(), 1668688178);
    assert_eq!(
        refund.metadata.get("order_id").map(String::as_str),
        Some("order_6789")
    );
    assert_eq!(
        refund.refund_ref().to_string(),
        format!("wooshpay:{REFUND}")
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(refund.raw.get()).unwrap(),
        body
    );
}

#[tokio::test]
async fn every_status_maps_and_an_unknown_one_is_kept_raw() {
    let server = MockServer::start_async().await;
    let client = client(&server);
    let table = [
        ("pending", RefundStatus::Pending),
        ("requires_action", RefundStatus::RequiresAction),
        ("succeeded", RefundStatus::Succeeded),
        ("failed", RefundStatus::Failed),
        ("canceled", RefundStatus::Canceled),
        (
            "on_hold_by_bank",
            RefundStatus::Unknown("on_hold_by_bank".into()),
        ),
    ];
    for (index, (raw, status)) in table.into_iter().enumerate() {
        let id = format!("re_status_{index}");
        let mut body = refund_json(1001, "usd", raw);
        body["id"] = json!(id);
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/v1/refunds/{id}"));
                then.status(200).json_body(body);
            })
            .await;
        let refund = client
            .get_refund(&RefundId::new(id).unwrap())
            .await
            .unwrap();
        assert_eq!(refund.status, status, "{raw}");
        assert_eq!(
            refund.status.is_final(),
            matches!(raw, "succeeded" | "failed" | "canceled")
        );
    }
}

#[tokio::test]
async fn seed_response_example_on_a_get_is_a_decode_error() {
    let server = MockServer::start_async().await;
    let seed = include_str!("../../../../tests/fixtures/seeds/wooshpay_create_response.json");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/string");
            then.status(200).body(seed);
        })
        .await;
    let error = client(&server)
        .get_refund(&RefundId::new("string").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn a_different_refund_in_the_answer_is_a_decode_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/refunds/re_asked");
            then.status(200)
                .json_body(refund_json(1001, "usd", "succeeded"));
        })
        .await;
    let error = client(&server)
        .get_refund(&RefundId::new("re_asked").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn list_and_cancel_are_unsupported_and_send_nothing() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200)
                .json_body(json!({"object": "list", "data": []}));
        })
        .await;
    let client = client(&server);
    let capabilities = *client.capabilities();
    assert!(!capabilities.list_refunds);
    assert!(!capabilities.cancel_refund);
    assert!(!capabilities.free_text_reason);
    assert!(capabilities.webhooks);
    assert!(capabilities.full_refunds);

    let list = client
        .list_refunds(&ListRefunds::for_payment(PAYMENT))
        .await;
    assert!(matches!(
        list,
        Err(RefundError::Unsupported {
            operation: "list_refunds",
            ..
        })
    ));
    let cancel = client.cancel_refund(&refund_id()).await;
    assert!(matches!(
        cancel,
        Err(RefundError::Unsupported {
            operation: "cancel_refund",
            ..
        })
    ));
    any.assert_calls_async(0).await;
}
