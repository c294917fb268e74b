//! Where messages go: an SMTP server (`SMTP_URL`, e.g.
//! `smtp://user:pass@host:587?tls=required`), or `.eml` files in a folder.

use std::{path::Path, time::Duration};

use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Why a message was not accepted.
#[derive(Debug)]
pub enum SendError {
    /// Worth trying again later (4xx, connection trouble); a code, no text.
    Transient(String),
    /// The server refused it for good (5xx).
    Permanent(String),
}

pub enum MailTransport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl MailTransport {
    /// SMTP when `smtp_url` is given, else files in `outbox_dir` (created).
    /// SMTP connections are pooled (lettre's pool: reused while a batch is
    /// sent, closed after a minute idle), so a digest run does not open one
    /// connection per message.
    pub fn from_settings(smtp_url: Option<&str>, outbox_dir: &Path) -> Result<Self, String> {
        match smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| Self::Smtp(builder.timeout(Some(Duration::from_secs(10))).build()))
                // The URL may hold a password: never repeat it.
                .map_err(|_| "SMTP_URL is not a valid smtp:// or smtps:// URL".to_owned()),
            None => {
                std::fs::create_dir_all(outbox_dir).map_err(|err| {
                    format!(
                        "cannot create the mail outbox {}: {err}",
                        outbox_dir.display()
                    )
                })?;
                Ok(Self::Files(AsyncFileTransport::new(outbox_dir)))
            }
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Self::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|err| {
                let code = err
                    .status()
                    .map_or_else(|| "connection".to_owned(), |code| code.to_string());
                if err.is_permanent() {
                    SendError::Permanent(format!("smtp {code}"))
                } else {
                    SendError::Transient(format!("smtp {code}"))
                }
            }),
            Self::Files(files) => files
                .send(message)
                .await
                .map(|_| ())
                .map_err(|_| SendError::Transient("file".to_owned())),
        }
    }
}
