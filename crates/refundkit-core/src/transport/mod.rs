//! The shared HTTP plumbing: one pooled client per provider, JSON in and out,
//! per-request timeout, response-size cap, and the retry loop that keeps one
//! idempotency key across attempts and turns "maybe delivered" into
//! [`RefundError::OutcomeUnknown`].

mod adapter;
mod config;
mod endpoint;
mod redact;
mod request;
mod retry;

use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use http::header::{HeaderMap, RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use tracing::Instrument;

pub use adapter::{Authenticator, CredentialGeneration, ErrorClassifier};
pub use config::{TransportConfig, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT};
pub use endpoint::BaseUrl;
pub use redact::scrub;
pub use request::{insert_secret, ApiRequest, ApiResponse, ErrorResponse, Operation};
pub use retry::{parse_retry_after, RetryPolicy};

use redact::{error_chain, sensitive_values};

use crate::error::{ErrorKind, RefundError};
use crate::ids::ProviderKind;

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
        error.provider_code = error.provider_code.map(|code| scrub(&code, &secrets));
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
