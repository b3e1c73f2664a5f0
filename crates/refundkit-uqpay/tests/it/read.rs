//! Reading and listing refunds.

use httpmock::MockServer;
use refundkit_core::{ErrorKind, ListRefunds, RefundError, RefundId, RefundStatus};
use refundkit_uqpay::RefundProvider;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn seed_retrieve_response_decodes_byte_for_byte() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let read = server
        .mock_async(|when, then| {
            when.method("GET")
                .path(format!("{REFUNDS_PATH}/RF123456789"))
                .header("x-auth-token", bearer(TOKEN))
                .header("x-client-id", CLIENT_ID)
                .header_missing("x-idempotency-key")
                .header_missing("x-on-behalf-of");
            then.status(200)
                .header("content-type", "application/json")
                .body(SEED_RETRIEVE_RESPONSE);
        })
        .await;

    let refund = client(&server)
        .get_refund(&RefundId::new("RF123456789").unwrap())
        .await
        .unwrap();

    read.assert_calls_async(1).await;
    assert_eq!(refund.id.as_str(), "RF123456789");
    assert_eq!(refund.amount, money("10.01", "USD"));
    assert_eq!(refund.status, RefundStatus::Succeeded);
    assert_eq!(
        refund.payment_id, None,
        "UQPay's refund object has no intent id"
    );
    assert_eq!(refund.metadata["customer_id"], "cust_12345");
    assert_eq!(refund.updated_at.unwrap().unix_timestamp(), 1_709_222_400);
    assert_eq!(
        serde_json::from_str::<Value>(refund.raw.get()).unwrap(),
        serde_json::from_str::<Value>(SEED_RETRIEVE_RESPONSE).unwrap()
    );
}

#[tokio::test]
async fn refund_ids_that_could_change_the_path_are_refused_before_sending() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let any_read = server
        .mock_async(|when, then| {
            when.method("GET");
            then.status(400).json_body(json!({
                "type": "not_found", "code": "resource_not_found", "message": "not found"
            }));
        })
        .await;

    for bad in ["../x?y", "RF1/x", "RF1#x", "RF1%2F", "RF1\u{e9}"] {
        let error = RefundId::new(bad).unwrap_err();
        assert_eq!(error.field(), "refund_id", "{bad}");
        assert!(
            !error.to_string().contains(bad),
            "the value is not quoted: {error}"
        );
    }
    // Ids of the documented character set still go out.
    let error = client(&server)
        .get_refund(&RefundId::new("RF_1-a").unwrap())
        .await
        .unwrap_err();

    any_read.assert_calls_async(1).await;
    assert_eq!(error.kind(), Some(ErrorKind::NotFound));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn list_sends_every_filter_and_reads_the_page() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let list = server
        .mock_async(|when, then| {
            when.method("GET")
                .path(REFUNDS_PATH)
                .header("x-auth-token", bearer(TOKEN))
                .header("x-client-id", CLIENT_ID)
                .query_param("page_number", "2")
                .query_param("page_size", "50")
                .query_param("payment_intent_id", "PI2043628825316691968")
                .query_param("merchant_order_id", "order-6789")
                .query_param("start_time", "2026-04-01T00:00:00+08:00")
                .query_param("end_time", "2026-04-30T00:00:00Z");
            then.status(200).json_body(json!({
                "total_pages": 3,
                "total_items": 105,
                "data": [
                    refund_json("RF1", "8.88", "SGD", "INITIATED"),
                    refund_json("RF2", "1.10", "SGD", "REVERSAL_SUCCEEDED")
                ]
            }));
        })
        .await;
    let mut query = refundkit_uqpay::UqPayListFilter::merchant_order_id("order-6789")
        .unwrap()
        .apply(
            ListRefunds::for_payment("PI2043628825316691968")
                .page(2)
                .page_size(50),
        );
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    query.created_from =
        Some(time::OffsetDateTime::parse("2026-04-01T00:00:00+08:00", rfc3339).unwrap());
    query.created_to = Some(time::OffsetDateTime::parse("2026-04-30T00:00:00Z", rfc3339).unwrap());

    let page = client(&server).list_refunds(&query).await.unwrap();

    list.assert_calls_async(1).await;
    assert_eq!(
        (page.page, page.total_pages, page.total_items),
        (2, Some(3), Some(105))
    );
    assert!(page.has_more());
    let statuses: Vec<_> = page.refunds.iter().map(|r| r.status.clone()).collect();
    assert_eq!(statuses, [RefundStatus::Pending, RefundStatus::Reversed]);
    assert!(page
        .refunds
        .iter()
        .all(|r| r.payment_id.as_deref() == Some("PI2043628825316691968")));
    let raw: Value = serde_json::from_str(page.refunds[1].raw.get()).unwrap();
    assert_eq!(raw["refund_status"], "REVERSAL_SUCCEEDED");
}

#[tokio::test]
async fn list_page_size_out_of_range_is_rejected_before_sending() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let client = client(&server);
    for query in [
        ListRefunds::default().page_size(0),
        ListRefunds::default().page_size(101),
        ListRefunds::default().page(0),
    ] {
        let error = client.list_refunds(&query).await.unwrap_err();
        assert!(matches!(error, RefundError::Invalid(_)), "{error}");
    }
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn cancel_is_unsupported_and_capabilities_say_so() {
    let server = MockServer::start_async().await;
    let anything = catch_all(&server).await;
    let client = client(&server);
    let error = client
        .cancel_refund(&RefundId::new("RF1").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        RefundError::Unsupported {
            operation: "cancel_refund",
            ..
        }
    ));
    let capabilities = client.capabilities();
    assert!(capabilities.list_refunds && capabilities.free_text_reason && capabilities.webhooks);
    assert!(!capabilities.cancel_refund);
    assert_eq!(client.provider(), refundkit_uqpay::PROVIDER);
    anything.assert_calls_async(0).await;
}

#[tokio::test]
async fn an_answer_about_another_refund_is_a_decode_error() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    server
        .mock_async(|when, then| {
            when.method("GET").path(format!("{REFUNDS_PATH}/RF1"));
            then.status(200)
                .json_body(refund_json("RF2", "1", "USD", "SUCCEEDED"));
        })
        .await;

    let error = client(&server)
        .get_refund(&RefundId::new("RF1").unwrap())
        .await
        .unwrap_err();

    assert!(matches!(error, RefundError::Decode { .. }), "{error:?}");
}

#[tokio::test]
async fn a_refund_read_later_names_its_payment_from_the_stamp() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let mut refund = refund_json("RF2043629695899013120", "10.01", "USD", "SUCCEEDED");
    refund["metadata"] = json!({"refundkit_payment_id": PAYMENT_ID});
    server
        .mock_async(|when, then| {
            when.method("GET")
                .path(format!("{REFUNDS_PATH}/RF2043629695899013120"));
            then.status(200).json_body(refund);
        })
        .await;

    let read = client(&server)
        .get_refund(&RefundId::new("RF2043629695899013120").unwrap())
        .await
        .unwrap();

    assert_eq!(read.payment_id.as_deref(), Some(PAYMENT_ID));
}
