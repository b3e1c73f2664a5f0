//! Receiving webhooks in an axum 0.8 server (feature `axum`): an extractor
//! that reads the raw body (up to an explicit limit) and the headers,
//! verifies the signature with the secret configured for the route's
//! provider, and yields the normalized [`RefundEvent`]. A delivery that fails
//! is refused with 400, 401 or 413 — never a 2xx.
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use axum::{routing::post, Router};
//! use refundkit::axum::{VerifiedWebhook, WebhookReceiver};
//! use refundkit::{ProviderId, Refunds};
//!
//! async fn on_refund_event(VerifiedWebhook(event): VerifiedWebhook) -> &'static str {
//!     // Deduplicate by event.event_id; re-read the refund before acting on money.
//!     println!("{} {:?} {}", event.event_id, event.kind, event.refund.refund_ref());
//!     "ok"
//! }
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let refunds = Arc::new(Refunds::from_env()?); // UQPAY_WEBHOOK_SECRET, WOOSHPAY_WEBHOOK_SECRET
//! let app = Router::new()
//!     .route("/webhooks/uqpay", post(on_refund_event))
//!     .with_state(WebhookReceiver::new(refunds, refundkit::uqpay::PROVIDER));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::sync::Arc;

use axum::body::to_bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use refundkit_core::{ProviderId, RefundError, RefundEvent, WebhookError};
use time::OffsetDateTime;

use crate::Refunds;

/// Bodies above this are refused with 413 unless the receiver says otherwise:
/// refund events are a few kilobytes.
pub const DEFAULT_BODY_LIMIT: usize = 256 * 1024;

/// What a webhook route verifies with: the configured [`Refunds`] (holding
/// each provider's webhook secret) and the provider this route receives.
/// Use it as the router's state, or derive it from yours with
/// [`FromRef`](https://docs.rs/axum/0.8/axum/extract/trait.FromRef.html).
#[derive(Clone, Debug)]
pub struct WebhookReceiver {
    refunds: Arc<Refunds>,
    provider: ProviderId,
    body_limit: usize,
    clock: fn() -> OffsetDateTime,
}

impl WebhookReceiver {
    /// Receives `provider`'s deliveries, verified with its configured secret.
    pub fn new(refunds: Arc<Refunds>, provider: ProviderId) -> Self {
        Self {
            refunds,
            provider,
            body_limit: DEFAULT_BODY_LIMIT,
            clock: OffsetDateTime::now_utc,
        }
    }

    /// Refuses bodies over `bytes` with 413 (default [`DEFAULT_BODY_LIMIT`]).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The clock timestamps are checked against (tests, replays of stored
    /// deliveries); the wall clock by default.
    pub fn clock(mut self, clock: fn() -> OffsetDateTime) -> Self {
        self.clock = clock;
        self
    }

    /// The provider this receiver verifies for.
    pub fn provider(&self) -> ProviderId {
        self.provider
    }
}

/// A delivery whose signature and timestamp passed, as a normalized event.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook(pub RefundEvent);

/// Why a delivery was refused. The response is `{"error": {"kind", "message"}}`
/// with no secret, and never a 2xx.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// 413: the body is over the receiver's limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 401: the signature does not match, or the timestamp is outside the
    /// tolerance (a replay or a forgery).
    Unauthorized(WebhookError),
    /// 400: headers missing, repeated or malformed, or a payload that is not
    /// a refund event.
    BadRequest(RefundError),
    /// 500: the server is not configured for this provider's webhooks.
    NotConfigured(RefundError),
}

impl WebhookRejection {
    fn from_error(error: RefundError) -> Self {
        match error {
            RefundError::Webhook(
                error @ (WebhookError::SignatureMismatch
                | WebhookError::TimestampTooOld { .. }
                | WebhookError::TimestampInFuture { .. }),
            ) => Self::Unauthorized(error),
            RefundError::Webhook(WebhookError::NoSecret) | RefundError::Config(_) => {
                Self::NotConfigured(error)
            }
            other => Self::BadRequest(other),
        }
    }

    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotConfigured(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl std::fmt::Display for WebhookRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "webhook body over {limit} bytes"),
            Self::Unauthorized(error) => write!(f, "{error}"),
            Self::BadRequest(error) | Self::NotConfigured(error) => write!(f, "{error}"),
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        let kind = match &self {
            Self::TooLarge { .. } => "too_large",
            Self::Unauthorized(_) => "unauthorized",
            Self::BadRequest(_) => "bad_request",
            Self::NotConfigured(_) => "not_configured",
        };
        let body = serde_json::json!({"error": {"kind": kind, "message": self.to_string()}});
        (self.status(), Json(body)).into_response()
    }
}

impl<S> FromRequest<S> for VerifiedWebhook
where
    WebhookReceiver: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let receiver = WebhookReceiver::from_ref(state);
        let limit = receiver.body_limit;
        let (parts, body) = request.into_parts();
        let declared_too_large = parts
            .headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.parse::<u64>().ok())
            .is_some_and(|length| length > limit as u64);
        if declared_too_large {
            return Err(WebhookRejection::TooLarge { limit });
        }
        let body = to_bytes(body, limit)
            .await
            .map_err(|_| WebhookRejection::TooLarge { limit })?;
        let now = (receiver.clock)();
        receiver
            .refunds
            .verify_webhook_at(receiver.provider, &parts.headers, &body, now)
            .map(VerifiedWebhook)
            .map_err(WebhookRejection::from_error)
    }
}
