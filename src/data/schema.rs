//! What each column of a CICFlowMeter CSV is, whichever dataset and variant the file comes from.
//!
//! CIC-IDS 2017's MachineLearningCVE files (79 columns), GeneratedLabelledFlows (85), the improved
//! 2021 re-extraction (91), CSE-CIC-IDS2018's AWS release (80 or 84 columns of abbreviated names
//! such as `Tot Fwd Pkts`, also seen lowercased to snake_case), CIC-DDoS2019 (88) and cleaned
//! copies name the same flow statistics differently: leading spaces, other case, `Total Fwd
//! Packet` for `Total Fwd Packets`, a duplicated `Fwd Header Length` (or its pandas form `Fwd
//! Header Length.1`). Every header is reduced to a key (lower-case letters and digits), aliases are
//! mapped to one canonical feature named as in MachineLearningCVE, and each column gets a role.

use serde::{Deserialize, Serialize};

/// The flow statistics NetSentry knows, by their MachineLearningCVE names (the improved
/// re-extraction's extra statistics last). The model's features are those present in every file.
pub const KNOWN_FEATURES: &[&str] = &[
    "Flow Duration",
    "Total Fwd Packets",
    "Total Backward Packets",
    "Total Length of Fwd Packets",
    "Total Length of Bwd Packets",
    "Fwd Packet Length Max",
    "Fwd Packet Length Min",
    "Fwd Packet Length Mean",
    "Fwd Packet Length Std",
    "Bwd Packet Length Max",
    "Bwd Packet Length Min",
    "Bwd Packet Length Mean",
    "Bwd Packet Length Std",
    "Flow Bytes/s",
    "Flow Packets/s",
    "Flow IAT Mean",
    "Flow IAT Std",
    "Flow IAT Max",
    "Flow IAT Min",
    "Fwd IAT Total",
    "Fwd IAT Mean",
    "Fwd IAT Std",
    "Fwd IAT Max",
    "Fwd IAT Min",
    "Bwd IAT Total",
    "Bwd IAT Mean",
    "Bwd IAT Std",
    "Bwd IAT Max",
    "Bwd IAT Min",
    "Fwd PSH Flags",
    "Bwd PSH Flags",
    "Fwd URG Flags",
    "Bwd URG Flags",
    "Fwd Header Length",
    "Bwd Header Length",
    "Fwd Packets/s",
    "Bwd Packets/s",
    "Min Packet Length",
    "Max Packet Length",
    "Packet Length Mean",
    "Packet Length Std",
    "Packet Length Variance",
    "FIN Flag Count",
    "SYN Flag Count",
    "RST Flag Count",
    "PSH Flag Count",
    "ACK Flag Count",
    "URG Flag Count",
    "CWE Flag Count",
    "ECE Flag Count",
    "Down/Up Ratio",
    "Average Packet Size",
    "Avg Fwd Segment Size",
    "Avg Bwd Segment Size",
    "Fwd Avg Bytes/Bulk",
    "Fwd Avg Packets/Bulk",
    "Fwd Avg Bulk Rate",
    "Bwd Avg Bytes/Bulk",
    "Bwd Avg Packets/Bulk",
    "Bwd Avg Bulk Rate",
    "Subflow Fwd Packets",
    "Subflow Fwd Bytes",
    "Subflow Bwd Packets",
    "Subflow Bwd Bytes",
    "Init_Win_bytes_forward",
    "Init_Win_bytes_backward",
    "act_data_pkt_fwd",
    "min_seg_size_forward",
    "Active Mean",
    "Active Std",
    "Active Max",
    "Active Min",
    "Idle Mean",
    "Idle Std",
    "Idle Max",
    "Idle Min",
    // Only in the improved 2021 re-extraction.
    "Fwd RST Flags",
    "Bwd RST Flags",
    "ICMP Code",
    "ICMP Type",
    "Total TCP Flow Time",
];

/// How many of [`KNOWN_FEATURES`], from the first, the files of every CIC dataset carry
/// (CIC-IDS 2017 and CSE-CIC-IDS2018 in every layout, CIC-DDoS2019); the improved
/// re-extraction's own statistics come after them.
pub const SHARED_FEATURES: usize = 76;

/// Other variants' names for a known feature: (their key, the canonical name).
const ALIASES: &[(&str, &str)] = &[
    ("totalfwdpacket", "Total Fwd Packets"),
    ("totalbwdpackets", "Total Backward Packets"),
    ("totalbwdpacket", "Total Backward Packets"),
    ("totallengthoffwdpacket", "Total Length of Fwd Packets"),
    ("totallengthofbwdpacket", "Total Length of Bwd Packets"),
    ("fwdpacketslength", "Total Length of Fwd Packets"),
    ("packetlengthmin", "Min Packet Length"),
    ("packetlengthmax", "Max Packet Length"),
    ("cwrflagcount", "CWE Flag Count"),
    ("fwdsegmentsizeavg", "Avg Fwd Segment Size"),
    ("bwdsegmentsizeavg", "Avg Bwd Segment Size"),
    ("fwdbytesbulkavg", "Fwd Avg Bytes/Bulk"),
    ("fwdpacketbulkavg", "Fwd Avg Packets/Bulk"),
    ("fwdbulkrateavg", "Fwd Avg Bulk Rate"),
    ("bwdbytesbulkavg", "Bwd Avg Bytes/Bulk"),
    ("bwdpacketbulkavg", "Bwd Avg Packets/Bulk"),
    ("bwdbulkrateavg", "Bwd Avg Bulk Rate"),
    ("fwdinitwinbytes", "Init_Win_bytes_forward"),
    ("bwdinitwinbytes", "Init_Win_bytes_backward"),
    ("fwdactdatapkts", "act_data_pkt_fwd"),
    ("fwdsegsizemin", "min_seg_size_forward"),
    // CSE-CIC-IDS2018's AWS release (CICFlowMeter-V3): `Tot Fwd Pkts`, `Flow Byts/s`, … (their
    // snake_case copies, `tot_fwd_pkts`, reduce to the same keys).
    ("totfwdpkts", "Total Fwd Packets"),
    ("totbwdpkts", "Total Backward Packets"),
    ("totlenfwdpkts", "Total Length of Fwd Packets"),
    ("totlenbwdpkts", "Total Length of Bwd Packets"),
    ("fwdpktlenmax", "Fwd Packet Length Max"),
    ("fwdpktlenmin", "Fwd Packet Length Min"),
    ("fwdpktlenmean", "Fwd Packet Length Mean"),
    ("fwdpktlenstd", "Fwd Packet Length Std"),
    ("bwdpktlenmax", "Bwd Packet Length Max"),
    ("bwdpktlenmin", "Bwd Packet Length Min"),
    ("bwdpktlenmean", "Bwd Packet Length Mean"),
    ("bwdpktlenstd", "Bwd Packet Length Std"),
    ("flowbytss", "Flow Bytes/s"),
    ("flowpktss", "Flow Packets/s"),
    ("fwdiattot", "Fwd IAT Total"),
    ("bwdiattot", "Bwd IAT Total"),
    ("fwdheaderlen", "Fwd Header Length"),
    ("bwdheaderlen", "Bwd Header Length"),
    ("fwdpktss", "Fwd Packets/s"),
    ("bwdpktss", "Bwd Packets/s"),
    ("pktlenmin", "Min Packet Length"),
    ("pktlenmax", "Max Packet Length"),
    ("pktlenmean", "Packet Length Mean"),
    ("pktlenstd", "Packet Length Std"),
    ("pktlenvar", "Packet Length Variance"),
    ("finflagcnt", "FIN Flag Count"),
    ("synflagcnt", "SYN Flag Count"),
    ("rstflagcnt", "RST Flag Count"),
    ("pshflagcnt", "PSH Flag Count"),
    ("ackflagcnt", "ACK Flag Count"),
    ("urgflagcnt", "URG Flag Count"),
    ("eceflagcnt", "ECE Flag Count"),
    ("pktsizeavg", "Average Packet Size"),
    ("fwdsegsizeavg", "Avg Fwd Segment Size"),
    ("bwdsegsizeavg", "Avg Bwd Segment Size"),
    ("fwdbytsbavg", "Fwd Avg Bytes/Bulk"),
    ("fwdpktsbavg", "Fwd Avg Packets/Bulk"),
    ("fwdblkrateavg", "Fwd Avg Bulk Rate"),
    ("bwdbytsbavg", "Bwd Avg Bytes/Bulk"),
    ("bwdpktsbavg", "Bwd Avg Packets/Bulk"),
    ("bwdblkrateavg", "Bwd Avg Bulk Rate"),
    ("subflowfwdpkts", "Subflow Fwd Packets"),
    ("subflowfwdbyts", "Subflow Fwd Bytes"),
    ("subflowbwdpkts", "Subflow Bwd Packets"),
    ("subflowbwdbyts", "Subflow Bwd Bytes"),
    ("initfwdwinbyts", "Init_Win_bytes_forward"),
    ("initbwdwinbyts", "Init_Win_bytes_backward"),
];

/// Columns that identify a flow or say when it happened: never features, because a model that
/// learns addresses or clock times learns the capture, not the traffic.
const IDENTIFIERS: &[&str] = &[
    // A pandas index written without a name: CIC-DDoS2019's `Unnamed: 0`, or an empty header.
    "",
    "id",
    "unnamed0",
    "flowid",
    "srcip",
    "sourceip",
    "dstip",
    "destinationip",
    "timestamp",
    "attemptedcategory",
    "simillarhttp",
    "similarhttp",
    // CIC-DDoS2019: whether the flow entered the victims' network, known from the addresses.
    "inbound",
];

/// Port columns: identifiers of a service rather than flow behaviour; features only on request.
const PORTS: &[&str] = &["srcport", "sourceport", "dstport", "destinationport"];

/// What a column is used for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// A flow statistic, under its canonical name.
    Feature(String),
    /// The label column.
    Label,
    /// A port or the protocol number: a feature only when the user asks for it.
    PortOrProtocol(String),
    /// Identifier or time column, never a feature.
    Identifier,
    /// A second copy of a feature already read from an earlier column.
    Duplicate(String),
    /// A column NetSentry does not know.
    Unknown,
}

/// The roles of one file's columns, in header order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schema {
    /// Each column's trimmed header and role.
    pub columns: Vec<(String, Role)>,
}

impl Schema {
    /// Reads a header row. `ports_as_features` turns port and protocol columns into features.
    pub fn from_header<'a>(
        headers: impl IntoIterator<Item = &'a str>,
        ports_as_features: bool,
    ) -> Self {
        let mut columns: Vec<(String, Role)> = Vec::new();
        for header in headers {
            let header = header.trim().trim_start_matches('\u{feff}').trim();
            let mut role = classify(header);
            if ports_as_features && let Role::PortOrProtocol(name) = &role {
                role = Role::Feature(name.clone());
            }
            if let Role::Feature(name) = &role
                && columns
                    .iter()
                    .any(|(_, seen)| matches!(seen, Role::Feature(other) if other == name))
            {
                role = Role::Duplicate(name.clone());
            }
            columns.push((header.to_owned(), role));
        }
        Self { columns }
    }

    /// The index of the label column, if there is one.
    pub fn label_column(&self) -> Option<usize> {
        self.columns
            .iter()
            .position(|(_, role)| *role == Role::Label)
    }

    /// The features this file provides, in column order: (column index, canonical name).
    pub fn features(&self) -> impl Iterator<Item = (usize, &str)> {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(index, (_, role))| match role {
                Role::Feature(name) => Some((index, name.as_str())),
                _ => None,
            })
    }
}

/// The lower-case letters and digits of a header, without a pandas `.N` duplicate suffix.
pub fn key(header: &str) -> String {
    let header = header.trim();
    let header = match header.rsplit_once('.') {
        Some((stem, suffix))
            if !suffix.is_empty() && suffix.bytes().all(|byte| byte.is_ascii_digit()) =>
        {
            stem
        }
        _ => header,
    };
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect()
}

fn classify(header: &str) -> Role {
    let key = key(header);
    if key == "label" {
        return Role::Label;
    }
    if IDENTIFIERS.contains(&key.as_str()) {
        return Role::Identifier;
    }
    if PORTS.contains(&key.as_str()) || key == "protocol" {
        return Role::PortOrProtocol(canonical_port_name(&key).to_owned());
    }
    if let Some(name) = KNOWN_FEATURES.iter().find(|name| self::key(name) == key) {
        return Role::Feature((*name).to_owned());
    }
    if let Some((_, name)) = ALIASES.iter().find(|(alias, _)| *alias == key) {
        return Role::Feature((*name).to_owned());
    }
    Role::Unknown
}

fn canonical_port_name(key: &str) -> &'static str {
    match key {
        "srcport" | "sourceport" => "Source Port",
        "dstport" | "destinationport" => "Destination Port",
        _ => "Protocol",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_spacing_punctuation_and_pandas_suffixes() {
        assert_eq!(key(" Fwd Header Length"), "fwdheaderlength");
        assert_eq!(key("Fwd Header Length.1"), "fwdheaderlength");
        assert_eq!(key("Flow Bytes/s"), "flowbytess");
        assert_eq!(key("Init_Win_bytes_forward"), "initwinbytesforward");
    }

    #[test]
    fn machine_learning_cve_duplicate_is_kept_once() {
        let schema = Schema::from_header(
            [
                " Destination Port",
                " Fwd Header Length",
                "Fwd Header Length",
                " Label",
            ],
            false,
        );
        assert_eq!(
            schema.columns,
            vec![
                (
                    "Destination Port".into(),
                    Role::PortOrProtocol("Destination Port".into())
                ),
                (
                    "Fwd Header Length".into(),
                    Role::Feature("Fwd Header Length".into())
                ),
                (
                    "Fwd Header Length".into(),
                    Role::Duplicate("Fwd Header Length".into())
                ),
                ("Label".into(), Role::Label),
            ]
        );
        assert_eq!(schema.label_column(), Some(3));
    }

    #[test]
    fn improved_names_map_to_the_canonical_features() {
        let schema = Schema::from_header(
            [
                "id",
                "Flow ID",
                "Src IP",
                "Src Port",
                "Protocol",
                "Timestamp",
                "Total Fwd Packet",
                "Total Bwd packets",
                "FWD Init Win Bytes",
                "Label",
                "Attempted Category",
            ],
            false,
        );
        let features: Vec<&str> = schema.features().map(|(_, name)| name).collect();
        assert_eq!(
            features,
            [
                "Total Fwd Packets",
                "Total Backward Packets",
                "Init_Win_bytes_forward"
            ]
        );
        assert_eq!(schema.columns[0].1, Role::Identifier);
        assert_eq!(schema.columns[10].1, Role::Identifier);
    }

    #[test]
    fn ports_and_protocol_become_features_on_request() {
        let schema = Schema::from_header(["Dst Port", "Protocol", "label"], true);
        let features: Vec<&str> = schema.features().map(|(_, name)| name).collect();
        assert_eq!(features, ["Destination Port", "Protocol"]);
    }

    #[test]
    fn every_alias_names_a_known_feature() {
        for (alias, name) in ALIASES {
            assert!(KNOWN_FEATURES.contains(name), "{alias} -> {name}");
            assert_eq!(classify(alias), Role::Feature((*name).to_owned()));
        }
    }

    #[test]
    fn the_shared_features_end_where_the_improved_ones_begin() {
        assert_eq!(KNOWN_FEATURES[SHARED_FEATURES - 1], "Idle Min");
        assert_eq!(KNOWN_FEATURES[SHARED_FEATURES], "Fwd RST Flags");
    }

    #[test]
    fn known_feature_keys_are_distinct() {
        let mut keys: Vec<String> = KNOWN_FEATURES.iter().map(|name| key(name)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), KNOWN_FEATURES.len());
    }
}
