//! The built-in providers compiled into this build: the one place the
//! facade names them, one line per cargo feature.

use refundkit_core::descriptor::{self, ProviderDescriptor};
use refundkit_core::{ProviderId, RefundError};

/// The descriptors of the providers compiled in (cargo features `uqpay`,
/// `wooshpay`), in this order. `Refunds::from_env`, `from_config`, the
/// webhook helpers and the CLI loop over them.
///
/// ```
/// let names: Vec<String> = refundkit::builtin_providers()
///     .iter()
///     .map(|descriptor| descriptor.id().to_string())
///     .collect();
/// # #[cfg(all(feature = "uqpay", feature = "wooshpay"))]
/// assert_eq!(names, ["uqpay", "wooshpay"]);
/// ```
pub fn builtin_providers() -> &'static [&'static dyn ProviderDescriptor] {
    BUILTIN
}

static BUILTIN: &[&dyn ProviderDescriptor] = &[
    #[cfg(feature = "uqpay")]
    &refundkit_uqpay::DESCRIPTOR,
    #[cfg(feature = "wooshpay")]
    &refundkit_wooshpay::DESCRIPTOR,
];

/// The descriptor of `id` among `descriptors`, or a `Config` error naming
/// the ones there are. `setting` is what named it (`REFUNDKIT_PROVIDER`).
pub(crate) fn descriptor_for(
    descriptors: &[&'static dyn ProviderDescriptor],
    id: ProviderId,
    setting: &str,
) -> Result<&'static dyn ProviderDescriptor, RefundError> {
    descriptor::find(descriptors, id).ok_or_else(|| {
        RefundError::Config(format!(
            "{setting} names a provider that is not compiled in (compiled in: {}); a built-in \
             provider is enabled by the refundkit cargo feature of its name",
            names(descriptors)
        ))
    })
}

/// `uqpay, wooshpay`, or `none`.
pub(crate) fn names(descriptors: &[&'static dyn ProviderDescriptor]) -> String {
    if descriptors.is_empty() {
        return "none".into();
    }
    descriptors
        .iter()
        .map(|d| d.id().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
