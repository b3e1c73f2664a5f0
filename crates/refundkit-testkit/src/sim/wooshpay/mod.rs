//! The WooshPay simulator (base URL `http://127.0.0.1:PORT`).

mod errors;
mod list;
mod refunds;
pub(crate) mod render;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::Method;

use super::fault::{Fault, Route};
use super::server::{Api, Reply, Routed, SimRequest};
use super::{SimCore, SimCredentials, Spec};
use crate::ledger::IdScheme;
use crate::util::{mask_secret, percent_decode};
use refundkit_core::ProviderId;

/// WooshPay's id prefixes (`pi_…`, `ch_…`, `re_…`, each + 19 digits).
pub(crate) const IDS: IdScheme = IdScheme {
    payment: "pi_",
    attempt: "ch_",
    refund: "re_",
};

/// The id the WooshPay simulator serves as (the adapter's `PROVIDER`).
pub const WOOSHPAY: ProviderId = ProviderId::from_static("wooshpay");

/// What the WooshPay simulator is.
pub(crate) const SPEC: Spec = Spec {
    id: WOOSHPAY,
    path: "",
    ids: IDS,
    unknown_refund_id: "re_0000000000000000000",
    credentials: |settings| SimCredentials::WooshPay {
        secret_key: settings.wooshpay_secret_key.clone(),
    },
    port: |settings| settings.wooshpay_port,
    api: |core| Arc::new(WooshPayApi { core }),
    webhook: |refund, secret| {
        let event = crate::webhook::wooshpay_refund_event(refund);
        crate::webhook::SignedWebhook::wooshpay_now(secret, event.to_string().into_bytes())
    },
    variables: |core| {
        let mut variables = vec![("WOOSHPAY_BASE_URL", core.base_url.clone())];
        if let SimCredentials::WooshPay { secret_key } = &core.credentials {
            variables.push(("WOOSHPAY_SECRET_KEY", secret_key.clone()));
        }
        variables
    },
};

/// WooshPay's endpoints over one simulator's state.
pub(crate) struct WooshPayApi {
    pub core: Arc<SimCore>,
}

/// Checks `Authorization: Basic base64("sk_…:")`.
fn authorize(core: &SimCore, request: &SimRequest) -> Result<(), Reply> {
    let SimCredentials::WooshPay { secret_key } = &core.credentials else {
        return Err(errors::invalid_api_key("No API key is configured.".into()));
    };
    let missing = || {
        errors::invalid_api_key(
            "You did not provide an API key. Use HTTP Basic auth with your secret key as the \
             username and an empty password."
                .into(),
        )
    };
    let encoded = request
        .header("authorization")
        .and_then(|v| v.strip_prefix("Basic "))
        .ok_or_else(missing)?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(missing)?;
    let (user, password) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
    if user.starts_with("pk_") {
        return Err(errors::invalid_api_key(
            "Publishable keys cannot be used for this request; use your secret key (sk_...)."
                .into(),
        ));
    }
    if user != secret_key || !password.is_empty() {
        return Err(errors::invalid_api_key(format!(
            "Invalid API Key provided: {}",
            mask_secret(user)
        )));
    }
    Ok(())
}

#[async_trait]
impl Api for WooshPayApi {
    fn route(&self, method: &Method, path: &str) -> Option<Routed> {
        match (method.as_str(), path) {
            ("POST", "/v1/refunds") => Some(Routed {
                route: Route::CreateRefund,
                id: None,
            }),
            ("GET", "/v1/refunds") => Some(Routed {
                route: Route::ListRefunds,
                id: None,
            }),
            ("GET", _) => {
                let id = path.strip_prefix("/v1/refunds/")?;
                if id.is_empty() || id.contains('/') {
                    return None;
                }
                Some(Routed {
                    route: Route::GetRefund,
                    id: Some(percent_decode(id, false)?),
                })
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
        if let Err(reply) = authorize(core, &request) {
            return reply;
        }
        match routed.route {
            Route::CreateRefund => refunds::create(core, &request, pre_commit_delay).await,
            route => {
                if let Some(delay) = pre_commit_delay {
                    tokio::time::sleep(delay).await;
                }
                match route {
                    Route::ListRefunds => list::list(core, &request),
                    _ => refunds::get(core, &routed.id.unwrap_or_default()),
                }
            }
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
        errors::unrecognized_url(request.method.as_str(), &request.path)
    }
}
