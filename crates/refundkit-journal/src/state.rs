//! Where a journaled refund stands, and how a provider's answer moves it.
//! Pure functions: no I/O.

use std::fmt;

use refundkit_core::{Refund, RefundError, RefundStatus};

/// The journal's state of one logical refund.
///
/// ```text
/// recorded ──send──▶ pending ──poll/webhook──▶ succeeded | failed | canceled | reversed
///    │  └──────────────────────────────────────▶ (final straight away)
///    ├──OutcomeUnknown──▶ outcome_unknown ──reconcile──▶ pending | final
///    └──refused by the provider──▶ refused
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JournalState {
    /// The intent is recorded and the amount reserved; the request may or
    /// may not have reached the provider.
    Recorded,
    /// The create ended without a definitive answer (`OutcomeUnknown`): the
    /// refund may exist. Never treated as failed.
    OutcomeUnknown,
    /// The provider holds the refund; it is not final yet.
    Pending,
    /// The refund succeeded.
    Succeeded,
    /// The provider reports the refund failed (no money moved).
    Failed,
    /// The refund was canceled before it settled.
    Canceled,
    /// The refund was reversed after it settled.
    Reversed,
    /// The provider refused the create in a documented error, or it never
    /// arrived: no refund exists and the reservation is released.
    Refused,
    /// The provider holds a refund with this key that differs from the
    /// request (amount or currency): investigate, never refund again.
    IntegrityMismatch,
}

impl JournalState {
    /// Every state, for tables and tests.
    pub const ALL: [JournalState; 9] = [
        JournalState::Recorded,
        JournalState::OutcomeUnknown,
        JournalState::Pending,
        JournalState::Succeeded,
        JournalState::Failed,
        JournalState::Canceled,
        JournalState::Reversed,
        JournalState::Refused,
        JournalState::IntegrityMismatch,
    ];

    /// The stored snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            JournalState::Recorded => "recorded",
            JournalState::OutcomeUnknown => "outcome_unknown",
            JournalState::Pending => "pending",
            JournalState::Succeeded => "succeeded",
            JournalState::Failed => "failed",
            JournalState::Canceled => "canceled",
            JournalState::Reversed => "reversed",
            JournalState::Refused => "refused",
            JournalState::IntegrityMismatch => "integrity_mismatch",
        }
    }

    /// The state for a stored name, `None` for a name this version does not know.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == name)
    }

    /// Whether reconcile still has work to do on the row.
    pub fn is_finished(self) -> bool {
        !self.is_unfinished()
    }

    /// `recorded`, `outcome_unknown` and `pending`: the rows reconcile resolves.
    pub fn is_unfinished(self) -> bool {
        matches!(
            self,
            JournalState::Recorded | JournalState::OutcomeUnknown | JournalState::Pending
        )
    }

    /// Whether the row's amount counts against the payment's ceiling: every
    /// state but those where certainly no money moved.
    pub fn holds_reservation(self) -> bool {
        !matches!(
            self,
            JournalState::Failed | JournalState::Canceled | JournalState::Refused
        )
    }

    /// The unfinished states, as stored.
    pub const UNFINISHED: [&'static str; 3] = ["recorded", "outcome_unknown", "pending"];

    /// The states that release the reservation, as stored.
    pub const RELEASED: [&'static str; 3] = ["failed", "canceled", "refused"];
}

impl fmt::Display for JournalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The state a provider's normalized status puts a row in.
pub fn state_for_status(status: &RefundStatus) -> JournalState {
    match status {
        RefundStatus::Succeeded => JournalState::Succeeded,
        RefundStatus::Failed => JournalState::Failed,
        RefundStatus::Canceled => JournalState::Canceled,
        RefundStatus::Reversed => JournalState::Reversed,
        // Not final, or a value this version does not know: keep polling.
        _ => JournalState::Pending,
    }
}

/// What a create (or a recovery) ended in, as the journal records it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The provider answered with this refund.
    Answered(Refund),
    /// The provider holds a refund that differs from the request.
    Mismatch(Refund),
    /// The answer is not known; the refund may exist.
    Unknown,
    /// Certainly no refund: a documented refusal, or never sent.
    Refused,
    /// A read failed (reconcile): nothing is learnt, the state stays.
    Unchanged,
}

impl Outcome {
    /// The outcome of a create's result. Only errors that say no refund
    /// exists release the reservation; everything else that is not an
    /// answer is `Unknown`, never failed.
    pub fn of_create(result: &Result<Refund, RefundError>) -> Self {
        match result {
            Ok(refund) => Outcome::Answered(refund.clone()),
            Err(RefundError::IntegrityMismatch { refund, .. }) => {
                Outcome::Mismatch(refund.as_ref().clone())
            }
            Err(RefundError::OutcomeUnknown { .. }) => Outcome::Unknown,
            // Not processed, but worth another try: keep it reserved and
            // unfinished so reconcile sends it again with the same key.
            Err(error) if error.is_retryable() => Outcome::Unknown,
            Err(RefundError::Invalid(_))
            | Err(RefundError::Provider(_))
            | Err(RefundError::NothingLeftToRefund { .. })
            // Decided by refundkit from the payment before any create.
            | Err(RefundError::PaymentNotRefundable { .. })
            | Err(RefundError::Unsupported { .. })
            | Err(RefundError::Config(_)) => Outcome::Refused,
            Err(_) => Outcome::Unknown,
        }
    }

    /// The state the row moves to, given the state it is in.
    pub fn next_state(&self, current: JournalState) -> JournalState {
        match self {
            Outcome::Answered(refund) => state_for_status(&refund.status),
            Outcome::Mismatch(_) => JournalState::IntegrityMismatch,
            Outcome::Unknown => match current {
                // A pending refund whose poll failed is still pending.
                JournalState::Pending => JournalState::Pending,
                _ => JournalState::OutcomeUnknown,
            },
            Outcome::Refused => JournalState::Refused,
            Outcome::Unchanged => current,
        }
    }
}

/// The state a webhook's status moves a row to. Events arrive late and out
/// of order, so a final row never goes back to pending, and refused or
/// mismatched rows are left for a person.
pub fn state_after_event(current: JournalState, status: &RefundStatus) -> JournalState {
    let next = state_for_status(status);
    match current {
        JournalState::Refused | JournalState::IntegrityMismatch => current,
        _ if current.is_finished() && next.is_unfinished() => current,
        _ => next,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use refundkit_core::{ErrorKind, IdempotencyKey, Money, ProviderError, RefundId};

    const SAMPLE: refundkit_core::ProviderId = refundkit_core::ProviderId::from_static("acme");

    fn refund(status: RefundStatus) -> Refund {
        let amount = Money::parse("1.00", "USD").unwrap();
        Refund::new(SAMPLE, RefundId::new("re_1").unwrap(), amount, status)
    }

    #[test]
    fn every_state_round_trips_through_its_name() {
        for state in JournalState::ALL {
            assert_eq!(JournalState::from_name(state.as_str()), Some(state));
        }
        assert_eq!(JournalState::from_name("sent"), None);
    }

    #[test]
    fn an_unknown_outcome_is_recorded_as_such_never_as_failed() {
        let unknown = RefundError::OutcomeUnknown {
            provider: SAMPLE,
            idempotency_key: IdempotencyKey::new(),
            source: Box::new(RefundError::Config("x".into())),
        };
        let outcome = Outcome::of_create(&Err(unknown));
        assert_eq!(outcome, Outcome::Unknown);
        assert_eq!(
            outcome.next_state(JournalState::Recorded),
            JournalState::OutcomeUnknown
        );
        assert!(JournalState::OutcomeUnknown.holds_reservation());
    }

    #[test]
    fn a_retryable_refusal_stays_unfinished_and_a_final_one_releases() {
        let limited = ProviderError::new(SAMPLE, ErrorKind::RateLimited, 429, "slow down");
        let outcome = Outcome::of_create(&Err(RefundError::Provider(limited)));
        assert_eq!(outcome, Outcome::Unknown);
        let refused =
            ProviderError::new(SAMPLE, ErrorKind::RefundExceedsAvailable, 400, "too much");
        let outcome = Outcome::of_create(&Err(RefundError::Provider(refused)));
        assert_eq!(
            outcome.next_state(JournalState::Recorded),
            JournalState::Refused
        );
        assert!(!JournalState::Refused.holds_reservation());
    }

    #[test]
    fn an_answer_moves_the_row_to_its_status() {
        let pending = Outcome::of_create(&Ok(refund(RefundStatus::Pending)));
        assert_eq!(
            pending.next_state(JournalState::Recorded),
            JournalState::Pending
        );
        let done = Outcome::of_create(&Ok(refund(RefundStatus::Succeeded)));
        assert_eq!(
            done.next_state(JournalState::Pending),
            JournalState::Succeeded
        );
        assert_eq!(
            Outcome::Unknown.next_state(JournalState::Pending),
            JournalState::Pending
        );
    }

    #[test]
    fn a_late_pending_event_never_reopens_a_final_row() {
        let s = JournalState::Succeeded;
        assert_eq!(state_after_event(s, &RefundStatus::Pending), s);
        assert_eq!(
            state_after_event(s, &RefundStatus::Reversed),
            JournalState::Reversed
        );
        let p = JournalState::Pending;
        assert_eq!(state_after_event(p, &RefundStatus::Succeeded), s);
        let r = JournalState::Refused;
        assert_eq!(state_after_event(r, &RefundStatus::Succeeded), r);
    }
}
