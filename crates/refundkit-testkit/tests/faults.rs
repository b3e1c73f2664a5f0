//! Fault injection over raw HTTP, and the journal.

mod common;

use std::time::Duration;

use common::{money, new_key, send, uqpay, uqpay_create, uqpay_token, wooshpay_create};
use refundkit_testkit::{Calls, Fault, Route, Simulator, MASK};
use reqwest::Method;
use serde_json::json;

fn uqpay_body(payment: &str) -> serde_json::Value {
    json!({"payment_intent_id": payment, "amount": "1.00", "reason": "Return good"})
}

#[tokio::test]
async fn server_errors_and_rate_limits_answer_without_creating_refunds() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let uqpay_sim = sim.uqpay();
    uqpay_sim.inject_fault(Route::CreateRefund, Calls::Next(1), Fault::ServerError(503));
    uqpay_sim.inject_fault(
        Route::CreateRefund,
        Calls::Nth(uqpay_sim.call_count(Route::CreateRefund) + 2),
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    );
    let key = new_key();
    let unavailable = send(uqpay_create(&sim, &token, &key, uqpay_body(&payment))).await;
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.json["type"], "api_error");
    assert_eq!(unavailable.json["code"], "api_error");
    let limited = send(uqpay_create(&sim, &token, &key, uqpay_body(&payment))).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.headers["retry-after"], "7");
    assert_eq!(limited.json["code"], "velocity_limit_exceeded");
    assert_eq!(uqpay_sim.refund_count(), 0);
    let created = send(uqpay_create(&sim, &token, &key, uqpay_body(&payment))).await;
    assert_eq!(created.status, 200);
    assert_eq!(uqpay_sim.refund_count(), 1);
    assert_eq!(uqpay_sim.call_count(Route::CreateRefund), 3);
}

#[tokio::test]
async fn wooshpay_faults_use_stripe_shaped_bodies() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    sim.wooshpay()
        .inject_fault(Route::CreateRefund, Calls::Next(1), Fault::ServerError(500));
    sim.wooshpay().inject_fault(
        Route::GetRefund,
        Calls::Every,
        Fault::RateLimited {
            retry_after_secs: 2,
        },
    );
    let failed = send(wooshpay_create(
        &sim,
        Some(&new_key()),
        json!({"payment_intent": payment}),
    ))
    .await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.json["error"]["type"], "api_error");
    for _ in 0..2 {
        let limited = send(common::wooshpay(&sim, Method::GET, "/v1/refunds/re_1")).await;
        assert_eq!(
            (limited.status, &limited.headers["retry-after"]),
            (429, &"2".parse().unwrap())
        );
        assert_eq!(limited.json["error"]["code"], "rate_limit");
    }
    sim.wooshpay().clear_faults();
    assert_eq!(
        send(common::wooshpay(&sim, Method::GET, "/v1/refunds/re_1"))
            .await
            .status,
        404
    );
    assert_eq!(sim.wooshpay().refund_count(), 0);
}

#[tokio::test]
async fn garbage_bodies_create_nothing() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let faults = [
        (
            Fault::MalformedJson { status: 200 },
            200,
            "application/json",
        ),
        (Fault::Html { status: 502 }, 502, "text/html"),
        (Fault::EmptyBody { status: 200 }, 200, "application/json"),
    ];
    for (fault, status, content_type) in faults {
        sim.wooshpay()
            .inject_fault(Route::CreateRefund, Calls::Next(1), fault);
        let answer = send(wooshpay_create(
            &sim,
            Some(&new_key()),
            json!({"payment_intent": payment, "amount": 100}),
        ))
        .await;
        assert_eq!(answer.status, status, "{fault}");
        assert_eq!(answer.headers["content-type"], content_type, "{fault}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&answer.text).is_err(),
            "{fault}: {}",
            answer.text
        );
    }
    assert_eq!(sim.wooshpay().refund_count(), 0);
}

#[tokio::test]
async fn delayed_response_commits_before_the_client_times_out() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    sim.wooshpay().inject_fault(
        Route::CreateRefund,
        Calls::Next(1),
        Fault::DelayResponse(Duration::from_millis(500)),
    );
    let key = new_key();
    let body = json!({"payment_intent": payment, "amount": 100});
    let timed_out = wooshpay_create(&sim, Some(&key), body.clone())
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(timed_out.unwrap_err().is_timeout());
    assert_eq!(sim.wooshpay().refund_count(), 1);
    let replay = send(wooshpay_create(&sim, Some(&key), body)).await;
    assert_eq!(replay.status, 200);
    assert_eq!(
        replay.json["id"].as_str(),
        Some(sim.wooshpay().refunds()[0].id.as_str())
    );
}

#[tokio::test]
async fn commit_then_drop_gives_a_transport_error_and_one_refund() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    sim.uqpay()
        .inject_fault(Route::CreateRefund, Calls::Next(1), Fault::CommitThenDrop);
    let key = new_key();
    let dropped = uqpay_create(&sim, &token, &key, uqpay_body(&payment))
        .send()
        .await;
    let error = dropped.expect_err("no HTTP response at all");
    assert!(!error.is_timeout() && !error.is_status(), "{error:?}");
    assert_eq!(sim.uqpay().refund_count(), 1);
    let replay = send(uqpay_create(&sim, &token, &key, uqpay_body(&payment))).await;
    assert_eq!(replay.status, 200);
    assert_eq!(sim.uqpay().refund_count(), 1);
}

#[tokio::test]
async fn drop_unprocessed_gives_a_transport_error_and_no_refund() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    sim.wooshpay()
        .inject_fault(Route::CreateRefund, Calls::Next(1), Fault::DropUnprocessed);
    assert!(!Fault::DropUnprocessed.commits());
    let key = new_key();
    let body = json!({"payment_intent": payment, "amount": 100});
    let dropped = wooshpay_create(&sim, Some(&key), body.clone()).send().await;
    let error = dropped.expect_err("no HTTP response at all");
    assert!(!error.is_timeout() && !error.is_status(), "{error:?}");
    assert_eq!(sim.wooshpay().refund_count(), 0);
    assert_eq!(
        sim.wooshpay().journal_len(),
        1,
        "the request was on the wire"
    );
    // The key was never reserved: the same request now makes the refund.
    let created = send(wooshpay_create(&sim, Some(&key), body)).await;
    assert_eq!(created.status, 200);
    assert_eq!(sim.wooshpay().refund_count(), 1);
}

#[tokio::test]
async fn slow_commit_gives_concurrent_retries_the_in_flight_answer() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    let woosh_payment = sim.wooshpay().seed_captured(money("10.00", "USD"));
    let token = uqpay_token(&sim).await;
    let slow = Fault::SlowCommit(Duration::from_millis(500));
    sim.uqpay()
        .inject_fault(Route::CreateRefund, Calls::Next(1), slow);
    sim.wooshpay()
        .inject_fault(Route::CreateRefund, Calls::Next(1), slow);
    let (key, woosh_key) = (new_key(), new_key());
    let woosh_body = json!({"payment_intent": woosh_payment, "amount": 100});
    let first = tokio::spawn(send(uqpay_create(&sim, &token, &key, uqpay_body(&payment))));
    let woosh_first = tokio::spawn(send(wooshpay_create(
        &sim,
        Some(&woosh_key),
        woosh_body.clone(),
    )));
    // Wait until both first requests arrived and reserved their keys.
    while sim.uqpay().call_count(Route::CreateRefund)
        + sim.wooshpay().call_count(Route::CreateRefund)
        < 2
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let busy = send(uqpay_create(&sim, &token, &key, uqpay_body(&payment))).await;
    assert_eq!(busy.status, 400);
    assert_eq!(
        busy.json,
        json!({"code": 200, "message": "Request is processing, please try again later"})
    );
    let woosh_busy = send(wooshpay_create(&sim, Some(&woosh_key), woosh_body)).await;
    assert_eq!(woosh_busy.status, 409);
    assert_eq!(woosh_busy.json["error"]["code"], "idempotency_key_in_use");
    assert_eq!(sim.uqpay().refund_count(), 0);
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(woosh_first.await.unwrap().status, 200);
    assert_eq!(
        sim.uqpay().refund_count() + sim.wooshpay().refund_count(),
        2
    );
}

#[tokio::test]
async fn faults_apply_per_route_and_call_number() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    sim.uqpay()
        .inject_fault(Route::Token, Calls::Nth(2), Fault::ServerError(502));
    sim.uqpay()
        .inject_fault(Route::GetPayment, Calls::Next(2), Fault::ServerError(500));
    let token = uqpay_token(&sim).await;
    let mint = common::client()
        .post(format!("{}/v1/connect/token", sim.uqpay_base_url()))
        .header("x-client-id", "sim-client")
        .header("x-api-key", "sim-api-key");
    assert_eq!(send(mint).await.status, 502);
    let path = format!("/v2/payment_intents/{payment}");
    let statuses: Vec<u16> = [
        send(uqpay(&sim, &token, Method::GET, &path)).await.status,
        send(uqpay(&sim, &token, Method::GET, &path)).await.status,
        send(uqpay(&sim, &token, Method::GET, &path)).await.status,
    ]
    .into();
    assert_eq!(statuses, [500, 500, 200]);
}

#[tokio::test]
async fn journal_records_requests_with_credentials_masked() {
    let sim = Simulator::start().await.unwrap();
    let token = uqpay_token(&sim).await;
    let payment = sim.uqpay().seed_captured(money("10.00", "USD"));
    send(uqpay_create(&sim, &token, &new_key(), uqpay_body(&payment))).await;
    send(uqpay(
        &sim,
        &token,
        Method::GET,
        "/v2/payment/refunds?page_number=1&page_size=5",
    ))
    .await;
    send(common::wooshpay(&sim, Method::GET, "/v1/refunds/re_1")).await;
    let journal = sim.uqpay().journal();
    assert_eq!(journal.len(), 3);
    let mint = &journal[0];
    assert_eq!(
        (mint.method.as_str(), mint.path.as_str(), mint.route),
        ("POST", "/api/v1/connect/token", Some(Route::Token))
    );
    assert_eq!(mint.header("x-api-key"), Some(MASK));
    assert_eq!(mint.header("x-client-id"), Some("sim-client"));
    let create = &journal[1];
    assert_eq!(create.header("x-auth-token"), Some("Bearer [masked]"));
    assert_eq!(create.json().unwrap()["amount"], "1.00");
    assert_eq!(
        journal[2].query.as_deref(),
        Some("page_number=1&page_size=5")
    );
    let everything = format!("{journal:?}{:?}", sim.wooshpay().journal());
    assert!(!everything.contains(&token) && !everything.contains("sim-api-key"));
    assert_eq!(
        sim.wooshpay().journal()[0].header("authorization"),
        Some("Basic [masked]")
    );
    sim.uqpay().clear_journal();
    assert_eq!(sim.uqpay().journal_len(), 0);
}
