//! The shared HTTP plumbing: one pooled client per provider, JSON in and out,
//! per-request timeout, response-size cap, and the retry loop that keeps one
//! idempotency key across attempts and turns "maybe delivered" into
//! [`RefundError::OutcomeUnknown`].

mod endpoint;
mod retry;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use http::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use http::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

pub use endpoint::BaseUrl;
pub use retry::{parse_retry_after, RetryPolicy};

use crate::error::{ErrorKind, ProviderError, RefundError};
use crate::idempotency::IdempotencyKey;
use crate::ids::ProviderKind;

/// Default per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default cap on a response body.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Transport settings shared by every adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportConfig {
    /// Whole-request timeout (connect, send, receive).
    pub timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Larger response bodies are refused.
    pub max_response_bytes: usize,
    /// The retry loop's bounds.
    pub retry: RetryPolicy,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            retry: RetryPolicy::default(),
        }
    }
}

impl TransportConfig {
    /// With the per-request timeout set.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// With the retry policy set.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// With the response-size cap set.
    pub fn with_max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }
}

/// What a call does; decides tracing names and the outcome-unknown rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Creates a refund: money moves, so a lost answer is `OutcomeUnknown`.
    CreateRefund,
    /// Reads one refund.
    GetRefund,
    /// Lists refunds.
    ListRefunds,
    /// Reads a payment.
    GetPayment,
    /// Obtains an access token.
    FetchToken,
}

impl Operation {
    /// The snake_case name used in spans.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::CreateRefund => "create_refund",
            Operation::GetRefund => "get_refund",
            Operation::ListRefunds => "list_refunds",
            Operation::GetPayment => "get_payment",
            Operation::FetchToken => "fetch_token",
        }
    }
}

/// One request, described once and sent as often as the retry loop decides.
#[derive(Clone)]
pub struct ApiRequest {
    operation: Operation,
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotency_key: Option<IdempotencyKey>,
}

impl ApiRequest {
    /// A GET of `url`.
    pub fn get(operation: Operation, url: Url) -> Self {
        Self::new(operation, Method::GET, url)
    }

    /// A POST of `url` with `body` as JSON.
    pub fn post_json(
        operation: Operation,
        url: Url,
        body: &impl serde::Serialize,
    ) -> Result<Self, RefundError> {
        let json = serde_json::to_vec(body)
            .map_err(|e| RefundError::Config(format!("request body is not serializable: {e}")))?;
        let mut request = Self::new(operation, Method::POST, url);
        request
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        request.body = Some(Bytes::from(json));
        Ok(request)
    }

    /// A POST of `url` without a body.
    pub fn post_empty(operation: Operation, url: Url) -> Self {
        Self::new(operation, Method::POST, url)
    }

    fn new(operation: Operation, method: Method, url: Url) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        Self {
            operation,
            method,
            url,
            headers,
            body: None,
            idempotency_key: None,
        }
    }

    /// Adds a plain header. Values that are not valid header text are refused.
    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, RefundError> {
        let value = HeaderValue::from_str(value).map_err(|_| {
            RefundError::Config(format!("value of header {name} is not valid header text"))
        })?;
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }

    /// Adds a secret header: marked sensitive, scrubbed from error messages.
    pub fn secret_header(
        mut self,
        name: &'static str,
        value: &SecretString,
    ) -> Result<Self, RefundError> {
        insert_secret(&mut self.headers, name, value)?;
        Ok(self)
    }

    /// Sends `key` in header `name` on every attempt, and names it in
    /// `OutcomeUnknown` if the outcome is lost.
    pub fn idempotency_key(mut self, name: &'static str, key: &IdempotencyKey) -> Self {
        if let Ok(value) = HeaderValue::from_str(&key.to_string()) {
            self.headers.insert(HeaderName::from_static(name), value);
        }
        self.idempotency_key = Some(*key);
        self
    }

    /// The operation.
    pub fn operation(&self) -> Operation {
        self.operation
    }

    /// The headers sent on every attempt (secret ones are marked sensitive).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }
}

impl fmt::Debug for ApiRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiRequest")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("url", &self.url.as_str())
            .field("idempotency_key", &self.idempotency_key)
            .finish_non_exhaustive()
    }
}

/// Inserts a sensitive header whose value comes from a secret.
pub fn insert_secret(
    headers: &mut HeaderMap,
    name: &'static str,
    value: &SecretString,
) -> Result<(), RefundError> {
    let mut value = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
        RefundError::Config(format!("value of header {name} is not valid header text"))
    })?;
    value.set_sensitive(true);
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// A successful (2xx) answer.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body, at most the configured cap.
    pub body: Bytes,
}

impl ApiResponse {
    /// Decodes the body as JSON.
    pub fn json<T: DeserializeOwned>(&self, provider: ProviderKind) -> Result<T, RefundError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| RefundError::decode(provider, format!("invalid JSON body: {e}")))
    }

    /// The body as a JSON value, for audit (`Refund::raw`).
    pub fn raw_json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// An error answer (non-2xx), handed to the adapter's classifier.
#[derive(Debug, Clone)]
pub struct ErrorResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body (may be empty, HTML, or anything).
    pub body: Bytes,
    /// `Retry-After`, parsed.
    pub retry_after: Option<Duration>,
}

/// Turns a provider's error answers into [`ProviderError`]s. Pure.
pub trait ErrorClassifier: Send + Sync + fmt::Debug {
    /// Classifies one error answer.
    fn classify(&self, operation: Operation, response: &ErrorResponse) -> ProviderError;
}

/// Which credentials an attempt carried, so a rejection can be matched to them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialGeneration(pub u64);

/// Adds credentials to each attempt and reacts when they are refused.
#[async_trait]
pub trait Authenticator: Send + Sync + fmt::Debug {
    /// Inserts the auth headers (sensitive) for the next attempt.
    async fn authorize(&self, headers: &mut HeaderMap)
        -> Result<CredentialGeneration, RefundError>;

    /// Called once per call when an attempt made with `generation` got an
    /// `Authentication` error. Return true when fresh credentials are ready
    /// and the request should be sent again.
    async fn refresh_after_rejection(
        &self,
        error: &ProviderError,
        generation: CredentialGeneration,
    ) -> bool;

    /// Secrets that never travel in a header but might be echoed back (a raw
    /// API key inside a Basic header): scrubbed from every message too.
    fn scrub_values(&self) -> Vec<SecretString> {
        Vec::new()
    }
}

/// The shared HTTP client of one provider adapter. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    provider: ProviderKind,
    client: reqwest::Client,
    config: TransportConfig,
    classifier: Box<dyn ErrorClassifier>,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transport")
            .field("provider", &self.inner.provider)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// What one attempt came to.
enum Attempt {
    Success(ApiResponse),
    Failed {
        error: RefundError,
        maybe_delivered: bool,
    },
}

impl Transport {
    /// A transport for `provider` whose error answers go through `classifier`.
    pub fn new(
        provider: ProviderKind,
        config: TransportConfig,
        classifier: impl ErrorClassifier + 'static,
    ) -> Result<Self, RefundError> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("refundkit/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| RefundError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                provider,
                client,
                config,
                classifier: Box::new(classifier),
            }),
        })
    }

    /// The provider this transport talks to.
    pub fn provider(&self) -> ProviderKind {
        self.inner.provider
    }

    /// The settings in effect.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// Sends `request`, retrying retryable failures within the policy with the
    /// same headers (and so the same idempotency key). A create whose attempts
    /// run out after it may have reached the provider ends in
    /// [`RefundError::OutcomeUnknown`].
    pub async fn send(
        &self,
        request: &ApiRequest,
        auth: Option<&dyn Authenticator>,
    ) -> Result<ApiResponse, RefundError> {
        let policy = &self.inner.config.retry;
        let started = Instant::now();
        let mut maybe_delivered = false;
        let mut refreshed = false;
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let mut headers = request.headers.clone();
            // Credentials that cannot be had on a later attempt still leave an
            // earlier, possibly delivered attempt unresolved.
            let generation = match auth {
                Some(auth) => match auth.authorize(&mut headers).await {
                    Ok(generation) => Some(generation),
                    Err(error) => return Err(self.unresolved(request, error, maybe_delivered)),
                },
                None => None,
            };
            let scrub_extra = auth.map(|auth| auth.scrub_values()).unwrap_or_default();
            let span = tracing::info_span!(
                "refundkit.http",
                provider = %self.inner.provider,
                operation = request.operation.as_str(),
                attempt,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            let (error, delivered) = match self
                .attempt(request, headers, &scrub_extra)
                .instrument(span)
                .await
            {
                Attempt::Success(response) => return Ok(response),
                Attempt::Failed {
                    error,
                    maybe_delivered,
                } => (error, maybe_delivered),
            };
            maybe_delivered |= delivered;

            if let (RefundError::Provider(rejection), Some(auth), Some(generation), false) =
                (&error, auth, generation, refreshed)
            {
                if rejection.kind == ErrorKind::Authentication
                    && auth.refresh_after_rejection(rejection, generation).await
                {
                    refreshed = true;
                    attempt -= 1;
                    tracing::info!(provider = %self.inner.provider, "credentials refreshed; sending again");
                    continue;
                }
            }

            let retry_after = match &error {
                RefundError::Provider(e) => e.retry_after,
                _ => None,
            };
            let delay = policy.delay(attempt, retry_after, fastrand::f64());
            if !error.is_retryable() || !policy.allows(attempt, started.elapsed(), delay) {
                return Err(self.settle(request, error, maybe_delivered));
            }
            tracing::warn!(
                provider = %self.inner.provider,
                operation = request.operation.as_str(),
                attempt,
                delay_ms = delay.as_millis() as u64,
                error = %error.code(),
                "retrying with the same idempotency key"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends `request` and decodes a JSON answer.
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: &ApiRequest,
        auth: Option<&dyn Authenticator>,
    ) -> Result<(T, ApiResponse), RefundError> {
        let response = self.send(request, auth).await?;
        let decoded = response.json(self.inner.provider);
        let decoded = self.after_delivery(request, decoded)?;
        Ok((decoded, response))
    }

    /// For a create that the provider answered with success: an error reading
    /// or checking that answer means the refund exists but we cannot show it,
    /// so it becomes `OutcomeUnknown` (retry with the same key to read it).
    pub fn after_delivery<T>(
        &self,
        request: &ApiRequest,
        result: Result<T, RefundError>,
    ) -> Result<T, RefundError> {
        match (result, request.operation, request.idempotency_key) {
            (Err(error @ RefundError::Decode { .. }), Operation::CreateRefund, Some(key)) => {
                Err(RefundError::OutcomeUnknown {
                    provider: self.inner.provider,
                    idempotency_key: key,
                    source: Box::new(error),
                })
            }
            (result, _, _) => result,
        }
    }

    /// An error that says nothing about earlier attempts: a create that may
    /// have been delivered stays `OutcomeUnknown`.
    fn unresolved(
        &self,
        request: &ApiRequest,
        error: RefundError,
        maybe_delivered: bool,
    ) -> RefundError {
        match (request.operation, request.idempotency_key) {
            (Operation::CreateRefund, Some(key)) if maybe_delivered => {
                RefundError::OutcomeUnknown {
                    provider: self.inner.provider,
                    idempotency_key: key,
                    source: Box::new(error),
                }
            }
            _ => error,
        }
    }

    /// The final error of a call: a create that may have been delivered and
    /// got no definitive answer is `OutcomeUnknown`.
    fn settle(
        &self,
        request: &ApiRequest,
        error: RefundError,
        maybe_delivered: bool,
    ) -> RefundError {
        let definitive = match &error {
            RefundError::Provider(e) => !matches!(
                e.kind,
                ErrorKind::RateLimited
                    | ErrorKind::ProviderUnavailable
                    | ErrorKind::RequestInProgress
                    | ErrorKind::Authentication
                    | ErrorKind::PermissionDenied
            ),
            RefundError::Transport { .. } | RefundError::Timeout { .. } => false,
            _ => true,
        };
        if definitive {
            error
        } else {
            self.unresolved(request, error, maybe_delivered)
        }
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        headers: HeaderMap,
        scrub_extra: &[SecretString],
    ) -> Attempt {
        let provider = self.inner.provider;
        let mut secrets = sensitive_values(&headers);
        secrets.extend(
            scrub_extra
                .iter()
                .map(|secret| secret.expose_secret().to_string())
                .filter(|secret| secret.len() >= 4),
        );
        secrets.sort_by_key(|v| std::cmp::Reverse(v.len()));
        let started = Instant::now();
        let mut builder = self
            .inner
            .client
            .request(request.method.clone(), request.url.clone())
            .headers(headers);
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let result = builder.send().await;
        let span = tracing::Span::current();
        let response = match result {
            Ok(response) => response,
            Err(error) => {
                span.record("latency_ms", started.elapsed().as_millis() as u64);
                let failed = self.transport_failure(&error, &secrets);
                tracing::info!(error = %failed.0.code(), "attempt failed before a response");
                return Attempt::Failed {
                    error: failed.0,
                    maybe_delivered: failed.1,
                };
            }
        };
        let status = response.status().as_u16();
        span.record("status", status);
        let headers = response.headers().clone();
        let body = self.read_capped(response).await;
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        tracing::info!("attempt finished");
        let body = match body {
            Ok(body) => body,
            // The provider answered; a broken or oversized body is still an answer
            // we could not read, so the request counts as delivered.
            Err(error) => {
                let error = match error {
                    BodyError::TooLarge => RefundError::decode(
                        provider,
                        format!(
                            "response body exceeds {} bytes",
                            self.inner.config.max_response_bytes
                        ),
                    ),
                    BodyError::Read(e) => self.transport_failure(&e, &secrets).0,
                };
                return Attempt::Failed {
                    error,
                    maybe_delivered: true,
                };
            }
        };
        if (200..300).contains(&status) {
            return Attempt::Success(ApiResponse {
                status,
                headers,
                body,
            });
        }
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let response = ErrorResponse {
            status,
            headers,
            body,
            retry_after,
        };
        let mut error = self.inner.classifier.classify(request.operation, &response);
        error.message = scrub(&error.message, &secrets);
        error.retry_after = error.retry_after.or(retry_after);
        Attempt::Failed {
            maybe_delivered: status >= 500 || error.kind == ErrorKind::RequestInProgress,
            error: RefundError::Provider(error),
        }
    }

    /// Maps a reqwest failure: connect errors certainly did not deliver the request.
    fn transport_failure(&self, error: &reqwest::Error, secrets: &[String]) -> (RefundError, bool) {
        let provider = self.inner.provider;
        if error.is_connect() {
            let message = scrub(&error_chain(error), secrets);
            return (
                RefundError::Transport {
                    provider,
                    message,
                    maybe_delivered: false,
                },
                false,
            );
        }
        if error.is_timeout() {
            return (
                RefundError::Timeout {
                    provider,
                    after: self.inner.config.timeout,
                },
                true,
            );
        }
        let message = scrub(&error_chain(error), secrets);
        (
            RefundError::Transport {
                provider,
                message,
                maybe_delivered: true,
            },
            true,
        )
    }

    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Bytes, BodyError> {
        let cap = self.inner.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            return Err(BodyError::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
            if body.len() + chunk.len() > cap {
                return Err(BodyError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }
}

enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// What failed and its causes in one line. The top-level text is left out
/// because it repeats the URL.
fn error_chain(error: &reqwest::Error) -> String {
    let mut text = String::from(if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "reading the response failed"
    } else {
        "request failed"
    });
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The values of sensitive headers, and the credential after an auth scheme
/// (`Bearer x` → `x`), to scrub from any text we pass on.
fn sensitive_values(headers: &HeaderMap) -> Vec<String> {
    let mut values = Vec::new();
    for value in headers.values().filter(|v| v.is_sensitive()) {
        if let Ok(text) = value.to_str() {
            if let Some((_, credential)) = text.split_once(' ') {
                values.push(credential.trim().to_string());
            }
            values.push(text.to_string());
        }
    }
    values.retain(|v| v.len() >= 4);
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values
}

/// Replaces every occurrence of a secret in `text` with `[REDACTED]`.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_string(), |text, secret| {
        text.replace(secret.as_str(), "[REDACTED]")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_removes_header_values_and_bare_credentials() {
        let mut headers = HeaderMap::new();
        insert_secret(
            &mut headers,
            "x-auth-token",
            &SecretString::from("Bearer eyJ.secret.jwt"),
        )
        .unwrap();
        headers.insert("x-client-id", HeaderValue::from_static("client-1"));
        let secrets = sensitive_values(&headers);
        assert_eq!(
            scrub(
                "token eyJ.secret.jwt is expired (Bearer eyJ.secret.jwt)",
                &secrets
            ),
            "token [REDACTED] is expired ([REDACTED])"
        );
        assert_eq!(scrub("client-1", &secrets), "client-1");
    }

    #[test]
    fn request_debug_shows_no_headers() {
        let url = Url::parse("https://api.example.com/v1/refunds").unwrap();
        let request = ApiRequest::post_empty(Operation::FetchToken, url)
            .secret_header("x-api-key", &SecretString::from("super-secret-key"))
            .unwrap();
        assert!(!format!("{request:?}").contains("super-secret-key"));
        assert!(request.headers().get("x-api-key").unwrap().is_sensitive());
    }
}
