//! Which dataset and published layout a file comes from, said in the ingest report, so a user sees
//! what NetSentry took each file for and a load that mixes datasets is visible as such.
//!
//! The header decides the layout (each release names or orders its columns its own way). The
//! dataset follows from the layout, except for the improved re-extraction, whose one 91-column
//! layout serves both CIC-IDS 2017 and CSE-CIC-IDS2018, and cleaned copies: there the labels
//! decide, when one of them is particular to a dataset.

use serde::{Deserialize, Serialize};

use super::schema::key;

/// The CIC flow datasets NetSentry knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum DatasetName {
    /// CIC-IDS 2017 (Sharafaldin et al., ICISSP 2018).
    CicIds2017,
    /// CSE-CIC-IDS2018, the AWS release and its improved re-extraction.
    CseCicIds2018,
    /// CIC-DDoS2019 (Sharafaldin et al., ICCST 2019).
    CicDdos2019,
}

impl DatasetName {
    /// The name as the datasets' authors write it.
    pub fn name(self) -> &'static str {
        match self {
            Self::CicIds2017 => "CIC-IDS 2017",
            Self::CseCicIds2018 => "CSE-CIC-IDS2018",
            Self::CicDdos2019 => "CIC-DDoS2019",
        }
    }
}

/// The published layouts: one per release, since each names and orders its columns its own way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Layout {
    /// CIC-IDS 2017's MachineLearningCVE files: 79 columns, no identifiers.
    MachineLearningCve,
    /// CIC-IDS 2017's GeneratedLabelledFlows: MachineLearningCVE plus `Flow ID`, addresses, ports,
    /// protocol and time (85 columns).
    GeneratedLabelledFlows,
    /// Engelen et al.'s improved re-extraction of CIC-IDS 2017 and CSE-CIC-IDS2018 (91 columns,
    /// with `Attempted Category`).
    Improved,
    /// CSE-CIC-IDS2018's AWS release: CICFlowMeter-V3's abbreviated names (`Tot Fwd Pkts`).
    Aws,
    /// CIC-DDoS2019: GeneratedLabelledFlows' names plus a pandas index, `SimillarHTTP` and
    /// `Inbound` (88 columns).
    Ddos2019,
    /// A cleaned or re-exported copy that matches none of the published layouts.
    #[default]
    Other,
}

impl Layout {
    /// The dataset this layout belongs to, where only one uses it.
    fn dataset(self) -> Option<DatasetName> {
        match self {
            Self::MachineLearningCve | Self::GeneratedLabelledFlows => {
                Some(DatasetName::CicIds2017)
            }
            Self::Aws => Some(DatasetName::CseCicIds2018),
            Self::Ddos2019 => Some(DatasetName::CicDdos2019),
            Self::Improved | Self::Other => None,
        }
    }

    /// The layout's name in the report.
    fn name(self) -> &'static str {
        match self {
            Self::MachineLearningCve => "MachineLearningCVE layout",
            Self::GeneratedLabelledFlows => "GeneratedLabelledFlows layout",
            Self::Improved => "improved re-extraction (Engelen et al.)",
            Self::Aws => "AWS layout",
            Self::Ddos2019 => "published layout",
            Self::Other => "cleaned or unknown layout",
        }
    }
}

/// What a file was taken for: its dataset (when known), layout and header shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The dataset, from the layout or the labels; `None` when neither tells.
    pub dataset: Option<DatasetName>,
    /// The published layout the header matches.
    pub layout: Layout,
    /// Whether the headers were lowercased to snake_case (`tot_fwd_pkts`), as some copies of
    /// CSE-CIC-IDS2018 circulate.
    pub snake_case: bool,
}

impl Origin {
    /// Reads the layout from a file's header names (trimmed, as in the file).
    pub fn from_header(names: &[String]) -> Self {
        let keys: Vec<String> = names.iter().map(|name| key(name)).collect();
        let has = |wanted: &str| keys.iter().any(|key| key == wanted);
        let layout = if has("totfwdpkts") {
            Layout::Aws
        } else if has("simillarhttp") || has("inbound") {
            Layout::Ddos2019
        } else if has("attemptedcategory") || has("totaltcpflowtime") {
            Layout::Improved
        } else if has("totalfwdpackets") && has("flowid") && has("sourceip") {
            Layout::GeneratedLabelledFlows
        } else if has("totalfwdpackets") && has("destinationport") && names.len() == 79 {
            Layout::MachineLearningCve
        } else {
            Layout::Other
        };
        let snake_case = names.iter().any(|name| name.contains('_'))
            && layout == Layout::Aws
            && names
                .iter()
                .all(|name| !name.chars().any(|c| c.is_ascii_uppercase() || c == ' '));
        Self {
            dataset: layout.dataset(),
            layout,
            snake_case,
        }
    }

    /// Settles the dataset from the file's labels where the layout alone does not tell.
    pub fn with_labels<'a>(mut self, labels: impl IntoIterator<Item = &'a str>) -> Self {
        if self.dataset.is_none() {
            self.dataset = labels.into_iter().find_map(dataset_of_label);
        }
        self
    }

    /// "CSE-CIC-IDS2018, AWS layout, 80 columns, snake_case headers", as the report says it of a
    /// file with `columns` columns.
    pub fn describe(&self, columns: usize) -> String {
        let dataset = match (self.dataset, self.layout) {
            (Some(dataset), _) => dataset.name(),
            (None, Layout::Improved) => "CIC-IDS 2017 or CSE-CIC-IDS2018 (no label tells which)",
            (None, _) => "CICFlowMeter flows of no known dataset",
        };
        let snake = if self.snake_case {
            ", snake_case headers"
        } else {
            ""
        };
        format!(
            "{dataset}, {}, {columns} columns{snake}",
            self.layout.name()
        )
    }
}

/// The dataset a label belongs to, for the labels only one dataset uses.
fn dataset_of_label(label: &str) -> Option<DatasetName> {
    let key = key(label);
    let is = |marker: &str| key.contains(marker);
    // 2017 wrote password guessing as `FTP-Patator`, 2018 as `FTP-BruteForce`.
    let guessing_2018 =
        key.ends_with("bruteforce") && (key.starts_with("ftp") || key.starts_with("ssh"));
    if is("hoic") || is("loic") || is("ares") || is("nmap") || is("infilteration") || guessing_2018
    {
        Some(DatasetName::CseCicIds2018)
    } else if is("drdos") || ["tftp", "udplag", "webddos", "portmap"].contains(&key.as_str()) {
        Some(DatasetName::CicDdos2019)
    } else if is("patator") || is("heartbleed") || key == "ddos" || key == "portscan" {
        Some(DatasetName::CicIds2017)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(line: &str) -> Vec<String> {
        line.split(',').map(|name| name.trim().to_owned()).collect()
    }

    #[test]
    fn each_published_header_names_its_dataset_and_layout() {
        let shared = "Flow Duration,Total Fwd Packets";
        let cases = [
            (
                format!("Destination Port,{shared}{}", ",x".repeat(75) + ",Label"),
                "CIC-IDS 2017, MachineLearningCVE layout, 79 columns",
            ),
            (
                format!("Flow ID,Source IP,Source Port,Destination IP,{shared},Label"),
                "CIC-IDS 2017, GeneratedLabelledFlows layout, 7 columns",
            ),
            (
                format!("Unnamed: 0,Flow ID,{shared},SimillarHTTP,Inbound,Label"),
                "CIC-DDoS2019, published layout, 7 columns",
            ),
            (
                "Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Label".to_owned(),
                "CSE-CIC-IDS2018, AWS layout, 6 columns",
            ),
            (
                ",dst_port,timestamp,flow_duration,tot_fwd_pkts,label".to_owned(),
                "CSE-CIC-IDS2018, AWS layout, 6 columns, snake_case headers",
            ),
            (
                format!("id,Flow ID,{shared},Label,Attempted Category"),
                "CIC-IDS 2017 or CSE-CIC-IDS2018 (no label tells which), improved re-extraction (Engelen et al.), 6 columns",
            ),
            (
                format!("{shared},Label"),
                "CICFlowMeter flows of no known dataset, cleaned or unknown layout, 3 columns",
            ),
        ];
        for (line, said) in cases {
            let names = header(&line);
            assert_eq!(Origin::from_header(&names).describe(names.len()), said);
        }
    }

    #[test]
    fn labels_settle_the_improved_layouts_dataset() {
        let improved = Origin::from_header(&header("id,Total Fwd Packet,Label,Attempted Category"));
        let of = |labels: &[&str]| improved.with_labels(labels.iter().copied()).dataset;
        assert_eq!(
            of(&["BENIGN", "DDoS-HOIC"]),
            Some(DatasetName::CseCicIds2018)
        );
        assert_eq!(
            of(&["BENIGN", "Botnet Ares"]),
            Some(DatasetName::CseCicIds2018)
        );
        assert_eq!(of(&["SSH-BruteForce"]), Some(DatasetName::CseCicIds2018));
        assert_eq!(of(&["BENIGN", "Portscan"]), Some(DatasetName::CicIds2017));
        assert_eq!(of(&["FTP-Patator"]), Some(DatasetName::CicIds2017));
        assert_eq!(of(&["BENIGN", "DoS Hulk"]), None);
        let aws = Origin::from_header(&header("Tot Fwd Pkts,Label"));
        assert_eq!(
            aws.with_labels(["Portscan"]).dataset,
            Some(DatasetName::CseCicIds2018),
            "the layout decides where it can"
        );
    }
}
