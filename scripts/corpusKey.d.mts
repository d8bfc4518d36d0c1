/** The text without case, spaces and punctuation: two messages with the same key are the same message. */
export function corpusKey(text: string): string;
