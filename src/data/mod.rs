//! Flows in: any CIC-IDS 2017, CSE-CIC-IDS2018 or CIC-DDoS2019 CSV variant streamed into a clean columnar dataset, with a report
//! of what was kept, dropped and imputed, then split and scaled for the models.

pub mod csv_text;
pub mod dataset;
pub mod error;
pub mod follow;
pub mod ingest;
pub mod label;
pub mod layout;
pub mod number;
pub mod prepare;
pub mod report;
pub mod schema;
