//! Labels as published, and the attack family each belongs to.
//!
//! The Thursday Web Attacks file writes `Web Attack – XSS` with the cp1252 byte 0x96 for the en
//! dash, so label bytes that are not UTF-8 are decoded as Windows-1252. Labels stay as published
//! (cleaned copies group them, e.g. `DoS` or `WebAttack`); the family groups them for per-class
//! tables. Label text is data: the app renders it as text, never as markup.

use serde::{Deserialize, Serialize};

/// The attack families of CIC-IDS 2017 and CSE-CIC-IDS2018 (which repeats 2017's attacks under
/// other names), CIC-DDoS2019's two kinds of DDoS, and `Other` for labels NetSentry does not
/// recognise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Family {
    /// Normal traffic: what the autoencoder learns.
    Benign,
    /// Denial of service from one host (Hulk, GoldenEye, slowloris, Slowhttptest).
    Dos,
    /// Distributed denial of service (LOIC).
    Ddos,
    /// Port scans.
    PortScan,
    /// Botnet traffic (Ares).
    Bot,
    /// Web attacks: brute force, XSS, SQL injection.
    WebAttack,
    /// FTP-Patator and SSH-Patator password guessing.
    BruteForce,
    /// Infiltration from inside the network.
    Infiltration,
    /// The Heartbleed exploit.
    Heartbleed,
    /// CIC-DDoS2019's reflection attacks: spoofed requests to third-party servers (DNS, LDAP,
    /// MSSQL, NetBIOS, NTP, SNMP, SSDP, TFTP, Portmap, …) whose larger answers flood the victim.
    ReflectionDdos,
    /// CIC-DDoS2019's exploitation attacks: floods sent straight at the victim (SYN, UDP,
    /// UDP-lag, WebDDoS).
    ExploitationDdos,
    /// Flows nobody labelled: a file without a `Label` column, or CICFlowMeter's default label
    /// `NeedManualLabel`. An analyst's own traffic; taken as normal, like BENIGN, for training.
    Unlabelled,
    /// A label that is none of the above.
    Other,
}

impl Family {
    /// Every family, in table order.
    pub const ALL: [Family; 13] = [
        Family::Benign,
        Family::Dos,
        Family::Ddos,
        Family::PortScan,
        Family::Bot,
        Family::WebAttack,
        Family::BruteForce,
        Family::Infiltration,
        Family::Heartbleed,
        Family::ReflectionDdos,
        Family::ExploitationDdos,
        Family::Unlabelled,
        Family::Other,
    ];

    /// The family of a published or cleaned-up label.
    pub fn of(label: &str) -> Family {
        let key: String = label
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|character| character.to_ascii_lowercase())
            .collect();
        // Order matters: "webattackbruteforce" and 2018's "bruteforceweb" are web attacks, "ddos"
        // is not "dos", "drdosdns" is not "dos".
        if key == "benign" || key == "normal" {
            Family::Benign
        } else if key == UNLABELLED || key == "needmanuallabel" {
            Family::Unlabelled
        } else if key.starts_with("webattack")
            || key == "bruteforceweb"
            || key == "bruteforcexss"
            || key == "sqlinjection"
        {
            Family::WebAttack
        } else if key.starts_with("drdos") || REFLECTION.contains(&key.as_str()) {
            Family::ReflectionDdos
        } else if EXPLOITATION.contains(&key.as_str()) {
            Family::ExploitationDdos
        } else if key.starts_with("ddos") {
            Family::Ddos
        } else if key.starts_with("dos") {
            Family::Dos
        } else if key.starts_with("portscan") {
            Family::PortScan
        } else if key.starts_with("bot") {
            Family::Bot
        } else if key.contains("patator") || key.contains("bruteforce") {
            Family::BruteForce
        } else if key.starts_with("infiltration") || key.starts_with("infilteration") {
            Family::Infiltration
        } else if key.starts_with("heartbleed") {
            Family::Heartbleed
        } else {
            Family::Other
        }
    }

    /// The name shown in tables.
    pub fn name(self) -> &'static str {
        match self {
            Family::Benign => "BENIGN",
            Family::Dos => "DoS",
            Family::Ddos => "DDoS",
            Family::PortScan => "PortScan",
            Family::Bot => "Bot",
            Family::WebAttack => "Web Attack",
            Family::BruteForce => "Brute Force",
            Family::Infiltration => "Infiltration",
            Family::Heartbleed => "Heartbleed",
            Family::ReflectionDdos => "Reflection DDoS",
            Family::ExploitationDdos => "Exploitation DDoS",
            Family::Unlabelled => "Unlabelled",
            Family::Other => "Other",
        }
    }

    /// Whether flows of this family are attacks: not BENIGN, and labelled.
    pub fn is_attack(self) -> bool {
        !matches!(self, Family::Benign | Family::Unlabelled)
    }
}

/// The label the flows of a file without a `Label` column get.
pub const UNLABELLED: &str = "unlabelled";

/// CIC-DDoS2019's reflection attacks named by protocol alone (its testing day's labels, and the
/// training day's `TFTP`); the training day's other ones are `DrDoS_<protocol>`.
const REFLECTION: &[&str] = &[
    "dns", "ldap", "mssql", "netbios", "ntp", "snmp", "ssdp", "tftp", "portmap", "chargen",
];

/// CIC-DDoS2019's exploitation attacks (`UDPLag` is how its file names write `UDP-lag`).
const EXPLOITATION: &[&str] = &["syn", "udp", "udplag", "webddos"];

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A label's text from its raw bytes: UTF-8 when valid, else Windows-1252; trimmed.
pub fn decode(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim().to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .trim()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cp1252_en_dash_is_decoded() {
        assert_eq!(decode(b"Web Attack \x96 XSS"), "Web Attack \u{2013} XSS");
        assert_eq!(decode("Web Attack – XSS".as_bytes()), "Web Attack – XSS");
        assert_eq!(decode(b" BENIGN\r"), "BENIGN");
    }

    #[test]
    fn unlabelled_flows_are_normal_and_the_new_families_are_attacks() {
        assert!(!Family::of("NeedManualLabel").is_attack());
        assert!(!Family::of(UNLABELLED).is_attack());
        assert!(!Family::of("Benign").is_attack());
        for label in ["DrDoS_DNS", "Syn", "Infilteration", "Brute Force -XSS"] {
            assert!(Family::of(label).is_attack(), "{label}");
        }
    }

    #[test]
    fn published_and_grouped_labels_find_their_family() {
        let cases = [
            ("BENIGN", Family::Benign),
            ("DDoS", Family::Ddos),
            ("DoS Hulk", Family::Dos),
            ("DoS slowloris", Family::Dos),
            ("DoS", Family::Dos),
            ("DoS Hulk - Attempted", Family::Dos),
            ("PortScan", Family::PortScan),
            ("Portscan", Family::PortScan),
            ("Bot", Family::Bot),
            ("Web Attack \u{2013} Brute Force", Family::WebAttack),
            ("Web Attack \u{2013} Sql Injection", Family::WebAttack),
            ("WebAttack", Family::WebAttack),
            ("FTP-Patator", Family::BruteForce),
            ("SSH-Patator", Family::BruteForce),
            ("BruteForce", Family::BruteForce),
            ("Infiltration", Family::Infiltration),
            ("Heartbleed", Family::Heartbleed),
            ("<img src=x onerror=alert(1)>", Family::Other),
            // CSE-CIC-IDS2018 as published (AWS release), `Infilteration` sic.
            ("Benign", Family::Benign),
            ("FTP-BruteForce", Family::BruteForce),
            ("SSH-Bruteforce", Family::BruteForce),
            ("DoS attacks-GoldenEye", Family::Dos),
            ("DoS attacks-SlowHTTPTest", Family::Dos),
            ("DDoS attacks-LOIC-HTTP", Family::Ddos),
            ("DDOS attack-HOIC", Family::Ddos),
            ("DDOS attack-LOIC-UDP", Family::Ddos),
            ("Brute Force -Web", Family::WebAttack),
            ("Brute Force -XSS", Family::WebAttack),
            ("SQL Injection", Family::WebAttack),
            ("Infilteration", Family::Infiltration),
            // The improved CSE-CIC-IDS2018.
            ("DDoS-HOIC", Family::Ddos),
            ("DDoS-LOIC-UDP", Family::Ddos),
            ("Botnet Ares", Family::Bot),
            ("SSH-BruteForce", Family::BruteForce),
            ("Infiltration - NMAP Portscan", Family::Infiltration),
            // CIC-DDoS2019, both days.
            ("DrDoS_DNS", Family::ReflectionDdos),
            ("DrDoS_NetBIOS", Family::ReflectionDdos),
            ("TFTP", Family::ReflectionDdos),
            ("Portmap", Family::ReflectionDdos),
            ("MSSQL", Family::ReflectionDdos),
            ("LDAP", Family::ReflectionDdos),
            ("NetBIOS", Family::ReflectionDdos),
            ("Syn", Family::ExploitationDdos),
            ("UDP", Family::ExploitationDdos),
            ("UDP-lag", Family::ExploitationDdos),
            ("UDPLag", Family::ExploitationDdos),
            ("WebDDoS", Family::ExploitationDdos),
            // Nobody's label: a file without the column, or CICFlowMeter's default.
            (UNLABELLED, Family::Unlabelled),
            ("NeedManualLabel", Family::Unlabelled),
        ];
        for (label, family) in cases {
            assert_eq!(Family::of(label), family, "{label}");
        }
    }
}
