//! The simulated world's data: seeded payments, ledger refunds, settle modes.

use std::time::Duration;

use refundkit_core::{Money, OffsetDateTime};

/// How new refunds reach their final status.
///
/// The mode is read when a refund is created; changing it later affects only
/// refunds created afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SettleMode {
    /// The create answer is already final: `SUCCEEDED` / `succeeded`
    /// (`FAILED` / `failed` for a payment set to fail its refunds, reversed
    /// for one set to reverse them: [`SimRefundStatus::Reversed`]).
    #[default]
    Instant,
    /// The create answers `INITIATED` / `pending`; the first `n` reads of the
    /// refund (get by id) still answer pending, read `n + 1` answers the final
    /// status. `AfterReads(0)` settles on the first read.
    AfterReads(u32),
    /// The create answers `INITIATED` / `pending`; the refund is final once
    /// this much time has passed since it was created.
    AfterDelay(Duration),
}

/// The state of a seeded payment. Only [`PaymentStatus::Succeeded`] payments
/// can be refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Captured: refundable.
    #[default]
    Succeeded,
    /// Authorized, not captured.
    RequiresCapture,
    /// Still processing.
    Pending,
    /// Canceled before capture.
    Canceled,
    /// The payment failed.
    Failed,
}

impl PaymentStatus {
    /// UQPay's `intent_status` value (`SUCCEEDED`, `REQUIRES_CAPTURE`, ...).
    pub fn uqpay_name(self) -> &'static str {
        match self {
            PaymentStatus::Succeeded => "SUCCEEDED",
            PaymentStatus::RequiresCapture => "REQUIRES_CAPTURE",
            PaymentStatus::Pending => "PENDING",
            PaymentStatus::Canceled => "CANCELLED",
            PaymentStatus::Failed => "FAILED",
        }
    }

    /// WooshPay's (Stripe's) PaymentIntent status (`succeeded`, ...).
    pub fn wooshpay_name(self) -> &'static str {
        match self {
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::RequiresCapture => "requires_capture",
            PaymentStatus::Pending => "processing",
            PaymentStatus::Canceled => "canceled",
            PaymentStatus::Failed => "requires_payment_method",
        }
    }
}

/// A payment to seed into a simulator or the in-memory provider.
///
/// ```
/// use refundkit_core::Money;
/// use refundkit_testkit::PaymentSeed;
///
/// let seed = PaymentSeed::captured(Money::parse("100.00", "USD")?)
///     .id("PI1234567890123456789")
///     .merchant_order_id("order-42");
/// assert_eq!(seed.amount().to_major_string(), "100");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentSeed {
    pub(crate) id: Option<String>,
    pub(crate) amount: Money,
    pub(crate) status: PaymentStatus,
    pub(crate) merchant_order_id: Option<String>,
    pub(crate) settles_as: Settlement,
    pub(crate) created_at: Option<OffsetDateTime>,
}

/// How a payment's refunds end once they settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Settlement {
    #[default]
    Succeed,
    Fail,
    Reverse,
}

impl Settlement {
    /// The status a refund settles in.
    pub(crate) fn final_status(self) -> SimRefundStatus {
        match self {
            Settlement::Succeed => SimRefundStatus::Succeeded,
            Settlement::Fail => SimRefundStatus::Failed,
            Settlement::Reverse => SimRefundStatus::Reversed,
        }
    }
}

impl PaymentSeed {
    /// A `Succeeded` payment with `amount` captured, and a generated id.
    pub fn captured(amount: Money) -> Self {
        Self {
            id: None,
            amount,
            status: PaymentStatus::Succeeded,
            merchant_order_id: None,
            settles_as: Settlement::Succeed,
            created_at: None,
        }
    }

    /// When the payment was made (default: when it is seeded), e.g. months
    /// ago, to recover refunds long after the fact (UQPay's `create_time`).
    #[must_use]
    pub fn created_at(mut self, at: OffsetDateTime) -> Self {
        self.created_at = Some(at);
        self
    }

    /// Uses this id instead of a generated one (an existing payment with the
    /// same id is replaced).
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Seeds the payment in this state (default `Succeeded`). A payment in
    /// any other state has nothing captured and refuses refunds.
    #[must_use]
    pub fn status(mut self, status: PaymentStatus) -> Self {
        self.status = status;
        self
    }

    /// The merchant's order reference (UQPay `merchant_order_id`, a list filter).
    #[must_use]
    pub fn merchant_order_id(mut self, id: impl Into<String>) -> Self {
        self.merchant_order_id = Some(id.into());
        self
    }

    /// Every refund of this payment settles as failed.
    #[must_use]
    pub fn failing_refunds(mut self) -> Self {
        self.settles_as = Settlement::Fail;
        self
    }

    /// Every refund of this payment settles as reversed
    /// ([`SimRefundStatus::Reversed`]): pending, then no longer in effect.
    #[must_use]
    pub fn reversing_refunds(mut self) -> Self {
        self.settles_as = Settlement::Reverse;
        self
    }

    /// The captured amount.
    pub fn amount(&self) -> Money {
        self.amount
    }
}

/// A seeded payment as the simulator holds it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimPayment {
    /// The payment (intent) id.
    pub id: String,
    /// Its one payment attempt (UQPay `PA…`).
    pub attempt_id: String,
    /// The payment amount (captured in full when `Succeeded`).
    pub amount: Money,
    /// Its state.
    pub status: PaymentStatus,
    /// The merchant's order reference.
    pub merchant_order_id: Option<String>,
    /// Whether its refunds settle as failed.
    pub fail_refunds: bool,
    /// Whether its refunds settle as reversed.
    pub reverse_refunds: bool,
    /// Everything refunded so far: every refund that has not failed or been
    /// reversed, pending ones included.
    pub refunded: Money,
    /// When it was seeded.
    pub created_at: OffsetDateTime,
}

impl SimPayment {
    /// The captured amount: the payment amount when `Succeeded`, else zero.
    pub fn captured(&self) -> Money {
        match self.status {
            PaymentStatus::Succeeded => self.amount,
            _ => Money::from_minor_units(0, self.amount.currency()),
        }
    }

    /// What can still be refunded.
    pub fn remaining(&self) -> Money {
        self.captured()
            .checked_sub(&self.refunded)
            .unwrap_or_else(|| Money::from_minor_units(0, self.amount.currency()))
    }
}

/// Where a ledger refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SimRefundStatus {
    /// Created, not settled (`INITIATED` / `pending`).
    Pending,
    /// Settled successfully (`SUCCEEDED` / `succeeded`).
    Succeeded,
    /// Settled as failed (`FAILED` / `failed`).
    Failed,
    /// Reversed: no longer in effect, the amount refundable again. UQPay
    /// reports `REVERSAL_SUCCEEDED` (normalized `RefundStatus::Reversed`);
    /// WooshPay has no reversal status and reports `failed`, as Stripe does
    /// for a refund that did not stick (normalized `RefundStatus::Failed`).
    Reversed,
}

impl SimRefundStatus {
    /// UQPay's `refund_status` value.
    pub fn uqpay_name(self) -> &'static str {
        match self {
            SimRefundStatus::Pending => "INITIATED",
            SimRefundStatus::Succeeded => "SUCCEEDED",
            SimRefundStatus::Failed => "FAILED",
            SimRefundStatus::Reversed => "REVERSAL_SUCCEEDED",
        }
    }

    /// WooshPay's `status` value.
    pub fn wooshpay_name(self) -> &'static str {
        match self {
            SimRefundStatus::Pending => "pending",
            SimRefundStatus::Succeeded => "succeeded",
            SimRefundStatus::Failed | SimRefundStatus::Reversed => "failed",
        }
    }
}

/// A refund in a simulator's (or the in-memory provider's) ledger.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SimRefund {
    /// The refund id (`RF…`, `re_…`, `mem_re_…`).
    pub id: String,
    /// The payment refunded.
    pub payment_id: String,
    /// The payment attempt refunded.
    pub payment_attempt_id: String,
    /// The amount, in the payment's currency.
    pub amount: Money,
    /// Where it stands now.
    pub status: SimRefundStatus,
    /// The reason as sent (free text for UQPay, an enum code for WooshPay).
    pub reason: Option<String>,
    /// Free-text description (in-memory provider only).
    pub description: Option<String>,
    /// The metadata as sent.
    pub metadata: serde_json::Map<String, serde_json::Value>,
    /// How often it was read by id.
    pub reads: u32,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When its status last changed.
    pub updated_at: OffsetDateTime,
}
