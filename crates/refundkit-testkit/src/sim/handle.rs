//! [`ProviderSim`]: the test's controls over one simulated provider.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use refundkit_core::{Money, OffsetDateTime, ProviderId};

use super::fault::{Calls, Fault, Route};
use super::journal::JournalEntry;
use super::{SimCore, SimCredentials, SupersededAnswer};
use crate::model::{PaymentSeed, PaymentStatus, SettleMode, SimPayment, SimRefund};
use crate::util::lock;

/// One simulated provider: seed payments, script faults, choose how refunds
/// settle, and inspect the ledger and the request journal. Cheap to clone;
/// every clone controls the same simulator.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use refundkit_core::Money;
/// use refundkit_testkit::{Calls, Fault, PaymentSeed, Route, SettleMode, Simulator};
///
/// let sim = Simulator::start().await?;
/// let wooshpay = sim.wooshpay();
/// let payment = wooshpay.seed_payment(PaymentSeed::captured(Money::parse("25.00", "EUR")?));
/// assert!(payment.starts_with("pi_"));
/// wooshpay.set_settle_mode(SettleMode::AfterReads(1));
/// wooshpay.inject_fault(Route::CreateRefund, Calls::Next(1), Fault::ServerError(503));
/// assert_eq!(wooshpay.refund_count(), 0);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ProviderSim {
    core: Arc<SimCore>,
}

impl fmt::Debug for ProviderSim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSim")
            .field("id", &self.core.spec.id)
            .field("base_url", &self.core.base_url)
            .finish_non_exhaustive()
    }
}

impl ProviderSim {
    pub(crate) fn new(core: Arc<SimCore>) -> Self {
        Self { core }
    }

    /// The provider id this simulator serves as (its adapter's id).
    pub fn id(&self) -> ProviderId {
        self.core.spec.id
    }

    /// The variables its adapter reads to talk to it: the base URL and the
    /// simulator's own test credentials (not secrets). Feed them to the
    /// provider's descriptor (`client_from_lookup`) or a child process's
    /// environment.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = refundkit_testkit::Simulator::start().await?;
    /// let variables = sim.wooshpay().variables();
    /// assert!(variables.contains(&("WOOSHPAY_SECRET_KEY", "sk_test_simulator".to_string())));
    /// # Ok(()) }
    /// ```
    pub fn variables(&self) -> Vec<(&'static str, String)> {
        (self.core.spec.variables)(&self.core)
    }

    /// A lookup over [`Self::variables`], for a descriptor's `client_from_lookup`.
    pub fn lookup(&self) -> impl Fn(&str) -> Option<String> {
        let variables = self.variables();
        move |name| {
            variables
                .iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| value.clone())
        }
    }

    /// `refund`'s state as this provider's signed webhook delivery.
    pub(crate) fn sign_refund_event(
        &self,
        refund: &SimRefund,
        secret: &str,
    ) -> crate::webhook::SignedWebhook {
        (self.core.spec.webhook)(refund, secret)
    }

    /// A well-formed refund id that no refund here has.
    pub fn unknown_refund_id(&self) -> &'static str {
        self.core.spec.unknown_refund_id
    }

    /// The base URL to configure a client with (UQPay's ends in `/api`).
    pub fn base_url(&self) -> &str {
        &self.core.base_url
    }

    /// The credentials the simulator accepts.
    pub fn credentials(&self) -> &SimCredentials {
        &self.core.credentials
    }

    /// Seeds a payment; returns its id (`PI…`/`pi_…` + 19 digits unless the
    /// seed chose one).
    pub fn seed_payment(&self, seed: PaymentSeed) -> String {
        lock(&self.core.ledger).seed(seed)
    }

    /// Seeds a `Succeeded` payment with `amount` captured; returns its id.
    pub fn seed_captured(&self, amount: Money) -> String {
        self.seed_payment(PaymentSeed::captured(amount))
    }

    /// A seeded payment with what has been refunded so far.
    pub fn payment(&self, payment_id: &str) -> Option<SimPayment> {
        lock(&self.core.ledger).payment(payment_id)
    }

    /// Changes a payment's state; false when there is no such payment.
    pub fn set_payment_status(&self, payment_id: &str, status: PaymentStatus) -> bool {
        lock(&self.core.ledger).set_payment_status(payment_id, status)
    }

    /// Makes the payment's refunds settle as failed (or succeeded, with
    /// `false`) from their next settlement on; false when there is no such
    /// payment.
    pub fn fail_refunds(&self, payment_id: &str, fail: bool) -> bool {
        lock(&self.core.ledger).set_fail_refunds(payment_id, fail)
    }

    /// How refunds created from now on settle.
    pub fn set_settle_mode(&self, mode: SettleMode) {
        lock(&self.core.ledger).set_settle_mode(mode);
    }

    /// Every refund in the ledger, newest first (reading them here counts
    /// no read).
    pub fn refunds(&self) -> Vec<SimRefund> {
        lock(&self.core.ledger).refunds(|_, _| true)
    }

    /// The refunds of one payment, newest first.
    pub fn refunds_for(&self, payment_id: &str) -> Vec<SimRefund> {
        lock(&self.core.ledger).refunds(|r, _| r.payment_id == payment_id)
    }

    /// One refund by id, without counting a read.
    pub fn refund(&self, refund_id: &str) -> Option<SimRefund> {
        lock(&self.core.ledger)
            .refunds(|r, _| r.id == refund_id)
            .into_iter()
            .next()
    }

    /// Moves a refund's creation time to `at` (e.g. months ago), so lists
    /// filtered by time see it there; false when there is no such refund.
    pub fn set_refund_created_at(&self, refund_id: &str, at: OffsetDateTime) -> bool {
        lock(&self.core.ledger).set_refund_created_at(refund_id, at)
    }

    /// How many refunds the ledger holds (failed ones included).
    pub fn refund_count(&self) -> usize {
        self.refunds().len()
    }

    /// How many refunds of one payment the ledger holds.
    pub fn refund_count_for(&self, payment_id: &str) -> usize {
        self.refunds_for(payment_id).len()
    }

    /// Every request received so far, oldest first, credentials masked.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.core.journal.entries()
    }

    /// How many requests the journal holds.
    pub fn journal_len(&self) -> usize {
        self.core.journal.len()
    }

    /// Empties the journal.
    pub fn clear_journal(&self) {
        self.core.journal.clear();
    }

    /// Scripts `fault` for `calls` of `route`.
    pub fn inject_fault(&self, route: Route, calls: Calls, fault: Fault) {
        self.core.faults.inject(route, calls, fault);
    }

    /// Removes every scripted fault (call counts go on).
    pub fn clear_faults(&self) {
        self.core.faults.clear();
    }

    /// How many requests `route` has received.
    pub fn call_count(&self, route: Route) -> u32 {
        self.core.faults.calls(route)
    }

    /// How long the provider remembers an idempotency key after its first
    /// use, from now on (keys already stored included). After it, the same
    /// key makes a new refund, as at a real provider that has forgotten it.
    pub fn set_idempotency_window(&self, window: Duration) {
        lock(&self.core.idempotency).set_window(window);
    }

    /// The idempotency window in effect (default 24 hours).
    pub fn idempotency_window(&self) -> Duration {
        lock(&self.core.idempotency).window()
    }

    /// UQPay: the lifetime of tokens minted from now on. WooshPay has no
    /// tokens, so there it has no effect.
    pub fn set_token_ttl(&self, ttl: Duration) {
        lock(&self.core.tokens).set_ttl(ttl);
    }

    /// UQPay: the lifetime of newly minted tokens.
    pub fn token_ttl(&self) -> Duration {
        lock(&self.core.tokens).ttl()
    }

    /// Turns the "echo secrets" mode on or off (off by default): a careless
    /// provider that quotes every credential it received (API key, bearer
    /// token, Basic value, its base64 and the decoded key) in the
    /// `x-request-id`/`request-id` headers, in each refund's metadata and
    /// description, and in every error message and non-JSON body. For proving
    /// that a client masks what a provider echoes.
    pub fn echo_secrets(&self, on: bool) {
        self.core.echo.set(on);
    }

    /// Every credential the "echo secrets" mode has echoed so far, in each
    /// form it was echoed in (tokens with and without `Bearer `, the Basic
    /// value, its base64 and the decoded key): what a client must never show.
    pub fn echoed_secrets(&self) -> Vec<String> {
        self.core.echo.echoed()
    }

    /// UQPay: the 401 a token superseded by a newer mint gets from now on.
    pub fn set_superseded_answer(&self, answer: SupersededAnswer) {
        lock(&self.core.tokens).set_superseded_answer(answer);
    }

    /// UQPay: how many tokens have been minted (each invalidates the previous).
    pub fn tokens_minted(&self) -> u64 {
        lock(&self.core.tokens).minted()
    }

    /// UQPay: how many calls were refused with a 401 for their token
    /// (superseded, expired, unknown, malformed).
    pub fn token_rejections(&self) -> u64 {
        lock(&self.core.tokens).rejected()
    }

    /// UQPay: every token minted so far is expired from now on; the next call
    /// with one gets the `token_expired` 401. No effect on WooshPay.
    pub fn expire_tokens(&self) {
        lock(&self.core.tokens).expire_all();
    }
}
