//! `Refunds::journaled`: the configured providers, through a journal.

use refundkit_journal::{Journal, JournaledRefunds};

use crate::refunds::Refunds;

impl Refunds {
    /// These providers, journaled: every create records its intent in
    /// `journal` first and reserves its amount against the payment's
    /// ceiling; new refunds go to the default provider, references are
    /// derived in [`Refunds::key_namespace`]. See `docs/journal.md`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use refundkit::journal::Journal;
    /// use refundkit::{Money, RefundAmount, RefundReason, RefundRequest, Refunds};
    ///
    /// let memory = refundkit_testkit::InMemoryProvider::new();
    /// let payment = memory.seed_captured(Money::parse("30.00", "USD")?);
    /// let refunds = Refunds::builder().with(memory).build()?;
    /// let journaled = refunds.journaled(Journal::open("sqlite::memory:").await?);
    ///
    /// let request = RefundRequest::builder(&payment, RefundAmount::Partial(Money::parse("30.00", "USD")?),
    ///         RefundReason::Duplicate)
    ///     .reference(refunds.key_namespace(), "order-9/refund-1")
    ///     .build()?;
    /// let refund = journaled.create_refund(&request, Money::parse("30.00", "USD")?).await?;
    /// // Sent once: the journal answers the same reference from its record.
    /// assert_eq!(journaled.create_refund(&request, Money::parse("30.00", "USD")?).await?.id, refund.id);
    /// # Ok(()) }
    /// ```
    pub fn journaled(&self, journal: Journal) -> JournaledRefunds {
        let providers = self
            .providers()
            .filter_map(|kind| self.provider(kind).ok().cloned())
            .collect::<Vec<_>>();
        JournaledRefunds::with_providers(journal, providers, self.default_provider())
            .key_namespace(self.key_namespace())
    }
}
