//! How a cluster process proves itself and whom it lets in: mutual TLS ([`Tls`]), a shared key
//! ([`SharedKey`]), both, or neither on loopback. One value carries both to the three places they
//! act: the connections Ballista opens (through its endpoint hook), the servers NetSentry starts
//! (scheduler and Flight), and the rule that nothing listens beyond this machine unprotected.

use std::net::IpAddr;
use std::sync::Arc;

use ballista_core::extension::EndpointOverrideFn;
use ballista_core::utils::{
    GrpcClientConfig, GrpcServerConfig, create_grpc_client_endpoint, create_grpc_server,
};
use tonic::transport::{Endpoint, Server};

use super::shared_key::{KeyCheck, SharedKey};
use super::tls::Tls;

/// A process's TLS identity and shared key, each optional.
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// Mutual TLS, when given.
    pub tls: Option<Tls>,
    /// The shared key, when given.
    pub key: Option<SharedKey>,
}

/// A cluster process that would listen beyond this machine unprotected.
#[derive(Debug, thiserror::Error)]
#[error(
    "refusing to listen on {bind} without {missing}: anyone who can reach the port could run queries and read the executors' files. Make the files once with `netsentry cluster certs DIR --host <this host>` and give every process --tls DIR --key-file DIR/shared-key, or add --insecure on a network you trust"
)]
pub struct Exposed {
    /// The address asked for.
    pub bind: String,
    /// What is missing: TLS, the key, or both.
    pub missing: &'static str,
}

impl Security {
    /// Whether connections are TLS (`https`).
    pub fn uses_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// What Ballista applies to every connection this process opens (to the scheduler, and to
    /// executors' Flight service for results): TLS with this process's certificate, and the key.
    /// `None` when there is neither, so Ballista's own defaults stand.
    pub fn endpoint_hook(&self) -> Option<EndpointOverrideFn> {
        if self.tls.is_none() && self.key.is_none() {
            return None;
        }
        let security = self.clone();
        Some(Arc::new(move |endpoint: Endpoint| {
            security.secure(endpoint).map_err(Into::into)
        }))
    }

    /// `endpoint` over TLS and carrying the key, as each is given.
    pub fn secure(&self, mut endpoint: Endpoint) -> Result<Endpoint, tonic::transport::Error> {
        if let Some(tls) = &self.tls {
            if endpoint.uri().scheme_str() != Some("https") {
                // Ballista names the scheduler http:// to an executor whatever its TLS setting;
                // tonic only speaks TLS to an https address, so the same address, as https.
                let authority = endpoint
                    .uri()
                    .authority()
                    .map_or_else(String::new, ToString::to_string);
                endpoint = create_grpc_client_endpoint(
                    format!("https://{authority}"),
                    Some(&GrpcClientConfig::default()),
                )?;
            }
            endpoint = endpoint.tls_config(tls.client())?;
        }
        if let Some(key) = &self.key {
            endpoint = endpoint.user_agent(key.header())?;
        }
        Ok(endpoint)
    }

    /// A gRPC server builder with Ballista's settings, serving TLS when given; wrap its services
    /// in [`Self::key_check`].
    pub fn server(&self, config: &GrpcServerConfig) -> Result<Server, tonic::transport::Error> {
        let server = create_grpc_server(config);
        match &self.tls {
            Some(tls) => server.tls_config(tls.server()),
            None => Ok(server),
        }
    }

    /// The check a server runs on every request.
    pub fn key_check(&self) -> KeyCheck {
        KeyCheck::new(self.key.clone())
    }

    /// What this process lacks of TLS and a key, as words for a sentence; `None` with both.
    fn missing(&self) -> Option<&'static str> {
        match (self.tls.is_some(), self.key.is_some()) {
            (true, true) => None,
            (false, true) => Some("TLS"),
            (true, false) => Some("a shared key"),
            (false, false) => Some("TLS and a shared key"),
        }
    }

    /// How this process is protected, for its first line on stderr.
    pub fn describe(&self) -> String {
        match self.missing() {
            None => "mutual TLS and the shared key".to_owned(),
            Some(missing) => format!("without {missing}"),
        }
    }

    /// Ok to listen on `bind`: loopback always; any other address only with TLS and a key, or
    /// when the user said `--insecure` (then it says so on stderr as it starts).
    pub fn allow_listening(&self, bind: &str, insecure: bool) -> Result<(), Exposed> {
        let Some(missing) = self.missing() else {
            return Ok(());
        };
        let loopback = bind.eq_ignore_ascii_case("localhost")
            || bind_address(bind).is_some_and(|address| address.is_loopback());
        if loopback {
            return Ok(());
        }
        if insecure {
            eprintln!(
                "netsentry: --insecure: listening on {bind} without {missing}; anyone who can reach this port is let in. Use it only on a network you trust."
            );
            return Ok(());
        }
        Err(Exposed {
            bind: bind.to_owned(),
            missing,
        })
    }
}

/// `bind` as an IP address (`[::1]` taken as `::1`), or `None` for a host name.
pub fn bind_address(bind: &str) -> Option<IpAddr> {
    bind.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyed() -> Security {
        Security {
            tls: None,
            key: Some(SharedKey::parse("0123456789abcdef", "a test").unwrap()),
        }
    }

    #[test]
    fn nothing_listens_beyond_this_machine_unprotected_unless_asked() {
        for bind in ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"] {
            assert!(
                Security::default().allow_listening(bind, false).is_ok(),
                "{bind}"
            );
        }
        let refused = Security::default()
            .allow_listening("0.0.0.0", false)
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .starts_with("refusing to listen on 0.0.0.0 without TLS and a shared key: "),
            "{refused}"
        );
        let key_only = keyed().allow_listening("10.0.0.5", false).unwrap_err();
        assert_eq!(key_only.missing, "TLS");
        assert!(Security::default().allow_listening("0.0.0.0", true).is_ok());
        assert_eq!(
            Security::default().describe(),
            "without TLS and a shared key"
        );
        assert_eq!(keyed().describe(), "without TLS");
    }

    #[test]
    fn without_tls_an_address_stays_plain_and_without_either_ballista_keeps_its_own() {
        assert!(Security::default().endpoint_hook().is_none());
        let hook = keyed().endpoint_hook().unwrap();
        let endpoint = hook(Endpoint::from_static("http://127.0.0.1:50050")).unwrap();
        assert_eq!(endpoint.uri().scheme_str(), Some("http"));
    }
}
