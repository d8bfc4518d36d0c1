// Generates the data of the two Transformer examples. Seeded, so the files
// are the same every time:
//   examples/intent-classifier/data/intents.jsonl — 1,600 customer-service
//     messages in English and Chinese (and a few mixed), 8 intents, built from
//     templates × slots × greetings × context sentences, with typos and a few
//     messages that could fairly go to either of two intents — so a held-out
//     split has new combinations and a perfect score is not free;
//   examples/text-generator/data/corpus.txt — a small corpus of short fables
//     and weather notes from a seeded grammar, for a character-level decoder;
//   examples/pretrain-finetune/data/ — the same 8 intents from a richer grammar
//     (many paraphrases of each request, words shared across intents, typos,
//     a few two-way messages labelled by a coin toss): unlabelled.txt (16,000
//     messages for pretraining, one a line) and the labelled train.jsonl
//     (1,600), validation.jsonl (400), test.jsonl (800), and train-10pct.jsonl
//     (the seeded 10% of train.jsonl the example fine-tunes on). No labelled
//     message is in unlabelled.txt, not even with other case, spacing or
//     punctuation (see corpusKey), so pretraining never sees a test message.
// Usage: node scripts/make-text-examples.mjs [--out <folder>]  (default: the repository; tests write elsewhere)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusKey } from './corpusKey.mjs';
import { labelSubset } from './labelSubset.mjs';
import { mulberry32 as rng } from './seededRandom.mjs';

const outAt = process.argv.indexOf('--out');
const root = outAt >= 0 ? process.argv[outAt + 1] : join(dirname(fileURLToPath(import.meta.url)), '..');

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

// ───────────────────────── pretrain-finetune ─────────────────────────
// The same 8 intents as a grammar with many ways to say each request: a
// request frame with one of the intent's phrases, often a second sentence
// with another of its phrases (why, what went wrong), and sentences that
// belong to no intent. The phrase lists are long, so a classifier that sees a
// few labelled messages per intent meets phrases at test time that it never
// saw labelled; the unlabelled corpus has them all, next to each other in the
// same messages, which is what pretraining can learn from. Words such as
// order, account, card, change, check, cancel, return and back occur in
// several intents.

const p = rng(90817);
const one = (list) => list[Math.floor(p() * list.length)];
const chance = (share) => p() < share;

const PF = {
  en: {
    product: [...en.product, 'air fryer', 'umbrella', 'sofa cover', 'hair dryer', 'tablet stand', 'rain boots', 'gaming mouse', 'tea set'],
    time: [...en.time, 'on Friday', 'a month ago', 'over the weekend', 'ten days ago'],
    pay: [...en.pay, 'Visa card', 'Mastercard', 'Google Pay', 'store credit'],
    city: [...en.city, 'Atlanta', 'Dallas', 'Phoenix', 'Houston'],
    hello: ['', '', '', 'Hi, ', 'Hello, ', 'Hey, ', 'Good morning, ', 'Excuse me, ', 'Hi there, ', 'Dear support, '],
    close: ['', '', '', ' Thanks!', ' Thank you.', ' Please help.', ' Thanks in advance.', ' Appreciate it.', ' Cheers.', ' Any help is welcome.'],
    obj: ['my order', 'order {order}', 'the {product}', 'my {product}', 'the {product} I bought {time}', 'this purchase', 'my purchase', 'the order I placed {time}', 'order number {order}'],
    want: ['I want to', 'I would like to', 'I need to', 'please', 'can you', 'could you', 'can I', 'how do I', 'I am trying to', 'help me', 'is it possible to'],
    filler: ['I ordered the {product} {time}.', 'My order number is {order}.', "It's a gift for my sister.", "I've been a customer for years.", 'I live in {city}.', 'I paid with {pay}.', 'This is my second message.', 'I checked the app already.', 'My account email is the same as before.', 'I am on the mobile app.', 'The {product} was on sale.', 'I also bought a {product}.'],
  },
  zh: {
    product: [...zh.product, '空气炸锅', '雨伞', '沙发套', '吹风机', '平板支架', '雨靴', '游戏鼠标', '茶具'],
    time: [...zh.time, '周五', '一个月前', '周末', '十天前'],
    pay: [...zh.pay, '云闪付', '储蓄卡', '余额', '购物卡'],
    city: [...zh.city, '武汉', '西安', '重庆', '苏州'],
    hello: ['', '', '', '你好，', '您好，', '请问', '麻烦问一下，', '客服你好，', '在吗，', '打扰一下，'],
    close: ['', '', '', '谢谢！', '谢谢。', '麻烦尽快处理。', '多谢。', '辛苦了。', '等你们回复。'],
    obj: ['我的订单', '订单{order}', '这个{product}', '我的{product}', '我{time}买的{product}', '这笔订单', '我{time}下的单', '订单号{order}'],
    want: ['我想', '我要', '请帮我', '能不能', '可以', '怎么', '麻烦', '我需要'],
    filler: ['我{time}买了{product}。', '订单号是{order}。', '这是送给妹妹的礼物。', '我是老客户了。', '我住在{city}。', '我用{pay}付的款。', '这是我第二次问了。', '我已经看过APP了。', '账号还是原来那个。', '我用的是手机。', '{product}当时在打折。', '我还买了{product}。'],
  },
};

/** Per intent and language: phrases (any one says the intent), request frames with {x} for a phrase, and follow-up sentences. */
const PF_INTENTS = {
  order_status: {
    en: {
      x: ['track', 'check on', 'find', 'locate', 'follow', 'get an update on', 'see the shipping status of', 'know where to find'],
      frames: ['{want} {x} {obj}', 'where is {obj}', 'when will {obj} arrive', 'has {obj} shipped yet', 'any news on {obj}', '{obj} still has not arrived', 'is {obj} on its way', 'the tracking for {obj} has not moved', 'I still have not received {obj}', 'when does {obj} get here'],
      more: ['It is {late}.', 'The tracking page has not changed since {time}.', 'The courier says nothing.', 'It was supposed to come {time}.', 'I have been waiting for ages.', 'Nobody has delivered anything.', 'The parcel seems lost.', 'The delivery date keeps moving.'],
      late: ['late', 'delayed', 'overdue', 'stuck', 'missing', 'lost in transit', 'two weeks late'],
    },
    zh: {
      x: ['查一下', '跟踪', '看看', '查询', '帮我找', '确认一下'],
      frames: ['{want}{x}{obj}的物流', '{obj}到哪里了', '{obj}什么时候能到', '{obj}发货了吗', '{obj}有消息吗', '{obj}还没到', '{obj}在路上了吗', '{obj}的快递一直没动', '我还没收到{obj}', '{obj}多久能送到'],
      more: ['已经{late}了。', '物流信息从{time}就没更新。', '快递员也不回消息。', '本来说{time}就到的。', '等了好久了。', '一直没人送货。', '包裹好像丢了。', '送达时间一直在推迟。'],
      late: ['晚了好几天', '延误', '超时', '卡住', '不见', '丢件', '晚了两周'],
    },
  },
  cancel_order: {
    en: {
      x: ['cancel', 'call off', 'scrap', 'withdraw', 'void', 'revoke', 'undo', 'stop', 'drop', 'kill'],
      frames: ['{want} {x} {obj}', '{x} {obj} please', 'I changed my mind, {x} {obj}', 'I no longer want {obj}, {x} it', 'can {obj} still be cancelled', 'please {x} {obj} before it ships', 'I ordered {obj} by mistake, {x} it', 'I would rather {x} {obj}', 'do not send {obj}, {x} it'],
      more: ['I do not need it anymore.', 'I found it cheaper elsewhere.', 'I ordered it twice by accident.', 'It has not shipped yet.', 'I changed my mind.', 'I clicked the wrong button.', 'My plans changed.', 'Please do not ship it.'],
    },
    zh: {
      x: ['取消', '撤销', '作废', '撤回', '退订', '终止'],
      frames: ['{want}{x}{obj}', '{x}{obj}吧', '我改主意了，{x}{obj}', '{obj}不要了，帮我{x}', '{obj}还能{x}吗', '{obj}还没发货，请{x}', '{obj}下错了，{x}掉', '{obj}别发了，{x}吧'],
      more: ['我不需要了。', '别的地方更便宜。', '不小心下了两单。', '现在还没发货。', '我改主意了。', '点错按钮了。', '计划有变。', '请不要发货。'],
    },
  },
  refund: {
    en: {
      x: ['a refund for', 'my money back for', 'a reimbursement for', 'a return label for', 'a credit for', 'an exchange for', 'the refund of'],
      back: ['return', 'send back', 'ship back', 'exchange', 'get a refund on', 'be reimbursed for'],
      frames: ['I want {x} {obj}', 'I would like {x} {obj}', 'how do I get {x} {obj}', 'can I get {x} {obj}', 'when will I get {x} {obj}', 'I asked for {x} {obj} {time}', 'I am still waiting for {x} {obj}', 'is it too late for {x} {obj}', '{want} {back} {obj}', 'I would like to {back} {obj}'],
      more: ['It arrived {broken}.', 'It is {broken}.', 'It does not fit.', 'It is not as described.', 'The quality is bad.', 'I sent it back {time}.', 'The money is still not back on my card.', 'I kept the receipt.'],
      broken: ['broken', 'damaged', 'faulty', 'cracked', 'defective', 'too small', 'the wrong colour', 'scratched'],
    },
    zh: {
      x: ['退款', '退钱', '退货', '退回', '换货', '返还货款'],
      frames: ['{obj}我要{x}', '{obj}想申请{x}', '{obj}怎么{x}', '{obj}可以{x}吗', '{obj}的{x}什么时候到账', '我{time}就申请了{x}，{obj}', '{obj}的{x}还没处理', '{obj}现在还能{x}吗'],
      more: ['收到就{broken}。', '东西{broken}。', '尺码不合适。', '和描述不一样。', '质量太差了。', '我{time}已经寄回去了。', '钱还没退到卡里。', '小票我留着。'],
      broken: ['坏了', '破损', '有瑕疵', '裂了', '有质量问题', '太小', '颜色不对', '有划痕'],
    },
  },
  change_address: {
    en: {
      x: ['change', 'update', 'fix', 'correct', 'edit', 'modify'],
      frames: ['{want} {x} the address on {obj}', '{x} the shipping address for {obj}', 'send {obj} to {city} instead', 'I moved to {city}, {x} my address', 'the delivery address on {obj} is wrong', 'can {obj} go to my office in {city}', 'please redirect {obj} to {city}', '{want} {x} the street on {obj}', 'I typed the wrong postcode for {obj}'],
      more: ['I moved last week.', 'The apartment number is missing.', 'I put my old address by mistake.', 'I will not be home, send it to work.', 'The street name is misspelled.', 'My new address is in {city}.', 'The zip code is wrong.'],
    },
    zh: {
      x: ['修改', '更改', '更新', '改一下', '换'],
      frames: ['{want}{x}{obj}的收货地址', '{obj}的地址{x}成{city}', '{obj}能改寄到{city}吗', '我搬到{city}了，{x}地址', '{obj}的地址填错了', '{obj}能送到我在{city}的公司吗', '{obj}请转寄到{city}', '{want}{x}{obj}的门牌号', '{obj}的邮编写错了'],
      more: ['我上周搬家了。', '少写了门牌号。', '不小心填了旧地址。', '我不在家，送到公司吧。', '街道名写错了。', '新地址在{city}。', '邮编不对。'],
    },
  },
  payment_issue: {
    en: {
      x: ['charged twice', 'double charged', 'declined', 'rejected', 'overcharged', 'billed the wrong amount', 'charged without an order'],
      frames: ['my {pay} was {x}', 'I was {x} for {obj}', 'why was my {pay} {x}', 'I keep getting {x} when I pay for {obj}', 'the checkout says my {pay} was {x}', 'I paid for {obj} with {pay} and was {x}', 'it says I was {x} on {obj}', 'payment for {obj} failed, I was {x}'],
      more: ['The payment page shows an error.', 'My bank shows two charges.', 'The order still says unpaid.', 'I have enough money on the card.', 'The charge is still pending.', 'The amount on my statement is wrong.', 'The card works everywhere else.'],
    },
    zh: {
      x: ['扣了两次钱', '重复扣款', '支付失败', '被拒绝', '多扣了钱', '扣错了金额', '付不了款'],
      frames: ['{pay}{x}', '{obj}{x}', '为什么{pay}{x}', '给{obj}付款时{x}', '结账时显示{pay}{x}', '我用{pay}买{obj}，结果{x}', '{obj}提示{x}', '{obj}付款的时候{x}'],
      more: ['支付页面一直报错。', '银行显示扣了两笔。', '订单还显示未付款。', '卡里钱是够的。', '扣款一直在处理中。', '账单上的金额不对。', '这张卡别的地方都能用。'],
    },
  },
  login_help: {
    en: {
      x: ['log in', 'sign in', 'get into my account', 'access my account', 'reset my password', 'recover my account', 'change my password'],
      frames: ['I cannot {x}', '{want} {x}', 'how do I {x}', 'I have not been able to {x} since {time}', 'it will not let me {x}', 'I forgot how to {x}', 'why can I not {x}', 'please help me {x}'],
      more: ['I forgot my password.', 'The verification code never arrives.', 'My account is locked.', 'It says my password is wrong.', 'The reset email never came.', 'I changed my phone number.', 'The app logs me out every time.'],
    },
    zh: {
      x: ['登录', '登不上账号', '重置密码', '找回账号', '修改密码', '进入账户'],
      frames: ['我没法{x}', '{want}{x}', '怎么{x}', '从{time}开始就不能{x}', '一直不让我{x}', '忘了怎么{x}', '为什么不能{x}', '请帮我{x}'],
      more: ['我忘记密码了。', '验证码一直收不到。', '账号被锁了。', '提示密码错误。', '重置邮件一直没来。', '我换了手机号。', 'APP每次都把我退出。'],
    },
  },
  stock_question: {
    en: {
      x: ['in stock', 'available', 'back in stock', 'sold out', 'out of stock', 'restocked', 'available in blue', 'available in a bigger size'],
      frames: ['is the {product} {x}', 'will the {product} be {x} soon', 'when will the {product} be {x}', 'I want to know if the {product} is {x}', 'the {product} shows as {x}, is that right', 'can you check if the {product} is {x}', 'is the {product} {x} in {city}', 'how many {product} are {x}'],
      more: ['I want to buy two.', 'The page does not say.', 'I need it before the holidays.', 'My size is gone.', 'I saw it in the shop last week.', 'Can you tell me when?', 'I would like another colour.'],
    },
    zh: {
      x: ['有货', '有库存', '补货', '卖完了', '缺货', '重新上架', '有蓝色的', '有大号'],
      frames: ['{product}{x}吗', '{product}什么时候{x}', '{product}还会{x}吗', '想问一下{product}是不是{x}', '{product}显示{x}，是真的吗', '帮我看看{product}{x}没', '{city}的{product}{x}吗', '{product}还有多少{x}'],
      more: ['我想买两个。', '页面上没写。', '节日前要用。', '我的尺码没了。', '上周在店里看到过。', '能告诉我时间吗？', '想要别的颜色。'],
    },
  },
  human_agent: {
    en: {
      x: ['a human', 'a real person', 'an agent', 'a representative', 'an operator', 'someone from support', 'a supervisor', 'your manager', 'a live person'],
      frames: ['I want to talk to {x}', 'can I speak to {x}', 'connect me to {x}', 'transfer me to {x}', 'let me chat with {x}', 'I need {x} now', 'put me through to {x}', 'is there {x} I can call', 'get me {x} about {obj}'],
      more: ['This bot is not helping.', 'The chatbot does not understand me.', 'I have asked three times already.', 'I do not want automatic answers.', 'Is there a phone number?', 'This is urgent.', 'I am tired of the menu.'],
    },
    zh: {
      x: ['人工客服', '真人', '人工服务', '客服经理', '工作人员', '你们主管', '值班客服'],
      frames: ['我要找{x}', '能转{x}吗', '请帮我接通{x}', '给我转{x}', '我想跟{x}聊', '我现在就要{x}', '让{x}来处理{obj}', '有没有{x}的电话'],
      more: ['机器人没用。', '自动回复根本听不懂。', '已经问了三遍了。', '我不要自动回复。', '有客服电话吗？', '事情很急。', '菜单绕来绕去的。'],
    },
  },
};

/** Two-way messages, labelled by a coin toss as two human agents might (about 3% of messages). */
const PF_AMBIGUOUS = [
  { intents: ['cancel_order', 'refund'], en: 'cancel {obj} and give me my money back', zh: '{obj}取消然后退款' },
  { intents: ['order_status', 'human_agent'], en: 'nobody can tell me where {obj} is, I need a person', zh: '{obj}到底在哪，我要找人问' },
  { intents: ['payment_issue', 'refund'], en: 'I was charged for {obj} but I want to send it back', zh: '{obj}扣款了但我想退货' },
  { intents: ['change_address', 'cancel_order'], en: 'wrong address on {obj}, maybe just cancel it', zh: '{obj}地址填错了，不行就取消吧' },
  { intents: ['login_help', 'payment_issue'], en: 'I cannot log in to pay for {obj}', zh: '登录不了，{obj}没法付款' },
  { intents: ['stock_question', 'order_status'], en: 'is {obj} out of stock, it never shipped', zh: '{obj}是不是缺货，一直没发货' },
];

function pfFill(template, lang, slots) {
  const t = PF[lang];
  return template.replace(/\{(\w+)\}/g, (_, name) => {
    if (name === 'order') return `#${10000 + Math.floor(p() * 89999)}`;
    if (name in slots) return pfFill(one(slots[name]), lang, slots);
    if (name in t) return pfFill(one(t[name]), lang, slots);
    throw new Error(`make-text-examples: no slot {${name}}`);
  });
}

/** Swaps two letters or drops one in some longer words (the intents' typos, on this grammar's stream). */
function pfTypos(text) {
  return text.replace(/[A-Za-z]{5,}/g, (w) => {
    if (p() > 0.07) return w;
    const i = 1 + Math.floor(p() * (w.length - 2));
    return p() < 0.5 ? w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2) : w.slice(0, i) + w.slice(i + 1);
  });
}

/** One message of an intent: greeting, request, maybe a follow-up and a sentence of no intent, in either order; the label it carries. */
function pfMessage(intent) {
  const lang = chance(0.55) ? 'en' : 'zh';
  const g = PF_INTENTS[intent][lang];
  const slots = { x: g.x, late: g.late ?? [], broken: g.broken ?? [], back: g.back ?? [], obj: PF[lang].obj };
  const ambiguous = PF_AMBIGUOUS.filter((a) => a.intents.includes(intent));
  let label = intent;
  let request;
  if (ambiguous.length && chance(0.03)) {
    const a = one(ambiguous);
    request = pfFill(a[lang], lang, slots);
    label = a.intents[Math.floor(p() * 2)];
  } else request = pfFill(one(g.frames), lang, slots);
  const sentences = [];
  if (lang === 'en') {
    sentences.push(pfFill(one(PF.en.hello), lang, slots) + request + (chance(0.5) ? (chance(0.7) ? '?' : '.') : ''));
  } else {
    sentences.push(pfFill(one(PF.zh.hello), lang, slots) + request + (chance(0.6) ? (chance(0.6) ? '？' : '。') : '，'));
  }
  if (chance(0.55)) sentences.push(pfFill(one(g.more), lang, slots));
  if (chance(0.35)) sentences.splice(Math.floor(p() * (sentences.length + 1)), 0, pfFill(one(PF[lang].filler), lang, slots));
  let text = sentences.join(lang === 'en' ? ' ' : '') + pfFill(one(PF[lang].close), lang, slots);
  if (lang === 'en') {
    text = pfTypos(text);
    if (chance(0.3)) text = text.toLowerCase();
    else text = text.charAt(0).toUpperCase() + text.slice(1);
  }
  return { text: text.replace(/，$/, '').trim(), intent: label };
}

function makePretrainFinetune() {
  const intents = Object.keys(PF_INTENTS);
  const seen = new Set();
  /** Messages of the intents in turn (each as often), new by corpusKey. */
  const draw = (count) => {
    const rows = [];
    let tries = 0;
    while (rows.length < count) {
      if (tries++ > count * 50) throw new Error('make-text-examples: the pretrain-finetune grammar ran out of new messages');
      const row = pfMessage(intents[rows.length % intents.length]);
      const key = corpusKey(row.text);
      if (seen.has(key)) continue;
      seen.add(key);
      rows.push(row);
    }
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(p() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    return rows;
  };
  // Labelled first, then the corpus from what is left: `seen` keeps every labelled message out of it.
  const test = draw(800);
  const validation = draw(400);
  const train = draw(1600);
  const unlabelled = draw(16000).map((r) => r.text);
  return { train, validation, test, unlabelled };
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

const pfDir = join(root, 'examples/pretrain-finetune/data');
mkdirSync(pfDir, { recursive: true });
const pf = makePretrainFinetune();
const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
for (const part of ['train', 'validation', 'test']) writeFileSync(join(pfDir, `${part}.jsonl`), jsonl(pf[part]));
writeFileSync(join(pfDir, 'train-10pct.jsonl'), jsonl(labelSubset(pf.train, (r) => r.intent, 0.1, 1)));
writeFileSync(join(pfDir, 'unlabelled.txt'), pf.unlabelled.join('\n') + '\n');
console.log(`${pfDir}: ${pf.train.length} / ${pf.validation.length} / ${pf.test.length} labelled messages (train / validation / test), ${pf.unlabelled.length} unlabelled`);
