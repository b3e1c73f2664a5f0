//! The UQPay simulator's tokens and auth headers over raw HTTP.

mod common;

use std::time::Duration;

use common::{money, send, uqpay, uqpay_token};
use refundkit_testkit::Simulator;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn token_is_jwt_shaped_with_expiry_in_unix_seconds() {
    let sim = Simulator::start().await.unwrap();
    let answer = send(
        common::client()
            .post(format!("{}/v1/connect/token", sim.uqpay_base_url()))
            .header("x-client-id", "sim-client")
            .header("x-api-key", "sim-api-key"),
    )
    .await;
    assert_eq!(answer.status, 200);
    let token = answer.json["auth_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3);
    let expired_at = answer.json["expired_at"].as_u64().unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    assert!(
        (now + 1790..=now + 1801).contains(&expired_at),
        "{expired_at} vs {now}"
    );
}

#[tokio::test]
async fn token_call_refuses_wrong_client_id_and_api_key() {
    let sim = Simulator::start().await.unwrap();
    let url = format!("{}/v1/connect/token", sim.uqpay_base_url());
    let wrong_client = send(
        common::client()
            .post(&url)
            .header("x-client-id", "other")
            .header("x-api-key", "sim-api-key"),
    )
    .await;
    assert_eq!(wrong_client.status, 400);
    assert_eq!(
        wrong_client.json,
        json!({"type":"invalid_request_error","code":"invalid_client_id","message":"Invalid client id"})
    );
    let wrong_key = send(
        common::client()
            .post(&url)
            .header("x-client-id", "sim-client")
            .header("x-api-key", "nope"),
    )
    .await;
    assert_eq!(wrong_key.status, 401);
    assert_eq!(
        wrong_key.json,
        json!({"type":"unauthorized_error","code":"unauthorized","message":"invalid api key"})
    );
}

#[tokio::test]
async fn minting_a_new_token_invalidates_the_previous_one() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let first = uqpay_token(&sim).await;
    let path = format!("/v2/payment_intents/{payment}");
    assert_eq!(
        send(uqpay(&sim, &first, Method::GET, &path)).await.status,
        200
    );
    let second = uqpay_token(&sim).await;
    let stale = send(uqpay(&sim, &first, Method::GET, &path)).await;
    assert_eq!(stale.status, 401);
    assert_eq!(
        stale.json,
        json!({"type":"unauthorized_error","code":"unauthorized","message":"invalid auth token"})
    );
    assert_eq!(
        send(uqpay(&sim, &second, Method::GET, &path)).await.status,
        200
    );
}

#[tokio::test]
async fn a_superseded_token_can_get_the_token_expired_wording_and_counts_are_kept() {
    let sim = Simulator::builder()
        .uqpay_superseded_answer(refundkit_testkit::SupersededAnswer::TokenHasExpired)
        .start()
        .await
        .unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let first = uqpay_token(&sim).await;
    let _second = uqpay_token(&sim).await;
    let path = format!("/v2/payment_intents/{payment}");
    let stale = send(uqpay(&sim, &first, Method::GET, &path)).await;
    assert_eq!(stale.status, 401);
    assert_eq!(
        stale.json,
        json!({"type":"unauthorized_error","code":"token_expired","message":"token has expired"})
    );
    assert_eq!(sim.uqpay().tokens_minted(), 2);
    assert_eq!(sim.uqpay().token_rejections(), 1);
    sim.uqpay()
        .set_superseded_answer(refundkit_testkit::SupersededAnswer::InvalidAuthToken);
    let stale = send(uqpay(&sim, &first, Method::GET, &path)).await;
    assert_eq!(stale.json["message"], "invalid auth token");
    assert_eq!(sim.uqpay().token_rejections(), 2);
}

#[tokio::test]
async fn expired_tokens_get_the_token_expired_answer() {
    let sim = Simulator::builder()
        .token_ttl(Duration::from_millis(100))
        .start()
        .await
        .unwrap();
    let token = uqpay_token(&sim).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let answer = send(uqpay(&sim, &token, Method::GET, "/v2/payment/refunds/RF1")).await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.json,
        json!({"type":"unauthorized_error","code":"token_expired","message":"token has expired"})
    );
    sim.uqpay().set_token_ttl(Duration::from_secs(60));
    let fresh = uqpay_token(&sim).await;
    sim.uqpay().expire_tokens();
    let forced = send(uqpay(&sim, &fresh, Method::GET, "/v2/payment/refunds/RF1")).await;
    assert_eq!(forced.json["code"], "token_expired");
}

#[tokio::test]
async fn bearer_prefix_and_matching_client_id_are_required() {
    let sim = Simulator::start().await.unwrap();
    let token = uqpay_token(&sim).await;
    let url = format!("{}/v2/payment/refunds/RF1", sim.uqpay_base_url());
    let no_bearer = send(
        common::client()
            .get(&url)
            .header("x-auth-token", &token)
            .header("x-client-id", "sim-client"),
    )
    .await;
    assert_eq!(no_bearer.status, 401);
    assert_eq!(no_bearer.json["message"], "invalid auth token format");
    let other_client = send(
        common::client()
            .get(&url)
            .header("x-auth-token", format!("Bearer {token}"))
            .header("x-client-id", "someone-else"),
    )
    .await;
    assert_eq!(other_client.status, 401);
    assert_eq!(
        other_client.json["message"],
        "x-client-id does not match the auth token"
    );
}
