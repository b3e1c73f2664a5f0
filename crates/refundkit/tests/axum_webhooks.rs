//! The webhook extractor through a real axum router on loopback: a valid
//! delivery reaches the handler as a normalized event; tampered, stale,
//! unsigned and oversized deliveries are refused, never with a 2xx.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::post;
use axum::Router;
use refundkit::axum::{VerifiedWebhook, WebhookReceiver};
use refundkit::{Money, RefundAmount, RefundReason, RefundRequest, Refunds};
use refundkit_testkit::webhook::{SignedWebhook, WebhookEmitter};
use refundkit_testkit::Simulator;

const SECRET: &str = "uqpay-webhook-secret-axum";

#[derive(Clone)]
struct App {
    receiver: WebhookReceiver,
    seen: Arc<Mutex<Vec<String>>>,
}

impl axum::extract::FromRef<App> for WebhookReceiver {
    fn from_ref(app: &App) -> Self {
        app.receiver.clone()
    }
}

async fn on_event(State(app): State<App>, VerifiedWebhook(event): VerifiedWebhook) -> &'static str {
    app.seen.lock().unwrap().push(event.event_id.clone());
    "ok"
}

struct Fixture {
    sim: Simulator,
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
    refund_id: String,
}

async fn start() -> Fixture {
    let sim = Simulator::start().await.unwrap();
    let env = [
        ("UQPAY_CLIENT_ID", sim.uqpay_client_id().to_string()),
        ("UQPAY_API_KEY", sim.uqpay_api_key().to_string()),
        ("UQPAY_BASE_URL", sim.uqpay_base_url()),
        ("UQPAY_WEBHOOK_SECRET", SECRET.to_string()),
    ];
    let refunds = Refunds::from_lookup(|name| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap();
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("20.00", "USD").unwrap());
    let request = RefundRequest::builder(
        payment,
        RefundAmount::Partial(Money::parse("5", "USD").unwrap()),
        RefundReason::Duplicate,
    )
    .build()
    .unwrap();
    let refund = refunds.create_refund(&request).await.unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = App {
        receiver: WebhookReceiver::new(Arc::new(refunds), refundkit::uqpay::PROVIDER)
            .body_limit(16 * 1024),
        seen: seen.clone(),
    };
    let router = Router::new()
        .route("/webhooks/uqpay", post(on_event))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/uqpay", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Fixture {
        sim,
        url,
        seen,
        refund_id: refund.id.as_str().to_string(),
    }
}

impl Fixture {
    fn delivery(&self) -> SignedWebhook {
        self.sim
            .uqpay()
            .refund_webhook(&self.refund_id, SECRET)
            .unwrap()
    }

    async fn deliver(&self, webhook: &SignedWebhook) -> u16 {
        WebhookEmitter::new()
            .deliver(&self.url, webhook)
            .await
            .unwrap()
            .status
    }

    /// `webhook`'s headers and body, changed by `change`, re-assembled.
    async fn deliver_raw(&self, headers: Vec<(String, String)>, body: Vec<u8>) -> u16 {
        let client = reqwest::Client::new();
        let mut post = client.post(&self.url).body(body);
        for (name, value) in headers {
            post = post.header(name, value);
        }
        post.send().await.unwrap().status().as_u16()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_delivery_reaches_the_handler_as_an_event() {
    let fixture = start().await;
    assert_eq!(fixture.deliver(&fixture.delivery()).await, 200);
    assert_eq!(fixture.seen.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_body_is_refused_with_401() {
    let fixture = start().await;
    let delivery = fixture.delivery();
    let mut body = delivery.body().to_vec();
    body.extend_from_slice(b" ");
    assert_eq!(
        fixture.deliver_raw(delivery.headers().to_vec(), body).await,
        401
    );
    assert!(fixture.seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_delivery_is_refused_with_401() {
    let fixture = start().await;
    let body = fixture.delivery().body().to_vec();
    let stale = SignedWebhook::uqpay(SECRET, body, "1700000000");
    assert_eq!(fixture.deliver(&stale).await, 401);
    assert!(fixture.seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_without_its_signature_header_is_refused_with_400() {
    let fixture = start().await;
    let delivery = fixture.delivery();
    let headers = delivery
        .headers()
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("x-wk-signature"))
        .cloned()
        .collect();
    assert_eq!(
        fixture.deliver_raw(headers, delivery.body().to_vec()).await,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_with_413_before_verification() {
    let fixture = start().await;
    let big = SignedWebhook::uqpay_now(SECRET, vec![b' '; 32 * 1024]);
    assert_eq!(fixture.deliver(&big).await, 413);
    assert!(fixture.seen.lock().unwrap().is_empty());
}
