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

/// The compiled-in provider named `name` (any case): its descriptor, or a
/// `Config` error naming the providers compiled in (the name is not quoted).
///
/// ```
/// # #[cfg(feature = "uqpay")] {
/// assert_eq!(refundkit::builtin_provider("UQPAY")?.id(), refundkit::uqpay::PROVIDER);
/// # }
/// assert!(refundkit::builtin_provider("no-such-psp").is_err());
/// # Ok::<(), refundkit::RefundError>(())
/// ```
pub fn builtin_provider(name: &str) -> Result<&'static dyn ProviderDescriptor, RefundError> {
    let unknown = || {
        RefundError::Config(format!(
            "not a provider compiled in (compiled in: {})",
            builtin_provider_names()
        ))
    };
    let id: ProviderId = name.parse().map_err(|_| unknown())?;
    descriptor::find(BUILTIN, id).ok_or_else(unknown)
}

/// The compiled-in providers' ids, `uqpay, wooshpay` (or `none`).
pub fn builtin_provider_names() -> String {
    names(BUILTIN)
}

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
