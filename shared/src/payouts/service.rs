//! The payouts service: reconciling a payout with its bank transfer in one transaction (the row
//! locked, a retry of the same transfer answered with the stored result, the coach's receipt
//! notice written to the outbox), published after commit.
use super::store;
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use crate::runtime::outbox::{enqueue_notification, CATEGORY_TRANSACTIONAL};
use chrono::NaiveDate;
use serde_json::{json, Value};
use tokio_postgres::error::SqlState;
use uuid::Uuid;

/// A bank transfer as the admin reports it, already checked (UTR normalised, date in range).
pub struct Transfer<'a> {
    pub utr: &'a str,
    pub transfer_date: NaiveDate,
    pub proof_url: Option<&'a str>,
    pub amount: Option<i64>,
}

pub fn not_found() -> ApiError {
    ApiError::NotFound("no such payout".into())
}

pub fn receipt_path(id: Uuid) -> String {
    format!("/coach/payouts/{id}/receipt")
}

pub fn answer(p: &store::Payout) -> Value {
    json!({
        "payout": p,
        "receiptNumber": p.receipt_number,
        "receiptUrl": receipt_path(p.id),
    })
}

/// Marks the payout paid by `t`: the completed payout, or the conflict (another UTR, another
/// amount, a UTR already on another payout).
pub async fn reconcile(
    ctx: &AppContext,
    id: Uuid,
    t: &Transfer<'_>,
    actor: &str,
) -> Result<store::Payout, ApiError> {
    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    let current = store::lock(&tx, id).await?.ok_or_else(not_found)?;
    if current.bank_transfer_status == "completed" {
        if current
            .bank_utr_number
            .as_deref()
            .map(str::to_ascii_uppercase)
            == Some(t.utr.to_string())
        {
            // A retry of the call that completed it: the stored result, nothing done again.
            return Ok(current);
        }
        return Err(ApiError::Conflict {
            code: "already_reconciled",
            message: "this payout is already reconciled with another UTR".into(),
        });
    }
    if t.amount.is_some_and(|a| a != current.amount) {
        return Err(ApiError::Conflict {
            code: "amount_mismatch",
            message: "the amount differs from the payout's".into(),
        });
    }
    let completion = store::Completion {
        utr: t.utr,
        transfer_date: t.transfer_date,
        proof_url: t.proof_url,
        reconciled_by: actor,
    };
    // The row is locked and not completed, so the update always answers it.
    let done = match store::complete(&tx, id, &completion).await {
        Ok(done) => done.ok_or_else(not_found)?,
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            return Err(ApiError::Conflict {
                code: "utr_in_use",
                message: "this UTR is recorded on another payout".into(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    let mut outbox = Vec::new();
    if let Some(coach) = done.coach_id {
        outbox.push(
            enqueue_notification(
                &tx,
                "payout_receipt",
                CATEGORY_TRANSACTIONAL,
                json!({ "coachId": coach }),
                json!({
                    "payoutId": id, "amount": done.amount, "utr": t.utr,
                    "periodStart": done.period_start, "periodEnd": done.period_end,
                    "receiptNumber": done.receipt_number, "receiptUrl": receipt_path(id),
                }),
            )
            .await?,
        );
    }
    tx.commit().await?;
    drop(client);
    ctx.publisher().publish(&ctx.pool, &outbox).await;
    tracing::info!(payout_id = %id, "payout reconciled");
    Ok(done)
}
