//! The UQPay Global Acquiring simulator (base URL `http://127.0.0.1:PORT/api`).

mod auth;
mod errors;
mod list;
mod refunds;
pub(crate) mod render;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use http::Method;

pub use auth::SupersededAnswer;
pub(crate) use auth::TokenStore;

use super::fault::{Fault, Route};
use super::server::{Api, Reply, Routed, SimRequest};
use super::SimCore;
use crate::ledger::IdScheme;
use crate::util::percent_decode;

/// UQPay's id prefixes (`PI…`, `PA…`, `RF…`, each + 19 digits).
pub(crate) const IDS: IdScheme = IdScheme {
    payment: "PI",
    attempt: "PA",
    refund: "RF",
};

/// UQPay's endpoints over one simulator's state.
pub(crate) struct UqPayApi {
    pub core: Arc<SimCore>,
}

/// The single path segment after `prefix`, percent-decoded.
fn id_after(path: &str, prefix: &str) -> Option<String> {
    let rest = path.strip_prefix(prefix)?;
    if rest.is_empty() || rest.contains('/') {
        return None;
    }
    percent_decode(rest, false)
}

#[async_trait]
impl Api for UqPayApi {
    fn route(&self, method: &Method, path: &str) -> Option<Routed> {
        let routed = |route, id| Some(Routed { route, id });
        match (method.as_str(), path) {
            ("POST", "/api/v1/connect/token") => routed(Route::Token, None),
            ("POST", "/api/v2/payment/refunds") => routed(Route::CreateRefund, None),
            ("GET", "/api/v2/payment/refunds") => routed(Route::ListRefunds, None),
            ("GET", _) => {
                if let Some(id) = id_after(path, "/api/v2/payment/refunds/") {
                    return routed(Route::GetRefund, Some(id));
                }
                id_after(path, "/api/v2/payment_intents/")
                    .and_then(|id| routed(Route::GetPayment, Some(id)))
            }
            _ => None,
        }
    }

    async fn handle(
        &self,
        routed: Routed,
        request: SimRequest,
        pre_commit_delay: Option<Duration>,
    ) -> Reply {
        let core = self.core.as_ref();
        if routed.route != Route::Token {
            if let Err(reply) = auth::authorize(core, &request) {
                return reply;
            }
        }
        // A create waits between reserving its key and committing; the
        // other routes have nothing to reserve and wait before processing.
        if routed.route != Route::CreateRefund {
            if let Some(delay) = pre_commit_delay {
                tokio::time::sleep(delay).await;
            }
        }
        let id = routed.id.unwrap_or_default();
        match routed.route {
            Route::Token => auth::mint_token(core, &request),
            Route::CreateRefund => refunds::create(core, &request, pre_commit_delay).await,
            Route::GetRefund => refunds::get(core, &id),
            Route::GetPayment => refunds::get_payment(core, &id),
            Route::ListRefunds => list::list(core, &request),
        }
    }

    fn fault_reply(&self, fault: &Fault) -> Option<Reply> {
        match *fault {
            Fault::ServerError(status) => Some(errors::server_error(status)),
            Fault::RateLimited { retry_after_secs } => Some(errors::rate_limited(retry_after_secs)),
            _ => None,
        }
    }

    fn unknown_route(&self, request: &SimRequest) -> Reply {
        errors::unknown_route(request.method.as_str(), &request.path)
    }
}
