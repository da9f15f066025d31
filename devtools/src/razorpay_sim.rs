//! A local Razorpay that answers refunds, refund lists and orders like the real API: Basic auth,
//! `X-Refund-Idempotency` (same key + same body → the same refund; other body → 400), the
//! captured-amount ceiling, and its error body shape. Tests and local-api use it; it is never
//! linked into a Lambda binary. Faults can be queued to play timeouts and 5xx answers.
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

pub const KEY_ID: &str = "rzp_test_localsim";
pub const KEY_SECRET: &str = "local-sim-secret";

/// What the next create-refund call does instead of answering normally.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status and record nothing.
    StatusBeforeRecording(u16),
    /// Record the refund, then answer with this status (the answer is lost).
    StatusAfterRecording(u16),
    /// Record the refund, then wait this long before answering (the client times out).
    DelayAfterRecording(Duration),
    /// A definite refusal (400 BAD_REQUEST_ERROR) with this description.
    Refuse(String),
    /// Record the refund, then answer 400 with this description: Razorpay's answer says no
    /// while it holds the refund (what a lost first answer followed by a retry can look like).
    RefuseAfterRecording(String),
}

#[derive(Debug, Clone)]
pub struct SimRefund {
    pub id: String,
    pub payment_id: String,
    pub amount: i64,
    pub status: String,
    pub notes: Map<String, Value>,
    idempotency: Option<(String, String)>,
}

impl SimRefund {
    fn to_json(&self) -> Value {
        json!({
            "id": self.id, "entity": "refund", "amount": self.amount, "currency": "INR",
            "payment_id": self.payment_id,
            "notes": if self.notes.is_empty() { json!([]) } else { Value::Object(self.notes.clone()) },
            "receipt": null, "acquirer_data": { "arn": null }, "created_at": chrono::Utc::now().timestamp(),
            "batch_id": null, "status": self.status, "speed_processed": "normal", "speed_requested": "normal",
        })
    }
}

#[derive(Default)]
struct SimState {
    refunds: Vec<SimRefund>,
    captured: HashMap<String, i64>,
    orders: HashMap<String, Value>,
    faults: VecDeque<Fault>,
    create_calls: usize,
    initial_status: String,
    next_id: u64,
}

#[derive(Clone)]
pub struct RazorpaySim {
    pub base_url: String,
    state: Arc<Mutex<SimState>>,
}

impl RazorpaySim {
    pub async fn start() -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(SimState {
            initial_status: "pending".into(),
            ..SimState::default()
        }));
        let app = Router::new()
            .route("/v1/payments/{id}/refund", post(create_refund))
            .route("/v1/payments/{id}/refunds", get(list_refunds))
            .route("/v1/orders/{id}", get(fetch_order))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RazorpaySim {
            base_url: format!("http://{addr}"),
            state,
        })
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        lock(&self.state)
    }

    /// Registers a captured payment so refunds above its amount are refused.
    pub fn add_payment(&self, payment_id: &str, amount: i64) {
        self.lock().captured.insert(payment_id.to_string(), amount);
    }

    pub fn add_order(&self, order: Value) {
        if let Some(id) = order["id"].as_str() {
            let id = id.to_string();
            self.lock().orders.insert(id, order);
        }
    }

    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// Marks every refund with this status as `to` (Razorpay finishing its work).
    pub fn settle_all(&self, to: &str) {
        for r in self
            .lock()
            .refunds
            .iter_mut()
            .filter(|r| r.status == "pending")
        {
            r.status = to.to_string();
        }
    }

    /// The ledger: every refund Razorpay holds.
    pub fn refunds(&self) -> Vec<SimRefund> {
        self.lock().refunds.clone()
    }

    pub fn create_calls(&self) -> usize {
        self.lock().create_calls
    }
}

fn error(status: StatusCode, description: &str, field: Option<&str>) -> Response {
    (
        status,
        Json(json!({ "error": {
            "code": "BAD_REQUEST_ERROR", "description": description, "field": field,
            "source": "NA", "step": "NA", "reason": "NA", "metadata": {}
        }})),
    )
        .into_response()
}

/// A test that panicked while holding the lock must not take the simulator down with it.
fn lock(state: &Mutex<SimState>) -> MutexGuard<'_, SimState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Razorpay's answer to a request without the right Basic credentials, if it lacks them.
fn denied(headers: &HeaderMap) -> Option<Response> {
    (!authorized(headers)).then(|| {
        error(
            StatusCode::UNAUTHORIZED,
            "The api key provided is invalid",
            None,
        )
    })
}

fn authorized(headers: &HeaderMap) -> bool {
    use base64::Engine;
    let expected =
        base64::engine::general_purpose::STANDARD.encode(format!("{KEY_ID}:{KEY_SECRET}"));
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        == Some(expected.as_str())
}

async fn create_refund(
    State(state): State<Arc<Mutex<SimState>>>,
    Path(payment_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Some(answer) = denied(&headers) {
        return answer;
    }
    let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid request sent", None);
    };
    for k in req.keys() {
        if !matches!(k.as_str(), "amount" | "speed" | "notes" | "receipt") {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("{k} is/are not required and should not be sent"),
                Some(k),
            );
        }
    }
    let key = headers
        .get("x-refund-idempotency")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body));
    let (outcome, delay) = {
        let mut s = lock(&state);
        s.create_calls += 1;
        let fault = s.faults.pop_front();
        if let Some(Fault::StatusBeforeRecording(code)) = fault {
            return error(
                StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                "server error",
                None,
            );
        }
        if let Some(Fault::Refuse(desc)) = &fault {
            return error(StatusCode::BAD_REQUEST, desc, None);
        }
        let existing = key.as_ref().and_then(|k| {
            s.refunds
                .iter()
                .find(|r| r.idempotency.as_ref().map(|(kk, _)| kk) == Some(k))
                .cloned()
        });
        let refund = match existing {
            Some(r) if r.idempotency.as_ref().map(|(_, h)| h) != Some(&body_hash) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "Different request with the same idempotency key has already been processed.",
                    None,
                );
            }
            Some(r) => r,
            None => {
                let captured = s.captured.get(&payment_id).copied();
                let already: i64 = s
                    .refunds
                    .iter()
                    .filter(|r| r.payment_id == payment_id && r.status != "failed")
                    .map(|r| r.amount)
                    .sum();
                let amount = req
                    .get("amount")
                    .and_then(Value::as_i64)
                    .or(captured.map(|c| c - already))
                    .unwrap_or(0);
                if amount < 100 {
                    return error(
                        StatusCode::BAD_REQUEST,
                        "The amount must be at least INR 1.00",
                        Some("amount"),
                    );
                }
                if let Some(c) = captured {
                    if already >= c {
                        return error(
                            StatusCode::BAD_REQUEST,
                            "The payment has been fully refunded already.",
                            None,
                        );
                    }
                    if already + amount > c {
                        return error(
                            StatusCode::BAD_REQUEST,
                            "The refund amount provided is greater than amount captured.",
                            Some("amount"),
                        );
                    }
                }
                s.next_id += 1;
                let r = SimRefund {
                    id: format!("rfnd_sim{:010}", s.next_id),
                    payment_id: payment_id.clone(),
                    amount,
                    status: s.initial_status.clone(),
                    notes: req
                        .get("notes")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default(),
                    idempotency: key.clone().map(|k| (k, body_hash.clone())),
                };
                s.refunds.push(r.clone());
                r
            }
        };
        match fault {
            Some(Fault::StatusAfterRecording(code)) => {
                return error(
                    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    "server error",
                    None,
                );
            }
            Some(Fault::RefuseAfterRecording(desc)) => {
                return error(StatusCode::BAD_REQUEST, &desc, None);
            }
            Some(Fault::DelayAfterRecording(d)) => (refund.to_json(), Some(d)),
            _ => (refund.to_json(), None),
        }
    };
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    (StatusCode::OK, Json(outcome)).into_response()
}

async fn list_refunds(
    State(state): State<Arc<Mutex<SimState>>>,
    Path(payment_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(answer) = denied(&headers) {
        return answer;
    }
    let s = lock(&state);
    let items: Vec<Value> = s
        .refunds
        .iter()
        .rev()
        .filter(|r| r.payment_id == payment_id)
        .map(SimRefund::to_json)
        .collect();
    Json(json!({ "entity": "collection", "count": items.len(), "items": items })).into_response()
}

async fn fetch_order(
    State(state): State<Arc<Mutex<SimState>>>,
    Path(order_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Some(answer) = denied(&headers) {
        return answer;
    }
    let s = lock(&state);
    match s.orders.get(&order_id) {
        Some(o) => Json(o.clone()).into_response(),
        None => error(
            StatusCode::BAD_REQUEST,
            "The id provided does not exist",
            Some("id"),
        ),
    }
}
