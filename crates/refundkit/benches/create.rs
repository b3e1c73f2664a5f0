//! Refund creates against a minimal loopback server: each adapter against
//! hand-written `reqwest` + serde doing the same requests, at concurrency 1
//! and 64, in alternating rounds, with allocations counted.
//!
//! ```sh
//! cargo bench -p refundkit --bench create
//! ```
//!
//! Cases: WooshPay (one POST each); UQPay on a payment already seen (its
//! currency remembered: one POST) against one hand-written POST; UQPay's
//! first refund of a payment (intent GET + POST) against a hand-written GET +
//! POST. The server answers every route with a fixed JSON body at once, so
//! the figures are client cost plus loopback.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use futures::stream::{self, StreamExt};
use refundkit::toolkit::transport::TransportConfig;
use refundkit::uqpay::{UqPayClient, UqPayConfig};
use refundkit::wooshpay::{WooshPayClient, WooshPayConfig};
use refundkit::{
    IdempotencyKey, Money, RefundAmount, RefundProvider, RefundReason, RefundRequest, SecretString,
};
use serde_json::{json, Value};

/// Counts every allocation, to compare per-create allocations.
struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

type Error = Box<dyn std::error::Error + Send + Sync>;

const ROUNDS: usize = 41;
/// Creates per round at concurrency 1 and at 64: rounds of 60–120 ms here.
const CREATES_PER_ROUND: [usize; 2] = [600, 2_000];
const PAYMENT: &str = "PI2043628825316691968";
const WOOSHPAY_PAYMENT: &str = "pi_3MtwBwLkdIwHu7ix28a3tqPa";
const UQPAY_KEY: &str = "bench-api-key";
const WOOSHPAY_KEY: &str = "sk_test_bench_key";

async fn serve() -> Result<String, Error> {
    let uqpay_refund = json!({
        "payment_refund_id": "RF2043629695899013120", "payment_attempt_id": "PA1",
        "amount": "10.01", "currency": "USD", "refund_status": "SUCCEEDED",
        "create_time": "2026-04-13T17:57:42+08:00", "update_time": "2026-04-13T17:57:42+08:00",
        "reason": "requested_by_customer", "metadata": {}
    });
    let intent = json!({
        "payment_intent_id": PAYMENT, "amount": "100000.00", "currency": "USD",
        "intent_status": "SUCCEEDED", "captured_amount": "100000.00",
        "create_time": "2026-04-13T17:57:42+08:00"
    });
    let wooshpay_refund = json!({
        "id": "re_3MtwBwLkdIwHu7ix0snN0B15", "object": "refund", "amount": 1001,
        "created": 1_776_074_262, "currency": "usd", "metadata": {},
        "payment_intent": WOOSHPAY_PAYMENT, "reason": "requested_by_customer", "status": "succeeded"
    });
    let expired_at = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let token = json!({"auth_token": "eyJ.bench.token", "expired_at": expired_at});
    let app = Router::new()
        .route(
            "/api/v1/connect/token",
            post(move || async move { Json(token) }),
        )
        .route(
            "/api/v2/payment_intents/{id}",
            get(move || async move { Json(intent) }),
        )
        .route(
            "/api/v2/payment/refunds",
            post(move || async move { Json(uqpay_refund) }),
        )
        .route(
            "/v1/refunds",
            post(move || async move { Json(wooshpay_refund) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}

fn request(payment: &str) -> RefundRequest {
    let amount = Money::parse("10.01", "USD").unwrap();
    RefundRequest::builder(
        payment,
        RefundAmount::Partial(amount),
        RefundReason::RequestedByCustomer,
    )
    .build()
    .unwrap()
}

/// The typed part of a create answer a hand-written client would read.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct HandRefund {
    #[serde(alias = "payment_refund_id")]
    id: String,
    amount: Value,
    currency: String,
    #[serde(alias = "refund_status")]
    status: String,
}

/// Hand-written creates: the same requests, reqwest + serde, nothing else.
#[derive(Clone)]
struct Hand {
    http: reqwest::Client,
    base: String,
    basic: String,
}

impl Hand {
    async fn wooshpay(&self) -> Result<(), Error> {
        let key = IdempotencyKey::new().to_string();
        let body = json!({"payment_intent": WOOSHPAY_PAYMENT, "amount": 1001, "reason": "requested_by_customer",
            "metadata": {"refundkit_idempotency_key": key}});
        let answer = self
            .http
            .post(format!("{}/v1/refunds", self.base))
            .header("authorization", &self.basic)
            .header("idempotency-key", key)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body)?)
            .send()
            .await?
            .bytes()
            .await?;
        let _: HandRefund = serde_json::from_slice(&answer)?;
        Ok(())
    }

    async fn uqpay_post(&self) -> Result<(), Error> {
        let key = IdempotencyKey::new().to_string();
        let body = json!({"payment_intent_id": PAYMENT, "amount": "10.01", "reason": "requested_by_customer",
            "metadata": {"refundkit_idempotency_key": key}});
        let answer = self
            .http
            .post(format!("{}/api/v2/payment/refunds", self.base))
            .header("x-auth-token", "Bearer eyJ.bench.token")
            .header("x-client-id", "bench-client")
            .header("x-idempotency-key", key)
            .header("accept", "application/json")
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&body)?)
            .send()
            .await?
            .bytes()
            .await?;
        let _: HandRefund = serde_json::from_slice(&answer)?;
        Ok(())
    }

    async fn uqpay_get_then_post(&self) -> Result<(), Error> {
        let intent = self
            .http
            .get(format!("{}/api/v2/payment_intents/{PAYMENT}", self.base))
            .header("x-auth-token", "Bearer eyJ.bench.token")
            .header("x-client-id", "bench-client")
            .header("accept", "application/json")
            .send()
            .await?
            .bytes()
            .await?;
        let _: Value = serde_json::from_slice(&intent)?;
        self.uqpay_post().await
    }
}

/// What one round took.
#[derive(Clone, Copy)]
struct Spent {
    wall: Duration,
    /// CPU time of the whole process (client, server, runtime), which a
    /// machine's other tenants and a thread waiting for another do not add to.
    cpu: Duration,
    allocations: u64,
}

/// CPU time used so far by every thread of this process.
fn process_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    if status != 0 {
        return Duration::ZERO;
    }
    let seconds = u64::try_from(now.tv_sec).unwrap_or(0);
    let nanos = u32::try_from(now.tv_nsec).unwrap_or(0);
    Duration::new(seconds, nanos)
}

/// Runs `count` creates with `concurrency` in flight.
async fn round<F, Fut>(count: usize, concurrency: usize, call: F) -> Result<Spent, Error>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), Error>>,
{
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let results: Vec<Result<(), Error>> = stream::iter(0..count)
        .map(|_| call())
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let wall = started.elapsed();
    let cpu = process_cpu_time().saturating_sub(cpu_before);
    for result in results {
        result?;
    }
    Ok(Spent {
        wall,
        cpu,
        allocations: ALLOCATIONS.load(Ordering::Relaxed) - before,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// The value a quarter and three quarters of the way through `values`.
fn quartiles(mut values: Vec<f64>) -> (f64, f64) {
    values.sort_by(f64::total_cmp);
    let at = |share: usize| {
        values
            .get(values.len() * share / 4)
            .copied()
            .unwrap_or_default()
    };
    (at(1), at(3))
}

/// Whether case `name` runs: `REFUNDKIT_BENCH_CASES` (comma-separated parts
/// of names, e.g. `wooshpay,first`) picks some; unset, every case runs.
fn selected(name: &str) -> bool {
    match std::env::var("REFUNDKIT_BENCH_CASES") {
        Ok(cases) => cases
            .split(',')
            .any(|case| !case.trim().is_empty() && name.contains(case.trim())),
        Err(_) => true,
    }
}

/// `REFUNDKIT_BENCH_HAND_TIMEOUT=1`: the hand-written client gets the
/// adapters' per-request timeout. Off by default: the baseline has none. On,
/// it shows what the timer itself costs (on a multi-thread runtime at c=1,
/// arming one can wake the worker parked in the driver).
fn hand_timeout() -> bool {
    std::env::var("REFUNDKIT_BENCH_HAND_TIMEOUT").is_ok_and(|value| value == "1")
}

/// Rounds per side: `REFUNDKIT_BENCH_ROUNDS`, or [`ROUNDS`].
fn rounds() -> usize {
    std::env::var("REFUNDKIT_BENCH_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .filter(|&rounds| rounds > 0)
        .unwrap_or(ROUNDS)
}

/// `REFUNDKIT_BENCH_PROFILE=<case>:<adapter|hand>:<creates>`: run only that
/// many creates of one side of one case at c=1 and stop, for a profiler
/// (`valgrind --tool=callgrind`; the difference between two counts is the
/// cost per create).
struct Profile {
    case: String,
    adapter: bool,
    creates: usize,
}

impl Profile {
    fn from_env() -> Option<Self> {
        let text = std::env::var("REFUNDKIT_BENCH_PROFILE").ok()?;
        let mut parts = text.rsplitn(3, ':');
        let creates = parts.next()?.parse().ok()?;
        let adapter = match parts.next()? {
            "adapter" => true,
            "hand" => false,
            _ => return None,
        };
        let case = parts.next()?.to_string();
        Some(Self {
            case,
            adapter,
            creates,
        })
    }

    fn side(&self) -> &'static str {
        if self.adapter {
            "adapter"
        } else {
            "hand-written"
        }
    }
}

/// Rounds of both sides in pairs, the order swapped every pair (adapter
/// first, then hand-written first), so neither side always runs on a warmer
/// or a quieter machine. The ratio is the median of the pairs' ratios: a
/// machine that slows for a while slows both rounds of a pair.
async fn compare<A, AF, B, BF>(
    name: &str,
    requests_each: usize,
    concurrency: usize,
    adapter: A,
    baseline: B,
) -> Result<(), Error>
where
    A: Fn() -> AF,
    AF: std::future::Future<Output = Result<(), Error>>,
    B: Fn() -> BF,
    BF: std::future::Future<Output = Result<(), Error>>,
{
    if !selected(name) {
        return Ok(());
    }
    if let Some(profile) = Profile::from_env() {
        if profile.case == name && concurrency == 1 {
            let spent = if profile.adapter {
                round(profile.creates, 1, &adapter).await?
            } else {
                round(profile.creates, 1, &baseline).await?
            };
            println!(
                "{name} c=1 {}: {} creates in {:?} ({:?} CPU)",
                profile.side(),
                profile.creates,
                spent.wall,
                spent.cpu
            );
        }
        return Ok(());
    }
    // Enough to open every pooled connection either side will use.
    let warm_up = concurrency.max(50) * 2;
    round(warm_up, concurrency, &adapter).await?;
    round(warm_up, concurrency, &baseline).await?;
    let creates = if concurrency == 1 {
        CREATES_PER_ROUND[0]
    } else {
        CREATES_PER_ROUND[1]
    };
    let rate = |elapsed: Duration| creates as f64 / elapsed.as_secs_f64();
    let per_create = |allocations: u64| allocations as f64 / creates as f64;
    let (mut ours, mut hand, mut ratios, mut cpu_ratios) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ours_alloc, mut hand_alloc) = (Vec::new(), Vec::new());
    for pair in 0..rounds() {
        let (a, b) = if pair % 2 == 0 {
            let a = round(creates, concurrency, &adapter).await?;
            (a, round(creates, concurrency, &baseline).await?)
        } else {
            let b = round(creates, concurrency, &baseline).await?;
            (round(creates, concurrency, &adapter).await?, b)
        };
        ours.push(rate(a.wall));
        hand.push(rate(b.wall));
        ratios.push(rate(a.wall) / rate(b.wall));
        cpu_ratios.push(b.cpu.as_secs_f64() / a.cpu.as_secs_f64());
        ours_alloc.push(per_create(a.allocations));
        hand_alloc.push(per_create(b.allocations));
    }
    let (ours, hand) = (median(ours), median(hand));
    let (ours_alloc, hand_alloc) = (median(ours_alloc), median(hand_alloc));
    let (low, high) = quartiles(ratios.clone());
    let (cpu_low, cpu_high) = quartiles(cpu_ratios.clone());
    println!(
        "{name:<31} c={concurrency:<3} adapter {ours:>7.0}/s ({:>6.0} req/s, {ours_alloc:>4.0} allocs)   hand-written {hand:>7.0}/s ({hand_alloc:>4.0} allocs)   ratio {:.3}x (quartiles {low:.3}–{high:.3}), per CPU second {:.3}x ({cpu_low:.3}–{cpu_high:.3}), allocs {:.2}x",
        ours * requests_each as f64,
        median(ratios),
        median(cpu_ratios),
        ours_alloc / hand_alloc,
    );
    Ok(())
}

/// The runtimes the cases run on, in turn: `REFUNDKIT_BENCH_RUNTIME=multi`
/// or `current` picks one.
fn main() -> Result<(), Error> {
    let only = std::env::var("REFUNDKIT_BENCH_RUNTIME").ok();
    let profiling = Profile::from_env().is_some();
    let runtimes = [
        (
            "multi",
            "multi-thread runtime, 2 workers: client and server share them",
        ),
        (
            "current",
            "current-thread runtime: client and server on one thread, no cross-thread wake-ups",
        ),
    ];
    if !profiling {
        if hand_timeout() {
            println!("the hand-written client has the adapters' per-request timeout");
        }
        println!(
            "{} pairs of rounds × {} (c=1) or {} (c=64) creates per side, order swapped every pair; medians, ratio = median of the pairs' ratios; loopback server",
            rounds(),
            CREATES_PER_ROUND[0],
            CREATES_PER_ROUND[1],
        );
    }
    for (name, description) in runtimes {
        if only.as_deref().is_some_and(|only| only != name) {
            continue;
        }
        let runtime = match name {
            "multi" => tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?,
            _ => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        };
        if !profiling {
            println!("\n{description}");
        }
        // On a worker, as a request handler would be, not on the thread
        // that blocks on the runtime.
        runtime.block_on(async { tokio::spawn(run()).await })??;
        if profiling {
            break;
        }
    }
    Ok(())
}

/// Every case at concurrency 1 and 64, against a server of its own.
async fn run() -> Result<(), Error> {
    let base = serve().await?;
    let transport = TransportConfig::default();
    let wooshpay = Arc::new(WooshPayClient::new(
        WooshPayConfig::builder(SecretString::from(WOOSHPAY_KEY))
            .base_url(&base)
            .transport(transport.clone())
            .build()?,
    )?);
    let uqpay_config = || {
        UqPayConfig::builder("bench-client", SecretString::from(UQPAY_KEY))
            .base_url(&format!("{base}/api"))
            .transport(transport.clone())
    };
    let uqpay_seen = Arc::new(UqPayClient::new(uqpay_config().build()?)?);
    let uqpay_first = Arc::new(UqPayClient::new(
        uqpay_config()
            .currency_check(refundkit::uqpay::CurrencyCheck::Always)
            .build()?,
    )?);
    // The adapters' own user agent, so that both sides send the same headers.
    let mut hand_client =
        reqwest::Client::builder().user_agent(concat!("refundkit/", env!("CARGO_PKG_VERSION")));
    if hand_timeout() {
        hand_client = hand_client.timeout(transport.timeout);
    }
    let hand = Hand {
        http: hand_client.build()?,
        base: base.clone(),
        basic: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{WOOSHPAY_KEY}:"))
        ),
    };
    for concurrency in [1, 64] {
        compare(
            "wooshpay",
            1,
            concurrency,
            || {
                let client = wooshpay.clone();
                async move {
                    client.create_refund(&request(WOOSHPAY_PAYMENT)).await?;
                    Ok(())
                }
            },
            || {
                let hand = hand.clone();
                async move { hand.wooshpay().await }
            },
        )
        .await?;
        compare(
            "uqpay, payment already seen",
            1,
            concurrency,
            || {
                let client = uqpay_seen.clone();
                async move {
                    client.create_refund(&request(PAYMENT)).await?;
                    Ok(())
                }
            },
            || {
                let hand = hand.clone();
                async move { hand.uqpay_post().await }
            },
        )
        .await?;
        compare(
            "uqpay, first refund (GET+POST)",
            2,
            concurrency,
            || {
                let client = uqpay_first.clone();
                async move {
                    client.create_refund(&request(PAYMENT)).await?;
                    Ok(())
                }
            },
            || {
                let hand = hand.clone();
                async move { hand.uqpay_get_then_post().await }
            },
        )
        .await?;
    }
    Ok(())
}
