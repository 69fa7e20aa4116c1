//! The header line: which dataset and layout a file is, which of its columns become features (in
//! the same order in every file of a load), which is the label, and which decide duplicates.

use super::lines::Fields;
use super::{Ingest, error};
use crate::data::error::{ErrorKind, IngestError};
use crate::data::label::{self};
use crate::data::layout::Origin;
use crate::data::number::trim;
use crate::data::report::{ExcludedColumn, MissingCounts};
use crate::data::schema::{KNOWN_FEATURES, Role, SHARED_FEATURES, Schema};

/// What the header told us about a file's columns.
pub(super) struct Header {
    pub(super) fields: usize,
    /// The label column; `None` for a file of unlabelled flows.
    pub(super) label: Option<usize>,
    /// (column in the file, column in the dataset) for each feature the dataset keeps.
    pub(super) features: Vec<(usize, usize)>,
    /// The columns whose text decides whether two rows are duplicates (all but identifiers,
    /// time and second copies), as runs of adjacent columns: (first, last).
    pub(super) identity_runs: Vec<(usize, usize)>,
    pub(super) names: Vec<String>,
    /// The dataset and layout the header matches.
    pub(super) origin: Origin,
}

/// Whether a row repeats the header line, field for field.
pub(super) fn is_header_again(header: &Header, fields: Fields<'_>) -> bool {
    fields.len() == header.fields
        && fields
            .iter()
            .zip(&header.names)
            .all(|(field, name)| trim(field) == name.trim_start_matches('\u{feff}').as_bytes())
}

impl Ingest {
    pub(super) fn read_header(
        &mut self,
        name: &str,
        fields: Fields<'_>,
    ) -> Result<Header, IngestError> {
        let names: Vec<String> = fields
            .iter()
            .map(|field| String::from_utf8_lossy(field).trim().to_owned())
            .collect();
        if names.iter().all(String::is_empty) {
            return Err(error(name, None, None, ErrorKind::Empty));
        }
        if names.len() == 1
            && let Some(found) = ['\t', ';', '|']
                .into_iter()
                .find(|sep| names[0].contains(*sep))
        {
            return Err(error(
                name,
                Some(1),
                None,
                ErrorKind::WrongDelimiter { found },
            ));
        }
        let schema = Schema::from_header(
            names.iter().map(String::as_str),
            self.options.ports_as_features,
        );
        let label = schema.label_column();
        let improved_only = &KNOWN_FEATURES[SHARED_FEATURES..];
        let (offered, extra): (Vec<_>, Vec<_>) = schema.features().partition(|(_, feature)| {
            !self.options.shared_features_only || !improved_only.contains(feature)
        });
        for (column, _) in extra {
            self.exclude(
                name,
                &names[column],
                "not among the statistics every CIC dataset shares (shared features only)",
            );
        }
        if offered.is_empty() {
            return Err(error(name, Some(1), None, ErrorKind::NoFeatures));
        }
        if label.is_none() {
            self.report.warnings.push(format!(
                "{name} has no Label column: its flows are loaded as \"{}\"",
                label::UNLABELLED
            ));
        }
        for (column, role) in &schema.columns {
            let reason = match role {
                Role::Identifier => "identifier, time or annotation, not flow behaviour",
                Role::PortOrProtocol(_) => "port or protocol; a feature only when asked for",
                Role::Duplicate(_) => "a second copy of an earlier column",
                Role::Unknown => "not a known CICFlowMeter statistic",
                Role::Feature(_) | Role::Label => continue,
            };
            self.exclude(name, column, reason);
        }
        let first_file = self.report.files.is_empty() && self.features.is_empty();
        if first_file {
            self.features = offered
                .iter()
                .map(|(_, feature)| (*feature).to_owned())
                .collect();
            self.columns = vec![Vec::new(); self.features.len()];
            self.missing = vec![MissingCounts::default(); self.features.len()];
        } else {
            self.align(name, &offered)?;
        }
        let features = self
            .features
            .iter()
            .enumerate()
            .map(|(index, feature)| {
                let column = offered
                    .iter()
                    .find(|(_, offered)| offered == feature)
                    .map(|(column, _)| *column)
                    .expect("aligned above");
                (column, index)
            })
            .collect();
        let mut identity_runs: Vec<(usize, usize)> = Vec::new();
        for (column, (_, role)) in schema.columns.iter().enumerate() {
            if matches!(role, Role::Identifier | Role::Duplicate(_)) {
                continue;
            }
            match identity_runs.last_mut() {
                Some((_, last)) if *last + 1 == column => *last = column,
                _ => identity_runs.push((column, column)),
            }
        }
        Ok(Header {
            fields: names.len(),
            label,
            features,
            identity_runs,
            origin: Origin::from_header(&names),
            names,
        })
    }

    /// Keeps only the features this file shares with the earlier ones, and says which went.
    pub(super) fn align(
        &mut self,
        name: &str,
        offered: &[(usize, &str)],
    ) -> Result<(), IngestError> {
        let earlier = self
            .report
            .files
            .first()
            .map_or_else(String::new, |file| file.name.clone());
        let keep: Vec<bool> = self
            .features
            .iter()
            .map(|feature| offered.iter().any(|(_, offered)| offered == feature))
            .collect();
        if !keep.contains(&true) {
            return Err(error(
                name,
                Some(1),
                None,
                ErrorKind::NoCommonFeatures { with: earlier },
            ));
        }
        for (_, feature) in offered {
            if !self.features.iter().any(|kept| kept == feature) {
                self.exclude(name, feature, "not in the files loaded before it");
            }
        }
        let mut index = 0;
        let mut dropped = Vec::new();
        self.features.retain(|feature| {
            let kept = keep[index];
            index += 1;
            if !kept {
                dropped.push(feature.clone());
            }
            kept
        });
        for feature in dropped {
            self.exclude(&earlier, &feature, &format!("not in {name}"));
        }
        let mut index = 0;
        self.columns.retain(|_| {
            index += 1;
            keep[index - 1]
        });
        let mut index = 0;
        self.missing.retain(|_| {
            index += 1;
            keep[index - 1]
        });
        Ok(())
    }

    pub(super) fn exclude(&mut self, file: &str, column: &str, reason: &str) {
        self.report.excluded.push(ExcludedColumn {
            file: file.to_owned(),
            column: column.to_owned(),
            reason: reason.to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use crate::data::error::ErrorKind;
    use crate::data::ingest::fixture::{HEADER, counts, fails, load, load_one};
    use crate::data::ingest::{IngestOptions, ingest_readers};

    #[test]
    fn semicolon_separated() {
        let error = fails(b"Flow Duration;Total Fwd Packets;Label\n1;2;BENIGN\n");
        assert_eq!(error.kind, ErrorKind::WrongDelimiter { found: ';' });
        assert_eq!(error.line, Some(1));
        assert!(error.to_string().contains("semicolons rather than commas"));
    }

    #[test]
    fn tab_separated() {
        let error = fails(b"Flow Duration\tLabel\n1\tBENIGN\n");
        assert_eq!(error.kind, ErrorKind::WrongDelimiter { found: '\t' });
    }

    #[test]
    fn flows_without_a_label_column_load_as_unlabelled() {
        let (dataset, report) = load_one(b"Flow Duration,Total Fwd Packets\n1,2\n3,4\n").unwrap();
        assert_eq!(dataset.rows(), 2);
        assert_eq!(counts(&report), [("unlabelled", 2)]);
        assert_eq!(report.families["Unlabelled"], 2);
        assert_eq!(dataset.attack_mask(), [false, false]);
        assert!(report.warnings[0].starts_with("flows.csv has no Label column"));
        assert!(
            report
                .warnings
                .iter()
                .any(|warning| warning.starts_with("unlabelled flows are taken as normal traffic")),
            "{:?}",
            report.warnings
        );
        // CICFlowMeter's own default label means the same.
        let (_, report) =
            load_one(b"Flow Duration,Label\n1,NeedManualLabel\n2,NeedManualLabel\n").unwrap();
        assert_eq!(report.families["Unlabelled"], 2);
        assert!(
            report
                .warnings
                .iter()
                .all(|warning| !warning.starts_with("no BENIGN rows"))
        );
    }

    #[test]
    fn html_instead_of_csv() {
        let error = fails(b"<!doctype html>\n<html><body>Not found</body></html>\n");
        assert_eq!(error.kind, ErrorKind::NoFeatures);
    }

    #[test]
    fn no_known_feature() {
        let error = fails(b"name,age,Label\nann,3,BENIGN\n");
        assert_eq!(error.kind, ErrorKind::NoFeatures);
        assert!(
            error
                .to_string()
                .contains("is this a CICFlowMeter flow CSV")
        );
    }

    #[test]
    fn header_only() {
        let (_, report) = load_one(HEADER.as_bytes()).unwrap();
        assert_eq!(report.rows, 0);
        assert!(
            report
                .warnings
                .iter()
                .any(|warning| warning.contains("a header but no flows"))
        );
    }

    #[test]
    fn files_with_nothing_in_common() {
        let first = format!("{HEADER}1,2,3,BENIGN\n");
        let second = "Idle Max,Label\n1,BENIGN\n";
        let error = load(&[("a.csv", first.as_bytes()), ("b.csv", second.as_bytes())]).unwrap_err();
        assert_eq!(error.file, "b.csv");
        assert_eq!(
            error.kind,
            ErrorKind::NoCommonFeatures {
                with: "a.csv".into()
            }
        );
    }

    #[test]
    fn ports_are_features_only_on_request() {
        let csv = "Destination Port,Flow Duration,Label\n80,5,BENIGN\n";
        let files = || [("a.csv".to_string(), None, Cursor::new(csv.as_bytes()))];
        let (default, _) = ingest_readers(files(), IngestOptions::default()).unwrap();
        assert_eq!(default.features, ["Flow Duration"]);
        let options = IngestOptions {
            ports_as_features: true,
            ..IngestOptions::default()
        };
        let (with_ports, _) = ingest_readers(files(), options).unwrap();
        assert_eq!(with_ports.features, ["Destination Port", "Flow Duration"]);
    }
}
