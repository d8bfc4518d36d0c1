// Generates the data of the two Transformer examples. Seeded, so the files
// are the same every time:
//   examples/intent-classifier/data/intents.jsonl — 1,600 customer-service
//     messages in English and Chinese (and a few mixed), 8 intents, built from
//     templates × slots × greetings × context sentences, with typos and a few
//     messages that could fairly go to either of two intents — so a held-out
//     split has new combinations and a perfect score is not free;
//   examples/text-generator/data/corpus.txt — a small corpus of short fables
//     and weather notes from a seeded grammar, for a character-level decoder.
// Usage: node scripts/make-text-examples.mjs
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 as rng } from './seededRandom.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// ───────────────────────── intents ─────────────────────────

const random = rng(20240612);
const pick = (list) => list[Math.floor(random() * list.length)];
const maybe = (p, text) => (random() < p ? text : '');

const en = {
  product: ['headphones', 'running shoes', 'coffee maker', 'phone case', 'backpack', 'desk lamp', 'blender', 'winter jacket', 'keyboard', 'water bottle', 'yoga mat', 'smart watch'],
  time: ['yesterday', 'last week', 'three days ago', 'on Monday', 'two weeks ago', 'this morning', 'last month'],
  pay: ['credit card', 'PayPal', 'debit card', 'gift card', 'bank transfer', 'Apple Pay'],
  city: ['Boston', 'Seattle', 'Austin', 'Denver', 'Chicago', 'Portland', 'Miami'],
  hello: ['', '', 'Hi, ', 'Hello, ', 'Hey, ', 'Good morning, ', 'Excuse me, '],
  thanks: ['', '', '', ' Thanks!', ' Thank you.', ' Please help.', ' Thanks in advance.'],
};
const zh = {
  product: ['耳机', '跑鞋', '咖啡机', '手机壳', '背包', '台灯', '搅拌机', '羽绒服', '键盘', '水杯', '瑜伽垫', '智能手表'],
  time: ['昨天', '上周', '三天前', '周一', '两周前', '今天早上', '上个月'],
  pay: ['信用卡', '支付宝', '微信支付', '银行卡', '礼品卡', '花呗'],
  city: ['北京', '上海', '广州', '深圳', '杭州', '成都', '南京'],
  hello: ['', '', '你好，', '您好，', '请问', '麻烦问一下，', '客服你好，'],
  thanks: ['', '', '', '谢谢！', '谢谢。', '麻烦尽快处理。', '多谢。'],
};
const order = () => `#${10000 + Math.floor(random() * 89999)}`;

/** Each intent: English templates and Chinese templates; {slot} is filled from the tables above. */
const INTENTS = {
  order_status: {
    en: ['where is my order {order}', 'has my order shipped yet', 'I ordered {product} {time} and it has not arrived', 'can you track order {order} for me', 'when will my {product} be delivered', 'what is the status of my order', 'my package is late, order {order}', 'is my {product} on the way', 'tracking says nothing for {order}', 'how long until my order arrives'],
    zh: ['我的订单{order}到哪里了', '我的快递发货了吗', '我{time}买的{product}还没到', '帮我查一下订单{order}的物流', '{product}什么时候能送到', '订单现在是什么状态', '包裹一直没到，订单号{order}', '我的{product}在路上了吗', '物流信息怎么一直不更新', '还要多久才能收到货'],
  },
  cancel_order: {
    en: ['I want to cancel my order {order}', 'please cancel the {product} I bought {time}', 'cancel order {order}', 'how do I cancel an order', 'I changed my mind, cancel my {product}', 'can I still cancel before it ships', 'stop my order {order} please', 'I no longer need the {product}, cancel it', 'I ordered by mistake and want to cancel'],
    zh: ['我要取消订单{order}', '请帮我取消{time}买的{product}', '取消订单{order}', '怎么取消订单', '我不想要{product}了，帮我取消', '还没发货的话能取消吗', '麻烦把订单{order}取消掉', '{product}不需要了，取消吧', '下错单了，想取消'],
  },
  refund: {
    en: ['I want a refund for my {product}', 'how do I return the {product}', 'the {product} is broken, I want my money back', 'when will I get my refund for {order}', 'I returned the {product} {time} but no refund yet', 'can I return an item after thirty days', 'refund order {order} please', 'the {product} does not fit, how do I send it back', 'I was charged but want to return it'],
    zh: ['我想给{product}申请退款', '{product}怎么退货', '{product}坏了，我要退钱', '订单{order}的退款什么时候到账', '我{time}就退货了，钱还没退', '超过三十天还能退货吗', '请给订单{order}退款', '{product}尺码不合适，怎么寄回去', '已经扣款了但是我想退货'],
  },
  change_address: {
    en: ['I need to change my shipping address', 'can you send order {order} to {city} instead', 'I moved to {city}, update my address', 'wrong address on order {order}', 'how do I change the delivery address', 'please deliver my {product} to my office in {city}', 'update the address for my order', 'I typed the wrong street, can I fix it'],
    zh: ['我要修改收货地址', '订单{order}能改寄到{city}吗', '我搬到{city}了，帮我更新地址', '订单{order}的地址填错了', '怎么修改配送地址', '请把{product}送到我在{city}的公司', '帮我改一下订单的地址', '街道写错了，还能改吗'],
  },
  payment_issue: {
    en: ['my {pay} payment failed', 'I was charged twice for order {order}', 'why was my {pay} declined', 'the checkout page gives a payment error', 'can I pay with {pay}', 'I paid {time} but the order says unpaid', 'there is a wrong charge on my {pay}', 'payment keeps failing when I buy the {product}'],
    zh: ['{pay}付款失败了', '订单{order}被扣了两次钱', '为什么{pay}支付被拒绝', '结账页面显示支付错误', '可以用{pay}付款吗', '我{time}已经付款了，订单还显示未付款', '{pay}上有一笔错误的扣款', '买{product}的时候一直付不了款'],
  },
  login_help: {
    en: ['I forgot my password', 'I cannot log in to my account', 'how do I reset my password', 'my account is locked', 'the verification code never arrives', 'I cannot sign in since {time}', 'help me recover my account', 'login says my password is wrong'],
    zh: ['我忘记密码了', '我登录不了账号', '怎么重置密码', '我的账号被锁了', '一直收不到验证码', '从{time}开始就登录不上', '帮我找回账号', '登录时提示密码错误'],
  },
  stock_question: {
    en: ['is the {product} in stock', 'when will the {product} be available again', 'do you have the {product} in blue', 'is the {product} sold out', 'will you restock the {product}', 'do you ship the {product} to {city}', 'how many {product} are left', 'is there a bigger size of the {product}'],
    zh: ['{product}有货吗', '{product}什么时候补货', '{product}有蓝色的吗', '{product}卖完了吗', '{product}还会再上架吗', '{product}能发货到{city}吗', '{product}还剩几件', '{product}有大一号的吗'],
  },
  human_agent: {
    en: ['I want to talk to a human', 'can I speak to a real person', 'connect me to an agent please', 'this bot is not helping, get me a person', 'transfer me to customer service', 'I need a human agent now', 'is there a phone number I can call', 'let me talk to your support team'],
    zh: ['我要人工客服', '能转人工吗', '请帮我接通人工客服', '机器人没用，我要找真人', '转接客服', '我现在就要人工服务', '有客服电话吗', '让我跟你们的客服聊'],
  },
};

/** Sentences that say nothing about the intent, added before or after the request. */
const CONTEXT = {
  en: ['I ordered the {product} {time}.', 'My order number is {order}.', "It's a gift for my sister.", "I've been a customer for years.", 'I live in {city}.', 'I paid with {pay}.'],
  zh: ['我{time}买了{product}。', '订单号是{order}。', '这是送给妹妹的礼物。', '我是老客户了。', '我住在{city}。', '我用{pay}付的款。'],
};

/** Requests that fairly belong to either of two intents; the label is a coin toss, as it would be for two human agents. */
const AMBIGUOUS = [
  { intents: ['cancel_order', 'refund'], en: 'I want to cancel the {product} and get my money back', zh: '我想取消{product}并退款' },
  { intents: ['order_status', 'human_agent'], en: 'nobody tells me where order {order} is, I need someone to help', zh: '订单{order}到底在哪，我要找人问' },
  { intents: ['payment_issue', 'refund'], en: 'I was charged for the {product} but I want to return it', zh: '{product}扣款了但我想退货' },
  { intents: ['change_address', 'cancel_order'], en: 'wrong address on my order, maybe just cancel it', zh: '地址填错了，不行就取消订单吧' },
];

/** Swaps two letters or drops one in some longer words, as people type on phones. */
function typos(text) {
  return text.replace(/[A-Za-z]{5,}/g, (w) => {
    if (random() > 0.08) return w;
    const i = 1 + Math.floor(random() * (w.length - 2));
    return random() < 0.5 ? w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2) : w.slice(0, i) + w.slice(i + 1);
  });
}

/** A few messages mix Chinese with English product words or order numbers, as people write. */
const MIXED = {
  order_status: ['我的 order {order} 到哪了', 'order {order} 的 tracking 没更新'],
  refund: ['{product} 坏了，可以 refund 吗', '想 return 这个 {product}'],
  login_help: ['我的 account 登录不了', 'password 忘了怎么办'],
  human_agent: ['我要找 human agent', '转 real person 客服'],
};

function fill(template, slots) {
  return template.replace(/\{(\w+)\}/g, (_, name) => (name === 'order' ? order() : pick(slots[name])));
}

function english(template) {
  const thanks = pick(en.thanks);
  let text = pick(en.hello) + fill(template, en) + (maybe(0.5, random() < 0.7 ? '?' : '.') || (thanks ? ',' : '')) + thanks;
  if (random() < 0.3) text = random() < 0.5 ? `${fill(pick(CONTEXT.en), en)} ${text}` : `${text} ${fill(pick(CONTEXT.en), en)}`;
  text = typos(text);
  if (random() < 0.25) text = text.toLowerCase();
  const first = text.search(/[A-Za-z]/);
  if (random() < 0.6 && first >= 0) text = text.slice(0, first) + text[first].toUpperCase() + text.slice(first + 1);
  return text.trim();
}

function chinese(template) {
  const thanks = pick(zh.thanks);
  let text = pick(zh.hello) + fill(template, zh) + (maybe(0.6, random() < 0.6 ? '？' : '。') || (thanks ? '，' : '')) + thanks;
  if (random() < 0.3) text = random() < 0.5 ? fill(pick(CONTEXT.zh), zh) + text : text + fill(pick(CONTEXT.zh), zh);
  return text.trim();
}

function makeIntents() {
  const rows = [];
  const perIntent = 200;
  for (const [intent, t] of Object.entries(INTENTS)) {
    const seen = new Set();
    let tries = 0;
    while (seen.size < perIntent && tries++ < perIntent * 20) {
      const r = random();
      const mixed = MIXED[intent];
      const ambiguous = AMBIGUOUS.filter((a) => a.intents[0] === intent || a.intents[1] === intent);
      let text;
      if (ambiguous.length && r < 0.04) {
        const a = pick(ambiguous);
        text = random() < 0.5 ? english(a.en) : chinese(a.zh);
      } else if (mixed && r < 0.1) text = fill(pick(mixed), en);
      else text = r < 0.55 ? english(pick(t.en)) : chinese(pick(t.zh));
      if (seen.has(text)) continue;
      seen.add(text);
      rows.push({ text, intent });
    }
  }
  // Interleave intents, so the file reads like a log rather than sorted blocks.
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return rows;
}

// ───────────────────────── corpus ─────────────────────────

const g = rng(7331);
const choose = (list) => list[Math.floor(g() * list.length)];

const animals = ['fox', 'heron', 'badger', 'owl', 'hare', 'otter', 'crow', 'mole', 'deer', 'wren'];
const adjectives = ['little', 'old', 'clever', 'quiet', 'hungry', 'brave', 'tired', 'curious'];
const places = ['the river', 'the old mill', 'the hill', 'the orchard', 'the marsh', 'the edge of the wood', 'the stone bridge', 'the meadow'];
const times = ['at dawn', 'one cold morning', 'after the rain', 'at dusk', 'in early spring', 'late in the evening', 'on a windy day'];
const verbs = ['walked to', 'ran to', 'flew over', 'crept toward', 'wandered past', 'hurried to'];
const finds = ['a silver key', 'a lost boot', 'a basket of apples', 'a broken lantern', 'a map of the valley', 'an empty nest', 'a wooden box'];
const sayings = ['"Slow steps still reach the hill."', '"A shared apple tastes sweeter."', '"The river keeps what you forget."', '"Ask the owl, not the wind."', '"Small paws, long roads."'];
const weathers = ['clear', 'cloudy', 'rainy', 'foggy', 'windy', 'cold', 'warm', 'stormy'];
const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const winds = ['north', 'south', 'east', 'west'];

const cap = (s) => s[0].toUpperCase() + s.slice(1);

function fable() {
  const a = choose(animals);
  const b = choose(animals.filter((x) => x !== a));
  const parts = [
    `${cap(choose(times))}, the ${choose(adjectives)} ${a} ${choose(verbs)} ${choose(places)}.`,
    `There it found ${choose(finds)} and called the ${b}.`,
  ];
  if (g() < 0.6) parts.push(`The ${b} looked at it for a long time and said, ${choose(sayings)}`);
  if (g() < 0.5) parts.push(`So the ${a} and the ${b} went home together before the ${choose(['rain', 'night', 'snow', 'wind'])} came.`);
  return parts.join(' ');
}

function weather() {
  const lo = Math.floor(g() * 12);
  const hi = lo + 3 + Math.floor(g() * 10);
  return `${choose(days)}: ${choose(weathers)}, ${lo} to ${hi} degrees, wind from the ${choose(winds)}. ${g() < 0.5 ? `The ${choose(animals)} stays near ${choose(places)}.` : `Good day for a walk to ${choose(places)}.`}`;
}

function makeCorpus() {
  const lines = [];
  while (lines.join('\n').length < 90_000) lines.push(g() < 0.7 ? fable() : weather());
  return lines.join('\n') + '\n';
}

// ───────────────────────── write ─────────────────────────

const intentsFile = join(root, 'examples/intent-classifier/data/intents.jsonl');
mkdirSync(dirname(intentsFile), { recursive: true });
const intents = makeIntents();
writeFileSync(intentsFile, intents.map((r) => JSON.stringify(r)).join('\n') + '\n');

const corpusFile = join(root, 'examples/text-generator/data/corpus.txt');
mkdirSync(dirname(corpusFile), { recursive: true });
const corpus = makeCorpus();
writeFileSync(corpusFile, corpus);

console.log(`${intentsFile}: ${intents.length} messages`);
console.log(`${corpusFile}: ${corpus.length.toLocaleString('en')} characters, ${corpus.split('\n').length - 1} lines`);
