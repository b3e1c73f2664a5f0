//! Errors: what happened, which provider, and whether retrying helps.

use std::fmt;
use std::time::Duration;

use crate::idempotency::IdempotencyKey;
use crate::ids::ProviderId;
use crate::money::MoneyError;
use crate::refund::Refund;
use crate::validation::ValidationError;
use crate::webhook::WebhookError;

/// The normalized class of an error answer from a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The provider refused the request's parameters.
    InvalidRequest,
    /// Credentials missing, wrong or revoked.
    Authentication,
    /// Credentials valid but not allowed to do this (or wrong environment).
    PermissionDenied,
    /// The refund or payment does not exist.
    NotFound,
    /// The idempotency key was used with a different request.
    IdempotencyConflict,
    /// Another request with the same idempotency key is still being processed;
    /// retrying with the same key is safe and will return its result.
    RequestInProgress,
    /// The refund is above what remains refundable on the payment.
    RefundExceedsAvailable,
    /// The payment cannot be refunded (state, method, age).
    PaymentNotRefundable,
    /// Too many requests; back off.
    RateLimited,
    /// The provider failed (5xx); retrying with the same key is safe.
    ProviderUnavailable,
    /// Anything else.
    Other,
}

impl ErrorKind {
    /// Whether an error of this kind may succeed when sent again with the same
    /// idempotency key. The one table that decides provider-error retries.
    pub fn is_retryable(self) -> bool {
        match self {
            ErrorKind::RateLimited | ErrorKind::ProviderUnavailable => true,
            ErrorKind::RequestInProgress => true,
            ErrorKind::InvalidRequest
            | ErrorKind::Authentication
            | ErrorKind::PermissionDenied
            | ErrorKind::NotFound
            | ErrorKind::IdempotencyConflict
            | ErrorKind::RefundExceedsAvailable
            | ErrorKind::PaymentNotRefundable
            | ErrorKind::Other => false,
        }
    }

    /// The snake_case name used in JSON output (`not_found`, `rate_limited`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Authentication => "authentication",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::NotFound => "not_found",
            ErrorKind::IdempotencyConflict => "idempotency_conflict",
            ErrorKind::RequestInProgress => "request_in_progress",
            ErrorKind::RefundExceedsAvailable => "refund_exceeds_available",
            ErrorKind::PaymentNotRefundable => "payment_not_refundable",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::ProviderUnavailable => "provider_unavailable",
            ErrorKind::Other => "other",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answer from a provider, normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProviderError {
    /// Which provider answered.
    pub provider: ProviderId,
    /// The normalized class.
    pub kind: ErrorKind,
    /// The HTTP status.
    pub status: u16,
    /// The provider's own error code, when it sent one (`refund_error`, `200`).
    pub provider_code: Option<String>,
    /// The provider's message (secrets scrubbed).
    pub message: String,
    /// The provider's request id, when it sent one.
    pub request_id: Option<String>,
    /// How long the provider asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    /// A provider error of `kind` with HTTP `status`.
    pub fn new(
        provider: ProviderId,
        kind: ErrorKind,
        status: u16,
        message: impl Into<String>,
    ) -> Self {
        Self {
            provider,
            kind,
            status,
            provider_code: None,
            message: message.into(),
            request_id: None,
            retry_after: None,
        }
    }

    /// Sets the provider's own error code.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.provider_code = Some(code.into());
        self
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} answered {} (HTTP {}",
            self.provider, self.kind, self.status
        )?;
        if let Some(code) = &self.provider_code {
            write!(f, ", code {code}")?;
        }
        write!(f, "): {}", self.message)
    }
}

impl std::error::Error for ProviderError {}

/// Everything that can go wrong with a refund call.
///
/// # Example
///
/// `OutcomeUnknown` means the refund may exist: resolve it with the same
/// request ([`recover_refund`](crate::recover_refund) finds it or makes it,
/// once), never with a new key. A `Provider` refusal has a kind to act on;
/// [`RefundError::is_retryable`] says whether trying again can help. (The
/// facade's `Refunds::create_refund` shows a real lost answer, against a
/// simulated provider.)
///
/// ```
/// use refundkit_core::{
///     recover_refund, ErrorKind, Money, RefundAmount, RefundError, RefundProvider, RefundReason,
///     RefundRequest,
/// };
/// use refundkit_testkit::InMemoryProvider;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let provider = InMemoryProvider::new();
/// let payment = provider.seed_captured(Money::parse("20.00", "USD")?);
/// let amount = RefundAmount::Partial(Money::parse("25.00", "USD")?);
/// let request = RefundRequest::builder(payment.as_str(), amount, RefundReason::Duplicate)
///     .reference("billing", "order-20/refund-1")
///     .build()?;
/// let outcome = match provider.create_refund(&request).await {
///     Err(RefundError::OutcomeUnknown { .. }) => recover_refund(&provider, &request).await,
///     other => other,
/// };
/// let error = outcome.unwrap_err();
/// assert!(matches!(error, RefundError::Provider(_)));
/// assert_eq!(error.kind(), Some(ErrorKind::RefundExceedsAvailable));
/// assert_eq!(error.code(), "refund_exceeds_available");
/// assert!(!error.is_retryable()); // more than was captured: not as is
/// # Ok(()) }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RefundError {
    /// Rejected before any request was sent.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The provider answered with an error.
    #[error(transparent)]
    Provider(ProviderError),
    /// A create may have happened: retry later with the **same** idempotency
    /// key (the provider replays the first result), or reconcile by listing.
    #[error("outcome of the {provider} refund is unknown; retry with the same idempotency key {idempotency_key}: {source}")]
    OutcomeUnknown {
        /// The provider the create went to.
        provider: ProviderId,
        /// The key to retry with.
        idempotency_key: IdempotencyKey,
        /// The last error seen.
        source: Box<RefundError>,
    },
    /// The provider echoed a different amount or currency than requested.
    #[error("{} echoed {field} {actual}, but {expected} was requested (refund {})", refund.provider, refund.id)]
    IntegrityMismatch {
        /// The refund as the provider reported it.
        refund: Box<Refund>,
        /// `amount` or `currency`.
        field: &'static str,
        /// What the request asked for.
        expected: String,
        /// What the provider answered.
        actual: String,
    },
    /// The request could not be sent or the answer not received.
    #[error("{provider} transport error: {message}")]
    Transport {
        /// The provider called.
        provider: ProviderId,
        /// What failed (secrets scrubbed).
        message: String,
        /// False only when the request certainly never reached the provider.
        maybe_delivered: bool,
    },
    /// No answer within the per-request timeout.
    #[error("{provider} did not answer within {after:?}")]
    Timeout {
        /// The provider called.
        provider: ProviderId,
        /// The timeout that expired.
        after: Duration,
    },
    /// The provider's answer could not be understood.
    #[error("could not decode the {provider} response: {message}")]
    Decode {
        /// The provider called.
        provider: ProviderId,
        /// What was wrong.
        message: String,
    },
    /// The provider does not offer this operation.
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// The provider asked.
        provider: ProviderId,
        /// The operation (`list_refunds`, `cancel_refund`, ...).
        operation: &'static str,
    },
    /// Configuration is missing or wrong (names the setting, never its value).
    #[error("configuration error: {0}")]
    Config(String),
    /// A webhook failed verification or could not be parsed.
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    /// A full refund found nothing left to refund on the payment, and no
    /// refund made with this request's idempotency key exists on it. Decided
    /// by refundkit from the payment's amounts, not answered by the provider.
    #[error("nothing is left to refund on {provider} payment {payment_id}, and no refund with this idempotency key exists on it (searched with list_refunds)")]
    NothingLeftToRefund {
        /// The provider holding the payment.
        provider: ProviderId,
        /// The payment.
        payment_id: String,
    },
    /// The payment cannot be refunded in its current state, as refundkit read
    /// it from the provider (an unsettled payment intent, say): decided by
    /// refundkit before any create was sent.
    #[error("{provider} payment {payment_id} cannot be refunded: {reason}")]
    PaymentNotRefundable {
        /// The provider holding the payment.
        provider: ProviderId,
        /// The payment.
        payment_id: String,
        /// Why (the payment's state).
        reason: String,
    },
    /// `wait_for_final` gave up while the refund was still not final.
    #[error("refund {} is still {} after {waited:?}", refund.id, refund.status)]
    StillPending {
        /// The last state seen.
        refund: Box<Refund>,
        /// How long we polled.
        waited: Duration,
    },
}

impl RefundError {
    /// Whether sending the same request again (same idempotency key) may
    /// succeed. The one place that decides retries: the transport's loop,
    /// the journal, `wait_for_final` and the CLI's `retryable` all read it.
    /// `OutcomeUnknown` is retryable: the same request with the same key
    /// (or [`recover_refund`](crate::recover_refund)) is how it resolves.
    pub fn is_retryable(&self) -> bool {
        match self {
            RefundError::Provider(error) => error.kind.is_retryable(),
            RefundError::Transport { .. }
            | RefundError::Timeout { .. }
            | RefundError::OutcomeUnknown { .. } => true,
            RefundError::Invalid(_)
            | RefundError::IntegrityMismatch { .. }
            | RefundError::Decode { .. }
            | RefundError::Unsupported { .. }
            | RefundError::Config(_)
            | RefundError::Webhook(_)
            | RefundError::NothingLeftToRefund { .. }
            | RefundError::PaymentNotRefundable { .. }
            | RefundError::StillPending { .. } => false,
        }
    }

    /// The provider error kind, when the provider answered with an error.
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            RefundError::Provider(error) => Some(error.kind),
            RefundError::OutcomeUnknown { source, .. } => source.kind(),
            // Decided by refundkit from the payment's amounts.
            RefundError::NothingLeftToRefund { .. } => Some(ErrorKind::RefundExceedsAvailable),
            RefundError::PaymentNotRefundable { .. } => Some(ErrorKind::PaymentNotRefundable),
            _ => None,
        }
    }

    /// The snake_case name of this error for machine output: the
    /// [`ErrorKind`] for provider errors, else the variant (`outcome_unknown`,
    /// `invalid`, `config`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            RefundError::Provider(error) => error.kind.as_str(),
            RefundError::Invalid(_) => "invalid",
            RefundError::OutcomeUnknown { .. } => "outcome_unknown",
            RefundError::IntegrityMismatch { .. } => "integrity_mismatch",
            RefundError::Transport { .. } => "transport",
            RefundError::Timeout { .. } => "timeout",
            RefundError::Decode { .. } => "decode",
            RefundError::Unsupported { .. } => "unsupported",
            RefundError::Config(_) => "config",
            RefundError::Webhook(_) => "webhook",
            RefundError::StillPending { .. } => "still_pending",
            RefundError::NothingLeftToRefund { .. } => "nothing_left_to_refund",
            RefundError::PaymentNotRefundable { .. } => "payment_not_refundable",
        }
    }

    /// The idempotency key to retry with, for [`RefundError::OutcomeUnknown`].
    pub fn idempotency_key(&self) -> Option<&IdempotencyKey> {
        match self {
            RefundError::OutcomeUnknown {
                idempotency_key, ..
            } => Some(idempotency_key),
            _ => None,
        }
    }

    /// A decode error for `provider`.
    pub fn decode(provider: ProviderId, message: impl Into<String>) -> Self {
        RefundError::Decode {
            provider,
            message: message.into(),
        }
    }
}

impl From<MoneyError> for RefundError {
    fn from(error: MoneyError) -> Self {
        RefundError::Invalid(error.into())
    }
}

impl From<ProviderError> for RefundError {
    fn from(error: ProviderError) -> Self {
        RefundError::Provider(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(kind: ErrorKind) -> RefundError {
        RefundError::Provider(ProviderError::new(
            crate::ids::SAMPLE_PROVIDER,
            kind,
            400,
            "m",
        ))
    }

    #[test]
    fn retry_decisions_follow_one_table() {
        let table: Vec<(RefundError, bool)> = vec![
            (provider(ErrorKind::InvalidRequest), false),
            (provider(ErrorKind::Authentication), false),
            (provider(ErrorKind::PermissionDenied), false),
            (provider(ErrorKind::NotFound), false),
            (provider(ErrorKind::IdempotencyConflict), false),
            (provider(ErrorKind::RequestInProgress), true),
            (provider(ErrorKind::RefundExceedsAvailable), false),
            (provider(ErrorKind::PaymentNotRefundable), false),
            (provider(ErrorKind::RateLimited), true),
            (provider(ErrorKind::ProviderUnavailable), true),
            (provider(ErrorKind::Other), false),
            (
                RefundError::Transport {
                    provider: crate::ids::OTHER_PROVIDER,
                    message: "connection refused".into(),
                    maybe_delivered: false,
                },
                true,
            ),
            (
                RefundError::Timeout {
                    provider: crate::ids::OTHER_PROVIDER,
                    after: Duration::from_secs(1),
                },
                true,
            ),
            (ValidationError::new("amount", "zero").into(), false),
            (
                RefundError::decode(crate::ids::SAMPLE_PROVIDER, "bad json"),
                false,
            ),
            (RefundError::Config("ACME_API_KEY is missing".into()), false),
            (
                RefundError::Unsupported {
                    provider: crate::ids::OTHER_PROVIDER,
                    operation: "list_refunds",
                },
                false,
            ),
            (
                RefundError::OutcomeUnknown {
                    provider: crate::ids::SAMPLE_PROVIDER,
                    idempotency_key: IdempotencyKey::new(),
                    source: Box::new(provider(ErrorKind::ProviderUnavailable)),
                },
                // Resolved by the same request with the same key.
                true,
            ),
        ];
        for (error, retryable) in table {
            assert_eq!(error.is_retryable(), retryable, "{error}");
        }
    }

    #[test]
    fn codes_are_snake_case_names() {
        assert_eq!(provider(ErrorKind::NotFound).code(), "not_found");
        assert_eq!(RefundError::Config(String::new()).code(), "config");
    }
}
