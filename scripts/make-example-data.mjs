// Generates examples/house-prices/data/houses.csv: 1,000 houses with 10
// numeric features and a price (in thousands) that depends on them
// non-linearly, plus noise. Seeded, so the file is the same every time.
// Usage: node scripts/make-example-data.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './seededRandom.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rand = mulberry32(20240611);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const round = (v, d = 0) => Number(v.toFixed(d));

const header = ['area_sqm', 'rooms', 'bathrooms', 'age_years', 'distance_km', 'floor', 'lot_sqm', 'garage', 'school_score', 'crime_rate', 'price'];
const rows = [header.join(',')];
for (let i = 0; i < 1000; i++) {
  const area = round(clamp(40 + 110 * rand() + 20 * normal(), 25, 260));
  const rooms = clamp(Math.round(area / 30 + normal() * 0.8), 1, 8);
  const bathrooms = clamp(Math.round(rooms / 2.5 + rand() * 0.8), 1, 4);
  const age = round(clamp(60 * rand() ** 1.3, 0, 80));
  const distance = round(clamp(1 + 25 * rand() ** 1.5, 0.3, 30), 1);
  const floor = Math.floor(rand() * 12);
  const lot = round(distance > 8 ? 200 + 800 * rand() : 50 * rand());
  const garage = rand() < 0.15 + distance / 40 ? 1 : 0;
  const school = round(clamp(9 - distance / 5 + normal(), 1, 10), 1);
  const crime = round(clamp(6 - distance / 6 + normal() * 1.2, 0.1, 10), 2);
  const price =
    60 +
    2.6 * area +
    12 * rooms +
    18 * bathrooms -
    1.1 * age +
    0.006 * age * age -
    45 * Math.log1p(distance) +
    2.5 * Math.min(floor, 8) +
    0.08 * lot +
    22 * garage +
    14 * school -
    9 * crime +
    0.004 * area * school * 3 +
    18 * normal();
  rows.push([area, rooms, bathrooms, age, distance, floor, lot, garage, school, crime, round(clamp(price, 40, 2000), 1)].join(','));
}
const out = join(root, 'examples/house-prices/data/houses.csv');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, rows.join('\n') + '\n');
console.log(`wrote ${rows.length - 1} rows to ${out}`);
