//! `JournaledRefunds`: creates that record their intent before sending,
//! reserve the amount against the payment's ceiling, and record the answer.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use refundkit_core::{
    IdempotencyKey, Money, ProviderId, Refund, RefundProvider, RefundRequest, ValidationError,
    DEFAULT_KEY_NAMESPACE,
};

use crate::entry::JournalEntry;
use crate::error::JournalError;
use crate::journal::Journal;
use crate::recover::{recover, Answer};
use crate::state::JournalState;
use crate::store::{self, IntentRow, OutcomeRecord, Recorded};

/// Refunds through a [`Journal`]: nothing is lost between "decided" and
/// "answered", and no payment is refunded past its ceiling.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use refundkit_core::{Money, RefundAmount, RefundReason, RefundRequest, DEFAULT_KEY_NAMESPACE};
/// use refundkit_journal::{Journal, JournaledRefunds};
/// use refundkit_testkit::InMemoryProvider;
///
/// let provider = InMemoryProvider::new();
/// let payment = provider.seed_captured(Money::parse("100.00", "USD")?);
/// let journal = Journal::open("sqlite::memory:").await?;
/// let refunds = JournaledRefunds::new(journal, Arc::new(provider));
///
/// let ceiling = Money::parse("100.00", "USD")?; // what may be refunded in all
/// let request = RefundRequest::builder(&payment, RefundAmount::Partial(Money::parse("60.00", "USD")?),
///         RefundReason::RequestedByCustomer)
///     .reference(DEFAULT_KEY_NAMESPACE, "order-1/refund-1")
///     .build()?;
/// let refund = refunds.create_refund(&request, ceiling).await?;
/// // The same reference again: the recorded refund, nothing sent.
/// assert_eq!(refunds.create_refund(&request, ceiling).await?.id, refund.id);
///
/// // 60 + 50 > 100: refused before anything is sent, naming the field.
/// let more = RefundRequest::builder(&payment, RefundAmount::Partial(Money::parse("50.00", "USD")?),
///         RefundReason::RequestedByCustomer)
///     .reference(DEFAULT_KEY_NAMESPACE, "order-1/refund-2")
///     .build()?;
/// let error = refunds.create_refund(&more, ceiling).await.unwrap_err();
/// assert_eq!(error.code(), "over_refund");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct JournaledRefunds {
    pub(crate) journal: Journal,
    pub(crate) providers: BTreeMap<ProviderId, Arc<dyn RefundProvider>>,
    default: Option<ProviderId>,
    key_namespace: String,
    pub(crate) owner: String,
}

impl fmt::Debug for JournaledRefunds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournaledRefunds")
            .field("backend", &self.journal.backend())
            .field("providers", &self.providers.keys().collect::<Vec<_>>())
            .field("default", &self.default)
            .field("key_namespace", &self.key_namespace)
            .finish()
    }
}

impl JournaledRefunds {
    /// Journaled refunds at `provider` (also the default for new refunds).
    pub fn new(journal: Journal, provider: Arc<dyn RefundProvider>) -> Self {
        Self::with_providers(journal, [provider], None)
    }

    /// Journaled refunds over several providers; new refunds go to
    /// `default` (else the first one given).
    pub fn with_providers(
        journal: Journal,
        providers: impl IntoIterator<Item = Arc<dyn RefundProvider>>,
        default: Option<ProviderId>,
    ) -> Self {
        let mut map = BTreeMap::new();
        let mut first = None;
        for provider in providers {
            let kind = provider.provider();
            first.get_or_insert(kind);
            map.insert(kind, provider);
        }
        Self {
            journal,
            providers: map,
            default: default.or(first),
            key_namespace: DEFAULT_KEY_NAMESPACE.to_string(),
            owner: format!("{}:{}", std::process::id(), IdempotencyKey::new()),
        }
    }

    /// The namespace the requests' references are derived in (the
    /// default is [`DEFAULT_KEY_NAMESPACE`], like `Refunds` and the CLI); it is
    /// stored with each reference.
    pub fn key_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.key_namespace = namespace.into();
        self
    }

    /// The journal.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    pub(crate) fn provider(
        &self,
        kind: ProviderId,
    ) -> Result<&Arc<dyn RefundProvider>, JournalError> {
        self.providers
            .get(&kind)
            .ok_or_else(|| JournalError::ProviderNotConfigured {
                provider: kind.as_str().to_string(),
            })
    }

    /// [`JournaledRefunds::create_refund_at`] the default provider.
    pub async fn create_refund(
        &self,
        request: &RefundRequest,
        ceiling: Money,
    ) -> Result<Refund, JournalError> {
        let kind = self.default.ok_or_else(|| {
            JournalError::Config("no provider is configured for journaled refunds".into())
        })?;
        self.create_refund_at(kind, request, ceiling).await
    }

    /// Creates a refund at `provider`, journaled:
    ///
    /// 1. the intent is recorded before anything is sent; a reference
    ///    journaled before returns its recorded refund (finished) or is
    ///    resumed with the row's key through the recover path (unfinished);
    /// 2. in the same transaction the amount is reserved: the payment's
    ///    refunds that hold a reservation plus this one must not exceed
    ///    `ceiling` (what may be refunded on the payment in all, given by
    ///    the caller), else [`JournalError::OverRefund`] and nothing is sent;
    /// 3. the create is sent with the row's key and its answer recorded;
    ///    `OutcomeUnknown` is recorded as `outcome_unknown`, never failed,
    ///    and [`JournaledRefunds::reconcile`] resolves it later.
    ///
    /// The amount must be explicit (`RefundAmount::Partial`).
    pub async fn create_refund_at(
        &self,
        provider: ProviderId,
        request: &RefundRequest,
        ceiling: Money,
    ) -> Result<Refund, JournalError> {
        let client = self.provider(provider)?;
        request.validate()?;
        let amount = store::partial_amount(request)?;
        self.check_namespace(request)?;
        let row = IntentRow {
            request,
            provider,
            namespace: request
                .merchant_reference()
                .map(|_| self.key_namespace.as_str()),
            amount,
            ceiling,
            lease_owner: &self.owner,
            lease_ms: self.journal.lease_ms(),
        };
        let recorded = store::record_intent(&self.journal.store, &row).await?;
        let key = request.idempotency_key().to_string();
        let (store, lease) = (&self.journal.store, self.journal.lease);
        let (entry, answer, cause) = match recorded {
            Recorded::Finished(entry) => return finished_result(&entry),
            Recorded::Fresh(entry) => {
                tracing::info!(target: "refundkit_journal", step = "intent_recorded", idempotency_key = %key);
                tracing::info!(target: "refundkit_journal", step = "sending", idempotency_key = %key);
                let sending = client.create_refund(request);
                let sent = store::holding_lease(store, &key, &self.owner, lease, sending).await;
                let answer = Answer::of_create(sent);
                (entry, answer, "create")
            }
            Recorded::Resume(entry) => {
                tracing::info!(target: "refundkit_journal", step = "resuming", idempotency_key = %key);
                let stored = entry.to_request()?;
                let recovering = recover(client.as_ref(), &stored);
                let answer =
                    store::holding_lease(store, &key, &self.owner, lease, recovering).await;
                (entry, answer, "resume")
            }
        };
        tracing::info!(target: "refundkit_journal", step = "answered", idempotency_key = %key);
        let record = OutcomeRecord {
            entry: &entry,
            lease_owner: &self.owner,
            outcome: &answer.outcome,
            error: answer.result.as_ref().err(),
            called: true,
            cause,
        };
        if let Err(error) = store::record_outcome(&self.journal.store, &record).await {
            // The provider answered; the row could not be updated. A made
            // refund is still the caller's answer (the row stays unfinished
            // and reconcile finds the refund by its key); an error answer
            // is reported as the journal's failure.
            let Ok(refund) = answer.result else {
                return Err(error);
            };
            tracing::warn!(
                target: "refundkit_journal",
                step = "answer_not_recorded",
                idempotency_key = %key,
                error = %error,
                "the refund was made but its row was not updated; reconcile will finish it"
            );
            return Ok(refund);
        }
        tracing::info!(target: "refundkit_journal", step = "answer_recorded", idempotency_key = %key);
        Ok(answer.result?)
    }

    /// A reference must be derived in this journal's namespace, which is
    /// what the row stores next to it.
    fn check_namespace(&self, request: &RefundRequest) -> Result<(), JournalError> {
        let Some(reference) = request.merchant_reference() else {
            return Ok(());
        };
        let expected = IdempotencyKey::derive(&self.key_namespace, reference)?;
        if &expected == request.idempotency_key() {
            Ok(())
        } else {
            Err(ValidationError::new(
                "reference",
                format!(
                    "the request's key was derived in another namespace than the journal's ({})",
                    self.key_namespace
                ),
            )
            .into())
        }
    }
}

/// What a finished row answers to a repeated reference.
fn finished_result(entry: &JournalEntry) -> Result<Refund, JournalError> {
    match (&entry.state, &entry.refund) {
        (JournalState::Refused, _) => Err(JournalError::Refused {
            idempotency_key: entry.idempotency_key,
            code: entry.last_error_code.clone().unwrap_or_default(),
            message: entry.last_error.clone().unwrap_or_default(),
        }),
        (JournalState::IntegrityMismatch, _) => Err(JournalError::Mismatch {
            idempotency_key: entry.idempotency_key,
        }),
        (_, Some(refund)) => Ok(refund.clone()),
        (_, None) => Err(JournalError::corrupt(
            "refund",
            "a finished row has no refund",
        )),
    }
}
