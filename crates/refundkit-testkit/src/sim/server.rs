//! The HTTP shell every simulated provider shares: accept loop, per-connection
//! control (so a fault can drop a connection without answering), journaling,
//! fault injection, and commits that finish even when the client goes away.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};

use super::fault::{Fault, Route};
use super::SimCore;

/// Largest request body a simulator reads.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request, read in full.
#[derive(Debug, Clone)]
pub(crate) struct SimRequest {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl SimRequest {
    /// A header's value as text, when present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer, storable for idempotent replay.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Bytes,
}

impl Reply {
    pub fn json(status: u16, body: &serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type", "application/json".to_string())],
            body: Bytes::from(body.to_string()),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    fn into_response(self) -> Response<Body> {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().append(name, value);
            }
        }
        response
    }
}

/// The endpoint a request matched, with the id from its path.
#[derive(Debug, Clone)]
pub(crate) struct Routed {
    pub route: Route,
    pub id: Option<String>,
}

/// One provider's endpoints.
#[async_trait]
pub(crate) trait Api: Send + Sync + 'static {
    /// The endpoint of a method and path, if the provider has one.
    fn route(&self, method: &Method, path: &str) -> Option<Routed>;
    /// Processes a request. `pre_commit_delay` is waited after the idempotency
    /// key is reserved and before anything is committed.
    async fn handle(
        &self,
        routed: Routed,
        request: SimRequest,
        pre_commit_delay: Option<Duration>,
    ) -> Reply;
    /// The provider's body for an injected server error or rate limit.
    fn fault_reply(&self, fault: &Fault) -> Option<Reply>;
    /// The answer for a path the provider does not have.
    fn unknown_route(&self, request: &SimRequest) -> Reply;
}

/// Serves `api` on `listener` until `shutdown` changes or its sender is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    api: Arc<dyn Api>,
    core: Arc<SimCore>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        match accepted {
            Ok((stream, _)) => {
                let connection =
                    serve_connection(stream, api.clone(), core.clone(), shutdown.clone());
                tokio::spawn(connection);
            }
            Err(error) => {
                tracing::debug!(%error, "simulator accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// The local address a listener is bound to.
pub(crate) fn local_addr(listener: &TcpListener) -> std::io::Result<SocketAddr> {
    listener.local_addr()
}

async fn serve_connection(
    stream: TcpStream,
    api: Arc<dyn Api>,
    core: Arc<SimCore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let drop_connection = Arc::new(Notify::new());
    let kill = drop_connection.clone();
    let service = service_fn(move |request: Request<Incoming>| {
        let (api, core, kill) = (api.clone(), core.clone(), kill.clone());
        async move { Ok::<_, Infallible>(dispatch(api, core, kill, request).await) }
    });
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service);
    // Dropping the connection future closes the socket: no response is sent.
    tokio::select! {
        _ = connection => {}
        _ = drop_connection.notified() => {}
        _ = shutdown.changed() => {}
    }
}

async fn dispatch(
    api: Arc<dyn Api>,
    core: Arc<SimCore>,
    drop_connection: Arc<Notify>,
    request: Request<Incoming>,
) -> Response<Body> {
    let request_headers = request.headers().clone();
    let reply = answer(api, core.clone(), drop_connection, request).await;
    core.echo.apply(&request_headers, reply).into_response()
}

/// The simulator's answer to `request`, before the "echo secrets" mode
/// (if on) quotes the request's credentials into it.
async fn answer(
    api: Arc<dyn Api>,
    core: Arc<SimCore>,
    drop_connection: Arc<Notify>,
    request: Request<Incoming>,
) -> Reply {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(Body::new(body), MAX_BODY_BYTES).await else {
        return Reply::json(
            413,
            &serde_json::json!({"message": "request body too large"}),
        );
    };
    let request = SimRequest {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
    };
    let routed = api.route(&request.method, &request.path);
    core.journal.record(
        request.method.as_str(),
        &request.path,
        request.query.as_deref(),
        &request.headers,
        &request.body,
        routed.as_ref().map(|r| r.route),
    );
    let Some(routed) = routed else {
        return api.unknown_route(&request);
    };
    let fault = core.faults.on_call(routed.route);
    if fault == Some(Fault::DropUnprocessed) {
        drop_connection.notify_one();
        std::future::pending::<()>().await;
    }
    if let Some(reply) = fault.and_then(|f| immediate_reply(api.as_ref(), &f)) {
        return reply;
    }
    let pre_commit_delay = match fault {
        Some(Fault::SlowCommit(delay)) => Some(delay),
        _ => None,
    };
    // Processed in its own task so a commit completes even if the client
    // hangs up (its timeout) and this future is dropped.
    let worker = api.clone();
    let processing =
        tokio::spawn(async move { worker.handle(routed, request, pre_commit_delay).await });
    let reply = match processing.await {
        Ok(reply) => reply,
        Err(_) => Reply::json(
            500,
            &serde_json::json!({"message": "simulator task failed"}),
        ),
    };
    match fault {
        Some(Fault::DelayResponse(delay)) => tokio::time::sleep(delay).await,
        Some(Fault::CommitThenDrop) => {
            drop_connection.notify_one();
            std::future::pending::<()>().await;
        }
        _ => {}
    }
    reply
}

/// The answer of a fault that processes nothing.
fn immediate_reply(api: &dyn Api, fault: &Fault) -> Option<Reply> {
    let garbage = |status: u16, content_type: &str, body: &'static str| Reply {
        status,
        headers: vec![("content-type", content_type.to_string())],
        body: Bytes::from_static(body.as_bytes()),
    };
    match *fault {
        Fault::ServerError(_) | Fault::RateLimited { .. } => api.fault_reply(fault),
        Fault::MalformedJson { status } => Some(garbage(
            status,
            "application/json",
            r#"{"id": "truncated", "amount": "#,
        )),
        Fault::Html { status } => Some(garbage(
            status,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>",
        )),
        Fault::EmptyBody { status } => Some(garbage(status, "application/json", "")),
        Fault::DelayResponse(_)
        | Fault::SlowCommit(_)
        | Fault::CommitThenDrop
        | Fault::DropUnprocessed => None,
    }
}
