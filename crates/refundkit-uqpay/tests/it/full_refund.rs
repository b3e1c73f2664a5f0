//! Full refunds: the remaining amount comes from the payment intent.

use httpmock::MockServer;
use refundkit_core::{
    ErrorKind, IdempotencyKey, RefundAmount, RefundError, RefundReason, RefundRequest,
};
use refundkit_uqpay::RefundProvider;
use serde_json::{json, Value};

use crate::common::*;

const INTENT_PATH: &str = "/api/v2/payment_intents/PI2043628825316691968";

fn full_request() -> RefundRequest {
    RefundRequest::builder(PAYMENT_ID, RefundAmount::Full, RefundReason::Fraudulent)
        .build()
        .unwrap()
}

#[tokio::test]
async fn full_refund_refunds_what_remains_on_the_intent() {
    let server = MockServer::start_async().await;
    let token = token_ok(&server).await;
    let read_intent = intent_mock(
        &server,
        PAYMENT_ID,
        "USD",
        "10.00",
        Some("3.5"),
        "SUCCEEDED",
    )
    .await;
    let request = full_request();
    let create = server
        .mock_async(|when, then| {
            when.method("POST")
                .path(REFUNDS_PATH)
                .header("x-auth-token", bearer(TOKEN))
                .header("x-client-id", CLIENT_ID)
                .header_matches("^x-idempotency-key$", UUID_PATTERN)
                .json_body(json!({
                    "payment_intent_id": "PI2043628825316691968",
                    "amount": "6.5",
                    "reason": "fraudulent",
                    "metadata": {
                        "refundkit_idempotency_key": request.idempotency_key().to_string(),
                        "refundkit_payment_id": PAYMENT_ID
                    }
                }));
            then.status(200)
                .json_body(refund_json("RF2", "6.50", "USD", "INITIATED"));
        })
        .await;

    let refund = client(&server).create_refund(&request).await.unwrap();

    read_intent.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    token.assert_calls_async(1).await;
    assert_eq!(refund.amount, money("6.5", "USD"));
    assert_eq!(refund.payment_id.as_deref(), Some("PI2043628825316691968"));
}

#[tokio::test]
async fn full_refund_of_an_unsettled_intent_names_its_status_and_sends_no_refund() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    intent_mock(
        &server,
        PAYMENT_ID,
        "USD",
        "10.00",
        None,
        "REQUIRES_CAPTURE",
    )
    .await;
    let anything_else = catch_all(&server).await;

    let error = client(&server)
        .create_refund(&full_request())
        .await
        .unwrap_err();

    assert_eq!(error.kind(), Some(ErrorKind::PaymentNotRefundable));
    assert!(error.to_string().contains("REQUIRES_CAPTURE"), "{error}");
    anything_else.assert_calls_async(0).await;
}

#[tokio::test]
async fn repeated_full_refund_after_completion_finds_nothing_left() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    fully_refunded_intent(&server).await;
    // The payment's refunds: one made with another key, so none with ours.
    let other_key = IdempotencyKey::new().to_string();
    let list = refunds_list_mock(&server, vec![stamped_refund("RF7", "10.00", &other_key)]).await;
    let anything_else = catch_all(&server).await;

    let error = client(&server)
        .create_refund(&full_request())
        .await
        .unwrap_err();

    assert!(list.calls_async().await >= 1, "the key is looked up first");
    assert!(
        matches!(error, RefundError::NothingLeftToRefund { .. }),
        "{error:?}"
    );
    assert!(
        !error.to_string().contains("HTTP"),
        "no borrowed status: {error}"
    );
    assert_eq!(error.kind(), Some(ErrorKind::RefundExceedsAvailable));
    let text = error.to_string();
    assert!(
        text.contains("nothing is left") && text.contains("list_refunds"),
        "{text}"
    );
    anything_else.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_full_refund_with_nothing_left_whose_search_fails_is_outcome_unknown() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    fully_refunded_intent(&server).await;
    let list = server
        .mock_async(|when, then| {
            when.method("GET").path(REFUNDS_PATH);
            then.status(400)
                .json_body(json!({"code": "invalid_request", "message": "bad window"}));
        })
        .await;
    let anything_else = catch_all(&server).await;
    let request = full_request();

    let error = client(&server).create_refund(&request).await.unwrap_err();

    assert!(list.calls_async().await >= 1);
    match &error {
        RefundError::OutcomeUnknown {
            idempotency_key, ..
        } => assert_eq!(idempotency_key, request.idempotency_key()),
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    anything_else.assert_calls_async(0).await;
}

/// The payment's intent, captured 10.00 USD and refunded in full.
async fn fully_refunded_intent(server: &MockServer) {
    intent_mock(
        server,
        PAYMENT_ID,
        "USD",
        "10.00",
        Some("10.00"),
        "SUCCEEDED",
    )
    .await;
}

/// A refund in the list, stamped with `key` as refundkit stamps every create.
fn stamped_refund(id: &str, amount: &str, key: &str) -> Value {
    let mut refund = refund_json(id, amount, "USD", "SUCCEEDED");
    refund["metadata"] = json!({"refundkit_idempotency_key": key});
    refund
}

async fn refunds_list_mock(server: &MockServer, refunds: Vec<Value>) -> httpmock::Mock<'_> {
    let total = refunds.len();
    server
        .mock_async(|when, then| {
            when.method("GET")
                .path(REFUNDS_PATH)
                .query_param("payment_intent_id", PAYMENT_ID)
                .query_param("page_size", "100")
                .query_param_exists("start_time")
                .query_param_exists("end_time");
            then.status(200).json_body(json!({
                "total_pages": 1, "total_items": total, "data": refunds
            }));
        })
        .await
}

#[tokio::test]
async fn a_full_refund_whose_answer_was_lost_is_replayed_from_the_list_by_its_key() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    // The first create went through: nothing is left, and the list holds it.
    fully_refunded_intent(&server).await;
    let request = full_request();
    let key = request.idempotency_key().to_string();
    let undecodable = json!({"payment_refund_id": "RF6", "amount": {"no": "way"}});
    refunds_list_mock(
        &server,
        vec![undecodable, stamped_refund("RF8", "10.00", &key)],
    )
    .await;
    let anything_else = catch_all(&server).await;

    let refund = client(&server).create_refund(&request).await.unwrap();

    assert_eq!(refund.id.as_str(), "RF8");
    assert_eq!(refund.idempotency_key(), Some(*request.idempotency_key()));
    assert_eq!(refund.payment_id.as_deref(), Some(PAYMENT_ID));
    anything_else.assert_calls_async(0).await;
}

#[tokio::test]
async fn unknown_payment_intent_is_not_found() {
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let read_intent = server
        .mock_async(|when, then| {
            when.method("GET").path(INTENT_PATH);
            then.status(400).json_body(json!({
                "type": "not_found",
                "code": "resource_not_found",
                "message": "payment_intent PI2043628825316691968 was not found"
            }));
        })
        .await;

    let error = client(&server)
        .create_refund(&full_request())
        .await
        .unwrap_err();

    read_intent.assert_calls_async(1).await;
    assert_eq!(error.kind(), Some(ErrorKind::NotFound));
    assert!(matches!(error, RefundError::Provider(_)));
}

#[tokio::test]
async fn a_refund_made_for_a_sub_account_is_found_in_that_sub_account() {
    const CONFIGURED: &str = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
    const OWN: &str = "6ba7b810-9dad-41d1-80b4-00c04fd430c8";
    let server = MockServer::start_async().await;
    token_ok(&server).await;
    let request = RefundRequest::builder(
        PAYMENT_ID,
        RefundAmount::Partial(money("5", "USD")),
        RefundReason::Duplicate,
    )
    .provider_options(refundkit_uqpay::UqPayOptions::new().on_behalf_of(OWN))
    .build()
    .unwrap();
    let key = request.idempotency_key().to_string();
    let mut intents = Vec::new();
    let mut lists = Vec::new();
    for (account, listed) in [
        (CONFIGURED, vec![]),
        (OWN, vec![stamped_refund("RF7", "5", &key)]),
    ] {
        intents.push(
            server
                .mock_async(|when, then| {
                    when.method("GET")
                        .path(format!("/api/v2/payment_intents/{PAYMENT_ID}"))
                        .header("x-on-behalf-of", account);
                    then.status(200).json_body(intent_json(
                        PAYMENT_ID,
                        "USD",
                        "100.00",
                        None,
                        "SUCCEEDED",
                    ));
                })
                .await,
        );
        lists.push(
            server
                .mock_async(|when, then| {
                    when.method("GET")
                        .path(REFUNDS_PATH)
                        .header("x-on-behalf-of", account);
                    then.status(200).json_body(json!({
                        "total_pages": 1, "total_items": listed.len(), "data": listed
                    }));
                })
                .await,
        );
    }
    let client = refundkit_uqpay::UqPayClient::new(
        config_builder(&server)
            .on_behalf_of(CONFIGURED)
            .build()
            .unwrap(),
    )
    .unwrap();

    // What recover_refund asks: the request's own sub-account is searched.
    let found = client.find_refund_for(&request).await.unwrap();
    assert_eq!(
        found.map(|refund| refund.id.to_string()),
        Some("RF7".into())
    );
    intents[0].assert_calls_async(0).await;
    lists[0].assert_calls_async(0).await;
    assert!(lists[1].calls_async().await >= 1);
}
