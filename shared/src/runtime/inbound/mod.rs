//! Inbound webhooks (Razorpay, Cal.com): the signature over the raw bytes (`signature`), the
//! body limit, and each event recorded once per provider and event id (`store`).
pub mod signature;
pub mod store;

/// The largest webhook body accepted (413 above).
pub const MAX_WEBHOOK_BODY: usize = 256 * 1024;

/// What handling a webhook event came to (the service that owns it answers it): its outcome
/// word, a note kept with the event, and the outbox rows to publish after commit.
pub type EventEffect = (&'static str, Option<String>, Vec<uuid::Uuid>);
