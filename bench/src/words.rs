//! Words for generated titles and comments: plausible action-plan language
//! in English and French, so pages and searches look like real ones.

use rand::{Rng, seq::SliceRandom};

/// The OGP's policy areas.
pub const POLICY_AREAS: [&str; 20] = [
    "Access to Information",
    "Anti-Corruption",
    "Beneficial Ownership",
    "Civic Space",
    "Digital Governance",
    "E-Government",
    "Education",
    "Environment and Climate",
    "Extractive Industries",
    "Fiscal Openness",
    "Gender",
    "Health",
    "Justice",
    "Land and Spatial Planning",
    "Lobbying",
    "Open Contracting",
    "Open Data",
    "Public Participation",
    "Public Service Delivery",
    "Water and Sanitation",
];

const ACTIONS: [(&str, &str); 10] = [
    ("Publishing", "Publication de"),
    ("Opening", "Ouverture de"),
    ("Strengthening", "Renforcement de"),
    ("Developing", "Développement de"),
    ("Monitoring", "Suivi de"),
    ("Co-creating", "Co-création de"),
    ("Digitising", "Numérisation de"),
    ("Reforming", "Réforme de"),
    ("Communicating", "Communication sur"),
    ("Auditing", "Audit de"),
];

const OBJECTS: [(&str, &str); 12] = [
    ("public procurement data", "les données des marchés publics"),
    ("the national budget", "le budget national"),
    ("municipal services", "les services municipaux"),
    (
        "access to information requests",
        "les demandes d'accès à l'information",
    ),
    (
        "beneficial ownership registers",
        "les registres des bénéficiaires effectifs",
    ),
    ("environmental data", "les données environnementales"),
    (
        "health facility records",
        "les registres des établissements de santé",
    ),
    ("school funding", "le financement des écoles"),
    ("citizen petitions", "les pétitions citoyennes"),
    ("court decisions", "les décisions de justice"),
    (
        "extractive industry contracts",
        "les contrats des industries extractives",
    ),
    (
        "water utility performance",
        "la performance des services d'eau",
    ),
];

const QUALIFIERS: [(&str, &str); 8] = [
    ("in open formats", "dans des formats ouverts"),
    ("with civil society", "avec la société civile"),
    ("at the local level", "au niveau local"),
    ("for women and youth", "pour les femmes et les jeunes"),
    ("through an online portal", "par un portail en ligne"),
    ("in every region", "dans chaque région"),
    ("with independent oversight", "sous contrôle indépendant"),
    ("in plain language", "en langage clair"),
];

const SENTENCES: [&str; 12] = [
    "When will the first data be published?",
    "This is a welcome step, but the timeline looks too short.",
    "Please publish the budget of this commitment.",
    "Our association would like to take part in the consultations.",
    "The portal is hard to use on a mobile phone.",
    "Will the data be available in Arabic and French?",
    "Rural areas were not consulted; please hold meetings there.",
    "The milestone dates have already passed: what is the status?",
    "Thank you for the workshop last month, it was useful.",
    "How can citizens report problems with the service?",
    "The indicators should measure results, not only activities.",
    "Who is responsible for this commitment in the ministry?",
];

/// A commitment or milestone title, in English and French.
pub fn title(rng: &mut impl Rng) -> (String, String) {
    let (action_en, action_fr) = pick(rng, &ACTIONS);
    let (object_en, object_fr) = pick(rng, &OBJECTS);
    let (qualifier_en, qualifier_fr) = pick(rng, &QUALIFIERS);
    (
        format!("{action_en} {object_en} {qualifier_en}"),
        format!("{action_fr} {object_fr} {qualifier_fr}"),
    )
}

/// A citizen's comment of one to three sentences.
pub fn comment(rng: &mut impl Rng) -> String {
    let count = rng.gen_range(1..=3);
    SENTENCES
        .choose_multiple(rng, count)
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn pick<T: Copy>(rng: &mut impl Rng, items: &[T]) -> T {
    items[rng.gen_range(0..items.len())]
}
