//! The refund ledger every simulator and the in-memory provider share:
//! payments, refunds, what remains refundable, and settlement. No I/O.

use std::collections::HashMap;
use std::time::Instant;

use refundkit_core::{Currency, Decimal, Money, OffsetDateTime};

use crate::model::{
    PaymentSeed, PaymentStatus, SettleMode, Settlement, SimPayment, SimRefund, SimRefundStatus,
};
use crate::util::new_id;

/// The id prefixes one provider uses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IdScheme {
    pub payment: &'static str,
    pub attempt: &'static str,
    pub refund: &'static str,
}

/// What a refund request asks the ledger for.
#[derive(Debug, Clone)]
pub(crate) struct NewRefund {
    pub payment_id: String,
    /// `None`: everything that remains.
    pub amount: Option<Decimal>,
    /// When given, must be the payment's attempt.
    pub attempt_id: Option<String>,
    pub reason: Option<String>,
    pub description: Option<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
}

/// Why the ledger refused a refund.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Refusal {
    PaymentNotFound,
    AttemptNotFound,
    NotRefundable(PaymentStatus),
    /// Nothing remains (a full refund was already made).
    FullyRefunded,
    ExceedsAvailable {
        remaining: Money,
    },
    /// The amount does not fit the payment's currency.
    InvalidAmount(String),
}

#[derive(Debug, Clone)]
struct PaymentRecord {
    id: String,
    attempt_id: String,
    amount: Money,
    status: PaymentStatus,
    merchant_order_id: Option<String>,
    settles_as: Settlement,
    created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy)]
enum SettlePlan {
    Settled,
    AfterReads(u32),
    At(Instant),
}

#[derive(Debug, Clone)]
struct RefundRecord {
    refund: SimRefund,
    plan: SettlePlan,
}

/// Payments and refunds of one simulated provider.
#[derive(Debug)]
pub(crate) struct Ledger {
    ids: IdScheme,
    settle_mode: SettleMode,
    payments: HashMap<String, PaymentRecord>,
    /// In creation order.
    refunds: Vec<RefundRecord>,
}

impl Ledger {
    pub fn new(ids: IdScheme, settle_mode: SettleMode) -> Self {
        Self {
            ids,
            settle_mode,
            payments: HashMap::new(),
            refunds: Vec::new(),
        }
    }

    pub fn set_settle_mode(&mut self, mode: SettleMode) {
        self.settle_mode = mode;
    }

    /// Adds (or replaces) a payment; returns its id.
    pub fn seed(&mut self, seed: PaymentSeed) -> String {
        let id = seed.id.unwrap_or_else(|| new_id(self.ids.payment));
        let record = PaymentRecord {
            id: id.clone(),
            attempt_id: new_id(self.ids.attempt),
            amount: seed.amount,
            status: seed.status,
            merchant_order_id: seed.merchant_order_id,
            settles_as: seed.settles_as,
            created_at: seed.created_at.unwrap_or_else(OffsetDateTime::now_utc),
        };
        self.payments.insert(id.clone(), record);
        id
    }

    pub fn currency_of(&self, payment_id: &str) -> Option<Currency> {
        self.payments.get(payment_id).map(|p| p.amount.currency())
    }

    pub fn payment(&mut self, payment_id: &str) -> Option<SimPayment> {
        self.settle_due();
        let record = self.payments.get(payment_id)?;
        Some(SimPayment {
            id: record.id.clone(),
            attempt_id: record.attempt_id.clone(),
            amount: record.amount,
            status: record.status,
            merchant_order_id: record.merchant_order_id.clone(),
            fail_refunds: record.settles_as == Settlement::Fail,
            reverse_refunds: record.settles_as == Settlement::Reverse,
            refunded: self.refunded(record),
            created_at: record.created_at,
        })
    }

    /// Changes a payment's state; false when it does not exist.
    pub fn set_payment_status(&mut self, payment_id: &str, status: PaymentStatus) -> bool {
        self.payments
            .get_mut(payment_id)
            .map(|p| p.status = status)
            .is_some()
    }

    /// Makes a payment's refunds fail (or succeed) from their next settlement on.
    pub fn set_fail_refunds(&mut self, payment_id: &str, fail: bool) -> bool {
        let settles_as = if fail {
            Settlement::Fail
        } else {
            Settlement::Succeed
        };
        self.payments
            .get_mut(payment_id)
            .map(|p| p.settles_as = settles_as)
            .is_some()
    }

    /// Books a refund when the payment allows it.
    pub fn create(&mut self, new: NewRefund) -> Result<SimRefund, Refusal> {
        self.settle_due();
        let payment = self
            .payments
            .get(&new.payment_id)
            .ok_or(Refusal::PaymentNotFound)?;
        if new
            .attempt_id
            .as_ref()
            .is_some_and(|a| *a != payment.attempt_id)
        {
            return Err(Refusal::AttemptNotFound);
        }
        if payment.status != PaymentStatus::Succeeded {
            return Err(Refusal::NotRefundable(payment.status));
        }
        let currency = payment.amount.currency();
        let remaining = payment
            .amount
            .checked_sub(&self.refunded(payment))
            .unwrap_or_else(|| Money::from_minor_units(0, currency));
        let amount = match new.amount {
            Some(amount) => {
                Money::new(amount, currency).map_err(|e| Refusal::InvalidAmount(e.to_string()))?
            }
            None => remaining,
        };
        if !remaining.is_positive() {
            return Err(Refusal::FullyRefunded);
        }
        if amount.amount() > remaining.amount() {
            return Err(Refusal::ExceedsAvailable { remaining });
        }
        if !amount.is_positive() {
            return Err(Refusal::InvalidAmount("must be above zero".into()));
        }
        let now = OffsetDateTime::now_utc();
        let (status, plan) = match self.settle_mode {
            SettleMode::Instant => (payment.settles_as.final_status(), SettlePlan::Settled),
            SettleMode::AfterReads(reads) => {
                (SimRefundStatus::Pending, SettlePlan::AfterReads(reads))
            }
            SettleMode::AfterDelay(delay) => (
                SimRefundStatus::Pending,
                SettlePlan::At(Instant::now() + delay),
            ),
        };
        let refund = SimRefund {
            id: new_id(self.ids.refund),
            payment_id: payment.id.clone(),
            payment_attempt_id: payment.attempt_id.clone(),
            amount,
            status,
            reason: new.reason,
            description: new.description,
            metadata: new.metadata,
            reads: 0,
            created_at: now,
            updated_at: now,
        };
        self.refunds.push(RefundRecord {
            refund: refund.clone(),
            plan,
        });
        Ok(refund)
    }

    /// Moves a refund's creation (and last change) to `at`, as if it had been
    /// made then; false when there is no such refund.
    pub fn set_refund_created_at(&mut self, refund_id: &str, at: OffsetDateTime) -> bool {
        self.refunds
            .iter_mut()
            .find(|r| r.refund.id == refund_id)
            .map(|r| {
                r.refund.created_at = at;
                r.refund.updated_at = at;
            })
            .is_some()
    }

    /// Reads a refund by id, counting the read (it may settle the refund).
    pub fn read(&mut self, refund_id: &str) -> Option<SimRefund> {
        self.settle_due();
        let index = self.refunds.iter().position(|r| r.refund.id == refund_id)?;
        let settles_as = settlement_of(&self.payments, &self.refunds.get(index)?.refund);
        let record = self.refunds.get_mut(index)?;
        record.refund.reads = record.refund.reads.saturating_add(1);
        if let SettlePlan::AfterReads(reads) = record.plan {
            if record.refund.reads > reads {
                settle(record, settles_as);
            }
        }
        Some(record.refund.clone())
    }

    /// Every refund, newest first, that `keep` accepts; `keep` also gets the
    /// merchant order id of the refund's payment. No read is counted.
    pub fn refunds(&mut self, keep: impl Fn(&SimRefund, Option<&str>) -> bool) -> Vec<SimRefund> {
        self.settle_due();
        let payments = &self.payments;
        self.refunds
            .iter()
            .rev()
            .map(|r| &r.refund)
            .filter(|r| {
                let order = payments
                    .get(&r.payment_id)
                    .and_then(|p| p.merchant_order_id.as_deref());
                keep(r, order)
            })
            .cloned()
            .collect()
    }

    /// Settles the refunds whose delay has passed.
    fn settle_due(&mut self) {
        let now = Instant::now();
        let payments = &self.payments;
        for record in &mut self.refunds {
            if let SettlePlan::At(at) = record.plan {
                if now >= at {
                    let settles_as = settlement_of(payments, &record.refund);
                    settle(record, settles_as);
                }
            }
        }
    }

    /// Every refund of the payment still in effect: not failed, not
    /// reversed; pending ones included.
    fn refunded(&self, payment: &PaymentRecord) -> Money {
        let currency = payment.amount.currency();
        let total = self
            .refunds
            .iter()
            .map(|r| &r.refund)
            .filter(|r| {
                r.payment_id == payment.id
                    && !matches!(
                        r.status,
                        SimRefundStatus::Failed | SimRefundStatus::Reversed
                    )
            })
            .fold(Decimal::ZERO, |sum, r| sum + r.amount.amount());
        Money::new(total, currency).unwrap_or_else(|_| Money::from_minor_units(0, currency))
    }
}

/// How `refund` settles: as its payment says (a payment gone: succeeded).
fn settlement_of(payments: &HashMap<String, PaymentRecord>, refund: &SimRefund) -> Settlement {
    payments
        .get(&refund.payment_id)
        .map_or(Settlement::Succeed, |p| p.settles_as)
}

fn settle(record: &mut RefundRecord, settles_as: Settlement) {
    record.plan = SettlePlan::Settled;
    record.refund.status = settles_as.final_status();
    record.refund.updated_at = OffsetDateTime::now_utc();
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: IdScheme = IdScheme {
        payment: "PI",
        attempt: "PA",
        refund: "RF",
    };

    fn usd(amount: &str) -> Money {
        Money::parse(amount, "USD").unwrap()
    }

    fn refund(payment_id: &str, amount: Option<&str>) -> NewRefund {
        NewRefund {
            payment_id: payment_id.into(),
            amount: amount.map(|a| a.parse().unwrap()),
            attempt_id: None,
            reason: Some("test".into()),
            description: None,
            metadata: Default::default(),
        }
    }

    #[test]
    fn partial_refunds_are_allowed_until_the_capture_is_used_up() {
        let mut ledger = Ledger::new(IDS, SettleMode::Instant);
        let pi = ledger.seed(PaymentSeed::captured(usd("10.00")));
        assert!(ledger.create(refund(&pi, Some("4"))).is_ok());
        assert_eq!(
            ledger.create(refund(&pi, Some("6.01"))),
            Err(Refusal::ExceedsAvailable {
                remaining: usd("6")
            })
        );
        let full = ledger.create(refund(&pi, None)).unwrap();
        assert_eq!(full.amount, usd("6"));
        assert_eq!(
            ledger.create(refund(&pi, None)),
            Err(Refusal::FullyRefunded)
        );
    }

    #[test]
    fn failed_refunds_give_the_amount_back_and_pending_ones_do_not() {
        let mut ledger = Ledger::new(IDS, SettleMode::AfterReads(0));
        let pi = ledger.seed(PaymentSeed::captured(usd("10")).failing_refunds());
        let first = ledger.create(refund(&pi, Some("10"))).unwrap();
        assert_eq!(first.status, SimRefundStatus::Pending);
        assert!(ledger.create(refund(&pi, Some("1"))).is_err());
        assert_eq!(
            ledger.read(&first.id).unwrap().status,
            SimRefundStatus::Failed
        );
        assert!(ledger.create(refund(&pi, Some("10"))).is_ok());
    }

    #[test]
    fn reversed_refunds_settle_from_pending_and_give_the_amount_back() {
        let mut ledger = Ledger::new(IDS, SettleMode::AfterReads(1));
        let pi = ledger.seed(PaymentSeed::captured(usd("10")).reversing_refunds());
        let id = ledger.create(refund(&pi, Some("10"))).unwrap().id;
        assert_eq!(ledger.read(&id).unwrap().status, SimRefundStatus::Pending);
        assert!(ledger.create(refund(&pi, Some("1"))).is_err());
        assert_eq!(ledger.read(&id).unwrap().status, SimRefundStatus::Reversed);
        let payment = ledger.payment(&pi).unwrap();
        assert!(payment.reverse_refunds && !payment.fail_refunds);
        assert_eq!(payment.refunded, usd("0"));
    }

    #[test]
    fn refunds_settle_after_the_configured_reads() {
        let mut ledger = Ledger::new(IDS, SettleMode::AfterReads(2));
        let pi = ledger.seed(PaymentSeed::captured(usd("10")));
        let id = ledger.create(refund(&pi, Some("1"))).unwrap().id;
        let statuses: Vec<_> = (0..3).map(|_| ledger.read(&id).unwrap().status).collect();
        assert_eq!(
            statuses,
            [
                SimRefundStatus::Pending,
                SimRefundStatus::Pending,
                SimRefundStatus::Succeeded
            ]
        );
    }

    #[test]
    fn only_succeeded_payments_and_their_own_attempt_are_refundable() {
        let mut ledger = Ledger::new(IDS, SettleMode::Instant);
        let pi =
            ledger.seed(PaymentSeed::captured(usd("10")).status(PaymentStatus::RequiresCapture));
        assert_eq!(
            ledger.create(refund(&pi, Some("1"))),
            Err(Refusal::NotRefundable(PaymentStatus::RequiresCapture))
        );
        let pi = ledger.seed(PaymentSeed::captured(usd("10")));
        let mut other_attempt = refund(&pi, Some("1"));
        other_attempt.attempt_id = Some("PA0".into());
        assert_eq!(ledger.create(other_attempt), Err(Refusal::AttemptNotFound));
        assert_eq!(
            ledger.create(refund("PI0", Some("1"))),
            Err(Refusal::PaymentNotFound)
        );
    }
}
