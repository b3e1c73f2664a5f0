//! The scrub test of issue 9: both real adapters against simulators in
//! "echo secrets" mode, which quote every credential they receive in refund
//! bodies, error messages and request-id headers. Every text the library
//! lets out — error `Display` and `Debug`, returned refunds' `Debug`, serde
//! JSON and raw body, and every TRACE log line — is searched for every
//! secret: none may appear.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use refundkit::toolkit::transport::{RetryPolicy, TransportConfig};
use refundkit::uqpay::{UqPayClient, UqPayConfig};
use refundkit::wooshpay::{WooshPayClient, WooshPayConfig};
use refundkit::{
    IdempotencyKey, ListRefunds, Money, Refund, RefundAmount, RefundError, RefundId,
    RefundProvider, RefundReason, RefundRequest, SecretString,
};
use refundkit_testkit::{ProviderSim, Simulator};

const UQPAY_CLIENT_ID: &str = "echo-client";
const UQPAY_KEY: &str = "uqpay-ECHOED-api-key-7f3a91";
const UQPAY_WEBHOOK_SECRET: &str = "uqpay-whsec-ECHOED-5e21";
const WOOSHPAY_KEY: &str = "sk_test_ECHOED_secret_key_9b2c";
const WOOSHPAY_WEBHOOK_SECRET: &str = "whsec_ECHOED_44d0";

/// A TRACE log sink.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Every text the library let out during the flows.
#[derive(Default)]
struct Shown(Vec<String>);

impl Shown {
    fn refund(&mut self, refund: &Refund) {
        self.0.push(format!("{refund:?}"));
        self.0.push(serde_json::to_string(refund).unwrap());
        self.0.push(refund.raw.to_string());
    }

    fn error(&mut self, error: &RefundError) {
        self.0.push(format!("{error}"));
        self.0.push(format!("{error:?}"));
    }

    fn ok(&mut self, result: Result<Refund, RefundError>, what: &str) -> Refund {
        match result {
            Ok(refund) => {
                self.refund(&refund);
                refund
            }
            Err(error) => panic!("{what}: {error:?}"),
        }
    }

    fn err<T: std::fmt::Debug>(&mut self, result: Result<T, RefundError>, what: &str) {
        match result {
            Err(error) => self.error(&error),
            Ok(value) => panic!("{what} should fail: {value:?}"),
        }
    }
}

fn transport() -> TransportConfig {
    TransportConfig::default()
        .with_timeout(Duration::from_secs(10))
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(5)),
        )
}

async fn echoing_simulator() -> Simulator {
    let sim = Simulator::builder()
        .uqpay_credentials(UQPAY_CLIENT_ID, UQPAY_KEY)
        .wooshpay_secret_key(WOOSHPAY_KEY)
        .start()
        .await
        .unwrap();
    sim.uqpay().echo_secrets(true);
    sim.wooshpay().echo_secrets(true);
    sim
}

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn refund_request(payment: &str, amount: RefundAmount) -> RefundRequest {
    RefundRequest::builder(payment, amount, RefundReason::RequestedByCustomer)
        .idempotency_key(IdempotencyKey::new())
        .metadata("order_id", "order-1")
        .build()
        .unwrap()
}

/// Create (partial and full), get, list, an unknown refund, a refused create.
async fn flows(provider: &dyn RefundProvider, sim: &ProviderSim, lists: bool, shown: &mut Shown) {
    let payment = sim.seed_captured(usd("100.00"));
    let other_payment = sim.seed_captured(usd("40.00"));

    let partial = provider
        .create_refund(&refund_request(
            &payment,
            RefundAmount::Partial(usd("10.00")),
        ))
        .await;
    let partial = shown.ok(partial, "partial create");
    let full = provider
        .create_refund(&refund_request(&other_payment, RefundAmount::Full))
        .await;
    shown.ok(full, "full create");
    let read = provider.get_refund(&partial.id).await;
    shown.ok(read, "get");
    let mut query = ListRefunds::default();
    query.payment_id = Some(payment.clone());
    let listed = provider.list_refunds(&query).await;
    if lists {
        let page = listed.unwrap();
        assert_eq!(page.refunds.len(), 1, "{page:?}");
        shown.0.push(format!("{page:?}"));
        page.refunds.iter().for_each(|refund| shown.refund(refund));
    } else {
        shown.err(listed, "list");
    }
    let unknown = RefundId::new(format!("{}0000000000000000001", &partial.id.as_str()[..2]));
    shown.err(
        provider.get_refund(&unknown.unwrap()).await,
        "unknown refund",
    );
    let too_much = refund_request(&payment, RefundAmount::Partial(usd("1000.00")));
    shown.err(provider.create_refund(&too_much).await, "refused create");
}

/// The configured secrets and everything the simulators echoed.
fn secrets(sim: &Simulator) -> Vec<String> {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{WOOSHPAY_KEY}:"));
    let mut secrets: Vec<String> = [
        UQPAY_KEY,
        UQPAY_WEBHOOK_SECRET,
        WOOSHPAY_KEY,
        WOOSHPAY_WEBHOOK_SECRET,
        &basic,
    ]
    .map(str::to_string)
    .to_vec();
    secrets.extend(sim.uqpay().echoed_secrets());
    secrets.extend(sim.wooshpay().echoed_secrets());
    secrets
}

#[tokio::test(flavor = "current_thread")]
async fn no_secret_an_echoing_provider_quotes_reaches_any_error_value_or_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let sim = echoing_simulator().await;
    let uqpay = UqPayClient::new(
        UqPayConfig::builder(UQPAY_CLIENT_ID, SecretString::from(UQPAY_KEY))
            .base_url(sim.uqpay().base_url())
            .webhook_secret(SecretString::from(UQPAY_WEBHOOK_SECRET))
            .transport(transport())
            .build()
            .unwrap(),
    )
    .unwrap();
    let wooshpay = WooshPayClient::new(
        WooshPayConfig::builder(SecretString::from(WOOSHPAY_KEY))
            .base_url(sim.wooshpay().base_url())
            .webhook_secret(SecretString::from(WOOSHPAY_WEBHOOK_SECRET))
            .transport(transport())
            .build()
            .unwrap(),
    )
    .unwrap();
    let mut shown = Shown::default();

    flows(&uqpay, sim.uqpay(), true, &mut shown).await;
    flows(&wooshpay, sim.wooshpay(), false, &mut shown).await;
    shown.0.push(format!("{uqpay:?} {wooshpay:?}"));

    let secrets = secrets(&sim);
    let echoed = sim.uqpay().echoed_secrets();
    assert!(echoed.iter().any(|s| s == UQPAY_KEY), "{}", echoed.len());
    assert!(
        echoed
            .iter()
            .any(|s| s.matches('.').count() == 2 && !s.contains(' ')),
        "a bare bearer token was echoed"
    );
    assert!(sim
        .wooshpay()
        .echoed_secrets()
        .iter()
        .any(|s| s == WOOSHPAY_KEY));
    let logs = captured.text();
    assert!(logs.contains("refundkit.http"), "TRACE logs were captured");
    let texts = shown.0.join("\n");
    assert!(
        texts.contains("[REDACTED]"),
        "the echoes reached the client and were masked"
    );
    for secret in &secrets {
        assert!(
            !texts.contains(secret.as_str()),
            "{secret} leaked in:\n{texts}"
        );
        assert!(
            !logs.contains(secret.as_str()),
            "{secret} leaked in logs:\n{logs}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_wrong_key_quoted_back_with_the_refusal_never_reaches_the_error_or_the_logs() {
    const WRONG_UQPAY_KEY: &str = "uqpay-WRONG-api-key-0c1d";
    const WRONG_WOOSHPAY_KEY: &str = "sk_test_WRONG_secret_key_77e3";
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let sim = echoing_simulator().await;
    let uqpay = UqPayClient::new(
        UqPayConfig::builder(UQPAY_CLIENT_ID, SecretString::from(WRONG_UQPAY_KEY))
            .base_url(sim.uqpay().base_url())
            .transport(transport())
            .build()
            .unwrap(),
    )
    .unwrap();
    let wooshpay = WooshPayClient::new(
        WooshPayConfig::builder(SecretString::from(WRONG_WOOSHPAY_KEY))
            .base_url(sim.wooshpay().base_url())
            .transport(transport())
            .build()
            .unwrap(),
    )
    .unwrap();
    let mut shown = Shown::default();

    let uqpay_refund = RefundId::new("RF0000000000000000001").unwrap();
    shown.err(
        uqpay.get_refund(&uqpay_refund).await,
        "UQPay with a wrong key",
    );
    let wooshpay_refund = RefundId::new("re_0000000000000000001").unwrap();
    shown.err(
        wooshpay.get_refund(&wooshpay_refund).await,
        "WooshPay with a wrong key",
    );

    let mut secrets = vec![WRONG_UQPAY_KEY.to_string(), WRONG_WOOSHPAY_KEY.to_string()];
    secrets.extend(sim.uqpay().echoed_secrets());
    secrets.extend(sim.wooshpay().echoed_secrets());
    assert!(secrets.len() > 2, "the refusals echoed the keys");
    let texts = shown.0.join("\n");
    assert!(texts.contains("[REDACTED]"), "{texts}");
    let logs = captured.text();
    for secret in &secrets {
        assert!(
            !texts.contains(secret.as_str()),
            "{secret} leaked in:\n{texts}"
        );
        assert!(
            !logs.contains(secret.as_str()),
            "{secret} leaked in logs:\n{logs}"
        );
    }
}
