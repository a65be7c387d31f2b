//! A delivery channel (`email`) that hands each message to the county's own mail relay
//! over plain SMTP (RFC 5321): EHLO, MAIL FROM, RCPT TO, DATA, QUIT, every reply code
//! checked, the whole conversation bounded by a timeout. A refusal or a silent relay is an
//! error the delivery log records, and the `deliver` jobs retry it with backoff.
//!
//! Not supported: STARTTLS and AUTH. The relay is expected on the county's own network
//! and to accept mail from the hub's address without a login (the usual set-up of an
//! internal relay). The client is a minimal hand-written one, to keep the dependency tree
//! small.
//!
//! Where the address comes from: users and units have no email column. The sender holds
//! an [`EmailDirectory`] read at start from a small text file (`unit:ID address` or
//! `user:ID address` per line). A recipient not in it is not reached by email at all (see
//! [`Sender::reaches`]), so the delivery log holds no email deliveries bound to fail.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::notifications::{OutboundMessage, Sender};

/// How long one whole SMTP conversation may take before it counts as failed.
pub const CONVERSATION_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest reply line accepted from a relay (RFC 5321 allows 512 octets).
const MAX_REPLY_BYTES: usize = 16 * 1024;

/// Checks that `address` is a plain mailbox (`local@domain`) that is safe to put in an SMTP
/// command and a header: no spaces, no angle brackets, no control characters.
pub fn check_mailbox(address: &str) -> Result<(), String> {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(format!("`{address}` is not an email address (no @)"));
    };
    let bad = |character: char| {
        character.is_whitespace() || character.is_control() || matches!(character, '<' | '>' | ',' | ';' | '"' | '(' | ')')
    };
    if local.is_empty() || domain.is_empty() || address.chars().any(bad) || address.len() > 254 {
        return Err(format!("`{address}` is not a plain email address"));
    }
    Ok(())
}

/// Where the relay listens: `HOST:PORT`, or `HOST` for port 25.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
}

impl SmtpRelay {
    pub fn parse(relay: &str) -> Result<SmtpRelay, String> {
        let relay = relay.trim();
        let (host, port) = match relay.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().map_err(|_| format!("SMTP relay `{relay}` has a bad port"))?),
            None => (relay, 25),
        };
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(format!("SMTP relay `{relay}` has no host"));
        }
        Ok(SmtpRelay { host: host.to_string(), port })
    }
}

/// The email address of each recipient (`user:ID` or `unit:ID`) that has one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailDirectory {
    addresses: HashMap<String, String>,
}

impl EmailDirectory {
    /// Reads lines of `unit:ID address` or `user:ID address` (an `=` between them is allowed);
    /// blank lines and lines starting with `#` are skipped. Any bad line is an error naming it.
    pub fn parse(text: &str) -> Result<EmailDirectory, String> {
        let mut addresses = HashMap::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line_number = index + 1;
            let normalised = line.replacen('=', " ", 1);
            let mut parts = normalised.split_whitespace();
            let (Some(recipient), Some(address), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("line {line_number}: expected `unit:ID address` or `user:ID address`"));
            };
            let valid_recipient = recipient
                .split_once(':')
                .is_some_and(|(kind, id)| matches!(kind, "unit" | "user") && id.parse::<i64>().is_ok_and(|id| id > 0));
            if !valid_recipient {
                return Err(format!("line {line_number}: `{recipient}` is not unit:ID or user:ID"));
            }
            check_mailbox(address).map_err(|error| format!("line {line_number}: {error}"))?;
            addresses.insert(recipient.to_string(), address.to_string());
        }
        Ok(EmailDirectory { addresses })
    }

    pub fn with(mut self, recipient: &str, address: &str) -> EmailDirectory {
        self.addresses.insert(recipient.to_string(), address.to_string());
        self
    }

    pub fn address_of(&self, recipient: &str) -> Option<&str> {
        self.addresses.get(recipient).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}

/// Standard base64 (RFC 4648, with padding).
pub fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut encoded = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = (u32::from(chunk[0]) << 16) | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8) | u32::from(*chunk.get(2).unwrap_or(&0));
        for position in 0..4 {
            if position <= chunk.len() {
                encoded.push(char::from(ALPHABET[((group >> (18 - 6 * position)) & 0x3f) as usize]));
            } else {
                encoded.push('=');
            }
        }
    }
    encoded
}

/// A header value as RFC 2047 encoded words (`=?UTF-8?B?…?=`), each at most 75 characters,
/// split on character boundaries and folded onto continuation lines.
pub fn encode_header_words(text: &str) -> String {
    // 45 bytes of UTF-8 become 60 base64 characters, plus 12 for `=?UTF-8?B?` and `?=`.
    const MAX_CHUNK_BYTES: usize = 45;
    let mut words = Vec::new();
    let mut chunk = String::new();
    for character in text.chars() {
        if chunk.len() + character.len_utf8() > MAX_CHUNK_BYTES {
            words.push(format!("=?UTF-8?B?{}?=", base64_encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(character);
    }
    if !chunk.is_empty() || words.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64_encode(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// Doubles a leading dot on every line (RFC 5321 §4.5.2), so no line of the message can be
/// read as the end of DATA.
pub fn dot_stuff(message: &str) -> String {
    message
        .split("\r\n")
        .map(|line| if line.starts_with('.') { format!(".{line}") } else { line.to_string() })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Text with every line ending (LF, CR or CRLF) made CRLF, as mail requires.
fn crlf_lines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n").replace('\n', "\r\n")
}

/// The parts of one email that are not its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub from: &'a str,
    pub to: &'a str,
    /// The `Date` header, RFC 5322 form.
    pub date: &'a str,
    pub message_id: &'a str,
}

/// The message as sent after DATA: headers, a blank line and the base64 body (76-character
/// lines), every line ending in CRLF, before dot-stuffing.
pub fn compose_message(envelope: &Envelope<'_>, subject: &str, body: &str) -> String {
    let encoded_body = base64_encode(crlf_lines(body).as_bytes());
    let mut body_lines = Vec::new();
    let mut rest = encoded_body.as_str();
    while !rest.is_empty() {
        let (line, after) = rest.split_at(rest.len().min(76));
        body_lines.push(line);
        rest = after;
    }
    format!(
        "Date: {}\r\nFrom: {}\r\nTo: {}\r\nSubject: {}\r\nMessage-ID: <{}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        envelope.date,
        envelope.from,
        envelope.to,
        encode_header_words(subject),
        envelope.message_id,
        body_lines.join("\r\n"),
    )
}

/// One SMTP conversation over a TCP stream: commands out, replies (possibly multi-line) in.
struct Conversation {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Conversation {
    /// Reads one reply and returns its code and its text (lines joined by spaces).
    async fn reply(&mut self) -> Result<(u16, String), String> {
        let mut text = Vec::new();
        loop {
            let line = self.line().await?;
            let code = line
                .get(..3)
                .and_then(|code| code.parse::<u16>().ok())
                .ok_or_else(|| format!("the relay sent a malformed reply `{line}`"))?;
            text.push(line.get(4..).unwrap_or("").trim().to_string());
            // `250-…` continues a multi-line reply; `250 …` (or a bare `250`) ends it.
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok((code, text.join(" ")));
            }
        }
    }

    async fn line(&mut self) -> Result<String, String> {
        loop {
            if let Some(end) = self.buffer.iter().position(|byte| *byte == b'\n') {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                return Ok(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string());
            }
            if self.buffer.len() > MAX_REPLY_BYTES {
                return Err("the relay sent an overlong reply".into());
            }
            let mut chunk = [0u8; 1024];
            let read = self.stream.read(&mut chunk).await.map_err(|error| format!("reading from the relay: {error}"))?;
            if read == 0 {
                return Err("the relay closed the connection".into());
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
    }

    async fn write(&mut self, data: &str) -> Result<(), String> {
        self.stream.write_all(data.as_bytes()).await.map_err(|error| format!("writing to the relay: {error}"))
    }

    /// Sends a command (or the message) and requires a reply code in `accepted`.
    async fn exchange(&mut self, step: &str, data: &str, accepted: &[u16]) -> Result<(u16, String), String> {
        self.write(data).await?;
        self.expect(step, accepted).await
    }

    async fn expect(&mut self, step: &str, accepted: &[u16]) -> Result<(u16, String), String> {
        let (code, text) = self.reply().await?;
        if accepted.contains(&code) { Ok((code, text)) } else { Err(format!("the relay refused {step}: {code} {text}")) }
    }
}

/// Sends notifications as email through an SMTP relay (channel `email`).
pub struct SmtpSender {
    pub relay: SmtpRelay,
    /// The envelope sender and `From` address.
    pub from: String,
    pub directory: EmailDirectory,
    /// The name given in EHLO: the domain of the `from` address.
    pub hello_name: String,
    pub timeout: Duration,
}

impl SmtpSender {
    pub fn new(relay: &str, from: &str, directory: EmailDirectory) -> Result<SmtpSender, String> {
        check_mailbox(from).map_err(|error| format!("--smtp-from: {error}"))?;
        let hello_name = from.rsplit_once('@').map(|(_, domain)| domain.to_string()).unwrap_or_else(|| "localhost".into());
        Ok(SmtpSender { relay: SmtpRelay::parse(relay)?, from: from.to_string(), directory, hello_name, timeout: CONVERSATION_TIMEOUT })
    }

    /// A `Message-ID` unique to this hub: time, a process counter and randomness, at the
    /// sender's domain.
    fn new_message_id(&self, now: jiff::Timestamp) -> String {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let random: u64 = rand::random();
        format!("{}.{count}.{random:016x}@{}", now.as_millisecond(), self.hello_name)
    }

    /// One whole conversation: greeting, EHLO (HELO for an old relay), MAIL FROM, RCPT TO,
    /// DATA, the message, QUIT.
    async fn converse(&self, to: &str, message: &str) -> Result<(), String> {
        let relay = &self.relay;
        let stream = TcpStream::connect((relay.host.as_str(), relay.port))
            .await
            .map_err(|error| format!("cannot reach the SMTP relay {}:{}: {error}", relay.host, relay.port))?;
        let mut conversation = Conversation { stream, buffer: Vec::new() };
        conversation.expect("the connection", &[220]).await?;
        let hello = conversation.exchange("EHLO", &format!("EHLO {}\r\n", self.hello_name), &[250]).await;
        if let Err(error) = hello {
            // A relay that does not know EHLO answers 500/502; RFC 5321 says fall back to HELO.
            if !(error.contains(": 500") || error.contains(": 502")) {
                return Err(error);
            }
            conversation.exchange("HELO", &format!("HELO {}\r\n", self.hello_name), &[250]).await?;
        }
        conversation.exchange("the sender (MAIL FROM)", &format!("MAIL FROM:<{}>\r\n", self.from), &[250]).await?;
        conversation.exchange(&format!("the recipient {to} (RCPT TO)"), &format!("RCPT TO:<{to}>\r\n"), &[250, 251]).await?;
        conversation.exchange("DATA", "DATA\r\n", &[354]).await?;
        conversation.exchange("the message", &format!("{}.\r\n", dot_stuff(message)), &[250]).await?;
        // The relay has taken the message; a failed QUIT must not make the job send it again.
        if let Err(error) = conversation.exchange("QUIT", "QUIT\r\n", &[221]).await {
            tracing::debug!(%error, "the SMTP relay did not close cleanly after accepting a message");
        }
        Ok(())
    }
}

impl Sender for SmtpSender {
    fn channel(&self) -> &str {
        "email"
    }

    fn reaches(&self, address: &str) -> bool {
        self.directory.address_of(address).is_some()
    }

    fn send<'a>(&'a self, message: &'a OutboundMessage) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let Some(to) = self.directory.address_of(&message.address) else {
                return Err(format!("no email address is known for {}", message.address));
            };
            let now = jiff::Timestamp::now();
            let date = jiff::fmt::rfc2822::to_string(&now.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))))
                .map_err(|error| format!("cannot format the Date header: {error}"))?;
            let message_id = self.new_message_id(now);
            let envelope = Envelope { from: &self.from, to, date: &date, message_id: &message_id };
            let text = compose_message(&envelope, &message.title, &message.body);
            match tokio::time::timeout(self.timeout, self.converse(to, &text)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!("the SMTP relay did not finish within {} s", self.timeout.as_secs())),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648() {
        let cases =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")];
        for (plain, encoded) in cases {
            assert_eq!(base64_encode(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn subjects_become_short_encoded_words_on_character_boundaries() {
        assert_eq!(encode_header_words("督办"), "=?UTF-8?B?552j5Yqe?=");
        let long = "诉求MQ-2026-000123已升级为红色，请立即处理并反馈办理结果，逾期将通报";
        let encoded = encode_header_words(long);
        for word in encoded.split("\r\n ") {
            assert!(word.len() <= 75 && word.starts_with("=?UTF-8?B?") && word.ends_with("?="), "{word}");
        }
        assert!(encoded.contains("\r\n "), "a long subject is folded");
    }

    #[test]
    fn dot_stuffing_doubles_leading_dots_only() {
        assert_eq!(dot_stuff(".\r\na.b\r\n..x\r\n"), "..\r\na.b\r\n...x\r\n");
    }

    #[test]
    fn composed_messages_use_crlf_and_base64_lines() {
        let envelope = Envelope {
            from: "hub@county.gov.cn",
            to: "office@county.gov.cn",
            date: "Mon, 2 Mar 2026 10:00:00 +0800",
            message_id: "1.0.ab@county.gov.cn",
        };
        let message = compose_message(&envelope, "标题", &"正文\n第二行".repeat(20));
        assert!(!message.replace("\r\n", "").contains('\n'), "every line ends in CRLF");
        let (head, body) = message.split_once("\r\n\r\n").expect("a blank line after the headers");
        assert!(head.contains("Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64"));
        assert!(head.contains("Message-ID: <1.0.ab@county.gov.cn>"));
        assert!(body.trim_end().split("\r\n").all(|line| line.len() <= 76));
    }

    #[test]
    fn relays_directories_and_mailboxes_parse_or_explain() {
        assert_eq!(SmtpRelay::parse("10.0.0.25:2525").unwrap(), SmtpRelay { host: "10.0.0.25".into(), port: 2525 });
        assert_eq!(SmtpRelay::parse("mail.county.lan").unwrap().port, 25);
        assert!(SmtpRelay::parse("mail:smtp").is_err());
        let directory = EmailDirectory::parse("# 单位邮箱\nunit:3 office@county.gov.cn\nuser:7 = head@county.gov.cn\n\n").unwrap();
        assert_eq!(directory.address_of("unit:3"), Some("office@county.gov.cn"));
        assert_eq!(directory.address_of("user:7"), Some("head@county.gov.cn"));
        assert_eq!(directory.address_of("unit:4"), None);
        assert!(EmailDirectory::parse("unit:x a@b").unwrap_err().contains("line 1"));
        assert!(EmailDirectory::parse("unit:3 a@b\nunit:4 evil@x\r\nRCPT").is_err());
        assert!(EmailDirectory::parse("unit:3 <a@b>").is_err());
        assert!(check_mailbox("a@b").is_ok() && check_mailbox("a b@c").is_err() && check_mailbox("nobody").is_err());
    }
}
