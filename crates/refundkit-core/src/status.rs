//! A refund's normalized status and failure reasons.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where a refund stands. Providers may add values: anything unmapped is
/// `Unknown(raw)` and never fails a decode.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RefundStatus {
    /// Accepted, not settled yet.
    Pending,
    /// The customer or merchant must act before it proceeds.
    RequiresAction,
    /// The money went back.
    Succeeded,
    /// The refund failed; see [`Refund::failure`](crate::Refund::failure).
    Failed,
    /// Canceled before it settled.
    Canceled,
    /// An earlier refund is being reversed.
    Reversing,
    /// An earlier refund was reversed: it is no longer in effect.
    Reversed,
    /// A value this version does not know, kept as the provider sent it.
    Unknown(String),
}

impl RefundStatus {
    /// True for states that will not change any more.
    pub fn is_final(&self) -> bool {
        match self {
            RefundStatus::Succeeded
            | RefundStatus::Failed
            | RefundStatus::Canceled
            | RefundStatus::Reversed => true,
            RefundStatus::Pending
            | RefundStatus::RequiresAction
            | RefundStatus::Reversing
            | RefundStatus::Unknown(_) => false,
        }
    }

    /// The snake_case name (`succeeded`), or the raw value for `Unknown`.
    pub fn as_str(&self) -> &str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::RequiresAction => "requires_action",
            RefundStatus::Succeeded => "succeeded",
            RefundStatus::Failed => "failed",
            RefundStatus::Canceled => "canceled",
            RefundStatus::Reversing => "reversing",
            RefundStatus::Reversed => "reversed",
            RefundStatus::Unknown(raw) => raw,
        }
    }

    /// The status for a snake_case name; anything else is `Unknown`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "pending" => RefundStatus::Pending,
            "requires_action" => RefundStatus::RequiresAction,
            "succeeded" => RefundStatus::Succeeded,
            "failed" => RefundStatus::Failed,
            "canceled" => RefundStatus::Canceled,
            "reversing" => RefundStatus::Reversing,
            "reversed" => RefundStatus::Reversed,
            other => RefundStatus::Unknown(other.to_string()),
        }
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a refund failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureReason {
    /// The card was reported lost or stolen.
    LostOrStolenCard,
    /// The card expired or was canceled.
    ExpiredOrCanceledCard,
    /// The provider gave no reason.
    Unspecified,
    /// A reason this version does not know, kept raw.
    Other(String),
}

impl FailureReason {
    /// The snake_case name, or the raw value for `Other`.
    pub fn as_str(&self) -> &str {
        match self {
            FailureReason::LostOrStolenCard => "lost_or_stolen_card",
            FailureReason::ExpiredOrCanceledCard => "expired_or_canceled_card",
            FailureReason::Unspecified => "unspecified",
            FailureReason::Other(raw) => raw,
        }
    }

    /// The reason for a snake_case name; anything else is `Other`.
    pub fn from_name(name: &str) -> Self {
        match name {
            "lost_or_stolen_card" => FailureReason::LostOrStolenCard,
            "expired_or_canceled_card" => FailureReason::ExpiredOrCanceledCard,
            "unspecified" => FailureReason::Unspecified,
            other => FailureReason::Other(other.to_string()),
        }
    }
}

macro_rules! serde_as_name {
    ($type:ty) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(<$type>::from_name(&String::deserialize(deserializer)?))
            }
        }
    };
}

serde_as_name!(RefundStatus);
serde_as_name!(FailureReason);
