//! What a parent reads when a payment fails: a sentence chosen from Razorpay's `error_reason`,
//! then `error_code`, then the description — never the raw gateway text.
pub fn parent_message(
    error_reason: Option<&str>,
    error_code: Option<&str>,
    description: Option<&str>,
) -> &'static str {
    const CANCELLED: &str =
        "The payment was cancelled before it finished. You can try again whenever you are ready.";
    const FUNDS: &str = "Your bank reported insufficient funds. Please try again with another account, card or UPI app.";
    const OTP: &str = "The OTP was incorrect or had expired. Please try again and enter the latest OTP you receive.";
    const PIN: &str = "The PIN entered was incorrect. Please try again.";
    const CARD: &str =
        "Your card was declined. Please check the card details or try another card or UPI.";
    const BANK_DOWN: &str =
        "Your bank's servers were not reachable just now. Please try again after some time.";
    const TIMEOUT: &str =
        "The payment took too long and timed out. No money was taken; please try again.";
    const LIMIT: &str =
        "The amount is above your account's transaction limit. Please try another method.";
    const UPI: &str = "The UPI ID could not be verified. Please check it and try again.";
    const GENERIC: &str =
        "The payment did not go through. Please try again or use a different payment method.";
    let by_reason = match error_reason.map(str::trim).unwrap_or("") {
        "payment_cancelled" => Some(CANCELLED),
        "insufficient_funds" => Some(FUNDS),
        "incorrect_otp" | "invalid_otp" | "otp_expired" | "otp_attempts_exceeded" => Some(OTP),
        "incorrect_pin" => Some(PIN),
        "incorrect_cvv"
        | "card_expired"
        | "card_declined"
        | "authentication_failed"
        | "debit_instrument_blocked"
        | "international_transaction_not_allowed" => Some(CARD),
        "bank_technical_error"
        | "bank_not_available"
        | "gateway_technical_error"
        | "issuer_technical_error"
        | "server_error"
        | "upi_app_technical_error"
        | "invalid_response_from_gateway" => Some(BANK_DOWN),
        "payment_timed_out"
        | "request_timed_out"
        | "payment_session_expired"
        | "payment_collect_request_expired" => Some(TIMEOUT),
        "transaction_limit_exceeded" | "transaction_daily_limit_exceeded" => Some(LIMIT),
        "invalid_vpa" | "vpa_resolution_failed" => Some(UPI),
        _ => None,
    };
    if let Some(m) = by_reason {
        return m;
    }
    let d = description.unwrap_or("").to_ascii_lowercase();
    if d.contains("otp") {
        return OTP;
    }
    if d.contains("cancel") {
        return CANCELLED;
    }
    if d.contains("insufficient") {
        return FUNDS;
    }
    match error_code.map(str::trim).unwrap_or("") {
        "GATEWAY_ERROR" | "SERVER_ERROR" => BANK_DOWN,
        _ => GENERIC,
    }
}

#[cfg(test)]
mod tests {
    use super::parent_message;

    #[test]
    fn reasons_become_sentences_a_parent_understands() {
        assert!(
            parent_message(Some("payment_cancelled"), Some("BAD_REQUEST_ERROR"), None)
                .contains("cancelled")
        );
        assert!(
            parent_message(Some("insufficient_funds"), None, None).contains("insufficient funds")
        );
        assert!(parent_message(Some("incorrect_otp"), None, None).contains("OTP"));
        assert!(parent_message(Some("bank_not_available"), None, None).contains("bank's servers"));
        assert!(parent_message(None, Some("GATEWAY_ERROR"), None).contains("bank's servers"));
        assert!(parent_message(
            Some(""),
            Some(""),
            Some("Payment processing failed because of incorrect OTP")
        )
        .contains("OTP"));
        assert!(parent_message(None, None, None).contains("did not go through"));
    }
}
