// What makes two messages the same message for a pretraining corpus: case,
// spaces and punctuation do not count. make-text-examples.mjs keeps every
// labelled message of examples/pretrain-finetune out of its unlabelled corpus
// by this key; the data test checks the files by it.
export function corpusKey(text) {
  return text.toLowerCase().replace(/[\s\p{P}\p{S}]/gu, '');
}
