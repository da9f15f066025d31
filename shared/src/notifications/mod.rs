//! Gap 7 and the delivery side of every function: the outbox relay, the SQS dispatcher that
//! honours each parent's preferences, the preferences API, and the message templates.
pub mod channels;
pub mod dispatch;
pub mod preferences;
pub mod relay;
pub mod rules;
pub mod templates;
