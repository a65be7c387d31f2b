//! A delivery channel that POSTs each message as JSON to a URL the county runs (its own
//! gateway to SMS, WeChat or a duty system), signed with HMAC-SHA256 so the receiver can
//! check it came from this hub. Failures are retried with backoff by the `deliver` jobs,
//! and every attempt is in the delivery log.
//!
//! Plain `http://` only: the gateway is expected on the county's own network. The client
//! is a minimal HTTP/1.1 writer, to keep the dependency tree small.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::notifications::{OutboundMessage, Sender};

/// HMAC-SHA256 (RFC 2104) of `message` under `key`, as lowercase hex.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    const BLOCK: usize = 64;
    let mut block_key = [0u8; BLOCK];
    if key.len() > BLOCK {
        block_key[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block_key[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(block_key.map(|byte| byte ^ 0x36));
    inner.update(message);
    let mut outer = Sha256::new();
    outer.update(block_key.map(|byte| byte ^ 0x5c));
    outer.update(inner.finalize());
    hex::encode(outer.finalize())
}

/// Where a webhook goes: host, port and path of an `http://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    pub host: String,
    pub port: u16,
    pub path: String,
}

impl WebhookTarget {
    pub fn parse(url: &str) -> Result<WebhookTarget, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| format!("webhook URL `{url}` must start with http://"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().map_err(|_| format!("webhook URL `{url}` has a bad port"))?),
            None => (authority, 80),
        };
        if host.is_empty() || path.contains(char::is_whitespace) {
            return Err(format!("webhook URL `{url}` has no host or a bad path"));
        }
        Ok(WebhookTarget { host: host.to_string(), port, path: path.to_string() })
    }
}

/// Posts messages to a webhook, signed in the `X-Minqing-Signature: sha256=HEX` header
/// (HMAC-SHA256 of the body under the shared secret).
pub struct WebhookSender {
    pub channel: String,
    pub target: WebhookTarget,
    pub secret: Vec<u8>,
}

impl WebhookSender {
    pub fn new(channel: &str, url: &str, secret: &[u8]) -> Result<WebhookSender, String> {
        Ok(WebhookSender { channel: channel.to_string(), target: WebhookTarget::parse(url)?, secret: secret.to_vec() })
    }

    async fn post(&self, body: &[u8]) -> Result<(), String> {
        let signature = hmac_sha256_hex(&self.secret, body);
        let target = &self.target;
        let mut stream = tokio::net::TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|error| format!("cannot reach {}:{}: {error}", target.host, target.port))?;
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Minqing-Signature: sha256={signature}\r\nConnection: close\r\n\r\n",
            target.path,
            target.host,
            body.len()
        );
        stream.write_all(head.as_bytes()).await.map_err(|error| error.to_string())?;
        stream.write_all(body).await.map_err(|error| error.to_string())?;
        let mut response = Vec::new();
        let mut buffer = [0u8; 1024];
        // The status line is all we need.
        while !response.windows(2).any(|pair| pair == b"\r\n") && response.len() < 8192 {
            let read = stream.read(&mut buffer).await.map_err(|error| error.to_string())?;
            if read == 0 {
                break;
            }
            response.extend_from_slice(&buffer[..read]);
        }
        let status_line = String::from_utf8_lossy(&response);
        let status = status_line.split_whitespace().nth(1).and_then(|code| code.parse::<u16>().ok());
        match status {
            Some(code) if (200..300).contains(&code) => Ok(()),
            Some(code) => Err(format!("the webhook answered {code}")),
            None => Err("the webhook gave no HTTP answer".into()),
        }
    }
}

impl Sender for WebhookSender {
    fn channel(&self) -> &str {
        &self.channel
    }

    fn send<'a>(&'a self, message: &'a OutboundMessage) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "channel": message.channel,
                "address": message.address,
                "title": message.title,
                "body": message.body,
            })
            .to_string();
            match tokio::time::timeout(Duration::from_secs(10), self.post(body.as_bytes())).await {
                Ok(outcome) => outcome,
                Err(_) => Err("the webhook did not answer within 10 s".into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let long_key = [0xaa_u8; 131];
        assert_eq!(
            hmac_sha256_hex(&long_key, b"Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn webhook_urls_parse_or_explain() {
        assert_eq!(
            WebhookTarget::parse("http://10.0.0.5:8081/sms").unwrap(),
            WebhookTarget { host: "10.0.0.5".into(), port: 8081, path: "/sms".into() }
        );
        assert_eq!(WebhookTarget::parse("http://gateway").unwrap().port, 80);
        assert!(WebhookTarget::parse("https://gateway/x").is_err());
        assert!(WebhookTarget::parse("http://gateway:port/x").is_err());
    }
}
