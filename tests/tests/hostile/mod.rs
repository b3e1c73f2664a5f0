//! Hostile provider answers for property tests: a loopback server that gives
//! each route a scripted answer, and proptest strategies for bodies and
//! statuses — mutated documented examples, wrong types, huge and negative
//! numbers, deep nesting, truncation, random bytes, bodies over the cap.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::Router;
use proptest::prelude::*;
use serde_json::{json, Value};

/// The response cap the clients under test use: small, so bodies over it are
/// cheap to generate.
pub const CAP: usize = 4096;

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Canned {
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            body: body.to_string().into_bytes(),
        }
    }
}

/// Which call a request is, by method and path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    Token,
    Intent,
    Create,
    Read,
}

fn route_of(method: &Method, path: &str) -> Route {
    if path.ends_with("/connect/token") {
        Route::Token
    } else if path.contains("/payment_intents/") {
        Route::Intent
    } else if method == Method::POST {
        Route::Create
    } else {
        Route::Read
    }
}

type Script = Arc<Mutex<HashMap<Route, Canned>>>;

/// A loopback HTTP server answering each [`Route`] with its scripted answer
/// (599 when none is scripted). Runs until the process ends.
pub struct CannedServer {
    pub addr: SocketAddr,
    script: Script,
}

impl CannedServer {
    pub async fn start() -> Self {
        let script: Script = Arc::default();
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, script }
    }

    pub fn base_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn set(&self, route: Route, canned: Canned) {
        self.script.lock().unwrap().insert(route, canned);
    }
}

async fn answer(State(script): State<Script>, request: Request) -> Response {
    let route = route_of(request.method(), request.uri().path());
    // Read the request body so the client never sees a reset mid-send.
    let _ = to_bytes(request.into_body(), 1 << 20).await;
    let canned = script.lock().unwrap().get(&route).cloned();
    let canned = canned.unwrap_or(Canned {
        status: 599,
        body: b"unscripted".to_vec(),
    });
    Response::builder()
        .status(StatusCode::from_u16(canned.status).unwrap())
        .header("content-type", "application/json")
        .body(Body::from(canned.body))
        .unwrap()
}

/// Every path (object keys and array indexes) into `value`.
fn paths(value: &Value, prefix: &mut Vec<PathStep>, out: &mut Vec<Vec<PathStep>>) {
    out.push(prefix.clone());
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                prefix.push(PathStep::Key(key.clone()));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                prefix.push(PathStep::Index(index));
                paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[derive(Debug, Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(value: &'a mut Value, path: &[PathStep]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        PathStep::Key(key) => &mut value[key.as_str()],
        PathStep::Index(index) => &mut value[*index],
    })
}

/// Values that break naive decoders.
fn hostile_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(-1)),
        Just(json!(i64::MIN)),
        Just(json!(u64::MAX)),
        Just(json!(1e308)),
        Just(json!(-0.000001)),
        Just(json!("")),
        Just(json!("-0")),
        Just(json!("1e5")),
        Just(json!("10.010")),
        Just(json!("99999999999999999999999999999999.99")),
        Just(json!("NaN")),
        Just(json!("-9999-01-01T00:00:00Z")),
        Just(json!("\u{202e}\r\n\t\u{0}")),
        Just(json!({})),
        Just(json!([])),
        "[a-zA-Z0-9_ -]{0,40}".prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (0usize..6000).prop_map(|n| Value::from("x".repeat(n))),
        (1usize..40).prop_map(|depth| { (0..depth).fold(json!(1), |inner, _| json!([inner])) }),
    ]
}

/// `base` with one value replaced, one key removed, or one unknown key added.
fn mutated(base: Value) -> impl Strategy<Value = Value> {
    let mut all = Vec::new();
    paths(&base, &mut Vec::new(), &mut all);
    let count = all.len();
    (0..count, hostile_value(), 0u8..3).prop_map(move |(index, replacement, how)| {
        let mut value = base.clone();
        let path = &all[index];
        match (how, path.split_last()) {
            (1, Some((PathStep::Key(key), parent))) => {
                if let Value::Object(map) = at_mut(&mut value, parent) {
                    map.remove(key);
                }
            }
            (2, _) => {
                if let Value::Object(map) = at_mut(&mut value, path) {
                    map.insert("unexpected_field".into(), replacement);
                } else {
                    *at_mut(&mut value, path) = replacement;
                }
            }
            _ => *at_mut(&mut value, path) = replacement,
        }
        value
    })
}

/// Bodies built from a documented example `base`: itself, mutated,
/// truncated, random bytes, deep nesting, over the cap, empty, HTML.
pub fn body(base: Value) -> impl Strategy<Value = Vec<u8>> {
    let text = base.to_string().into_bytes();
    let len = text.len();
    let truncated_from = text.clone();
    let oversized_from = base.clone();
    prop_oneof![
        3 => Just(text.clone()),
        6 => mutated(base).prop_map(|value| value.to_string().into_bytes()),
        2 => (0..len).prop_map(move |cut| truncated_from[..cut].to_vec()),
        2 => proptest::collection::vec(any::<u8>(), 0..512),
        1 => (100usize..5000).prop_map(|depth| {
            let mut nested = "[".repeat(depth).into_bytes();
            nested.extend("]".repeat(depth).into_bytes());
            nested
        }),
        1 => (0usize..4).prop_map(move |extra| {
            let mut value = oversized_from.clone();
            value["padding"] = Value::from("p".repeat(CAP + extra * 1000));
            value.to_string().into_bytes()
        }),
        1 => Just(Vec::new()),
        1 => Just(b"<html><body>502 Bad Gateway</body></html>".to_vec()),
    ]
}

/// Statuses 200–599, weighted towards those providers send.
pub fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => Just(201u16),
        1 => 202u16..300,
        1 => 300u16..400,
        2 => prop_oneof![Just(400u16), Just(401), Just(402), Just(404), Just(409), Just(429)],
        1 => 403u16..500,
        2 => prop_oneof![Just(500u16), Just(502), Just(503)],
        1 => 504u16..600,
    ]
}

/// An error body in a provider's documented shape, to mix into bodies.
pub fn with_error_bodies(
    base: Value,
    documented_errors: Vec<Value>,
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => body(base),
        1 => proptest::sample::select(documented_errors)
            .prop_map(|value| value.to_string().into_bytes()),
    ]
}

/// Cases per property: `PROPTEST_CASES` when set, else `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}
