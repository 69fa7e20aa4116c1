//! Choosing the score above which a flow is flagged, always on out-of-fold or training flows,
//! never with scores of flows the scoring model fitted.

use serde::{Deserialize, Serialize};

use super::confusion::{Confusion, CostMatrix};
use super::ranking::ascending;

/// The `q`-th percentile (0–100) of `scores`, interpolated linearly as NumPy's default does: the
/// usual "benign 99th percentile" threshold when `scores` are benign validation scores.
pub fn percentile(scores: &[f32], q: f64) -> Option<f32> {
    let mut sorted: Vec<f32> = scores
        .iter()
        .copied()
        .filter(|score| score.is_finite())
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f32::total_cmp);
    let position = q.clamp(0.0, 100.0) / 100.0 * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let fraction = position - below as f64;
    Some((f64::from(sorted[below]) * (1.0 - fraction) + f64::from(sorted[above]) * fraction) as f32)
}

/// The `p`-th quantile (0–1) of `scores` by the Harrell–Davis estimator (Biometrika, 1982;
/// SciPy's `mstats.hdquantiles`): a weighted mean of every order statistic, with Beta weights
/// centred on the quantile. Where the plain percentile rests on the two scores around it (with
/// a few hundred benign validation flows, the fifth and sixth highest for the 99th), this one
/// is smooth in all of them, so a threshold set for a false-positive target moves less with
/// which benign flows happened to be drawn for validation.
pub fn harrell_davis(scores: &[f32], p: f64) -> Option<f32> {
    let mut sorted: Vec<f64> = scores
        .iter()
        .filter(|score| score.is_finite())
        .map(|&score| f64::from(score))
        .collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as f64;
    let p = p.clamp(0.0, 1.0);
    let (a, b) = (p * (n + 1.0), (1.0 - p) * (n + 1.0));
    if a <= 0.0 || b <= 0.0 {
        // The weights collapse onto an end.
        return Some(
            (if a <= 0.0 {
                sorted[0]
            } else {
                sorted[sorted.len() - 1]
            }) as f32,
        );
    }
    let mut below = 0.0;
    let mut quantile = 0.0;
    for (index, value) in sorted.iter().enumerate() {
        let cumulative = regularized_incomplete_beta(a, b, (index + 1) as f64 / n);
        quantile += (cumulative - below) * value;
        below = cumulative;
    }
    Some(quantile as f32)
}

/// `I_x(a, b)`, the regularised incomplete beta function, by its continued fraction (Lentz's
/// method, as in Numerical Recipes' `betai`).
fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // The fraction converges fast below the mean; above it, use I_x(a, b) = 1 − I_{1−x}(b, a).
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    d = 1.0 / if d.abs() < TINY { TINY } else { d };
    let mut fraction = d;
    for m in 1..=300 {
        let m = f64::from(m);
        for numerator in [
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ] {
            d = 1.0 + numerator * d;
            d = 1.0 / if d.abs() < TINY { TINY } else { d };
            c = 1.0 + numerator / c;
            if c.abs() < TINY {
                c = TINY;
            }
            fraction *= d * c;
        }
        if (d * c - 1.0).abs() < 1e-15 {
            break;
        }
    }
    fraction
}

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine terms: about 15 digits).
fn ln_gamma(x: f64) -> f64 {
    const COEFFICIENTS: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let series = COEFFICIENTS[1..]
        .iter()
        .enumerate()
        .fold(COEFFICIENTS[0], |sum, (index, c)| {
            sum + c / (x + index as f64 + 1.0)
        });
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

/// A threshold and the decisions it makes on the flows it was chosen on.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chosen {
    /// Flag flows with `score >= threshold`; infinity flags nothing.
    pub threshold: f32,
    /// The decisions on the flows it was chosen on.
    pub confusion: Confusion,
}

/// What a threshold should be best at.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// The least total cost under a cost matrix.
    MinCost(CostMatrix),
    /// The highest F1.
    MaxF1,
}

/// Tries every distinct score as a threshold (and "flag nothing") and keeps the best for
/// `objective`; ties go to the higher threshold, which flags less.
pub fn best(scores: &[f32], attack: &[bool], objective: Objective) -> Chosen {
    let attacks = attack.iter().filter(|&&is_attack| is_attack).count() as u64;
    let benign = attack.len() as u64 - attacks;
    // Flagging nothing.
    let mut best = Chosen {
        threshold: f32::INFINITY,
        confusion: Confusion {
            true_negatives: benign,
            false_negatives: attacks,
            ..Confusion::default()
        },
    };
    let mut order = ascending(scores);
    order.reverse();
    let mut confusion = best.confusion;
    let mut index = 0;
    while index < order.len() {
        let threshold = scores[order[index]];
        while index < order.len() && scores[order[index]] == threshold {
            if attack[order[index]] {
                confusion.true_positives += 1;
                confusion.false_negatives -= 1;
            } else {
                confusion.false_positives += 1;
                confusion.true_negatives -= 1;
            }
            index += 1;
        }
        if better(&confusion, &best.confusion, objective) {
            best = Chosen {
                threshold,
                confusion,
            };
        }
    }
    best
}

/// How a model's threshold is chosen on the scores of flows it did not fit (out of fold).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ThresholdRule {
    /// The given percentile (0–100) of the benign out-of-fold scores: needs no labelled attacks,
    /// and fixes the false-positive rate on benign traffic like it near `100 − q` %.
    BenignPercentile(f64),
    /// A false-positive target (a share, 0.01 for 1 %): the Harrell–Davis `1 − target` quantile
    /// of the benign out-of-fold scores ([`harrell_davis`]). Needs no labelled attacks; on unseen
    /// benign flows it holds the target more closely than the plain percentile (docs/experiments.md,
    /// "Thresholds").
    TargetFpr(f64),
    /// The threshold that costs least on the out-of-fold flows, attacks included.
    MinCost(CostMatrix),
    /// The threshold with the best F1 on the out-of-fold flows, attacks included.
    MaxF1,
}

/// The default false-positive target (a share): 2 %, which needs no attack labels, holds within
/// a point on unseen benign flows in every seeded run measured, and on the bundled sample catches
/// two thirds of the attacks where 1 % catches two fifths (docs/model-quality.md, "The default
/// threshold").
pub const DEFAULT_TARGET_FPR: f64 = 0.02;

/// The benign percentile when the user picks that rule without a number: the 98th, which fixes
/// about 2 % false positives like the default target.
pub const DEFAULT_PERCENTILE: f64 = 98.0;

/// The default: the false-positive target [`DEFAULT_TARGET_FPR`], which holds its target more
/// closely on unseen benign flows than the plain percentile.
impl Default for ThresholdRule {
    fn default() -> Self {
        Self::TargetFpr(DEFAULT_TARGET_FPR)
    }
}

impl ThresholdRule {
    /// Whether the rule looks at attack labels (so its validation attacks count as used).
    pub fn uses_attacks(&self) -> bool {
        !matches!(self, Self::BenignPercentile(_) | Self::TargetFpr(_))
    }

    /// The threshold for validation `scores` with their `attack` flags; `None` when the rule
    /// has nothing to work with (no benign rows for a percentile, no attacks for the others).
    pub fn choose(&self, scores: &[f32], attack: &[bool]) -> Option<f32> {
        match *self {
            Self::BenignPercentile(q) => percentile(&benign(scores, attack), q),
            Self::TargetFpr(target) => harrell_davis(&benign(scores, attack), 1.0 - target),
            Self::MinCost(_) | Self::MaxF1 if !attack.contains(&true) => None,
            Self::MinCost(costs) => Some(best(scores, attack, Objective::MinCost(costs)).threshold),
            Self::MaxF1 => Some(best(scores, attack, Objective::MaxF1).threshold),
        }
    }

    /// A short description for reports ("benign 99th percentile", …).
    pub fn describe(&self) -> String {
        match self {
            Self::BenignPercentile(q) => format!("benign {q}th percentile of out-of-fold scores"),
            Self::TargetFpr(target) => format!(
                "{} % false-positive target (Harrell–Davis quantile of benign out-of-fold scores)",
                target * 100.0
            ),
            Self::MinCost(costs) => format!(
                "least cost out of fold (false positive {}, false negative {})",
                costs.false_positive, costs.false_negative
            ),
            Self::MaxF1 => "best F1 out of fold".to_owned(),
        }
    }

    /// Which kind of rule it is, without its numbers.
    pub fn kind(&self) -> RuleKind {
        match self {
            Self::BenignPercentile(_) => RuleKind::Percentile,
            Self::TargetFpr(_) => RuleKind::Target,
            Self::MinCost(_) => RuleKind::Cost,
            Self::MaxF1 => RuleKind::F1,
        }
    }
}

/// The threshold rules by name, without their numbers: the one list the command line's
/// `--threshold` values and the page's choices are made from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    /// [`ThresholdRule::TargetFpr`], the default.
    Target,
    /// [`ThresholdRule::BenignPercentile`].
    Percentile,
    /// [`ThresholdRule::MinCost`] with the default costs.
    Cost,
    /// [`ThresholdRule::MaxF1`].
    F1,
}

impl RuleKind {
    /// Every rule, the default first.
    pub const ALL: [Self; 4] = [Self::Target, Self::Percentile, Self::Cost, Self::F1];

    /// Its name on the command line and in the page's choice.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Target => "target",
            Self::Percentile => "percentile",
            Self::Cost => "cost",
            Self::F1 => "f1",
        }
    }

    /// What it does, in a few words.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Target => "False-positive target (needs no attack labels)",
            Self::Percentile => "Benign percentile (needs no attack labels)",
            Self::Cost => "Least cost, out of fold (1 × FP + 4 × FN)",
            Self::F1 => "Best F1, out of fold",
        }
    }

    /// The kind called `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The rule of this kind, with the benign `percentile` (0–100) and false-positive `target`
    /// (a share) the first two take.
    pub fn rule(self, percentile: f64, target: f64) -> ThresholdRule {
        match self {
            Self::Target => ThresholdRule::TargetFpr(target),
            Self::Percentile => ThresholdRule::BenignPercentile(percentile),
            Self::Cost => ThresholdRule::MinCost(CostMatrix::default()),
            Self::F1 => ThresholdRule::MaxF1,
        }
    }
}

/// The command line's `--threshold` values are the rules' names, with their titles as help.
#[cfg(feature = "cli")]
impl clap::ValueEnum for RuleKind {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.title()))
    }
}

/// The scores of the benign flows.
fn benign(scores: &[f32], attack: &[bool]) -> Vec<f32> {
    scores
        .iter()
        .zip(attack)
        .filter(|(_, is_attack)| !**is_attack)
        .map(|(score, _)| *score)
        .collect()
}

fn better(candidate: &Confusion, incumbent: &Confusion, objective: Objective) -> bool {
    match objective {
        Objective::MinCost(costs) => candidate.cost(&costs) < incumbent.cost(&costs),
        Objective::MaxF1 => candidate.f1() > incumbent.f1(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_kind_makes_a_rule_of_its_own_kind() {
        for kind in RuleKind::ALL {
            assert_eq!(
                kind.rule(DEFAULT_PERCENTILE, DEFAULT_TARGET_FPR).kind(),
                kind
            );
        }
    }

    #[test]
    fn each_rule_kind_is_found_by_its_name_and_makes_its_rule() {
        for kind in RuleKind::ALL {
            assert_eq!(RuleKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(RuleKind::from_name("p99"), None);
        assert_eq!(
            RuleKind::Target.rule(DEFAULT_PERCENTILE, DEFAULT_TARGET_FPR),
            ThresholdRule::default()
        );
        assert_eq!(
            RuleKind::Percentile.rule(95.0, DEFAULT_TARGET_FPR),
            ThresholdRule::BenignPercentile(95.0)
        );
    }

    #[test]
    fn percentile_interpolates_like_numpy() {
        // numpy.percentile([1, 2, 3, 4, 10], [0, 50, 90, 99, 100]) = [1, 3, 7.6, 9.76, 10]
        let scores = [4.0, 1.0, 10.0, 3.0, 2.0];
        let expected = [
            (0.0, 1.0),
            (50.0, 3.0),
            (90.0, 7.6),
            (99.0, 9.76),
            (100.0, 10.0),
        ];
        for (q, value) in expected {
            assert!(
                (percentile(&scores, q).unwrap() - value).abs() < 1e-5,
                "{q}"
            );
        }
        assert_eq!(percentile(&[], 99.0), None);
    }

    #[test]
    fn harrell_davis_matches_scipy() {
        // scipy.stats.mstats.hdquantiles(x, prob=[0.5, 0.9, 0.99])
        let scores = [4.0, 1.0, 10.0, 3.0, 2.0, 7.0, 5.5, 0.5, 8.0, 6.0];
        let expected = [
            (0.5, 4.622_671_172_409_241),
            (0.9, 9.045_787_310_367_258),
            (0.99, 9.949_469_815_600_331),
        ];
        for (p, value) in expected {
            let estimate = f64::from(harrell_davis(&scores, p).unwrap());
            assert!((estimate - value).abs() < 1e-5, "{p}: {estimate}");
        }
        assert_eq!(harrell_davis(&[], 0.99), None);
        // scipy.special.betainc(a, b, x)
        for (a, b, x, value) in [
            (2.5, 3.5, 0.3, 0.296_752_989_295_666_46),
            (99.99, 1.01, 0.995, 0.610_660_984_914_403_8),
            (0.5, 0.5, 0.2, 0.295_167_235_300_866_5),
        ] {
            let computed = regularized_incomplete_beta(a, b, x);
            assert!(
                (computed - value).abs() < 1e-10,
                "I_{x}({a}, {b}) = {computed}"
            );
        }
    }

    #[test]
    fn a_target_rule_needs_no_attacks_and_flags_near_its_share() {
        // 1,000 benign validation scores 0.001 … 1.000: a 1 % target sits near the 990th.
        let scores: Vec<f32> = (1..=1000).map(|i| i as f32 / 1000.0).collect();
        let attack = vec![false; scores.len()];
        let rule = ThresholdRule::TargetFpr(0.01);
        let threshold = rule.choose(&scores, &attack).unwrap();
        assert!((threshold - 0.990).abs() < 0.002, "{threshold}");
        assert!(!rule.uses_attacks());
        assert_eq!(
            rule.describe(),
            "1 % false-positive target (Harrell–Davis quantile of benign out-of-fold scores)"
        );
    }

    #[test]
    fn cost_threshold_weighs_misses_four_times() {
        // Benign at 1, 2, 3; attacks at 2.5 and 4. Flag >= 4: one miss, cost 4. Flag >= 2.5:
        // one false alarm, cost 1. Flag >= 2: two false alarms, cost 2.
        let scores = [1.0, 2.0, 3.0, 2.5, 4.0];
        let attack = [false, false, false, true, true];
        let chosen = best(&scores, &attack, Objective::MinCost(CostMatrix::default()));
        assert_eq!(chosen.threshold, 2.5);
        assert_eq!(chosen.confusion.cost(&CostMatrix::default()), 1.0);
        // With false alarms as dear as misses, >= 4 and >= 2.5 both cost 1; the higher
        // threshold, which flags less, wins the tie.
        let even = CostMatrix {
            false_positive: 1.0,
            false_negative: 1.0,
        };
        assert_eq!(
            best(&scores, &attack, Objective::MinCost(even)).threshold,
            4.0
        );
    }

    #[test]
    fn f1_threshold() {
        let scores = [1.0, 2.0, 3.0, 2.5, 4.0];
        let attack = [false, false, false, true, true];
        let chosen = best(&scores, &attack, Objective::MaxF1);
        // >= 2.5 flags 3 (one benign): F1 = 0.8; >= 4 flags one attack: F1 = 2/3.
        assert_eq!(chosen.threshold, 2.5);
        assert!((chosen.confusion.f1() - 0.8).abs() < 1e-12);
    }

    #[test]
    fn no_attacks_means_flag_nothing() {
        let chosen = best(
            &[1.0, 2.0],
            &[false, false],
            Objective::MinCost(CostMatrix::default()),
        );
        assert_eq!(chosen.threshold, f32::INFINITY);
        assert_eq!(chosen.confusion.false_positives, 0);
    }
}
