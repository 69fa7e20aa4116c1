//! The cluster's mutual TLS: every process holds a certificate signed by the cluster's own CA and
//! talks only to peers whose certificate that CA signed, in both directions. tonic's rustls
//! support does the work; this module reads the PEM files and says which one is wrong.

use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tonic::transport::{Certificate, ClientTlsConfig, Identity, ServerTlsConfig};

/// Which certificate of a `cluster certs` folder a process presents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A scheduler or an executor: it serves, and also connects to the others.
    Node,
    /// `query --cluster`: it only connects.
    Client,
}

/// The CA's certificate, in every `cluster certs` folder.
pub const CA_FILE: &str = "ca.pem";

impl Role {
    /// This role's certificate and private key in a `cluster certs` folder.
    pub fn files(self) -> (&'static str, &'static str) {
        match self {
            Self::Node => ("node.pem", "node-key.pem"),
            Self::Client => ("client.pem", "client-key.pem"),
        }
    }
}

/// Where a process's TLS files are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFiles {
    /// The cluster CA's certificate: peers must present a certificate it signed.
    pub ca: PathBuf,
    /// This process's certificate.
    pub cert: PathBuf,
    /// This process's private key.
    pub key: PathBuf,
}

impl TlsFiles {
    /// The files `role` uses in a folder written by `cluster certs`.
    pub fn in_folder(folder: &Path, role: Role) -> Self {
        let (cert, key) = role.files();
        Self {
            ca: folder.join(CA_FILE),
            cert: folder.join(cert),
            key: folder.join(key),
        }
    }
}

/// A TLS file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("cannot read the TLS file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file holds no PEM certificate.
    #[error(
        "{} holds no certificate (a PEM block starting -----BEGIN CERTIFICATE-----); `netsentry cluster certs DIR` makes the cluster's files",
        path.display()
    )]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The file holds no PEM private key.
    #[error(
        "{} holds no private key (a PEM block starting -----BEGIN PRIVATE KEY-----); `netsentry cluster certs DIR` makes the cluster's files",
        path.display()
    )]
    NoKey {
        /// The file.
        path: PathBuf,
    },
}

/// A process's loaded TLS files: what it trusts and who it is.
#[derive(Clone, Debug)]
pub struct Tls {
    ca: Certificate,
    identity: Identity,
}

impl Tls {
    /// Reads and checks the three files.
    pub fn load(files: &TlsFiles) -> Result<Self, TlsError> {
        let ca = read(&files.ca)?;
        let cert = read(&files.cert)?;
        let key = read(&files.key)?;
        for (path, text) in [(&files.ca, &ca), (&files.cert, &cert)] {
            if !CertificateDer::pem_slice_iter(text).any(|block| block.is_ok()) {
                return Err(TlsError::NoCertificate { path: path.clone() });
            }
        }
        if PrivateKeyDer::from_pem_slice(&key).is_err() {
            return Err(TlsError::NoKey {
                path: files.key.clone(),
            });
        }
        Ok(Self {
            ca: Certificate::from_pem(ca),
            identity: Identity::from_pem(cert, key),
        })
    }

    /// A server's side: present this process's certificate, and require a client certificate
    /// signed by the cluster's CA.
    pub fn server(&self) -> ServerTlsConfig {
        ServerTlsConfig::new()
            .identity(self.identity.clone())
            .client_ca_root(self.ca.clone())
    }

    /// A client's side: trust only servers the cluster's CA signed (checked against the host
    /// connected to), and present this process's certificate.
    pub fn client(&self) -> ClientTlsConfig {
        ClientTlsConfig::new()
            .ca_certificate(self.ca.clone())
            .identity(self.identity.clone())
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_file_is_named_with_what_it_lacks() {
        let dir = std::env::temp_dir().join(format!("netsentry-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = TlsFiles::in_folder(&dir, Role::Client);
        let missing = Tls::load(&files).unwrap_err();
        assert!(matches!(missing, TlsError::Read { .. }), "{missing}");
        assert!(missing.to_string().contains("ca.pem"), "{missing}");

        std::fs::write(&files.ca, "not a certificate").unwrap();
        std::fs::write(&files.cert, "not a certificate").unwrap();
        std::fs::write(&files.key, "not a key").unwrap();
        let error = Tls::load(&files).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{} holds no certificate (a PEM block starting -----BEGIN CERTIFICATE-----); `netsentry cluster certs DIR` makes the cluster's files",
                files.ca.display()
            )
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
