//! Inbound webhooks (Razorpay, Cal.com): the signature over the raw bytes (`signature`), the
//! body limit, and each event recorded once per provider and event id (`store`).
pub mod signature;
pub mod store;

/// The largest webhook body accepted (413 above).
pub const MAX_WEBHOOK_BODY: usize = 256 * 1024;
