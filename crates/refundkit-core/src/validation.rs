//! Validation errors: a request or setting refused before anything is sent.

use crate::money::MoneyError;

/// A request refused by validation, before anything was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {message}")]
pub struct ValidationError {
    field: &'static str,
    message: String,
}

impl ValidationError {
    /// A validation failure on `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The offending field (`amount`, `payment_id`, `reason`, ...).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn scrub_message(&mut self, secrets: &crate::secrets::Secrets) {
        secrets.scrub_in_place(&mut self.message);
    }

    /// A money problem reported against `field`.
    pub fn money(field: &'static str, error: MoneyError) -> Self {
        Self::new(field, error.to_string())
    }
}

impl From<MoneyError> for ValidationError {
    fn from(error: MoneyError) -> Self {
        ValidationError::money("amount", error)
    }
}
