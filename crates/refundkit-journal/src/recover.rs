//! The exactly-once recover path, step by step, so the journal knows which
//! step an error came from: only a refusal of the create itself proves that
//! no refund exists; a failed lookup proves nothing.

use refundkit_core::{check_echo, Refund, RefundError, RefundProvider, RefundRequest};

use crate::entry::JournalEntry;
use crate::state::Outcome;

/// A read about a journaled row's refund (a poll, a webhook) checked
/// against what was journaled: another amount or currency is
/// `IntegrityMismatch`, as it is on a create's answer.
pub(crate) fn check_journaled(entry: &JournalEntry, refund: Refund) -> Result<Refund, RefundError> {
    check_echo(refund, Some(entry.amount.currency()), Some(&entry.amount))
}

/// A call's result and what the journal makes of it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub outcome: Outcome,
    pub result: Result<Refund, RefundError>,
}

impl Answer {
    /// A create's answer.
    pub fn of_create(result: Result<Refund, RefundError>) -> Self {
        Self {
            outcome: Outcome::of_create(&result),
            result,
        }
    }

    /// A read that may have missed a refund: an error leaves the state.
    pub fn of_read(result: Result<Refund, RefundError>) -> Self {
        let outcome = match &result {
            Ok(_) | Err(RefundError::IntegrityMismatch { .. }) => Outcome::of_create(&result),
            Err(_) => Outcome::Unchanged,
        };
        Self { outcome, result }
    }
}

/// The refund made with `request`'s key if the provider has it, else a
/// create with the same key (`refundkit_core::recover_refund`, with the
/// lookup's errors kept apart from the create's).
pub(crate) async fn recover(client: &dyn RefundProvider, request: &RefundRequest) -> Answer {
    let found = client.find_refund_for(request).await;
    match found {
        Ok(Some(refund)) => {
            let money = match request.amount() {
                refundkit_core::RefundAmount::Partial(money) => Some(*money),
                refundkit_core::RefundAmount::Full => None,
            };
            let checked = check_echo(refund, money.map(|m| m.currency()), money.as_ref());
            Answer::of_read(checked)
        }
        Ok(None) => Answer::of_create(client.create_refund(request).await),
        Err(error) => Answer::of_read(Err(error)),
    }
}
