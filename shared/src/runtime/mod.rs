//! What every function runs on: its definition (`function`), what it needs (`needs`) and the
//! settings those needs read (`config`, `settings`), the context built once per cold start
//! (`context`), the Lambda runners (`lambda`), the HTTP edge (`http`, `router`), callers
//! (`auth`), idempotent requests (`idempotency`), the transactional outbox (`outbox`) and JSON
//! logs (`telemetry`). Nothing here imports a capability: the list of functions is handed in.
pub mod auth;
pub mod config;
pub mod context;
pub mod function;
pub mod http;
pub mod idempotency;
pub mod inbound;
pub mod lambda;
pub mod needs;
pub mod outbox;
pub mod router;
pub mod settings;
pub mod telemetry;
