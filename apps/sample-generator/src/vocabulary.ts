import { Faker, en } from "@faker-js/faker";

export interface Company {
  name: string;
  /** e.g. `www.millergroup.com`, for posting URLs. */
  host: string;
}

export interface Vocabulary {
  /** In popularity order: index 0 is the most frequent. */
  companies: Company[];
  titles: string[];
  locations: string[];
}

export interface VocabularySizes {
  companies: number;
  titles: number;
  locations: number;
}

// Seniority words carry the signal the model reads; weights roughly follow real postings,
// where most titles have no qualifier or "Senior". Abbreviations (Sr., Jr., VP) are included
// so the aggressive normalisation level has something to fold.
const QUALIFIERS: ReadonlyArray<readonly [string, number]> = [
  ["", 30],
  ["Senior ", 14],
  ["Sr. ", 2],
  ["Junior ", 7],
  ["Jr. ", 1],
  ["Lead ", 6],
  ["Principal ", 3],
  ["Staff ", 3],
  ["Associate ", 5],
  ["Assistant ", 3],
  ["Head of ", 3],
  ["Director of ", 3],
  ["VP ", 2],
  ["Vice President, ", 1],
  ["Chief ", 1],
];
const SUFFIXES: ReadonlyArray<readonly [string, number]> = [
  ["", 70],
  [" Intern", 4],
  [" Trainee", 2],
  [" Manager", 10],
  [" Partner", 1],
  [" II", 3],
  [" III", 2],
];
const ROLES = [
  "Software Engineer",
  "Data Engineer",
  "Data Scientist",
  "Accountant",
  "Tax Accountant",
  "Attorney",
  "Paralegal",
  "Legal Adviser",
  "Bookkeeper",
  "Electrical Engineer",
  "Mechanical Engineer",
  "Nurse",
  "Product Manager",
  "Project Manager",
  "Sales Representative",
  "Account Executive",
  "QA Engineer",
  "DevOps Engineer",
  "Financial Analyst",
  "Business Analyst",
  "Recruiter",
  "Graphic Designer",
  "Customer Success Specialist",
  "Marketing Specialist",
  "Operations Coordinator",
  "Pharmacist",
  "Site Reliability Engineer",
  "Machine Learning Engineer",
  "Security Engineer",
  "Teacher",
];
const EXECUTIVES = ["CEO", "CFO", "COO", "CTO", "Managing Director, Treasury", "Chief Executive Officer"];

function weighted(items: ReadonlyArray<readonly [string, number]>, u: number): string {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = u * total;
  for (const [v, w] of items) {
    if ((x -= w) < 0) return v;
  }
  return items[items.length - 1]?.[0] ?? "";
}

const slug = (name: string) =>
  name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "");

/** Builds the same vocabulary for the same seed and sizes, on any machine. */
export function buildVocabulary(seed: number, sizes: VocabularySizes): Vocabulary {
  const faker = new Faker({ locale: [en], seed });
  const u = () => faker.number.float({ min: 0, max: 1, multipleOf: 1e-9 }) * 0.999999;

  const names = new Set<string>();
  for (let guard = 0; names.size < sizes.companies && guard < sizes.companies * 20; guard++) {
    const r = u();
    const name =
      r < 0.7
        ? faker.company.name()
        : r < 0.9
          ? `${faker.company.buzzNoun()} ${faker.company.name()}`
          : `${faker.location.city()} ${faker.company.name()}`;
    names.add(name.replace(/\s+/g, " ").trim());
  }
  const companies = [...names].map((name) => ({ name, host: `www.${slug(name) || "company"}.com` }));

  const titles = new Set<string>(EXECUTIVES);
  for (let guard = 0; titles.size < sizes.titles && guard < sizes.titles * 50; guard++) {
    const r = u();
    const role =
      r < 0.55
        ? faker.helpers.arrayElement(ROLES)
        : r < 0.85
          ? `${faker.person.jobArea()} ${faker.person.jobType()}`
          : faker.person.jobTitle();
    let title = `${weighted(QUALIFIERS, u())}${role}${weighted(SUFFIXES, u())}`;
    if (u() < 0.25)
      title += u() < 0.5 ? ` - ${faker.commerce.department()}` : `, ${faker.person.jobArea()} Systems`;
    titles.add(title);
  }
  // Shuffle so popularity rank is independent of the order words were drawn in.
  const titleList = faker.helpers.shuffle([...titles]).slice(0, sizes.titles);

  const locations = new Set<string>(["New York, NY", "Remote"]);
  for (let guard = 0; locations.size < sizes.locations && guard < sizes.locations * 20; guard++) {
    locations.add(`${faker.location.city()}, ${faker.location.state({ abbreviated: true })}`);
  }
  return { companies, titles: titleList, locations: [...locations] };
}
