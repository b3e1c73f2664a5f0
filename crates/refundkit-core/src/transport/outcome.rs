//! What an ended attempt means for the money: pure functions over plain data,
//! the one place that decides when a create's ending is `OutcomeUnknown`.

use crate::error::ErrorKind;

/// How one failed attempt bears on the request it carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AttemptEnd {
    /// The provider may have acted on this attempt (a create may exist).
    pub maybe_acted: bool,
    /// The answer settles the call whatever earlier attempts did: a documented
    /// refusal of the request itself.
    pub conclusive: bool,
}

impl AttemptEnd {
    /// Refused by the network before reaching the provider (connection refused).
    pub const NOT_SENT: AttemptEnd = AttemptEnd {
        maybe_acted: false,
        conclusive: false,
    };

    /// Sent, and no answer that could be read came back (timeout, reset,
    /// truncated or oversized body): the provider may have acted.
    pub const UNANSWERED: AttemptEnd = AttemptEnd {
        maybe_acted: true,
        conclusive: false,
    };
}

/// Judges a non-2xx answer. Only a 4xx whose body is an error object in the
/// provider's documented shape (`documented`) says the provider refused the
/// request; any other status or body — 1xx, 3xx, 5xx, HTML from a proxy,
/// an empty body — may follow a create that happened.
pub(crate) fn judge_error_answer(status: u16, kind: ErrorKind, documented: bool) -> AttemptEnd {
    if !(400..500).contains(&status) || !documented {
        return AttemptEnd::UNANSWERED;
    }
    match kind {
        // Another request with this key is still running: it may create.
        ErrorKind::RequestInProgress => AttemptEnd::UNANSWERED,
        // Refused before any work, but earlier attempts may have acted.
        // A key already used (for another body, the provider says) is such
        // a refusal too: after an attempt of this very request that may
        // have been acted on, it says a refund may exist under the key.
        ErrorKind::Authentication
        | ErrorKind::PermissionDenied
        | ErrorKind::RateLimited
        | ErrorKind::ProviderUnavailable
        | ErrorKind::IdempotencyConflict => AttemptEnd {
            maybe_acted: false,
            conclusive: false,
        },
        // The provider looked at the request and refused it.
        ErrorKind::InvalidRequest
        | ErrorKind::NotFound
        | ErrorKind::RefundExceedsAvailable
        | ErrorKind::PaymentNotRefundable
        | ErrorKind::Other => AttemptEnd {
            maybe_acted: false,
            conclusive: true,
        },
    }
}

/// Whether a call that ended in an error is `OutcomeUnknown`: it creates
/// money movement (`creates`), some attempt may have been acted on, and the
/// last answer did not settle it.
pub(crate) fn outcome_unknown(creates: bool, any_maybe_acted: bool, last: AttemptEnd) -> bool {
    creates && any_maybe_acted && !last.conclusive
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [ErrorKind; 11] = [
        ErrorKind::InvalidRequest,
        ErrorKind::Authentication,
        ErrorKind::PermissionDenied,
        ErrorKind::NotFound,
        ErrorKind::IdempotencyConflict,
        ErrorKind::RequestInProgress,
        ErrorKind::RefundExceedsAvailable,
        ErrorKind::PaymentNotRefundable,
        ErrorKind::RateLimited,
        ErrorKind::ProviderUnavailable,
        ErrorKind::Other,
    ];

    /// Every kind × documented or not × status class × create or read ×
    /// first attempt or a later one after a possibly delivered attempt.
    #[test]
    fn the_outcome_table() {
        for kind in KINDS {
            for documented in [true, false] {
                for status in [100, 302, 400, 401, 404, 409, 429, 500, 503] {
                    let end = judge_error_answer(status, kind, documented);
                    for creates in [true, false] {
                        for earlier_maybe_acted in [false, true] {
                            let unknown = outcome_unknown(
                                creates,
                                earlier_maybe_acted || end.maybe_acted,
                                end,
                            );
                            let refusal = documented
                                && (400..500).contains(&status)
                                && !matches!(kind, ErrorKind::RequestInProgress);
                            // Refusals that leave an earlier attempt open.
                            let settles_only_itself = matches!(
                                kind,
                                ErrorKind::Authentication
                                    | ErrorKind::PermissionDenied
                                    | ErrorKind::RateLimited
                                    | ErrorKind::ProviderUnavailable
                                    | ErrorKind::IdempotencyConflict
                            );
                            let expected = creates
                                && (!refusal || (settles_only_itself && earlier_maybe_acted));
                            assert_eq!(
                                unknown, expected,
                                "{kind} documented={documented} status={status} \
                                 creates={creates} earlier={earlier_maybe_acted}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn an_unanswered_create_is_unknown_and_a_refused_connection_is_not() {
        assert!(outcome_unknown(true, true, AttemptEnd::UNANSWERED));
        assert!(!outcome_unknown(true, false, AttemptEnd::NOT_SENT));
        assert!(!outcome_unknown(false, true, AttemptEnd::UNANSWERED));
    }
}
