//! Every message the functions send: email subject, text and HTML, and the WhatsApp template
//! with its parameters. Amounts arrive in paise and are shown in rupees.
pub use crate::clients::channels::Rendered;
use serde_json::Value;

/// `₹1,23,456.50` — Indian digit grouping, two decimals, from integer paise.
pub fn format_inr(paise: i64) -> String {
    let grouped = crate::common::rupees::grouped(paise);
    match grouped.strip_prefix('-') {
        Some(abs) => format!("-₹{abs}"),
        None => format!("₹{grouped}"),
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn text(data: &Value, key: &str, default: &str) -> String {
    match &data[key] {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => default.to_string(),
    }
}

fn money(data: &Value, key: &str) -> String {
    data[key]
        .as_i64()
        .map(format_inr)
        .unwrap_or_else(|| "—".into())
}

fn build(
    subject: String,
    lines: Vec<String>,
    whatsapp_template: &'static str,
    whatsapp_params: Vec<String>,
) -> Rendered {
    let text = format!("{}\n\n— Team YesToryd", lines.join("\n\n"));
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\">{}<p>— Team YesToryd</p></body></html>",
        lines.iter().map(|l| format!("<p>{}</p>", escape_html(l))).collect::<String>()
    );
    Rendered {
        subject,
        text,
        html,
        whatsapp_template,
        whatsapp_params,
    }
}

/// Renders a template with its data; `None` for a template this module does not know.
pub fn render(template: &str, data: &Value) -> Option<Rendered> {
    let child = text(data, "childName", "your child");
    Some(match template {
        "refund_initiated" => {
            let amount = money(data, "refundAmount");
            let days = text(data, "expectedDays", "7");
            build(
                format!("Your refund of {amount} has been initiated"),
                vec![
                    format!("We have initiated a refund of {amount} for {child}'s coaching programme."),
                    format!("It should reach your account within {days} working days. The remaining sessions have been cancelled."),
                ],
                "refund_initiated",
                vec![child, amount, days],
            )
        }
        "refund_completed" => {
            let amount = money(data, "refundAmount");
            build(
                format!("Your refund of {amount} is complete"),
                vec![format!("The refund of {amount} for {child}'s programme has been processed by the bank.")],
                "refund_completed",
                vec![child, amount],
            )
        }
        "refund_failed_admin" => {
            let amount = money(data, "refundAmount");
            let reason = text(data, "reason", "no reason given");
            let termination = text(data, "terminationId", "?");
            build(
                format!("Refund failed: {amount} (termination {termination})"),
                vec![
                    format!("Razorpay reports that the refund of {amount} for termination {termination} failed."),
                    format!("Reason: {reason}"),
                    "Please review it in the admin dashboard and retry or refund by hand.".into(),
                ],
                "admin_refund_failed",
                vec![amount, termination, reason],
            )
        }
        "refund_adopted_admin" => {
            let amount = money(data, "refundAmount");
            let termination = text(data, "terminationId", "?");
            let refund = text(data, "razorpayRefundId", "?");
            let conflict = data
                .get("conflict")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let action = if conflict {
                "Another refund of this enrollment is active: check Razorpay for a second refund of the same payment."
            } else {
                "The termination is now processing with this refund and the enrollment has ended."
            };
            build(
                format!("Refund {refund} processed for failed termination {termination}"),
                vec![
                    format!("Razorpay processed refund {refund} of {amount} for termination {termination}, which we had recorded as failed."),
                    action.into(),
                ],
                "admin_refund_adopted",
                vec![amount, termination, refund],
            )
        }
        "payment_failed" => {
            let amount = money(data, "amount");
            let reason = text(data, "reason", "The payment did not go through.");
            let link = text(data, "retryLink", "");
            let hours = text(data, "expiresInHours", "24");
            build(
                format!("Your payment of {amount} for {child} did not go through"),
                vec![
                    format!("Your payment of {amount} for {child}'s coaching did not go through."),
                    reason.clone(),
                    format!("You can complete the payment here: {link}"),
                    format!("This link is valid for {hours} hours."),
                ],
                "payment_failed_retry",
                vec![child, amount, reason, link],
            )
        }
        "session_rescheduled_parent" | "session_rescheduled_coach" => {
            let when = text(data, "newDateTime", "the new time");
            let before = text(data, "oldDateTime", "the earlier time");
            let coach = template == "session_rescheduled_coach";
            build(
                format!("{child}'s session has moved to {when}"),
                vec![format!(
                    "{child}'s session on {before} has been moved to {when}."
                )],
                if coach {
                    "coach_session_rescheduled"
                } else {
                    "session_rescheduled"
                },
                vec![child, before, when],
            )
        }
        "payout_receipt" => {
            let amount = money(data, "amount");
            let utr = text(data, "utr", "—");
            let from = text(data, "periodStart", "");
            let to = text(data, "periodEnd", "");
            build(
                format!("Payout of {amount} sent (UTR {utr})"),
                vec![format!("Your payout of {amount} for {from} to {to} has been sent. Bank reference (UTR): {utr}.")],
                "coach_payout_receipt",
                vec![amount, utr, from, to],
            )
        }
        "leads_became_hot" => {
            let total = data.get("total").and_then(Value::as_i64).unwrap_or(0);
            let more = data.get("more").and_then(Value::as_i64).unwrap_or(0);
            let names: Vec<String> = data
                .get("leads")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|l| text(l, "name", "(no name)"))
                .collect();
            let mut lines = vec![format!(
                "{total} lead{} became hot in last night's scoring:",
                if total == 1 { "" } else { "s" }
            )];
            lines.push(names.join(", "));
            if more > 0 {
                lines.push(format!("and {more} more."));
            }
            lines.push("They are listed as hot in the admin dashboard.".into());
            build(
                format!("{total} new hot lead{}", if total == 1 { "" } else { "s" }),
                lines,
                "admin_leads_hot",
                vec![total.to_string()],
            )
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rupees_with_indian_grouping() {
        assert_eq!(format_inr(15000), "₹150.00");
        assert_eq!(format_inr(5), "₹0.05");
        assert_eq!(format_inr(123_456_750), "₹12,34,567.50");
        assert_eq!(format_inr(100_000), "₹1,000.00");
        assert_eq!(format_inr(1_000_000_000), "₹1,00,00,000.00");
    }

    #[test]
    fn every_template_renders_with_rupees_and_escaped_html() {
        let data = json!({"childName": "<Kabir>", "refundAmount": 15000, "amount": 24000, "retryLink": "https://x/y?token=t",
                          "reason": "Bank down", "newDateTime": "2026-12-01T10:00:00+05:30", "utr": "HDFCN00000000001"});
        for t in [
            "refund_initiated",
            "refund_completed",
            "refund_failed_admin",
            "refund_adopted_admin",
            "payment_failed",
            "session_rescheduled_parent",
            "session_rescheduled_coach",
            "payout_receipt",
            "leads_became_hot",
        ] {
            let r = render(t, &data).unwrap_or_else(|| panic!("{t} does not render"));
            assert!(!r.subject.is_empty() && !r.text.is_empty(), "{t}");
            assert!(!r.html.contains("<Kabir>"), "{t} must escape HTML");
            assert!(!r.whatsapp_params.is_empty(), "{t}");
        }
        let r = render("refund_initiated", &data).unwrap_or_else(|| panic!("render"));
        assert!(r.subject.contains("₹150.00"));
        let r = render("payment_failed", &data).unwrap_or_else(|| panic!("render"));
        assert!(r.text.contains("https://x/y?token=t") && r.text.contains("₹240.00"));
        assert!(render("no_such_template", &data).is_none());
    }
}
