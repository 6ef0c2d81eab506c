//! Delivering `notify` actions. The change that decided a notification wrote
//! it to the outbox in its own transaction; this loop claims due rows with a
//! lease, POSTs them, and records the result. A failure is retried with
//! exponential backoff; when the attempts run out the row is marked dead and
//! the instance gets a `webhook` incident, in one transaction, for an
//! administrator to retry ([`super::Retry`]) once the receiver is fixed.
//!
//! Delivery is at least once: a runner that dies after the POST but before
//! recording it leaves the row to be sent again when its lease runs out.
//! Receivers deduplicate by the `Idempotency-Key` header (the outbox row id).

use serde::Serialize;

use super::webhooks::WebhookTarget;
use super::{Runtime, RuntimeError};
use crate::engine::Millis;
use crate::store::{IncidentKind, NewIncident, OutboxMessage};

/// The header carrying the outbox row id, stable across retries.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The header naming the instance whose action this is.
pub const INSTANCE_HEADER: &str = "Flowkeeper-Instance";
/// The header naming the webhook (the name in the workflow file).
pub const WEBHOOK_HEADER: &str = "Flowkeeper-Webhook";
/// The header counting attempts, 1 for the first.
pub const ATTEMPT_HEADER: &str = "Flowkeeper-Attempt";

/// How deliveries are retried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxConfig {
    /// Tries per delivery before it is given up (at least 1).
    pub max_attempts: u32,
    /// The wait after the first failure; each further failure doubles it.
    pub base_delay: Millis,
    /// The longest wait between two tries.
    pub max_delay: Millis,
    /// Rows claimed per round trip.
    pub batch: u32,
    /// How long a claimed row stays leased. It must cover a batch of POSTs
    /// at their timeout, or another runner sends them a second time.
    pub lease: Millis,
}

impl Default for OutboxConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: 1_000,
            max_delay: 3_600_000,
            batch: 20,
            lease: 600_000,
        }
    }
}

impl OutboxConfig {
    /// The wait after `failures` failed tries (1 for the first): `base_delay`
    /// doubled per earlier failure, at most `max_delay`, at least 1 ms so a
    /// failed row is never due again in the same round.
    pub fn backoff(&self, failures: u32) -> Millis {
        let doublings = failures.saturating_sub(1).min(62);
        self.base_delay
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay)
            .max(1)
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryRound {
    pub delivered: usize,
    /// Failed and scheduled again.
    pub failed: usize,
    /// Failed for the last time: marked dead, incident opened.
    pub dead: usize,
}

/// What an administrator's retry did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetryReport {
    pub instance_id: uuid::Uuid,
    pub incidents_resolved: u64,
    pub deliveries_requeued: u64,
}

impl Runtime {
    /// Delivers every outbox row due now (claiming in batches until none is
    /// left) and records each result.
    pub async fn deliver_due_outbox(&self) -> Result<DeliveryRound, RuntimeError> {
        let mut round = DeliveryRound::default();
        loop {
            let now = self.clock.now();
            let outbox = &self.config.outbox;
            let claimed = self
                .store
                .claim_outbox(now, now + outbox.lease, outbox.batch)
                .await?;
            if claimed.is_empty() {
                return Ok(round);
            }
            for message in &claimed {
                match self.send(message).await {
                    Ok(()) => {
                        self.store
                            .mark_delivered(message.id, self.clock.now())
                            .await?;
                        round.delivered += 1;
                    }
                    Err(error) => {
                        if self.record_failure(message, &error).await? {
                            round.dead += 1;
                        } else {
                            round.failed += 1;
                        }
                    }
                }
            }
        }
    }

    /// One try at one delivery; the error says what the receiver did.
    async fn send(&self, message: &OutboxMessage) -> Result<(), String> {
        let (url, timeout) = match self.config.webhooks.target(&message.webhook) {
            WebhookTarget::Log => {
                tracing::info!(
                    webhook = %message.webhook,
                    instance = %message.instance_id,
                    delivery = %message.id,
                    payload = %message.payload,
                    "webhook (logging sink: no URL configured)"
                );
                return Ok(());
            }
            WebhookTarget::Http { url, timeout } => (url, timeout),
        };
        let shown = crate::accounts::redact::endpoint(&url);
        let response = self
            .http
            .post(url)
            .timeout(timeout)
            .header(IDEMPOTENCY_HEADER, message.id.to_string())
            .header(INSTANCE_HEADER, message.instance_id.to_string())
            .header(WEBHOOK_HEADER, &message.webhook)
            .header(ATTEMPT_HEADER, (message.attempts + 1).to_string())
            .json(&message.payload)
            .send()
            .await
            // reqwest names the URL in its errors; the URL may hold a
            // credential, and this text goes to the log and the incident.
            .map_err(|error| format!("{shown}: {}", describe_send_error(&error.without_url())))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        Err(format!("HTTP {status}: {body}").trim_end().to_owned())
    }

    /// Schedules the next try, or gives up; `true` when it gave up.
    async fn record_failure(
        &self,
        message: &OutboxMessage,
        error: &str,
    ) -> Result<bool, RuntimeError> {
        let outbox = &self.config.outbox;
        let failures = u32::try_from(message.attempts + 1).unwrap_or(u32::MAX);
        let now = self.clock.now();
        tracing::warn!(
            webhook = %message.webhook,
            instance = %message.instance_id,
            delivery = %message.id,
            attempt = failures,
            %error,
            "webhook delivery failed"
        );
        if failures < outbox.max_attempts.max(1) {
            let next_attempt_at = now + outbox.backoff(failures);
            self.store
                .mark_failed(message.id, error, next_attempt_at)
                .await?;
            return Ok(false);
        }
        let incident = format!(
            "webhook `{}` failed {failures} times; last error: {error}",
            message.webhook
        );
        let incident = NewIncident {
            id: self.ids.at(now),
            instance_id: message.instance_id,
            kind: IncidentKind::Webhook,
            message: &incident,
            created_at: now,
        };
        let mut tx = self.store.begin().await?;
        tx.mark_outbox_dead(message.id, error, now).await?;
        tx.open_incident(&incident).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// reqwest's top-level message hides the cause ("error sending request");
/// the chain says what actually happened (refused, timed out, DNS…).
fn describe_send_error(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base_up_to_the_cap() {
        let config = OutboxConfig {
            base_delay: 1_000,
            max_delay: 10_000,
            ..OutboxConfig::default()
        };
        let waits: Vec<Millis> = (1..=6).map(|failures| config.backoff(failures)).collect();
        assert_eq!(waits, vec![1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
        assert_eq!(config.backoff(200), 10_000, "no overflow");
        let zero = OutboxConfig {
            base_delay: 0,
            ..config
        };
        assert_eq!(zero.backoff(1), 1, "never due again in the same round");
    }
}
