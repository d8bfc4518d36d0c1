// Generates examples/customer-churn/data/customers.csv: 1,500 subscribers of a
// made-up service, 8 columns about each (tenure, plan, usage, support calls,
// …) and whether they left ("churned": yes/no), decided by a noisy
// non-linear rule so a model has something to learn and an honest ceiling.
// Seeded, so the file is the same every time.
// Usage: node scripts/make-churn-data.mjs
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './seededRandom.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const rand = mulberry32(20261206);
const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const round = (v, d = 0) => Number(v.toFixed(d));
const PLANS = ['basic', 'standard', 'premium'];

const header = ['tenure_months', 'plan', 'monthly_fee', 'usage_hours', 'support_calls', 'late_payments', 'devices', 'discount_pct', 'churned'];
const rows = [header.join(',')];
for (let i = 0; i < 1500; i++) {
  const tenure = round(clamp(72 * rand() ** 1.4, 1, 72));
  const planIndex = Math.min(2, Math.floor(rand() * 3));
  const fee = round(clamp([12, 22, 38][planIndex] + normal() * 3, 5, 60), 2);
  const usage = round(clamp(10 + 25 * rand() + planIndex * 8 + normal() * 5, 0, 80), 1);
  const calls = clamp(Math.round(-Math.log(1 - rand()) * 1.5), 0, 12);
  const late = clamp(Math.round(-Math.log(1 - rand()) * 0.6), 0, 6);
  const devices = clamp(1 + Math.floor(rand() * 3) + planIndex, 1, 6);
  const discount = rand() < 0.3 ? round(5 + 20 * rand()) : 0;
  // Leaving: short tenure, many support calls and late payments, a fee high for the usage; long-time and multi-device users stay.
  const score =
    1.2 - 0.05 * tenure + 0.45 * calls + 0.5 * late + 0.04 * (fee - usage * 0.6) - 0.25 * devices - 0.04 * discount + (calls >= 3 && tenure < 12 ? 1.2 : 0) + normal() * 0.9;
  const churned = score > 0 ? 'yes' : 'no';
  rows.push([tenure, PLANS[planIndex], fee, usage, calls, late, devices, discount, churned].join(','));
}
const file = join(root, 'examples/customer-churn/data/customers.csv');
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, rows.join('\n') + '\n');
const yes = rows.filter((r) => r.endsWith(',yes')).length;
console.log(`wrote ${file}: ${rows.length - 1} customers, ${yes} churned`);
