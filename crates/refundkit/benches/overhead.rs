//! What refundkit costs on top of a hand-written HTTP call.
//!
//! ```sh
//! cargo bench -p refundkit --bench overhead
//! ```
//!
//! Reads the same refund from the testkit simulator in alternating rounds:
//! once through the adapter (`get_refund`: transport, auth, classification,
//! exact mapping) and once with a bare `reqwest` GET that only parses the JSON
//! (the baseline). Rounds alternate so a noisy machine slows both alike; the
//! figures are medians of per-round means, printed with their ratio.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use refundkit::toolkit::transport::TransportConfig;
use refundkit::uqpay::{InMemoryTokenStore, TokenStore, UqPayClient, UqPayConfig};
use refundkit::wooshpay::{WooshPayClient, WooshPayConfig};
use refundkit::{
    ExposeSecret, Money, RefundAmount, RefundId, RefundProvider, RefundReason, RefundRequest,
    SecretString,
};
use refundkit_testkit::Simulator;

const ROUNDS: usize = 15;
const CALLS_PER_ROUND: usize = 200;

type Error = Box<dyn std::error::Error>;

/// Median of per-round mean latencies.
fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

async fn time_round<F, Fut>(mut call: F) -> Result<Duration, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    let started = Instant::now();
    for _ in 0..CALLS_PER_ROUND {
        call().await?;
    }
    Ok(started.elapsed() / CALLS_PER_ROUND as u32)
}

/// Runs adapter and baseline rounds alternately and prints one line.
async fn compare<A, AF, B, BF>(name: &str, mut adapter: A, mut baseline: B) -> Result<(), Error>
where
    A: FnMut() -> AF,
    AF: std::future::Future<Output = Result<(), Error>>,
    B: FnMut() -> BF,
    BF: std::future::Future<Output = Result<(), Error>>,
{
    // Warm up connections, the token and the allocator.
    time_round(&mut adapter).await?;
    time_round(&mut baseline).await?;
    let (mut ours, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ours.push(time_round(&mut adapter).await?);
        bare.push(time_round(&mut baseline).await?);
    }
    let (ours, bare) = (median(ours), median(bare));
    println!(
        "{name:<9} get_refund {:>8.1} µs   bare reqwest {:>8.1} µs   ratio {:.2}x",
        ours.as_secs_f64() * 1e6,
        bare.as_secs_f64() * 1e6,
        ours.as_secs_f64() / bare.as_secs_f64()
    );
    Ok(())
}

async fn seeded_refund(provider: &dyn RefundProvider, payment: &str) -> Result<RefundId, Error> {
    let request = RefundRequest::builder(
        payment,
        RefundAmount::Partial(Money::parse("10.01", "USD")?),
        RefundReason::RequestedByCustomer,
    )
    .build()?;
    Ok(provider.create_refund(&request).await?.id)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let sim = Simulator::start().await?;
    let bare = reqwest::Client::new();
    println!(
        "{ROUNDS} rounds × {CALLS_PER_ROUND} reads per side against the local simulators (medians)"
    );

    // WooshPay: Basic auth on both sides.
    let wooshpay = WooshPayClient::new(
        WooshPayConfig::builder(SecretString::from(sim.wooshpay_secret_key()))
            .base_url(&sim.wooshpay_base_url())
            .transport(TransportConfig::default())
            .build()?,
    )?;
    let payment = sim.wooshpay().seed_captured(Money::parse("100.00", "USD")?);
    let id = seeded_refund(&wooshpay, &payment).await?;
    let url = format!("{}/v1/refunds/{id}", sim.wooshpay_base_url());
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", sim.wooshpay_secret_key()))
    );
    compare(
        "wooshpay",
        || async {
            wooshpay.get_refund(&id).await?;
            Ok(())
        },
        || async {
            let body = bare
                .get(&url)
                .header("authorization", &basic)
                .send()
                .await?
                .bytes()
                .await?;
            serde_json::from_slice::<serde_json::Value>(&body)?;
            Ok(())
        },
    )
    .await?;

    // UQPay: both sides use the same token (a second mint would invalidate
    // the first), read from the store the adapter keeps it in.
    let store = Arc::new(InMemoryTokenStore::new());
    let uqpay = UqPayClient::with_token_store(
        UqPayConfig::builder(
            sim.uqpay_client_id(),
            SecretString::from(sim.uqpay_api_key()),
        )
        .base_url(&sim.uqpay_base_url())
        .build()?,
        store.clone(),
    )?;
    let payment = sim.uqpay().seed_captured(Money::parse("100.00", "USD")?);
    let id = seeded_refund(&uqpay, &payment).await?;
    let token = store.get().await.ok_or("the adapter holds no token")?;
    let bearer = format!("Bearer {}", token.value().expose_secret());
    let url = format!("{}/v2/payment/refunds/{id}", sim.uqpay_base_url());
    let client_id = sim.uqpay_client_id().to_string();
    compare(
        "uqpay",
        || async {
            uqpay.get_refund(&id).await?;
            Ok(())
        },
        || async {
            let body = bare
                .get(&url)
                .header("x-auth-token", &bearer)
                .header("x-client-id", &client_id)
                .send()
                .await?
                .bytes()
                .await?;
            serde_json::from_slice::<serde_json::Value>(&body)?;
            Ok(())
        },
    )
    .await?;
    Ok(())
}
