//! Finding a refund by its key through the real adapters against the
//! simulators, where the conformance suite's small cases do not reach: more
//! refunds than one list page holds, a refund made months ago (UQPay's
//! 90-day list windows back to the intent's `create_time`), and UQPay full
//! refunds re-sent with nothing left — within the window and after it.

use std::time::Duration;

use refundkit::toolkit::transport::TransportConfig;
use refundkit::{
    recover_refund, IdempotencyKey, Money, OffsetDateTime, RefundAmount, RefundError,
    RefundProvider, RefundReason, RefundRequest,
};
use refundkit_testkit::{PaymentSeed, ProviderSim, Route, Simulator};
use refundkit_tests::{uqpay_client, wooshpay_client};

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn request(payment: &str, amount: RefundAmount) -> RefundRequest {
    RefundRequest::builder(payment, amount, RefundReason::RequestedByCustomer)
        .idempotency_key(IdempotencyKey::new())
        .build()
        .unwrap()
}

/// 105 refunds of one payment: the oldest is on the second list page.
async fn finds_past_the_first_page(sim: &ProviderSim, provider: &dyn RefundProvider) {
    let payment = sim.seed_captured(usd("10.00"));
    let oldest = request(&payment, RefundAmount::Partial(usd("0.01")));
    let made = provider.create_refund(&oldest).await.unwrap();
    for _ in 0..104 {
        provider
            .create_refund(&request(&payment, RefundAmount::Partial(usd("0.01"))))
            .await
            .unwrap();
    }
    assert_eq!(sim.refund_count_for(&payment), 105);
    sim.clear_journal();
    let found = provider
        .find_refund_by_key(&payment, oldest.idempotency_key())
        .await
        .unwrap()
        .expect("the oldest refund is found on the second page");
    assert_eq!(found.id, made.id);
    assert_eq!(
        found.idempotency_key().as_ref(),
        Some(oldest.idempotency_key())
    );
    let pages = sim
        .journal()
        .iter()
        .filter(|e| e.route == Some(Route::ListRefunds))
        .count();
    assert_eq!(pages, 2, "{:?}", sim.journal());
    let none = provider
        .find_refund_by_key(&payment, &IdempotencyKey::new())
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uqpay_pages_through_every_refund_of_the_payment() {
    let sim = Simulator::start().await.unwrap();
    let provider = uqpay_client(TransportConfig::default(), sim.uqpay()).unwrap();
    finds_past_the_first_page(sim.uqpay(), provider.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wooshpay_pages_through_every_refund_of_the_payment() {
    let sim = Simulator::start().await.unwrap();
    let provider = wooshpay_client(TransportConfig::default(), sim.wooshpay()).unwrap();
    finds_past_the_first_page(sim.wooshpay(), provider.as_ref()).await;
    let queries: Vec<_> = sim
        .wooshpay()
        .journal()
        .into_iter()
        .filter(|e| e.route == Some(Route::ListRefunds))
        .filter_map(|e| e.query)
        .collect();
    assert!(
        queries
            .iter()
            .all(|q| q.contains("payment_intent=pi_") && q.contains("limit=100")),
        "{queries:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uqpay_finds_a_refund_made_months_ago_window_by_window() {
    let sim = Simulator::start().await.unwrap();
    let uqpay = sim.uqpay();
    let provider = uqpay_client(TransportConfig::default(), uqpay).unwrap();
    let now = OffsetDateTime::now_utc();
    let payment = uqpay.seed_payment(
        PaymentSeed::captured(usd("10.00")).created_at(now - time::Duration::days(250)),
    );
    let old = request(&payment, RefundAmount::Partial(usd("4.00")));
    let made = provider.create_refund(&old).await.unwrap();
    assert!(uqpay.set_refund_created_at(made.id.as_str(), now - time::Duration::days(200)));
    provider
        .create_refund(&request(&payment, RefundAmount::Partial(usd("1.00"))))
        .await
        .unwrap();
    uqpay.clear_journal();
    let found = provider
        .find_refund_by_key(&payment, old.idempotency_key())
        .await
        .unwrap()
        .expect("a refund 200 days old is found");
    assert_eq!(found.id, made.id);
    let windows = uqpay
        .journal()
        .iter()
        .filter(|e| e.route == Some(Route::ListRefunds))
        .count();
    assert_eq!(windows, 3, "90-day windows: 0-90, 90-180, 180-270 days ago");
    // Not found: every window back to the intent's creation, then none.
    uqpay.clear_journal();
    let none = provider
        .find_refund_by_key(&payment, &IdempotencyKey::new())
        .await
        .unwrap();
    assert!(none.is_none());
    let windows = uqpay
        .journal()
        .iter()
        .filter(|e| e.route == Some(Route::ListRefunds))
        .count();
    assert_eq!(windows, 3, "no window before the intent was created");
    // And recover_refund a "month later" returns it, making nothing new.
    let recovered = recover_refund(provider.as_ref(), &old).await.unwrap();
    assert_eq!(recovered.id, made.id);
    assert_eq!(uqpay.refund_count_for(&payment), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uqpay_full_refund_resent_with_nothing_left_replays_by_key_even_after_the_window() {
    let sim = Simulator::start().await.unwrap();
    let uqpay = sim.uqpay();
    let provider = uqpay_client(TransportConfig::default(), uqpay).unwrap();
    let payment = uqpay.seed_captured(usd("10.00"));
    let full = request(&payment, RefundAmount::Full);
    let made = provider.create_refund(&full).await.unwrap();
    uqpay.clear_journal();
    let again = provider.create_refund(&full).await.unwrap();
    assert_eq!(again.id, made.id);
    let creates = |sim: &ProviderSim| {
        sim.journal()
            .iter()
            .filter(|e| e.route == Some(Route::CreateRefund))
            .count()
    };
    assert_eq!(
        creates(uqpay),
        0,
        "nothing left: looked up by key, not re-sent"
    );
    uqpay.set_idempotency_window(Duration::ZERO);
    let after_window = provider.create_refund(&full).await.unwrap();
    assert_eq!(after_window.id, made.id);
    assert_eq!(uqpay.refund_count_for(&payment), 1);
    // Another full refund of the same payment (another key) has nothing to
    // refund and no refund of its own: refused, decided by refundkit.
    let other = provider
        .create_refund(&request(&payment, RefundAmount::Full))
        .await
        .unwrap_err();
    assert!(
        matches!(other, RefundError::NothingLeftToRefund { .. }),
        "{other:?}"
    );
    assert_eq!(uqpay.refund_count_for(&payment), 1);
}
