//! The operator's CLI next to a running backend on one UQPay client id: run
//! 20 times while the backend refunds continuously, the backend loses no
//! refund (both share the token file, the CLI's default store) and one
//! token is minted in all. With the CLI on its own in-memory token, every
//! command mints and supersedes the backend's token.

use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use refundkit::uqpay::{TokenStoreSetting, UqPayClient, UqPayConfig};
use refundkit::{
    IdempotencyKey, Money, RefundAmount, RefundProvider, RefundReason, RefundRequest, SecretString,
};
use refundkit_testkit::Simulator;

const CLI_RUNS: usize = 20;

struct Figures {
    backend_ok: usize,
    backend_failed: usize,
    cli_failed: usize,
    mints: u64,
}

fn cli(
    sim: &Simulator,
    cache: &std::path::Path,
    store: Option<&str>,
    payment: &str,
    n: usize,
) -> bool {
    let mut command = Command::new(env!("CARGO_BIN_EXE_refundkit"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("XDG_CACHE_HOME", cache)
        .env("UQPAY_CLIENT_ID", sim.uqpay_client_id())
        .env("UQPAY_API_KEY", sim.uqpay_api_key())
        .env("UQPAY_ENVIRONMENT", "sandbox")
        .env("UQPAY_BASE_URL", sim.uqpay_base_url())
        .args(["create", "--provider", "uqpay", "--payment", payment])
        .args(["--amount", "0.01", "--currency", "USD"])
        .args(["--reason", "requested_by_customer"])
        .args(["--reference", &format!("operator-{n}")]);
    if let Some(store) = store {
        command.env("UQPAY_TOKEN_STORE", store);
    }
    let output = command.output().unwrap();
    if !output.status.success() {
        eprintln!("cli: {}", String::from_utf8_lossy(&output.stderr));
    }
    output.status.success()
}

/// A backend refunding until told to stop, while the CLI runs `runs` times.
async fn backend_with_operator(cli_store: Option<&'static str>, runs: usize) -> Figures {
    let sim = Simulator::start().await.unwrap();
    let payment = sim
        .uqpay()
        .seed_captured(Money::parse("100000.00", "USD").unwrap());
    let cache = std::env::temp_dir().join(format!(
        "refundkit-cli-fleet-{}-{}",
        std::process::id(),
        cli_store.unwrap_or("default")
    ));
    let _ = std::fs::remove_dir_all(&cache);
    let cache_for_lookup = cache.display().to_string();
    let lookup = move |name: &str| (name == "XDG_CACHE_HOME").then(|| cache_for_lookup.clone());
    // The backend's own configuration: the same default file store.
    let config = UqPayConfig::builder(
        sim.uqpay_client_id(),
        SecretString::from(sim.uqpay_api_key()),
    )
    .base_url(&sim.uqpay_base_url())
    .token_store(TokenStoreSetting::parse("file", lookup).unwrap())
    .build()
    .unwrap();
    let backend = Arc::new(UqPayClient::new(config).unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (backend, stop, ok, failed, payment) = (
            backend.clone(),
            stop.clone(),
            ok.clone(),
            failed.clone(),
            payment.clone(),
        );
        tasks.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let request = RefundRequest::builder(
                    payment.as_str(),
                    RefundAmount::Partial(Money::parse("0.01", "USD").unwrap()),
                    RefundReason::RequestedByCustomer,
                )
                .idempotency_key(
                    IdempotencyKey::derive("backend", &format!("{worker}/{n}")).unwrap(),
                )
                .build()
                .unwrap();
                match backend.create_refund(&request).await {
                    Ok(_) => ok.fetch_add(1, Ordering::SeqCst),
                    Err(_) => failed.fetch_add(1, Ordering::SeqCst),
                };
            }
        });
    }
    let settled = |ok: &AtomicUsize, at_least: usize| ok.load(Ordering::SeqCst) >= at_least;
    while !settled(&ok, 20) && failed.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut cli_failed = 0;
    for n in 0..runs {
        let ran = tokio::task::block_in_place(|| cli(&sim, &cache, cli_store, &payment, n));
        if !ran {
            cli_failed += 1;
        }
    }
    // The backend goes on a little after the last command.
    let after = ok.load(Ordering::SeqCst) + failed.load(Ordering::SeqCst) + 40;
    while ok.load(Ordering::SeqCst) + failed.load(Ordering::SeqCst) < after {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.store(true, Ordering::SeqCst);
    while tasks.join_next().await.is_some() {}
    let _ = std::fs::remove_dir_all(&cache);
    Figures {
        backend_ok: ok.load(Ordering::SeqCst),
        backend_failed: failed.load(Ordering::SeqCst),
        cli_failed,
        mints: sim.uqpay().tokens_minted(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_run_20_times_next_to_a_backend_loses_the_backend_no_refund() {
    let shared = backend_with_operator(None, CLI_RUNS).await;
    println!(
        "CLI x{CLI_RUNS} on the shared file store: backend {} ok, {} failed; CLI failures {}; {} token mints",
        shared.backend_ok, shared.backend_failed, shared.cli_failed, shared.mints
    );
    assert_eq!(shared.cli_failed, 0);
    assert_eq!(shared.backend_failed, 0);
    assert!(shared.backend_ok >= 60);
    assert_eq!(shared.mints, 1, "the CLI reused the backend's token");

    // The contrast: each command on its own token supersedes the backend's.
    let apart = backend_with_operator(Some("memory"), 3).await;
    println!(
        "CLI x3 on its own in-memory token: backend {} ok, {} failed; CLI failures {}; {} token mints",
        apart.backend_ok, apart.backend_failed, apart.cli_failed, apart.mints
    );
    assert!(apart.mints > 3, "every command minted its own token");
}
