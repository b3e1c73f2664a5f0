//! Shared setup of the workspace integration tests: each compiled-in
//! adapter pointed at its testkit simulator through its descriptor — the
//! client exactly as `Refunds::from_env` builds it — as a conformance
//! subject.

pub mod fleet;

use std::sync::Arc;

use refundkit::toolkit::descriptor;
use refundkit::toolkit::transport::TransportConfig;
use refundkit::{ProviderId, RefundError, RefundProvider};
use refundkit_testkit::conformance::{descriptor_subjects, SimSubject};
use refundkit_testkit::{ProviderSim, Simulator};

/// The adapter for `sim`'s provider, built by its descriptor from the
/// simulator's variables, with `transport`.
pub fn client(
    transport: TransportConfig,
    sim: &ProviderSim,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    let descriptor = descriptor::find(refundkit::builtin_providers(), sim.id())
        .ok_or_else(|| RefundError::Config(format!("{} is not compiled in", sim.id())))?;
    descriptor.client_from_lookup(&sim.lookup(), transport)
}

/// The UQPay adapter configured for `sim` with `transport`.
pub fn uqpay_client(
    transport: TransportConfig,
    sim: &ProviderSim,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    client(transport, sim)
}

/// The WooshPay adapter configured for `sim` with `transport`.
pub fn wooshpay_client(
    transport: TransportConfig,
    sim: &ProviderSim,
) -> Result<Arc<dyn RefundProvider>, RefundError> {
    client(transport, sim)
}

/// Every compiled-in adapter against its simulator, in the descriptors' order.
pub fn subjects(sim: &Simulator) -> Vec<SimSubject> {
    descriptor_subjects(refundkit::builtin_providers(), sim)
}

/// The adapter of provider `id` against its simulator.
///
/// # Panics
/// When `id` is not compiled in or not simulated (a test setup error).
pub fn subject(sim: &Simulator, id: ProviderId) -> SimSubject {
    subjects(sim)
        .into_iter()
        .find(|subject| subject.sim().id() == id)
        .unwrap_or_else(|| panic!("{id} is not compiled in or not simulated"))
}

/// The UQPay adapter against `sim`'s UQPay simulator.
pub fn uqpay_subject(sim: &Simulator) -> SimSubject {
    subject(sim, refundkit::uqpay::PROVIDER)
}

/// The WooshPay adapter against `sim`'s WooshPay simulator.
pub fn wooshpay_subject(sim: &Simulator) -> SimSubject {
    subject(sim, refundkit::wooshpay::PROVIDER)
}
