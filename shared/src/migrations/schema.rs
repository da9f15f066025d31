//! `migrate --check`: the columns this code reads and writes, with their types, compared with a
//! live database (YesToryd's real one has tables we did not create). Each difference is named:
//! a missing table or column, another type, or NULLs allowed where the code needs a value.

/// (table, column, `information_schema` data type, must be NOT NULL). Generated from the schema
/// `migrations/` builds; for the platform tables we did not create (`0001_platform_tables.sql` mirrors them), NOT NULL is
/// required only where the code reads a value without a fallback.
pub const EXPECTED: &[(&str, &str, &str, bool)] = &[
    ("children", "id", "uuid", true),
    ("children", "parent_id", "uuid", false),
    ("children", "name", "text", false),
    ("children", "age", "integer", false),
    ("children", "parent_email", "text", false),
    ("children", "phonics_focus", "text", false),
    ("children", "learning_needs", "ARRAY", false),
    ("children", "assessment_completed", "boolean", false),
    ("children", "status", "text", true),
    ("children", "created_at", "timestamp with time zone", true),
    ("children", "lead_score", "integer", false),
    ("children", "lead_status", "text", false),
    (
        "children",
        "lead_scored_at",
        "timestamp with time zone",
        false,
    ),
    ("children", "lead_score_breakdown", "jsonb", false),
    ("coach_payouts", "id", "uuid", true),
    ("coach_payouts", "coach_id", "uuid", false),
    ("coach_payouts", "amount", "bigint", true),
    ("coach_payouts", "period_start", "date", false),
    ("coach_payouts", "period_end", "date", false),
    ("coach_payouts", "status", "text", false),
    ("coach_payouts", "bank_transfer_status", "text", false),
    ("coach_payouts", "bank_transfer_date", "date", false),
    ("coach_payouts", "bank_utr_number", "text", false),
    ("coach_payouts", "bank_transfer_proof_url", "text", false),
    (
        "coach_payouts",
        "reconciled_at",
        "timestamp with time zone",
        false,
    ),
    ("coach_payouts", "reconciled_by", "text", false),
    ("coach_payouts", "receipt_number", "text", false),
    (
        "coach_payouts",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("coaches", "id", "uuid", true),
    ("coaches", "name", "text", false),
    ("coaches", "email", "text", false),
    ("coaches", "phone", "text", false),
    ("coaches", "timezone", "text", false),
    ("coaches", "is_active", "boolean", false),
    ("coaches", "created_at", "timestamp with time zone", true),
    ("coaches", "max_active_enrollments", "integer", false),
    ("coach_availability", "id", "uuid", true),
    ("coach_availability", "coach_id", "uuid", true),
    ("coach_availability", "weekday", "smallint", true),
    (
        "coach_availability",
        "start_time",
        "time without time zone",
        true,
    ),
    (
        "coach_availability",
        "end_time",
        "time without time zone",
        true,
    ),
    ("coach_time_off", "id", "uuid", true),
    ("coach_time_off", "coach_id", "uuid", true),
    (
        "coach_time_off",
        "starts_at",
        "timestamp with time zone",
        true,
    ),
    (
        "coach_time_off",
        "ends_at",
        "timestamp with time zone",
        true,
    ),
    ("coach_time_off", "reason", "text", false),
    ("session_reschedules", "id", "uuid", true),
    ("session_reschedules", "session_id", "uuid", true),
    ("session_reschedules", "enrollment_id", "uuid", false),
    (
        "session_reschedules",
        "from_time",
        "timestamp with time zone",
        true,
    ),
    (
        "session_reschedules",
        "to_time",
        "timestamp with time zone",
        true,
    ),
    ("session_reschedules", "rescheduled_by", "text", true),
    ("session_reschedules", "reason", "text", false),
    (
        "session_reschedules",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("coach_specializations", "id", "uuid", true),
    ("coach_specializations", "coach_id", "uuid", true),
    ("coach_specializations", "specialization_type", "text", true),
    (
        "coach_specializations",
        "specialization_value",
        "text",
        true,
    ),
    (
        "coach_specializations",
        "proficiency_level",
        "integer",
        true,
    ),
    (
        "coach_specializations",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("lead_score_changes", "id", "uuid", true),
    ("lead_score_changes", "child_id", "uuid", true),
    ("lead_score_changes", "old_score", "integer", false),
    ("lead_score_changes", "new_score", "integer", true),
    ("lead_score_changes", "old_status", "text", false),
    ("lead_score_changes", "new_status", "text", true),
    (
        "lead_score_changes",
        "run_at",
        "timestamp with time zone",
        true,
    ),
    ("lead_score_changes", "digest_outbox_id", "uuid", false),
    (
        "lead_scoring_runs",
        "run_at",
        "timestamp with time zone",
        true,
    ),
    ("lead_scoring_runs", "owner", "uuid", true),
    (
        "lead_scoring_runs",
        "heartbeat_at",
        "timestamp with time zone",
        true,
    ),
    (
        "lead_scoring_runs",
        "finished_at",
        "timestamp with time zone",
        false,
    ),
    ("payment_day_counts", "day", "date", true),
    ("payment_day_counts", "status", "text", true),
    ("payment_day_counts", "n", "bigint", true),
    ("payment_day_counts_state", "complete", "boolean", true),
    ("communication_logs", "id", "uuid", true),
    ("communication_logs", "parent_id", "uuid", false),
    ("communication_logs", "child_id", "uuid", false),
    ("communication_logs", "channel", "text", false),
    ("communication_logs", "template", "text", false),
    ("communication_logs", "direction", "text", false),
    ("communication_logs", "status", "text", false),
    (
        "communication_logs",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("communication_logs", "message_id", "uuid", false),
    ("communication_logs", "coach_id", "uuid", false),
    ("communication_logs", "category", "text", false),
    ("communication_logs", "recipient", "text", false),
    ("communication_logs", "rule", "text", false),
    ("communication_logs", "error", "text", false),
    ("communication_logs", "provider_message_id", "text", false),
    (
        "communication_logs",
        "updated_at",
        "timestamp with time zone",
        false,
    ),
    ("discovery_calls", "child_id", "uuid", false),
    (
        "discovery_calls",
        "ends_at",
        "timestamp with time zone",
        false,
    ),
    ("discovery_calls", "parent_phone", "text", false),
    ("discovery_calls", "parent_timezone", "text", false),
    ("discovery_calls", "child_age", "integer", false),
    ("discovery_calls", "link_method", "text", false),
    (
        "discovery_calls",
        "updated_at",
        "timestamp with time zone",
        true,
    ),
    ("discovery_calls", "previous_uids", "ARRAY", true),
    ("discovery_calls", "metadata_child_id", "uuid", false),
    ("discovery_call_events", "event_id", "text", true),
    ("discovery_call_events", "uid", "text", true),
    ("discovery_call_events", "reschedule_uid", "text", false),
    ("discovery_call_events", "body", "text", true),
    ("discovery_calls", "id", "uuid", true),
    ("discovery_calls", "parent_email", "text", false),
    ("discovery_calls", "parent_name", "text", false),
    ("discovery_calls", "child_name", "text", false),
    (
        "discovery_calls",
        "scheduled_at",
        "timestamp with time zone",
        false,
    ),
    ("discovery_calls", "status", "text", false),
    ("discovery_calls", "cal_booking_uid", "text", false),
    (
        "discovery_calls",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("elearning_modules", "id", "uuid", true),
    ("elearning_modules", "stage", "text", false),
    ("elearning_modules", "title", "text", false),
    ("elearning_modules", "youtube_video_id", "text", false),
    ("elearning_modules", "topic", "text", false),
    ("elearning_modules", "position", "integer", false),
    ("elearning_modules", "duration_seconds", "integer", false),
    ("elearning_modules", "quiz_id", "uuid", false),
    ("elearning_modules", "status", "text", false),
    (
        "elearning_modules",
        "updated_at",
        "timestamp with time zone",
        false,
    ),
    ("elearning_topics", "stage", "text", true),
    ("elearning_topics", "topic", "text", true),
    ("elearning_topics", "title", "text", true),
    ("elearning_topics", "target_min", "integer", true),
    ("elearning_topics", "target_max", "integer", true),
    (
        "elearning_modules",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("enrollment_terminations", "id", "uuid", true),
    ("enrollment_terminations", "enrollment_id", "uuid", true),
    ("enrollment_terminations", "terminated_by", "text", true),
    (
        "enrollment_terminations",
        "termination_reason",
        "text",
        true,
    ),
    (
        "enrollment_terminations",
        "termination_notes",
        "text",
        false,
    ),
    ("enrollment_terminations", "sessions_total", "integer", true),
    (
        "enrollment_terminations",
        "sessions_completed",
        "integer",
        true,
    ),
    (
        "enrollment_terminations",
        "sessions_remaining",
        "integer",
        true,
    ),
    ("enrollment_terminations", "original_amount", "bigint", true),
    ("enrollment_terminations", "refund_amount", "bigint", true),
    (
        "enrollment_terminations",
        "coach_settlement_amount",
        "bigint",
        true,
    ),
    (
        "enrollment_terminations",
        "platform_retention",
        "bigint",
        true,
    ),
    (
        "enrollment_terminations",
        "razorpay_payment_id",
        "text",
        true,
    ),
    (
        "enrollment_terminations",
        "razorpay_refund_id",
        "text",
        false,
    ),
    ("enrollment_terminations", "refund_status", "text", true),
    (
        "enrollment_terminations",
        "refund_initiated_at",
        "timestamp with time zone",
        false,
    ),
    (
        "enrollment_terminations",
        "refund_completed_at",
        "timestamp with time zone",
        false,
    ),
    (
        "enrollment_terminations",
        "refund_failure_reason",
        "text",
        false,
    ),
    (
        "enrollment_terminations",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    (
        "enrollment_terminations",
        "updated_at",
        "timestamp with time zone",
        true,
    ),
    ("enrollment_terminations", "created_by", "text", true),
    ("enrollment_terminations", "refund_attempt", "integer", true),
    ("enrollments", "id", "uuid", true),
    ("enrollments", "child_id", "uuid", false),
    ("enrollments", "parent_id", "uuid", false),
    ("enrollments", "coach_id", "uuid", false),
    ("enrollments", "status", "text", true),
    ("enrollments", "sessions_total", "integer", true),
    ("enrollments", "parent_email", "text", false),
    ("enrollments", "child_name", "text", false),
    ("enrollments", "reschedules_used", "integer", true),
    ("enrollments", "max_reschedules", "integer", true),
    (
        "enrollments",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    (
        "enrollments",
        "updated_at",
        "timestamp with time zone",
        false,
    ),
    ("failed_payments", "id", "uuid", true),
    ("failed_payments", "razorpay_payment_id", "text", true),
    ("failed_payments", "razorpay_order_id", "text", true),
    ("failed_payments", "error_code", "text", false),
    ("failed_payments", "error_description", "text", false),
    ("failed_payments", "error_reason", "text", false),
    ("failed_payments", "parent_email", "text", false),
    ("failed_payments", "parent_phone", "text", false),
    ("failed_payments", "parent_name", "text", false),
    ("failed_payments", "child_name", "text", false),
    ("failed_payments", "amount", "bigint", false),
    ("failed_payments", "currency", "text", true),
    ("failed_payments", "notified", "boolean", true),
    ("failed_payments", "retry_count", "integer", true),
    (
        "failed_payments",
        "converted_at",
        "timestamp with time zone",
        false,
    ),
    (
        "failed_payments",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("idempotency_keys", "scope", "text", true),
    ("idempotency_keys", "key", "text", true),
    ("idempotency_keys", "request_hash", "text", true),
    ("idempotency_keys", "response_status", "integer", false),
    ("idempotency_keys", "response_body", "jsonb", false),
    (
        "idempotency_keys",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("outbox", "id", "uuid", true),
    ("outbox", "topic", "text", true),
    ("outbox", "payload", "jsonb", true),
    ("outbox", "created_at", "timestamp with time zone", true),
    ("outbox", "published_at", "timestamp with time zone", false),
    ("outbox", "attempts", "integer", true),
    (
        "outbox",
        "next_attempt_at",
        "timestamp with time zone",
        true,
    ),
    ("outbox", "last_error", "text", false),
    ("parents", "id", "uuid", true),
    ("parents", "user_id", "uuid", false),
    ("parents", "name", "text", false),
    ("parents", "email", "text", false),
    ("parents", "phone", "text", false),
    ("parents", "created_at", "timestamp with time zone", true),
    ("parents", "notification_preferences", "jsonb", false),
    ("payment_retry_tokens", "id", "uuid", true),
    ("payment_retry_tokens", "order_id", "text", true),
    ("payment_retry_tokens", "token_hash", "text", true),
    ("payment_retry_tokens", "failed_payment_id", "uuid", false),
    (
        "payment_retry_tokens",
        "expires_at",
        "timestamp with time zone",
        true,
    ),
    ("payment_retry_tokens", "parent_email", "text", false),
    (
        "payment_retry_tokens",
        "used_at",
        "timestamp with time zone",
        false,
    ),
    (
        "payment_retry_tokens",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("payments", "id", "uuid", true),
    ("payments", "enrollment_id", "uuid", false),
    ("payments", "parent_id", "uuid", false),
    ("payments", "razorpay_order_id", "text", false),
    ("payments", "razorpay_payment_id", "text", false),
    ("payments", "amount", "bigint", true),
    ("payments", "currency", "text", true),
    ("payments", "status", "text", true),
    ("payments", "captured_at", "timestamp with time zone", false),
    ("payments", "created_at", "timestamp with time zone", true),
    ("refund_attempts", "termination_id", "uuid", true),
    ("refund_attempts", "attempt", "integer", true),
    ("refund_attempts", "razorpay_refund_id", "text", false),
    ("refund_attempts", "failure_reason", "text", false),
    (
        "refund_attempts",
        "ended_at",
        "timestamp with time zone",
        true,
    ),
    ("refund_attempts", "retried_by", "text", true),
    (
        "refund_attempts",
        "retried_at",
        "timestamp with time zone",
        true,
    ),
    ("scheduled_sessions", "id", "uuid", true),
    ("scheduled_sessions", "enrollment_id", "uuid", false),
    ("scheduled_sessions", "child_id", "uuid", false),
    ("scheduled_sessions", "coach_id", "uuid", false),
    ("scheduled_sessions", "session_type", "text", false),
    (
        "scheduled_sessions",
        "scheduled_time",
        "timestamp with time zone",
        false,
    ),
    ("scheduled_sessions", "duration_minutes", "integer", false),
    ("scheduled_sessions", "status", "text", true),
    ("scheduled_sessions", "google_event_id", "text", false),
    ("scheduled_sessions", "cancellation_reason", "text", false),
    (
        "scheduled_sessions",
        "rescheduled_from",
        "timestamp with time zone",
        false,
    ),
    (
        "scheduled_sessions",
        "rescheduled_at",
        "timestamp with time zone",
        false,
    ),
    ("scheduled_sessions", "rescheduled_by", "text", false),
    (
        "scheduled_sessions",
        "created_at",
        "timestamp with time zone",
        true,
    ),
    ("webhook_events", "id", "uuid", true),
    ("webhook_events", "provider", "text", true),
    ("webhook_events", "event_id", "text", true),
    ("webhook_events", "event_type", "text", true),
    ("webhook_events", "raw_payload", "text", true),
    (
        "webhook_events",
        "received_at",
        "timestamp with time zone",
        true,
    ),
    (
        "webhook_events",
        "processed_at",
        "timestamp with time zone",
        false,
    ),
    ("webhook_events", "error", "text", false),
];

/// One column as the live database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveColumn {
    pub table: String,
    pub column: String,
    pub data_type: String,
    pub not_null: bool,
}

/// Every difference between what the code needs and what the database has, one line each.
pub fn differences(expected: &[(&str, &str, &str, bool)], live: &[LiveColumn]) -> Vec<String> {
    let mut out = Vec::new();
    let mut missing_tables: Vec<&str> = Vec::new();
    for (table, column, data_type, not_null) in expected {
        if !live.iter().any(|c| c.table == *table) {
            if !missing_tables.contains(table) {
                missing_tables.push(table);
                out.push(format!("table {table} is missing"));
            }
            continue;
        }
        match live
            .iter()
            .find(|c| c.table == *table && c.column == *column)
        {
            None => out.push(format!("{table}.{column} is missing (want {data_type})")),
            Some(c) if c.data_type != *data_type => out.push(format!(
                "{table}.{column} is {}, want {data_type}",
                c.data_type
            )),
            Some(c) if *not_null && !c.not_null => {
                out.push(format!("{table}.{column} allows NULL, want NOT NULL"))
            }
            Some(_) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(t: &str, c: &str, ty: &str, nn: bool) -> LiveColumn {
        LiveColumn {
            table: t.into(),
            column: c.into(),
            data_type: ty.into(),
            not_null: nn,
        }
    }

    #[test]
    fn each_kind_of_difference_is_named_once() {
        let expected = [
            ("payments", "amount", "bigint", true),
            ("payments", "status", "text", true),
            ("payments", "captured_at", "timestamp with time zone", false),
            ("payments", "currency", "text", true),
            ("outbox", "id", "uuid", true),
            ("outbox", "topic", "text", true),
        ];
        let live = [
            col("payments", "amount", "integer", true),
            col("payments", "status", "text", false),
            col("payments", "captured_at", "timestamp with time zone", false),
        ];
        assert_eq!(
            differences(&expected, &live),
            vec![
                "payments.amount is integer, want bigint",
                "payments.status allows NULL, want NOT NULL",
                "payments.currency is missing (want text)",
                "table outbox is missing",
            ]
        );
        let same: Vec<LiveColumn> = expected
            .iter()
            .map(|(t, c, ty, nn)| col(t, c, ty, *nn))
            .collect();
        assert!(differences(&expected, &same).is_empty());
    }
}
