//! YesToryd platform backend: the domain rules and adapters every Lambda function shares.
pub mod auth;
pub mod config;
pub mod context;
pub mod dashboard;
pub mod db;
pub mod functions;
pub mod http;
pub mod idempotency;
pub mod lambda;
pub mod notifications;
pub mod outbox;
pub mod payments;
pub mod razorpay;
pub mod refunds;
pub mod telemetry;
pub mod webhooks;
