//! Gap 1.4 and 2: Razorpay webhooks. Verified over the raw bytes before anything is parsed,
//! recorded once per event id in the same transaction as their effect, applied forward only.
pub mod handler;
pub mod signature;
