//! How good a detector is: threshold-free ranking quality (ROC-AUC, average precision, curves),
//! decisions at a threshold (confusion matrix, precision, recall, F1, FPR, cost), and how to
//! choose the threshold. Plain Rust over scores and labels, shared by the autoencoder, the agent
//! and their comparison.

pub mod confusion;
pub mod evaluation;
pub mod histogram;
pub mod ranking;
pub mod threshold;
