//! UQPay's own request options and list filters, carried by core's
//! [`ProviderOptions`] without core knowing them.

use refundkit_core::{ListRefunds, ProviderOptions, RefundRequest, ValidationError};

use crate::PROVIDER;

const PAYMENT_ATTEMPT_ID: &str = "payment_attempt_id";
const ON_BEHALF_OF: &str = "on_behalf_of";
const MERCHANT_ORDER_ID: &str = "merchant_order_id";

/// Option names a refund request may carry.
const REQUEST_OPTIONS: &[&str] = &[PAYMENT_ATTEMPT_ID, ON_BEHALF_OF];
/// Option names a list query may carry.
const LIST_OPTIONS: &[&str] = &[MERCHANT_ORDER_ID];

/// What a UQPay refund may say beyond the common request: the payment
/// attempt to refund and the connected sub-account to act for.
///
/// ```
/// use refundkit_core::{RefundAmount, RefundReason, RefundRequest};
/// use refundkit_uqpay::UqPayOptions;
///
/// let request = RefundRequest::builder("PI1", RefundAmount::Full, RefundReason::Duplicate)
///     .provider_options(
///         UqPayOptions::new()
///             .payment_attempt_id("PA1")
///             .on_behalf_of("11111111-1111-4111-8111-111111111111"),
///     )
///     .build()?;
/// let options = UqPayOptions::of(&request)?;
/// assert_eq!(options.attempt(), Some("PA1"));
/// # Ok::<(), refundkit_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UqPayOptions {
    payment_attempt_id: Option<String>,
    on_behalf_of: Option<String>,
}

impl UqPayOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Refund this payment attempt of the intent.
    pub fn payment_attempt_id(mut self, id: impl Into<String>) -> Self {
        self.payment_attempt_id = Some(id.into());
        self
    }

    /// Act for this connected sub-account (`x-on-behalf-of`, a UUID); it
    /// wins over the configured one.
    pub fn on_behalf_of(mut self, account_id: impl Into<String>) -> Self {
        self.on_behalf_of = Some(account_id.into());
        self
    }

    /// The UQPay options `request` carries (none when it carries none).
    /// Another provider's options, or a name UQPay does not know, is an
    /// error naming `provider_options`; a malformed id names its field.
    pub fn of(request: &RefundRequest) -> Result<Self, ValidationError> {
        let Some(options) =
            ProviderOptions::for_provider(request.provider_options(), PROVIDER, REQUEST_OPTIONS)?
        else {
            return Ok(Self::default());
        };
        let read = |name: &'static str| -> Result<Option<String>, ValidationError> {
            options
                .get(name)
                .map(|value| refundkit_core::check_provider_id(name, value).map(|()| value.into()))
                .transpose()
        };
        Ok(Self {
            payment_attempt_id: read(PAYMENT_ATTEMPT_ID)?,
            on_behalf_of: read(ON_BEHALF_OF)?,
        })
    }

    /// The payment attempt to refund.
    pub fn attempt(&self) -> Option<&str> {
        self.payment_attempt_id.as_deref()
    }

    /// The sub-account to act for.
    pub fn account(&self) -> Option<&str> {
        self.on_behalf_of.as_deref()
    }
}

impl From<UqPayOptions> for ProviderOptions {
    fn from(options: UqPayOptions) -> Self {
        let mut out = ProviderOptions::new(PROVIDER);
        for (name, value) in [
            (PAYMENT_ATTEMPT_ID, options.payment_attempt_id),
            (ON_BEHALF_OF, options.on_behalf_of),
        ] {
            if let Some(value) = value {
                // Checked when the request is built and again when read.
                out = out.with(name, value);
            }
        }
        out
    }
}

/// UQPay's list filter: refunds of payments with a merchant order id.
///
/// ```
/// use refundkit_core::ListRefunds;
/// use refundkit_uqpay::UqPayListFilter;
///
/// let query = UqPayListFilter::merchant_order_id("order-6789")?.apply(ListRefunds::default());
/// assert_eq!(UqPayListFilter::of(&query)?.order_id(), Some("order-6789"));
/// # Ok::<(), refundkit_core::ValidationError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UqPayListFilter {
    merchant_order_id: Option<String>,
}

impl UqPayListFilter {
    /// Only refunds of payments with this merchant order id.
    pub fn merchant_order_id(order_id: impl Into<String>) -> Result<Self, ValidationError> {
        let order_id = order_id.into();
        refundkit_core::check_opaque_id(MERCHANT_ORDER_ID, &order_id)?;
        Ok(Self {
            merchant_order_id: Some(order_id),
        })
    }

    /// `query` with this filter.
    pub fn apply(self, query: ListRefunds) -> ListRefunds {
        let mut options = ProviderOptions::new(PROVIDER);
        if let Some(order_id) = self.merchant_order_id {
            options = options.with(MERCHANT_ORDER_ID, order_id);
        }
        query.provider_options(options)
    }

    /// The UQPay filter `query` carries.
    pub fn of(query: &ListRefunds) -> Result<Self, ValidationError> {
        let Some(options) =
            ProviderOptions::for_provider(query.provider_options.as_ref(), PROVIDER, LIST_OPTIONS)?
        else {
            return Ok(Self::default());
        };
        Ok(Self {
            merchant_order_id: options.get(MERCHANT_ORDER_ID).map(str::to_owned),
        })
    }

    /// The merchant order id filtered on.
    pub fn order_id(&self) -> Option<&str> {
        self.merchant_order_id.as_deref()
    }
}
