//! The shared HTTP plumbing: one pooled client per provider, JSON in and out,
//! per-request timeout, response-size cap, and the retry loop that keeps one
//! idempotency key across attempts and turns "maybe delivered" into
//! [`RefundError::OutcomeUnknown`].

mod adapter;
mod attempt;
mod config;
mod decode;
mod endpoint;
mod outcome;
mod redact;
mod request;
mod retry;

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use serde::de::DeserializeOwned;

pub use adapter::{Authenticator, CredentialGeneration, ErrorClassifier};
pub use config::{
    TransportConfig, TransportSettings, CONNECT_TIMEOUT_VARIABLE, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT, RETRY_ATTEMPTS_VARIABLE, RETRY_MAX_ELAPSED_VARIABLE, TIMEOUT_VARIABLE,
};
pub use decode::{decode_json, decode_value};
pub use endpoint::BaseUrl;
pub use request::{insert_secret, ApiRequest, ApiResponse, ErrorResponse, Operation};
pub use retry::{parse_retry_after, RetryPolicy};

use attempt::outgoing;
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
            // One owner of retries: this transport's loop, which keeps the
            // key, the budget and the outcome. reqwest's own layer (it replays
            // HTTP/2 refusals) would also copy every request in case it does.
            .retry(reqwest::retry::never().max_retries_per_request(0))
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
        // Boxed: a call's future holds the whole retry loop, and held inline it
        // would make the adapter's future (itself boxed, by `async_trait`)
        // too large for the allocator's fast path and copied at every level.
        Box::pin(self.call_inner(request, auth, map)).await
    }

    async fn call_inner<W, T>(
        &self,
        request: &ApiRequest,
        auth: Option<&dyn Authenticator>,
        map: impl FnOnce(W, &ApiResponse) -> Result<T, RefundError>,
    ) -> Result<T, RefundError>
    where
        W: DeserializeOwned,
        T: Scrub,
    {
        let mut response = self.send(request, auth).await?;
        let mapped = decode_json::<W>(self.inner.provider, &response.body).and_then(|wire| {
            response.decoded = true;
            map(wire, &response)
        });
        let mapped = match mapped {
            Err(error) if request.creates() && !settles_a_create(&error) => {
                Err(self.outcome_unknown(request, error))
            }
            other => other,
        };
        match mapped {
            // Every text of the value comes from the answer (or from the
            // caller's own request): when the answer holds no secret, not even
            // behind an escape, no text of the value does, and one scan of the
            // body replaces a scan of every field.
            Ok(value) if !self.inner.secrets.may_be_in_json(&response.body) => Ok(value),
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
            // The request is built and authorized in a block of its own, so
            // that it is moved into the attempt rather than also kept beside
            // it in this future's state.
            let (sending, generation) = {
                let mut outgoing = outgoing(request);
                // Credentials that cannot be had on a later attempt still leave
                // an earlier, possibly delivered attempt unresolved.
                let generation = match auth {
                    Some(auth) => match authorize(auth, outgoing.headers_mut()).await {
                        Ok(generation) => Some(generation),
                        Err(error) => {
                            return Err(self.settle(request, error, any_maybe_acted, NO_ANSWER))
                        }
                    },
                    None => None,
                };
                attempt_secrets.keep_from(outgoing.headers());
                // Boxed: the HTTP client's future is large, and held inline it
                // would make every future around it (this one, the call, the
                // adapter's) as large and copied as often.
                let sending = Box::pin(self.traced_attempt(request, outgoing, attempt));
                (sending, generation)
            };
            let (error, end) = match sending.await {
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
            // Boxed: a timer is large, and only a retry needs one.
            Box::pin(tokio::time::sleep(delay)).await;
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
}

/// The attempt's credentials: at once when the authenticator has them in
/// hand, else by waiting for them.
async fn authorize(
    auth: &dyn Authenticator,
    headers: &mut http::HeaderMap,
) -> Result<CredentialGeneration, RefundError> {
    match auth.authorize_now(headers) {
        Some(done) => done,
        None => auth.authorize(headers).await,
    }
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
