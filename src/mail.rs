//! Email: every message is written to an outbox in the transaction of what
//! causes it (so a crash loses nothing and a repeated cause sends nothing
//! twice), then a sender delivers what is due through SMTP (`SMTP_URL`) or,
//! by default, as `.eml` files in an outbox folder. Transient failures are
//! retried with capped, jittered exponential backoff; a permanent failure
//! stops mailing that address. Knows nothing of GraphQL.

pub mod delivery;
pub mod notices;
pub mod outbox;
pub mod tokens;
pub mod transport;

use minijinja::{AutoEscape, Environment};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// How an address is remembered once its messages are gone: a hash of its
/// normalised form, enough to recognise it, not to read it.
pub fn address_hash(address: &str) -> String {
    Sha256::digest(address.trim().to_lowercase().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Renders the template `source` (named `name` in errors) with `values`;
/// HTML templates escape every value, so user text cannot inject markup.
pub fn render(
    name: &str,
    source: &str,
    escape: AutoEscape,
    values: minijinja::Value,
) -> AppResult<String> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(move |_| escape);
    env.set_formatter(|out, state, value| {
        // HTML-escape text values, but leave `/` alone (the default
        // escapes it too), so links stay readable in the HTML source.
        match value.as_str() {
            Some(text) if state.auto_escape() == AutoEscape::Html && !value.is_safe() => {
                out.write_str(&escape_html(text)).map_err(|err| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, err.to_string())
                })
            }
            _ => minijinja::escape_formatter(out, state, value),
        }
    });
    // Block tags on lines of their own leave no blank lines behind.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_template(name, source)
        .and_then(|()| env.get_template(name))
        .and_then(|template| template.render(values))
        .map_err(|err| AppError::Internal(format!("mail template {name}: {err}")))
}

/// `text` safe inside HTML elements and quoted attributes.
fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            _ => escaped.push(c),
        }
    }
    escaped
}
