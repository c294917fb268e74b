//! Rules every way of writing the catalogue applies (import and staff edits),
//! each returning the message for the field at fault.

use crate::catalog::partial_date::PartialDate;

/// Longest title or name accepted.
pub const MAX_TITLE_CHARS: usize = 500;
/// Longest description section accepted.
pub const MAX_TEXT_CHARS: usize = 20_000;

/// Stable keys: lowercase letters, digits and `-`, at most 100.
pub fn key(key: &str) -> Result<(), String> {
    let valid = !key.is_empty()
        && key.len() <= 100
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{key:?} is not a key (lowercase letters, digits and '-', at most 100)"
        ))
    }
}

/// OGP commitment codes: uppercase letters and digits, 2 to 16.
pub fn commitment_code(code: &str) -> Result<(), String> {
    let valid = (2..=16).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if valid {
        Ok(())
    } else {
        Err("must be an OGP code such as \"MO0018\" (uppercase letters and digits)".to_owned())
    }
}

/// A plausible address; the message never repeats it (it is contact data).
pub fn email(email: &str) -> Result<(), String> {
    let plausible = email.len() <= 254
        && !email.contains(char::is_whitespace)
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
    if plausible {
        Ok(())
    } else {
        Err("is not an email address".to_owned())
    }
}

/// Non-empty text of at most `max` characters.
pub fn text(text: &str, max: usize) -> Result<(), String> {
    if text.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else if text.chars().count() > max {
        Err(format!("at most {max} characters"))
    } else {
        Ok(())
    }
}

/// A web address people can open: `http` or `https`, with a host.
pub fn web_link(text: &str) -> Result<(), String> {
    match url::Url::parse(text) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => Ok(()),
        _ => Err("an http:// or https:// address".to_owned()),
    }
}

/// An end that does not precede its start; compared at the coarser precision.
pub fn period(start: Option<&PartialDate>, end: Option<&PartialDate>) -> Result<(), String> {
    let (Some(start), Some(end)) = (start, end) else {
        return Ok(());
    };
    // ISO text sorts like the calendar; cutting both to the shorter keeps
    // "2018" (the whole year) from counting as before "2018-05".
    let (start_text, end_text) = (start.to_string(), end.to_string());
    let common = start_text.len().min(end_text.len());
    if start_text[..common] > end_text[..common] {
        Err(format!("{end} is before the start date {start}"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> PartialDate {
        PartialDate::parse(text).expect("date")
    }

    #[test]
    fn periods_compare_at_the_coarser_precision() {
        assert!(period(Some(&date("2018-05")), Some(&date("2018"))).is_ok());
        assert!(period(Some(&date("2018-09")), Some(&date("2018-10"))).is_ok());
        assert!(period(Some(&date("2019-01")), Some(&date("2018-12-31"))).is_err());
        assert!(period(Some(&date("2018-09-02")), Some(&date("2018-09-01"))).is_err());
    }

    #[test]
    fn keys_codes_and_emails() {
        assert!(key("morocco-2018-2020").is_ok());
        assert!(key("Morocco").is_err());
        assert!(commitment_code("MO0018").is_ok());
        assert!(commitment_code("mo18").is_err());
        assert!(email("a.alami@mmsp.gov.ma").is_ok());
        assert!(email("a.alami at mmsp").is_err_and(|m| !m.contains("alami")));
    }
}
