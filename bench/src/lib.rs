//! The benchmark harness's Rust side (the driver is `bench/harness.py`):
//! `bench-data` fills a database with seeded, realistic data through the
//! real schema, at the scales of `bench/README.md`; `bench-static` answers
//! every request with a fixed body, the machine's HTTP limit.

pub mod bulk;
pub mod catalog;
pub mod words;

/// How much to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scale {
    pub countries: usize,
    pub plans: usize,
    pub commitments: usize,
    pub milestones: usize,
    pub feedback: usize,
}

impl Scale {
    /// Morocco-sized: one plan of 24 commitments.
    pub const SMALL: Self = Self {
        countries: 1,
        plans: 1,
        commitments: 24,
        milestones: 72,
        feedback: 2_000,
    };
    /// The OGP world: about 80 countries, 400 action plans, 5,000
    /// commitments and 50,000 milestones.
    pub const WORLD: Self = Self {
        countries: 80,
        plans: 400,
        commitments: 5_000,
        milestones: 50_000,
        feedback: 200_000,
    };
    /// The world with 10 million feedback items.
    pub const STRESS: Self = Self {
        feedback: 10_000_000,
        ..Self::WORLD
    };
    /// Seconds of work for the harness's smoke run.
    pub const TINY: Self = Self {
        countries: 2,
        plans: 2,
        commitments: 30,
        milestones: 60,
        feedback: 300,
    };

    pub fn named(name: &str) -> Option<Self> {
        match name {
            "tiny" => Some(Self::TINY),
            "small" => Some(Self::SMALL),
            "world" => Some(Self::WORLD),
            "stress" => Some(Self::STRESS),
            _ => None,
        }
    }
}

/// Spreads `total` over `parts` as evenly as whole numbers allow: part `i`
/// gets its share, the first ones one more when it does not divide.
pub fn share(total: usize, parts: usize, i: usize) -> usize {
    if parts == 0 {
        return 0;
    }
    total / parts + usize::from(i < total % parts)
}

#[cfg(test)]
mod tests {
    use super::share;

    #[test]
    fn shares_add_up_to_the_total() {
        for (total, parts) in [(5_000, 400), (24, 1), (50_000, 5_000), (7, 3), (0, 4)] {
            let sum: usize = (0..parts).map(|i| share(total, parts, i)).sum();
            assert_eq!(sum, total, "{total} over {parts}");
        }
        assert_eq!(share(7, 3, 0), 3);
        assert_eq!(share(7, 3, 2), 2);
    }
}
