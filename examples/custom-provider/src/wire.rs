//! The ledger service's HTTP API, as its owners document it:
//!
//! - `POST /v1/refunds` with `Authorization: Bearer <key>`, an
//!   `Idempotency-Key` header and a [`WireCreate`] body answers a
//!   [`WireRefund`]. The same key with the same body replays the first
//!   answer; with another body it is `idempotency_conflict`; while the first
//!   is still being booked, `request_in_progress`.
//! - `GET /v1/refunds/{id}` answers a [`WireRefund`].
//! - `GET /v1/refunds?payment_id=&page=&page_size=` answers a [`WirePage`],
//!   newest first.
//! - Every refusal is a [`WireErrorBody`] with a 4xx status.
//!
//! Amounts are plain decimal strings in major units (`"10.01"`), never
//! floats.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A create request.
#[derive(Debug, Serialize)]
pub(crate) struct WireCreate<'a> {
    pub payment_id: &'a str,
    /// Absent for "all that remains".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<&'a str>,
    pub metadata: BTreeMap<String, String>,
}

/// A refund as the ledger reports it.
#[derive(Debug, Deserialize)]
pub(crate) struct WireRefund {
    pub id: String,
    pub payment_id: String,
    pub amount: String,
    pub currency: String,
    pub status: WireStatus,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Unix seconds.
    #[serde(default)]
    pub created: Option<i64>,
}

/// Where a ledger refund stands; the service documents exactly these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WireStatus {
    Pending,
    Succeeded,
    Failed,
}

/// One page of a list. Items stay raw so that one undecodable refund does
/// not hide the others from a search by key.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePage {
    pub refunds: Vec<serde_json::Value>,
    /// Refunds matching the query, on every page.
    pub total: u64,
}

/// A refusal.
#[derive(Debug, Deserialize)]
pub(crate) struct WireErrorBody {
    pub error: WireError,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireError {
    pub code: WireErrorCode,
    pub message: String,
}

/// Every error code the service documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum WireErrorCode {
    InvalidRequest,
    Unauthorized,
    NotFound,
    IdempotencyConflict,
    RequestInProgress,
    ExceedsAvailable,
    NotRefundable,
    RateLimited,
    Unavailable,
}
