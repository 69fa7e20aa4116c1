//! The cluster's shared key: a secret every scheduler, executor and client of one cluster holds,
//! sent with every request and checked by every server, so a process that can reach a port but
//! was not given the key is turned away (Spark's `spark.authenticate`).
//!
//! The key travels in the `user-agent` header. Ballista 55 lets us shape each connection it opens
//! (to the scheduler, and to executors for results) only through tonic's `Endpoint`, and the one
//! header an `Endpoint` sets on every request is `user-agent`; tonic appends its own name to ours
//! (`netsentry-key/KEY tonic/0.14.9`). Under TLS the header is encrypted like the rest.

use std::path::{Path, PathBuf};

use subtle::ConstantTimeEq;
use tonic::{Request, Status};

/// The environment variable a key can come from (never the command line: `ps` would show it).
pub const KEY_VARIABLE: &str = "NETSENTRY_CLUSTER_KEY";

/// The fewest characters a key may have: 16 random characters are beyond guessing over a network.
const SHORTEST: usize = 16;

/// What marks the key in the header, before the key itself.
const MARK: &str = "netsentry-key/";

/// A key that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read.
    #[error("cannot read the shared key from {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The key is too short to keep anyone out.
    #[error(
        "the shared key from {from} has {length} characters; give at least {SHORTEST} (`netsentry cluster certs` writes one of 64)"
    )]
    Short {
        /// The file or the environment variable.
        from: String,
        /// Its length.
        length: usize,
    },
    /// The key holds a character a header cannot carry.
    #[error(
        "the shared key from {from} holds a space or a character outside printable ASCII; use letters, digits and punctuation, as `openssl rand -hex 32` prints"
    )]
    Unprintable {
        /// The file or the environment variable.
        from: String,
    },
}

/// A cluster's shared key, checked to be usable in a header.
#[derive(Clone)]
pub struct SharedKey(String);

impl std::fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedKey(hidden)")
    }
}

impl SharedKey {
    /// The key in `file` (surrounding white space ignored) when one is given, otherwise the one in
    /// [`KEY_VARIABLE`], otherwise none.
    pub fn load(file: Option<&Path>) -> Result<Option<Self>, KeyError> {
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
                path: path.to_owned(),
                source,
            })?;
            return Self::parse(&text, &path.display().to_string()).map(Some);
        }
        match std::env::var(KEY_VARIABLE) {
            Ok(text) => Self::parse(&text, KEY_VARIABLE).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Checks a key's text; `from` names where it came from, for the message.
    pub fn parse(text: &str, from: &str) -> Result<Self, KeyError> {
        let key = text.trim();
        if !key.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(KeyError::Unprintable {
                from: from.to_owned(),
            });
        }
        if key.len() < SHORTEST {
            return Err(KeyError::Short {
                from: from.to_owned(),
                length: key.len(),
            });
        }
        Ok(Self(key.to_owned()))
    }

    /// A fresh key of 64 hexadecimal digits from the system's random source, for `cluster certs`.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0_u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Self(
            bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
        ))
    }

    /// The key's text, for writing it to a file.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `user-agent` value a client sends.
    pub fn header(&self) -> String {
        format!("{MARK}{}", self.0)
    }
}

/// The check every server of the cluster runs on every request: with a key, a request must carry
/// it; without one, every request passes (a loopback-only or `--insecure` cluster).
#[derive(Clone, Debug)]
pub struct KeyCheck(Option<SharedKey>);

impl KeyCheck {
    /// The check for a server holding `key`.
    pub fn new(key: Option<SharedKey>) -> Self {
        Self(key)
    }
}

impl tonic::service::Interceptor for KeyCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(key) = &self.0 else {
            return Ok(request);
        };
        let sent = request
            .metadata()
            .get("user-agent")
            .and_then(|value| value.to_str().ok())
            .and_then(|agent| {
                agent
                    .split_ascii_whitespace()
                    .find_map(|word| word.strip_prefix(MARK))
            });
        match sent {
            None => Err(Status::unauthenticated(format!(
                "this NetSentry cluster needs its shared key and the request carried none; give the key the scheduler was started with (--key-file FILE or {KEY_VARIABLE})"
            ))),
            Some(sent) if bool::from(sent.as_bytes().ct_eq(key.0.as_bytes())) => Ok(request),
            Some(_) => Err(Status::unauthenticated(
                "the shared key sent does not match this NetSentry cluster's; give the key the scheduler was started with",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic::service::Interceptor;

    use super::*;

    fn request(agent: Option<&str>) -> Request<()> {
        let mut request = Request::new(());
        if let Some(agent) = agent {
            request
                .metadata_mut()
                .insert("user-agent", agent.parse().unwrap());
        }
        request
    }

    #[test]
    fn a_server_with_a_key_lets_in_only_requests_that_carry_it() {
        let key = SharedKey::parse("0123456789abcdef-secret", "a test").unwrap();
        let mut check = KeyCheck::new(Some(key.clone()));
        let sent = format!("{} tonic/0.14.9", key.header());
        assert!(check.call(request(Some(&sent))).is_ok());
        let missing = check.call(request(Some("tonic/0.14.9"))).unwrap_err();
        assert_eq!(missing.code(), tonic::Code::Unauthenticated);
        assert!(missing.message().contains("carried none"), "{missing}");
        assert!(check.call(request(None)).is_err());
        let wrong = check
            .call(request(Some(
                "netsentry-key/0123456789abcdef-secreT tonic/0.14.9",
            )))
            .unwrap_err();
        assert!(wrong.message().contains("does not match"), "{wrong}");
        // A prefix of the key is not the key.
        assert!(
            check
                .call(request(Some("netsentry-key/0123456789abcdef")))
                .is_err()
        );
        // Without a key, everyone is let in.
        assert!(KeyCheck::new(None).call(request(None)).is_ok());
    }

    #[test]
    fn a_key_that_cannot_keep_anyone_out_or_cannot_travel_is_refused_with_why() {
        let short = SharedKey::parse("hunter2\n", "key.txt").unwrap_err();
        assert_eq!(
            short.to_string(),
            "the shared key from key.txt has 7 characters; give at least 16 (`netsentry cluster certs` writes one of 64)"
        );
        let spaced = SharedKey::parse("correct horse battery staple", "key.txt").unwrap_err();
        assert!(matches!(spaced, KeyError::Unprintable { .. }), "{spaced}");
        assert!(SharedKey::parse("é0123456789abcdef", "key.txt").is_err());
        let key = SharedKey::parse("  0123456789abcdef\n", "key.txt").unwrap();
        assert_eq!(key.as_str(), "0123456789abcdef");
        assert_eq!(format!("{key:?}"), "SharedKey(hidden)");
    }

    #[test]
    fn generated_keys_are_long_fresh_and_usable() {
        let first = SharedKey::generate().unwrap();
        let second = SharedKey::generate().unwrap();
        assert_eq!(first.as_str().len(), 64);
        assert_ne!(first.as_str(), second.as_str());
        SharedKey::parse(first.as_str(), "generated").unwrap();
    }
}
