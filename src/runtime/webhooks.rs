//! Where each named webhook goes. Workflows name webhooks (`notify = {
//! webhook = "crm", … }`), never URLs: the URL is deployment configuration,
//! read from the settings file (`[webhooks.crm] url = "…"`) or the
//! environment (`FLOWKEEPER_WEBHOOK_CRM=…`). A name nobody configured goes to
//! the logging sink, so a fresh server delivers (to its log) without any
//! external service.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use reqwest::Url;
use serde::Deserialize;

use crate::model::Duration;

/// The prefix of the environment variables that configure webhooks.
pub const ENV_PREFIX: &str = "FLOWKEEPER_WEBHOOK_";

/// How long a POST may take when the configuration does not say.
pub const DEFAULT_TIMEOUT: StdDuration = StdDuration::from_secs(10);

/// Where one webhook's deliveries go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookTarget {
    /// POST the payload as JSON to `url`, giving up after `timeout`.
    Http { url: Url, timeout: StdDuration },
    /// Log the payload at info level and count it as delivered.
    Log,
}

/// Webhook names mapped to targets. Names compare case-insensitively with
/// `-` and `_` alike, so that `FLOWKEEPER_WEBHOOK_CRM_EU` configures
/// `crm-eu`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Webhooks {
    targets: BTreeMap<String, WebhookTarget>,
}

/// Why the webhook configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum WebhookConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("webhook `{name}`: `{url}` is not an http(s) URL{reason}")]
    BadUrl {
        name: String,
        url: String,
        reason: String,
    },
}

/// The part of `flowkeeper.toml` this module reads; other sections belong
/// to other parts of the program and are ignored here.
#[derive(Debug, Default, Deserialize)]
struct Settings {
    #[serde(default)]
    webhooks: BTreeMap<String, WebhookSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookSpec {
    url: String,
    timeout: Option<Duration>,
}

impl Webhooks {
    /// The settings file at `path` (if it exists), then every
    /// `FLOWKEEPER_WEBHOOK_<NAME>` variable of this process, which wins over
    /// the file for the same name.
    pub fn load(path: &Path) -> Result<Self, WebhookConfigError> {
        let webhooks = match std::fs::read_to_string(path) {
            Ok(text) => Self::from_settings(path, &text)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(source) => {
                return Err(WebhookConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        webhooks.with_env(std::env::vars())
    }

    /// The `[webhooks.<name>]` sections of a settings file's text; `path`
    /// only names the file in errors.
    pub fn from_settings(path: &Path, text: &str) -> Result<Self, WebhookConfigError> {
        let settings: Settings =
            toml::from_str(text).map_err(|error| WebhookConfigError::Parse {
                path: path.to_owned(),
                message: error.to_string(),
            })?;
        settings
            .webhooks
            .into_iter()
            .try_fold(Self::default(), |webhooks, (name, spec)| {
                let timeout = spec.timeout.map_or(DEFAULT_TIMEOUT, |timeout| {
                    StdDuration::from_millis(timeout.as_millis().unsigned_abs())
                });
                webhooks.with_url(&name, &spec.url, timeout)
            })
    }

    /// Adds the `FLOWKEEPER_WEBHOOK_<NAME>=url` entries among `vars`
    /// (default timeout); other variables are ignored.
    pub fn with_env(
        self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, WebhookConfigError> {
        vars.into_iter()
            .try_fold(self, |webhooks, (variable, url)| {
                match variable.strip_prefix(ENV_PREFIX) {
                    Some(name) if !name.is_empty() => {
                        webhooks.with_url(name, &url, DEFAULT_TIMEOUT)
                    }
                    _ => Ok(webhooks),
                }
            })
    }

    /// Sends `name`'s deliveries to `url`.
    pub fn with_url(
        mut self,
        name: &str,
        url: &str,
        timeout: StdDuration,
    ) -> Result<Self, WebhookConfigError> {
        // The URL may carry a credential: the error (printed at startup)
        // shows it without.
        let bad_url = |reason: String| WebhookConfigError::BadUrl {
            name: name.to_owned(),
            url: crate::accounts::redact::unparsed(url),
            reason,
        };
        let parsed = Url::parse(url).map_err(|error| bad_url(format!(": {error}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad_url(String::new()));
        }
        self.targets.insert(
            normalize(name),
            WebhookTarget::Http {
                url: parsed,
                timeout,
            },
        );
        Ok(self)
    }

    /// Where `name`'s deliveries go: the logging sink when not configured.
    pub fn target(&self, name: &str) -> WebhookTarget {
        self.targets
            .get(&normalize(name))
            .cloned()
            .unwrap_or(WebhookTarget::Log)
    }
}

fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(url: &str, secs: u64) -> WebhookTarget {
        WebhookTarget::Http {
            url: Url::parse(url).unwrap(),
            timeout: StdDuration::from_secs(secs),
        }
    }

    #[test]
    fn settings_file_names_targets_and_ignores_other_sections() {
        let text = r#"
            [server]
            listen = "127.0.0.1:8080"

            [webhooks.crm]
            url = "http://crm.example/hook"
            timeout = "5s"

            [webhooks.pager-duty]
            url = "https://pager.example/"
        "#;
        let webhooks = Webhooks::from_settings(Path::new("flowkeeper.toml"), text).unwrap();
        assert_eq!(webhooks.target("crm"), http("http://crm.example/hook", 5));
        assert_eq!(
            webhooks.target("pager_duty"),
            http("https://pager.example/", 10)
        );
        assert_eq!(webhooks.target("billing"), WebhookTarget::Log);
    }

    #[test]
    fn environment_wins_over_the_file() {
        let file = "[webhooks.crm]\nurl = \"http://file.example/\"\n";
        let webhooks = Webhooks::from_settings(Path::new("f.toml"), file)
            .unwrap()
            .with_env([
                (
                    "FLOWKEEPER_WEBHOOK_CRM".to_owned(),
                    "http://env.example/".to_owned(),
                ),
                (
                    "FLOWKEEPER_WEBHOOK_CRM_EU".to_owned(),
                    "http://eu.example/".to_owned(),
                ),
                ("PATH".to_owned(), "/usr/bin".to_owned()),
            ])
            .unwrap();
        assert_eq!(webhooks.target("crm"), http("http://env.example/", 10));
        assert_eq!(webhooks.target("crm-eu"), http("http://eu.example/", 10));
    }

    #[test]
    fn bad_configuration_is_refused_with_the_name() {
        let path = Path::new("flowkeeper.toml");
        let not_http = Webhooks::from_settings(path, "[webhooks.crm]\nurl = \"ftp://x/\"\n");
        assert!(
            matches!(&not_http, Err(WebhookConfigError::BadUrl { name, .. }) if name == "crm"),
            "{not_http:?}"
        );
        let typo = Webhooks::from_settings(
            path,
            "[webhooks.crm]\nurl = \"http://x/\"\ntimout = \"5s\"\n",
        );
        let message = typo.unwrap_err().to_string();
        assert!(message.contains("timout"), "{message}");
        let bad_timeout = Webhooks::from_settings(
            path,
            "[webhooks.crm]\nurl = \"http://x/\"\ntimeout = \"soon\"\n",
        );
        assert!(bad_timeout.is_err());
    }

    #[test]
    fn a_missing_settings_file_means_only_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let webhooks = Webhooks::load(&dir.path().join("flowkeeper.toml")).unwrap();
        assert_eq!(
            webhooks.target("nobody_configures_this"),
            WebhookTarget::Log
        );
    }
}
