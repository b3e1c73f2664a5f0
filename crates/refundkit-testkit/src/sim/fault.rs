//! Fault injection, scripted per route and per call number.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use crate::util::lock;

/// A simulated endpoint, for fault scripts and the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Route {
    /// UQPay `POST /api/v1/connect/token`.
    Token,
    /// UQPay `GET /api/v2/payment_intents/{id}`.
    GetPayment,
    /// UQPay `POST /api/v2/payment/refunds`, WooshPay `POST /v1/refunds`.
    CreateRefund,
    /// UQPay `GET /api/v2/payment/refunds/{id}`, WooshPay `GET /v1/refunds/{id}`.
    GetRefund,
    /// UQPay `GET /api/v2/payment/refunds`, WooshPay `GET /v1/refunds`
    /// (Stripe's list, assumed).
    ListRefunds,
}

impl Route {
    /// The snake_case name (`create_refund`).
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Token => "token",
            Route::GetPayment => "get_payment",
            Route::CreateRefund => "create_refund",
            Route::GetRefund => "get_refund",
            Route::ListRefunds => "list_refunds",
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What goes wrong with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status (a 5xx) with the provider's `api_error` body;
    /// nothing is processed.
    ServerError(u16),
    /// Answer 429 with `Retry-After: retry_after_secs` and the provider's
    /// rate-limit body; nothing is processed.
    RateLimited {
        /// The `Retry-After` value in seconds.
        retry_after_secs: u64,
    },
    /// Answer `status` with `Content-Type: application/json` and a truncated
    /// JSON body; nothing is processed.
    MalformedJson {
        /// The HTTP status to answer.
        status: u16,
    },
    /// Answer `status` with an HTML error page (a proxy's); nothing is processed.
    Html {
        /// The HTTP status to answer.
        status: u16,
    },
    /// Answer `status` with an empty body; nothing is processed.
    EmptyBody {
        /// The HTTP status to answer.
        status: u16,
    },
    /// Process and commit normally, then wait this long before answering: an
    /// answer lost to the client's timeout.
    DelayResponse(Duration),
    /// Reserve the idempotency key, wait this long, then commit and answer; a
    /// retry with the same key meanwhile gets the provider's in-flight answer.
    /// On routes without a key it only delays processing.
    SlowCommit(Duration),
    /// Commit, then close the connection without sending any response.
    CommitThenDrop,
    /// Close the connection without processing the request or answering: a
    /// request lost on its way (the provider never saw it), which the client
    /// cannot tell from a lost answer. Nothing is committed (the journal
    /// still records the request).
    DropUnprocessed,
}

impl Fault {
    /// Whether the call is processed (and a create committed) despite the fault.
    pub fn commits(&self) -> bool {
        matches!(
            self,
            Fault::DelayResponse(_) | Fault::SlowCommit(_) | Fault::CommitThenDrop
        )
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::ServerError(status) => write!(f, "HTTP {status}"),
            Fault::RateLimited { retry_after_secs } => {
                write!(f, "429, Retry-After: {retry_after_secs}")
            }
            Fault::MalformedJson { status } => write!(f, "malformed JSON (HTTP {status})"),
            Fault::Html { status } => write!(f, "HTML page (HTTP {status})"),
            Fault::EmptyBody { status } => write!(f, "empty body (HTTP {status})"),
            Fault::DelayResponse(delay) => {
                write!(f, "commit, answer after {} ms", delay.as_millis())
            }
            Fault::SlowCommit(delay) => write!(f, "commit after {} ms", delay.as_millis()),
            Fault::CommitThenDrop => f.write_str("commit, then drop the connection"),
            Fault::DropUnprocessed => f.write_str("drop the connection, nothing processed"),
        }
    }
}

/// Which calls of a route a fault applies to. Calls are numbered from 1 per
/// route, counting every request the simulator received on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Calls {
    /// Call number `n` since the simulator started.
    Nth(u32),
    /// The next `n` calls from now.
    Next(u32),
    /// Every call from now until the faults are cleared.
    Every,
}

#[derive(Debug, Default)]
struct RouteScript {
    calls: u32,
    by_call: BTreeMap<u32, Fault>,
    every: Option<Fault>,
}

/// The fault script of one simulated provider.
#[derive(Debug, Default)]
pub(crate) struct FaultScript {
    routes: Mutex<HashMap<Route, RouteScript>>,
}

impl FaultScript {
    pub fn inject(&self, route: Route, calls: Calls, fault: Fault) {
        let mut routes = lock(&self.routes);
        let script = routes.entry(route).or_default();
        match calls {
            Calls::Nth(n) => {
                script.by_call.insert(n, fault);
            }
            Calls::Next(n) => {
                for offset in 1..=n {
                    script
                        .by_call
                        .insert(script.calls.saturating_add(offset), fault);
                }
            }
            Calls::Every => script.every = Some(fault),
        }
    }

    pub fn clear(&self) {
        for script in lock(&self.routes).values_mut() {
            script.by_call.clear();
            script.every = None;
        }
    }

    /// Counts a call on `route` and returns its fault, if one is scripted.
    pub fn on_call(&self, route: Route) -> Option<Fault> {
        let mut routes = lock(&self.routes);
        let script = routes.entry(route).or_default();
        script.calls = script.calls.saturating_add(1);
        script.by_call.remove(&script.calls).or(script.every)
    }

    pub fn calls(&self, route: Route) -> u32 {
        lock(&self.routes).get(&route).map_or(0, |s| s.calls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_to_the_scripted_call_numbers_only() {
        let script = FaultScript::default();
        script.inject(Route::CreateRefund, Calls::Nth(2), Fault::ServerError(500));
        assert_eq!(script.on_call(Route::CreateRefund), None);
        assert_eq!(script.on_call(Route::GetRefund), None);
        assert_eq!(
            script.on_call(Route::CreateRefund),
            Some(Fault::ServerError(500))
        );
        script.inject(Route::CreateRefund, Calls::Next(2), Fault::CommitThenDrop);
        assert_eq!(
            script.on_call(Route::CreateRefund),
            Some(Fault::CommitThenDrop)
        );
        assert_eq!(
            script.on_call(Route::CreateRefund),
            Some(Fault::CommitThenDrop)
        );
        assert_eq!(script.on_call(Route::CreateRefund), None);
        assert_eq!(script.calls(Route::CreateRefund), 5);
    }

    #[test]
    fn every_call_faults_until_cleared() {
        let script = FaultScript::default();
        script.inject(Route::Token, Calls::Every, Fault::ServerError(503));
        assert!(script.on_call(Route::Token).is_some());
        assert!(script.on_call(Route::Token).is_some());
        script.clear();
        assert!(script.on_call(Route::Token).is_none());
    }
}
