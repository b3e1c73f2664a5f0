//! Shared setup of the workspace integration tests: each real adapter
//! pointed at its testkit simulator, as a conformance subject.

pub mod fleet;

use std::sync::Arc;

use refundkit::transport::TransportConfig;
use refundkit::uqpay::{UqPayClient, UqPayConfig};
use refundkit::wooshpay::{WooshPayClient, WooshPayConfig};
use refundkit::{RefundError, RefundProvider, SecretString};
use refundkit_testkit::conformance::SimSubject;
use refundkit_testkit::{ProviderSim, SimCredentials, Simulator};

/// The UQPay adapter configured for `sim` with `transport`.
pub fn uqpay_client(
    transport: TransportConfig,
    sim: &ProviderSim,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    let SimCredentials::UqPay { client_id, api_key } = sim.credentials() else {
        return Err(RefundError::Config("not a UQPay simulator".into()));
    };
    let config = UqPayConfig::builder(client_id.clone(), SecretString::from(api_key.clone()))
        .base_url(sim.base_url())
        .transport(transport)
        .build()?;
    Ok(Arc::new(UqPayClient::new(config)?))
}

/// The WooshPay adapter configured for `sim` with `transport`.
pub fn wooshpay_client(
    transport: TransportConfig,
    sim: &ProviderSim,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    let SimCredentials::WooshPay { secret_key } = sim.credentials() else {
        return Err(RefundError::Config("not a WooshPay simulator".into()));
    };
    let config = WooshPayConfig::builder(SecretString::from(secret_key.clone()))
        .base_url(sim.base_url())
        .transport(transport)
        .build()?;
    Ok(Arc::new(WooshPayClient::new(config)?))
}

/// The UQPay adapter against `sim`'s UQPay simulator.
pub fn uqpay_subject(sim: &Simulator) -> SimSubject {
    SimSubject::new("uqpay", sim.uqpay().clone(), uqpay_client)
}

/// The WooshPay adapter against `sim`'s WooshPay simulator.
pub fn wooshpay_subject(sim: &Simulator) -> SimSubject {
    SimSubject::new("wooshpay", sim.wooshpay().clone(), wooshpay_client)
}
