//! Token mints, 401s and lost refunds for 1, 2 and 4 processes on one UQPay
//! client id, with a token store per process, a shared file store and a
//! shared Redis, each with UQPay's two observed answers to a superseded
//! token, one forced expiry mid-run. Not a timed test: the figures go into
//! docs/benchmarks.md.
//!
//! `cargo run -p refundkit-tests --example fleet_bench [REFUNDS_PER_PROCESS]`
//!
//! Redis: `REFUNDKIT_TEST_REDIS_URL`, else a private `redis-server` on a free
//! loopback port (the Redis rows are left out if neither is there). The
//! example runs itself as each worker process (`fleet_bench worker …`).

use refundkit_testkit::SupersededAnswer;
use refundkit_tests::fleet::{run_fleet, worker_main, FleetSpec, FleetStore, RedisServer};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("worker") {
        return worker_main(args.get(1..).unwrap_or_default());
    }
    let refunds_per_process = args.first().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(bench(refunds_per_process));
    std::process::ExitCode::SUCCESS
}

async fn bench(refunds_per_process: usize) {
    let myself = std::env::current_exe().unwrap();
    let private_redis;
    let redis_url = match std::env::var("REFUNDKIT_TEST_REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            private_redis = RedisServer::start("fleet_bench", None);
            private_redis.as_ref().map(RedisServer::url)
        }
    };
    let mut stores = vec![FleetStore::InProcess, FleetStore::File];
    if let Some(url) = redis_url {
        stores.push(FleetStore::Redis(url));
    }
    println!(
        "{refunds_per_process} refunds per process, 64 concurrent per process, one forced token expiry mid-run\n"
    );
    println!("| superseded token gets | processes | store | forced expiries | token mints | 401s | failed refunds |");
    println!("|---|---:|---|---:|---:|---:|---:|");
    for superseded in [
        SupersededAnswer::InvalidAuthToken,
        SupersededAnswer::TokenHasExpired,
    ] {
        for processes in [1, 2, 4] {
            for store in &stores {
                let spec = FleetSpec {
                    processes,
                    refunds_per_process,
                    concurrency: 64,
                    store: store.clone(),
                    superseded,
                    expire_mid_run: true,
                };
                let figures = run_fleet(&myself, &["worker"], &spec).await;
                let answer = match superseded {
                    SupersededAnswer::InvalidAuthToken => "`invalid auth token`",
                    _ => "`token has expired`",
                };
                println!(
                    "| {answer} | {processes} | {} | {} | {} | {} | {} of {} |",
                    store.label(),
                    figures.expiries,
                    figures.mints,
                    figures.rejections,
                    figures.failed,
                    figures.ok + figures.failed
                );
            }
        }
    }
}
