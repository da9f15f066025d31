//! GET /admin/payouts, POST /admin/payouts/{payoutId}/reconcile, POST /admin/payouts/statement,
//! GET /admin/payouts/{payoutId}/receipt, GET /coach/payouts/{payoutId}/receipt
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::payouts::PAYOUT_RECONCILE).await
}
