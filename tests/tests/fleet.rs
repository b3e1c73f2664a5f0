//! Four worker processes on one UQPay client id against one simulator
//! (which, like UQPay, invalidates a token as soon as a newer one is
//! minted): sharing a file or Redis store, no refund is lost and one token
//! is minted per expiry; with a store per process, refunds are lost.

use refundkit_testkit::SupersededAnswer;
use refundkit_tests::fleet::{run_fleet, shared_redis_url, FleetFigures, FleetSpec, FleetStore};
use tokio::sync::Mutex;

const WORKER: &str = env!("CARGO_BIN_EXE_refundkit-fleet-worker");
const PROCESSES: usize = 4;
const REFUNDS_PER_PROCESS: usize = 250;
const CONCURRENCY: usize = 64;

/// Fleet runs take both cores: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

fn spec(store: FleetStore, superseded: SupersededAnswer) -> FleetSpec {
    FleetSpec {
        processes: PROCESSES,
        refunds_per_process: REFUNDS_PER_PROCESS,
        concurrency: CONCURRENCY,
        store,
        superseded,
        expire_mid_run: true,
    }
}

async fn run(spec: &FleetSpec) -> FleetFigures {
    let _turn = ONE_AT_A_TIME.lock().await;
    let figures = run_fleet(WORKER.as_ref(), &[], spec).await;
    println!("{}", figures.summary(spec));
    figures
}

fn assert_no_loss_and_one_mint_per_expiry(spec: &FleetSpec, figures: &FleetFigures) {
    let summary = figures.summary(spec);
    assert_eq!(figures.failed, 0, "{summary}");
    assert_eq!(figures.ok, PROCESSES * REFUNDS_PER_PROCESS, "{summary}");
    assert_eq!(figures.expiries, 1, "{summary}");
    assert_eq!(figures.mints, 1 + figures.expiries, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_sharing_a_file_store_lose_no_refund_and_mint_once_per_expiry() {
    for superseded in [
        SupersededAnswer::InvalidAuthToken,
        SupersededAnswer::TokenHasExpired,
    ] {
        let spec = spec(FleetStore::File, superseded);
        let figures = run(&spec).await;
        assert_no_loss_and_one_mint_per_expiry(&spec, &figures);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_sharing_redis_lose_no_refund_and_mint_once_per_expiry() {
    let Some(url) = shared_redis_url("four_processes_sharing_redis") else {
        return;
    };
    for superseded in [
        SupersededAnswer::InvalidAuthToken,
        SupersededAnswer::TokenHasExpired,
    ] {
        let spec = spec(FleetStore::Redis(url.clone()), superseded);
        let figures = run(&spec).await;
        assert_no_loss_and_one_mint_per_expiry(&spec, &figures);
    }
}

/// The failure the shared stores fix, measured the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_with_a_store_each_lose_refunds() {
    for superseded in [
        SupersededAnswer::InvalidAuthToken,
        SupersededAnswer::TokenHasExpired,
    ] {
        let spec = spec(FleetStore::InProcess, superseded);
        let figures = run(&spec).await;
        let summary = figures.summary(&spec);
        assert!(figures.failed > 0, "{summary}");
        assert!(figures.mints > 1 + figures.expiries, "{summary}");
    }
}
