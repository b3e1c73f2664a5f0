//! A failed command: what stderr says and the exit code.

use refundkit::journal::JournalError;
use refundkit::{IdempotencyKey, RefundError, ValidationError};

/// A failure, with the idempotency key a create was sent with.
#[derive(Debug)]
pub struct Failure {
    /// The snake_case kind (`RefundError::code` / `JournalError::code`).
    pub kind: &'static str,
    /// What happened (secrets scrubbed by the library).
    pub message: String,
    /// Whether the same command may succeed later.
    pub retryable: bool,
    /// The key of the create that failed, to retry with.
    pub idempotency_key: Option<IdempotencyKey>,
    /// 2 invalid input or usage, 3 provider error, 4 outcome unknown (or in
    /// progress elsewhere), 5 configuration, 1 anything else.
    pub exit_code: u8,
}

impl Failure {
    /// The same failure, carrying `key` unless it names its own.
    pub fn with_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key.get_or_insert(key);
        self
    }

    /// The same failure with advice on what to do instead appended.
    pub fn with_hint(mut self, hint: impl std::fmt::Display) -> Self {
        self.message = format!("{}; {hint}", self.message);
        self
    }
}

fn refund_exit_code(error: &RefundError) -> u8 {
    match error {
        RefundError::Invalid(_) | RefundError::Unsupported { .. } | RefundError::Webhook(_) => 2,
        RefundError::Provider(_)
        | RefundError::NothingLeftToRefund { .. }
        | RefundError::PaymentNotRefundable { .. } => 3,
        RefundError::OutcomeUnknown { .. } => 4,
        RefundError::Config(_) => 5,
        _ => 1,
    }
}

impl From<RefundError> for Failure {
    fn from(error: RefundError) -> Self {
        Self {
            kind: error.code(),
            message: error.to_string(),
            // An unknown outcome is safe to retry with the printed key.
            retryable: error.is_retryable(),
            idempotency_key: error.idempotency_key().copied(),
            exit_code: refund_exit_code(&error),
        }
    }
}

impl From<ValidationError> for Failure {
    fn from(error: ValidationError) -> Self {
        RefundError::Invalid(error).into()
    }
}

impl From<JournalError> for Failure {
    fn from(error: JournalError) -> Self {
        let exit_code = match &error {
            JournalError::Refund(refund) => return Failure::from_refund_ref(refund, &error),
            JournalError::Invalid(_)
            | JournalError::OverRefund { .. }
            | JournalError::ReferenceConflict { .. } => 2,
            JournalError::Refused { .. } => 3,
            JournalError::InProgress { .. } => 4,
            JournalError::Config(_) | JournalError::ProviderNotConfigured { .. } => 5,
            _ => 1,
        };
        Self {
            kind: error.code(),
            message: error.to_string(),
            retryable: error.is_retryable(),
            idempotency_key: error.idempotency_key().copied(),
            exit_code,
        }
    }
}

impl Failure {
    fn from_refund_ref(refund: &RefundError, journal: &JournalError) -> Self {
        Self {
            kind: refund.code(),
            message: journal.to_string(),
            retryable: journal.is_retryable(),
            idempotency_key: journal.idempotency_key().copied(),
            exit_code: refund_exit_code(refund),
        }
    }
}
