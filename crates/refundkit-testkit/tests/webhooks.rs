//! The webhook emitter against the shared signature vectors, and a delivery
//! to a local endpoint.

mod common;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use refundkit_testkit::webhook::{
    uqpay_refund_event, uqpay_signature, wooshpay_refund_event, wooshpay_signature,
    wooshpay_signature_header, SignedWebhook, UqPayRefundEvent, WebhookEmitter,
};
use refundkit_testkit::{SimRefundStatus, Simulator};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../tests/fixtures/webhooks.json");

fn valid_vectors(provider: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["provider"] == provider && v["valid"] == true)
        .cloned()
        .collect()
}

fn header<'a>(vector: &'a Value, name: &str) -> &'a str {
    vector["headers"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| v.as_str())
        .unwrap()
}

#[test]
fn uqpay_signatures_reproduce_every_valid_vector() {
    let vectors = valid_vectors("uqpay");
    assert_eq!(vectors.len(), 2);
    for vector in vectors {
        let (secret, body) = (
            vector["secret"].as_str().unwrap(),
            vector["body"].as_str().unwrap(),
        );
        let timestamp = header(&vector, "x-wk-timestamp");
        let expected = header(&vector, "x-wk-signature");
        assert_eq!(
            uqpay_signature(secret, body.as_bytes(), timestamp),
            expected,
            "{}",
            vector["case"]
        );
        let delivery = SignedWebhook::uqpay(secret, body.as_bytes().to_vec(), timestamp);
        assert_eq!(delivery.header("x-wk-signature"), Some(expected));
        assert_eq!(delivery.header("x-wk-timestamp"), Some(timestamp));
        assert_eq!(delivery.body(), body.as_bytes());
    }
}

#[test]
fn wooshpay_signatures_reproduce_every_valid_vector() {
    let vectors = valid_vectors("wooshpay");
    assert_eq!(vectors.len(), 2);
    for vector in vectors {
        let (secret, body) = (
            vector["secret"].as_str().unwrap(),
            vector["body"].as_str().unwrap(),
        );
        let sent = header(&vector, "wooshpay-signature");
        let t = sent.split(',').find_map(|p| p.strip_prefix("t=")).unwrap();
        let v1s: Vec<&str> = sent
            .split(',')
            .filter_map(|p| p.strip_prefix("v1="))
            .collect();
        let ours = wooshpay_signature(secret, body.as_bytes(), t);
        assert!(
            v1s.contains(&ours.as_str()),
            "{}: {ours} not in {v1s:?}",
            vector["case"]
        );
        let header_value = wooshpay_signature_header(secret, body.as_bytes(), t.parse().unwrap());
        assert_eq!(header_value, format!("t={t},v1={ours}"));
        let delivery =
            SignedWebhook::wooshpay(secret, body.as_bytes().to_vec(), t.parse().unwrap());
        assert_eq!(
            delivery.header("Wooshpay-Signature"),
            Some(header_value.as_str())
        );
    }
}

#[test]
fn an_invalid_vector_does_not_match_our_signature() {
    let all: Value = serde_json::from_str(VECTORS).unwrap();
    let tampered = all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["provider"] == "uqpay" && v["case"] == "tampered body")
        .unwrap();
    let ours = uqpay_signature(
        tampered["secret"].as_str().unwrap(),
        tampered["body"].as_str().unwrap().as_bytes(),
        header(tampered, "x-wk-timestamp"),
    );
    assert_ne!(ours, header(tampered, "x-wk-signature"));
}

#[tokio::test]
async fn event_builders_follow_the_documented_shapes() {
    let sim = Simulator::start().await.unwrap();
    let payment = sim.uqpay().seed_captured(common::money("8.88", "SGD"));
    let token = common::uqpay_token(&sim).await;
    let body = serde_json::json!({"payment_intent_id": payment, "amount": "8.88", "reason": "full refund"});
    common::send(common::uqpay_create(&sim, &token, &common::new_key(), body)).await;
    let refund = &sim.uqpay().refunds()[0];
    let event = uqpay_refund_event(UqPayRefundEvent::for_status(refund.status), refund);
    assert_eq!(event["event_name"], "ACQUIRING");
    assert_eq!(event["event_type"], "acquiring.refund.succeeded");
    assert_eq!(event["source_id"], refund.id.as_str());
    assert_eq!(
        uuid::Uuid::parse_str(event["event_id"].as_str().unwrap())
            .unwrap()
            .get_version_num(),
        4
    );
    assert_eq!(event["data"]["payment_intent_id"], payment.as_str());
    assert_eq!(event["data"]["payment_refund_id"], refund.id.as_str());
    assert_eq!(event["data"]["amount"], "8.88");
    assert!(event["data"]["complete_time"].is_string());
    assert_eq!(
        UqPayRefundEvent::for_status(SimRefundStatus::Pending).event_type(),
        "acquiring.refund.created"
    );

    let woosh = wooshpay_refund_event(refund);
    assert_eq!(woosh["type"], "charge.refund.updated");
    assert_eq!(woosh["object"], "event");
    assert!(woosh["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(woosh["data"]["object"]["object"], "refund");
    assert_eq!(woosh["data"]["object"]["amount"], 888);
    assert_eq!(woosh["data"]["object"]["currency"], "sgd");
}

#[tokio::test]
async fn emitter_posts_the_signed_body_and_headers() {
    let received: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
    let sink = received.clone();
    let app = Router::new().route(
        "/hooks",
        post(move |headers: HeaderMap, body: Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push((headers, body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let body = br#"{"event_type":"acquiring.refund.created"}"#.to_vec();
    let delivery = SignedWebhook::uqpay_now("whsec_test", body.clone());
    let answer = WebhookEmitter::new()
        .deliver(&url, &delivery)
        .await
        .unwrap();
    assert_eq!((answer.status, answer.body.as_str()), (200, "ok"));
    let woosh = SignedWebhook::wooshpay_now("whsec_test", body.clone());
    WebhookEmitter::default()
        .deliver(&url, &woosh)
        .await
        .unwrap();

    let received = received.lock().unwrap();
    let (headers, raw) = &received[0];
    assert_eq!(raw.as_ref(), body.as_slice());
    let timestamp = headers["x-wk-timestamp"].to_str().unwrap();
    assert_eq!(
        headers["x-wk-signature"].to_str().unwrap(),
        uqpay_signature("whsec_test", &body, timestamp)
    );
    let signature = received[1].0["wooshpay-signature"].to_str().unwrap();
    let t: i64 = signature
        .strip_prefix("t=")
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(signature, wooshpay_signature_header("whsec_test", &body, t));
}
