//! The fake as the conformance suite's [`Backend`], and the ledger client
//! built by its descriptor as the [`Subject`].

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use refundkit::toolkit::descriptor::ProviderDescriptor;
use refundkit::toolkit::transport::TransportConfig;
use refundkit::{ProviderId, RefundError, RefundProvider};
use refundkit_example_ledger::{DESCRIPTOR, LEDGER};
use refundkit_testkit::conformance::{Backend, Subject};
use refundkit_testkit::{Calls, Fault, JournalEntry, PaymentSeed, Route, SettleMode};

use super::{lock, FakeLedger};

/// Which faults are scripted on which calls of a route (numbered from 1).
#[derive(Default)]
pub struct FaultPlan {
    calls: HashMap<Route, u32>,
    at: HashMap<(Route, u32), Fault>,
    every: HashMap<Route, Fault>,
}

impl FaultPlan {
    pub fn plan(&mut self, route: Route, calls: Calls, fault: Fault) -> Result<(), String> {
        if !plays(fault) {
            return Err(format!("the fake ledger cannot play {fault}"));
        }
        let made = self.calls.get(&route).copied().unwrap_or(0);
        match calls {
            Calls::Nth(n) => {
                self.at.insert((route, n), fault);
            }
            Calls::Next(n) => self.at.extend((1..=n).map(|i| ((route, made + i), fault))),
            Calls::Every => {
                self.every.insert(route, fault);
            }
            _ => return Err("the fake ledger scripts Nth, Next and Every calls only".into()),
        }
        Ok(())
    }

    /// Counts a call on `route`; its fault, if one is scripted.
    pub fn next(&mut self, route: Route) -> Option<Fault> {
        let call = self.calls.entry(route).or_default();
        *call += 1;
        let call = *call;
        self.at
            .remove(&(route, call))
            .or_else(|| self.every.get(&route).copied())
    }

    fn clear(&mut self) {
        self.at.clear();
        self.every.clear();
    }
}

fn plays(fault: Fault) -> bool {
    matches!(
        fault,
        Fault::ServerError(_)
            | Fault::RateLimited { .. }
            | Fault::MalformedJson { .. }
            | Fault::Html { .. }
            | Fault::EmptyBody { .. }
            | Fault::DelayResponse(_)
            | Fault::SlowCommit(_)
            | Fault::CommitThenDrop
            | Fault::DropUnprocessed
    )
}

impl Backend for FakeLedger {
    fn id(&self) -> ProviderId {
        LEDGER
    }
    fn seed_payment(&self, seed: PaymentSeed) -> String {
        self.seed(seed.amount())
    }
    fn refund_count_for(&self, payment_id: &str) -> usize {
        self.refund_ids_for(payment_id).len()
    }
    fn refund_ids_for(&self, payment_id: &str) -> Option<Vec<String>> {
        Some(FakeLedger::refund_ids_for(self, payment_id))
    }
    fn set_idempotency_window(&self, window: Duration) -> Result<Duration, String> {
        Ok(std::mem::replace(
            &mut lock(&self.shared.book).window,
            window,
        ))
    }
    fn set_settle_mode(&self, mode: SettleMode) {
        lock(&self.shared.book).settle = mode;
    }
    /// The suite's journal entries cannot be built outside the testkit;
    /// the count below is what its checks read.
    fn journal(&self) -> Option<Vec<JournalEntry>> {
        None
    }
    fn journal_len(&self) -> Option<usize> {
        Some(self.requests_received())
    }
    fn clear_journal(&self) {
        self.shared.requests.store(0, Ordering::SeqCst);
    }
    fn inject_fault(&self, route: Route, calls: Calls, fault: Fault) -> Result<(), String> {
        lock(&self.shared.faults).plan(route, calls, fault)
    }
    fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }
    fn unknown_refund_id(&self) -> String {
        "lr_999999".into()
    }
}

/// The ledger client, built by [`DESCRIPTOR`] from the fake's variables
/// exactly as `Refunds::from_lookup_with` builds it.
pub struct LedgerSubject {
    ledger: FakeLedger,
}

impl LedgerSubject {
    pub fn new(ledger: FakeLedger) -> Self {
        Self { ledger }
    }
}

#[async_trait]
impl Subject for LedgerSubject {
    fn name(&self) -> String {
        LEDGER.to_string()
    }
    async fn provider(
        &self,
        transport: TransportConfig,
    ) -> Result<Arc<dyn RefundProvider>, RefundError> {
        DESCRIPTOR.client_from_lookup(&self.ledger.lookup(), transport)
    }
    fn backend(&self) -> &dyn Backend {
        &self.ledger
    }
}
