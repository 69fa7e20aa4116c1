//! `netsentry cluster certs DIR`: the files a cluster needs to run with mutual TLS and a shared
//! key, made in one step: a CA of the cluster's own, a certificate for its nodes (schedulers and
//! executors, naming the hosts they are reached at), one for its clients, and the shared key.

use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::shared_key::SharedKey;
use super::tls::{CA_FILE, Role};

/// The shared key's file in the folder.
pub const KEY_FILE: &str = "shared-key";

/// How long the certificates are valid: a year, after which `cluster certs` makes new ones.
const VALID_DAYS: i64 = 365;

/// The hosts every node certificate names, so a cluster on one machine needs no `--host`.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// Why the files could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CertsError {
    /// The folder already holds a file this would replace.
    #[error(
        "{} already exists; remove the folder's files or choose another folder (replacing them would lock out a cluster that uses them)",
        path.display()
    )]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// A host name cannot go in a certificate.
    #[error("--host {host}: not a host name or IP address a certificate can name ({why})")]
    Host {
        /// The name given.
        host: String,
        /// What rcgen said.
        why: String,
    },
    /// The certificates could not be made.
    #[error("cannot make the certificates: {0}")]
    Make(#[from] rcgen::Error),
    /// The system gave no randomness for the key.
    #[error("cannot make the shared key: {0}")]
    Random(#[from] getrandom::Error),
}

/// What was written, for the command to report.
#[derive(Debug)]
pub struct Written {
    /// The files, in the order written.
    pub files: Vec<PathBuf>,
    /// The hosts the node certificate names.
    pub hosts: Vec<String>,
    /// When the certificates stop being valid.
    pub expires: OffsetDateTime,
}

/// Writes the CA, node and client certificates with their keys, and a shared key, into `folder`
/// (made if missing); the node certificate names `hosts` besides this machine's loopback names.
/// Private keys and the shared key are readable by their owner only.
pub fn write_certs(folder: &Path, hosts: &[String]) -> Result<Written, CertsError> {
    let mut all_hosts: Vec<String> = LOOPBACK.iter().map(|host| (*host).to_owned()).collect();
    for host in hosts {
        CertificateParams::new(vec![host.clone()]).map_err(|error| CertsError::Host {
            host: host.clone(),
            why: error.to_string(),
        })?;
        if !all_hosts.contains(host) {
            all_hosts.push(host.clone());
        }
    }
    let now = OffsetDateTime::now_utc();
    let expires = now + Duration::days(VALID_DAYS);
    let dated = |mut params: CertificateParams, name: &str| {
        // An hour back, so a peer whose clock is a little behind accepts it at once.
        params.not_before = now - Duration::hours(1);
        params.not_after = expires;
        params
            .distinguished_name
            .push(DnType::CommonName, name.to_owned());
        params
    };

    let mut ca_params = dated(CertificateParams::default(), "NetSentry cluster CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    // A node is a server to some peers and a client of others; a client only connects.
    let leaf = |params: CertificateParams, name: &str, usages: Vec<ExtendedKeyUsagePurpose>| {
        let mut params = dated(params, name);
        params.extended_key_usages = usages;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let pair = KeyPair::generate()?;
        Ok::<_, rcgen::Error>((params.signed_by(&pair, &issuer)?, pair))
    };
    let (node, node_pair) = leaf(
        CertificateParams::new(all_hosts.clone())?,
        "NetSentry cluster node",
        vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
    )?;
    let (client, client_pair) = leaf(
        CertificateParams::default(),
        "NetSentry cluster client",
        vec![ExtendedKeyUsagePurpose::ClientAuth],
    )?;

    let key = SharedKey::generate()?;
    let (node_cert, node_key) = Role::Node.files();
    let (client_cert, client_key) = Role::Client.files();
    let contents = [
        (CA_FILE, ca.pem(), false),
        ("ca-key.pem", ca_key.serialize_pem(), true),
        (node_cert, node.pem(), false),
        (node_key, node_pair.serialize_pem(), true),
        (client_cert, client.pem(), false),
        (client_key, client_pair.serialize_pem(), true),
        (KEY_FILE, format!("{}\n", key.as_str()), true),
    ];
    // Nothing is written while any file is already there: a half-replaced folder would lock out a
    // cluster that uses it.
    for (name, _, _) in &contents {
        let path = folder.join(name);
        if path.exists() {
            return Err(CertsError::Exists { path });
        }
    }
    std::fs::create_dir_all(folder).map_err(|source| CertsError::Write {
        path: folder.to_owned(),
        source,
    })?;
    let mut files = Vec::new();
    for (name, text, secret) in contents {
        let path = folder.join(name);
        write_new(&path, text.as_bytes(), secret).map_err(|source| CertsError::Write {
            path: path.clone(),
            source,
        })?;
        files.push(path);
    }
    Ok(Written {
        files,
        hosts: all_hosts,
        expires,
    })
}

/// Writes a file that must not exist yet, readable by its owner only when `secret`.
fn write_new(path: &Path, bytes: &[u8], secret: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::super::tls::{Tls, TlsError, TlsFiles};
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("netsentry-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_folder_holds_usable_files_and_is_never_overwritten() {
        let dir = scratch("certs");
        let written = write_certs(
            &dir,
            &["flows.example.org".to_owned(), "10.0.0.5".to_owned()],
        )
        .unwrap();
        assert_eq!(written.files.len(), 7);
        assert_eq!(
            written.hosts,
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "flows.example.org",
                "10.0.0.5"
            ]
        );
        for role in [Role::Node, Role::Client] {
            Tls::load(&TlsFiles::in_folder(&dir, role)).unwrap();
        }
        let key = std::fs::read_to_string(dir.join(KEY_FILE)).unwrap();
        SharedKey::parse(&key, KEY_FILE).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |name: &str| {
                std::fs::metadata(dir.join(name))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777
            };
            assert_eq!(mode("node-key.pem"), 0o600);
            assert_eq!(mode(KEY_FILE), 0o600);
            assert_eq!(mode(CA_FILE) & 0o600, 0o600);
        }
        let again = write_certs(&dir, &[]).unwrap_err();
        assert!(matches!(again, CertsError::Exists { .. }), "{again}");
        // A key file swapped for a certificate is caught before any connection.
        std::fs::copy(dir.join(CA_FILE), dir.join("client-key.pem")).unwrap();
        let error = Tls::load(&TlsFiles::in_folder(&dir, Role::Client)).unwrap_err();
        assert!(matches!(error, TlsError::NoKey { .. }), "{error}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_host_no_certificate_can_name_is_refused() {
        let dir = scratch("certs-host");
        let error = write_certs(&dir, &["flöws.example.org".to_owned()]).unwrap_err();
        assert!(matches!(error, CertsError::Host { .. }), "{error}");
        assert!(!dir.exists());
    }
}
