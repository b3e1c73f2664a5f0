//! The shared HTTP plumbing: one pooled client per provider, JSON in and out,
//! per-request timeout, response-size cap, and the retry loop that keeps one
//! idempotency key across attempts and turns "maybe delivered" into
//! [`RefundError::OutcomeUnknown`].

mod adapter;
mod config;
mod decode;
mod endpoint;
mod outcome;
mod redact;
mod request;
mod retry;

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, RETRY_AFTER};
use serde::de::DeserializeOwned;
use tracing::Instrument;

pub use adapter::{Authenticator, CredentialGeneration, ErrorClassifier};
pub use config::{
    TransportConfig, TransportSettings, CONNECT_TIMEOUT_VARIABLE, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT, RETRY_ATTEMPTS_VARIABLE, RETRY_MAX_ELAPSED_VARIABLE, TIMEOUT_VARIABLE,
};
pub use decode::{decode_json, decode_value};
pub use endpoint::BaseUrl;
pub use redact::scrub;
pub use request::{insert_secret, ApiRequest, ApiResponse, ErrorResponse, Operation};
pub use retry::{parse_retry_after, RetryPolicy};

use outcome::{judge_error_answer, outcome_unknown, AttemptEnd};
use redact::{error_chain, sensitive_texts, sensitive_values, AttemptSecrets};

use crate::error::{ErrorKind, RefundError};
use crate::ids::ProviderId;
use crate::secrets::{Scrub, Secrets};

/// The shared HTTP client of one provider adapter. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    provider: ProviderId,
    client: reqwest::Client,
    config: TransportConfig,
    classifier: Box<dyn ErrorClassifier>,
    secrets: Secrets,
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
    Failed { error: RefundError, end: AttemptEnd },
}

impl Attempt {
    fn unanswered(error: RefundError) -> Self {
        Attempt::Failed {
            error,
            end: AttemptEnd::UNANSWERED,
        }
    }
}

impl Transport {
    /// A transport for `provider` whose error answers go through `classifier`.
    pub fn new(
        provider: ProviderId,
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
                secrets: Secrets::new(),
            }),
        })
    }

    /// The provider this transport talks to.
    pub fn provider(&self) -> ProviderId {
        self.inner.provider
    }

    /// The settings in effect.
    pub fn config(&self) -> &TransportConfig {
        &self.inner.config
    }

    /// The secrets masked in every error and value this transport returns.
    /// Adapters register their credentials here, and tokens as they get them.
    pub fn secrets(&self) -> &Secrets {
        &self.inner.secrets
    }

    /// Sends `request`, decodes the 2xx body as `W` and maps it with `map`:
    /// the one entry point for a call whose answer becomes a value.
    ///
    /// For a create, every ending after the provider may have acted — a
    /// timeout, a 5xx, an oversized or truncated body, an answer that does
    /// not decode or map — is [`RefundError::OutcomeUnknown`]; only a
    /// documented refusal and [`RefundError::IntegrityMismatch`] (the refund
    /// exists but differs) end otherwise. Errors and the value are scrubbed of
    /// every registered secret.
    pub async fn call<W, T>(
        &self,
        request: &ApiRequest,
        auth: Option<&dyn Authenticator>,
        map: impl FnOnce(W, &ApiResponse) -> Result<T, RefundError>,
    ) -> Result<T, RefundError>
    where
        W: DeserializeOwned,
        T: Scrub,
    {
        let response = self.send(request, auth).await?;
        let mapped = decode_json::<W>(self.inner.provider, &response.body)
            .and_then(|wire| map(wire, &response));
        let mapped = match mapped {
            Err(error) if request.creates() && !settles_a_create(&error) => {
                Err(self.outcome_unknown(request, error))
            }
            other => other,
        };
        match mapped {
            Ok(value) => Ok(self.inner.secrets.scrubbed(value)),
            Err(error) => Err(self.scrub_error(request, error)),
        }
    }

    /// Sends `request`, retrying retryable failures within the policy with the
    /// same headers (and so the same idempotency key). A create whose attempts
    /// end after it may have reached the provider, without a documented
    /// refusal, ends in [`RefundError::OutcomeUnknown`]. Errors are scrubbed
    /// of every registered secret.
    pub async fn send(
        &self,
        request: &ApiRequest,
        auth: Option<&dyn Authenticator>,
    ) -> Result<ApiResponse, RefundError> {
        let mut attempt_secrets = AttemptSecrets::default();
        self.send_with_retries(request, auth, &mut attempt_secrets)
            .await
            .map_err(|error| {
                let error = self.scrub_error(request, error);
                scrub_with(sensitive_texts(attempt_secrets.iter()), error)
            })
    }

    /// The loop; `attempt_secrets` ends holding the sensitive header values
    /// of the last attempt (an authenticator's), to scrub its error with.
    async fn send_with_retries(
        &self,
        request: &ApiRequest,
        auth: Option<&dyn Authenticator>,
        attempt_secrets: &mut AttemptSecrets,
    ) -> Result<ApiResponse, RefundError> {
        let policy = &self.inner.config.retry;
        let started = Instant::now();
        let mut any_maybe_acted = false;
        let mut refreshed = false;
        let mut attempt: u32 = 0;
        loop {
            attempt = attempt.saturating_add(1);
            let mut outgoing = outgoing(request);
            // Credentials that cannot be had on a later attempt still leave an
            // earlier, possibly delivered attempt unresolved.
            let generation = match auth {
                Some(auth) => match auth.authorize(outgoing.headers_mut()).await {
                    Ok(generation) => Some(generation),
                    Err(error) => {
                        return Err(self.settle(request, error, any_maybe_acted, NO_ANSWER))
                    }
                },
                None => None,
            };
            attempt_secrets.keep_from(outgoing.headers());
            let (error, end) = match self.traced_attempt(request, outgoing, attempt).await {
                Attempt::Success(response) => return Ok(response),
                Attempt::Failed { error, end } => (error, end),
            };
            any_maybe_acted |= end.maybe_acted;

            if let (RefundError::Provider(rejection), Some(auth), Some(generation), false) =
                (&error, auth, generation, refreshed)
            {
                if rejection.kind == ErrorKind::Authentication
                    && auth.refresh_after_rejection(rejection, generation).await
                {
                    refreshed = true;
                    attempt = attempt.saturating_sub(1);
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
                return Err(self.settle(request, error, any_maybe_acted, end));
            }
            tracing::warn!(
                provider = %self.inner.provider,
                operation = request.operation.as_str(),
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %error.code(),
                "retrying with the same idempotency key"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// The final error of a call (see [`outcome_unknown`]).
    fn settle(
        &self,
        request: &ApiRequest,
        error: RefundError,
        any_maybe_acted: bool,
        last: AttemptEnd,
    ) -> RefundError {
        if outcome_unknown(request.creates(), any_maybe_acted, last) {
            self.outcome_unknown(request, error)
        } else {
            error
        }
    }

    fn outcome_unknown(&self, request: &ApiRequest, error: RefundError) -> RefundError {
        match request.idempotency_key {
            Some(key) if !matches!(error, RefundError::OutcomeUnknown { .. }) => {
                RefundError::OutcomeUnknown {
                    provider: self.inner.provider,
                    idempotency_key: key,
                    source: Box::new(error),
                }
            }
            _ => error,
        }
    }

    /// Masks every registered secret, and the request's own secret headers,
    /// in an error about to leave the transport.
    fn scrub_error<E: Scrub>(&self, request: &ApiRequest, error: E) -> E {
        let error = self.inner.secrets.scrubbed(error);
        scrub_with(sensitive_values(&request.headers), error)
    }

    async fn traced_attempt(
        &self,
        request: &ApiRequest,
        outgoing: reqwest::Request,
        attempt: u32,
    ) -> Attempt {
        let span = tracing::info_span!(
            "refundkit.http",
            provider = %self.inner.provider,
            operation = request.operation.as_str(),
            attempt,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        self.attempt(request, outgoing).instrument(span).await
    }

    async fn attempt(&self, request: &ApiRequest, outgoing: reqwest::Request) -> Attempt {
        let started = Instant::now();
        let result = self.inner.client.execute(outgoing).await;
        let span = tracing::Span::current();
        let latency_ms = || u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                span.record("latency_ms", latency_ms());
                let (error, end) = self.transport_failure(&error);
                tracing::info!(error = %error.code(), "attempt failed before a response");
                return Attempt::Failed { error, end };
            }
        };
        let status = response.status().as_u16();
        span.record("status", status);
        let headers = std::mem::take(response.headers_mut());
        let body = self.read_capped(response).await;
        span.record("latency_ms", latency_ms());
        tracing::info!("attempt finished");
        // The provider answered; a broken or oversized body is still an answer
        // we could not read, so whatever the status, it may have acted.
        let body = match body {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                let cap = self.inner.config.max_response_bytes;
                return Attempt::unanswered(RefundError::decode(
                    self.inner.provider,
                    format!("HTTP {status} answer with a body over the {cap}-byte cap"),
                ));
            }
            Err(BodyError::Read(error)) => {
                return Attempt::unanswered(self.transport_failure(&error).0);
            }
        };
        if (200..300).contains(&status) {
            return Attempt::Success(ApiResponse {
                status,
                headers,
                body,
            });
        }
        self.error_answer(request, status, headers, body)
    }

    /// A non-2xx answer, classified by the adapter and judged by core.
    fn error_answer(
        &self,
        request: &ApiRequest,
        status: u16,
        headers: HeaderMap,
        body: Bytes,
    ) -> Attempt {
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
        let classifier = &self.inner.classifier;
        let mut error =
            self.scrub_error(request, classifier.classify(request.operation, &response));
        // Cut only after scrubbing: a cut through a secret would leave its prefix.
        shorten_message(&mut error.message);
        error.retry_after = error.retry_after.or(retry_after);
        let end = judge_error_answer(status, error.kind, classifier.is_documented(&response));
        Attempt::Failed {
            error: RefundError::Provider(error),
            end,
        }
    }

    /// Maps a reqwest failure: connect errors certainly did not deliver the request.
    fn transport_failure(&self, error: &reqwest::Error) -> (RefundError, AttemptEnd) {
        let provider = self.inner.provider;
        if error.is_connect() {
            let failure = RefundError::Transport {
                provider,
                message: error_chain(error),
                maybe_delivered: false,
            };
            return (failure, AttemptEnd::NOT_SENT);
        }
        if error.is_timeout() {
            let failure = RefundError::Timeout {
                provider,
                after: self.inner.config.timeout,
            };
            return (failure, AttemptEnd::UNANSWERED);
        }
        let failure = RefundError::Transport {
            provider,
            message: error_chain(error),
            maybe_delivered: true,
        };
        (failure, AttemptEnd::UNANSWERED)
    }

    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Bytes, BodyError> {
        let cap = self.inner.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len > cap as u64)
        {
            return Err(BodyError::TooLarge);
        }
        // Small answers come in one chunk: kept as it is, not copied.
        let Some(first) = response.chunk().await.map_err(BodyError::Read)? else {
            return Ok(Bytes::new());
        };
        if first.len() > cap {
            return Err(BodyError::TooLarge);
        }
        let Some(second) = response.chunk().await.map_err(BodyError::Read)? else {
            return Ok(first);
        };
        let mut body = BytesMut::from(first);
        let mut next = Some(second);
        while let Some(chunk) = next {
            if body.len().saturating_add(chunk.len()) > cap {
                return Err(BodyError::TooLarge);
            }
            body.extend_from_slice(&chunk);
            next = response.chunk().await.map_err(BodyError::Read)?;
        }
        Ok(body.freeze())
    }
}

/// What one attempt sends: the one header map reqwest takes, filled from the
/// request's (shared values, not copies) with room for the auth header and
/// reqwest's defaults.
fn outgoing(request: &ApiRequest) -> reqwest::Request {
    let mut outgoing = reqwest::Request::new(request.method.clone(), request.url.clone());
    let headers = outgoing.headers_mut();
    headers.reserve(request.headers.len().saturating_add(2));
    for (name, value) in &request.headers {
        headers.append(name.clone(), value.clone());
    }
    if let Some(body) = &request.body {
        *outgoing.body_mut() = Some(reqwest::Body::from(body.clone()));
    }
    outgoing
}

/// `value` scrubbed of `texts` (header values, on the error path only).
fn scrub_with<E: Scrub>(texts: Vec<String>, value: E) -> E {
    if texts.is_empty() {
        return value;
    }
    let local = Secrets::new();
    texts.iter().for_each(|text| local.add_text(text));
    local.scrubbed(value)
}

/// Longest provider message passed on, in characters.
pub const MAX_PROVIDER_MESSAGE_CHARS: usize = 500;

/// Cuts a provider's message to [`MAX_PROVIDER_MESSAGE_CHARS`] (plus `…`)
/// and drops control characters, so one answer cannot flood a log line.
fn shorten_message(message: &mut String) {
    let too_long = message.chars().count() > MAX_PROVIDER_MESSAGE_CHARS;
    if !too_long && !message.chars().any(char::is_control) {
        return;
    }
    let mut short: String = message
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PROVIDER_MESSAGE_CHARS)
        .collect();
    if too_long {
        short.push('…');
    }
    *message = short;
}

/// Token and credential failures happen before an attempt is sent.
const NO_ANSWER: AttemptEnd = AttemptEnd::NOT_SENT;

/// Errors that, after a create was answered, still say what happened: the
/// refund exists but differs from the request, or the outcome is already
/// marked unknown.
fn settles_a_create(error: &RefundError) -> bool {
    matches!(
        error,
        RefundError::IntegrityMismatch { .. } | RefundError::OutcomeUnknown { .. }
    )
}

enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}
