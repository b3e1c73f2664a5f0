//! Ready-made subjects and backends: a simulator with any adapter, and the
//! in-memory provider.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use refundkit_core::descriptor::ProviderDescriptor;
use refundkit_core::transport::TransportConfig;
use refundkit_core::{ProviderId, RefundError, RefundProvider};

use super::{Backend, Subject};
use crate::memory::InMemoryProvider;
use crate::model::{PaymentSeed, SettleMode};
use crate::sim::{Calls, Fault, JournalEntry, ProviderSim, Route};

impl Backend for ProviderSim {
    fn id(&self) -> ProviderId {
        ProviderSim::id(self)
    }
    fn seed_payment(&self, seed: PaymentSeed) -> String {
        ProviderSim::seed_payment(self, seed)
    }
    fn refund_count_for(&self, payment_id: &str) -> usize {
        ProviderSim::refund_count_for(self, payment_id)
    }
    fn refund_ids_for(&self, payment_id: &str) -> Option<Vec<String>> {
        Some(
            ProviderSim::refunds_for(self, payment_id)
                .into_iter()
                .map(|r| r.id)
                .collect(),
        )
    }
    fn set_idempotency_window(&self, window: Duration) -> Result<Duration, String> {
        let previous = ProviderSim::idempotency_window(self);
        ProviderSim::set_idempotency_window(self, window);
        Ok(previous)
    }
    fn set_settle_mode(&self, mode: SettleMode) {
        ProviderSim::set_settle_mode(self, mode);
    }
    fn journal(&self) -> Option<Vec<JournalEntry>> {
        Some(ProviderSim::journal(self))
    }
    fn journal_len(&self) -> Option<usize> {
        Some(ProviderSim::journal_len(self))
    }
    fn clear_journal(&self) {
        ProviderSim::clear_journal(self);
    }
    fn inject_fault(&self, route: Route, calls: Calls, fault: Fault) -> Result<(), String> {
        ProviderSim::inject_fault(self, route, calls, fault);
        Ok(())
    }
    fn clear_faults(&self) {
        ProviderSim::clear_faults(self);
    }
    fn unknown_refund_id(&self) -> String {
        ProviderSim::unknown_refund_id(self).into()
    }
}

impl Backend for InMemoryProvider {
    fn id(&self) -> ProviderId {
        crate::memory::MEMORY
    }
    fn seed_payment(&self, seed: PaymentSeed) -> String {
        InMemoryProvider::seed_payment(self, seed)
    }
    fn refund_count_for(&self, payment_id: &str) -> usize {
        InMemoryProvider::refund_count_for(self, payment_id)
    }
    fn refund_ids_for(&self, payment_id: &str) -> Option<Vec<String>> {
        Some(
            InMemoryProvider::refunds_for(self, payment_id)
                .into_iter()
                .map(|r| r.id)
                .collect(),
        )
    }
    fn set_idempotency_window(&self, window: Duration) -> Result<Duration, String> {
        let previous = InMemoryProvider::idempotency_window(self);
        InMemoryProvider::set_idempotency_window(self, window);
        Ok(previous)
    }
    fn set_settle_mode(&self, mode: SettleMode) {
        InMemoryProvider::set_settle_mode(self, mode);
    }
    fn journal(&self) -> Option<Vec<JournalEntry>> {
        None
    }
    fn clear_journal(&self) {}
    fn inject_fault(&self, _: Route, _: Calls, _: Fault) -> Result<(), String> {
        Err("the in-memory provider has no HTTP, so HTTP faults do not apply".into())
    }
    fn clear_faults(&self) {}
    fn unknown_refund_id(&self) -> String {
        "mem_re_0000000000000000000".into()
    }
}

/// Builds a provider client for a simulator from the transport settings.
pub type MakeProvider = dyn Fn(TransportConfig, &ProviderSim) -> Result<Arc<dyn RefundProvider>, RefundError>
    + Send
    + Sync;

/// A simulator plus a function that builds the adapter under test for it.
///
/// ```no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use refundkit_testkit::{conformance::{self, SimSubject}, InMemoryProvider, Simulator};
///
/// let sim = Simulator::start().await?;
/// let subject = SimSubject::new("wooshpay", sim.wooshpay().clone(), |transport, sim| {
///     // Build your adapter with sim.base_url(), sim.credentials() and `transport`.
///     # let _ = (transport, sim);
///     Ok(Arc::new(InMemoryProvider::new()))
/// });
/// let report = conformance::run_all(&subject).await;
/// assert!(report.passed(), "{report}");
/// # Ok(()) }
/// ```
pub struct SimSubject {
    name: String,
    sim: ProviderSim,
    make: Box<MakeProvider>,
}

impl fmt::Debug for SimSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimSubject")
            .field("name", &self.name)
            .field("sim", &self.sim)
            .finish_non_exhaustive()
    }
}

impl SimSubject {
    /// A subject named `name` whose providers `make` builds for `sim`.
    pub fn new(
        name: impl Into<String>,
        sim: ProviderSim,
        make: impl Fn(TransportConfig, &ProviderSim) -> Result<Arc<dyn RefundProvider>, RefundError>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        Self {
            name: name.into(),
            sim,
            make: Box::new(make),
        }
    }

    /// A subject built by `descriptor` from `sim`'s variables
    /// ([`ProviderSim::variables`]), named by the descriptor's id: the
    /// adapter exactly as `Refunds::from_env` would build it.
    pub fn for_descriptor(descriptor: &'static dyn ProviderDescriptor, sim: ProviderSim) -> Self {
        Self::new(descriptor.id().to_string(), sim, move |transport, sim| {
            descriptor.client_from_lookup(&sim.lookup(), transport)
        })
    }

    /// The simulator behind it.
    pub fn sim(&self) -> &ProviderSim {
        &self.sim
    }
}

/// A subject for every descriptor that `sim` simulates, in the
/// descriptors' order: how a test runs the suite over every compiled-in
/// provider without naming one (pass `refundkit::builtin_providers()`).
pub fn descriptor_subjects(
    descriptors: &[&'static dyn ProviderDescriptor],
    sim: &crate::Simulator,
) -> Vec<SimSubject> {
    descriptors
        .iter()
        .filter_map(|descriptor| {
            sim.provider(descriptor.id())
                .map(|provider| SimSubject::for_descriptor(*descriptor, provider.clone()))
        })
        .collect()
}

#[async_trait]
impl Subject for SimSubject {
    fn name(&self) -> String {
        self.name.clone()
    }
    async fn provider(
        &self,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        (self.make)(transport, &self.sim)
    }
    fn backend(&self) -> &dyn Backend {
        &self.sim
    }
}

/// The in-memory provider as a subject (transport settings do not apply).
#[derive(Debug, Clone, Default)]
pub struct InMemorySubject {
    provider: InMemoryProvider,
}

impl InMemorySubject {
    /// A subject over a fresh [`InMemoryProvider`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A subject over `provider` (clones share its state).
    pub fn with_provider(provider: InMemoryProvider) -> Self {
        Self { provider }
    }
}

#[async_trait]
impl Subject for InMemorySubject {
    fn name(&self) -> String {
        "memory".into()
    }
    async fn provider(&self, _: TransportConfig) -> Result<Arc<dyn RefundProvider>, RefundError> {
        Ok(Arc::new(self.provider.clone()))
    }
    fn backend(&self) -> &dyn Backend {
        &self.provider
    }
}
