//! The detection environment: the agent is shown flows and answers allow or flag for each.
//!
//! A decision does not change which flow comes next, so this is a contextual bandit: the
//! environment deals a hand of flows ([`DetectionEnv::deal`]), the agent decides all of them with
//! one forward pass (one read from the device, milliseconds on WebGPU, instead of one per flow),
//! and each decision is settled on its own ([`DetectionEnv::decide`]: reward and what happened).
//! Episodes only set how often progress is reported and learning is summed up; a hand never
//! runs past its episode's end. Flows are dealt from a shuffled deck of the labelled pool that is
//! dealt to the end before it is reshuffled, so episodes cover the whole pool (the seed notebook
//! always restarted at row 0 and only ever saw its first rows); with `balanced`, each flow first
//! picks benign or attack with equal odds, then comes from that class's deck.

use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::data::label::Family;
use crate::metrics::confusion::CostMatrix;

/// What the agent can do with a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Let it through.
    Allow,
    /// Raise an alert.
    Flag,
}

impl Action {
    /// Actions by index, as the networks output them.
    pub const ALL: [Action; 2] = [Action::Allow, Action::Flag];

    /// The action for a network output index.
    pub fn from_index(index: usize) -> Self {
        Self::ALL[index.min(1)]
    }
}

/// Rewards for each outcome, editable by the user. The default is the seed notebook's: +2 for a
/// correct decision, −1 for a false alarm, −4 for a missed attack; the matching cost of a set of
/// decisions is `false_positive × FP + false_negative × FN`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RewardMatrix {
    /// Reward for allowing a benign flow or flagging an attack.
    pub correct: f32,
    /// Penalty (a positive number, subtracted) for flagging a benign flow.
    pub false_positive: f32,
    /// Penalty (subtracted) for allowing an attack.
    pub false_negative: f32,
}

impl Default for RewardMatrix {
    fn default() -> Self {
        Self {
            correct: 2.0,
            false_positive: 1.0,
            false_negative: 4.0,
        }
    }
}

impl RewardMatrix {
    /// The reward for taking `action` on a flow that is (or is not) an attack.
    pub fn reward(&self, action: Action, is_attack: bool) -> f32 {
        match (action, is_attack) {
            (Action::Flag, true) | (Action::Allow, false) => self.correct,
            (Action::Flag, false) => -self.false_positive,
            (Action::Allow, true) => -self.false_negative,
        }
    }

    /// The cost matrix every comparison uses.
    pub fn costs(&self) -> CostMatrix {
        CostMatrix {
            false_positive: f64::from(self.false_positive),
            false_negative: f64::from(self.false_negative),
        }
    }
}

/// Labelled flows as the agent sees them (observations: row-major, `width` floats each) and as a
/// fixed threshold sees them (their anomaly scores).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowPool {
    /// One observation per flow (see [`crate::rl::observe`]).
    pub observations: Vec<f32>,
    /// Each flow's anomaly score under the model, as it is: the thresholds it is compared with
    /// use these, not the clamped copy in the observation.
    pub scores: Vec<f32>,
    /// Floats per observation.
    pub width: usize,
    /// Whether each flow is an attack.
    pub attack: Vec<bool>,
    /// Each flow's family (for per-family results such as the unseen-attack check).
    pub families: Vec<Family>,
}

impl FlowPool {
    /// Number of flows.
    pub fn len(&self) -> usize {
        self.attack.len()
    }

    /// Whether the pool has no flows.
    pub fn is_empty(&self) -> bool {
        self.attack.is_empty()
    }

    /// The observation of flow `row`.
    pub fn observation(&self, row: usize) -> &[f32] {
        &self.observations[row * self.width..(row + 1) * self.width]
    }
}

/// What happened to one flow.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepInfo {
    /// The flow decided on (a row of the pool).
    pub row: usize,
    /// Whether it was an attack.
    pub is_attack: bool,
    /// The decision.
    pub action: Action,
}

/// One decision settled by [`DetectionEnv::decide`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The reward for the decision.
    pub reward: f32,
    /// The flow and decision.
    pub info: StepInfo,
}

/// Flows dealt together, to be decided with one forward pass.
#[derive(Clone, Debug, PartialEq)]
pub struct Hand {
    /// Rows of the pool, in the order dealt.
    pub rows: Vec<usize>,
    /// The flow dealt after them (the first of the next hand): the next state of the last
    /// decision, for agents that bootstrap from it.
    pub next: usize,
    /// Whether the hand ends its episode.
    pub ends_episode: bool,
}

/// A deck of rows dealt in a shuffled order, reshuffled when empty.
#[derive(Clone, Debug)]
struct Deck {
    rows: Vec<usize>,
    next: usize,
}

impl Deck {
    fn new(rows: Vec<usize>) -> Self {
        let next = rows.len();
        Self { rows, next }
    }

    fn deal(&mut self, rng: &mut StdRng) -> Option<usize> {
        if self.rows.is_empty() {
            return None;
        }
        if self.next == self.rows.len() {
            self.rows.shuffle(rng);
            self.next = 0;
        }
        self.next += 1;
        Some(self.rows[self.next - 1])
    }
}

/// The environment over a pool.
pub struct DetectionEnv<'a> {
    pool: &'a FlowPool,
    rewards: RewardMatrix,
    episode_length: usize,
    balanced: bool,
    rng: StdRng,
    all: Deck,
    benign: Deck,
    attacks: Deck,
    /// The flow dealt next (dealt ahead, so a hand knows what follows it).
    upcoming: usize,
    /// Flows dealt in the episode so far.
    steps: usize,
}

impl<'a> DetectionEnv<'a> {
    /// An environment dealing flows of `pool`, `episode_length` per episode.
    pub fn new(
        pool: &'a FlowPool,
        rewards: RewardMatrix,
        episode_length: usize,
        balanced: bool,
    ) -> Self {
        let (attacks, benign): (Vec<usize>, Vec<usize>) =
            (0..pool.len()).partition(|&row| pool.attack[row]);
        Self {
            pool,
            rewards,
            episode_length: episode_length.max(1),
            balanced,
            rng: StdRng::seed_from_u64(0),
            all: Deck::new((0..pool.len()).collect()),
            benign: Deck::new(benign),
            attacks: Deck::new(attacks),
            upcoming: 0,
            steps: 0,
        }
    }

    fn deal_one(&mut self) -> usize {
        let from_attacks = self.balanced && self.rng.random_bool(0.5);
        let dealt = if !self.balanced {
            self.all.deal(&mut self.rng)
        } else if from_attacks {
            self.attacks
                .deal(&mut self.rng)
                .or_else(|| self.benign.deal(&mut self.rng))
        } else {
            self.benign
                .deal(&mut self.rng)
                .or_else(|| self.attacks.deal(&mut self.rng))
        };
        dealt.expect("the pool is not empty")
    }

    /// Starts an episode; a seed restarts the random deal (decks reshuffled from scratch).
    /// Panics on an empty pool, which callers refuse before building an environment.
    pub fn reset(&mut self, seed: Option<u64>) {
        assert!(!self.pool.is_empty(), "an environment needs flows");
        if let Some(seed) = seed {
            self.rng = StdRng::seed_from_u64(seed);
            for deck in [&mut self.all, &mut self.benign, &mut self.attacks] {
                deck.next = deck.rows.len();
                deck.rows.sort_unstable();
            }
        }
        self.steps = 0;
        self.upcoming = self.deal_one();
    }

    /// Whether the next flow dealt starts an episode.
    pub fn episode_starts(&self) -> bool {
        self.steps == 0
    }

    /// Deals the next `count` flows, fewer if the episode ends first (at least one).
    pub fn deal(&mut self, count: usize) -> Hand {
        let count = count.clamp(1, self.episode_length - self.steps);
        let mut rows = Vec::with_capacity(count);
        rows.push(self.upcoming);
        for _ in 1..count {
            rows.push(self.deal_one());
        }
        self.steps += count;
        let ends_episode = self.steps >= self.episode_length;
        if ends_episode {
            self.steps = 0;
        }
        self.upcoming = self.deal_one();
        Hand {
            rows,
            next: self.upcoming,
            ends_episode,
        }
    }

    /// Settles `action` on flow `row`: its reward and what happened.
    pub fn decide(&self, row: usize, action: Action) -> Step {
        let is_attack = self.pool.attack[row];
        Step {
            reward: self.rewards.reward(action, is_attack),
            info: StepInfo {
                row,
                is_attack,
                action,
            },
        }
    }

    /// The observations of `rows`, row-major, to decide or learn on together.
    pub fn observations(&self, rows: &[usize]) -> Vec<f32> {
        rows.iter()
            .flat_map(|&row| self.pool.observation(row).iter().copied())
            .collect()
    }

    /// The reward matrix in use.
    pub fn rewards(&self) -> RewardMatrix {
        self.rewards
    }

    /// Flows per episode.
    pub fn episode_length(&self) -> usize {
        self.episode_length
    }

    /// Floats per observation.
    pub fn width(&self) -> usize {
        self.pool.width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(attacks: &[bool]) -> FlowPool {
        FlowPool {
            observations: (0..attacks.len()).map(|row| row as f32).collect(),
            scores: (0..attacks.len()).map(|row| row as f32).collect(),
            width: 1,
            attack: attacks.to_vec(),
            families: attacks
                .iter()
                .map(|&is_attack| {
                    if is_attack {
                        Family::Ddos
                    } else {
                        Family::Benign
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn rewards_follow_the_matrix() {
        let rewards = RewardMatrix::default();
        assert_eq!(rewards.reward(Action::Flag, true), 2.0);
        assert_eq!(rewards.reward(Action::Allow, false), 2.0);
        assert_eq!(rewards.reward(Action::Flag, false), -1.0);
        assert_eq!(rewards.reward(Action::Allow, true), -4.0);
        assert_eq!(rewards.costs(), CostMatrix::default());
    }

    #[test]
    fn hands_cover_the_pool_stop_at_episode_ends_and_rewards_match_the_flows() {
        let attacks: Vec<bool> = (0..50).map(|row| row % 5 == 0).collect();
        let pool = pool(&attacks);
        let mut env = DetectionEnv::new(&pool, RewardMatrix::default(), 7, false);
        env.reset(Some(3));
        let mut seen = vec![0usize; 50];
        let mut sizes = Vec::new();
        let mut dealt = 0;
        let mut episodes = 0;
        let mut follows = None;
        let mut previous_ended = true;
        while dealt < 50 {
            // The environment knows when the next hand opens an episode: after one that ended it.
            assert_eq!(env.episode_starts(), previous_ended);
            let hand = env.deal(3.min(50 - dealt));
            previous_ended = hand.ends_episode;
            // A hand starts with the flow the previous one said comes next.
            if let Some(next) = follows {
                assert_eq!(hand.rows[0], next);
            }
            follows = Some(hand.next);
            assert_eq!(
                env.observations(&hand.rows),
                hand.rows.iter().map(|&row| row as f32).collect::<Vec<_>>()
            );
            for &row in &hand.rows {
                let step = env.decide(row, Action::Flag);
                let expected = if attacks[row] { 2.0 } else { -1.0 };
                assert_eq!((step.reward, step.info.row), (expected, row));
                seen[row] += 1;
            }
            sizes.push(hand.rows.len());
            dealt += hand.rows.len();
            episodes += usize::from(hand.ends_episode);
        }
        // One deck of 50: every flow exactly once, not the first 50 draws of row 0.
        assert!(seen.iter().all(|&count| count == 1), "{seen:?}");
        // Episodes of 7 in hands of 3: 3, 3, 1, then again; 50 = 7 episodes and 1 flow.
        assert_eq!(sizes[..4], [3, 3, 1, 3]);
        assert_eq!(episodes, 7);
    }

    #[test]
    fn same_seed_same_flows_and_balanced_deals_half_attacks() {
        let attacks: Vec<bool> = (0..100).map(|row| row < 10).collect();
        let pool = pool(&attacks);
        let dealt = |seed: u64, balanced: bool, hand: usize| {
            let mut env = DetectionEnv::new(&pool, RewardMatrix::default(), 1000, balanced);
            env.reset(Some(seed));
            let mut rows = Vec::new();
            while rows.len() < 400 {
                rows.extend(env.deal(hand).rows);
            }
            rows.truncate(400);
            rows.into_iter()
                .map(|row| env.decide(row, Action::Allow).info)
                .collect::<Vec<_>>()
        };
        let rows = |seed: u64, balanced: bool| dealt(seed, balanced, 1);
        assert_eq!(rows(1, false), rows(1, false));
        // The size of the hands does not change which flows come.
        assert_eq!(rows(1, true), dealt(1, true, 64));
        assert_ne!(rows(1, false), rows(2, false));
        let balanced = rows(1, true);
        let share = balanced.iter().filter(|info| info.is_attack).count() as f64 / 400.0;
        assert!((0.4..0.6).contains(&share), "{share}");
        let unbalanced = rows(1, false);
        let share = unbalanced.iter().filter(|info| info.is_attack).count() as f64 / 400.0;
        assert!((share - 0.1).abs() < 1e-9, "{share}");
    }
}
