//! A fake of the in-house ledger service on loopback, with the documented
//! rules (`src/wire.rs`) and scripted faults, so the client is tested over
//! real HTTP.

mod backend;
mod book;
mod http;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use refundkit::Money;
use refundkit_example_ledger::{ENV_API_KEY, ENV_URL};
use refundkit_testkit::{Fault, Route};
use tokio::net::{TcpListener, TcpStream};

use backend::FaultPlan;
pub use backend::LedgerSubject;
use book::{Book, Claim, Reply};
use http::{read_request, write_reply, Request};

/// The one API key the fake accepts.
pub const API_KEY: &str = "lk_test_4f9a2c7e1b";

struct Shared {
    book: Mutex<Book>,
    faults: Mutex<FaultPlan>,
    requests: AtomicUsize,
}

/// A running fake ledger; clones share it. It stops with the test's runtime.
#[derive(Clone)]
pub struct FakeLedger {
    shared: Arc<Shared>,
    base_url: String,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FakeLedger {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            book: Mutex::new(Book::new()),
            faults: Mutex::new(FaultPlan::default()),
            requests: AtomicUsize::new(0),
        });
        let serving = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, serving.clone()));
            }
        });
        Self { shared, base_url }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The variables the ledger's descriptor reads to talk to this fake.
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        vec![
            (ENV_URL, self.base_url.clone()),
            (ENV_API_KEY, API_KEY.to_string()),
        ]
    }

    /// [`FakeLedger::variables`] as a lookup.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> {
        crate::lookup_in(self.variables())
    }

    pub fn seed(&self, amount: Money) -> String {
        lock(&self.shared.book).seed(amount)
    }

    pub fn refund_ids_for(&self, payment_id: &str) -> Vec<String> {
        lock(&self.shared.book).refund_ids_for(payment_id)
    }

    pub fn requests_received(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    pub fn inject(&self, route: Route, calls: refundkit_testkit::Calls, fault: Fault) {
        lock(&self.shared.faults).plan(route, calls, fault).unwrap();
    }
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let Some(request) = read_request(&mut stream).await else {
        return;
    };
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let fault = route_of(&request).and_then(|(route, _)| lock(&shared.faults).next(route));
    let reply = match fault {
        None => answer(&shared, &request, None).await,
        Some(Fault::DelayResponse(delay)) => {
            let reply = answer(&shared, &request, None).await;
            tokio::time::sleep(delay).await;
            reply
        }
        Some(Fault::SlowCommit(delay)) => answer(&shared, &request, Some(delay)).await,
        Some(Fault::CommitThenDrop) => {
            answer(&shared, &request, None).await;
            return;
        }
        Some(Fault::DropUnprocessed) => return,
        Some(fault) => canned(fault),
    };
    write_reply(&mut stream, &reply).await;
}

/// The answer of a fault that processes nothing.
fn canned(fault: Fault) -> Reply {
    match fault {
        Fault::RateLimited { retry_after_secs } => Reply {
            retry_after: Some(retry_after_secs),
            ..Reply::error(429, "rate_limited", "slow down")
        },
        Fault::MalformedJson { status } => Reply::raw(status, "application/json", r#"{"id":"lr_"#),
        Fault::Html { status } => {
            Reply::raw(status, "text/html", "<html><h1>Bad gateway</h1></html>")
        }
        Fault::EmptyBody { status } => Reply::raw(status, "application/json", ""),
        Fault::ServerError(status) => Reply::error(status, "unavailable", "the ledger is down"),
        _ => Reply::error(500, "unavailable", "a fault the fake cannot play"),
    }
}

fn route_of(request: &Request) -> Option<(Route, Option<String>)> {
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/v1/refunds") => Some((Route::CreateRefund, None)),
        ("GET", "/v1/refunds") => Some((Route::ListRefunds, None)),
        ("GET", path) => {
            let id = path.strip_prefix("/v1/refunds/")?;
            Some((Route::GetRefund, Some(id.to_string())))
        }
        _ => None,
    }
}

async fn answer(
    shared: &Shared,
    request: &Request,
    pre_commit: Option<std::time::Duration>,
) -> Reply {
    let presented = request.header("authorization").unwrap_or_default();
    if presented != format!("Bearer {API_KEY}") {
        // Quotes what it was given, as careless services do: the client
        // must scrub it.
        let presented = presented.trim_start_matches("Bearer ");
        return Reply::error(
            401,
            "unauthorized",
            format!("api key {presented} is not valid"),
        );
    }
    let page = |name: &str, default: usize| {
        request
            .query(name)
            .map_or(Some(default), |v| v.parse().ok())
    };
    match route_of(request) {
        Some((Route::CreateRefund, _)) => create(shared, request, pre_commit).await,
        Some((Route::GetRefund, Some(id))) => lock(&shared.book).get(&id),
        Some((Route::ListRefunds, _)) => match (page("page", 1), page("page_size", 20)) {
            (Some(page), Some(size)) => {
                lock(&shared.book).list(request.query("payment_id"), page, size)
            }
            _ => Reply::error(400, "invalid_request", "page and page_size are numbers"),
        },
        _ => Reply::error(404, "not_found", "no such endpoint"),
    }
}

async fn create(
    shared: &Shared,
    request: &Request,
    pre_commit: Option<std::time::Duration>,
) -> Reply {
    let Some(key) = request.header("idempotency-key") else {
        return Reply::error(400, "invalid_request", "Idempotency-Key is required");
    };
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
        return Reply::error(400, "invalid_request", "the body is not JSON");
    };
    if let Claim::Answer(reply) = lock(&shared.book).claim(key, &body) {
        return reply;
    }
    if let Some(delay) = pre_commit {
        tokio::time::sleep(delay).await;
    }
    lock(&shared.book).book(key, &body)
}
