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
use super::{SimCore, SimCredentials, Spec};
use crate::ledger::IdScheme;
use crate::util::percent_decode;
use refundkit_core::ProviderId;

/// UQPay's id prefixes (`PI…`, `PA…`, `RF…`, each + 19 digits).
pub(crate) const IDS: IdScheme = IdScheme {
    payment: "PI",
    attempt: "PA",
    refund: "RF",
};

/// The id the UQPay simulator serves as (the adapter's `PROVIDER`).
pub const UQPAY: ProviderId = ProviderId::from_static("uqpay");

/// What the UQPay simulator is.
pub(crate) const SPEC: Spec = Spec {
    id: UQPAY,
    path: "/api",
    ids: IDS,
    unknown_refund_id: "RF0000000000000000000",
    credentials: |settings| SimCredentials::UqPay {
        client_id: settings.uqpay_client_id.clone(),
        api_key: settings.uqpay_api_key.clone(),
    },
    port: |settings| settings.uqpay_port,
    api: |core| Arc::new(UqPayApi { core }),
    webhook: |refund, secret| {
        let event = crate::webhook::uqpay_refund_event(
            crate::webhook::UqPayRefundEvent::for_status(refund.status),
            refund,
        );
        crate::webhook::SignedWebhook::uqpay_now(secret, event.to_string().into_bytes())
    },
    variables: |core| {
        let mut variables = vec![("UQPAY_BASE_URL", core.base_url.clone())];
        if let SimCredentials::UqPay { client_id, api_key } = &core.credentials {
            variables.push(("UQPAY_CLIENT_ID", client_id.clone()));
            variables.push(("UQPAY_API_KEY", api_key.clone()));
        }
        variables
    },
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
