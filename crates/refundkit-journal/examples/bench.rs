//! Refunds per second, bare adapter vs journaled, at concurrency 1 and 32,
//! on SQLite and (with `REFUNDKIT_TEST_POSTGRES_URL`) PostgreSQL, against the
//! in-process WooshPay simulator. Rounds alternate between the two sides so
//! a noisy machine favours neither; figures are medians of per-round rates.
//!
//! ```sh
//! cargo run --release -p refundkit-journal --features postgres --example bench
//! ```

use std::sync::Arc;
use std::time::Instant;

use refundkit_core::{
    IdempotencyKey, Money, RefundAmount, RefundProvider, RefundReason, RefundRequest, SecretString,
    DEFAULT_KEY_NAMESPACE,
};
use refundkit_journal::{Journal, JournaledRefunds};
use refundkit_testkit::{Simulator, DEFAULT_WOOSHPAY_SECRET_KEY};

const ROUNDS: usize = 7;
const PER_TASK: usize = 20;

fn request(payment: &str, journaled: bool) -> RefundRequest {
    let builder = RefundRequest::builder(
        payment,
        RefundAmount::Partial(Money::from_minor_units(
            1,
            refundkit_core::Currency::new("USD").unwrap(),
        )),
        RefundReason::RequestedByCustomer,
    );
    let builder = if journaled {
        builder.reference(DEFAULT_KEY_NAMESPACE, IdempotencyKey::new().to_string())
    } else {
        builder.idempotency_key(IdempotencyKey::new())
    };
    builder.build().unwrap()
}

fn wooshpay(sim: &Simulator) -> Arc<dyn RefundProvider> {
    Arc::new(
        refundkit_wooshpay::WooshPayClient::new(
            refundkit_wooshpay::WooshPayConfig::builder(SecretString::from(
                DEFAULT_WOOSHPAY_SECRET_KEY,
            ))
            .base_url(&sim.wooshpay_base_url())
            .build()
            .unwrap(),
        )
        .unwrap(),
    )
}

/// One round against a fresh simulator (so its ledger never grows from
/// round to round): `concurrency` tasks × PER_TASK refunds; returns refunds/s.
async fn round(journal: Option<&Journal>, concurrency: usize) -> f64 {
    let sim = Simulator::start().await.unwrap();
    let provider = wooshpay(&sim);
    let journaled = journal.map(|j| JournaledRefunds::new(j.clone(), provider.clone()));
    let journaled = journaled.as_ref();
    let total = concurrency * PER_TASK;
    let ceiling = Money::parse("1000000.00", "USD").unwrap();
    // One payment per task: tasks on different payments need not wait for
    // each other (PostgreSQL locks per payment; SQLite has one writer).
    let payments: Vec<String> = (0..concurrency)
        .map(|_| sim.wooshpay().seed_captured(ceiling))
        .collect();
    let started = Instant::now();
    let tasks: Vec<_> = payments
        .into_iter()
        .map(|payment| {
            let provider = provider.clone();
            let journaled = journaled.cloned();
            tokio::spawn(async move {
                for _ in 0..PER_TASK {
                    match &journaled {
                        Some(refunds) => {
                            refunds
                                .create_refund(&request(&payment, true), ceiling)
                                .await
                                .unwrap();
                        }
                        None => {
                            provider
                                .create_refund(&request(&payment, false))
                                .await
                                .unwrap();
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = std::env::temp_dir().join(format!("refundkit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut backends = vec![(
        "sqlite",
        format!("sqlite://{}", dir.join("bench.db").display()),
    )];
    match std::env::var("REFUNDKIT_TEST_POSTGRES_URL") {
        Ok(url) => backends.push(("postgres", url)),
        Err(_) => println!("(PostgreSQL skipped: set REFUNDKIT_TEST_POSTGRES_URL)"),
    }
    println!(
        "{ROUNDS} rounds per side, {PER_TASK} refunds per task, alternating bare and journaled (medians), WooshPay simulator on loopback"
    );
    for (backend, url) in backends {
        let journal = Journal::open(&url).await.unwrap(); // the default pool: 8 connections
        for concurrency in [1, 32] {
            // One warm-up round each, not counted.
            round(None, concurrency).await;
            round(Some(&journal), concurrency).await;
            let (mut bare, mut with) = (Vec::new(), Vec::new());
            for _ in 0..ROUNDS {
                bare.push(round(None, concurrency).await);
                with.push(round(Some(&journal), concurrency).await);
            }
            let (bare, with) = (median(bare), median(with));
            println!(
                "{backend:<8} concurrency {concurrency:>2}   bare {bare:>7.0} refunds/s   journaled {with:>7.0} refunds/s   ratio {:.2}x",
                bare / with
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
