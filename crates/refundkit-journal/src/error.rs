//! What can go wrong with a journaled refund. Every variant names the field
//! or setting involved; none carries a secret (database URLs are masked,
//! provider errors arrive scrubbed).

use refundkit_core::{IdempotencyKey, Money, RefundError, ValidationError};

/// An error of the journal or of the refund it journals.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The refund call itself failed; the journal recorded the outcome
    /// (`OutcomeUnknown` stays unfinished for reconcile, never failed).
    #[error(transparent)]
    Refund(#[from] RefundError),
    /// The request was refused before anything was recorded or sent.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The refund would take the payment past its ceiling; nothing was sent.
    #[error("field `amount`: refunding {requested} on payment {payment_id} would exceed the ceiling {ceiling} ({reserved} already refunded or reserved); nothing was sent")]
    OverRefund {
        /// The payment.
        payment_id: String,
        /// The amount asked for.
        requested: Money,
        /// The sum of the payment's refunds that hold a reservation.
        reserved: Money,
        /// The caller's ceiling.
        ceiling: Money,
    },
    /// The reference (or key) is already journaled for a different request.
    #[error("field `{field}`: idempotency key {idempotency_key} is already journaled with a different {field}; a reference names one refund")]
    ReferenceConflict {
        /// The field that differs (`payment_id`, `amount`, `provider`, ...).
        field: &'static str,
        /// The key of the journaled row.
        idempotency_key: IdempotencyKey,
    },
    /// Another process is working on this refund right now (its lease has
    /// not expired); try again later.
    #[error("refund {idempotency_key} is being sent or reconciled by another process (lease until {lease_until_ms} ms); retry later")]
    InProgress {
        /// The row's key.
        idempotency_key: IdempotencyKey,
        /// When the other process's lease ends, Unix milliseconds.
        lease_until_ms: i64,
    },
    /// The provider refused this refund earlier; the journal keeps the
    /// refusal and sends nothing again.
    #[error("refund {idempotency_key} was refused by the provider earlier ({code}): {message}")]
    Refused {
        /// The row's key.
        idempotency_key: IdempotencyKey,
        /// The error code recorded (`RefundError::code`).
        code: String,
        /// The scrubbed error text recorded.
        message: String,
    },
    /// The journal holds a refund for this key that differs from the request.
    #[error("refund {idempotency_key} exists at the provider with a different amount or currency; investigate it, do not refund again")]
    Mismatch {
        /// The row's key.
        idempotency_key: IdempotencyKey,
    },
    /// A journaled row names a provider that is not configured here.
    #[error("field `provider`: the journal holds a {provider} refund, but no {provider} client is configured")]
    ProviderNotConfigured {
        /// The provider name stored.
        provider: String,
    },
    /// A stored value could not be read back.
    #[error("journal field `{field}` holds a value this version cannot read: {message}")]
    Corrupt {
        /// The column.
        field: &'static str,
        /// What was wrong (never the value).
        message: String,
    },
    /// The journal URL or options are wrong.
    #[error("journal configuration: {0}")]
    Config(String),
    /// The database failed.
    #[error("journal database error during {operation}: {message}")]
    Database {
        /// What the journal was doing (`record intent`, `claim`, ...).
        operation: &'static str,
        /// The driver's message.
        message: String,
    },
}

impl JournalError {
    /// The snake_case name for machine output; a refund error gives its own
    /// [`RefundError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            JournalError::Refund(error) => error.code(),
            JournalError::Invalid(_) => "invalid",
            JournalError::OverRefund { .. } => "over_refund",
            JournalError::ReferenceConflict { .. } => "reference_conflict",
            JournalError::InProgress { .. } => "in_progress",
            JournalError::Refused { .. } => "refused",
            JournalError::Mismatch { .. } => "integrity_mismatch",
            JournalError::ProviderNotConfigured { .. } => "provider_not_configured",
            JournalError::Corrupt { .. } => "journal_corrupt",
            JournalError::Config(_) => "config",
            JournalError::Database { .. } => "journal_database",
        }
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            JournalError::Refund(error) => error.is_retryable(),
            JournalError::InProgress { .. } | JournalError::Database { .. } => true,
            _ => false,
        }
    }

    /// The idempotency key involved, when there is one.
    pub fn idempotency_key(&self) -> Option<&IdempotencyKey> {
        match self {
            JournalError::Refund(error) => error.idempotency_key(),
            JournalError::ReferenceConflict {
                idempotency_key, ..
            }
            | JournalError::InProgress {
                idempotency_key, ..
            }
            | JournalError::Refused {
                idempotency_key, ..
            }
            | JournalError::Mismatch { idempotency_key } => Some(idempotency_key),
            _ => None,
        }
    }

    pub(crate) fn database(operation: &'static str) -> impl FnOnce(sqlx::Error) -> Self {
        move |error| JournalError::Database {
            operation,
            message: refundkit_core::redact_url(&error.to_string()),
        }
    }

    pub(crate) fn corrupt(field: &'static str, message: impl Into<String>) -> Self {
        JournalError::Corrupt {
            field,
            message: message.into(),
        }
    }
}
