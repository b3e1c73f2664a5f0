//! [`InMemoryProvider`]: a [`RefundProvider`] with no HTTP and the simulators'
//! rules, for merchants' unit tests.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use refundkit_core::{
    Capabilities, ErrorKind, FailureReason, IdempotencyKey, ListRefunds, Money, ProviderError,
    ProviderId, ProviderOptions, Refund, RefundAmount, RefundError, RefundId, RefundPage,
    RefundProvider, RefundReason, RefundRequest, RefundStatus, KEY_METADATA,
};
use serde_json::{json, Value};

use crate::idempotency::{IdempotencyStore, Lookup};
use crate::ledger::{IdScheme, Ledger, NewRefund, Refusal};
use crate::model::{
    PaymentSeed, PaymentStatus, SettleMode, SimPayment, SimRefund, SimRefundStatus,
};
use crate::util::lock;

const IDS: IdScheme = IdScheme {
    payment: "mem_pi_",
    attempt: "mem_pa_",
    refund: "mem_re_",
};

const CAPABILITIES: Capabilities = Capabilities::minimal()
    .with_list_refunds(true)
    .with_full_refunds(true)
    .with_free_text_reason(true)
    .with_find_by_key(true);

type Outcome = Result<Refund, ProviderError>;

#[derive(Debug)]
struct Inner {
    ledger: Mutex<Ledger>,
    keys: Mutex<IdempotencyStore<RefundRequest, Outcome>>,
}

/// A refund provider that keeps everything in memory (provider id [`MEMORY`]).
///
/// It follows the simulators' rules: partial refunds until the captured
/// amount is used up (then `RefundExceedsAvailable`), unknown ids are
/// `NotFound`, the same idempotency key replays the first result and a key
/// reused for a different request is `IdempotencyConflict`, refunds settle
/// per [`SettleMode`], payments can be set to fail their refunds. Requests
/// are validated (`RefundRequest::validate`) before anything else. Every
/// refund keeps the metadata an adapter would send (the caller's plus
/// refundkit's key stamp, `RefundRequest::provider_metadata`), so
/// `find_refund_by_key` finds it by its key at any time, also after the
/// idempotency window ([`InMemoryProvider::set_idempotency_window`], default
/// 24 hours) has made the provider forget the key. Clones share the same
/// state.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use refundkit_core::{Money, RefundAmount, RefundProvider, RefundReason, RefundRequest, RefundStatus};
/// use refundkit_testkit::InMemoryProvider;
///
/// let provider = InMemoryProvider::new();
/// let payment = provider.seed_captured(Money::parse("50.00", "USD")?);
/// let request = RefundRequest::builder(
///     payment.as_str(),
///     RefundAmount::Partial(Money::parse("20.00", "USD")?),
///     RefundReason::RequestedByCustomer,
/// )
/// .build()?;
/// let refund = provider.create_refund(&request).await?;
/// assert_eq!(refund.status, RefundStatus::Succeeded);
/// assert_eq!(provider.create_refund(&request).await?.id, refund.id); // replayed
/// assert_eq!(provider.refund_count(), 1);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct InMemoryProvider {
    inner: Arc<Inner>,
}

impl Default for InMemoryProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemoryProvider {
    /// An empty provider whose refunds succeed at once.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                ledger: Mutex::new(Ledger::new(IDS, SettleMode::Instant)),
                keys: Mutex::new(IdempotencyStore::default()),
            }),
        }
    }

    /// Seeds a payment; returns its id (`mem_pi_` + 19 digits unless chosen).
    pub fn seed_payment(&self, seed: PaymentSeed) -> String {
        lock(&self.inner.ledger).seed(seed)
    }

    /// Seeds a `Succeeded` payment with `amount` captured; returns its id.
    pub fn seed_captured(&self, amount: Money) -> String {
        self.seed_payment(PaymentSeed::captured(amount))
    }

    /// A seeded payment with what has been refunded so far.
    pub fn payment(&self, payment_id: &str) -> Option<SimPayment> {
        lock(&self.inner.ledger).payment(payment_id)
    }

    /// Changes a payment's state; false when there is no such payment.
    pub fn set_payment_status(&self, payment_id: &str, status: PaymentStatus) -> bool {
        lock(&self.inner.ledger).set_payment_status(payment_id, status)
    }

    /// Makes the payment's refunds settle as failed (or not).
    pub fn fail_refunds(&self, payment_id: &str, fail: bool) -> bool {
        lock(&self.inner.ledger).set_fail_refunds(payment_id, fail)
    }

    /// How refunds created from now on settle.
    pub fn set_settle_mode(&self, mode: SettleMode) {
        lock(&self.inner.ledger).set_settle_mode(mode);
    }

    /// How long a key is remembered after its first use, from now on (keys
    /// already stored included). After it, the same key makes a new refund.
    pub fn set_idempotency_window(&self, window: Duration) {
        lock(&self.inner.keys).set_window(window);
    }

    /// The idempotency window in effect (default 24 hours).
    pub fn idempotency_window(&self) -> Duration {
        lock(&self.inner.keys).window()
    }

    /// Every refund, newest first.
    pub fn refunds(&self) -> Vec<SimRefund> {
        lock(&self.inner.ledger).refunds(|_, _| true)
    }

    /// The refunds of one payment, newest first.
    pub fn refunds_for(&self, payment_id: &str) -> Vec<SimRefund> {
        lock(&self.inner.ledger).refunds(|r, _| r.payment_id == payment_id)
    }

    /// How many refunds the ledger holds.
    pub fn refund_count(&self) -> usize {
        self.refunds().len()
    }

    /// How many refunds of one payment the ledger holds.
    pub fn refund_count_for(&self, payment_id: &str) -> usize {
        self.refunds_for(payment_id).len()
    }

    fn commit(&self, request: &RefundRequest) -> Outcome {
        let mut ledger = lock(&self.inner.ledger);
        let payment_id = request.payment_id();
        let currency = ledger
            .currency_of(payment_id)
            .ok_or_else(|| not_found("payment", payment_id))?;
        let amount = match request.amount() {
            RefundAmount::Full => None,
            RefundAmount::Partial(money) if money.currency() != currency => {
                return Err(error(
                    ErrorKind::InvalidRequest,
                    400,
                    "invalid_request",
                    format!(
                        "the refund is in {}, the payment in {currency}",
                        money.currency()
                    ),
                ))
            }
            RefundAmount::Partial(money) => Some(money.amount()),
        };
        // What an adapter sends: the caller's pairs plus the key stamp.
        let metadata = request
            .provider_metadata()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let created = ledger.create(NewRefund {
            payment_id: payment_id.to_string(),
            amount,
            // Checked by create_refund before the key was taken.
            attempt_id: attempt_id(request).ok().flatten(),
            reason: Some(request.reason().as_code().to_string()),
            description: request.description().map(str::to_string),
            metadata,
        });
        drop(ledger);
        match created {
            Ok(refund) => to_refund(&refund),
            Err(refusal) => Err(refusal_error(refusal, request)),
        }
    }
}

/// The in-memory provider's id.
pub const MEMORY: ProviderId = ProviderId::from_static("memory");

/// The one option the in-memory provider knows: a payment attempt to refund.
pub const ATTEMPT_OPTION: &str = "payment_attempt_id";

/// The in-memory provider's list filter: refunds of payments with this
/// merchant order id.
pub const ORDER_OPTION: &str = "merchant_order_id";

/// The attempt `request` names in the in-memory provider's own options;
/// another provider's options are refused, as any adapter does.
fn attempt_id(request: &RefundRequest) -> Result<Option<String>, RefundError> {
    let options =
        ProviderOptions::for_provider(request.provider_options(), MEMORY, &[ATTEMPT_OPTION])?;
    Ok(options
        .and_then(|options| options.get(ATTEMPT_OPTION))
        .map(str::to_owned))
}

fn error(kind: ErrorKind, status: u16, code: &str, message: String) -> ProviderError {
    ProviderError::new(MEMORY, kind, status, message).with_code(code)
}

fn not_found(what: &str, id: &str) -> ProviderError {
    error(
        ErrorKind::NotFound,
        404,
        "resource_missing",
        format!("no {what} {id}"),
    )
}

fn refusal_error(refusal: Refusal, request: &RefundRequest) -> ProviderError {
    let payment_id = request.payment_id();
    match refusal {
        Refusal::PaymentNotFound => not_found("payment", payment_id),
        Refusal::AttemptNotFound => not_found(
            "payment attempt",
            attempt_id(request).ok().flatten().as_deref().unwrap_or(""),
        ),
        Refusal::NotRefundable(status) => error(
            ErrorKind::PaymentNotRefundable,
            402,
            "payment_not_refundable",
            format!("payment {payment_id} is {status:?} and cannot be refunded"),
        ),
        Refusal::FullyRefunded => error(
            ErrorKind::RefundExceedsAvailable,
            400,
            "charge_already_refunded",
            format!("payment {payment_id} is already fully refunded"),
        ),
        Refusal::ExceedsAvailable { remaining } => error(
            ErrorKind::RefundExceedsAvailable,
            400,
            "amount_too_large",
            format!("the refund exceeds the {remaining} that remains refundable"),
        ),
        Refusal::InvalidAmount(why) => {
            error(ErrorKind::InvalidRequest, 400, "invalid_request", why)
        }
    }
}

/// The normalized refund of a ledger entry.
fn to_refund(refund: &SimRefund) -> Outcome {
    let id = RefundId::new(refund.id.as_str())
        .map_err(|e| error(ErrorKind::Other, 500, "invalid_id", e.to_string()))?;
    let status = match refund.status {
        SimRefundStatus::Pending => RefundStatus::Pending,
        SimRefundStatus::Succeeded => RefundStatus::Succeeded,
        SimRefundStatus::Failed => RefundStatus::Failed,
        SimRefundStatus::Reversed => RefundStatus::Reversed,
    };
    let mut normalized = Refund::new(MEMORY, id, refund.amount, status.clone());
    normalized.payment_id = Some(refund.payment_id.clone());
    normalized.reason = refund.reason.as_deref().map(RefundReason::from_code);
    normalized.description = refund.description.clone();
    normalized.failure = (status == RefundStatus::Failed).then_some(FailureReason::Unspecified);
    normalized.metadata = refund
        .metadata
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_string),
            )
        })
        .collect::<BTreeMap<_, _>>();
    normalized.created_at = Some(refund.created_at);
    normalized.updated_at = Some(refund.updated_at);
    let raw = json!({
        "id": refund.id,
        "payment_id": refund.payment_id,
        "amount": refund.amount.to_major_string(),
        "currency": refund.amount.currency().code(),
        "status": status.as_str(),
    });
    normalized.raw = refundkit_core::RawJson::from_value(&raw);
    Ok(normalized)
}

#[async_trait]
impl RefundProvider for InMemoryProvider {
    fn provider(&self) -> ProviderId {
        MEMORY
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, RefundError> {
        request.validate()?;
        attempt_id(request)?;
        let key = request.idempotency_key().to_string();
        let lookup = lock(&self.inner.keys).begin(&key, request.clone());
        match lookup {
            Lookup::Fresh => {}
            Lookup::Replay(outcome) => return outcome.map_err(RefundError::from),
            Lookup::Mismatch => {
                return Err(error(
                    ErrorKind::IdempotencyConflict,
                    409,
                    "idempotency_key_reused",
                    format!("idempotency key {key} was used for a different request"),
                )
                .into())
            }
            Lookup::InFlight => {
                return Err(error(
                    ErrorKind::RequestInProgress,
                    409,
                    "idempotency_key_in_use",
                    format!("a request with idempotency key {key} is still being processed"),
                )
                .into())
            }
        }
        let outcome = self.commit(request);
        let mut keys = lock(&self.inner.keys);
        match &outcome {
            Err(e) if e.kind == ErrorKind::InvalidRequest => keys.abandon(&key),
            _ => keys.finish(&key, outcome.clone()),
        }
        outcome.map_err(RefundError::from)
    }

    async fn get_refund(&self, id: &RefundId) -> Result<Refund, RefundError> {
        let refund = lock(&self.inner.ledger).read(id.as_str());
        match refund {
            Some(refund) => Ok(to_refund(&refund)?),
            None => Err(not_found("refund", id.as_str()).into()),
        }
    }

    async fn find_refund_by_key(
        &self,
        payment_id: &str,
        key: &IdempotencyKey,
    ) -> Result<Option<Refund>, RefundError> {
        let wanted = key.to_string();
        let mut ledger = lock(&self.inner.ledger);
        if ledger.currency_of(payment_id).is_none() {
            return Err(not_found("payment", payment_id).into());
        }
        let found = ledger
            .refunds(|r, _| r.payment_id == payment_id)
            .into_iter()
            .find(|r| {
                r.metadata
                    .get(KEY_METADATA)
                    .and_then(Value::as_str)
                    .is_some_and(|stamped| stamped.trim().eq_ignore_ascii_case(&wanted))
            });
        drop(ledger);
        Ok(found.map(|refund| to_refund(&refund)).transpose()?)
    }

    async fn list_refunds(&self, query: &ListRefunds) -> Result<RefundPage, RefundError> {
        query.validate()?;
        // Its own filter: refunds of payments with a merchant order id.
        let order_filter = ProviderOptions::for_provider(
            query.provider_options.as_ref(),
            MEMORY,
            &[ORDER_OPTION],
        )?
        .and_then(|options| options.get(ORDER_OPTION))
        .map(str::to_owned);
        let matching = lock(&self.inner.ledger).refunds(|r, order| {
            query.payment_id.as_ref().is_none_or(|p| *p == r.payment_id)
                && order_filter.as_deref().is_none_or(|o| Some(o) == order)
                && query.created_from.is_none_or(|from| r.created_at >= from)
                && query.created_to.is_none_or(|to| r.created_at <= to)
        });
        let size = query.page_size as usize;
        let skip = (query.page as usize).saturating_sub(1).saturating_mul(size);
        let refunds = matching
            .iter()
            .skip(skip)
            .take(size)
            .map(to_refund)
            .collect::<Result<Vec<_>, _>>()?;
        let mut page = RefundPage::new(refunds, query.page);
        page.total_items = Some(matching.len() as u64);
        page.total_pages = Some((matching.len() as u64).div_ceil(u64::from(query.page_size)));
        Ok(page)
    }
}
